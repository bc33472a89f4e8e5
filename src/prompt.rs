//! Asking for the MFA code on the controlling terminal.
//!
//! The prompt never touches stdout: stdout is the shell code that `eval "$(...)"` captures.
//! /dev/tty is opened for reading and for writing, so the prompt works inside `$(...)` and
//! with stdin, stdout and stderr all redirected.
//!
//! Every question and menu item goes through `error::printable`: they name serial numbers and
//! user names that IAM sent, and a terminal escape in them must be shown, not obeyed.

use std::fmt;
use std::fs::OpenOptions;
use std::io;

use console::Term;
use dialoguer::theme::Theme;
use dialoguer::{Confirm, Input, Select};

use crate::error::{Error, Reason, Result, printable};

/// What to do when the code cannot be asked for.
pub const CODE_HINT: &str = "pass the code with --code 123456";

pub struct Prompter {
    term: Term,
}

/// dialoguer's plain look, but the line that says why an answer is asked again is one of
/// ours: `mfa-env: the code is 6 digits`, not `error: the code is 6 digits`.
struct Plain;

impl Theme for Plain {
    fn format_error(&self, f: &mut dyn fmt::Write, err: &str) -> fmt::Result {
        write!(f, "mfa-env: {err}")
    }
}

impl Prompter {
    /// The controlling terminal, or an error that says to pass the code another way.
    pub fn open() -> Result<Prompter> {
        Prompter::open_for("the MFA code", CODE_HINT).map_err(|e| e.because(Reason::NoCode))
    }

    /// The controlling terminal to ask for `what`, or an error with `hint`.
    pub fn open_for(what: &str, hint: &str) -> Result<Prompter> {
        let open = || OpenOptions::new().read(true).write(true).open("/dev/tty");
        let (read, write) = match (open(), open()) {
            (Ok(r), Ok(w)) => (r, w),
            (Err(e), _) | (_, Err(e)) => {
                return Err(Error::new(format!(
                    "no terminal to ask for {what} on (/dev/tty: {e})"
                ))
                .hint(hint));
            }
        };
        Ok(Prompter {
            term: Term::read_write_pair(read, write),
        })
    }

    /// Ask until the answer is six digits; spaces anywhere are ignored ("123 456").
    pub fn code(&self, prompt: &str) -> Result<String> {
        let answer: String = interruptible(&self.term, || {
            Input::with_theme(&Plain)
                .with_prompt(printable(prompt))
                .validate_with(|text: &String| {
                    normalize_code(text)
                        .map(|_| ())
                        .ok_or("the code is 6 digits")
                })
                .interact_text_on(&self.term)
        })
        .map_err(|dialoguer::Error::IO(e)| interrupted_or(e))?;
        normalize_code(&answer).ok_or_else(|| Error::new("the code is 6 digits"))
    }

    /// Yes or no, `yes` when Enter alone is pressed.
    pub fn confirm(&self, prompt: &str) -> Result<bool> {
        let answer = interruptible(&self.term, || {
            Confirm::with_theme(&Plain)
                .with_prompt(printable(prompt))
                .default(true)
                .interact_on(&self.term)
        });
        self.finish(answer)
    }

    /// One of `items`, picked with the arrow keys; its index.
    pub fn select(&self, prompt: &str, items: &[String]) -> Result<usize> {
        let answer = interruptible(&self.term, || {
            Select::with_theme(&Plain)
                .with_prompt(printable(prompt))
                .items(items.iter().map(|item| printable(item)))
                .default(0)
                .interact_on(&self.term)
        });
        self.finish(answer)
    }

    /// A line of text that `valid` accepts (it returns why not).
    pub fn text(&self, prompt: &str, valid: impl Fn(&str) -> Option<String>) -> Result<String> {
        let answer: dialoguer::Result<String> = interruptible(&self.term, || {
            Input::with_theme(&Plain)
                .with_prompt(printable(prompt))
                .validate_with(|text: &String| valid(text.trim()).map_or(Ok(()), Err))
                .interact_text_on(&self.term)
        });
        self.finish(answer).map(|text| text.trim().to_owned())
    }

    fn finish<T>(&self, answer: dialoguer::Result<T>) -> Result<T> {
        answer.map_err(|dialoguer::Error::IO(e)| match e.kind() {
            io::ErrorKind::Interrupted | io::ErrorKind::UnexpectedEof => {
                Error::cancelled_nothing_written()
            }
            _ => Error::new(format!("cannot read the answer from the terminal: {e}")),
        })
    }
}

/// dialoguer reads keys in raw mode and, on Ctrl-C, raises SIGINT, which would end the
/// process with the cursor after the question (the shell's prompt then lands there) and,
/// in a menu, hidden. SIGINT is held back while a question is asked: Ctrl-C then ends it with
/// an error, the line is ended and the cursor shown again, and the signal is let through,
/// ending the process as Ctrl-C always does.
#[allow(unsafe_code)]
fn interruptible<T>(
    term: &Term,
    ask: impl FnOnce() -> dialoguer::Result<T>,
) -> dialoguer::Result<T> {
    // SAFETY: sigemptyset, sigaddset and pthread_sigmask only read and write the two local
    // sets, which are fully initialised (zeroed, then emptied) before use.
    let mut hold: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut before: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigemptyset(&mut hold);
        libc::sigaddset(&mut hold, libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, &hold, &mut before);
    }
    let answer = ask();
    if let Err(dialoguer::Error::IO(e)) = &answer
        && e.kind() == io::ErrorKind::Interrupted
    {
        let _ = term.write_line("");
    }
    let _ = term.show_cursor();
    // SAFETY: restores the mask saved above; a held-back SIGINT is delivered here.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, &before, std::ptr::null_mut());
    }
    answer
}

fn interrupted_or(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::Interrupted | io::ErrorKind::UnexpectedEof => Error::cancelled(),
        _ => Error::new(format!("cannot read the MFA code from the terminal: {e}"))
            .hint(CODE_HINT)
            .because(Reason::NoCode),
    }
}

/// Six ASCII digits, with any whitespace removed; None for anything else.
pub fn normalize_code(text: &str) -> Option<String> {
    let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::normalize_code;

    #[test]
    fn codes() {
        assert_eq!(normalize_code(" 123456\n").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123 456").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", "", "١٢٣٤٥٦"] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }
}
