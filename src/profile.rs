//! Reading `~/.aws/config` and `~/.aws/credentials` into a resolved profile.
//!
//! Pure data and no network. The files are read here (so that a missing, unreadable or
//! non-UTF-8 file gets a clear message) and parsed by aws-config's own parser, which merges
//! both files into one set of profiles exactly as the AWS SDKs do.

use std::borrow::Cow;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use aws_config::profile::{Profile, ProfileFileLoadError, ProfileSet};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_runtime::env_config::property::PropertiesKey;
use aws_types::os_shim_internal;
use zeroize::Zeroize;

use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::secret::Secret;

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

/// Indented keys, as the AWS CLI reads them: `[default]` then `  region = x`.
///
/// aws-config takes every indented line for the continuation of the property above, and
/// fails on the first key of a section when it is indented ("Expected a property definition,
/// found continuation"); the AWS CLI (Python's configparser) takes an indented line for a
/// continuation only when it is indented deeper than the property it follows. 3 of 40 real
/// files we studied were indented like that (tests/data/config holds the forms). So a line
/// indented no deeper than the section's last property (or following the section header)
/// loses its indentation here; deeper lines (the `s3 =` sub-properties) are left as they are,
/// and comment lines lose their indentation too. Lines are neither added nor removed, so
/// parse errors keep their line numbers.
pub fn dedent_properties(text: &str) -> Cow<'_, str> {
    // Only lines that start with a blank change: most files have none, and are not copied.
    if !(text.starts_with([' ', '\t']) || text.contains("\n ") || text.contains("\n\t")) {
        return Cow::Borrowed(text);
    }
    // The indentation of the property that deeper lines continue; None after a header.
    let mut property: Option<usize> = None;
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_start_matches([' ', '\t']);
        let indent = line.len() - body.len();
        let blank = body.trim().is_empty();
        let mut keep = line;
        if body.starts_with('[') {
            property = None;
            keep = body;
        } else if body.starts_with(['#', ';']) {
            // A comment, however indented (aws-config would append an indented one to the
            // value above: `region = x` then `  # note` made the region "x\n# note").
            keep = body;
        } else if !blank {
            match property {
                Some(level) if indent > level => {}
                _ => {
                    property = Some(indent);
                    keep = body;
                }
            }
        }
        out.push_str(keep);
    }
    Cow::Owned(out)
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

    /// Done with the files once the profile is resolved: their texts, which hold the
    /// long-term secret of every profile, are cleared and freed now. The parsed set is left
    /// for the exit to return: its strings are aws-config's, out of reach for clearing, and
    /// freeing them one hash map at a time would not clear them either (it was a tenth of
    /// an export's instructions on 10,000 profiles).
    pub fn release(self) {
        let Profiles {
            set,
            config,
            credentials,
        } = self;
        std::mem::forget(set);
        drop((config, credentials));
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
    pub fn find(&self, name: &str) -> Option<&Profile> {
        self.set.get_profile(name)
    }

    pub fn get(&self, name: &str) -> Result<&Profile> {
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
                .is_some_and(|text| crate::config_edit::sections(text).contains(&(prefix, name)))
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

    /// A key of the `[services NAME]` section the profile names, for one service.
    fn service_setting(&self, profile: &Profile, service: &str, key: &str) -> Option<&str> {
        let section = profile.get("services")?;
        let properties_key = PropertiesKey::builder()
            .section_key("services")
            .section_name(section)
            .property_name(service)
            .sub_property_name(key)
            .build()
            .ok()?;
        self.set
            .other_sections()
            .get(&properties_key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
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

/// Whether the AWS SDKs read a profile of this name: letters, digits and `_-/.%@:+` (the
/// AWS CLI reads any name).
pub fn is_valid_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

/// Why a name is not read, and a name that would be.
fn invalid_name(name: &str) -> String {
    let renamed: String = name
        .chars()
        .map(|c| {
            if is_valid_name(c.encode_utf8(&mut [0; 4])) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let example = if renamed.chars().any(|c| c.is_ascii_alphanumeric()) {
        format!(", such as '{renamed}'")
    } else {
        String::new()
    };
    format!(
        "'{name}' is not a valid profile name for the AWS SDKs, which take only letters, digits and _-/.%@:+; rename the profile in both files{example}"
    )
}

/// The closest name by edit distance, if it is close enough to be a likely typo.
fn closest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let (best, distance) = names
        .iter()
        .map(|n| (*n, edit_distance(&name.to_lowercase(), &n.to_lowercase())))
        .min_by_key(|(_, d)| *d)?;
    let limit = (name.chars().count() / 3).max(2);
    (distance <= limit).then_some(best)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The long-term keys of an IAM user.
#[derive(Debug, Clone)]
pub struct LongTermKeys {
    /// The profile they are in, to name in messages.
    pub profile: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
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

const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "credential_process",
        "its keys come from credential_process",
    ),
    ("credential_source", "its keys come from credential_source"),
    ("sso_session", "it signs in with IAM Identity Center (SSO)"),
    (
        "sso_start_url",
        "it signs in with IAM Identity Center (SSO)",
    ),
    ("web_identity_token_file", "it uses a web identity token"),
];

/// Follow `source_profile` from `name` to the profile that holds the keys, and describe each
/// AssumeRole on the way back.
pub fn resolve(profiles: &Profiles, name: &str, env: &Env, over: &Overrides) -> Result<Resolved> {
    // Profiles from the named one to the one holding the keys.
    let chain = crate::chain::follow(profiles, name)?
        .iter()
        .map(|n| profiles.get(n))
        .collect::<Result<Vec<&Profile>>>()?;
    let keys_profile = *chain.last().expect("a chain holds the named profile");
    let keys = long_term_keys(keys_profile, profiles)?;

    // Roles in the order they are assumed: from the keys' end of the chain to the named one.
    let mut roles = Vec::new();
    for (i, profile) in chain.iter().enumerate().rev() {
        let Some(arn) = profile.get("role_arn") else {
            continue;
        };
        roles.push(Role {
            profile: profile.name().to_owned(),
            arn: arn.trim().to_owned(),
            session_name: session_name(profile.get("role_session_name"), env)?,
            external_id: profile.get("external_id").map(|s| s.trim().to_owned()),
            mfa_serial: crate::chain::role_serial(&chain, i)
                .map(|s| check_serial(s).map(str::to_owned))
                .transpose()?,
        });
    }
    if let Some(arn) = over.role_arn {
        let source = chain.first().copied().unwrap_or(keys_profile);
        roles.push(Role {
            profile: name.to_owned(),
            arn: arn.trim().to_owned(),
            session_name: session_name(over.role_session_name, env)?,
            external_id: over.external_id.map(str::to_owned),
            mfa_serial: source
                .get("mfa_serial")
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

    let named = chain[0];
    let mut mfa_serial = named.get("mfa_serial").map(str::to_owned);
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
    let region = region(over.region, &chain, env)?;
    let endpoint = endpoint(profiles, named, env, "sts", "STS")?;
    let duration = match named.get("duration_seconds") {
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
        keys_profile: keys_profile.name().to_owned(),
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

/// A role's ARN; `from` says where it was written (`role_arn of profile 'x'`).
pub fn check_role_arn(arn: &str, from: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(parts[..], ["arn", partition, "iam", "", account, resource]
        if !partition.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.len() > "role/".len()
            && resource.starts_with("role/"));
    if ok {
        return Ok(());
    }
    // A role's name alone (`--role-arn Admin`): STS takes only the full ARN, and the name
    // says what it would be.
    let role = arn
        .rsplit(['/', ':'])
        .next()
        .filter(|name| !name.is_empty() && !arn.starts_with("arn:"))
        .unwrap_or("NAME");
    Err(Error::new(format!(
        "'{arn}' ({from}) is not a role ARN: STS needs the role's full ARN"
    ))
    .hint(format!(
        "it looks like arn:aws:iam::123456789012:role/{role} (IAM console > Roles > the role > ARN)"
    )))
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
        .find(|(key, _)| profile.get(key).is_some())
        .map(|(_, why)| {
            Error::new(format!(
                "profile '{}' is not supported by mfa-env: {why}",
                profile.name()
            ))
            .hint("mfa-env works with an IAM user's long-term keys (aws_access_key_id) and mfa_serial, and with roles whose source_profile chain ends at such keys")
        })
}

pub fn long_term_keys(profile: &Profile, profiles: &Profiles) -> Result<LongTermKeys> {
    let name = profile.name();
    let id = profile.get("aws_access_key_id");
    let secret = profile.get("aws_secret_access_key");
    let (id, secret) = match (id, secret) {
        (Some(id), Some(secret)) => (id.trim(), secret.trim()),
        (None, None) => {
            if let Some(err) = unsupported(profile) {
                return Err(err);
            }
            return Err(Error::new(format!(
                "profile '{name}' has no long-term keys (aws_access_key_id and aws_secret_access_key) in {}",
                profiles.credentials.path.display()
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
    if profile.get("aws_session_token").is_some() || id.starts_with("ASIA") {
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
    })
}

/// An MFA device's ARN, `arn:PARTITION:iam::ACCOUNT:mfa/NAME`, or a hardware token's serial
/// (letters and digits, such as GAHT12345678).
pub fn check_serial(serial: &str) -> Result<&str> {
    let serial = serial.trim();
    if is_mfa_arn(serial) || is_hardware_serial(serial) {
        return Ok(serial);
    }
    Err(Error::new(format!("'{serial}' is not an MFA device ARN"))
        .hint("it looks like arn:aws:iam::123456789012:mfa/alice; copy it from the IAM console > Users > Security credentials > Assigned MFA device"))
}

pub fn is_mfa_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    arn == "arn"
        && !partition.is_empty()
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("mfa/").is_some_and(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
        })
}

fn is_hardware_serial(s: &str) -> bool {
    (9..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The region: `--region`, the first `region` along the profile chain (the role profile,
/// then its source), AWS_REGION, AWS_DEFAULT_REGION, us-east-1.
pub fn region(cli: Option<&str>, chain: &[&Profile], env: &Env) -> Result<String> {
    let from_profile = chain.iter().find_map(|p| {
        p.get("region")
            .map(|r| (r, format!("the region of profile '{}'", p.name())))
    });
    let (region, from) = if let Some(r) = cli {
        (r, "--region".to_owned())
    } else if let Some(found) = from_profile {
        found
    } else if let Some(r) = env.get("AWS_REGION") {
        (r, "AWS_REGION".to_owned())
    } else if let Some(r) = env.get("AWS_DEFAULT_REGION") {
        (r, "AWS_DEFAULT_REGION".to_owned())
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

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eu-isoe-west-1`: lowercase words joined by
/// hyphens, ending in a number.
pub fn is_region(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or_default();
    let parts: Vec<&str> = parts.collect();
    s.len() <= 32
        && first.len() >= 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.len() >= 2
        && parts[..parts.len() - 1].iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// The variable that lets a configured endpoint be plain http to a host other than this
/// computer.
pub const ALLOW_HTTP: &str = "MFA_ENV_ALLOW_HTTP";

/// Where one service's calls go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// A configured URL, checked: http:// or https://, and plain http only to this computer
    /// unless MFA_ENV_ALLOW_HTTP allows it.
    pub url: Option<String>,
    /// AWS's FIPS endpoint (AWS_USE_FIPS_ENDPOINT, use_fips_endpoint); never with a URL.
    pub fips: bool,
    /// AWS's dual-stack (IPv6) endpoint (AWS_USE_DUALSTACK_ENDPOINT, use_dualstack_endpoint);
    /// never with a URL.
    pub dual_stack: bool,
    /// Where the URL, or FIPS and dual-stack, were set, for the line that names the endpoint;
    /// None for AWS's own endpoint.
    pub from: Option<String>,
}

impl Endpoint {
    /// The line that names an endpoint other than AWS's own (`url`, where the calls go), and
    /// where it was set.
    pub fn notice(&self, service: &str, url: &str) -> Option<String> {
        let from = self.from.as_deref()?;
        Some(format!("using {service} endpoint {url} (from {from})"))
    }
}

/// Where a service's calls go: a configured endpoint, in the order AWS documents
/// (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's `[services]` section, the
/// profile's `endpoint_url`; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
/// ignore_configured_endpoint_urls turns all of them off), else AWS's own, in its FIPS or
/// dual-stack form when AWS_USE_FIPS_ENDPOINT / use_fips_endpoint or
/// AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint ask for it.
///
/// A configured endpoint receives the access key id, the signature and the MFA code, and what
/// it answers is exported: plain http is refused unless it goes to this computer, or
/// MFA_ENV_ALLOW_HTTP=1 allows it (a local emulator on another host, such as LocalStack in
/// docker compose).
pub fn endpoint(
    profiles: &Profiles,
    profile: &Profile,
    env: &Env,
    service: &str,
    env_suffix: &str,
) -> Result<Endpoint> {
    let ignore = env
        .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| profile.get("ignore_configured_endpoint_urls"))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    // FIPS and dual-stack, as the SDKs read them: the variable, else the named profile's key.
    let fips = flag(profile, env, "AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint")?;
    let dual_stack = flag(
        profile,
        env,
        "AWS_USE_DUALSTACK_ENDPOINT",
        "use_dualstack_endpoint",
    )?;
    let variants = || {
        let from: Vec<&str> = [&fips, &dual_stack]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        Endpoint {
            url: None,
            fips: fips.is_some(),
            dual_stack: dual_stack.is_some(),
            from: (!from.is_empty()).then(|| from.join(" and ")),
        }
    };
    if ignore {
        return Ok(variants());
    }
    let variable = format!("AWS_ENDPOINT_URL_{env_suffix}");
    let configured = env
        .get(&variable)
        .map(|url| (url, variable.clone()))
        .or_else(|| {
            env.get("AWS_ENDPOINT_URL")
                .map(|url| (url, "AWS_ENDPOINT_URL".to_owned()))
        })
        .or_else(|| {
            let url = profiles.service_setting(profile, service, "endpoint_url")?;
            let section = profile.get("services").unwrap_or_default();
            Some((
                url,
                format!("the {service} endpoint_url of [services {section}]"),
            ))
        })
        .or_else(|| {
            let url = profile.get("endpoint_url").filter(|v| !v.is_empty())?;
            Some((url, format!("endpoint_url of profile '{}'", profile.name())))
        });
    let Some((url, from)) = configured else {
        return Ok(variants());
    };
    let url = url.trim();
    let service_name = env_suffix;
    // FIPS and dual-stack are variants of AWS's own endpoint. The AWS SDKs' endpoint rules
    // refuse them with a configured one (botocore drops them silently): refused, so that a
    // person who asked for FIPS never gets an endpoint that may not be.
    if let Some(setting) = fips.as_ref().or(dual_stack.as_ref()) {
        return Err(Error::new(format!(
            "{setting} asks for AWS's own {service_name} endpoint in its FIPS or dual-stack form, and {from} sets the endpoint {url}; the AWS SDKs refuse the two together"
        ))
        .hint("remove one: a configured endpoint is used as it is (or set AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true to use AWS's)"));
    }
    let parsed = url
        .parse::<http::Uri>()
        .ok()
        .filter(|uri| uri.host().is_some());
    let plain = url.starts_with("http://");
    let host = match parsed {
        Some(uri) if plain || url.starts_with("https://") => {
            uri.host().unwrap_or_default().to_owned()
        }
        _ => {
            return Err(Error::new(format!(
                "the {service_name} endpoint '{url}' is not an http:// or https:// URL"
            ))
            .hint(format!("fix it where it is set: {from}")));
        }
    };
    let from = if plain && !is_loopback(&host) {
        if !env
            .get(ALLOW_HTTP)
            .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
        {
            return Err(Error::new(format!(
                "the {service_name} endpoint {url} (from {from}) is plain http to another computer: the access key id, the signature and the MFA code would cross the network unencrypted, and any answer would be believed"
            ))
            .hint(format!(
                "use https://; for a local emulator on another host (LocalStack in docker compose), set {ALLOW_HTTP}=1"
            )));
        }
        format!("{from}; plain http, allowed by {ALLOW_HTTP}")
    } else {
        from
    };
    Ok(Endpoint {
        url: Some(url.to_owned()),
        fips: false,
        dual_stack: false,
        from: Some(from),
    })
}

/// A true/false setting, as the SDKs read it: the variable, else the profile's key (`true`
/// or `false`, in any case). Where it was set when true; None when false or unset. Any other
/// value is refused: the SDKs ignore it with a warning, and a person who wrote
/// AWS_USE_FIPS_ENDPOINT=1 asked for FIPS.
fn flag(profile: &Profile, env: &Env, variable: &str, key: &str) -> Result<Option<String>> {
    let (value, from) = match env.get(variable) {
        Some(value) => (value, format!("{variable}={}", value.trim())),
        None => match profile.get(key) {
            Some(value) => (
                value,
                format!("{key} = {} in profile '{}'", value.trim(), profile.name()),
            ),
            None => return Ok(None),
        },
    };
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Ok(Some(from)),
        v if v.eq_ignore_ascii_case("false") => Ok(None),
        _ => Err(
            Error::new(format!("{from} is neither true nor false")).hint(format!(
                "set {variable} or {key} to true or false, as the AWS tools read them"
            )),
        ),
    }
}

/// Whether a URL's host is this computer: `localhost` (by name, as botocore takes it: names
/// are not resolved here), 127.0.0.0/8, or ::1 (also as ::ffff:127.x.x.x).
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    }
    host.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn indented_keys_are_read_as_the_aws_cli_reads_them() {
        let cases = [
            (
                "[default]\n    region=x\n    output=json\n",
                "[default]\nregion=x\noutput=json\n",
            ),
            ("[a]\r\n  k=v\r\n  l=w", "[a]\r\nk=v\r\nl=w"),
            // Sub-properties and deeper continuations stay.
            (
                "[a]\ns3 =\n  max = 1\n  b = 2\n",
                "[a]\ns3 =\n  max = 1\n  b = 2\n",
            ),
            (
                "[a]\n  s3 =\n    max = 1\n  k = v\n",
                "[a]\ns3 =\n    max = 1\nk = v\n",
            ),
            // Comments are comments however indented; blank lines stay.
            ("[a]\n  # c\n\t\n  k = v\n", "[a]\n# c\n\t\nk = v\n"),
            ("[a]\nk = v\n  ; c\n", "[a]\nk = v\n; c\n"),
            ("  [a]\nk = v", "[a]\nk = v"),
        ];
        for (text, want) in cases {
            assert_eq!(dedent_properties(text), want, "{text:?}");
        }
    }

    #[test]
    fn a_file_without_indented_lines_is_not_copied() {
        let plain = "[default]\nregion = x\n\n[profile a]\r\nk = v # c \n";
        assert!(matches!(dedent_properties(plain), Cow::Borrowed(t) if t == plain));
        for indented in [" [a]\n", "[a]\n\tk = v\n", "[a]\r\n k = v"] {
            assert!(
                matches!(dedent_properties(indented), Cow::Owned(_)),
                "{indented:?}"
            );
        }
    }

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-west-2",
            "us-gov-west-1",
            "cn-north-1",
            "eu-isoe-west-1",
            "ap-southeast-5",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-EAST-1",
            "us-east-1;id",
            "us east 1",
            "us--1",
            "-us-east-1",
            "$(id)-1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn mfa_arns() {
        assert!(is_mfa_arn("arn:aws:iam::123456789012:mfa/alice"));
        assert!(is_mfa_arn(
            "arn:aws-us-gov:iam::123456789012:mfa/path/a.b@c"
        ));
        for bad in [
            "arn:aws:iam::12345678901:mfa/alice",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:mfa/",
            "arn:aws:sts::123456789012:mfa/alice",
            "arn:aws:iam:us-east-1:123456789012:mfa/alice",
            "arn:aws:iam::123456789012:mfa/al ice",
        ] {
            assert!(!is_mfa_arn(bad), "{bad}");
        }
        assert!(check_serial("GAHT12345678").is_ok());
        assert!(check_serial("nope").is_err());
    }

    #[test]
    fn closest_names() {
        let names = ["default", "dev", "prod-admin"];
        assert_eq!(closest("dve", &names), Some("dev"));
        assert_eq!(closest("prod-admn", &names), Some("prod-admin"));
        assert_eq!(closest("staging", &names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    fn profiles(config: &str, credentials: &str) -> Profiles {
        let config = File {
            path: "config".into(),
            contents: Some(config.into()),
        };
        let credentials = File {
            path: "credentials".into(),
            contents: Some(credentials.into()),
        };
        let set = parse(&config, &credentials).unwrap();
        Profiles {
            set,
            config,
            credentials,
        }
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
    fn plain_http_only_to_this_computer_unless_allowed() {
        let p = profiles(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        );
        let endpoint = |url: &str, allow: Option<&str>| {
            let mut pairs = vec![("AWS_ENDPOINT_URL_STS", url)];
            pairs.extend(allow.map(|v| (ALLOW_HTTP, v)));
            let profile = p.get("dev").unwrap();
            endpoint(&p, profile, &Env::from_pairs(pairs), "sts", "STS")
        };
        for local in [
            "http://127.0.0.1:4566",
            "http://127.9.8.7",
            "http://localhost:4566/",
            "http://LOCALHOST",
            "http://[::1]:4566",
            "http://[::ffff:127.0.0.1]:4566",
            "https://sts.example.com",
            "https://10.0.0.1:8443",
        ] {
            let e = endpoint(local, None).unwrap();
            assert_eq!(e.url.as_deref(), Some(local));
            assert_eq!(e.from.as_deref(), Some("AWS_ENDPOINT_URL_STS"));
        }
        for remote in [
            "http://sts.example.com",
            "http://10.0.0.1:4566",
            "http://localstack:4566",
            "http://127.0.0.1@evil.example",
            "http://localhost.evil.example",
            "http://[::2]",
            "http://128.0.0.1",
            "http://0.0.0.0",
        ] {
            let err = endpoint(remote, None).unwrap_err().to_string();
            assert!(
                err.contains(&format!(
                    "the STS endpoint {remote} (from AWS_ENDPOINT_URL_STS) is plain http to another computer"
                )) && err.contains("set MFA_ENV_ALLOW_HTTP=1"),
                "{err}"
            );
            assert!(endpoint(remote, Some("0")).is_err(), "{remote}");
            let allowed = endpoint(remote, Some("1")).unwrap();
            assert_eq!(
                allowed.notice("STS", remote).unwrap(),
                format!(
                    "using STS endpoint {remote} (from AWS_ENDPOINT_URL_STS; plain http, allowed by MFA_ENV_ALLOW_HTTP)"
                )
            );
        }
        for not_url in [
            "localhost:4566",
            "sts.example.com",
            "ftp://x",
            "http://",
            "HTTP://x",
        ] {
            let err = endpoint(not_url, Some("1")).unwrap_err().to_string();
            assert!(
                err.contains("is not an http:// or https:// URL")
                    && err.contains("fix it where it is set: AWS_ENDPOINT_URL_STS"),
                "{err}"
            );
        }
    }

    #[test]
    fn fips_and_dual_stack_as_the_sdks_read_them() {
        let p = profiles(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nuse_fips_endpoint = TRUE\n[profile plain]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nuse_dualstack_endpoint = yes\n",
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n[plain]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        );
        let endpoint = |name: &str, env: &[(&str, &str)]| {
            let env = Env::from_pairs(env.iter().copied());
            endpoint(&p, p.get(name).unwrap(), &env, "sts", "STS")
        };
        let e = endpoint("dev", &[]).unwrap();
        assert_eq!((e.url, e.fips, e.dual_stack), (None, true, false));
        assert_eq!(
            e.from.as_deref(),
            Some("use_fips_endpoint = TRUE in profile 'dev'")
        );
        // The variable first, even when it says false.
        let e = endpoint("dev", &[("AWS_USE_FIPS_ENDPOINT", "false")]).unwrap();
        assert_eq!(e, Endpoint::default());
        let e = endpoint(
            "dev",
            &[
                ("AWS_USE_DUALSTACK_ENDPOINT", "true"),
                ("AWS_USE_FIPS_ENDPOINT", "true"),
            ],
        )
        .unwrap();
        assert!(e.fips && e.dual_stack);
        assert_eq!(
            e.from.as_deref(),
            Some("AWS_USE_FIPS_ENDPOINT=true and AWS_USE_DUALSTACK_ENDPOINT=true")
        );
        // Neither true nor false: refused, not ignored.
        let err = endpoint("plain", &[]).unwrap_err().to_string();
        assert!(
            err.contains(
                "use_dualstack_endpoint = yes in profile 'plain' is neither true nor false"
            ),
            "{err}"
        );
        let err = endpoint("dev", &[("AWS_USE_FIPS_ENDPOINT", "1")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("AWS_USE_FIPS_ENDPOINT=1 is neither true nor false"),
            "{err}"
        );
        // With a configured endpoint: refused, as the SDKs' endpoint rules refuse it.
        let err = endpoint("dev", &[("AWS_ENDPOINT_URL", "https://vpce.example")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("use_fips_endpoint = TRUE in profile 'dev' asks for AWS's own STS endpoint in its FIPS or dual-stack form, and AWS_ENDPOINT_URL sets the endpoint https://vpce.example"),
            "{err}"
        );
        // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS leaves AWS's, in its FIPS form.
        let e = endpoint(
            "dev",
            &[
                ("AWS_ENDPOINT_URL", "https://vpce.example"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ],
        )
        .unwrap();
        assert_eq!((e.url, e.fips), (None, true));
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
    fn file_texts_are_cleared_when_dropped_and_released_once_resolved() {
        const MARKER: &str = "fileSECRET+marker/0000000000000000000001";
        let dir = tempfile::tempdir().unwrap();
        let texts: [&[u8]; 4] = [
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

    #[test]
    fn long_session_names_are_cut_to_64() {
        let long = "x".repeat(100);
        let name = session_name(None, &Env::from_pairs([("USER", long.as_str())])).unwrap();
        assert_eq!(name.len(), 64);
        assert!(session_name(Some("a b"), &Env::default()).is_err());
    }
}
