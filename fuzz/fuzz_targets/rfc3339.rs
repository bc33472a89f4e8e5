//! `time::parse_rfc3339` (expirations read back): never panics, and every time mfa-env
//! writes reads back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::time;

fuzz_target!(|input: (&str, i64)| {
    let (text, secs) = input;
    if let Some(t) = time::parse_rfc3339(text) {
        // Canonical input (whole seconds, Z) is what rfc3339 writes.
        if text.len() == 20 && text.ends_with('Z') && text.as_bytes()[10] == b'T' {
            let second = &text[17..19];
            if second != "60" {
                assert_eq!(time::rfc3339(t), text);
            }
        }
    }
    // Years 0000 to 9999, which the format can write.
    let secs = secs.rem_euclid(253_402_300_800);
    assert_eq!(time::parse_rfc3339(&time::rfc3339(secs)), Some(secs));
    let _ = time::clock(secs, 0);
});
