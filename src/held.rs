//! The session this shell already holds, read from its environment alone: no config file, no
//! network. `status` shows it, and `export` and `exec` keep it instead of asking for a code.

use crate::env::Env;
use crate::time;

/// What `export` set in this shell, as far as the environment still shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held<'a> {
    /// MFA_ENV_PROFILE.
    pub profile: &'a str,
    /// AWS_ACCESS_KEY_ID.
    pub access_key_id: &'a str,
    /// AWS_CREDENTIAL_EXPIRATION, in seconds since the Unix epoch.
    pub expiration: i64,
    /// AWS_REGION, when set.
    pub region: Option<&'a str>,
    /// The secret and the token are there too: the session can be used as it is.
    pub complete: bool,
}

impl<'a> Held<'a> {
    /// The session in `env`: MFA_ENV_PROFILE, AWS_ACCESS_KEY_ID and a readable
    /// AWS_CREDENTIAL_EXPIRATION. Without any of them there is none (the variables were
    /// removed or replaced, or were never set by mfa-env).
    pub fn from_env(env: &'a Env) -> Option<Held<'a>> {
        let profile = env.get("MFA_ENV_PROFILE")?;
        let access_key_id = env.get("AWS_ACCESS_KEY_ID")?;
        let expiration = time::parse_rfc3339(env.get("AWS_CREDENTIAL_EXPIRATION")?)?;
        Some(Held {
            profile,
            access_key_id,
            expiration,
            region: env.get("AWS_REGION"),
            complete: env.get("AWS_SECRET_ACCESS_KEY").is_some()
                && env.get("AWS_SESSION_TOKEN").is_some(),
        })
    }

    /// Seconds left at `now`; zero or less when it has expired.
    pub fn left(&self, now: i64) -> i64 {
        self.expiration - now
    }

    /// Whether this session answers a request for `profile` (in `region`, when one was asked)
    /// with more than `min_ttl` seconds left.
    pub fn serves(&self, profile: &str, region: Option<&str>, min_ttl: u64, now: i64) -> bool {
        self.complete
            && self.profile == profile
            && region.is_none_or(|r| self.region == Some(r))
            && self.left(now) > i64::try_from(min_ttl).unwrap_or(i64::MAX)
    }
}

/// An access key id as the AWS CLI shows one (`aws configure list`): stars for all but the
/// last four characters.
pub fn mask(access_key_id: &str) -> String {
    let chars: Vec<char> = access_key_id.chars().collect();
    let keep = if chars.len() > 8 { 4 } else { 0 };
    let mut out = "*".repeat(chars.len() - keep);
    out.extend(&chars[chars.len() - keep..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&'static str, &'static str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    const FULL: &[(&str, &str)] = &[
        ("MFA_ENV_PROFILE", "dev"),
        ("AWS_ACCESS_KEY_ID", "ASIATESTSESSIONKEY01"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_SESSION_TOKEN", "t"),
        ("AWS_CREDENTIAL_EXPIRATION", "2099-01-02T03:04:05Z"),
        ("AWS_REGION", "eu-west-1"),
    ];

    #[test]
    fn read_from_the_environment() {
        let e = env(FULL);
        let held = Held::from_env(&e).unwrap();
        assert_eq!(held.profile, "dev");
        assert_eq!(held.expiration, 4_071_006_245);
        assert!(held.complete);
        let now = held.expiration - 3600;
        assert!(held.serves("dev", None, 600, now));
        assert!(held.serves("dev", Some("eu-west-1"), 600, now));
        assert!(!held.serves("dev", Some("us-east-1"), 600, now));
        assert!(!held.serves("prod", None, 600, now));
        assert!(!held.serves("dev", None, 3600, now));
        assert!(held.serves("dev", None, 3599, now));
    }

    #[test]
    fn none_without_the_variables() {
        for missing in [
            "MFA_ENV_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "AWS_CREDENTIAL_EXPIRATION",
        ] {
            let pairs: Vec<_> = FULL
                .iter()
                .copied()
                .filter(|(k, _)| *k != missing)
                .collect();
            assert_eq!(Held::from_env(&env(&pairs)), None, "{missing}");
        }
        let mut pairs = FULL.to_vec();
        pairs.push(("AWS_CREDENTIAL_EXPIRATION", "soon"));
        assert_eq!(Held::from_env(&env(&pairs)), None);
        let pairs: Vec<_> = FULL
            .iter()
            .copied()
            .filter(|(k, _)| *k != "AWS_SESSION_TOKEN")
            .collect();
        let e = env(&pairs);
        let held = Held::from_env(&e).unwrap();
        assert!(!held.complete);
        assert!(!held.serves("dev", None, 0, 0));
    }

    #[test]
    fn masks() {
        assert_eq!(mask("ASIATESTSESSIONKEY01"), "****************EY01");
        assert_eq!(mask("short"), "*****");
        assert_eq!(mask(""), "");
    }
}
