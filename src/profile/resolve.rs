//! A profile resolved down to the keys that sign the first call, the roles assumed with
//! them, the region and the endpoint.

use std::time::Duration;

use super::chain;
use super::check::{check_profile_name, check_role_arn, check_serial, is_region};
use super::endpoint::{Endpoint, endpoint};
use super::{Key, Profile, Profiles};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The long-term keys of an IAM user.
#[derive(Debug, Clone)]
pub struct LongTermKeys {
    /// The profile they are in, to name in messages.
    pub profile: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Where they came from.
    pub from: KeyFrom,
}

/// Where a profile's key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFrom {
    /// `aws_access_key_id` and `aws_secret_access_key` in the files.
    Lines,
    /// The OS keyring, through the profile's `credential_process = mfa-env keys print PROFILE`.
    Keyring,
    /// The profile's `credential_process` (this command line); a session when it gave a
    /// token (usable for AssumeRole only).
    Process {
        command: String,
        session_token: Option<Secret>,
    },
}

impl LongTermKeys {
    /// The session token, when a credential_process gave a session instead of a key.
    pub fn session_token(&self) -> Option<&Secret> {
        match &self.from {
            KeyFrom::Process { session_token, .. } => session_token.as_ref(),
            _ => None,
        }
    }
}

/// Where a profile's key is to be had: the key lines of the files (read already), or its
/// `credential_process` (not run yet: that is for the caller, above this layer).
#[derive(Debug, Clone)]
pub enum KeySource {
    Lines(LongTermKeys),
    Process {
        /// The profile whose line it is.
        profile: String,
        command: String,
    },
}

/// What the command line can override.
#[derive(Debug, Default, Clone)]
pub struct Overrides<'a> {
    pub region: Option<&'a str>,
    pub serial_number: Option<&'a str>,
    /// `--role-arn`: one more role to assume, on top of what the profile does.
    pub role_arn: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub role_session_name: Option<&'a str>,
}

/// One AssumeRole call of a chain.
#[derive(Debug, Clone)]
pub struct Role {
    /// The profile that names the role (or `--role-arn`).
    pub profile: String,
    pub arn: String,
    pub session_name: String,
    pub external_id: Option<String>,
    /// The role profile's mfa_serial, else its source profile's.
    pub mfa_serial: Option<String>,
}

/// A profile resolved down to the keys that sign the first call.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub name: String,
    /// The keys at the end of the source_profile chain.
    pub keys: LongTermKeys,
    /// The profile that holds them.
    pub keys_profile: String,
    /// Roles to assume in order; none means GetSessionToken.
    pub roles: Vec<Role>,
    /// For GetSessionToken: `--serial-number`, else the profile's mfa_serial.
    pub mfa_serial: Option<String>,
    pub region: String,
    /// Where STS is.
    pub endpoint: Endpoint,
    /// The named profile's `duration_seconds`.
    pub duration: Option<Duration>,
}

impl Resolved {
    /// The call that takes the MFA code: `(index of the role, serial)`, or `None` for
    /// GetSessionToken's serial. A chain uses the code on the first call that needs it.
    pub fn mfa_role(&self) -> Option<(usize, &str)> {
        self.roles
            .iter()
            .enumerate()
            .find_map(|(i, r)| r.mfa_serial.as_deref().map(|s| (i, s)))
    }
}

const UNSUPPORTED: &[(Key, &str)] = &[
    (
        Key::CredentialSource,
        "its keys come from credential_source",
    ),
    (
        Key::SsoSession,
        "it signs in with IAM Identity Center (SSO)",
    ),
    (
        Key::SsoStartUrl,
        "it signs in with IAM Identity Center (SSO)",
    ),
    (Key::WebIdentityTokenFile, "it uses a web identity token"),
];

/// A profile and its `source_profile` chain down to the profile that holds the keys: the
/// one walk from a profile to its keys, region and endpoint, which a session (`resolve`),
/// `setup` and `doctor` share.
#[derive(Debug, Clone)]
pub struct Chain<'a> {
    /// From the named profile to the one that holds the keys; a profile that assumes no
    /// role is a chain of one.
    pub profiles: Vec<Profile<'a>>,
}

impl<'a> Chain<'a> {
    pub fn follow(profiles: &'a Profiles, name: &str) -> Result<Chain<'a>> {
        // The named profile's own error says what is missing and what is near.
        profiles.get(name)?;
        let profiles = chain::walk(|n| profiles.find(n), name)?;
        Ok(Chain { profiles })
    }

    /// The profile named.
    pub fn named(&self) -> &Profile<'a> {
        &self.profiles[0]
    }

    /// The profile that holds the keys.
    pub fn holder(&self) -> &Profile<'a> {
        self.profiles
            .last()
            .expect("a chain holds the named profile")
    }

    pub fn names(&self) -> Vec<&'a str> {
        self.profiles.iter().map(|p| p.name()).collect()
    }

    /// The long-term keys that sign the first call, from the files' key lines.
    pub fn keys(&self) -> Result<LongTermKeys> {
        long_term_keys(self.holder())
    }

    /// Where the keys that sign the first call are to be had (see [`key_source`]).
    pub fn key_source(&self) -> Result<KeySource> {
        key_source(self.holder())
    }

    /// The MFA device a session is opened with (see [`chain::serial`]).
    pub fn serial(&self) -> Option<&'a str> {
        chain::serial(&self.profiles)
    }

    /// The profile along the chain, other than the named one, whose mfa_serial `serial` is.
    pub fn serial_from(&self, serial: &str) -> Option<&'a str> {
        let serial = serial.trim();
        self.profiles
            .iter()
            .find(|p| p.get(Key::MfaSerial).map(str::trim) == Some(serial))
            .map(|p| p.name())
            .filter(|from| *from != self.named().name())
    }

    /// The region: `--region`, else the first along the chain (see [`region`]).
    pub fn region(&self, cli: Option<&str>, env: &Env) -> Result<String> {
        region(cli, &self.profiles, env)
    }

    /// Where a service's calls go, by the named profile (see [`endpoint`]).
    pub fn endpoint(&self, env: &Env, service: &str, env_suffix: &str) -> Result<Endpoint> {
        endpoint(self.named(), env, service, env_suffix)
    }
}

/// Follow `source_profile` from `name` to the profile that holds the keys, and describe each
/// AssumeRole on the way back; keys only from the files' key lines (see `resolve_with`).
pub fn resolve(profiles: &Profiles, name: &str, env: &Env, over: &Overrides) -> Result<Resolved> {
    resolve_with(profiles, name, env, over, &mut |source| match source {
        KeySource::Lines(keys) => Ok(keys),
        KeySource::Process { profile, .. } => Err(Error::new(format!(
            "profile '{profile}' gets its keys from credential_process, which is not run here"
        ))),
    })
}

/// `resolve`, the keys from where the profile that holds them says: `load` turns a
/// credential_process into keys (it runs the process, or reads the keyring; see `keys`).
pub fn resolve_with(
    profiles: &Profiles,
    name: &str,
    env: &Env,
    over: &Overrides,
    load: &mut dyn FnMut(KeySource) -> Result<LongTermKeys>,
) -> Result<Resolved> {
    check_profile_name(name)?;
    let walk = Chain::follow(profiles, name)?;
    let keys = load(walk.key_source()?)?;
    let chain = &walk.profiles;

    // Roles in the order they are assumed: from the keys' end of the chain to the named one.
    let mut roles = Vec::new();
    for (i, profile) in chain.iter().enumerate().rev() {
        let Some(arn) = profile.get(Key::RoleArn) else {
            continue;
        };
        roles.push(Role {
            profile: profile.name().to_owned(),
            arn: arn.trim().to_owned(),
            session_name: session_name(profile.get(Key::RoleSessionName), env)?,
            external_id: profile.get(Key::ExternalId).map(|s| s.trim().to_owned()),
            mfa_serial: chain::role_serial(chain, i)
                .map(|s| check_serial(s).map(str::to_owned))
                .transpose()?,
        });
    }
    if let Some(arn) = over.role_arn {
        let source = walk.named();
        roles.push(Role {
            profile: name.to_owned(),
            arn: arn.trim().to_owned(),
            session_name: session_name(over.role_session_name, env)?,
            external_id: over.external_id.map(str::to_owned),
            mfa_serial: source
                .get(Key::MfaSerial)
                .map(|s| check_serial(s).map(str::to_owned))
                .transpose()?,
        });
    } else if let Some(last) = roles.last_mut() {
        if let Some(n) = over.role_session_name {
            last.session_name = session_name(Some(n), env)?;
        }
        if let Some(id) = over.external_id {
            last.external_id = Some(id.to_owned());
        }
    } else {
        refuse_role_flags_without_a_role(over, name)?;
    }
    let flag = over.role_arn.map(|_| roles.len() - 1);
    for (i, role) in roles.iter().enumerate() {
        let from = if Some(i) == flag {
            "from --role-arn on the command line".to_owned()
        } else {
            format!("role_arn of profile '{}'", role.profile)
        };
        check_role_arn(&role.arn, &from)?;
    }

    let named = walk.named();
    let mut mfa_serial = named.get(Key::MfaSerial).map(str::to_owned);
    if let Some(serial) = over.serial_number {
        let serial = check_serial(serial)?.to_owned();
        // The flag names the device for the call that takes the code.
        let target = roles
            .iter()
            .position(|r| r.mfa_serial.is_some())
            .or((!roles.is_empty()).then_some(0));
        match target {
            Some(i) => roles[i].mfa_serial = Some(serial),
            None => mfa_serial = Some(serial),
        }
    }
    if roles.is_empty() {
        match &mfa_serial {
            Some(serial) => mfa_serial = Some(check_serial(serial)?.to_owned()),
            None => {
                return Err(Error::new(format!(
                    "profile '{name}' has no mfa_serial: mfa-env needs the ARN of your MFA device"
                ))
                .hint(format!(
                    "run `mfa-env setup {name}`: it asks IAM for the device and writes it; or add `mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME` under [{}] in {} (IAM console > Users > Security credentials > Assigned MFA device), or pass --serial-number ARN",
                    section_name(name),
                    profiles.config.path.display()
                )));
            }
        }
    }
    let region = walk.region(over.region, env)?;
    let endpoint = walk.endpoint(env, "sts", "STS")?;
    let duration = match named.get(Key::DurationSeconds) {
        Some(text) => Some(duration::parse(text).map_err(|e| {
            Error::new(format!(
                "profile '{name}' has duration_seconds = {text}: {e}"
            ))
            .hint("duration_seconds is a number of seconds, such as 3600")
        })?),
        None => None,
    };
    Ok(Resolved {
        name: name.to_owned(),
        keys,
        keys_profile: walk.holder().name().to_owned(),
        roles,
        mfa_serial,
        region,
        endpoint,
        duration,
    })
}

/// `role_session_name`, else `mfa-env-<local user>` (see `Env::user`), in the characters STS allows
/// (`[A-Za-z0-9_+=,.@-]`, 2 to 64 of them).
fn session_name(configured: Option<&str>, env: &Env) -> Result<String> {
    if let Some(name) = configured {
        let name = name.trim();
        let valid = (2..=64).contains(&name.len()) && name.bytes().all(session_name_byte);
        if !valid {
            return Err(Error::new(format!(
                "role_session_name '{name}' is not a valid session name"
            ))
            .hint("use 2 to 64 letters, digits and _+=,.@- characters"));
        }
        return Ok(name.to_owned());
    }
    let user = env.user().unwrap_or_else(|| "user".to_owned());
    let name: String = format!("mfa-env-{user}")
        .bytes()
        .filter(|b| session_name_byte(*b))
        .take(64)
        .map(char::from)
        .collect();
    Ok(name)
}

fn session_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b)
}

/// `--external-id` and `--role-session-name` describe an AssumeRole call; GetSessionToken
/// takes neither, so for a profile without a role they would be dropped without a word, and
/// a person who expected a role would get the user's own session. Refuse them instead.
fn refuse_role_flags_without_a_role(over: &Overrides, name: &str) -> Result<()> {
    let flags: Vec<&str> = [
        over.external_id.map(|_| "--external-id"),
        over.role_session_name.map(|_| "--role-session-name"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if flags.is_empty() {
        return Ok(());
    }
    let (flags, are) = match flags.as_slice() {
        [one] => ((*one).to_owned(), "is"),
        _ => (flags.join(" and "), "are"),
    };
    Err(Error::new(format!(
        "{flags} {are} for assuming a role, and profile '{name}' assumes none (no role_arn, no --role-arn)"
    ))
    .hint(
        "add --role-arn ARN to assume that role with the profile's keys, or name a profile that has role_arn",
    ))
}

pub fn section_name(name: &str) -> String {
    if name == "default" {
        "default".into()
    } else {
        format!("profile {name}")
    }
}

/// Why a profile that gets its credentials another way is not for mfa-env, if it does.
pub fn unsupported(profile: &Profile) -> Option<Error> {
    UNSUPPORTED
        .iter()
        .find(|(key, _)| profile.get(*key).is_some())
        .map(|(_, why)| {
            Error::new(format!(
                "profile '{}' is not supported by mfa-env: {why}",
                profile.name()
            ))
            .hint("mfa-env works with an IAM user's long-term keys (aws_access_key_id) and mfa_serial, and with roles whose source_profile chain ends at such keys")
        })
}

/// Where `profile`'s keys are: its key lines, else its credential_process (as the AWS CLI
/// reads a profile, the key lines first).
pub fn key_source(profile: &Profile) -> Result<KeySource> {
    let lines =
        profile.get(Key::AccessKeyId).is_some() || profile.get(Key::SecretAccessKey).is_some();
    match profile.get(Key::CredentialProcess) {
        Some(command) if !lines => Ok(KeySource::Process {
            profile: profile.name().to_owned(),
            command: command.trim().to_owned(),
        }),
        _ => long_term_keys(profile).map(KeySource::Lines),
    }
}

pub fn long_term_keys(profile: &Profile) -> Result<LongTermKeys> {
    let name = profile.name();
    let id = profile.get(Key::AccessKeyId);
    let secret = profile.get(Key::SecretAccessKey);
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id.trim(), secret.trim()),
        (None, None) => {
            if let Some(err) = unsupported(profile) {
                return Err(err);
            }
            return Err(Error::new(format!(
                "profile '{name}' has no long-term keys (aws_access_key_id and aws_secret_access_key) in {}",
                profile.files().credentials.path.display()
            ))
            .hint(format!("add them with `aws configure --profile {name}`")));
        }
        (Some(_), None) | (None, Some(_)) => {
            let missing = if id.is_none() {
                "aws_access_key_id"
            } else {
                "aws_secret_access_key"
            };
            return Err(
                Error::new(format!("profile '{name}' has no {missing}")).hint(format!(
                    "set both keys with `aws configure --profile {name}`"
                )),
            );
        }
    };
    if profile.get(Key::SessionToken).is_some() || id.starts_with("ASIA") {
        return Err(Error::new(format!(
            "profile '{name}' holds temporary session credentials, and GetSessionToken cannot be called with session credentials"
        ))
        .hint(format!(
            "put the IAM user's long-term keys (they start with AKIA) in profile '{name}', e.g. with `aws configure --profile {name}`"
        )));
    }
    Ok(LongTermKeys {
        profile: name.to_owned(),
        access_key_id: id.to_owned(),
        secret_access_key: Secret::new(secret),
        from: KeyFrom::Lines,
    })
}

/// The marker export sets beside AWS_REGION and AWS_DEFAULT_REGION: the region it wrote into
/// them, or empty when it left them as they were, the user's own.
pub const REGION_MARKER: &str = "MFA_ENV_REGION";

/// The region variables, in the order the AWS SDKs and the AWS CLI v2 read them.
pub const REGION_VARS: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// Where an export that replaced a user's own region variable (`--region`) keeps that value,
/// for the next export and for `unset`, which give it back: `MFA_ENV_OWN_` and the variable's
/// name. Only a region name is kept (checked when kept and when read back).
pub const SAVED_REGION_VARS: [&str; 2] =
    ["MFA_ENV_OWN_AWS_REGION", "MFA_ENV_OWN_AWS_DEFAULT_REGION"];

/// The variable that keeps `name`'s own value (`SAVED_REGION_VARS`).
pub fn saved_region_var(name: &str) -> &'static str {
    if name == REGION_VARS[0] {
        SAVED_REGION_VARS[0]
    } else {
        SAVED_REGION_VARS[1]
    }
}

/// A region variable's value when it is the user's own: not the region an earlier export wrote
/// there (REGION_MARKER), or, where an export replaced the user's value, the one it kept aside.
/// A variable the user removed has no own value, whatever was kept.
pub fn own_region_var<'e>(env: &'e Env, name: &str) -> Option<&'e str> {
    let value = env.get(name)?;
    if env.get(REGION_MARKER) != Some(value) {
        return Some(value);
    }
    env.get(saved_region_var(name))
        .filter(|kept| is_region(kept))
}

/// The user's own region and the variable it is in: AWS_REGION, else AWS_DEFAULT_REGION.
pub fn own_region(env: &Env) -> Option<(&str, &'static str)> {
    REGION_VARS
        .into_iter()
        .find_map(|name| own_region_var(env, name).map(|value| (value, name)))
}

/// The region: `--region`, the user's own AWS_REGION, else AWS_DEFAULT_REGION (the variables
/// win over the files, as in the AWS SDKs and CLI; a region an earlier export wrote there is
/// not the user's, see `own_region`), the first `region` along the profile chain (the role
/// profile, then its source), us-east-1.
pub fn region(cli: Option<&str>, chain: &[Profile], env: &Env) -> Result<String> {
    let from_profile = chain.iter().find_map(|p| {
        p.get(Key::Region)
            .map(|r| (r, format!("the region of profile '{}'", p.name())))
    });
    let (region, from) = if let Some(r) = cli {
        (r, "--region".to_owned())
    } else if let Some((r, name)) = own_region(env) {
        (r, name.to_owned())
    } else if let Some(found) = from_profile {
        found
    } else {
        ("us-east-1", String::new())
    };
    let region = region.trim();
    if !is_region(region) {
        return Err(
            Error::new(format!("'{region}' from {from} is not an AWS region name"))
                .hint("regions look like us-east-1 or eu-west-2"),
        );
    }
    Ok(region.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profiles(config: &str, credentials: &str) -> Profiles {
        Profiles::from_texts(config, credentials).unwrap()
    }

    #[test]
    fn both_files_merge_and_endpoints_follow_aws_precedence() {
        let p = profiles(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\nservices = local\nendpoint_url = https://global\n[services local]\nsts =\n  endpoint_url = https://sts-only\n",
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        );
        let endpoint = |env: &[(&str, &str)]| {
            let env = Env::from_pairs(env.iter().copied());
            let r = resolve(&p, "dev", &env, &Overrides::default()).unwrap();
            (r.endpoint.url, r.endpoint.from)
        };
        let r = resolve(&p, "dev", &Env::default(), &Overrides::default()).unwrap();
        assert_eq!(r.keys.access_key_id, "AKIAEXAMPLE");
        assert_eq!(r.keys.secret_access_key.expose(), "secret");
        assert_eq!(r.region, "eu-west-1");
        let some = |url: &str, from: &str| (Some(url.to_owned()), Some(from.to_owned()));
        assert_eq!(
            endpoint(&[]),
            some(
                "https://sts-only",
                "the sts endpoint_url of [services local]"
            )
        );
        assert_eq!(
            endpoint(&[("AWS_ENDPOINT_URL", "https://env-global")]),
            some("https://env-global", "AWS_ENDPOINT_URL")
        );
        assert_eq!(
            endpoint(&[
                ("AWS_ENDPOINT_URL", "https://g"),
                ("AWS_ENDPOINT_URL_STS", "https://s")
            ]),
            some("https://s", "AWS_ENDPOINT_URL_STS")
        );
        assert_eq!(
            endpoint(&[
                ("AWS_ENDPOINT_URL", "https://g"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ]),
            (None, None)
        );
        let p = profiles(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nendpoint_url = https://own\n",
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        );
        let r = resolve(&p, "dev", &Env::default(), &Overrides::default()).unwrap();
        assert_eq!(
            r.endpoint.notice("STS", "https://own").as_deref(),
            Some("using STS endpoint https://own (from endpoint_url of profile 'dev')")
        );
    }

    #[test]
    fn region_precedence() {
        let p = profiles(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        );
        let resolve_with = |env: &[(&str, &str)], cli: Option<&str>| {
            let over = Overrides {
                region: cli,
                ..Overrides::default()
            };
            resolve(&p, "dev", &Env::from_pairs(env.iter().copied()), &over).map(|r| r.region)
        };
        assert_eq!(resolve_with(&[], None).unwrap(), "us-east-1");
        assert_eq!(
            resolve_with(&[("AWS_DEFAULT_REGION", "eu-west-3")], None).unwrap(),
            "eu-west-3"
        );
        assert_eq!(
            resolve_with(
                &[
                    ("AWS_DEFAULT_REGION", "eu-west-3"),
                    ("AWS_REGION", "eu-west-2")
                ],
                None
            )
            .unwrap(),
            "eu-west-2"
        );
        assert_eq!(
            resolve_with(&[("AWS_REGION", "eu-west-2")], Some("ap-south-1")).unwrap(),
            "ap-south-1"
        );
        assert!(resolve_with(&[("AWS_REGION", "x; rm -rf /")], None).is_err());
        // The variables win over the profile's region, as in the AWS SDKs and CLI; the one an
        // earlier export wrote (MFA_ENV_REGION) is not the user's.
        let p = profiles(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n",
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        );
        let resolve_with = |env: &[(&str, &str)]| {
            let env = Env::from_pairs(env.iter().copied());
            resolve(&p, "dev", &env, &Overrides::default()).map(|r| r.region)
        };
        for (env, region) in [
            (&[][..], "eu-west-1"),
            (&[("AWS_REGION", "ap-south-1")][..], "ap-south-1"),
            (&[("AWS_DEFAULT_REGION", "eu-west-3")][..], "eu-west-3"),
            (
                &[("AWS_REGION", "us-east-2"), ("MFA_ENV_REGION", "us-east-2")][..],
                "eu-west-1",
            ),
            (
                &[
                    ("AWS_REGION", "us-east-2"),
                    ("AWS_DEFAULT_REGION", "ca-central-1"),
                    ("MFA_ENV_REGION", "us-east-2"),
                ][..],
                "ca-central-1",
            ),
            (
                &[
                    ("AWS_REGION", "ap-south-1"),
                    ("MFA_ENV_REGION", "us-east-2"),
                ][..],
                "ap-south-1",
            ),
        ] {
            assert_eq!(resolve_with(env).unwrap(), region, "{env:?}");
        }
    }

    const CHAIN: &str = "\
[profile dev]
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = eu-west-1
[profile admin]
role_arn = arn:aws:iam::210987654321:role/Admin
source_profile = dev
external_id = ext-1
role_session_name = alice
[profile deep]
role_arn = arn:aws:iam::333333333333:role/Deep
source_profile = admin
region = ap-south-1
[profile loop-a]
role_arn = arn:aws:iam::210987654321:role/A
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::210987654321:role/B
source_profile = loop-a
[profile self]
role_arn = arn:aws:iam::210987654321:role/Self
source_profile = self
aws_access_key_id = AKIASELF
aws_secret_access_key = s
[profile orphan]
role_arn = arn:aws:iam::210987654321:role/O
source_profile = nowhere
[profile ec2]
role_arn = arn:aws:iam::210987654321:role/E
credential_source = Ec2InstanceMetadata
";

    fn chain_profiles() -> Profiles {
        profiles(
            CHAIN,
            "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = secret\n",
        )
    }

    fn env() -> Env {
        Env::from_pairs([("USER", "bob smith!")])
    }

    #[test]
    fn a_role_chain_is_assumed_from_the_keys_outwards() {
        let r = resolve(&chain_profiles(), "deep", &env(), &Overrides::default()).unwrap();
        assert_eq!(r.keys.access_key_id, "AKIADEV");
        assert_eq!(r.keys_profile, "dev");
        let arns: Vec<&str> = r.roles.iter().map(|r| r.arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                "arn:aws:iam::210987654321:role/Admin",
                "arn:aws:iam::333333333333:role/Deep"
            ]
        );
        // admin takes its source's device; deep's source (admin) has none of its own.
        assert_eq!(
            r.roles[0].mfa_serial.as_deref(),
            Some("arn:aws:iam::123456789012:mfa/alice")
        );
        assert_eq!(r.roles[1].mfa_serial, None);
        assert_eq!(r.mfa_role().map(|(i, _)| i), Some(0));
        assert_eq!(r.roles[0].session_name, "alice");
        assert_eq!(r.roles[0].external_id.as_deref(), Some("ext-1"));
        assert_eq!(r.roles[1].session_name, "mfa-env-bobsmith");
        assert_eq!(r.region, "ap-south-1");
        let r = resolve(&chain_profiles(), "admin", &env(), &Overrides::default()).unwrap();
        assert_eq!(r.region, "eu-west-1", "the source profile's region");
    }

    #[test]
    fn one_walk_gives_the_keys_the_region_and_the_device() {
        let p = chain_profiles();
        let chain = Chain::follow(&p, "deep").unwrap();
        assert_eq!(chain.names(), ["deep", "admin", "dev"]);
        assert_eq!(chain.holder().name(), "dev");
        assert_eq!(chain.keys().unwrap().access_key_id, "AKIADEV");
        assert_eq!(chain.region(None, &env()).unwrap(), "ap-south-1");
        assert_eq!(
            chain.region(Some("eu-west-3"), &env()).unwrap(),
            "eu-west-3"
        );
        let alice = "arn:aws:iam::123456789012:mfa/alice";
        assert_eq!(chain.serial(), Some(alice));
        assert_eq!(chain.serial_from(alice), Some("dev"));
        // The named profile's own device is from no other profile.
        assert_eq!(Chain::follow(&p, "dev").unwrap().serial_from(alice), None);
        assert!(Chain::follow(&p, "nowhere").is_err());
    }

    #[test]
    fn chain_errors() {
        let p = chain_profiles();
        let err = |name| {
            resolve(&p, name, &env(), &Overrides::default())
                .unwrap_err()
                .to_string()
        };
        assert!(
            err("loop-a").contains("loop-a -> loop-b -> loop-a"),
            "{}",
            err("loop-a")
        );
        assert!(
            err("orphan").contains("'nowhere', which does not exist"),
            "{}",
            err("orphan")
        );
        assert!(err("ec2").contains("credential_source"), "{}", err("ec2"));
    }

    #[test]
    fn a_role_profile_may_use_its_own_keys() {
        let r = resolve(&chain_profiles(), "self", &env(), &Overrides::default()).unwrap();
        assert_eq!(r.keys.access_key_id, "AKIASELF");
        assert_eq!(r.roles.len(), 1);
        assert_eq!(r.roles[0].arn, "arn:aws:iam::210987654321:role/Self");
    }

    #[test]
    fn role_arn_flag_adds_a_role_with_the_profile_keys() {
        let over = Overrides {
            role_arn: Some("arn:aws:iam::210987654321:role/Ops"),
            external_id: Some("x"),
            ..Overrides::default()
        };
        let r = resolve(&chain_profiles(), "dev", &env(), &over).unwrap();
        assert_eq!(r.roles.len(), 1);
        assert_eq!(r.roles[0].external_id.as_deref(), Some("x"));
        assert_eq!(
            r.roles[0].mfa_serial.as_deref(),
            Some("arn:aws:iam::123456789012:mfa/alice")
        );
        let bad = Overrides {
            role_arn: Some("arn:aws:iam::210987654321:user/Ops"),
            ..Overrides::default()
        };
        assert!(resolve(&chain_profiles(), "dev", &env(), &bad).is_err());
    }

    #[test]
    fn long_session_names_are_cut_to_64() {
        let long = "x".repeat(100);
        let name = session_name(None, &Env::from_pairs([("USER", long.as_str())])).unwrap();
        assert_eq!(name.len(), 64);
        assert!(session_name(Some("a b"), &Env::default()).is_err());
    }
}
