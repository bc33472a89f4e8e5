//! aws-config's own parser, for the files the lean scan leaves to it and for the reference
//! reading the scan is compared with.

use std::borrow::Cow;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use aws_config::profile::{ProfileFileLoadError, ProfileSet};
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_runtime::env_config::property::PropertiesKey;
use aws_types::os_shim_internal;

use super::File;
use crate::error::{Error, Result};

/// Parse both files with aws-config's parser. On a syntax error, parse each file alone to
/// name the one at fault (the parser reports files given as text without their path).
pub(super) fn parse_both(config: &File, credentials: &File) -> Result<ProfileSet> {
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
pub(super) fn parse_one(kind: EnvConfigFileKind, file: &File) -> Result<ProfileSet> {
    load_set(&[(kind, file)]).map_err(|err| parse_error(Some(file), &err))
}

/// A sub-property of the `[services NAME]` section (`section`), for one service.
pub(super) fn service_setting<'a>(
    set: &'a ProfileSet,
    section: &str,
    service: &str,
    key: &str,
) -> Option<&'a str> {
    let properties_key = PropertiesKey::builder()
        .section_key("services")
        .section_name(section)
        .property_name(service)
        .sub_property_name(key)
        .build()
        .ok()?;
    set.other_sections()
        .get(&properties_key)
        .map(String::as_str)
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
