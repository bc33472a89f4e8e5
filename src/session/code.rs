//! Where the MFA code comes from, and the calls that take it: a code given is used once; codes
//! asked for are asked again when STS rejects one, up to `CODE_TRIES` in all.
//!
//! Asking is the caller's: a command asks on the terminal (`prompt.rs`), an agent may take a
//! code it was sent. The core only says when a code is needed and what for.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Note, Notes};
use crate::env::Env;
use crate::error::Result;
use crate::mfa_process;
use crate::sts::{CallError, Session};

/// Codes asked for in all when STS rejects one.
pub const CODE_TRIES: u32 = 3;

/// How a code is asked for: given the question, the code and who gave it.
pub type Ask = dyn FnMut(&Question) -> Result<(String, Via)> + Send;

/// A question for a code: its text (`MFA code for dev (arn:...)`), and, when it is asked
/// again, what STS said of the code before (a dialog shows it; the terminal has the note).
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    pub text: &'a str,
    pub rejected: Option<&'a str>,
}

/// How the code that made a session was had, or why none was needed: what `agent status`
/// shows of each session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// `--code`.
    Code,
    /// The profile's `mfa_process` or `--mfa-process`.
    MfaProcess,
    /// Typed on the controlling terminal.
    Terminal,
    /// Typed in the desktop's dialog (zenity, kdialog, osascript).
    Dialog,
    /// Printed by the `MFA_ENV_ASKPASS` program.
    Askpass,
    /// A role assumed from a kept MFA session: no code.
    KeptMfa,
    /// The MFA session a shell held (exported by an earlier mfa-env).
    Shell,
    /// No call of the session takes a code.
    NoMfa,
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Via::Code => "--code",
            Via::MfaProcess => "mfa_process",
            Via::Terminal => "terminal",
            Via::Dialog => "dialog",
            Via::Askpass => "askpass",
            Via::KeptMfa => "kept MFA session",
            Via::Shell => "a shell's MFA session",
            Via::NoMfa => "no MFA",
        })
    }
}

/// Where the code comes from, the first that gives one: the code given, the command given,
/// the profile's `mfa_process`, else asked for.
pub struct CodeFrom<'p> {
    /// A code given (`--code`): used once, as it is.
    pub code: Option<String>,
    /// A command that prints the code (`--mfa-process`), instead of the profile's.
    pub mfa_process: Option<String>,
    /// How long either command may run before it is stopped.
    pub mfa_process_timeout: Duration,
    /// Asked for when neither gives one.
    pub ask: &'p mut Ask,
    /// How the last code used was had (none yet: none was used).
    pub used: Option<Via>,
}

/// The codes for the calls of one session: one code (given, or printed by a command), or codes
/// asked for.
pub enum Codes<'c> {
    Once(String),
    /// Asked with the first; the second says how each was had.
    Asked(&'c mut Ask, &'c mut Option<Via>),
}

impl CodeFrom<'_> {
    /// The codes for a call that takes one, for `profile` whose `mfa_process` is `from_profile`.
    /// A command is run now, on this thread: it may wait for a touch, a PIN or a passphrase,
    /// which a note says first.
    pub fn ready(
        &mut self,
        profile: &str,
        from_profile: Option<&str>,
        env: &Env,
        notes: &mut Notes,
    ) -> Result<Codes<'_>> {
        if let Some(code) = &self.code {
            self.used = Some(Via::Code);
            return Ok(Codes::Once(code.clone()));
        }
        let (command, origin) = match (&self.mfa_process, from_profile) {
            (Some(given), _) => (given.as_str(), "--mfa-process".to_owned()),
            (None, Some(key)) if !key.trim().is_empty() => {
                (key, format!("the mfa_process of profile '{profile}'"))
            }
            _ => return Ok(Codes::Asked(&mut *self.ask, &mut self.used)),
        };
        let process = mfa_process::prepare(command, &origin, self.mfa_process_timeout, env)?;
        // Said before it starts: see `mfa_process::prepare`.
        notes(Note::RunningProcess(process.shown().to_owned()));
        let code = process.code()?;
        self.used = Some(Via::MfaProcess);
        Ok(Codes::Once(code))
    }
}

impl Codes<'_> {
    /// Make `call` with the code (once), or with codes asked for with `prompt` (again when STS
    /// rejects one, up to CODE_TRIES in all, each question after the first with what STS said
    /// of the code before). `endpoint`, the line that names where the call
    /// goes, is noted once the first code is in hand, just before the first call: a question
    /// cancelled calls nothing, and names nothing.
    pub async fn call<F, Fut>(
        &mut self,
        prompt: &str,
        mut endpoint: Option<String>,
        notes: &mut Notes,
        mut call: F,
    ) -> Result<Session>
    where
        F: FnMut(String) -> Fut,
        Fut: Future<Output = Result<Session, CallError>>,
    {
        let mut named = |notes: &mut Notes| {
            if let Some(line) = endpoint.take() {
                notes(Note::Endpoint(line));
            }
        };
        let (ask, used) = match self {
            Codes::Once(code) => {
                named(notes);
                return call(code.clone())
                    .await
                    .map_err(|(CallError::CodeRejected(e) | CallError::Failed(e))| e);
            }
            Codes::Asked(ask, used) => (ask, used),
        };
        let mut tries = 0;
        let mut rejected: Option<String> = None;
        loop {
            let (code, via) = ask(&Question {
                text: prompt,
                rejected: rejected.as_deref(),
            })?;
            **used = Some(via);
            named(notes);
            tries += 1;
            match call(code).await {
                Ok(session) => return Ok(session),
                Err(CallError::CodeRejected(e)) if tries < CODE_TRIES => {
                    let message = e.message().to_owned();
                    notes(Note::CodeRejected {
                        message: message.clone(),
                        tries,
                    });
                    rejected = Some(message);
                }
                Err(CallError::CodeRejected(e) | CallError::Failed(e)) => return Err(e),
            }
        }
    }
}

/// The question for the code of `profile`'s device `serial`.
pub fn prompt(profile: &str, serial: &str) -> String {
    format!("MFA code for {profile} ({serial})")
}
