//! MFA serials, role ARNs and region names from the files and the command line: never
//! panic, and whatever passes is made of characters that are safe bare in a shell and on a
//! terminal (a region and a role ARN are exported; the serial is shown in the prompt).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::profile;

fn safe(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b":/+=,.@_-".contains(&b))
}

fuzz_target!(|text: &str| {
    if profile::is_mfa_arn(text) {
        assert!(safe(text) && text.starts_with("arn:"), "{text:?}");
    }
    if let Ok(serial) = profile::check_serial(text) {
        assert!(safe(serial) && !serial.is_empty(), "{text:?}");
        assert_eq!(serial, text.trim());
    }
    if profile::check_role_arn(text, "p").is_ok() {
        assert!(
            safe(text) && text.starts_with("arn:") && text.contains(":role/"),
            "{text:?}"
        );
        assert!(text.len() <= profile::MAX_ROLE_ARN);
    }
    if profile::is_region(text) {
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{text:?}"
        );
        assert!(text.len() <= 32);
    }
});
