//! What we read from STS error bodies ourselves (`error_from_xml`, for moto-style wrapped
//! errors) and how server text is shown (`error::printable`): never panic; nothing shown
//! holds a control character that could drive the terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::error::{Error, printable};
use mfa_env::fuzzing::error_from_xml;

fuzz_target!(|body: &str| {
    if let Some((code, message)) = error_from_xml(body) {
        assert!(!code.is_empty() && code.len() < 100);
        let shown = Error::new(format!("{code}: {message}"))
            .hint(body)
            .to_string();
        assert!(
            shown
                .chars()
                .all(|c| !c.is_control() || c == '\n' || c == '\t'),
            "{shown:?}"
        );
    }
    let p = printable(body);
    assert!(p.chars().all(|c| !c.is_control() || c == '\t'), "{p:?}");
});
