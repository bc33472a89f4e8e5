//! The data formats' quoters: `json_string` reads back through serde_json, `dotenv_quote`
//! through the double-quote rules of docker compose and python-dotenv (`\\`, `\"`, `\n`,
//! `\r`, and compose's `\$`), and neither ever writes a raw line break.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::format::{dotenv_quote, json_string};

/// Inside double quotes: a backslash escapes the next character, `n` and `r` standing for
/// newline and carriage return. None if the value does not end at the closing quote.
fn dotenv_unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                c @ ('\\' | '"' | '$') => out.push(c),
                _ => return None,
            },
            '"' => return chars.next().is_none().then_some(out),
            c => out.push(c),
        }
    }
    None
}

fuzz_target!(|value: &str| {
    let json = json_string(value);
    assert_eq!(
        serde_json::from_str::<String>(&json).ok().as_deref(),
        Some(value)
    );
    assert!(!json.contains(['\n', '\r']));
    let dotenv = dotenv_quote(value);
    assert_eq!(
        dotenv_unquote(&dotenv).as_deref(),
        Some(value),
        "{dotenv:?}"
    );
    assert!(!dotenv.contains(['\n', '\r']));
});
