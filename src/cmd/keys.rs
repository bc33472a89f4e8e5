//! `mfa-env keys`: long-term keys in the OS keyring instead of the credentials file.
//!
//! `import` moves a profile's key lines into the keyring and writes `credential_process =
//! mfa-env keys print PROFILE` in their place (the keyring first, then the file: if the file
//! cannot be rewritten the key is in both places, which is safe); `add` stores a key typed or
//! sent on stdin and writes the same line; `remove` deletes the item and the line; `list`
//! shows where each profile's key is; `print` is the credential_process the AWS tools run.
//! Every file is rewritten atomically (a temporary file in its folder, renamed over it) with
//! its mode and owner, every byte but the lines changed as it was, and no copy of it kept.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use aws_runtime::env_config::file::EnvConfigFileKind;
use zeroize::Zeroizing;

use crate::cli::KeysAction;
use crate::cmd::{say, write_stdout};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::push_json_string;
use crate::keys;
use crate::profile::{self, Key, KeyFrom, KeySource, LongTermKeys, Profiles};
use crate::prompt::Prompter;
use crate::secret::Secret;
use crate::session::mask;
use crate::time;

/// The lines a key is in.
const KEY_LINES: [&str; 2] = ["aws_access_key_id", "aws_secret_access_key"];
/// How long `keys add` waits for the two lines on stdin.
const STDIN_TIMEOUT: Duration = Duration::from_secs(30);

pub fn run(action: &KeysAction, env: &Env) -> Result<()> {
    match action {
        KeysAction::Import(p) => import(&p.profile, env),
        KeysAction::Add(p) => add(&p.profile, env),
        KeysAction::Remove(p) => remove(&p.profile, env),
        KeysAction::List { json, age } => list(*json, *age, env),
        KeysAction::Print(p) => print(&p.profile),
    }
}

/// `credential_process = mfa-env keys print PROFILE`, as written.
fn process_line(name: &str) -> (&'static str, String) {
    ("credential_process", keys::print_line(name))
}

/// A file as it is on disk, to be edited: its bytes after a byte-order mark (kept), checked
/// against what `profiles` read of it (so that a change made since is not overwritten).
struct OnDisk {
    bom: &'static str,
    text: Zeroizing<String>,
    exists: bool,
}

fn on_disk(path: &Path, read: Option<&str>) -> Result<OnDisk> {
    let raw = profile::read_raw(path)?;
    let exists = raw.is_some();
    let raw = raw.unwrap_or_default();
    let (bom, body) = match raw.strip_prefix("\u{feff}".as_bytes()) {
        Some(body) => ("\u{feff}", body),
        None => ("", &raw[..]),
    };
    let text = std::str::from_utf8(body)
        .ok()
        .filter(|text| profile::dedent_properties(text) == read.unwrap_or_default())
        .ok_or_else(|| {
            Error::new(format!(
                "{} changed while mfa-env was reading it",
                path.display()
            ))
            .hint("run the command again; nothing was changed")
        })?;
    let mut owned = Zeroizing::new(String::with_capacity(text.len()));
    owned.push_str(text);
    Ok(OnDisk {
        bom,
        text: owned,
        exists,
    })
}

/// Refuse a file with more than one name: renaming a new file over one name would leave the
/// old text, key included, under the other.
fn refuse_hard_links(path: &Path) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(meta) if meta.nlink() > 1 => Err(Error::new(format!(
            "{} has {} names (hard links): rewriting it would leave the old text, key included, under the others",
            path.display(),
            meta.nlink()
        ))
        .hint("make it a file of one name (copy it, remove the links), or a symbolic link, and run the command again")),
        _ => Ok(()),
    }
}

/// Write `text` (after the file's byte-order mark) over `path`.
fn write_file(path: &Path, bom: &str, text: &str) -> Result<()> {
    refuse_hard_links(path)?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(bom.len() + text.len()));
    bytes.extend_from_slice(bom.as_bytes());
    bytes.extend_from_slice(text.as_bytes());
    profile::edit::write_atomic(path, &bytes)
}

/// The section a profile has in a file of `kind`, for messages.
fn section(name: &str, kind: EnvConfigFileKind) -> String {
    match kind {
        EnvConfigFileKind::Credentials => format!("[{name}]"),
        _ => format!("[{}]", profile::section_name(name)),
    }
}

fn import(name: &str, env: &Env) -> Result<()> {
    profile::check_profile_name(name)?;
    let profiles = Profiles::load(env)?;
    let found = profiles.get(name)?;
    let keys = match profile::key_source(&found)? {
        KeySource::Lines(keys) => keys,
        KeySource::Process { command, .. } => {
            let already = keys::own_profile(&command).is_some();
            return Err(Error::new(format!(
                "profile '{name}' has no key lines to import: its key comes from credential_process `{command}`"
            ))
            .hint(if already {
                "it is in the keyring already: `mfa-env keys list` shows it".to_owned()
            } else {
                format!("to keep a key in the keyring instead, run `mfa-env keys add {name}`")
            }));
        }
    };
    // The edit of each file that holds key lines: the credentials file gets the
    // credential_process line, or the config file when only it holds the key.
    let files = [
        (&profiles.credentials, EnvConfigFileKind::Credentials),
        (&profiles.config, EnvConfigFileKind::Config),
    ];
    let mut edits = Vec::new();
    let mut put = Some(process_line(name));
    for (file, kind) in files {
        let disk = on_disk(&file.path, file.contents.as_deref())?;
        let line = put.as_ref().map(|(k, v)| (*k, v.as_str()));
        let remove = [KEY_LINES[0], KEY_LINES[1], "credential_process"];
        if let Some(text) = profile::edit::replace_lines(&disk.text, kind, name, &remove, line) {
            if put.is_none() {
                return Err(Error::new(format!(
                    "profile '{name}' has key lines in both {} and {}",
                    profiles.credentials.path.display(),
                    profiles.config.path.display()
                ))
                .hint(format!(
                    "remove the lines of the key you do not use (the AWS tools use {}'s), then run `mfa-env keys import {name}` again",
                    profiles.credentials.path.display()
                )));
            }
            put = None;
            edits.push((file.path.clone(), kind, disk.bom, Zeroizing::new(text)));
        }
    }
    if edits.is_empty() {
        // The key lines are read, but in no form the edit can take out (a section spelled
        // two ways): nothing is changed.
        return Err(Error::new(format!(
            "cannot find the key lines of profile '{name}' to replace"
        ))
        .hint("move the key by hand: `mfa-env keys add` stores it, then remove the two lines"));
    }
    // Before anything is stored or written: the new files must give exactly the keyring line.
    let text_of = |file: &profile::File| -> Zeroizing<String> {
        Zeroizing::new(
            edits
                .iter()
                .find(|(path, ..)| *path == file.path)
                .map(|(_, _, _, t)| profile::dedent_properties(t).into_owned())
                .unwrap_or_else(|| file.contents.clone().unwrap_or_default()),
        )
    };
    let (creds, config) = (text_of(&profiles.credentials), text_of(&profiles.config));
    check_after(&config, &creds, name)?;
    for (path, ..) in &edits {
        refuse_hard_links(path)?;
    }

    keys::store(name, &keys)?;
    let back = keys::load(name)?;
    if back.access_key_id != keys.access_key_id || back.secret_access_key != keys.secret_access_key
    {
        return Err(Error::new(format!(
            "{} gave back another key for profile '{name}' than the one stored; no file was changed",
            keys::keyring_name()
        ))
        .hint("check the keyring with `secret-tool search service mfa-env`"));
    }
    say(&format!(
        "stored the key of profile '{name}' (access key {}) in {}",
        mask(&keys.access_key_id),
        keys::keyring_name()
    ));
    for (path, kind, bom, text) in &edits {
        write_file(path, bom, text).map_err(|e| {
            Error::new(format!(
                "the key of profile '{name}' is in {}, but {} could not be rewritten: {}",
                keys::keyring_name(),
                path.display(),
                e.message()
            ))
            .hint(format!(
                "the key is in both places, which works; run `mfa-env keys import {name}` again, or replace its two lines with `credential_process = {}` by hand",
                keys::print_line(name)
            ))
        })?;
        say(&format!(
            "changed {} in {}:",
            section(name, *kind),
            path.display()
        ));
        say("- aws_access_key_id, aws_secret_access_key");
        if path == &edits[0].0 {
            say(&format!(
                "+ credential_process = {}",
                keys::print_line(name)
            ));
        }
    }
    Ok(())
}

/// The files as they would be: the profile's key must come from mfa-env's keyring line.
fn check_after(config: &str, creds: &str, name: &str) -> Result<()> {
    let bug = |why: String| {
        Error::new(format!(
            "the edited files would not read as expected ({why}); nothing was changed"
        ))
        .hint("please report this as a bug of mfa-env, with the files' layout (not their keys)")
    };
    let after = Profiles::from_texts(config, creds).map_err(|e| bug(e.message().to_owned()))?;
    let profile = after.get(name).map_err(|e| bug(e.message().to_owned()))?;
    match profile::key_source(&profile) {
        Ok(KeySource::Process { command, .. })
            if keys::own_profile(&command).as_deref() == Some(name)
                && profile.get(Key::AccessKeyId).is_none()
                && profile.get(Key::SecretAccessKey).is_none() =>
        {
            Ok(())
        }
        _ => Err(bug(format!(
            "profile '{name}' would not get its key from the keyring"
        ))),
    }
}

fn add(name: &str, env: &Env) -> Result<()> {
    profile::check_profile_name(name)?;
    let profiles = Profiles::load(env)?;
    let path = profiles.credentials.path.clone();
    // What the profile has now: key lines win over credential_process, so they must go first.
    if let Some(found) = profiles.find(name) {
        if found.get(Key::AccessKeyId).is_some() || found.get(Key::SecretAccessKey).is_some() {
            return Err(Error::new(format!(
                "profile '{name}' has its key in the files (aws_access_key_id), which the AWS tools would use instead of the keyring"
            ))
            .hint(format!(
                "move that key into the keyring with `mfa-env keys import {name}`; to store another key, remove its two lines first"
            )));
        }
        if let Some(command) = found.get(Key::CredentialProcess)
            && keys::own_profile(command).as_deref() != Some(name)
        {
            return Err(Error::new(format!(
                "profile '{name}' already gets its key from credential_process `{}`",
                command.trim()
            ))
            .hint("remove that line first if the keyring is to hold the key instead"));
        }
    }
    let keys = read_key(name)?;
    let disk = on_disk(&path, profiles.credentials.contents.as_deref())?;
    let (key, value) = process_line(name);
    let edit = profile::edit::set_in(
        &disk.text,
        EnvConfigFileKind::Credentials,
        name,
        key,
        &value,
    );
    let edit_text = Zeroizing::new(edit.text.clone());
    if !edit.unchanged {
        let config = profiles.config.contents.clone().unwrap_or_default();
        check_after(&config, &profile::dedent_properties(&edit_text), name)?;
        refuse_hard_links(&path)?;
    }
    keys::store(name, &keys)?;
    say(&format!(
        "stored the key of profile '{name}' (access key {}) in {}",
        mask(&keys.access_key_id),
        keys::keyring_name()
    ));
    if edit.unchanged {
        say(&format!(
            "{} in {} already has credential_process = {value}",
            section(name, EnvConfigFileKind::Credentials),
            path.display()
        ));
        return Ok(());
    }
    write_file(&path, disk.bom, &edit_text).map_err(|e| {
        Error::new(format!(
            "the key of profile '{name}' is in {}, but {} could not be changed: {}",
            keys::keyring_name(),
            path.display(),
            e.message()
        ))
        .hint(format!(
            "add `credential_process = {value}` under [{name}] in it by hand"
        ))
    })?;
    let what = if edit.created_section || !disk.exists {
        "added the section"
    } else {
        "changed"
    };
    say(&format!("{what} [{name}] in {}:", path.display()));
    for old in &edit.replaced {
        say(&format!("- {old}"));
    }
    say(&format!("+ {}", edit.line));
    Ok(())
}

/// The key for `keys add`: asked on the terminal when stdin is one, else two lines of stdin.
fn read_key(name: &str) -> Result<LongTermKeys> {
    let check_id = |text: &str| -> Option<String> {
        let text = text.trim();
        if text.starts_with("ASIA") {
            return Some("that is a session's key id (ASIA...): the keyring keeps an IAM user's long-term key (AKIA...)".into());
        }
        let ok =
            (16..=128).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric());
        (!ok).then(|| {
            "an access key id is 16 to 128 letters and digits, such as AKIAIOSFODNN7EXAMPLE".into()
        })
    };
    let check_secret = |text: &str| -> Option<String> {
        let text = text.trim();
        let ok =
            !text.is_empty() && text.len() <= 128 && text.bytes().all(|b| b.is_ascii_graphic());
        (!ok).then(|| "a secret access key is up to 128 printable characters without spaces (40 for IAM's)".into())
    };
    let (id, secret) = if std::io::stdin().is_terminal() {
        let prompter = Prompter::open_for(
            "the access key",
            "send the key id and the secret as two lines on stdin instead",
        )?;
        let id = prompter.text(&format!("access key id for profile '{name}'"), check_id)?;
        let secret = prompter.secret("secret access key (not shown)", check_secret)?;
        (id, secret)
    } else {
        let lines = read_stdin_lines(2)?;
        let [id, secret] = &lines[..] else {
            return Err(stdin_hint(Error::new(
                "keys add: stdin held fewer than two lines (the key id, then the secret)",
            )));
        };
        if let Some(why) = check_id(id) {
            return Err(stdin_hint(Error::new(format!(
                "keys add: the first line of stdin: {why}"
            ))));
        }
        if let Some(why) = check_secret(secret) {
            return Err(stdin_hint(Error::new(format!(
                "keys add: the second line of stdin: {why}"
            ))));
        }
        (id.trim().to_owned(), Secret::new(secret.trim()))
    };
    Ok(LongTermKeys {
        profile: name.to_owned(),
        access_key_id: id,
        secret_access_key: secret,
        from: KeyFrom::Keyring,
    })
}

fn stdin_hint(e: Error) -> Error {
    e.hint("send the key id and the secret, a line each: `printf '%s\\n' AKIA... SECRET | mfa-env keys add PROFILE` (or run it on a terminal, where it asks)")
}

/// Up to `n` lines of stdin (cleared from memory when dropped), within `STDIN_TIMEOUT`.
#[allow(unsafe_code)]
fn read_stdin_lines(n: usize) -> Result<Vec<Zeroizing<String>>> {
    use std::os::fd::AsRawFd;
    use std::time::Instant;
    /// Longer than any key id or secret.
    const MAX: usize = 1024;
    let fd = std::io::stdin().as_raw_fd();
    let deadline = Instant::now() + STDIN_TIMEOUT;
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX + 1));
    let mut lines = 0;
    while lines < n && bytes.len() <= MAX {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: poll on one valid pollfd.
        let ready = unsafe { libc::poll(&mut poll, 1, ms) };
        if ready == 0 {
            return Err(stdin_hint(Error::new(format!(
                "keys add: no key on stdin within {}s",
                STDIN_TIMEOUT.as_secs()
            ))));
        }
        let mut byte = [0u8; 1];
        // SAFETY: read(2) of at most one byte into a one-byte buffer.
        match unsafe { libc::read(fd, byte.as_mut_ptr().cast(), 1) } {
            0 => break,
            1 => {
                if byte[0] == b'\n' {
                    lines += 1;
                }
                bytes.push(byte[0]);
            }
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => {
                return Err(Error::new(format!(
                    "keys add: cannot read stdin: {}",
                    std::io::Error::last_os_error()
                )));
            }
        }
    }
    if bytes.len() > MAX {
        return Err(stdin_hint(Error::new(format!(
            "keys add: stdin held more than {MAX} bytes, which is no key"
        ))));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| stdin_hint(Error::new("keys add: stdin is not UTF-8 text")))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(n)
        .map(|l| {
            let mut s = Zeroizing::new(String::with_capacity(l.len()));
            s.push_str(l);
            s
        })
        .collect())
}

fn remove(name: &str, env: &Env) -> Result<()> {
    profile::check_profile_name(name)?;
    let profiles = Profiles::load(env)?;
    // The profile's own keyring line goes with the item: left, it would make the AWS tools
    // fail on a key that is gone.
    let mut edits = Vec::new();
    for (file, kind) in [
        (&profiles.credentials, EnvConfigFileKind::Credentials),
        (&profiles.config, EnvConfigFileKind::Config),
    ] {
        let Some(command) = profiles
            .find(name)
            .and_then(|p| p.get(Key::CredentialProcess).map(str::to_owned))
        else {
            break;
        };
        if keys::own_profile(&command).as_deref() != Some(name) {
            break;
        }
        let disk = on_disk(&file.path, file.contents.as_deref())?;
        if let Some(text) =
            profile::edit::replace_lines(&disk.text, kind, name, &["credential_process"], None)
        {
            edits.push((file.path.clone(), kind, disk.bom, Zeroizing::new(text)));
        }
    }
    let deleted = keys::delete(name)?;
    if !deleted && edits.is_empty() {
        return Err(Error::new(format!(
            "{} holds no key for profile '{name}', and no file points there",
            keys::keyring_name()
        ))
        .hint("`mfa-env keys list` shows where each profile's key is"));
    }
    if deleted {
        say(&format!(
            "deleted the key of profile '{name}' from {}",
            keys::keyring_name()
        ));
    } else {
        say(&format!(
            "{} held no key for profile '{name}'",
            keys::keyring_name()
        ));
    }
    for (path, kind, bom, text) in &edits {
        write_file(path, bom, text)?;
        say(&format!(
            "changed {} in {}:",
            section(name, *kind),
            path.display()
        ));
        say(&format!(
            "- credential_process = {}",
            keys::print_line(name)
        ));
    }
    if deleted {
        say(
            "the key itself still works in IAM: deactivate or delete it there if nothing else uses it (IAM console > Users > Security credentials)",
        );
    }
    Ok(())
}

/// One row of `keys list`.
struct Listed {
    profile: String,
    key: Option<String>,
    /// file, keyring, process
    place: &'static str,
    /// The file, the keyring's name, or the command.
    detail: String,
    /// When the keyring stored it.
    stored: Option<u64>,
    /// Why the key could not be read, where it could not.
    problem: Option<String>,
}

fn list(json: bool, age: bool, env: &Env) -> Result<()> {
    let profiles = Profiles::load(env)?;
    let mut rows = Vec::new();
    // The keyring is asked once, for all (and its creation times).
    let mut stored_times = None;
    let mut keyring_error = None;
    let mut ask_keyring = || -> std::result::Result<Vec<(String, Option<u64>)>, String> {
        if let Some(e) = &keyring_error {
            return Err(String::clone(e));
        }
        if stored_times.is_none() {
            match keys::stored() {
                Ok(found) => stored_times = Some(found.unwrap_or_default()),
                Err(e) => {
                    let why = e.message().to_owned();
                    keyring_error = Some(why.clone());
                    return Err(why);
                }
            }
        }
        Ok(stored_times.clone().unwrap_or_default())
    };
    let mut pointed = Vec::new();
    // Which file a key line is in: the credentials file read alone, once.
    let creds_only = profiles
        .credentials
        .contents
        .as_deref()
        .and_then(|text| Profiles::from_texts("", text).ok());
    for name in profiles.names() {
        let Some(found) = profiles.find(name) else {
            continue;
        };
        let has_lines =
            found.get(Key::AccessKeyId).is_some() || found.get(Key::SecretAccessKey).is_some();
        if !has_lines && found.get(Key::CredentialProcess).is_none() {
            continue;
        }
        let row = match profile::key_source(&found) {
            Ok(KeySource::Lines(keys)) => {
                let in_credentials = creds_only
                    .as_ref()
                    .and_then(|p| p.find(name))
                    .is_some_and(|p| p.get(Key::AccessKeyId).is_some());
                let path = if in_credentials {
                    &profiles.credentials.path
                } else {
                    &profiles.config.path
                };
                Listed {
                    profile: name.to_owned(),
                    key: Some(keys.access_key_id.clone()),
                    place: "file",
                    detail: path.display().to_string(),
                    stored: None,
                    problem: None,
                }
            }
            Ok(KeySource::Process { command, .. }) => match keys::own_profile(&command) {
                Some(item) => {
                    pointed.push(item.clone());
                    let (key, stored, problem) = match ask_keyring() {
                        Err(why) => (None, None, Some(why)),
                        Ok(_) => match keys::find_stored(&item) {
                            Ok(Some((keys, at))) => (Some(keys.access_key_id.clone()), at, None),
                            Ok(None) => (
                                None,
                                None,
                                Some(format!(
                                    "no item for '{item}' in the keyring: `mfa-env keys add {item}`"
                                )),
                            ),
                            Err(e) => (None, None, Some(e.message().to_owned())),
                        },
                    };
                    Listed {
                        profile: name.to_owned(),
                        key,
                        place: "keyring",
                        detail: keys::keyring_name().to_owned(),
                        stored,
                        problem,
                    }
                }
                None => Listed {
                    profile: name.to_owned(),
                    key: None,
                    place: "process",
                    detail: command.clone(),
                    stored: None,
                    problem: None,
                },
            },
            Err(e) => Listed {
                profile: name.to_owned(),
                key: None,
                place: "file",
                detail: profiles.credentials.path.display().to_string(),
                stored: None,
                problem: Some(e.message().to_owned()),
            },
        };
        rows.push(row);
    }
    // Items no profile points at (left by a profile renamed or removed).
    if let Ok(times) = ask_keyring() {
        for (item, created) in times {
            if !pointed.contains(&item) {
                let key = keys::find(&item)
                    .ok()
                    .flatten()
                    .map(|k| k.access_key_id.clone());
                rows.push(Listed {
                    profile: item.clone(),
                    key,
                    place: "keyring",
                    detail: keys::keyring_name().to_owned(),
                    stored: created,
                    problem: Some(format!(
                        "no profile has `credential_process = {}`",
                        keys::print_line(&item)
                    )),
                });
            }
        }
    }
    let now = time::now();
    // IAM's creation dates, asked only when wanted: one call per key, over the network.
    let created: Vec<Option<std::result::Result<i64, String>>> = rows
        .iter()
        .map(|row| age.then(|| iam_created(&profiles, row, env)).flatten())
        .collect();
    let text = if json {
        render_json(&rows, &created)
    } else {
        render_text(&rows, &created, now)
    };
    if rows.is_empty() {
        say("no profile has a long-term key in the files or the keyring");
        return Ok(());
    }
    write_stdout(&text)
}

fn age(stored: u64, now: i64) -> String {
    let secs = u64::try_from(now).unwrap_or(0).saturating_sub(stored);
    format!(
        "stored {} ago",
        duration::human(Duration::from_secs(secs - secs % 60))
    )
}

/// When IAM created the key of `row`'s profile, for `--age`: None where the row has no key
/// mfa-env can read (a credential_process of another program is not run for it).
fn iam_created(
    profiles: &Profiles,
    row: &Listed,
    env: &Env,
) -> Option<std::result::Result<i64, String>> {
    if row.problem.is_some() || !matches!(row.place, "file" | "keyring") {
        return None;
    }
    let profile = profiles.find(&row.profile)?;
    let keys = profile::key_source(&profile)
        .and_then(|source| keys::from_source(source, env))
        .ok()?;
    let region = profile::region(None, std::slice::from_ref(&profile), env).ok()?;
    let endpoint = match profile::endpoint(&profile, env, "iam", "IAM") {
        Ok(endpoint) => endpoint,
        Err(e) => return Some(Err(e.message().to_owned())),
    };
    Some(
        crate::cmd::block_on(crate::iam::key_created(&keys, &region, &endpoint))
            .unwrap_or_else(|e| Err(e.message().to_owned())),
    )
}

/// `, created 2026-01-02 (120 days ago): over 90 days, rotate it: mfa-env rotate dev`.
fn created_text(profile: &str, created: &std::result::Result<i64, String>, now: i64) -> String {
    match created {
        Ok(at) => {
            let when = crate::cmd::created_when(*at, now);
            if (now - at) / 86_400 > crate::iam::MAX_KEY_AGE_DAYS {
                format!(
                    ", created {when}: over {} days, `mfa-env rotate {profile}` replaces it",
                    crate::iam::MAX_KEY_AGE_DAYS
                )
            } else {
                format!(", created {when}")
            }
        }
        Err(why) => format!(", age unknown: {why}"),
    }
}

fn render_text(
    rows: &[Listed],
    created: &[Option<std::result::Result<i64, String>>],
    now: i64,
) -> String {
    let width = rows
        .iter()
        .map(|r| r.profile.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let key = row.key.as_deref().map_or_else(|| "-".repeat(20), mask);
        let _ = write!(
            out,
            "{:width$}  {key:20}  {:8} {}",
            row.profile, row.place, row.detail
        );
        if let Some(t) = row.stored {
            let _ = write!(out, ", {}", age(t, now));
        }
        if let Some(Some(at)) = created.get(i) {
            out.push_str(&created_text(&row.profile, at, now));
        }
        if let Some(problem) = &row.problem {
            let _ = write!(out, " ({problem})");
        }
        out.push('\n');
    }
    out
}

fn render_json(rows: &[Listed], created: &[Option<std::result::Result<i64, String>>]) -> String {
    let mut out = String::from("[");
    for (i, row) in rows.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str("{\"profile\":");
        push_json_string(&mut out, &row.profile);
        out.push_str(",\"key\":");
        match &row.key {
            Some(k) => push_json_string(&mut out, &mask(k)),
            None => out.push_str("null"),
        }
        out.push_str(",\"where\":");
        push_json_string(&mut out, row.place);
        out.push_str(",\"detail\":");
        push_json_string(&mut out, &row.detail);
        out.push_str(",\"stored\":");
        match row.stored {
            Some(t) => {
                let _ = write!(out, "{t}");
            }
            None => out.push_str("null"),
        }
        // IAM's creation date (--age), in seconds since the epoch.
        if let Some(Some(at)) = created.get(i) {
            out.push_str(",\"created\":");
            match at {
                Ok(at) => {
                    let _ = write!(out, "{at}");
                }
                Err(_) => out.push_str("null"),
            }
        }
        out.push_str(",\"problem\":");
        match &row.problem {
            Some(p) => push_json_string(&mut out, p),
            None => out.push_str("null"),
        }
        out.push('}');
    }
    out.push_str("\n]\n");
    out
}

/// The credential_process the AWS tools run: the key from the keyring, as JSON, Version 1.
fn print(name: &str) -> Result<()> {
    profile::check_profile_name(name)?;
    if std::io::stdout().is_terminal() {
        return Err(Error::new(format!(
            "stdout is a terminal: the key of profile '{name}' would show its secret on the screen; nothing was read or printed"
        ))
        .hint(format!(
            "it is for the AWS tools: `credential_process = {}` in the profile",
            keys::print_line(name)
        )));
    }
    let keys = keys::load(name)?;
    let mut out = Zeroizing::new(String::with_capacity(512));
    out.push_str("{\"Version\":1,\"AccessKeyId\":");
    push_json_string(&mut out, &keys.access_key_id);
    out.push_str(",\"SecretAccessKey\":");
    push_json_string(&mut out, keys.secret_access_key.expose());
    out.push_str("}\n");
    write_stdout(&out)
}
