//! Long-term keys from where users keep them: the files' key lines (read by `profile`), a
//! profile's `credential_process` (`process`), and the OS keyring (`sys::keyring`), which
//! mfa-env fills (`keys import`, `keys add`) and reads back for `credential_process = mfa-env
//! keys print PROFILE` without starting itself.
//!
//! A keyring item is the profile's key as credential_process JSON, Version 1
//! (`{"Version":1,"AccessKeyId":...,"SecretAccessKey":...}`), under the attributes
//! `service = mfa-env` and `username = PROFILE`, labelled `mfa-env: AWS key of profile
//! PROFILE`. The profile's name alone finds it: two credentials files with one profile name
//! share its item.
//!
//! Only the client process (the command a person runs) reads a key; the agent never does.

pub mod process;

use serde::Serialize;
use zeroize::Zeroizing;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::{KeyFrom, KeySource, LongTermKeys};
use crate::sys::keyring::{self, Failure};

/// The `service` attribute of every item mfa-env keeps.
pub const SERVICE: &str = "mfa-env";

/// The credential_process line that gives `profile`'s key from the keyring.
pub fn print_line(profile: &str) -> String {
    format!("mfa-env keys print {profile}")
}

/// The profile whose key a credential_process command line asks mfa-env's keyring for, when
/// it is mfa-env's own `keys print PROFILE` (any path to a program named mfa-env).
pub fn own_profile(command: &str) -> Option<String> {
    let words = crate::mfa_process::split(command, Err(String::new())).ok()?;
    let program = std::path::Path::new(words.first()?).file_name()?;
    if program != "mfa-env" {
        return None;
    }
    match &words[1..] {
        [keys, print, profile] | [keys, print, _, profile]
            if keys == "keys" && print == "print" && (words.len() == 4 || words[3] == "--") =>
        {
            (!profile.starts_with('-')).then(|| profile.clone())
        }
        _ => None,
    }
}

/// The keys `source` names: the key lines as read, the keyring for mfa-env's own `keys print`
/// line (read directly, no process started), else the credential_process run.
pub fn from_source(source: KeySource, env: &Env) -> Result<LongTermKeys> {
    match source {
        KeySource::Lines(keys) => Ok(keys),
        KeySource::Process { profile, command } => match own_profile(&command) {
            Some(stored) => load(&stored).map(|mut keys| {
                // Named for the profile whose line it is, for messages and sessions.
                keys.profile = profile;
                keys
            }),
            None => process::run(&profile, &command, env),
        },
    }
}

/// `profile`'s key from the keyring.
pub fn load(profile: &str) -> Result<LongTermKeys> {
    find(profile)?.ok_or_else(|| {
        Error::new(format!(
            "{} holds no key for profile '{profile}'",
            capitalised(keyring::name())
        ))
        .hint(format!(
            "add it with `mfa-env keys add {profile}`, or move it there from the credentials file with `mfa-env keys import {profile}`"
        ))
    })
}

/// `profile`'s key from the keyring, if it holds one.
pub fn find(profile: &str) -> Result<Option<LongTermKeys>> {
    Ok(find_stored(profile)?.map(|(keys, _)| keys))
}

/// `profile`'s key from the keyring, if it holds one, and when it was stored (seconds since
/// the epoch) where the keyring says.
pub fn find_stored(profile: &str) -> Result<Option<(LongTermKeys, Option<u64>)>> {
    let Some(stored) = keyring::read(SERVICE, profile)
        .map_err(|f| failed(f, &format!("read the key of profile '{profile}' from")))?
    else {
        return Ok(None);
    };
    let (id, secret, token) = process::parse(&stored.secret).map_err(|why| {
        Error::new(format!(
            "the item of profile '{profile}' in {} holds {why}",
            keyring::name()
        ))
        .hint(format!(
            "store the key again with `mfa-env keys add {profile}`"
        ))
    })?;
    if token.is_some() {
        return Err(Error::new(format!(
            "the item of profile '{profile}' in {} holds a session, not a long-term key",
            keyring::name()
        ))
        .hint(format!(
            "store the IAM user's key with `mfa-env keys add {profile}`"
        )));
    }
    let keys = LongTermKeys {
        profile: profile.to_owned(),
        access_key_id: id,
        secret_access_key: secret,
        from: KeyFrom::Keyring,
    };
    Ok(Some((keys, stored.created)))
}

/// Keep `keys` as `profile`'s key in the keyring (replacing the one there).
pub fn store(profile: &str, keys: &LongTermKeys) -> Result<()> {
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Item<'a> {
        version: u8,
        access_key_id: &'a str,
        secret_access_key: &'a str,
    }
    if keys.session_token().is_some() {
        return Err(Error::new(format!(
            "the keys for profile '{profile}' are a session, which the keyring does not keep"
        )));
    }
    // Written into room made first: no copy is left in memory freed as it grows.
    let mut secret = Zeroizing::new(Vec::with_capacity(4096));
    serde_json::to_writer(
        &mut *secret,
        &Item {
            version: 1,
            access_key_id: &keys.access_key_id,
            secret_access_key: keys.secret_access_key.expose(),
        },
    )
    .map_err(|e| Error::new(format!("cannot write the key of profile '{profile}': {e}")))?;
    keyring::write(
        SERVICE,
        profile,
        &format!("mfa-env: AWS key of profile {profile}"),
        &secret,
    )
    .map_err(|f| failed(f, &format!("store the key of profile '{profile}' in")))
}

/// Delete `profile`'s key from the keyring; whether there was one.
pub fn delete(profile: &str) -> Result<bool> {
    keyring::delete(SERVICE, profile)
        .map_err(|f| failed(f, &format!("delete the key of profile '{profile}' from")))
}

/// The profiles with a key in the keyring, and when each was stored (seconds since the
/// epoch) where the keyring says; `None` where the keyring cannot be searched (macOS).
pub fn stored() -> Result<Option<keyring::Users>> {
    keyring::users(SERVICE).map_err(|f| failed(f, "list the keys in"))
}

/// The keyring's name, for messages.
pub fn keyring_name() -> &'static str {
    keyring::name()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The error for a keyring that did not do `what` ("read the key of profile 'dev' from").
fn failed(failure: Failure, what: &str) -> Error {
    let name = keyring::name();
    match failure {
        Failure::Locked(which) => Error::new(format!(
            "cannot {what} {name}: {which} is locked, and mfa-env does not wait for an unlock prompt"
        ))
        .hint(keyring::unlock_hint()),
        Failure::Absent(why) => Error::new(format!("cannot {what} {name}: {why}")).hint(
            "start a keyring in this session (on Linux gnome-keyring-daemon, or KeePassXC's Secret Service), or keep the key in the credentials file",
        ),
        Failure::Failed(why) => Error::new(format!("cannot {what} {name}: {why}"))
            .hint("check that the keyring runs and answers (`secret-tool search service mfa-env`)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_lines_are_known_and_others_are_not() {
        for (line, profile) in [
            ("mfa-env keys print dev", Some("dev")),
            ("/usr/local/bin/mfa-env keys print dev", Some("dev")),
            ("  mfa-env keys print -- dev ", Some("dev")),
            ("mfa-env keys print 'a/b@c'", Some("a/b@c")),
            ("mfa-env keys print", None),
            ("mfa-env keys print --help", None),
            ("mfa-env keys print dev extra", None),
            ("mfa-env keys list", None),
            ("mfa-env --format process dev", None),
            ("op read op://vault/aws", None),
            ("other-env keys print dev", None),
        ] {
            assert_eq!(own_profile(line).as_deref(), profile, "{line}");
        }
        assert_eq!(own_profile(&print_line("dev")).as_deref(), Some("dev"));
    }
}
