//! Reading `~/.aws/config` and `~/.aws/credentials` into a resolved profile.
//!
//! Pure data and no network. The files are read here (so that a missing, unreadable or
//! non-UTF-8 file gets a clear message) and parsed by aws-config's own parser, which merges
//! both files into one set of profiles exactly as the AWS SDKs do.
//!
//! What lives where: this file reads the two files and finds a profile in them; `names`
//! holds the valid-name set and the did-you-mean; `chain` follows `source_profile`;
//! `resolve` turns a profile into the keys, roles, region and endpoint of a session, with
//! `check` (ARNs, serials, regions) and `endpoint` (configured endpoints, FIPS, plain http);
//! `listing` is the lean scan of `list` and completion; `edit` writes a key into the config
//! file.

use std::borrow::Cow;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aws_config::profile::{ProfileFileLoadError, ProfileSet};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_runtime::env_config::property::PropertiesKey;
use aws_types::os_shim_internal;

use crate::env::Env;
use crate::error::{Error, Result};
use names::{closest, invalid_name};

pub mod chain;
mod check;
pub mod edit;
mod endpoint;
mod ini;
mod key;
pub mod listing;
mod names;
mod resolve;

pub use check::{check_role_arn, check_serial, is_mfa_arn, is_region};
pub use endpoint::{ALLOW_HTTP, Endpoint, endpoint};
pub use ini::{dedent_properties, is_valid_name};
pub use key::Key;
pub use resolve::{
    Chain, LongTermKeys, Overrides, Resolved, Role, long_term_keys, region, resolve, section_name,
    unsupported,
};

/// One of the two files, as found on disk.
#[derive(Clone)]
pub struct File {
    pub path: PathBuf,
    /// `None` when the file does not exist.
    pub contents: Option<String>,
}

impl File {
    fn read(path: PathBuf) -> Result<File> {
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(File {
                    path,
                    contents: None,
                });
            }
            Err(e) if path.is_dir() => {
                return Err(Error::new(format!(
                    "cannot read {}: it is a directory ({e})",
                    path.display()
                ))
                .hint("point AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE at a file"));
            }
            Err(e) => {
                return Err(Error::new(format!("cannot read {}: {e}", path.display()))
                    .hint("check the path (AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE) and the file's permissions (the AWS CLI needs to read it too)"));
            }
        };
        let mut text = String::from_utf8(bytes).map_err(|e| {
            Error::new(format!(
                "cannot read {}: it is not UTF-8 text (invalid byte at offset {})",
                path.display(),
                e.utf8_error().valid_up_to()
            ))
            .hint("save the file as UTF-8 text")
        })?;
        // Editors on Windows start files with a byte-order mark; the AWS parsers would take it
        // for part of the first line.
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        if let Cow::Owned(dedented) = dedent_properties(&text) {
            text = dedented;
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

/// Every profile of both files.
pub struct Profiles {
    set: ProfileSet,
    pub config: File,
    pub credentials: File,
}

// The files' text and the parsed set hold the long-term secret: Debug shows neither.
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
fn file_path(env: &Env, var: &str, default: &str) -> PathBuf {
    let raw = env.get(var).unwrap_or(default);
    match (raw.strip_prefix("~/"), env.home()) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ if raw == "~" => env.home().map(PathBuf::from).unwrap_or_default(),
        _ => PathBuf::from(raw),
    }
}

/// The config and credentials files, where the environment (or the default) puts them.
pub(crate) fn read_files(env: &Env) -> Result<(File, File)> {
    let config = File::read(file_path(env, "AWS_CONFIG_FILE", "~/.aws/config"))?;
    let credentials = File::read(file_path(
        env,
        "AWS_SHARED_CREDENTIALS_FILE",
        "~/.aws/credentials",
    ))?;
    Ok((config, credentials))
}

impl Profiles {
    pub fn load(env: &Env) -> Result<Profiles> {
        let (config, credentials) = read_files(env)?;
        let set = parse(&config, &credentials)?;
        Ok(Profiles {
            set,
            config,
            credentials,
        })
    }

    /// The profiles as they would be with `config` as the text of the config file (read as
    /// [`File::read`] reads the file).
    pub fn with_config(&self, config: String) -> Result<Profiles> {
        let config = match dedent_properties(&config) {
            Cow::Borrowed(_) => config,
            Cow::Owned(dedented) => dedented,
        };
        let config = File {
            path: self.config.path.clone(),
            contents: Some(config),
        };
        let set = parse(&config, &self.credentials)?;
        Ok(Profiles {
            set,
            config,
            credentials: self.credentials.clone(),
        })
    }

    /// Profile names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.set.profiles().collect();
        names.sort_unstable();
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
        let profile = self.set.get_profile(name)?;
        Some(Profile {
            profiles: self,
            profile,
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
#[derive(Clone, Copy)]
pub struct Profile<'a> {
    profiles: &'a Profiles,
    profile: &'a aws_config::profile::Profile,
}

impl<'a> Profile<'a> {
    pub fn name(&self) -> &'a str {
        self.profile.name()
    }

    /// The value of a key: the credentials file's, else the config file's.
    pub fn get(&self, key: Key) -> Option<&'a str> {
        self.profile.get(key.name())
    }

    /// The files the profile was read from, to name in messages.
    pub fn files(&self) -> &'a Profiles {
        self.profiles
    }

    /// A key of the `[services NAME]` section the profile names, for one service.
    pub(crate) fn service_setting(&self, service: &str, key: &str) -> Option<&'a str> {
        let section = self.get(Key::Services)?;
        let properties_key = PropertiesKey::builder()
            .section_key("services")
            .section_name(section)
            .property_name(service)
            .sub_property_name(key)
            .build()
            .ok()?;
        self.profiles
            .set
            .other_sections()
            .get(&properties_key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
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

impl Profiles {
    /// Profiles from text, as if read from files named `config` and `credentials`: for the
    /// fuzz targets, which feed the parser and `resolve` arbitrary files without disk I/O.
    #[doc(hidden)]
    pub fn from_texts(config: &str, credentials: &str) -> Result<Profiles> {
        let file = |path: &str, text: &str| File {
            path: path.into(),
            contents: Some(dedent_properties(text).into_owned()),
        };
        let (config, credentials) = (file("config", config), file("credentials", credentials));
        let set = parse(&config, &credentials)?;
        Ok(Profiles {
            set,
            config,
            credentials,
        })
    }
}

/// Parse both files with aws-config's parser. On a syntax error, parse each file alone to
/// name the one at fault (the parser reports files given as text without their path).
fn parse(config: &File, credentials: &File) -> Result<ProfileSet> {
    let both = [
        (EnvConfigFileKind::Config, config),
        (EnvConfigFileKind::Credentials, credentials),
    ];
    load_set(&both).map_err(|err| {
        let culprit = both
            .iter()
            .find(|one| load_set(std::slice::from_ref(one)).is_err())
            .map(|(_, f)| *f);
        parse_error(culprit, &err)
    })
}

/// One file alone.
pub(crate) fn parse_one(kind: EnvConfigFileKind, file: &File) -> Result<ProfileSet> {
    load_set(&[(kind, file)]).map_err(|err| parse_error(Some(file), &err))
}

fn parse_error(culprit: Option<&File>, err: &ProfileFileLoadError) -> Error {
    let culprit = culprit.map_or_else(
        || "the AWS config files".to_owned(),
        |f| f.path.display().to_string(),
    );
    // The parse error reads "error parsing <path> on line N:\n  message": keep the
    // line number and the message; the path is the text we passed, not the file's.
    let detail = std::error::Error::source(err).map_or_else(
        || err.to_string(),
        |cause| {
            let text = cause.to_string();
            text.split_once(" on ")
                .map_or(text.as_str(), |(_, rest)| rest)
                .replace(":\n  ", ": ")
        },
    );
    Error::new(format!("cannot parse {culprit}: {detail}"))
        .hint("fix that line; the format is described at https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html")
}

fn load_set(
    files: &[(EnvConfigFileKind, &File)],
) -> std::result::Result<ProfileSet, ProfileFileLoadError> {
    let mut builder = EnvConfigFiles::builder();
    for (kind, file) in files {
        builder = builder.with_contents(*kind, file.contents.clone().unwrap_or_default());
    }
    let files = builder.build();
    // Pass no variables: the files are already read, and AWS_PROFILE must not matter here.
    let no_env = os_shim_internal::Env::from_slice(&[]);
    let fs = os_shim_internal::Fs::from_slice(&[]);
    let load = aws_config::profile::load(&fs, &no_env, &files, Some(Cow::Borrowed("default")));
    ready(load).expect("profile parsing from text does no I/O and never waits")
}

/// The value of a future that is ready on its first poll.
pub(crate) fn ready<F: Future>(future: F) -> Option<F::Output> {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(value) => Some(value),
        Poll::Pending => None,
    }
}
