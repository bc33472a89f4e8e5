//! `prompt::normalize_code` (the MFA code typed or given): never panics; what it returns is
//! six ASCII digits, and normalizing again changes nothing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::prompt::normalize_code;

fuzz_target!(|text: &str| {
    if let Some(code) = normalize_code(text) {
        assert!(
            code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
            "{text:?}"
        );
        assert_eq!(normalize_code(&code).as_deref(), Some(code.as_str()));
        assert!(text.contains(&code[..1]));
    }
});
