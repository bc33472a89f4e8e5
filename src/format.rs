//! What `export` prints: statements for a shell, or the variables as data for other readers.
//!
//! Pure: no I/O. The shells are rendered by `shell.rs`; this module adds the data formats and
//! the one format that knows an AWS schema, `process` (credential_process).

use std::fmt::Write;

use crate::error::Result;
use crate::shell::Shell;
/// JSON strings are written by `shell.rs`, for nushell's record, and used here for the data
/// formats: the dependency goes one way, from format to shell.
pub use crate::shell::{json_string, push_json_string};

/// The choice behind `--format` (alias `--shell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `export NAME=VALUE` statements for bash
    Bash,
    /// `export NAME=VALUE` statements for zsh
    Zsh,
    /// `export NAME=VALUE` statements for POSIX sh (dash)
    #[value(alias = "posix")]
    Sh,
    /// `set -gx NAME VALUE` statements for fish
    Fish,
    /// `setenv NAME VALUE;` statements for tcsh (no newline, ASCII only)
    #[value(alias = "csh")]
    Tcsh,
    /// `set-env NAME VALUE` statements for elvish
    Elvish,
    /// `$NAME = VALUE` statements for xonsh
    Xonsh,
    /// A record for nushell's `mfa-env` command (from `mfa-env init nu`)
    #[value(alias = "nushell")]
    Nu,
    /// `$Env:NAME = VALUE` statements for PowerShell
    #[value(alias = "pwsh")]
    Powershell,
    /// One flat JSON object of the variables (nushell's `load-env`, scripts)
    Json,
    /// NAME="VALUE" lines for .env readers (docker compose, python-dotenv)
    Dotenv,
    /// The credential_process JSON (Version 1) for `credential_process = mfa-env --format process PROFILE`
    Process,
}

impl Format {
    /// The shell whose statements this format is, if it is one.
    pub fn shell(self) -> Option<Shell> {
        match self {
            Format::Bash => Some(Shell::Bash),
            Format::Zsh => Some(Shell::Zsh),
            Format::Sh => Some(Shell::Sh),
            Format::Fish => Some(Shell::Fish),
            Format::Tcsh => Some(Shell::Tcsh),
            Format::Elvish => Some(Shell::Elvish),
            Format::Xonsh => Some(Shell::Xonsh),
            Format::Nu => Some(Shell::Nu),
            Format::Powershell => Some(Shell::Powershell),
            Format::Json | Format::Dotenv | Format::Process => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Dotenv => "dotenv",
            Format::Process => "process",
            shell => shell.shell().map_or("", Shell::name),
        }
    }

    /// The text for variables `set` (in order) and variables to remove. Only shells can remove
    /// a variable; the data formats carry the values alone. Fails when a shell cannot receive
    /// a value exactly (see `Shell::refuses`), before anything is printed.
    pub fn render(self, set: &[(&str, &str)], unset: &[&str]) -> Result<String> {
        if let Some(shell) = self.shell() {
            return shell.render(set, unset);
        }
        Ok(match self {
            Format::Json => {
                let fields: Vec<String> = set
                    .iter()
                    .map(|(name, value)| format!("{}:{}", json_string(name), json_string(value)))
                    .collect();
                format!("{{{}}}\n", fields.join(","))
            }
            Format::Dotenv => {
                let mut out = String::new();
                for (name, value) in set {
                    let _ = writeln!(out, "{name}={}", dotenv_quote(value));
                }
                out
            }
            Format::Process => process_json(set),
            _ => unreachable!("the shells are rendered above"),
        })
    }
}

impl From<Shell> for Format {
    fn from(shell: Shell) -> Format {
        match shell {
            Shell::Bash => Format::Bash,
            Shell::Zsh => Format::Zsh,
            Shell::Sh => Format::Sh,
            Shell::Fish => Format::Fish,
            Shell::Tcsh => Format::Tcsh,
            Shell::Elvish => Format::Elvish,
            Shell::Xonsh => Format::Xonsh,
            Shell::Nu => Format::Nu,
            Shell::Powershell => Format::Powershell,
        }
    }
}

/// The credential_process output, Version 1: the keys, the token and the expiration, which
/// tells the SDK when to run the process again. Variables the schema has no field for
/// (region, profile) are left out.
fn process_json(set: &[(&str, &str)]) -> String {
    let get = |name: &str| set.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| *v);
    let mut out = String::from("{\"Version\":1");
    for (field, var) in [
        ("AccessKeyId", "AWS_ACCESS_KEY_ID"),
        ("SecretAccessKey", "AWS_SECRET_ACCESS_KEY"),
        ("SessionToken", "AWS_SESSION_TOKEN"),
        ("Expiration", "AWS_CREDENTIAL_EXPIRATION"),
    ] {
        let _ = write!(out, ",\"{field}\":{}", json_string(get(var)));
    }
    out.push_str("}\n");
    out
}

/// A value for a .env file, in double quotes. There is no dotenv standard; the rules are the
/// ones both docker compose (compose-go's parser) and python-dotenv apply inside double quotes:
/// - `\` and `"` are escaped with a backslash: both readers turn `\\` and `\"` back;
/// - a newline is written `\n` and a carriage return `\r`: both decode those two, and a raw
///   line break would end the value for line-based readers;
/// - `$` is written `\$`, because compose expands `$NAME` and `${NAME}` inside double quotes
///   and reads `\$` as a literal dollar. python-dotenv keeps `\$` as two characters: a value
///   holding `$` reads differently there (no credential, region or timestamp holds one);
/// - everything else, tabs and non-ASCII included, is written as is (compose would read
///   `\t` as `t`).
///
/// compose-go takes any `"` after a backslash for an escaped quote, so it cannot read a value
/// that ends in a backslash in any quoting; python-dotenv can.
pub fn dotenv_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '$' => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings() {
        for (value, json) in [
            ("AKIA", "\"AKIA\""),
            ("", "\"\""),
            ("a\"b", "\"a\\\"b\""),
            ("trail\\", "\"trail\\\\\""),
            ("l1\nl2\r\t", "\"l1\\nl2\\r\\t\""),
            ("\u{1}\u{7f}", "\"\\u0001\\u007f\""),
            ("$HOME `id` 'q' é 日本", "\"$HOME `id` 'q' é 日本\""),
        ] {
            assert_eq!(json_string(value), json, "{value:?}");
        }
    }

    #[test]
    fn dotenv_values() {
        for (value, dotenv) in [
            ("AKIA/x+y=", "\"AKIA/x+y=\""),
            ("", "\"\""),
            ("a\"b", "\"a\\\"b\""),
            ("trail\\", "\"trail\\\\\""),
            ("l1\nl2\r", "\"l1\\nl2\\r\""),
            ("$HOME ${X}", "\"\\$HOME \\${X}\""),
            ("tab\there 'q' # é", "\"tab\there 'q' # é\""),
        ] {
            assert_eq!(dotenv_quote(value), dotenv, "{value:?}");
        }
    }

    #[test]
    fn data_formats() {
        let set = [
            ("AWS_ACCESS_KEY_ID", "ASIA1"),
            ("AWS_SECRET_ACCESS_KEY", "s\""),
            ("AWS_SESSION_TOKEN", "t"),
            ("AWS_CREDENTIAL_EXPIRATION", "2099-01-02T03:04:05Z"),
            ("MFA_ENV_PROFILE", "dev"),
        ];
        assert_eq!(
            Format::Json.render(&set, &["AWS_PROFILE"]).unwrap(),
            "{\"AWS_ACCESS_KEY_ID\":\"ASIA1\",\"AWS_SECRET_ACCESS_KEY\":\"s\\\"\",\"AWS_SESSION_TOKEN\":\"t\",\"AWS_CREDENTIAL_EXPIRATION\":\"2099-01-02T03:04:05Z\",\"MFA_ENV_PROFILE\":\"dev\"}\n"
        );
        assert_eq!(
            Format::Process.render(&set, &[]).unwrap(),
            "{\"Version\":1,\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\\\"\",\"SessionToken\":\"t\",\"Expiration\":\"2099-01-02T03:04:05Z\"}\n"
        );
        assert_eq!(
            Format::Dotenv.render(&set[..2], &["AWS_PROFILE"]).unwrap(),
            "AWS_ACCESS_KEY_ID=\"ASIA1\"\nAWS_SECRET_ACCESS_KEY=\"s\\\"\"\n"
        );
        assert_eq!(
            Format::Fish.render(&set[..1], &["X"]).unwrap(),
            "set -gx AWS_ACCESS_KEY_ID 'ASIA1'\nset -e -g X; set -qU X; and echo 'mfa-env: fish keeps a universal X (set -U) for every session; it was left as it is: remove it with `set -eU X`' >&2; or true\n"
        );
    }
}
