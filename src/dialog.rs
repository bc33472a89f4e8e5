//! Asking for the MFA code where there is no terminal (an IDE, a desktop program running
//! credential_process): the program `MFA_ENV_ASKPASS` names, run as ssh runs `SSH_ASKPASS`
//! (the question its one argument, the code on its stdout), else the desktop's own dialog
//! (`sys::dialog`: zenity or kdialog, osascript on macOS).
//!
//! Either is run as an mfa_process command is (`mfa_process::run`): no shell, stdin
//! /dev/null, stdout read (at most 1 MiB), stopped with what it started once its time is over
//! (60 s by default), ended with mfa-env. The code is never in a process's arguments or
//! environment: it exists on the program's stdout and in mfa-env's memory only. An answer
//! that is not a code is asked again, with why in the next question, up to `CODE_TRIES`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::mfa_process;
use crate::prompt::normalize_code;
use crate::sys::dialog::{Answer, Desktop};

/// The variable that names the askpass program.
pub const ASKPASS: &str = "MFA_ENV_ASKPASS";

/// The title of the desktop's dialog.
pub const TITLE: &str = "mfa-env";

/// How long a dialog or the askpass program waits for the code by default.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Answers that are not a code, in all, before the question is given up.
const TRIES: u32 = 3;

/// The one way to ask that a profile (`mfa_prompt`) or `--prompt` forces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    Terminal,
    Dialog,
    Askpass,
}

impl Prompt {
    pub const NAMES: [&str; 3] = ["terminal", "dialog", "askpass"];

    pub fn parse(text: &str) -> Option<Prompt> {
        match text.trim() {
            "terminal" => Some(Prompt::Terminal),
            "dialog" => Some(Prompt::Dialog),
            "askpass" => Some(Prompt::Askpass),
            _ => None,
        }
    }
}

/// A program that asks for the code without a terminal.
#[derive(Debug, Clone)]
pub enum Asker {
    /// The program MFA_ENV_ASKPASS names.
    Askpass(PathBuf),
    Desktop(Desktop),
}

impl Asker {
    /// The askpass program, when MFA_ENV_ASKPASS names one.
    pub fn askpass(env: &Env) -> Option<Asker> {
        env.get(ASKPASS)
            .filter(|p| !p.trim().is_empty())
            .map(|p| Asker::Askpass(PathBuf::from(p)))
    }

    /// The desktop's dialog, or why there is none.
    pub fn desktop(env: &Env) -> std::result::Result<Asker, String> {
        crate::sys::dialog::find(env).map(Asker::Desktop)
    }

    pub fn is_askpass(&self) -> bool {
        matches!(self, Asker::Askpass(_))
    }

    /// What it is, for people: `MFA_ENV_ASKPASS (/usr/bin/ssh-askpass)`, `zenity's dialog`.
    pub fn describe(&self) -> String {
        match self {
            Asker::Askpass(program) => format!("{ASKPASS} ({})", program.display()),
            Asker::Desktop(desktop) => format!(
                "the desktop's dialog ({}, {})",
                desktop.name(),
                desktop.program().display()
            ),
        }
    }

    /// The code for `question`, asked by the program `asked_by` (the tool that ran mfa-env,
    /// when known); `rejected` is what STS said of the code before, if it refused one.
    pub fn code(
        &self,
        question: &str,
        rejected: Option<&str>,
        asked_by: Option<&str>,
        timeout: Duration,
    ) -> Result<String> {
        let mut why = rejected.map(|r| format!("STS refused the code before: {r}"));
        for _ in 0..TRIES {
            let text = text(question, why.as_deref(), asked_by);
            let typed = self.ask(&text, timeout)?;
            match std::str::from_utf8(&typed).ok().and_then(normalize_code) {
                Some(code) => return Ok(code),
                None => why = Some("that was not a code: the code is 6 digits".to_owned()),
            }
        }
        Err(Error::new(format!(
            "{} gave no 6-digit code in {TRIES} tries",
            self.describe()
        ))
        .hint("enter the 6 digits your MFA device shows"))
    }

    /// What the program printed, asked with `text`.
    fn ask(&self, text: &str, timeout: Duration) -> Result<Vec<u8>> {
        let (mut cmd, name) = match self {
            Asker::Askpass(program) => {
                let mut cmd = Command::new(program);
                // As ssh runs SSH_ASKPASS: the question is its one argument. Its own messages
                // go to stderr, where a person may see them.
                cmd.arg(text).stderr(Stdio::inherit());
                (cmd, format!("{ASKPASS} `{}`", program.display()))
            }
            Asker::Desktop(desktop) => {
                let mut cmd = desktop.command(TITLE, text, timeout);
                // GTK's warnings are not for the person, nor for the tool reading stderr.
                cmd.stderr(Stdio::null());
                (cmd, desktop.name().to_owned())
            }
        };
        cmd.stdin(Stdio::null()).stdout(Stdio::piped());
        let output = mfa_process::run(&mut cmd, timeout, |e| {
            Error::new(format!("cannot run {name}: {e}")).hint(mfa_process::spawn_hint(&e))
        })?;
        let timed_out = || {
            Error::new(format!(
                "no MFA code was entered within {} s: {name} was closed",
                timeout.as_secs()
            ))
            .hint("answer it sooner, or give it longer with --prompt-timeout SECONDS (or mfa_prompt_timeout in the profile)")
        };
        let Some((status, stdout)) = output else {
            return Err(timed_out());
        };
        let answer = match self {
            // ssh takes any failure of the askpass program for a cancel.
            Asker::Askpass(_) if status.success() => Answer::Typed(stdout),
            Asker::Askpass(_) => Answer::Cancelled,
            Asker::Desktop(desktop) => desktop.answer(status, stdout),
        };
        match answer {
            Answer::Typed(typed) => Ok(typed),
            Answer::Cancelled => Err(Error::cancelled_by(format!(
                "the MFA code was cancelled ({name}, {}); no session was obtained",
                mfa_process::describe(status)
            ))),
            Answer::TimedOut => Err(timed_out()),
            Answer::Failed(how) => Err(Error::new(format!("{name} failed ({how})")).hint(
                "run it by hand to see why; --code or mfa_process give the code another way",
            )),
        }
    }
}

/// The question as the dialog shows it: why it is asked again first, then the question, then
/// who asked.
fn text(question: &str, why: Option<&str>, asked_by: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(why) = why {
        text.push_str(why);
        text.push_str("\nEnter the next code.\n\n");
    }
    text.push_str(question);
    if let Some(tool) = asked_by {
        text.push_str(&format!("\nAsked by {tool}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_the_question_why_and_who() {
        assert_eq!(
            text("MFA code for dev (arn:x)", None, Some("python3")),
            "MFA code for dev (arn:x)\nAsked by python3"
        );
        assert_eq!(
            text("Q", Some("STS refused the code before: bad"), None),
            "STS refused the code before: bad\nEnter the next code.\n\nQ"
        );
    }

    #[test]
    fn prompts_by_name() {
        for name in Prompt::NAMES {
            assert!(Prompt::parse(name).is_some(), "{name}");
        }
        assert_eq!(Prompt::parse(" dialog "), Some(Prompt::Dialog));
        assert_eq!(Prompt::parse("zenity"), None);
    }
}
