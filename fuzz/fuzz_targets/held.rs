//! The environment `status`, `export` and `exec` read back (MFA_ENV_PROFILE,
//! AWS_ACCESS_KEY_ID, AWS_CREDENTIAL_EXPIRATION, AWS_REGION, ...): never panics, whatever a
//! shell holds; what it reads is what the variables say.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::Env;
use mfa_env::fuzzing::{Held, mask};

fuzz_target!(|input: (&str, &str, &str, &str, bool, i64, u64)| {
    let (profile, key, expiration, region, complete, now, min_ttl) = input;
    let (secret, token) = if complete { ("s", "t") } else { ("", "") };
    let env = Env::from_pairs([
        ("MFA_ENV_PROFILE", profile),
        ("AWS_ACCESS_KEY_ID", key),
        ("AWS_CREDENTIAL_EXPIRATION", expiration),
        ("AWS_REGION", region),
        ("AWS_SECRET_ACCESS_KEY", secret),
        ("AWS_SESSION_TOKEN", token),
    ]);
    // Times a process can see: within a few thousand years of 1970.
    let now = now % 100_000_000_000;
    if let Some(held) = Held::from_env(&env) {
        assert_eq!(held.profile, profile);
        assert_eq!(held.access_key_id, key);
        assert_eq!(held.complete, complete);
        let _ = held.left(now);
        let _ = held.serves(profile, Some(region), min_ttl, now);
        let _ = held.serves(profile, None, min_ttl, now);
    }
    let masked = mask(key);
    assert_eq!(masked.chars().count(), key.chars().count());
    // At most the last four characters show, and only of a key longer than 8.
    let shown = masked.chars().filter(|c| *c != '*').count();
    assert!(shown <= 4);
});
