//! The quoters, checked without a shell (the real shells check them in tests/quoting.rs):
//! each output decodes back to the value by the shell's own rules for single quotes, and
//! ends where the shell would end the word.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::shell::Shell;

/// POSIX: bare characters, `'...'` (no escapes inside), and `\c` outside quotes.
fn posix_unquote(word: &str) -> Option<String> {
    // zsh's EQUALS option expands a word that begins with a bare `=`.
    if word.starts_with('=') {
        return None;
    }
    let mut out = String::new();
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    c => out.push(c),
                }
            },
            '\\' => out.push(chars.next()?),
            // Outside quotes, only characters that mean nothing to bash and zsh.
            c if c.is_ascii_alphanumeric() || "_/,.+-=".contains(c) => out.push(c),
            _ => return None,
        }
    }
    Some(out)
}

/// fish: one `'...'` word in which only `\\` and `\'` are escapes.
fn fish_unquote(word: &str) -> Option<String> {
    let inner = word.strip_prefix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                e @ ('\\' | '\'') => out.push(e),
                other => {
                    out.push('\\');
                    out.push(other);
                }
            },
            // The closing quote must be the last character.
            '\'' => return chars.next().is_none().then_some(out),
            c => out.push(c),
        }
    }
    None
}

/// PowerShell: one single-quoted string; a quote character (' or U+2018..U+201B) followed
/// by another stands for the second.
fn powershell_unquote(word: &str) -> Option<String> {
    let is_quote = |c: char| matches!(c, '\'' | '\u{2018}'..='\u{201b}');
    let mut chars = word.chars().peekable();
    if !chars.next().is_some_and(is_quote) {
        return None;
    }
    let mut out = String::new();
    while let Some(c) = chars.next() {
        if is_quote(c) {
            match chars.peek() {
                Some(&next) if is_quote(next) => {
                    out.push(next);
                    chars.next();
                }
                _ => return chars.next().is_none().then_some(out),
            }
        } else {
            out.push(c);
        }
    }
    None
}

fuzz_target!(|value: &str| {
    if value.contains('\0') {
        return;
    }
    let posix = Shell::Bash.quote(value);
    assert_eq!(posix, Shell::Zsh.quote(value));
    assert_eq!(
        posix_unquote(&posix).as_deref(),
        Some(value),
        "bash {posix:?}"
    );
    let fish = Shell::Fish.quote(value);
    assert_eq!(fish_unquote(&fish).as_deref(), Some(value), "fish {fish:?}");
    // A run of backslashes before the closing quote is even: none escapes it.
    let trailing = fish[..fish.len() - 1]
        .bytes()
        .rev()
        .take_while(|b| *b == b'\\')
        .count();
    assert!(trailing % 2 == 0, "fish {fish:?}");
    let pwsh = Shell::Powershell.quote(value);
    assert_eq!(
        powershell_unquote(&pwsh).as_deref(),
        Some(value),
        "pwsh {pwsh:?}"
    );
    // A whole rendering is one line per statement outside of quoted newlines.
    for shell in [Shell::Bash, Shell::Fish, Shell::Powershell] {
        let text = shell
            .render(&[("A", value)], &["B"])
            .expect("bash, fish and PowerShell receive any value but NUL");
        assert!(text.ends_with('\n'));
    }
});
