//! Reading `~/.aws/config` and `~/.aws/credentials` into a resolved profile.
//!
//! Pure data and no network. The files are read here (so that a missing, unreadable or
//! non-UTF-8 file gets a clear message), each by the lean scan (`scan.rs`) where it can and
//! else by aws-config's own parser (`sdk.rs`), and a profile's values are the credentials
//! file's over the config file's, exactly as the AWS SDKs merge the two.
//!
//! What lives where: this file reads the two files and finds a profile in them; `ini` holds
//! the line rules of the format, `key` the keys mfa-env reads, `names` the did-you-mean;
//! `chain` follows `source_profile`; `resolve` walks a profile to the keys, roles, region
//! and endpoint of a session, with `check` (ARNs, serials, regions) and `endpoint`
//! (configured endpoints, FIPS, plain http); `listing` gives `list` and completion their
//! rows; `edit` writes a key into the config file; `reference` compares the scan's reading
//! with aws-config's.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::EnvConfigFileKind;
use zeroize::Zeroize;

use crate::env::Env;
use crate::error::{Error, Result};
use names::invalid_name;
use scan::Section;

pub mod chain;
mod check;
pub mod edit;
mod endpoint;
mod ini;
mod key;
pub mod listing;
mod names;
#[doc(hidden)]
pub mod reference;
mod resolve;
mod scan;
mod sdk;

pub use check::{
    MAX_ROLE_ARN, check_profile_name, check_role_arn, check_serial, is_mfa_arn, is_region,
};
pub use endpoint::{ALLOW_HTTP, Endpoint, endpoint, is_local_url, partition};
pub use ini::{dedent_properties, is_valid_name};
pub use key::Key;
pub use names::closest;
pub use resolve::{
    Chain, KeyFrom, KeySource, LongTermKeys, Overrides, REGION_MARKER, REGION_VARS, Resolved, Role,
    SAVED_REGION_VARS, key_source, long_term_keys, own_region, own_region_var, region, resolve,
    resolve_with, saved_region_var, section_name, unsupported,
};
pub(crate) use sdk::ready;

/// One of the two files, as found on disk.
#[derive(Clone)]
pub struct File {
    pub path: PathBuf,
    /// `None` when the file does not exist.
    pub contents: Option<String>,
}

/// The largest config or credentials file read: real ones are a few KiB. Anything larger is
/// refused before it is read into memory.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

impl File {
    fn read(path: PathBuf) -> Result<File> {
        let Some(bytes) = read_bounded(&path)? else {
            return Ok(File {
                path,
                contents: None,
            });
        };
        let mut text = String::from_utf8(bytes).map_err(|e| {
            let error = Error::new(format!(
                "cannot read {}: it is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ))
            .hint("save the file as UTF-8 text");
            e.into_bytes().zeroize();
            error
        })?;
        // Editors on Windows start files with a byte-order mark; the AWS parsers would take it
        // for part of the first line.
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        if let Cow::Owned(dedented) = dedent_properties(&text) {
            std::mem::replace(&mut text, dedented).zeroize();
        }
        Ok(File {
            path,
            contents: Some(text),
        })
    }

    pub fn exists(&self) -> bool {
        self.contents.is_some()
    }
}

/// The text holds the long-term secrets of every profile: cleared when it is dropped.
impl Drop for File {
    fn drop(&mut self) {
        if let Some(text) = &mut self.contents {
            text.zeroize();
        }
    }
}

/// The bytes of a config or credentials file, None when there is none. Only a regular file
/// is read, and at most `MAX_FILE_BYTES` of it: a named pipe would wait for a writer forever
/// and a device could answer without end. `/dev/null` reads as empty: `exec --server` hands
/// its command AWS_CONFIG_FILE=/dev/null.
fn read_bounded(path: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};

    let cannot_read = |e: std::io::Error| {
        Error::new(format!("cannot read {}: {e}", path.display()))
            .hint("check the path (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) and the file's permissions (the AWS CLI needs to read it too)")
    };
    let is_null = |meta: &std::fs::Metadata| {
        meta.file_type().is_char_device()
            && std::fs::metadata("/dev/null")
                .is_ok_and(|null| null.file_type().is_char_device() && null.rdev() == meta.rdev())
    };
    // What the path is, before it is opened (opening a pipe or a device can wait or act),
    // and again once open, in case it was replaced in between.
    let check = |meta: &std::fs::Metadata| -> Result<()> {
        let kind = meta.file_type();
        let what = if kind.is_file() {
            if meta.len() <= MAX_FILE_BYTES {
                return Ok(());
            }
            return Err(too_large(path));
        } else if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a named pipe"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else {
            "not a file"
        };
        Err(Error::new(format!(
            "cannot read {}: it is {what}, not a regular file",
            path.display()
        ))
        .hint("point AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE at a file"))
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot_read(e)),
    };
    if is_null(&meta) {
        return Ok(Some(Vec::new()));
    }
    check(&meta)?;
    // Non-blocking, so that a pipe put in its place does not stop the open; no terminal
    // becomes the controlling one.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(cannot_read)?;
    let meta = file.metadata().map_err(cannot_read)?;
    check(&meta)?;
    // Room for the whole file (and the byte that shows it grew) at once: a buffer that grows
    // as it is read leaves copies of the text, long-term secret included, in freed memory.
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).map_or(0, |n| n + 1));
    let read = file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes);
    // A file that grew past the bound since its size was read.
    if read.is_err() || bytes.len() as u64 > MAX_FILE_BYTES {
        bytes.zeroize();
        return Err(read.err().map_or_else(|| too_large(path), cannot_read));
    }
    Ok(Some(bytes))
}

/// The bytes of a config or credentials file as they are on disk (read as `Profiles` reads
/// it; none when there is none), cleared when dropped: for an edit that changes no other byte.
pub fn read_raw(path: &Path) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>> {
    read_bounded(path).map(|bytes| bytes.map(zeroize::Zeroizing::new))
}

fn too_large(path: &Path) -> Error {
    Error::new(format!(
        "cannot read {}: it is larger than {} MiB, which no AWS config or credentials file is",
        path.display(),
        MAX_FILE_BYTES >> 20
    ))
    .hint("point AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE at your AWS config and credentials files")
}

/// Every profile of both files.
pub struct Profiles {
    pub config: File,
    pub credentials: File,
    /// The config file's, then the credentials file's.
    readings: [Reading; 2],
}

/// One file, read by the lean scan or, where it gave up, by aws-config.
enum Reading {
    Scanned(Vec<Section>),
    Parsed(ProfileSet),
}

impl Reading {
    fn of(kind: EnvConfigFileKind, file: &File) -> Result<Reading> {
        let text = file.contents.as_deref().unwrap_or_default();
        match scan::scan(text, kind) {
            Some(sections) => Ok(Reading::Scanned(sections)),
            None => sdk::parse_one(kind, file).map(Reading::Parsed),
        }
    }
}

// The files' text and its readings hold the long-term secret: Debug shows neither.
impl std::fmt::Debug for File {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("File")
            .field("path", &self.path)
            .field("bytes", &self.contents.as_ref().map(String::len))
            .finish()
    }
}

impl std::fmt::Debug for Profiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profiles")
            .field("names", &self.names())
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .finish()
    }
}

/// Where a file is: the environment variable's path (with `~/` expanded), else the default.
/// A `~` is the home directory from `Env::home`, never the working directory's `./~`.
fn file_path(env: &Env, var: &str, default: &str) -> Result<PathBuf> {
    let raw = env.get(var).unwrap_or(default);
    let Some(rest) = raw.strip_prefix("~/").or((raw == "~").then_some("")) else {
        return Ok(PathBuf::from(raw));
    };
    let home = env.home().map_err(|why| {
        Error::new(format!("cannot tell where {raw} is: {why}")).hint(
            "set HOME to your home directory (an absolute path), or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE to the files",
        )
    })?;
    Ok(if rest.is_empty() {
        home
    } else {
        home.join(rest)
    })
}

/// Where the config and credentials files are, as the environment (or the default) says.
pub fn file_paths(env: &Env) -> Result<(PathBuf, PathBuf)> {
    Ok((
        file_path(env, "AWS_CONFIG_FILE", "~/.aws/config")?,
        file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")?,
    ))
}

/// The config and credentials files, where the environment (or the default) puts them.
pub(crate) fn read_files(env: &Env) -> Result<(File, File)> {
    let config = File::read(file_path(env, "AWS_CONFIG_FILE", "~/.aws/config")?)?;
    let credentials = File::read(file_path(
        env,
        "AWS_SHARED_CREDENTIALS_FILE",
        "~/.aws/credentials",
    )?)?;
    Ok((config, credentials))
}

impl Profiles {
    pub fn load(env: &Env) -> Result<Profiles> {
        let (config, credentials) = read_files(env)?;
        Profiles::read(config, credentials)
    }

    fn read(config: File, credentials: File) -> Result<Profiles> {
        let readings = [
            Reading::of(EnvConfigFileKind::Config, &config)?,
            Reading::of(EnvConfigFileKind::Credentials, &credentials)?,
        ];
        Ok(Profiles {
            config,
            credentials,
            readings,
        })
    }

    /// Profiles from text, as if read from files named `config` and `credentials`: for the
    /// tests and fuzz targets, which feed the reading and `resolve` arbitrary files without
    /// disk I/O.
    #[doc(hidden)]
    pub fn from_texts(config: &str, credentials: &str) -> Result<Profiles> {
        let file = |path: &str, text: &str| File {
            path: path.into(),
            contents: Some(dedent_properties(text).into_owned()),
        };
        Profiles::read(file("config", config), file("credentials", credentials))
    }

    /// The profiles as they would be with `config` as the text of the config file (read as
    /// [`File::read`] reads the file), read by aws-config's parser itself: what a check
    /// before writing the file trusts.
    pub fn with_config(&self, config: String) -> Result<Profiles> {
        let config = match dedent_properties(&config) {
            Cow::Borrowed(_) => config,
            Cow::Owned(dedented) => dedented,
        };
        let config = File {
            path: self.config.path.clone(),
            contents: Some(config),
        };
        let credentials = self.credentials.clone();
        let readings = [
            Reading::Parsed(sdk::parse_one(EnvConfigFileKind::Config, &config)?),
            Reading::of(EnvConfigFileKind::Credentials, &credentials)?,
        ];
        Ok(Profiles {
            config,
            credentials,
            readings,
        })
    }

    /// The profiles as they would be with `credentials` as the text of the credentials file,
    /// read by aws-config's parser itself (see [`Profiles::with_config`]).
    pub fn with_credentials(&self, credentials: String) -> Result<Profiles> {
        let credentials = match dedent_properties(&credentials) {
            Cow::Borrowed(_) => credentials,
            Cow::Owned(dedented) => dedented,
        };
        let credentials = File {
            path: self.credentials.path.clone(),
            contents: Some(credentials),
        };
        let config = self.config.clone();
        let readings = [
            Reading::of(EnvConfigFileKind::Config, &config)?,
            Reading::Parsed(sdk::parse_one(
                EnvConfigFileKind::Credentials,
                &credentials,
            )?),
        ];
        Ok(Profiles {
            config,
            credentials,
            readings,
        })
    }

    /// Done with the files once the profile is resolved: their texts, which hold the
    /// long-term secret of every profile, are cleared and freed now. A file aws-config read
    /// is left for the exit to return: its strings are aws-config's, out of reach for
    /// clearing, and freeing them one hash map at a time would not clear them either (it was
    /// a tenth of an export's instructions on 10,000 profiles).
    pub fn release(self) {
        let Profiles {
            config,
            credentials,
            readings,
        } = self;
        for reading in readings {
            if let Reading::Parsed(set) = reading {
                std::mem::forget(set);
            }
        }
        drop((config, credentials));
    }

    /// Whether the scan read both files (aws-config read none).
    #[doc(hidden)]
    pub fn scanned(&self) -> bool {
        self.readings
            .iter()
            .all(|r| matches!(r, Reading::Scanned(_)))
    }

    /// A file's text and its reading: 0 the config file, 1 the credentials file.
    fn reading(&self, i: usize) -> (&str, &Reading) {
        let file = [&self.config, &self.credentials][i];
        (
            file.contents.as_deref().unwrap_or_default(),
            &self.readings[i],
        )
    }

    /// Profile names, sorted, each once.
    pub fn names(&self) -> Vec<&str> {
        let mut names = Vec::new();
        for i in 0..2 {
            match self.reading(i) {
                (text, Reading::Scanned(sections)) => names.extend(
                    (sections.iter())
                        .filter(|s| s.kind == scan::Kind::Profile)
                        .map(|s| s.name.of(text)),
                ),
                (_, Reading::Parsed(set)) => names.extend(set.profiles()),
            }
        }
        names.sort_unstable();
        names.dedup();
        names
    }

    fn files_read(&self) -> String {
        [&self.config, &self.credentials]
            .iter()
            .map(|f| {
                if f.exists() {
                    f.path.display().to_string()
                } else {
                    format!("{} (missing)", f.path.display())
                }
            })
            .collect::<Vec<_>>()
            .join(" and ")
    }

    /// The profile of that name, if the files hold it.
    pub fn find(&self, name: &str) -> Option<Profile<'_>> {
        let mut found = None;
        let parts = [0, 1].map(|i| match self.reading(i) {
            (text, Reading::Scanned(sections)) => {
                let own: Vec<&Section> = (sections.iter())
                    .filter(|s| s.kind == scan::Kind::Profile && s.name.of(text) == name)
                    .collect();
                match own.first() {
                    Some(section) => {
                        found = Some(section.name.of(text));
                        Part::Scanned(text, own)
                    }
                    None => Part::Absent,
                }
            }
            (_, Reading::Parsed(set)) => match set.get_profile(name) {
                Some(profile) => {
                    found = Some(profile.name());
                    Part::Parsed(profile)
                }
                None => Part::Absent,
            },
        });
        Some(Profile {
            profiles: self,
            name: found?,
            parts,
        })
    }

    pub fn get(&self, name: &str) -> Result<Profile<'_>> {
        if let Some(profile) = self.find(name) {
            return Ok(profile);
        }
        if !self.config.exists() && !self.credentials.exists() {
            return Err(Error::new(format!(
                "no AWS config files: {} and {} do not exist",
                self.config.path.display(),
                self.credentials.path.display()
            ))
            .hint(format!(
                "create the profile with `aws configure --profile {name}`, or set AWS_CONFIG_FILE"
            )));
        }
        if let Some(err) = self.skipped_section(name) {
            return Err(err);
        }
        let names = self.names();
        let hint = match closest(name, &names) {
            _ if !is_valid_name(name) => invalid_name(name),
            Some(near) => format!("did you mean '{near}'?"),
            None if names.is_empty() => {
                format!("the files hold no profile; add one with `aws configure --profile {name}`")
            }
            None => format!("the profiles there are: {}", names.join(", ")),
        };
        Err(Error::new(format!(
            "profile '{name}' not found in {}",
            self.files_read()
        ))
        .hint(hint))
    }

    /// A section for `name` that the files hold and the AWS SDKs skip: `[name]` in the config
    /// file, where they read only `[profile name]`; `[profile name]` in the credentials file,
    /// where they read only `[name]`; or a name of characters the SDKs do not take (the AWS
    /// CLI does: botocore reads `[profile cost$center]`, aws-config drops it).
    fn skipped_section(&self, name: &str) -> Option<Error> {
        let has = |file: &File, prefix: Option<&str>| {
            file.contents
                .as_deref()
                .is_some_and(|text| ini::headers(text).any(|h| h == (prefix, name)))
        };
        let not_found = |file: &File, header: &str, why: &str| {
            Error::new(format!(
                "profile '{name}' not found: {} has {header}, {why}",
                file.path.display()
            ))
        };
        if !is_valid_name(name) {
            let (file, header) = if has(&self.config, Some("profile")) {
                (&self.config, format!("[profile {name}]"))
            } else if has(&self.credentials, None) {
                (&self.credentials, format!("[{name}]"))
            } else {
                return None;
            };
            return Some(
                not_found(
                    file,
                    &header,
                    "which the AWS CLI reads, but the AWS SDKs, and so mfa-env, skip",
                )
                .hint(invalid_name(name)),
            );
        }
        if name != "default" && has(&self.config, None) {
            return Some(
                not_found(&self.config, &format!("[{name}]"), &format!(
                    "but in the config file the AWS tools read a profile only from [profile {name}]"
                ))
                .hint(format!(
                    "rename the section to [profile {name}] (bare names such as [{name}] are for the credentials file)"
                )),
            );
        }
        if has(&self.credentials, Some("profile")) {
            return Some(
                not_found(&self.credentials, &format!("[profile {name}]"), &format!(
                    "but in the credentials file the AWS tools read a profile only from [{name}]"
                ))
                .hint(format!(
                    "rename the section to [{name}] (the `profile ` prefix is for the config file)"
                )),
            );
        }
        None
    }
}

/// One profile of the files, and the way to its values.
#[derive(Clone)]
pub struct Profile<'a> {
    profiles: &'a Profiles,
    name: &'a str,
    /// Where its values are: in the config file, then in the credentials file.
    parts: [Part<'a>; 2],
}

/// Where a profile's values are in one file.
#[derive(Clone)]
enum Part<'a> {
    /// The file holds no section of the profile.
    Absent,
    /// Its sections, in the file's order, and the file's text.
    Scanned(&'a str, Vec<&'a Section>),
    Parsed(&'a aws_config::profile::Profile),
}

impl<'a> Part<'a> {
    fn get(&self, key: Key) -> Option<&'a str> {
        match self {
            Part::Absent => None,
            // A later section's value wins, as in aws-config.
            Part::Scanned(text, sections) => {
                (sections.iter().rev()).find_map(|section| section.get(text, key))
            }
            Part::Parsed(profile) => profile.get(key.name()),
        }
    }
}

impl<'a> Profile<'a> {
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The value of a key: the credentials file's, else the config file's.
    pub fn get(&self, key: Key) -> Option<&'a str> {
        let [config, credentials] = &self.parts;
        credentials.get(key).or_else(|| config.get(key))
    }

    /// The value of a key in the config file's sections alone.
    pub fn in_config(&self, key: Key) -> Option<&'a str> {
        self.parts[0].get(key)
    }

    /// The value of a key in the credentials file's sections alone.
    pub fn in_credentials(&self, key: Key) -> Option<&'a str> {
        self.parts[1].get(key)
    }

    /// The files the profile was read from, to name in messages.
    pub fn files(&self) -> &'a Profiles {
        self.profiles
    }

    /// A key of the `[services NAME]` section the profile names, for one service.
    pub(crate) fn service_setting(&self, service: &str, key: &str) -> Option<&'a str> {
        let section = self.get(Key::Services)?;
        let setting = match self.profiles.reading(0) {
            (text, Reading::Scanned(sections)) => {
                scan::service_setting(text, sections, section, service, key)
            }
            (_, Reading::Parsed(set)) => sdk::service_setting(set, section, service, key),
        };
        setting.filter(|v| !v.is_empty())
    }
}

impl<'a> chain::Keys<'a> for Profile<'a> {
    fn name(&self) -> &'a str {
        Profile::name(self)
    }

    fn value(&self, key: Key) -> Option<&'a str> {
        self.get(key)
    }
}

// Its values hold the long-term secret: Debug shows the name only.
impl std::fmt::Debug for Profile<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn file_texts_are_cleared_when_dropped_and_released_once_resolved() {
        const MARKER: &str = "fileSECRET+marker/0000000000000000000001";
        let dir = tempfile::tempdir().unwrap();
        // A file of a real size, read in many pieces: no freed piece may hold the secret.
        let large = format!(
            "[dev]\n# {}\naws_secret_access_key = {MARKER}\n# {}\n",
            "x".repeat(5000),
            "y".repeat(70000)
        );
        let texts: [&[u8]; 5] = [
            large.as_bytes(),
            b"[dev]\naws_secret_access_key = fileSECRET+marker/0000000000000000000001\n",
            b"\xef\xbb\xbf[dev]\naws_secret_access_key = fileSECRET+marker/0000000000000000000001\n",
            b"[dev]\n  aws_secret_access_key = fileSECRET+marker/0000000000000000000001\n",
            b"[dev]\naws_secret_access_key = fileSECRET+marker/0000000000000000000001\n\xff",
        ];
        for text in texts {
            let path = dir.path().join("credentials");
            std::fs::write(&path, text).unwrap();
            let freed = crate::secret::freed::holding(MARKER, || drop(File::read(path)));
            assert_eq!(freed, 0, "{:?}", String::from_utf8_lossy(text));
        }
        let credentials =
            format!("[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = {MARKER}\n");
        let profiles = Profiles::from_texts(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
            &credentials,
        )
        .unwrap();
        let text = profiles.credentials.contents.as_deref().unwrap().as_ptr();
        assert_eq!(
            crate::secret::freed::block(text, || profiles.release()),
            Some(true),
            "the text is freed, and cleared"
        );
    }

    #[test]
    fn files_are_read_up_to_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_FILE_BYTES).unwrap();
        let bytes = read_bounded(&path).unwrap().unwrap();
        assert_eq!(bytes.len() as u64, MAX_FILE_BYTES);
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_bounded(&path).unwrap_err();
        assert!(err.message().contains("is larger than 16 MiB"), "{err}");
        assert_eq!(read_bounded(&dir.path().join("none")).unwrap(), None);
        assert_eq!(
            read_bounded(Path::new("/dev/null")).unwrap(),
            Some(Vec::new())
        );
    }

    #[test]
    fn a_tilde_is_the_home_directory_never_the_working_directory() {
        let path = |pairs: &[(&str, &str)], var| {
            file_path(
                &Env::from_pairs(pairs.iter().copied()),
                var,
                "~/.aws/config",
            )
        };
        let home = [("HOME", "/home/me")];
        assert_eq!(
            path(&home, "AWS_CONFIG_FILE").unwrap(),
            Path::new("/home/me/.aws/config")
        );
        let set = [("HOME", "/home/me"), ("AWS_CONFIG_FILE", "~")];
        assert_eq!(
            path(&set, "AWS_CONFIG_FILE").unwrap(),
            Path::new("/home/me")
        );
        let set = [("AWS_CONFIG_FILE", "cfg/x")];
        assert_eq!(path(&set, "AWS_CONFIG_FILE").unwrap(), Path::new("cfg/x"));
        // HOME unset or empty: the password database's home, an absolute path.
        for unset in [&[][..], &[("HOME", "")][..]] {
            let found = path(unset, "AWS_CONFIG_FILE").unwrap();
            assert!(found.is_absolute(), "{found:?}");
            assert!(found.ends_with(".aws/config"), "{found:?}");
        }
        let err = path(&[("HOME", "~")], "AWS_CONFIG_FILE").unwrap_err();
        assert!(
            err.to_string()
                .contains("HOME is '~', which is not an absolute path"),
            "{err}"
        );
    }
}
