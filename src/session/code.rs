//! Where the MFA code comes from, and the calls that take it: a code given is used once; codes
//! asked for are asked again when STS rejects one, up to `CODE_TRIES` in all.
//!
//! Asking is the caller's: a command asks on the terminal (`prompt.rs`), an agent may take a
//! code it was sent. The core only says when a code is needed and what for.

use std::future::Future;
use std::time::Duration;

use super::{Note, Notes};
use crate::env::Env;
use crate::error::Result;
use crate::mfa_process;
use crate::sts::{CallError, Session};

/// Codes asked for in all when STS rejects one.
pub const CODE_TRIES: u32 = 3;

/// How a code is asked for: given the question (`MFA code for dev (arn:...)`), the code.
pub type Ask = dyn FnMut(&str) -> Result<String> + Send;

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
}

/// The codes for the calls of one session: one code (given, or printed by a command), or codes
/// asked for.
pub enum Codes<'c> {
    Once(String),
    Asked(&'c mut Ask),
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
            return Ok(Codes::Once(code.clone()));
        }
        let (command, origin) = match (&self.mfa_process, from_profile) {
            (Some(given), _) => (given.as_str(), "--mfa-process".to_owned()),
            (None, Some(key)) if !key.trim().is_empty() => {
                (key, format!("the mfa_process of profile '{profile}'"))
            }
            _ => return Ok(Codes::Asked(&mut *self.ask)),
        };
        let process = mfa_process::prepare(command, &origin, self.mfa_process_timeout, env)?;
        // Said before it starts: see `mfa_process::prepare`.
        notes(Note::RunningProcess(process.shown().to_owned()));
        process.code().map(Codes::Once)
    }
}

impl Codes<'_> {
    /// Make `call` with the code (once), or with codes asked for with `prompt` (again when STS
    /// rejects one, up to CODE_TRIES in all). `endpoint`, the line that names where the call
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
        let ask = match self {
            Codes::Once(code) => {
                named(notes);
                return call(code.clone())
                    .await
                    .map_err(|(CallError::CodeRejected(e) | CallError::Failed(e))| e);
            }
            Codes::Asked(ask) => ask,
        };
        let mut tries = 0;
        loop {
            let code = ask(prompt)?;
            named(notes);
            tries += 1;
            match call(code).await {
                Ok(session) => return Ok(session),
                Err(CallError::CodeRejected(e)) if tries < CODE_TRIES => {
                    notes(Note::CodeRejected {
                        message: e.message().to_owned(),
                        tries,
                    });
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
