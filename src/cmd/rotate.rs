//! `mfa-env rotate PROFILE`: a new access key for the profile's IAM user, stored where the old
//! one was, proved to work, and the old one deleted, every IAM call signed by one MFA session
//! (one code, or none while the agent holds that session).
//!
//! The steps are ordered so that the user always holds a working key, stored:
//!
//! 1. GetCallerIdentity with the old key: whose it is (and that it works), before a code.
//! 2. The MFA session: the one this shell holds for the profile, else the agent's, else
//!    GetSessionToken with the code.
//! 3. ListAccessKeys: the old key must be the user's, and the user must have room for a
//!    second key (IAM allows two).
//! 4. CreateAccessKey.
//! 5. The new key stored where the old one was (the file rewritten atomically, every other
//!    byte as it was). A failure deletes the new key again: the old one stays.
//! 6. GetCallerIdentity with the new key, retried while IAM makes it known (bounded:
//!    `VERIFY_FOR`). A failure puts the old key back and deletes the new one.
//! 7. DeleteAccessKey of the old key. A failure leaves both working, the new one stored.
//! 8. Sessions of the old key dropped: the agent forgets the profile's; this shell's are
//!    removed by the statements printed on stdout (which the function from `mfa-env init`
//!    evaluates), and only there.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use aws_runtime::env_config::file::EnvConfigFileKind;
use zeroize::Zeroize;

use crate::cli::RotateArgs;
use crate::cmd::{
    Prompting, block_on, code_from, created_when, detect_shell, obtain, reach_agent, say,
    write_stdout,
};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::iam::{AccessKey, Iam, NewKey, user_name};
use crate::keys;
use crate::profile::{self, Chain, Key, KeySource, LongTermKeys, Profiles};
use crate::session::{Asked, Held, Note, Request, unset_statements};
use crate::sts::{Signer, Signing, Sts};

/// How long the new key is tried before it counts as not working: IAM makes a new key known
/// to STS within seconds, but "eventually"; aws-vault waits 20 s for the same.
pub const VERIFY_FOR: Duration = Duration::from_secs(20);

/// The first wait between two tries of the new key, doubled each time up to `MAX_PAUSE`.
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(4);

pub fn run(args: &RotateArgs, env: &Env) -> Result<()> {
    let name = args.profile.as_str();
    let profiles = Profiles::load(env)?;
    let chain = Chain::follow(&profiles, name)?;
    let holder = chain.holder().name().to_owned();
    let source = chain.key_source()?;
    let store = Store::find(&profiles, &holder, &source)?;
    let old = keys::from_source(source, env)?;
    let region = chain.region(args.region.as_deref(), env)?;
    let sts_endpoint = profile::endpoint(chain.holder(), env, "sts", "STS")?;
    let iam_endpoint = profile::endpoint(chain.holder(), env, "iam", "IAM")?;
    let serial = match (&args.serial_number, chain.serial()) {
        (Some(serial), _) => profile::check_serial(serial)?.to_owned(),
        (None, Some(serial)) => profile::check_serial(serial.trim())?.to_owned(),
        (None, None) => {
            return Err(Error::new(format!(
                "profile '{holder}' has no mfa_serial: rotate signs its IAM calls with an MFA session"
            ))
            .hint(format!(
                "run `mfa-env setup {holder}` (it finds the device), or pass --serial-number ARN"
            )));
        }
    };
    if holder != name {
        say(&format!(
            "profile '{name}' gets its keys from profile '{holder}': rotating that key"
        ));
    }
    say(&format!(
        "rotating access key {} of profile '{holder}' ({})",
        old.access_key_id,
        store.describe()
    ));

    // 1. Whose the key is, with the key itself: it must work before anything changes.
    let sts = Sts::new(&region, &sts_endpoint)?;
    let mut notes = crate::cmd::notes_once();
    if let Some(line) = sts.notice() {
        notes(Note::Endpoint(line));
    }
    let identity = block_on(sts.get_caller_identity(&Signer::from(&old)))??;
    let user = user_name(&identity.arn).map(str::to_owned);
    let who = user.clone().unwrap_or_else(|| identity.arn.clone());

    // 2. The one MFA session that signs every IAM call.
    let mut ask = Prompting::new(&args.mfa_process, &profiles, name, env)?.asker();
    let asked = Asked {
        profile: &holder,
        overrides: profile::Overrides {
            region: args.region.as_deref(),
            serial_number: Some(&serial),
            ..profile::Overrides::default()
        },
        duration: None,
        force: false,
        min_ttl: Duration::from_secs(10 * 60),
    };
    let code = code_from(args.code.as_deref(), &args.mfa_process, &mut ask)?;
    let mut req = Request::new(&profiles, &asked, code, env)?;
    let session = match held_mfa_session(&req, env) {
        Some(session) => {
            say("the MFA session this shell holds signs the calls: no code needed");
            session
        }
        None => obtain(&mut req, args.no_agent, env)?,
    };
    let signer = Signer::session(&session, Signing::MfaSession(holder.clone()));
    let iam = Iam::signed_by(&signer, &region, &iam_endpoint)?;
    if let Some(line) = iam.notice() {
        notes(Note::Endpoint(line));
    }
    let user = user.as_deref();
    let steps = Steps {
        iam: &iam,
        user,
        who: &who,
        holder: &holder,
        old: &old,
    };

    // 3. Room for a second key, and the old one the user's.
    let keys = block_on(iam.list_access_keys(user))?.map_err(|why| {
        Error::new(format!("cannot list the access keys of {who}: {why}")).hint(PERMISSIONS)
    })?;
    steps.check_room(&keys)?;

    // 4. The new key.
    let new = block_on(iam.create_access_key(user))?.map_err(|why| {
        Error::new(format!(
            "{why}; nothing changed: profile '{holder}' keeps {}",
            old.access_key_id
        ))
        .hint(PERMISSIONS)
    })?;
    if !new.well_formed {
        let why = format!(
            "IAM's new key {} is not in the form IAM's keys take",
            new.id
        );
        return Err(steps.undo_create(&new, &why, ""));
    }
    say(&format!("created access key {}", new.id));

    // 5. Stored where the old one was.
    let written = match store.write(&profiles, &holder, &old, &new) {
        Ok(written) => written,
        Err(e) => return Err(steps.undo_create(&new, e.message(), "")),
    };
    say(&format!("stored it in {}", store.describe()));

    // 6. It works.
    let new_keys = LongTermKeys {
        profile: holder.clone(),
        access_key_id: new.id.clone(),
        secret_access_key: new.secret.clone(),
        from: old.from.clone(),
    };
    if let Err(why) = block_on(verify(&sts, &new_keys, &identity.arn))? {
        let why = format!(
            "STS did not accept the new key {} within {}s ({why})",
            new.id,
            VERIFY_FOR.as_secs()
        );
        return Err(match store.restore(&written) {
            Ok(()) => steps.undo_create(&new, &why, " and the old key stored again"),
            // The store changed since it was written: the new key stays (it may work in a
            // minute), and so does the old one, which still works.
            Err(e) => Error::new(format!(
                "{why}, and the old key could not be put back ({}): profile '{holder}' holds {}, and {} still works",
                e.message(),
                new.id,
                old.access_key_id
            ))
            .hint(format!(
                "run `mfa-env doctor {holder}` in a minute: if it passes, delete the old key with {}; if not, put {} back in {}",
                delete_command(user, &old.access_key_id),
                old.access_key_id,
                store.describe()
            )),
        });
    }
    say(&format!(
        "the new key works: STS knows it as {}",
        identity.arn
    ));

    // 7. The old key goes.
    if let Err(why) = block_on(iam.delete_access_key(user, &old.access_key_id))? {
        return Err(Error::new(format!(
            "profile '{holder}' holds the new key {}, which works, but the old key {} is still active: {why}",
            new.id, old.access_key_id
        ))
        .hint(format!(
            "delete it in the IAM console (Users > {who} > Security credentials), or with {}",
            delete_command(user, &old.access_key_id)
        )));
    }
    say(&format!("deleted the old key {}", old.access_key_id));

    // 8. The old key's sessions.
    if let Some(mut agent) = reach_agent(args.no_agent, env) {
        match agent.forget(Some(&holder)) {
            Ok((sessions, _)) if sessions > 0 => say(&format!(
                "the agent forgot {sessions} session(s) of the old key"
            )),
            Ok(_) => {}
            Err(e) => say(&format!(
                "the agent may still hold sessions of the old key ({}): `mfa-env agent forget {holder}` drops them",
                e.message()
            )),
        }
    }
    drop_held_session(&profiles, &holder, &old, env)?;
    say(&format!(
        "rotated: profile '{holder}' holds {}; {} is deleted",
        new.id, old.access_key_id
    ));
    Ok(())
}

/// What rotate needs of IAM, for the messages that say it was refused.
const PERMISSIONS: &str = "rotate needs iam:ListAccessKeys, iam:CreateAccessKey and iam:DeleteAccessKey on your own user, with MFA";

/// What the steps after the MFA session share.
struct Steps<'a> {
    iam: &'a Iam,
    user: Option<&'a str>,
    /// The user, for messages (the ARN for an account's root).
    who: &'a str,
    holder: &'a str,
    old: &'a LongTermKeys,
}

impl Steps<'_> {
    /// The old key must be one the user has, and there must be room for another.
    fn check_room(&self, keys: &[AccessKey]) -> Result<()> {
        let old = &self.old.access_key_id;
        let shown = |k: &AccessKey| {
            let mut text = k.id.clone();
            let mut about = Vec::new();
            if &k.id == old {
                about.push(format!("profile '{}'", self.holder));
            }
            about.push(if k.active { "active" } else { "inactive" }.to_owned());
            if let Some(created) = k.created {
                about.push(format!(
                    "created {}",
                    created_when(created, crate::time::now())
                ));
            }
            text.push_str(&format!(" ({})", about.join(", ")));
            text
        };
        if !keys.iter().any(|k| &k.id == old) {
            let listed: Vec<String> = keys.iter().map(shown).collect();
            return Err(Error::new(format!(
                "the key {old} of profile '{}' is not one of {}'s access keys (IAM lists: {})",
                self.holder,
                self.who,
                if listed.is_empty() {
                    "none".to_owned()
                } else {
                    listed.join(", ")
                }
            ))
            .hint("check the profile's keys with `mfa-env doctor`"));
        }
        if keys.len() >= 2 {
            let listed: Vec<String> = keys.iter().map(shown).collect();
            let other = keys
                .iter()
                .find(|k| &k.id != old)
                .map_or("", |k| k.id.as_str());
            return Err(Error::new(format!(
                "{} has two access keys, IAM's limit, so no new one can be made: {}",
                self.who,
                listed.join(" and ")
            ))
            .hint(format!(
                "delete the one no profile uses, in the IAM console or with {}, then run rotate again",
                delete_command(self.user, other)
            )));
        }
        Ok(())
    }

    /// The new key was made but is not to be used: delete it again, so that the user keeps
    /// the old key alone, as before. `why` says what went wrong, `also` what else was undone.
    fn undo_create(&self, new: &NewKey, why: &str, also: &str) -> Error {
        let holder = self.holder;
        let old = &self.old.access_key_id;
        match block_on(self.iam.delete_access_key(self.user, &new.id)) {
            Ok(Ok(())) => Error::new(format!(
                "{why}; the new key {} was deleted again{also}: profile '{holder}' keeps {old}, which works",
                new.id
            ))
            .hint(format!("nothing changed; run `mfa-env rotate {holder}` again once the cause is fixed")),
            Ok(Err(e)) => Error::new(format!(
                "{why}, and the new key {} could not be deleted again ({e}){also}: profile '{holder}' keeps {old}, which works",
                new.id
            ))
            .hint(format!(
                "delete the unused key {} in the IAM console or with {}",
                new.id,
                delete_command(self.user, &new.id)
            )),
            Err(e) => e,
        }
    }
}

/// The AWS CLI's command that deletes a key, to name in a message.
fn delete_command(user: Option<&str>, id: &str) -> String {
    match user {
        Some(user) => {
            format!("`aws iam delete-access-key --user-name {user} --access-key-id {id}`")
        }
        None => format!("`aws iam delete-access-key --access-key-id {id}`"),
    }
}

/// GetCallerIdentity with the new key until STS takes it, for at most `VERIFY_FOR`: IAM makes
/// a new key known to STS after a moment. It must belong to the same identity as the old one.
async fn verify(sts: &Sts, keys: &LongTermKeys, arn: &str) -> std::result::Result<(), String> {
    let signer = Signer::from(keys);
    let deadline = Instant::now() + VERIFY_FOR;
    let mut pause = FIRST_PAUSE;
    let mut last = String::from("no answer");
    let mut said = false;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, sts.get_caller_identity(&signer)).await {
            Ok(Ok(id)) if id.arn == arn => return Ok(()),
            Ok(Ok(id)) => return Err(format!("it belongs to {}, not to {arn}", id.arn)),
            Ok(Err(e)) => last = e.message().to_owned(),
            Err(_) => return Err(last),
        }
        if !said {
            said = true;
            say(&format!(
                "STS does not know the new key yet; trying again for up to {}s",
                VERIFY_FOR.as_secs()
            ));
        }
        if Instant::now() + pause >= deadline {
            return Err(last);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Where the profile's key is kept, and how to replace it there.
enum Store {
    /// A line pair in the credentials file (or, where the key is only there, the config file).
    File {
        path: PathBuf,
        kind: EnvConfigFileKind,
    },
    /// The OS keyring's item of this profile, which the profile's `credential_process =
    /// mfa-env keys print ITEM` line names.
    Keyring { item: String },
}

/// What `Store::write` wrote, to put back if the new key turns out not to work.
enum Written {
    File { before: Vec<u8>, after: Vec<u8> },
    Keyring { before: LongTermKeys },
}

impl Drop for Written {
    fn drop(&mut self) {
        if let Written::File { before, after } = self {
            before.zeroize();
            after.zeroize();
        }
    }
}

impl Store {
    /// Where `holder`'s key is: the keyring for mfa-env's own `keys print` line, else the
    /// credentials file's section, else the config file's. Another credential_process keeps
    /// the key where mfa-env cannot write (a password manager): refused before any call.
    fn find(profiles: &Profiles, holder: &str, source: &KeySource) -> Result<Store> {
        if let KeySource::Process { command, .. } = source {
            return match keys::own_profile(command) {
                Some(item) => Ok(Store::Keyring { item }),
                None => Err(Error::new(format!(
                    "profile '{holder}' gets its key from `credential_process = {command}`, where mfa-env cannot store a new one"
                ))
                .hint(format!(
                    "rotate it where that command reads it from, or move the key into the keyring (`mfa-env keys add {holder}`) and rotate from there"
                ))),
            };
        }
        let profile = profiles.get(holder)?;
        if profile.in_credentials(Key::AccessKeyId).is_some() {
            Ok(Store::File {
                path: profiles.credentials.path.clone(),
                kind: EnvConfigFileKind::Credentials,
            })
        } else {
            Ok(Store::File {
                path: profiles.config.path.clone(),
                kind: EnvConfigFileKind::Config,
            })
        }
    }

    fn describe(&self) -> String {
        match self {
            Store::File { path, .. } => path.display().to_string(),
            Store::Keyring { item } => {
                format!("{}, item of profile '{item}'", keys::keyring_name())
            }
        }
    }

    /// Replace the profile's key with `new`, checked by reading it back.
    fn write(
        &self,
        profiles: &Profiles,
        holder: &str,
        old: &LongTermKeys,
        new: &NewKey,
    ) -> Result<Written> {
        match self {
            Store::File { path, kind } => write_file(path, *kind, profiles, holder, new),
            Store::Keyring { item } => {
                let keys = LongTermKeys {
                    profile: item.clone(),
                    access_key_id: new.id.clone(),
                    secret_access_key: new.secret.clone(),
                    from: old.from.clone(),
                };
                keys::store(item, &keys)?;
                let back = keys::find(item)?;
                let same = back.is_some_and(|b| {
                    b.access_key_id == new.id && b.secret_access_key.expose() == new.secret.expose()
                });
                if !same {
                    return Err(Error::new(format!(
                        "the new key did not read back from {}",
                        self.describe()
                    )));
                }
                Ok(Written::Keyring {
                    before: old.clone(),
                })
            }
        }
    }

    /// Put back what `write` replaced (a file only unless it changed since).
    fn restore(&self, written: &Written) -> Result<()> {
        match (self, written) {
            (Store::File { path, .. }, Written::File { before, after }) => {
                let now = std::fs::read(path)
                    .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
                let same = &now == after;
                let mut now = now;
                now.zeroize();
                if !same {
                    return Err(Error::new(format!(
                        "{} changed since mfa-env wrote it",
                        path.display()
                    )));
                }
                profile::edit::write_atomic(path, before)
            }
            (Store::Keyring { item }, Written::Keyring { before }) => keys::store(item, before),
            _ => Err(Error::new("nothing to put back")),
        }
    }
}

/// Replace the profile's key in a file with `new`: both lines edited in place, every other
/// byte as it was, the file replaced atomically with its mode and owner. Checked first: the
/// AWS SDK's parser must read exactly the new key from the new text.
fn write_file(
    path: &Path,
    kind: EnvConfigFileKind,
    profiles: &Profiles,
    holder: &str,
    new: &NewKey,
) -> Result<Written> {
    let before = std::fs::read(path)
        .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
    let (bom, body) = match before.strip_prefix("\u{feff}".as_bytes()) {
        Some(body) => ("\u{feff}", body),
        None => ("", &before[..]),
    };
    let read = match kind {
        EnvConfigFileKind::Config => &profiles.config,
        EnvConfigFileKind::Credentials => &profiles.credentials,
    };
    let text = std::str::from_utf8(body).ok().filter(|text| {
        profile::dedent_properties(text) == read.contents.as_deref().unwrap_or_default()
    });
    let Some(text) = text else {
        return Err(Error::new(format!(
            "{} changed while mfa-env was reading it",
            path.display()
        )));
    };
    let mut first = profile::edit::set_in(text, kind, holder, "aws_access_key_id", &new.id);
    let mut second = profile::edit::set_in(
        &first.text,
        kind,
        holder,
        "aws_secret_access_key",
        new.secret.expose(),
    );
    first.text.zeroize();
    second.line.zeroize();
    let replaced = !first.replaced.is_empty() && !second.replaced.is_empty();
    first.replaced.iter_mut().for_each(Zeroize::zeroize);
    second.replaced.iter_mut().for_each(Zeroize::zeroize);
    let mut after = bom.as_bytes().to_vec();
    after.extend_from_slice(second.text.as_bytes());
    let new_text = std::mem::take(&mut second.text);
    let checked = match kind {
        EnvConfigFileKind::Config => profiles.with_config(new_text),
        EnvConfigFileKind::Credentials => profiles.with_credentials(new_text),
    };
    let reads_new = checked.as_ref().is_ok_and(|after| {
        after.get(holder).is_ok_and(|p| {
            p.get(Key::AccessKeyId).map(str::trim) == Some(new.id.as_str())
                && p.get(Key::SecretAccessKey).map(str::trim) == Some(new.secret.expose())
        })
    });
    if !replaced || !reads_new {
        after.zeroize();
        return Err(Error::new(format!(
            "the new key would not read back from {} after the edit; nothing was written",
            path.display()
        )));
    }
    profile::edit::write_atomic(path, &after)?;
    Ok(Written::File { before, after })
}

/// The MFA session this shell holds for the profile (GetSessionToken's, as export set it: the
/// same profile, device, account, region and long-term key, with time left), when it serves
/// the request: it signs the IAM calls with no code. Only values in STS's alphabet are used.
fn held_mfa_session(req: &Request, env: &Env) -> Option<crate::sts::Session> {
    let held = req.held(env)?;
    if !held.complete || held.id.role.is_some() {
        return None;
    }
    held.session(env)
}

/// This shell's session, when it came from the old key: the statements that remove it on
/// stdout, for the function from `mfa-env init` (or `eval "$(...)"`) to evaluate. On a
/// terminal they would remove nothing: the person is told instead.
fn drop_held_session(
    profiles: &Profiles,
    holder: &str,
    old: &LongTermKeys,
    env: &Env,
) -> Result<()> {
    let Some(held) = Held::from_env(env) else {
        return Ok(());
    };
    let of_old_key = held.id.key.is_some()
        && held.id.key == crate::session::key_tail(&old.access_key_id)
        && Chain::follow(profiles, held.id.profile).is_ok_and(|c| c.holder().name() == holder);
    if !of_old_key {
        return Ok(());
    }
    let shell = detect_shell(env);
    if std::io::stdout().is_terminal() {
        say(&format!(
            "this shell holds a session of the old key ({}): `{}` removes it",
            held.id.profile,
            shell.evaluate("mfa-env unset")
        ));
        return Ok(());
    }
    let (set, unset) = unset_statements(env);
    write_stdout(&shell.render(&set, &unset)?)?;
    say(&format!(
        "this shell's session of the old key ({}) is removed",
        held.id.profile
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    /// The secret goes nowhere but the file: no type here shows it.
    #[test]
    fn a_new_key_shows_no_secret() {
        let new = NewKey {
            id: "AKIANEWKEY0000000001".into(),
            secret: Secret::new("new+secret/value"),
            well_formed: true,
        };
        let shown = format!("{new:?}");
        assert!(
            shown.contains("AKIANEWKEY") && !shown.contains("new+secret"),
            "{shown}"
        );
    }
}
