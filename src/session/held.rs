//! A session in a shell's environment: the variables export sets, and the session this shell
//! already holds, read back from them alone (no config file, no network). `status` shows it,
//! and `export` and `exec` keep it instead of asking for a code.
//!
//! Besides its keys, export records what the session is (profile, role, account, and the key
//! it was issued with): a request is answered by the held session only when all of it matches,
//! and keys another tool put in AWS_ACCESS_KEY_ID are not taken for the session's.

use std::time::Duration;

use crate::env::Env;
use crate::error::{Error, Result, printable};
use crate::profile::{
    REGION_MARKER, REGION_VARS, SAVED_REGION_VARS, is_region, own_region, own_region_var,
    saved_region_var,
};
use crate::sts::Session;
use crate::time;

/// The variables export sets, in the documented order: the session, its region, and what
/// the session is (read back by `Held`).
pub const SET: [&str; 14] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "MFA_ENV_PROFILE",
    "MFA_ENV_ROLE",
    "MFA_ENV_ACCOUNT",
    "MFA_ENV_ACCESS_KEY_ID",
    "MFA_ENV_MFA_SERIAL",
    "MFA_ENV_LONG_TERM_KEY_ID",
    REGION_MARKER,
];

/// Variables that export removes: a profile variable left behind makes some tools prefer the
/// profile's keys to the exported session; AWS_SECURITY_TOKEN is the old name of the token.
pub const UNSET: &[&str] = &["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"];

/// Each of SET with its value; MFA_ENV_ROLE, MFA_ENV_ACCOUNT and MFA_ENV_MFA_SERIAL are empty
/// when there is none, so that a new session replaces what an older one recorded.
pub fn variables(session: &Session, id: &Identity) -> [(&'static str, String); 14] {
    let expiration = time::rfc3339(session.expiration);
    let region = id.region.unwrap_or_default();
    let values = [
        session.access_key_id.clone(),
        session.secret_access_key.expose().to_owned(),
        session.session_token.expose().to_owned(),
        expiration.clone(),
        expiration,
        region.to_owned(),
        region.to_owned(),
        id.profile.to_owned(),
        id.role.unwrap_or_default().to_owned(),
        id.account.unwrap_or_default().to_owned(),
        session.access_key_id.clone(),
        id.serial.unwrap_or_default().to_owned(),
        id.key
            .map(|tail| format!("{KEY_MASK}{tail}"))
            .unwrap_or_default(),
        region.to_owned(),
    ];
    let mut values = values.into_iter();
    SET.map(|name| (name, values.next().unwrap_or_default()))
}

/// The statements of an export to a shell, made to keep the user's own region variables (set
/// by the user, not by an earlier export; see `own_region_var`), as the AWS tools let them win
/// over a profile's region. `set` is `variables`' list; `replace` says `--region` asked for
/// `region`.
///
/// - Where an own value names the session's region, or nothing asked to replace it, the user's
///   values stay (given back where an earlier `--region` had replaced them) and export writes
///   no region variable of its own: REGION_MARKER is empty, since a marker equal to a value of
///   the user's would make that value look like an export's. Region variables an earlier export
///   wrote are removed.
/// - Where `--region` names another region, it is written into both variables, and each own
///   value it replaces is kept aside (`saved_region_var`), for the next export and for `unset`.
///   Only a region name can be kept: another value is refused, before anything is printed.
pub fn keep_own_region<'a>(
    set: &mut Vec<(&'static str, &'a str)>,
    unset: &mut Vec<&'static str>,
    region: &str,
    replace: bool,
    env: &'a Env,
) -> Result<()> {
    let own = REGION_VARS.map(|name| (name, own_region_var(env, name)));
    let names_region = own
        .iter()
        .any(|(_, value)| value.is_some_and(|v| v.trim() == region));
    let any_own = own.iter().any(|(_, value)| value.is_some());
    let stays = names_region || (any_own && !replace);
    for (name, value) in own {
        let saved = saved_region_var(name);
        match value {
            Some(value) if stays => {
                set.retain(|(n, _)| *n != name);
                if env.get(name) != Some(value) {
                    set.push((name, value));
                }
            }
            Some(value) => {
                if !is_region(value) {
                    return Err(Error::new(format!(
                        "this shell's {name} is '{}', not a region name, and --region {region} would replace it",
                        printable(value)
                    ))
                    .hint(format!(
                        "drop --region to keep it, or set {name} to a region such as us-east-1 first"
                    )));
                }
                set.push((saved, value));
                continue;
            }
            None if stays => {
                set.retain(|(n, _)| *n != name);
                if env.get(name).is_some() {
                    unset.push(name);
                }
            }
            None => {}
        }
        if env.get(saved).is_some() {
            unset.push(saved);
        }
    }
    if stays {
        for (name, value) in set.iter_mut() {
            if *name == REGION_MARKER {
                *value = "";
            }
        }
    }
    Ok(())
}

/// The statements of `unset`: every variable export sets is removed, but the region variables
/// that are the user's own (`own_region_var`), which stay, given back where an export with
/// `--region` had replaced them.
pub fn unset_statements(env: &Env) -> (Vec<(&'static str, &str)>, Vec<&'static str>) {
    let mut set = Vec::new();
    let mut unset: Vec<&'static str> = SET
        .into_iter()
        .filter(|name| !REGION_VARS.contains(name))
        .collect();
    for name in REGION_VARS {
        match own_region_var(env, name) {
            Some(own) if env.get(name) != Some(own) => set.push((name, own)),
            Some(_) => {}
            None => unset.push(name),
        }
    }
    unset.extend(SAVED_REGION_VARS);
    (set, unset)
}

/// What a session is, besides its keys and its expiry: exported with it, and compared with
/// what a later request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity<'a> {
    /// MFA_ENV_PROFILE: the profile named on the command line.
    pub profile: &'a str,
    /// MFA_ENV_ROLE: the role assumed last, or none for an IAM user's own session
    /// (GetSessionToken).
    pub role: Option<&'a str>,
    /// MFA_ENV_ACCOUNT: the account the session acts in, as the ARNs say (the role's, else the
    /// MFA device's); none when no ARN names it (a hardware device's serial number).
    pub account: Option<&'a str>,
    /// AWS_REGION.
    pub region: Option<&'a str>,
    /// MFA_ENV_MFA_SERIAL: the MFA device whose code made the session (or the session it was
    /// assumed from); none without one.
    pub serial: Option<&'a str>,
    /// MFA_ENV_LONG_TERM_KEY_ID: the last four characters of the IAM user's long-term access
    /// key id the session comes from, exported masked as the AWS CLI shows a key
    /// (`****************0001`): enough to tell another or a rotated key, and no more of it.
    pub key: Option<&'a str>,
}

/// What stands for the rest of a masked long-term key id: an access key id has 20 characters.
const KEY_MASK: &str = "****************";

/// The last four characters of a long-term access key id, as `Identity::key` holds them;
/// None unless they are letters and digits, as IAM's are. The key id comes from the
/// credentials file unchecked (a local STS takes any), and what is exported must stay inert
/// in every shell, whichever reads it (SECURITY.md): another tail is not exported, and then no
/// held session is tied to it.
pub fn key_tail(access_key_id: &str) -> Option<&str> {
    let at = access_key_id
        .char_indices()
        .rev()
        .nth(3)
        .map_or(0, |(i, _)| i);
    let tail = &access_key_id[at..];
    tail.bytes()
        .all(|b| b.is_ascii_alphanumeric())
        .then_some(tail)
}

/// What `export` set in this shell, as far as the environment still shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held<'a> {
    pub id: Identity<'a>,
    /// AWS_ACCESS_KEY_ID, which is MFA_ENV_ACCESS_KEY_ID, the key the session was issued with.
    pub access_key_id: &'a str,
    /// AWS_CREDENTIAL_EXPIRATION, in seconds since the Unix epoch.
    pub expiration: i64,
    /// The secret and the token are there too: the session can be used as it is.
    pub complete: bool,
}

/// Why the environment holds no session (for a message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoSession {
    /// MFA_ENV_PROFILE, AWS_ACCESS_KEY_ID, MFA_ENV_ACCESS_KEY_ID or a readable
    /// AWS_CREDENTIAL_EXPIRATION is missing.
    Missing,
    /// AWS_ACCESS_KEY_ID is no longer the key the session was issued with: another tool (or
    /// the person) replaced the keys.
    Replaced,
}

impl<'a> Held<'a> {
    /// The session in `env`: MFA_ENV_PROFILE, AWS_ACCESS_KEY_ID equal to MFA_ENV_ACCESS_KEY_ID,
    /// and a readable AWS_CREDENTIAL_EXPIRATION.
    pub fn from_env(env: &'a Env) -> Option<Held<'a>> {
        Held::read(env).ok()
    }

    /// `from_env`, saying why there is none.
    pub fn read(env: &'a Env) -> Result<Held<'a>, NoSession> {
        let get = |name| env.get(name).ok_or(NoSession::Missing);
        let profile = get("MFA_ENV_PROFILE")?;
        let access_key_id = get("AWS_ACCESS_KEY_ID")?;
        let issued = get("MFA_ENV_ACCESS_KEY_ID")?;
        let expiration =
            time::parse_rfc3339(get("AWS_CREDENTIAL_EXPIRATION")?).ok_or(NoSession::Missing)?;
        if issued != access_key_id {
            return Err(NoSession::Replaced);
        }
        Ok(Held {
            id: Identity {
                profile,
                role: env.get("MFA_ENV_ROLE"),
                account: env.get("MFA_ENV_ACCOUNT"),
                // The region export wrote, else the user's own that it left in place.
                region: env
                    .get(REGION_MARKER)
                    .or_else(|| own_region(env).map(|(region, _)| region)),
                serial: env.get("MFA_ENV_MFA_SERIAL"),
                key: env
                    .get("MFA_ENV_LONG_TERM_KEY_ID")
                    .and_then(|masked| masked.strip_prefix(KEY_MASK)),
            },
            access_key_id,
            expiration,
            complete: env.get("AWS_SECRET_ACCESS_KEY").is_some()
                && env.get("AWS_SESSION_TOKEN").is_some(),
        })
    }

    /// The session itself, its secret and token from `env`, when all three are what STS
    /// sends, as export accepted them: nothing else goes into a request.
    pub fn session(&self, env: &Env) -> Option<Session> {
        let secret = env.get("AWS_SECRET_ACCESS_KEY")?;
        let token = env.get("AWS_SESSION_TOKEN")?;
        let like_sts = [
            ("AccessKeyId", self.access_key_id),
            ("SecretAccessKey", secret),
            ("SessionToken", token),
        ]
        .iter()
        .all(|(field, value)| crate::sts::unlike_sts(field, value).is_none());
        like_sts.then(|| Session {
            access_key_id: self.access_key_id.to_owned(),
            secret_access_key: crate::secret::Secret::new(secret),
            session_token: crate::secret::Secret::new(token),
            expiration: self.expiration,
        })
    }

    /// Seconds left at `now`; zero or less when it has expired.
    pub fn left(&self, now: i64) -> i64 {
        self.expiration - now
    }

    /// Whether this session answers a request for `want` with more than `min_ttl` left, and,
    /// when the request names a length, falls short of it by no more than `min_ttl`: the same
    /// margin, so that asking again for the length just obtained keeps the session (a second
    /// after it was opened, the whole length is no longer left).
    pub fn serves(
        &self,
        want: &Identity,
        min_ttl: Duration,
        at_least: Option<Duration>,
        now: i64,
    ) -> bool {
        let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        let left = self.left(now);
        self.complete
            && self.id == *want
            && left > secs(min_ttl)
            && at_least.is_none_or(|d| left.saturating_add(secs(min_ttl)) >= secs(d))
    }
}

/// The account of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`), when it names one.
pub fn account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    let account = match (parts.next(), parts.nth(3), parts.next()) {
        (Some("arn"), Some(account), Some(_)) => account,
        _ => return None,
    };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
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

    const ROLE: &str = "arn:aws:iam::210987654321:role/ReadOnly";

    const FULL: &[(&str, &str)] = &[
        ("MFA_ENV_PROFILE", "dev"),
        ("MFA_ENV_ROLE", ROLE),
        ("MFA_ENV_ACCOUNT", "210987654321"),
        ("MFA_ENV_ACCESS_KEY_ID", "ASIATESTSESSIONKEY01"),
        ("AWS_ACCESS_KEY_ID", "ASIATESTSESSIONKEY01"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
        ("AWS_SESSION_TOKEN", "t"),
        ("AWS_CREDENTIAL_EXPIRATION", "2099-01-02T03:04:05Z"),
        ("AWS_REGION", "eu-west-1"),
        ("MFA_ENV_MFA_SERIAL", "arn:aws:iam::123456789012:mfa/alice"),
        ("MFA_ENV_LONG_TERM_KEY_ID", "****************0001"),
        ("MFA_ENV_REGION", "eu-west-1"),
    ];

    const WANT: Identity = Identity {
        profile: "dev",
        role: Some(ROLE),
        account: Some("210987654321"),
        region: Some("eu-west-1"),
        serial: Some("arn:aws:iam::123456789012:mfa/alice"),
        key: Some("0001"),
    };

    fn with(pairs: &[(&'static str, &'static str)]) -> Env {
        let mut all = FULL.to_vec();
        all.extend_from_slice(pairs);
        env(&all)
    }

    #[test]
    fn read_from_the_environment() {
        let e = env(FULL);
        let held = Held::from_env(&e).unwrap();
        assert_eq!(held.id, WANT);
        assert_eq!(held.expiration, 4_071_006_245);
        assert!(held.complete);
        let now = held.expiration - 3600;
        let min = Duration::from_secs(600);
        assert!(held.serves(&WANT, min, None, now));
        for other in [
            Identity {
                region: Some("us-east-1"),
                ..WANT
            },
            Identity {
                profile: "prod",
                ..WANT
            },
            Identity { role: None, ..WANT },
            Identity {
                role: Some("arn:aws:iam::210987654321:role/Admin"),
                ..WANT
            },
            Identity {
                account: Some("123456789012"),
                ..WANT
            },
            Identity {
                serial: Some("arn:aws:iam::123456789012:mfa/bob"),
                ..WANT
            },
            Identity {
                key: Some("0002"),
                ..WANT
            },
            Identity { key: None, ..WANT },
        ] {
            assert!(!held.serves(&other, min, None, now), "{other:?}");
        }
        assert!(!held.serves(&WANT, Duration::from_secs(3600), None, now));
        assert!(held.serves(&WANT, Duration::from_secs(3599), None, now));
        // A length asked for explicitly: served only with that much left, but for min_ttl.
        let hour = Duration::from_secs(3600);
        assert!(held.serves(&WANT, min, Some(hour), now));
        assert!(held.serves(&WANT, min, Some(hour + min), now));
        assert!(!held.serves(&WANT, min, Some(hour + min + Duration::from_secs(1)), now));
    }

    #[test]
    fn a_session_without_a_role_or_account() {
        let e = with(&[("MFA_ENV_ROLE", ""), ("MFA_ENV_ACCOUNT", "")]);
        let held = Held::from_env(&e).unwrap();
        assert_eq!((held.id.role, held.id.account), (None, None));
    }

    #[test]
    fn none_without_the_variables() {
        for missing in [
            "MFA_ENV_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "MFA_ENV_ACCESS_KEY_ID",
            "AWS_CREDENTIAL_EXPIRATION",
        ] {
            let e = with(&[(missing, "")]);
            assert_eq!(Held::read(&e), Err(NoSession::Missing), "{missing}");
        }
        let e = with(&[("AWS_CREDENTIAL_EXPIRATION", "soon")]);
        assert_eq!(Held::read(&e), Err(NoSession::Missing));
        let e = with(&[("AWS_SESSION_TOKEN", "")]);
        let held = Held::from_env(&e).unwrap();
        assert!(!held.complete);
        assert!(!held.serves(&WANT, Duration::ZERO, None, 0));
    }

    #[test]
    fn keys_put_there_by_another_tool_are_not_the_session() {
        let e = with(&[("AWS_ACCESS_KEY_ID", "ASIAOTHERACCOUNT0001")]);
        assert_eq!(Held::read(&e), Err(NoSession::Replaced));
        assert_eq!(Held::from_env(&e), None);
    }

    #[test]
    fn accounts_of_arns() {
        for (arn, account) in [
            (ROLE, Some("210987654321")),
            ("arn:aws:iam::123456789012:mfa/alice", Some("123456789012")),
            ("arn:aws-cn:iam::123456789012:mfa/a:b", Some("123456789012")),
            ("GAHT12345678", None),
            ("arn:aws:iam::12345678901:mfa/alice", None),
            ("arn:aws:iam::1234567890ab:mfa/alice", None),
            ("arn:aws:iam::123456789012", None),
            ("", None),
        ] {
            assert_eq!(self::account(arn), account, "{arn}");
        }
    }

    #[test]
    fn a_long_term_key_is_recorded_by_its_last_four_characters() {
        assert_eq!(key_tail("AKIAEXAMPLEDEV00001"), Some("0001"));
        assert_eq!(key_tail("AKI"), Some("AKI"));
        // Only letters and digits are exported: the key id is the file's, unchecked.
        for odd in [
            "AKIA0'$(x)",
            "AKIA0`id`",
            "AKIA00\n01",
            "AKIA0É01",
            "AKIA0 01",
        ] {
            assert_eq!(key_tail(odd), None, "{odd:?}");
        }
        let e = with(&[("MFA_ENV_LONG_TERM_KEY_ID", "0001")]);
        assert_eq!(
            Held::from_env(&e).unwrap().id.key,
            None,
            "not the masked form"
        );
    }

    #[test]
    fn masks() {
        assert_eq!(mask("ASIATESTSESSIONKEY01"), "****************EY01");
        assert_eq!(mask("short"), "*****");
        assert_eq!(mask(""), "");
    }
}
