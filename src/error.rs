//! One error type for the whole program: what happened, and what to do about it.
//!
//! Every message is printed once, by `main`, on stderr, each line prefixed `mfa-env:`.
//! Nothing that reaches an `Error` may hold a secret: callers redact first.

use std::fmt;
use std::io::Write;
use std::process::ExitCode;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug)]
pub struct Error {
    message: String,
    hint: Option<String>,
    kind: Kind,
    reason: Option<Reason>,
}

/// What a failure was, for the callers that do something about it rather than show it: the
/// session core falls back on some, and says others differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// No MFA code can be had here: no terminal to ask on, or a command owns it.
    NoCode,
    /// A role's trust policy refused the caller (AccessDenied on AssumeRole).
    RoleRefused,
    /// The agent did not answer (closed, too slow, garbled).
    AgentLost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Failure,
    /// Ctrl-C or end of input at the prompt.
    Cancelled,
    /// stdout was closed before we could write to it (EPIPE): nothing to say.
    Quiet,
    /// A failure with its own exit status (exec: 126, 127).
    Status(u8),
    /// Nothing went wrong in mfa-env: it ends with this status, a command's (exec --server).
    Exit(u8),
}

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
            kind: Kind::Failure,
            reason: None,
        }
    }

    /// Mark what the failure was (see `Reason`).
    #[must_use]
    pub fn because(mut self, reason: Reason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Whether the failure was `reason`.
    pub fn is(&self, reason: Reason) -> bool {
        self.reason == Some(reason)
    }

    /// The second line: what the user can do about it.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn cancelled() -> Self {
        Error {
            message: "cancelled; nothing was exported".into(),
            hint: None,
            kind: Kind::Cancelled,
            reason: None,
        }
    }

    /// A question cancelled some other way than on the terminal (a dialog's Cancel), saying so.
    pub fn cancelled_by(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            hint: None,
            kind: Kind::Cancelled,
            reason: None,
        }
    }

    /// Ctrl-C or end of input at a question of `setup`.
    pub fn cancelled_nothing_written() -> Self {
        Error {
            message: "cancelled; nothing was written".into(),
            hint: None,
            kind: Kind::Cancelled,
            reason: None,
        }
    }

    /// End with `code` and say nothing: the status of a command mfa-env ran, which has
    /// spoken for itself.
    pub fn exit(code: u8) -> Self {
        Error {
            message: String::new(),
            hint: None,
            kind: Kind::Exit(code),
            reason: None,
        }
    }

    pub fn quiet() -> Self {
        Error {
            message: String::new(),
            hint: None,
            kind: Kind::Quiet,
            reason: None,
        }
    }

    /// A command-line error from clap, in our one-or-two-line form: clap's own sentence, then
    /// the usage line.
    pub fn usage(clap_text: &str) -> Self {
        let mut lines = clap_text.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next().unwrap_or("invalid command line");
        let message = first.strip_prefix("error: ").unwrap_or(first);
        // clap puts the missing argument on the following lines, before "Usage:".
        let mut detail: Vec<&str> = Vec::new();
        let mut usage = None;
        for line in lines {
            if let Some(u) = line.strip_prefix("Usage: ") {
                usage = Some(u);
            } else if usage.is_none()
                && !line.starts_with("For more information")
                && !line.starts_with("tip:")
            {
                detail.push(line);
            }
        }
        let message = if detail.is_empty() {
            message.to_owned()
        } else {
            format!("{}: {}", message.trim_end_matches(':'), detail.join(", "))
        };
        Error::new(message).hint(match usage {
            Some(u) => format!("usage: {u}; see mfa-env --help"),
            None => "see mfa-env --help".to_owned(),
        })
    }

    /// Exit with this status instead of 1.
    #[must_use]
    pub fn status(mut self, code: u8) -> Self {
        self.kind = Kind::Status(code);
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    pub fn exit_code(&self) -> ExitCode {
        match self.kind {
            Kind::Failure | Kind::Quiet => ExitCode::FAILURE,
            Kind::Cancelled => ExitCode::from(130),
            Kind::Status(code) | Kind::Exit(code) => ExitCode::from(code),
        }
    }

    /// Print the error on stderr, one `mfa-env:` line per line of text.
    pub fn report(&self) {
        if matches!(self.kind, Kind::Quiet | Kind::Exit(_)) {
            return;
        }
        // A failing stderr leaves us nothing better to do than exit with the code.
        let _ = std::io::stderr()
            .lock()
            .write_all(self.to_string().as_bytes());
    }
}

impl fmt::Display for Error {
    /// What happened on one line, what to do on a second. A newline inside either comes from
    /// a value (a server's message, a file's continuation line) and is shown as `\n`, so
    /// every error is one or two lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in std::iter::once(&self.message).chain(&self.hint) {
            writeln!(f, "mfa-env: {}", printable(line))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// Text that came from a file, the command line or a server may hold terminal escape
/// sequences, and the marks that reorder text (`'dev\u{202e}1-tsew-ue'` reads as another
/// name): show both escaped instead of letting them drive the user's terminal or what it shows.
pub fn printable(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if (c.is_control() && c != '\t') || is_bidi_control(c) {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

/// Unicode's Bidi_Control characters: the embeddings, overrides and isolates (U+202A-U+202E,
/// U+2066-U+2069) and the three marks (U+061C, U+200E, U+200F). A terminal that lays out
/// text in both directions reorders what follows them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_prefixed() {
        let err = Error::new("profile 'x' not found").hint("add it");
        assert_eq!(
            err.to_string(),
            "mfa-env: profile 'x' not found\nmfa-env: add it\n"
        );
    }

    #[test]
    fn newlines_from_values_do_not_make_more_lines() {
        let err = Error::new("'eu-west-1\n# x' is not a region").hint("a\r\nb");
        assert_eq!(
            err.to_string(),
            "mfa-env: 'eu-west-1\\n# x' is not a region\nmfa-env: a\\r\\nb\n"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(printable("a\u{1b}[31mb\u{7}"), "a\\u{1b}[31mb\\u{7}");
        assert_eq!(printable("é\tx"), "é\tx");
    }

    #[test]
    fn marks_that_reorder_text_are_escaped() {
        for (c, shown) in [
            ('\u{061c}', "\\u{61c}"),
            ('\u{200e}', "\\u{200e}"),
            ('\u{200f}', "\\u{200f}"),
            ('\u{202a}', "\\u{202a}"),
            ('\u{202e}', "\\u{202e}"),
            ('\u{2066}', "\\u{2066}"),
            ('\u{2069}', "\\u{2069}"),
        ] {
            assert_eq!(printable(&format!("a{c}b")), format!("a{shown}b"), "{c:?}");
        }
        // Their neighbours, and right-to-left text itself, are shown as they are.
        for kept in ["\u{2010}", "\u{2070}", "שלום", "مرحبا"] {
            assert_eq!(printable(kept), kept);
        }
    }
}
