//! The environment `status`, `export` and `exec` read back (MFA_ENV_PROFILE, MFA_ENV_ROLE,
//! MFA_ENV_ACCOUNT, MFA_ENV_ACCESS_KEY_ID, AWS_ACCESS_KEY_ID, AWS_CREDENTIAL_EXPIRATION,
//! AWS_REGION, ...): never panics, whatever a shell holds; what it reads is what the variables
//! say, and keys other than the ones the session was issued with are no session.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use mfa_env::Env;
use mfa_env::fuzzing::{Held, Identity, account, mask};

fuzz_target!(
    |input: ((&str, &str, &str, &str), (&str, &str, &str), bool, i64, (u64, Option<u64>))| {
        let ((profile, role, acct, issued), (key, expiration, region), complete, now, ttl) = input;
        let (secret, token) = if complete { ("s", "t") } else { ("", "") };
        let env = Env::from_pairs([
            ("MFA_ENV_PROFILE", profile),
            ("MFA_ENV_ROLE", role),
            ("MFA_ENV_ACCOUNT", acct),
            ("MFA_ENV_ACCESS_KEY_ID", issued),
            ("AWS_ACCESS_KEY_ID", key),
            ("AWS_CREDENTIAL_EXPIRATION", expiration),
            ("AWS_REGION", region),
            ("AWS_SECRET_ACCESS_KEY", secret),
            ("AWS_SESSION_TOKEN", token),
        ]);
        // Times a process can see: within a few thousand years of 1970.
        let now = now % 100_000_000_000;
        let (min_ttl, at_least) = (Duration::from_secs(ttl.0), ttl.1.map(Duration::from_secs));
        if let Some(held) = Held::from_env(&env) {
            assert_eq!(held.id.profile, profile);
            assert_eq!(held.access_key_id, key);
            assert_eq!(held.access_key_id, issued);
            assert_eq!(held.id.role.unwrap_or_default(), role);
            assert_eq!(held.id.account.unwrap_or_default(), acct);
            assert_eq!(held.complete, complete);
            let _ = held.left(now);
            let want = held.id;
            let _ = held.serves(&want, min_ttl, at_least, now);
            let other = Identity {
                role: None,
                ..want
            };
            if want.role.is_some() {
                assert!(!held.serves(&other, min_ttl, at_least, now));
            }
        } else {
            assert!(
                profile.is_empty()
                    || key.is_empty()
                    || key != issued
                    || mfa_env::time::parse_rfc3339(expiration).is_none()
            );
        }
        let _ = account(role);
        let masked = mask(key);
        assert_eq!(masked.chars().count(), key.chars().count());
        // At most the last four characters show, and only of a key longer than 8.
        let shown = masked.chars().filter(|c| *c != '*').count();
        assert!(shown <= 4);
    }
);
