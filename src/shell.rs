//! The shells mfa-env writes for: quoting and rendering of set and unset statements.
//!
//! Pure: no I/O and no knowledge of AWS. Output follows the order of the slices it is given,
//! so the same input always renders the same text.

use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
}

impl Shell {
    /// The shell a program or process name (the file name of `/proc/PID/exe`, `/proc/PID/comm`,
    /// or the basename of `$SHELL`) stands for. Login shells show up as `-bash`. dash, Debian's
    /// `/bin/sh`, reads the POSIX statements written for bash.
    pub fn from_process_name(name: &str) -> Option<Shell> {
        let name = name.trim().trim_start_matches('-');
        let name = name.rsplit('/').next().unwrap_or(name);
        match name {
            "bash" | "sh" | "dash" => Some(Shell::Bash),
            "zsh" => Some(Shell::Zsh),
            "fish" => Some(Shell::Fish),
            "pwsh" | "powershell" | "pwsh-preview" => Some(Shell::Powershell),
            _ => None,
        }
    }

    /// The shell that will read our output: the parent process (it runs `$(...)` or
    /// `| source`) when it is a shell we know, by its program first and then by its name, else
    /// the login shell from `$SHELL`, else bash.
    ///
    /// The program comes first because a script's process is named after the script: `./b.sh`
    /// is `b.sh` to /proc/PID/comm, while its program is bash. The name comes next for shells
    /// whose program is an interpreter (xonsh runs as python3) or has another name (`zsh5`).
    pub fn detect(
        parent_program: Option<&str>,
        parent_name: Option<&str>,
        shell_var: Option<&str>,
    ) -> Shell {
        parent_program
            .and_then(Shell::from_process_name)
            .or_else(|| parent_name.and_then(Shell::from_process_name))
            .or_else(|| shell_var.and_then(Shell::from_process_name))
            .unwrap_or(Shell::Bash)
    }

    /// How a person makes this shell run what `command` prints, as the README shows it.
    pub fn evaluate(self, command: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh => format!("eval \"$({command})\""),
            Shell::Fish => format!("{command} | source"),
            Shell::Powershell => format!("{command} | Out-String | Invoke-Expression"),
        }
    }

    /// Where the line from `mfa-env init` goes.
    pub fn startup_file(self) -> &'static str {
        match self {
            Shell::Bash => "~/.bashrc",
            Shell::Zsh => "~/.zshrc",
            Shell::Fish => "~/.config/fish/config.fish",
            Shell::Powershell => "$PROFILE",
        }
    }

    /// Statements that set each variable, then remove each of `unset`, one statement a line.
    pub fn render(self, set: &[(&str, &str)], unset: &[&str]) -> String {
        let mut out = String::new();
        for (name, value) in set {
            assert_valid_name(name);
            // No quoting can carry NUL into a variable; callers refuse such values first.
            // (The message names the variable only: the value may be a secret.)
            assert!(
                !value.contains('\0'),
                "a NUL character in the value of {name}"
            );
            let value = self.quote(value);
            // Writing to a String cannot fail.
            let _ = match self {
                Shell::Bash | Shell::Zsh => writeln!(out, "export {name}={value}"),
                Shell::Fish => writeln!(out, "set -gx {name} {value}"),
                Shell::Powershell => writeln!(out, "$Env:{name} = {value}"),
            };
        }
        for name in unset {
            assert_valid_name(name);
            let _ = match self {
                Shell::Bash | Shell::Zsh => writeln!(out, "unset {name}"),
                // `-g`: a plain `set -e` erases a universal variable (`set -U`) when no global
                // one shadows it, and fish saves that for every session; this shell's copy is
                // all that may go. A universal one then still reaches every command (a global
                // without a value does not hide it), so the person hears of it. The last
                // statement's status is `source`'s: `or true` keeps
                // `mfa-env dev | source; and aws ...` working in a clean shell.
                Shell::Fish => writeln!(
                    out,
                    "set -e -g {name}; set -qU {name}; and echo 'mfa-env: fish keeps a universal {name} (set -U) for every session; it was left as it is: remove it with `set -eU {name}`' >&2; or true"
                ),
                Shell::Powershell => writeln!(
                    out,
                    "Remove-Item -LiteralPath Env:{name} -ErrorAction SilentlyContinue"
                ),
            };
        }
        out
    }

    /// One value as a single word of this shell that evaluates to exactly `value`.
    pub fn quote(self, value: &str) -> String {
        match self {
            // POSIX single quotes keep every byte but `'`; shell-escape closes the quote,
            // writes `\'` and reopens it. It also escapes `!` outside quotes, because an
            // interactive bash would otherwise expand history inside the eval'd text.
            // Always the `unix` quoter: the top-level one switches to cmd.exe rules on Windows.
            Shell::Bash | Shell::Zsh => {
                let quoted = shell_escape::unix::escape(value.into());
                // shell-escape leaves `=` bare, but zsh's EQUALS option (on by default) turns
                // a word that begins with `=` into a command's path: `export V==ls` sets V to
                // /usr/bin/ls. A bare word holds no `'`, so plain single quotes keep it whole.
                if value.starts_with('=') && quoted == value {
                    format!("'{value}'")
                } else {
                    quoted.into_owned()
                }
            }
            // fish's single quotes give meaning to exactly two characters: `\\` and `\'`.
            // The POSIX quoter is wrong here: its `'\''` leaves a backslash that fish reads
            // as an escape, and a trailing backslash would swallow the closing quote and run
            // into the next line.
            Shell::Fish => {
                let mut out = String::with_capacity(value.len() + 2);
                out.push('\'');
                for c in value.chars() {
                    if c == '\\' || c == '\'' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('\'');
                out
            }
            // PowerShell's single-quoted strings escape a quote by doubling it, and its
            // tokenizer treats the curly quotes U+2018..U+201B as single quotes too (see
            // EscapeSingleQuotedStringContent), so those are doubled as well. Nothing else,
            // not `$` nor the backtick, has meaning inside them.
            Shell::Powershell => {
                let mut out = String::with_capacity(value.len() + 2);
                out.push('\'');
                for c in value.chars() {
                    if matches!(c, '\'' | '\u{2018}'..='\u{201B}') {
                        out.push(c);
                    }
                    out.push(c);
                }
                out.push('\'');
                out
            }
        }
    }
}

/// Names are written bare, so they must be names in every shell.
fn assert_valid_name(name: &str) {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    assert!(valid, "not a variable name: {name:?}");
}

#[cfg(test)]
mod tests {
    use super::*;

    // (value, bash/zsh, fish, powershell)
    const CASES: &[(&str, &str, &str, &str)] = &[
        ("AKIA123", "AKIA123", "'AKIA123'", "'AKIA123'"),
        ("", "''", "''", "''"),
        ("a b", "'a b'", "'a b'", "'a b'"),
        ("it's", "'it'\\''s'", "'it\\'s'", "'it''s'"),
        ("a\\b", "'a\\b'", "'a\\\\b'", "'a\\b'"),
        ("trail\\", "'trail\\'", "'trail\\\\'", "'trail\\'"),
        ("l1\nl2", "'l1\nl2'", "'l1\nl2'", "'l1\nl2'"),
        ("$HOME", "'$HOME'", "'$HOME'", "'$HOME'"),
        ("`id`", "'`id`'", "'`id`'", "'`id`'"),
        ("hi!", "'hi'\\!''", "'hi!'", "'hi!'"),
        ("\"q\"", "'\"q\"'", "'\"q\"'", "'\"q\"'"),
        ("héllo", "'héllo'", "'héllo'", "'héllo'"),
        (
            "\u{2018}x\u{201B}",
            "'\u{2018}x\u{201B}'",
            "'\u{2018}x\u{201B}'",
            "'\u{2018}\u{2018}x\u{201B}\u{201B}'",
        ),
        ("a/b+c=d", "a/b+c=d", "'a/b+c=d'", "'a/b+c=d'"),
        ("=ls", "'=ls'", "'=ls'", "'=ls'"),
        ("=a'b", "'=a'\\''b'", "'=a\\'b'", "'=a''b'"),
    ];

    #[test]
    fn quoting_table() {
        for (value, posix, fish, pwsh) in CASES {
            assert_eq!(Shell::Bash.quote(value), *posix, "bash {value:?}");
            assert_eq!(Shell::Zsh.quote(value), *posix, "zsh {value:?}");
            assert_eq!(Shell::Fish.quote(value), *fish, "fish {value:?}");
            assert_eq!(
                Shell::Powershell.quote(value),
                *pwsh,
                "powershell {value:?}"
            );
        }
    }

    #[test]
    fn renders_in_the_given_order() {
        let set = [("B", "2"), ("A", "it's")];
        assert_eq!(
            Shell::Bash.render(&set, &["C"]),
            "export B=2\nexport A='it'\\''s'\nunset C\n"
        );
        assert_eq!(
            Shell::Fish.render(&set, &["C"]),
            "set -gx B '2'\nset -gx A 'it\\'s'\nset -e -g C; set -qU C; and echo 'mfa-env: fish keeps a universal C (set -U) for every session; it was left as it is: remove it with `set -eU C`' >&2; or true\n"
        );
        assert_eq!(
            Shell::Powershell.render(&set, &["C"]),
            "$Env:B = '2'\n$Env:A = 'it''s'\nRemove-Item -LiteralPath Env:C -ErrorAction SilentlyContinue\n"
        );
    }

    #[test]
    #[should_panic(expected = "not a variable name")]
    fn names_are_checked() {
        let _ = Shell::Bash.render(&[("A;rm", "x")], &[]);
    }

    #[test]
    fn how_each_shell_evaluates_a_command() {
        assert_eq!(
            Shell::Zsh.evaluate("mfa-env dev"),
            "eval \"$(mfa-env dev)\""
        );
        assert_eq!(Shell::Fish.evaluate("mfa-env dev"), "mfa-env dev | source");
        assert_eq!(
            Shell::Powershell.evaluate("mfa-env dev"),
            "mfa-env dev | Out-String | Invoke-Expression"
        );
    }

    #[test]
    fn detection_prefers_the_parent() {
        assert_eq!(
            Shell::detect(None, Some("fish"), Some("/bin/zsh")),
            Shell::Fish
        );
        assert_eq!(Shell::detect(None, Some("-zsh"), None), Shell::Zsh);
        assert_eq!(
            Shell::detect(None, Some("mfa-env"), Some("/usr/bin/fish")),
            Shell::Fish
        );
        assert_eq!(
            Shell::detect(None, Some("sshd"), Some("/bin/tcsh")),
            Shell::Bash
        );
        assert_eq!(Shell::detect(None, None, None), Shell::Bash);
        assert_eq!(Shell::detect(None, Some("pwsh"), None), Shell::Powershell);
    }

    #[test]
    fn detection_prefers_the_parents_program_to_its_name() {
        // `./b.sh` with `#!/bin/bash` and a fish login shell.
        assert_eq!(
            Shell::detect(Some("bash"), Some("b.sh"), Some("/usr/bin/fish")),
            Shell::Bash
        );
        // `#!/bin/sh` on Debian: the program is dash.
        assert_eq!(
            Shell::detect(Some("dash"), Some("s.sh"), Some("/usr/bin/fish")),
            Shell::Bash
        );
        assert_eq!(
            Shell::detect(Some("fish"), Some("f.fish"), Some("/bin/bash")),
            Shell::Fish
        );
        // An interpreter is no shell: the name decides, then $SHELL.
        assert_eq!(
            Shell::detect(Some("python3.11"), Some("zsh"), Some("/bin/bash")),
            Shell::Zsh
        );
        assert_eq!(
            Shell::detect(Some("python3.11"), Some("xonsh"), Some("/usr/bin/fish")),
            Shell::Fish
        );
    }
}
