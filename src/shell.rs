//! The shells mfa-env writes for: quoting and rendering of set and unset statements.
//!
//! Pure: no I/O and no knowledge of AWS. Output follows the order of the slices it is given,
//! so the same input always renders the same text. A value a shell cannot receive exactly is
//! refused (`render` fails) before anything is written, never mangled.

use std::fmt::Write;

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    /// POSIX sh: dash (Debian's /bin/sh), busybox ash
    #[value(alias = "posix")]
    Sh,
    Fish,
    #[value(alias = "csh")]
    Tcsh,
    Elvish,
    Xonsh,
    #[value(alias = "nushell")]
    Nu,
    #[value(alias = "pwsh")]
    Powershell,
}

/// Every shell, in the order the docs list them.
pub const ALL: [Shell; 9] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Sh,
    Shell::Fish,
    Shell::Tcsh,
    Shell::Elvish,
    Shell::Xonsh,
    Shell::Nu,
    Shell::Powershell,
];

impl Shell {
    /// The name `--format`, `init` and `_MFA_ENV_EVAL` use.
    pub fn name(self) -> &'static str {
        match self {
            Shell::Bash => "bash",
            Shell::Zsh => "zsh",
            Shell::Sh => "sh",
            Shell::Fish => "fish",
            Shell::Tcsh => "tcsh",
            Shell::Elvish => "elvish",
            Shell::Xonsh => "xonsh",
            Shell::Nu => "nu",
            Shell::Powershell => "powershell",
        }
    }

    /// The shell a program or process name (the file name of `/proc/PID/exe`, `/proc/PID/comm`,
    /// or the basename of `$SHELL`) stands for. Login shells show up as `-bash`. On Debian
    /// `/bin/sh` is dash and `csh` is tcsh. xonsh sets its process title to its command line,
    /// which comm cuts to 15 bytes (`xonsh --no-rc -`): the first word is the name.
    pub fn from_process_name(name: &str) -> Option<Shell> {
        let name = name.split_whitespace().next().unwrap_or_default();
        let name = name.trim_start_matches('-');
        let name = name.rsplit('/').next().unwrap_or(name);
        match name {
            "bash" => Some(Shell::Bash),
            "zsh" => Some(Shell::Zsh),
            "sh" | "dash" => Some(Shell::Sh),
            "fish" => Some(Shell::Fish),
            "tcsh" | "csh" => Some(Shell::Tcsh),
            "elvish" => Some(Shell::Elvish),
            "xonsh" => Some(Shell::Xonsh),
            "nu" | "nushell" => Some(Shell::Nu),
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

    /// How a person makes this shell run what `command` prints, as the docs show it.
    pub fn evaluate(self, command: &str) -> String {
        match self {
            Shell::Bash | Shell::Zsh | Shell::Sh => format!("eval \"$({command})\""),
            Shell::Fish => format!("{command} | source"),
            // The backquotes inside double quotes keep each line one word (spaces and all);
            // eval joins the words with spaces, which is why every statement ends in `;`.
            Shell::Tcsh => format!("eval \"`{command}`\""),
            Shell::Elvish => format!("eval ({command} | slurp)"),
            Shell::Xonsh => format!("execx($({command}))"),
            // nushell has no eval: the output is data, loaded by these commands (and by the
            // command from `mfa-env init nu`).
            Shell::Nu => {
                format!("let s = ({command} | from json); load-env $s.set; hide-env -i ...$s.unset")
            }
            Shell::Powershell => format!("{command} | Out-String | Invoke-Expression"),
        }
    }

    /// The line from `mfa-env init` that goes into `startup_file`.
    pub fn init_line(self) -> String {
        match self {
            // nushell reads no code it did not parse at start-up: the script is saved in the
            // directory whose files nushell loads after config.nu.
            Shell::Nu => "mkdir ($nu.user-autoload-dirs | first); mfa-env init nu | save -f ($nu.user-autoload-dirs | first | path join mfa-env.nu)".to_owned(),
            _ => self.evaluate(&format!("mfa-env init {}", self.name())),
        }
    }

    /// Where the line from `mfa-env init` goes. macOS's terminals (Terminal, iTerm2) start
    /// login shells, and a login bash reads ~/.bash_profile, not ~/.bashrc: the text names both
    /// rather than guess which system the person sets up.
    pub fn startup_file(self) -> &'static str {
        match self {
            Shell::Bash => {
                "~/.bashrc (~/.bash_profile on macOS, whose terminals start login shells)"
            }
            Shell::Zsh => "~/.zshrc",
            Shell::Sh => "the file $ENV names (~/.shrc)",
            Shell::Fish => "~/.config/fish/config.fish",
            Shell::Tcsh => "~/.tcshrc",
            Shell::Elvish => "~/.config/elvish/rc.elv",
            Shell::Xonsh => "~/.xonshrc",
            Shell::Nu => "config.nu",
            Shell::Powershell => "$PROFILE",
        }
    }

    /// Statements that set each variable, then remove each of `unset`, one statement a line.
    /// Fails, naming the variable but never its value (it may be a secret), when a value holds
    /// something this shell cannot receive exactly.
    pub fn render(self, set: &[(&str, &str)], unset: &[&str]) -> Result<String> {
        for (name, value) in set {
            assert_valid_name(name);
            if let Some(why) = self.refuses(value) {
                return Err(Error::new(format!(
                    "the value of {name} holds {why}, which {} cannot receive exactly; nothing was printed",
                    self.name()
                ))
                .hint("ask for another format (--format json) or another shell's statements"));
            }
        }
        for name in unset {
            assert_valid_name(name);
        }
        if self == Shell::Nu {
            return Ok(nu_record(set, unset));
        }
        let mut out = String::new();
        for (name, value) in set {
            let value = self.quote(value);
            // Writing to a String cannot fail.
            let _ = match self {
                Shell::Bash | Shell::Zsh | Shell::Sh => writeln!(out, "export {name}={value}"),
                Shell::Fish => writeln!(out, "set -gx {name} {value}"),
                Shell::Tcsh => writeln!(out, "setenv {name} {value};"),
                Shell::Elvish => writeln!(out, "set-env {name} {value}"),
                Shell::Xonsh => writeln!(out, "${name} = {value}"),
                Shell::Powershell => writeln!(out, "$Env:{name} = {value}"),
                Shell::Nu => unreachable!("rendered as a record above"),
            };
        }
        for name in unset {
            let _ = match self {
                Shell::Bash | Shell::Zsh | Shell::Sh => writeln!(out, "unset {name}"),
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
                Shell::Tcsh => writeln!(out, "unsetenv {name};"),
                Shell::Elvish => writeln!(out, "unset-env {name}"),
                // `del $NAME` raises when the variable is not set; pop with a default does not.
                Shell::Xonsh => writeln!(out, "${{...}}.pop('{name}', None)"),
                Shell::Powershell => writeln!(
                    out,
                    "Remove-Item -LiteralPath Env:{name} -ErrorAction SilentlyContinue"
                ),
                Shell::Nu => unreachable!("rendered as a record above"),
            };
        }
        Ok(out)
    }

    /// What in `value` this shell cannot receive exactly, if anything.
    pub fn refuses(self, value: &str) -> Option<&'static str> {
        // No environment variable can hold NUL, in any shell.
        if value.contains('\0') {
            return Some("a NUL character");
        }
        match self {
            // `eval "`...`"` splits the output into words at newlines, and eval joins them
            // with spaces: no quoting brings a newline through. tcsh also reads the bytes of
            // non-ASCII characters wrongly in the C locale once its backquote output is longer
            // than one read (the rest of a value shifts by a byte), so only ASCII is exact.
            Shell::Tcsh if value.contains('\n') => Some("a newline"),
            Shell::Tcsh if !value.is_ascii() => Some("a character outside ASCII"),
            _ => None,
        }
    }

    /// One value as a single word of this shell that evaluates to exactly `value`, for a
    /// value `refuses` accepts. nushell has no statements: its value is a JSON string.
    pub fn quote(self, value: &str) -> String {
        match self {
            // POSIX single quotes keep every byte but `'`; shell-escape closes the quote,
            // writes `\'` and reopens it. It also escapes `!` outside quotes, because an
            // interactive bash would otherwise expand history inside the eval'd text.
            // Always the `unix` quoter: the top-level one switches to cmd.exe rules on Windows.
            // dash reads these words as bash does.
            Shell::Bash | Shell::Zsh | Shell::Sh => {
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
            Shell::Fish => quote_with(value, '\'', |c, out| {
                if c == '\\' || c == '\'' {
                    out.push('\\');
                }
                out.push(c);
            }),
            // tcsh expands history (`!`) even inside single quotes and even in eval, and with
            // `set backslash_quote` a backslash inside single quotes escapes the quote. So
            // `'`, `\` and `!` are written outside the quotes, each after a backslash, which
            // means the character itself in every mode: `a'b` is `'a'\''b'`.
            Shell::Tcsh => quote_with(value, '\'', |c, out| {
                if matches!(c, '\'' | '\\' | '!') {
                    out.push('\'');
                    out.push('\\');
                    out.push(c);
                    out.push('\'');
                } else {
                    out.push(c);
                }
            }),
            // elvish's single-quoted strings give meaning to one thing: `''` is a quote.
            // Newlines and every other character stand for themselves.
            Shell::Elvish => quote_with(value, '\'', |c, out| {
                if c == '\'' {
                    out.push('\'');
                }
                out.push(c);
            }),
            // xonsh reads a Python string literal here. Everything that is not printable
            // ASCII is written as an escape (`\n`, `\x7f`, `\u2028`, `\U0001f642`), so the
            // code is ASCII and survives any encoding between us and execx; `\` and `'` are
            // escaped with a backslash. A plain (not raw, not f-) string: `{`, `$` and `@`
            // mean nothing in it.
            Shell::Xonsh => quote_with(value, '\'', |c, out| match c {
                '\\' | '\'' => {
                    out.push('\\');
                    out.push(c);
                }
                ' '..='~' => out.push(c),
                '\n' => out.push_str("\\n"),
                c if u32::from(c) < 0x100 => {
                    let _ = write!(out, "\\x{:02x}", u32::from(c));
                }
                c if u32::from(c) < 0x10000 => {
                    let _ = write!(out, "\\u{:04x}", u32::from(c));
                }
                c => {
                    let _ = write!(out, "\\U{:08x}", u32::from(c));
                }
            }),
            Shell::Nu => json_string(value),
            // PowerShell's single-quoted strings escape a quote by doubling it, and its
            // tokenizer treats the curly quotes U+2018..U+201B as single quotes too (see
            // EscapeSingleQuotedStringContent), so those are doubled as well. Nothing else,
            // not `$` nor the backtick, has meaning inside them.
            Shell::Powershell => quote_with(value, '\'', |c, out| {
                if matches!(c, '\'' | '\u{2018}'..='\u{201B}') {
                    out.push(c);
                }
                out.push(c);
            }),
        }
    }
}

/// `value` between two `quote` characters, each character written by `push`.
fn quote_with(value: &str, quote: char, mut push: impl FnMut(char, &mut String)) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push(quote);
    for c in value.chars() {
        push(c, &mut out);
    }
    out.push(quote);
    out
}

/// What nushell's `mfa-env` command (from `mfa-env init nu`) reads, as JSON on one line:
/// `{"set":{"NAME":"VALUE",...},"unset":["NAME",...]}`. nushell cannot evaluate code it did
/// not parse at start-up, so the output is data: `load-env $s.set` and `hide-env` load it.
fn nu_record(set: &[(&str, &str)], unset: &[&str]) -> String {
    let mut out = String::from("{\"set\":{");
    for (i, (name, value)) in set.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{name}\":");
        push_json_string(&mut out, value);
    }
    out.push_str("},\"unset\":[");
    let names: Vec<String> = unset.iter().map(|name| format!("\"{name}\"")).collect();
    out.push_str(&names.join(","));
    out.push_str("]}\n");
    out
}

/// A JSON string (RFC 8259), which nushell reads too (see `nu_record`), and the data
/// formats of `format.rs`: `"` and `\` escaped, control characters as `\n`, `\t` or
/// `\u00XX`; everything else, non-ASCII included, as UTF-8.
pub fn json_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    push_json_string(&mut out, value);
    out
}

/// `json_string`, appended to `out` (for long outputs, without a String per value).
pub fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
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

    // (value, bash/zsh/sh, fish, powershell)
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
            for sh in [Shell::Bash, Shell::Zsh, Shell::Sh] {
                assert_eq!(sh.quote(value), *posix, "{sh:?} {value:?}");
            }
            assert_eq!(Shell::Fish.quote(value), *fish, "fish {value:?}");
            assert_eq!(
                Shell::Powershell.quote(value),
                *pwsh,
                "powershell {value:?}"
            );
        }
    }

    // (value, tcsh, elvish, xonsh); None where tcsh refuses the value.
    const MORE: &[(&str, Option<&str>, &str, &str)] = &[
        ("AKIA123", Some("'AKIA123'"), "'AKIA123'", "'AKIA123'"),
        ("", Some("''"), "''", "''"),
        ("it's", Some("'it'\\''s'"), "'it''s'", "'it\\'s'"),
        ("a\\b", Some("'a'\\\\'b'"), "'a\\b'", "'a\\\\b'"),
        ("trail\\", Some("'trail'\\\\''"), "'trail\\'", "'trail\\\\'"),
        ("hi!", Some("'hi'\\!''"), "'hi!'", "'hi!'"),
        (
            "$HOME `id` \"q\"",
            Some("'$HOME `id` \"q\"'"),
            "'$HOME `id` \"q\"'",
            "'$HOME `id` \"q\"'",
        ),
        ("{x} @(y)", Some("'{x} @(y)'"), "'{x} @(y)'", "'{x} @(y)'"),
        ("l1\nl2", None, "'l1\nl2'", "'l1\\nl2'"),
        (
            "tab\tcr\r",
            Some("'tab\tcr\r'"),
            "'tab\tcr\r'",
            "'tab\\x09cr\\x0d'",
        ),
        (
            "é\u{2028}🙂",
            None,
            "'é\u{2028}🙂'",
            "'\\xe9\\u2028\\U0001f642'",
        ),
        (
            "a%b@c:d+e/f.g-h_i",
            Some("'a%b@c:d+e/f.g-h_i'"),
            "'a%b@c:d+e/f.g-h_i'",
            "'a%b@c:d+e/f.g-h_i'",
        ),
    ];

    #[test]
    fn quoting_table_for_tcsh_elvish_and_xonsh() {
        for (value, tcsh, elvish, xonsh) in MORE {
            match tcsh {
                Some(quoted) => {
                    assert_eq!(Shell::Tcsh.refuses(value), None, "{value:?}");
                    assert_eq!(Shell::Tcsh.quote(value), *quoted, "tcsh {value:?}");
                }
                None => assert!(Shell::Tcsh.refuses(value).is_some(), "tcsh {value:?}"),
            }
            assert_eq!(Shell::Elvish.quote(value), *elvish, "elvish {value:?}");
            assert_eq!(Shell::Xonsh.quote(value), *xonsh, "xonsh {value:?}");
        }
    }

    #[test]
    fn renders_in_the_given_order() {
        let set = [("B", "2"), ("A", "it's")];
        let render = |sh: Shell| sh.render(&set, &["C"]).unwrap();
        assert_eq!(
            render(Shell::Bash),
            "export B=2\nexport A='it'\\''s'\nunset C\n"
        );
        assert_eq!(render(Shell::Sh), render(Shell::Bash));
        assert_eq!(
            render(Shell::Fish),
            "set -gx B '2'\nset -gx A 'it\\'s'\nset -e -g C; set -qU C; and echo 'mfa-env: fish keeps a universal C (set -U) for every session; it was left as it is: remove it with `set -eU C`' >&2; or true\n"
        );
        assert_eq!(
            render(Shell::Powershell),
            "$Env:B = '2'\n$Env:A = 'it''s'\nRemove-Item -LiteralPath Env:C -ErrorAction SilentlyContinue\n"
        );
        assert_eq!(
            render(Shell::Tcsh),
            "setenv B '2';\nsetenv A 'it'\\''s';\nunsetenv C;\n"
        );
        assert_eq!(
            render(Shell::Elvish),
            "set-env B '2'\nset-env A 'it''s'\nunset-env C\n"
        );
        assert_eq!(
            render(Shell::Xonsh),
            "$B = '2'\n$A = 'it\\'s'\n${...}.pop('C', None)\n"
        );
        assert_eq!(
            render(Shell::Nu),
            "{\"set\":{\"B\":\"2\",\"A\":\"it's\"},\"unset\":[\"C\"]}\n"
        );
        assert_eq!(
            Shell::Nu.render(&[], &[]).unwrap(),
            "{\"set\":{},\"unset\":[]}\n"
        );
    }

    #[test]
    fn a_value_a_shell_cannot_receive_is_refused_without_showing_it() {
        for (shell, value) in [
            (Shell::Tcsh, "secret\nline"),
            (Shell::Tcsh, "sécret"),
            (Shell::Bash, "secret\0nul"),
            (Shell::Nu, "secret\0nul"),
        ] {
            let err = shell
                .render(&[("OK", "fine"), ("V", value)], &["C"])
                .unwrap_err();
            assert!(
                err.message().starts_with("the value of V holds")
                    && err.message().ends_with("nothing was printed"),
                "{}",
                err.message()
            );
            assert!(!err.message().contains("secret"), "{}", err.message());
        }
        // Every other shell takes newlines and all of Unicode.
        for shell in ALL.into_iter().filter(|s| *s != Shell::Tcsh) {
            assert!(
                shell.render(&[("V", "l1\nl2 é 🙂")], &[]).is_ok(),
                "{shell:?}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "not a variable name")]
    fn names_are_checked() {
        let _ = Shell::Bash.render(&[("A;rm", "x")], &[]);
    }

    #[test]
    fn how_each_shell_evaluates_a_command() {
        let evaluate = |sh: Shell| sh.evaluate("mfa-env dev");
        assert_eq!(evaluate(Shell::Zsh), "eval \"$(mfa-env dev)\"");
        assert_eq!(evaluate(Shell::Sh), "eval \"$(mfa-env dev)\"");
        assert_eq!(evaluate(Shell::Fish), "mfa-env dev | source");
        assert_eq!(evaluate(Shell::Tcsh), "eval \"`mfa-env dev`\"");
        assert_eq!(evaluate(Shell::Elvish), "eval (mfa-env dev | slurp)");
        assert_eq!(evaluate(Shell::Xonsh), "execx($(mfa-env dev))");
        assert_eq!(
            evaluate(Shell::Nu),
            "let s = (mfa-env dev | from json); load-env $s.set; hide-env -i ...$s.unset"
        );
        assert_eq!(
            evaluate(Shell::Powershell),
            "mfa-env dev | Out-String | Invoke-Expression"
        );
        assert_eq!(Shell::Tcsh.init_line(), "eval \"`mfa-env init tcsh`\"");
        assert!(Shell::Nu.init_line().contains("mfa-env init nu | save -f"));
    }

    #[test]
    fn every_shell_is_found_by_its_name() {
        for shell in ALL {
            assert_eq!(Shell::from_process_name(shell.name()), Some(shell));
        }
        assert_eq!(Shell::from_process_name("dash"), Some(Shell::Sh));
        assert_eq!(Shell::from_process_name("-csh"), Some(Shell::Tcsh));
        assert_eq!(Shell::from_process_name("nushell"), Some(Shell::Nu));
        assert_eq!(Shell::from_process_name("python3.11"), None);
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
            Shell::Tcsh
        );
        assert_eq!(
            Shell::detect(None, Some("sshd"), Some("/bin/ksh")),
            Shell::Bash
        );
        assert_eq!(Shell::detect(None, None, None), Shell::Bash);
        assert_eq!(Shell::detect(None, Some("pwsh"), None), Shell::Powershell);
        assert_eq!(Shell::detect(Some("nu"), Some("nu"), None), Shell::Nu);
        assert_eq!(
            Shell::detect(Some("elvish"), Some("elvish"), Some("/bin/bash")),
            Shell::Elvish
        );
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
            Shell::Sh
        );
        assert_eq!(
            Shell::detect(Some("fish"), Some("f.fish"), Some("/bin/bash")),
            Shell::Fish
        );
        // An interpreter is no shell: the name decides, then $SHELL. xonsh runs as python3
        // and names its process `xonsh`.
        assert_eq!(
            Shell::detect(Some("python3.11"), Some("zsh"), Some("/bin/bash")),
            Shell::Zsh
        );
        assert_eq!(
            Shell::detect(Some("python3.11"), Some("xonsh"), Some("/usr/bin/fish")),
            Shell::Xonsh
        );
        assert_eq!(
            Shell::detect(Some("python3.11"), Some("xonsh --no-rc -"), None),
            Shell::Xonsh
        );
        assert_eq!(
            Shell::detect(Some("python3.11"), Some("x.py"), Some("/usr/bin/fish")),
            Shell::Fish
        );
    }
}
