//! Asking for the MFA code on the controlling terminal.
//!
//! The prompt never touches stdout: stdout is the shell code that `eval "$(...)"` captures.
//! /dev/tty is opened for reading and for writing, so the prompt works inside `$(...)` and
//! with stdin, stdout and stderr all redirected.

use std::fs::OpenOptions;
use std::io;

use console::Term;
use dialoguer::Input;
use dialoguer::theme::SimpleTheme;

use crate::error::{Error, Result};

pub struct Prompter {
    term: Term,
}

impl Prompter {
    /// The controlling terminal, or an error that says to pass the code another way.
    pub fn open() -> Result<Prompter> {
        let open = || OpenOptions::new().read(true).write(true).open("/dev/tty");
        let (read, write) = match (open(), open()) {
            (Ok(r), Ok(w)) => (r, w),
            (Err(e), _) | (_, Err(e)) => {
                return Err(Error::new(format!(
                    "no terminal to ask for the MFA code on (/dev/tty: {e})"
                ))
                .hint("pass the code with --code 123456"));
            }
        };
        Ok(Prompter {
            term: Term::read_write_pair(read, write),
        })
    }

    /// Ask until the answer is six digits; spaces anywhere are ignored ("123 456").
    pub fn code(&self, prompt: &str) -> Result<String> {
        let answer: String = Input::with_theme(&SimpleTheme)
            .with_prompt(prompt)
            .validate_with(|text: &String| {
                normalize_code(text)
                    .map(|_| ())
                    .ok_or("the code is 6 digits")
            })
            .interact_text_on(&self.term)
            .map_err(|dialoguer::Error::IO(e)| interrupted_or(e))?;
        normalize_code(&answer).ok_or_else(|| Error::new("the code is 6 digits"))
    }
}

fn interrupted_or(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::Interrupted | io::ErrorKind::UnexpectedEof => Error::cancelled(),
        _ => Error::new(format!("cannot read the MFA code from the terminal: {e}"))
            .hint("pass the code with --code 123456"),
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
