//! Following a role profile's `source_profile` chain to the profile that holds the keys.
//!
//! The rules are the AWS CLI's: a profile with `role_arn` takes its credentials from
//! `source_profile` (or from `credential_source`, which mfa-env cannot use); a profile that
//! names itself as its source and holds keys ends the chain with its own keys; any other
//! repeated name is a loop. Role support itself lives elsewhere: this only reads the keys.
//!
//! The walk runs on anything that has a profile's values by key: the profiles of the files
//! for a session, `setup` and `doctor`, a listing's rows for `list`, so that all read one
//! chain alike.

use super::Key;
use crate::error::{Error, Result};

/// A profile's name and values by key.
pub trait Keys<'a> {
    fn name(&self) -> &'a str;
    fn value(&self, key: Key) -> Option<&'a str>;
}

/// Longer chains than this are refused as the AWS CLI would overflow on them; no real
/// configuration comes near it.
const MAX_LINKS: usize = 32;

/// The profiles from the one named to the one with the keys, in order, found by `lookup`; a
/// profile without `role_arn` is a chain of one.
pub fn walk<'a, P: Keys<'a>>(lookup: impl Fn(&str) -> Option<P>, name: &str) -> Result<Vec<P>> {
    let named = lookup(name).ok_or_else(|| Error::new(format!("profile '{name}' not found")))?;
    let mut chain = vec![named];
    loop {
        let profile = chain.last().expect("never empty");
        let current = profile.name();
        if profile.value(Key::RoleArn).is_none() {
            return Ok(chain);
        }
        let source = profile.value(Key::SourceProfile).map(str::trim);
        let credential_source = profile.value(Key::CredentialSource);
        let next = match (source, credential_source) {
            (Some(_), Some(_)) => {
                return Err(Error::new(format!(
                    "profile '{current}' has both source_profile and credential_source"
                ))
                .hint(
                    "keep one of them: source_profile names the profile whose keys assume the role",
                ));
            }
            (None, Some(from)) => {
                return Err(Error::new(format!(
                    "profile '{current}' assumes its role with credentials from credential_source = {from}, not from keys mfa-env can read"
                ))
                .hint("give it source_profile = a profile that holds an IAM user's long-term keys"));
            }
            (None, None) | (Some(""), None) => {
                return Err(Error::new(format!(
                    "profile '{current}' has role_arn but no source_profile"
                ))
                .hint(
                    "add source_profile = the profile that holds the IAM user's long-term keys",
                ));
            }
            (Some(next), None) => next,
        };
        // A role profile that names itself and holds keys uses its own keys.
        if next == current && profile.value(Key::AccessKeyId).is_some() {
            return Ok(chain);
        }
        if chain.iter().any(|p| p.name() == next) {
            let names: Vec<&str> = chain.iter().map(|p| p.name()).chain([next]).collect();
            return Err(Error::new(format!(
                "the source_profile chain loops: {}",
                names.join(" -> ")
            ))
            .hint("end the chain at a profile that holds long-term keys and has no role_arn"));
        }
        let Some(source) = lookup(next) else {
            return Err(Error::new(format!(
                "profile '{current}' names source_profile '{next}', which does not exist"
            ))
            .hint(format!(
                "create it with `aws configure --profile {next}`, or fix the name"
            )));
        };
        if chain.len() >= MAX_LINKS {
            return Err(Error::new(format!(
                "the source_profile chain from '{name}' is longer than {MAX_LINKS} profiles"
            ))
            .hint("shorten the chain"));
        }
        chain.push(source);
    }
}

/// The mfa_serial the role of `chain[i]` is assumed with: the role profile's own, else its
/// source's (the next profile of the chain, or itself where it holds its own keys).
pub fn role_serial<'a, P: Keys<'a>>(chain: &[P], i: usize) -> Option<&'a str> {
    let source = chain.get(i + 1).unwrap_or(&chain[i]);
    chain[i]
        .value(Key::MfaSerial)
        .or_else(|| source.value(Key::MfaSerial))
}

/// The MFA device a session of `chain` (from [`walk`]) is opened with: the named profile's
/// own where it assumes no role, else that of the first role assumed (from the keys' end of
/// the chain) that has one; the call with that role takes the code.
pub fn serial<'a, P: Keys<'a>>(chain: &[P]) -> Option<&'a str> {
    let named = chain.first()?;
    if named.value(Key::RoleArn).is_none() {
        return named.value(Key::MfaSerial);
    }
    (0..chain.len())
        .rev()
        .filter(|&i| chain[i].value(Key::RoleArn).is_some())
        .find_map(|i| role_serial(chain, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Profile, Profiles};

    fn profiles(config: &str) -> Profiles {
        Profiles::from_texts(config, "").unwrap()
    }

    /// The names along the chain from `name`.
    fn follow<'a>(p: &'a Profiles, name: &str) -> Result<Vec<&'a str>> {
        let chain = walk(|n| p.find(n), name)?;
        Ok(chain.iter().map(|p| p.name()).collect())
    }

    const KEYS: &str = "aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n";

    #[test]
    fn follows_source_profiles_to_the_keys() {
        let p = profiles(&format!(
            "[profile admin]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = mid\n\
             [profile mid]\nrole_arn = arn:aws:iam::1:role/m\nsource_profile = base\n\
             [profile base]\n{KEYS}\
             [profile self]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = self\n{KEYS}"
        ));
        assert_eq!(follow(&p, "admin").unwrap(), ["admin", "mid", "base"]);
        assert_eq!(follow(&p, "base").unwrap(), ["base"]);
        assert_eq!(follow(&p, "self").unwrap(), ["self"]);
    }

    #[test]
    fn the_serial_is_the_one_export_uses() {
        let p = profiles(&format!(
            "[profile deep]\nrole_arn = r\nsource_profile = admin\n\
             [profile admin]\nrole_arn = r\nsource_profile = base\nmfa_serial = admin-device\n\
             [profile mid]\nrole_arn = r\nsource_profile = base\n\
             [profile base]\nmfa_serial = base-device\n{KEYS}\
             [profile plain]\n{KEYS}\
             [profile self]\nrole_arn = r\nsource_profile = self\nmfa_serial = own\n{KEYS}"
        ));
        let serial_of = |name| serial(&walk(|n| p.find(n), name).unwrap());
        // The first role assumed (admin's) takes its own device over its source's.
        assert_eq!(serial_of("deep"), Some("admin-device"));
        assert_eq!(serial_of("mid"), Some("base-device"));
        assert_eq!(serial_of("base"), Some("base-device"));
        assert_eq!(serial_of("plain"), None);
        assert_eq!(serial_of("self"), Some("own"));
        assert_eq!(serial::<Profile>(&[]), None);
    }

    #[test]
    fn loops_and_dead_ends_are_named() {
        let p = profiles(
            "[profile a]\nrole_arn = r\nsource_profile = b\n\
             [profile b]\nrole_arn = r\nsource_profile = a\n\
             [profile me]\nrole_arn = r\nsource_profile = me\n\
             [profile gone]\nrole_arn = r\nsource_profile = nowhere\n\
             [profile ec2]\nrole_arn = r\ncredential_source = Ec2InstanceMetadata\n\
             [profile both]\nrole_arn = r\nsource_profile = a\ncredential_source = Environment\n\
             [profile none]\nrole_arn = r\n",
        );
        let err = |name| follow(&p, name).unwrap_err().to_string();
        assert!(err("a").contains("loops: a -> b -> a"), "{}", err("a"));
        assert!(err("me").contains("loops: me -> me"), "{}", err("me"));
        assert!(err("gone").contains("'nowhere', which does not exist"));
        assert!(err("ec2").contains("credential_source = Ec2InstanceMetadata"));
        assert!(err("both").contains("both source_profile and credential_source"));
        assert!(err("none").contains("no source_profile"));
    }
}
