//! `duration::parse` (`--duration`, `duration_seconds`): never panics; what it accepts is
//! digits and known units only, and a plain number is that many seconds.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mfa_env::duration;

fuzz_target!(|text: &str| {
    let Ok(d) = duration::parse(text) else {
        return;
    };
    let t = text.trim();
    assert!(t.bytes().all(|b| b.is_ascii_alphanumeric()), "{text:?}");
    if t.bytes().all(|b| b.is_ascii_digit()) {
        assert_eq!(Some(d.as_secs()), t.parse().ok(), "{text:?}");
    }
    let _ = duration::human(d);
    let _ = duration::check_range(
        d,
        Duration::from_secs(900),
        Duration::from_secs(129_600),
        "x",
    );
});
