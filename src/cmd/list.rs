//! `mfa-env list`: every profile of both files, marking which have an MFA device and which
//! assume a role. Reads the files only: no network.

use std::fmt::Write;

use crate::cmd::{say, write_stdout};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::json_string;
use crate::profile::Profiles;

pub fn run(json: bool, env: &Env) -> Result<()> {
    let profiles = Profiles::load(env)?;
    if profiles.config.contents.is_none() && profiles.credentials.contents.is_none() {
        return Err(Error::new(format!(
            "no AWS config files: {} and {} do not exist",
            profiles.config.path.display(),
            profiles.credentials.path.display()
        ))
        .hint("create a profile with `aws configure --profile NAME`, or set AWS_CONFIG_FILE"));
    }
    let names = profiles.names();
    if names.is_empty() && !json {
        say(&format!(
            "no profiles in {} or {}",
            profiles.config.path.display(),
            profiles.credentials.path.display()
        ));
        return Ok(());
    }
    let text = if json {
        render_json(&profiles, &names)
    } else {
        render_text(&profiles, &names)
    };
    // The process ends right after: freeing ten thousand parsed profiles one by one would take
    // a fifth of the run, for memory the exit returns anyway.
    std::mem::forget(profiles);
    write_stdout(&text)
}

/// `mfa` when the profile names an MFA device, `role` when it assumes a role.
pub fn marks(profiles: &Profiles, name: &str) -> Vec<&'static str> {
    let mut marks = Vec::new();
    if let Ok(profile) = profiles.get(name) {
        if profile.get("role_arn").is_some() {
            marks.push("role");
        }
        if profile.get("mfa_serial").is_some() {
            marks.push("mfa");
        }
    }
    marks
}

/// One profile a line, the marks in a column after the names.
fn render_text(profiles: &Profiles, names: &[&str]) -> String {
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for name in names {
        let marks = marks(profiles, name).join(" ");
        let line = format!("{name:<width$}  {marks}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

/// A JSON array, one object a line: the name, the marks as booleans, and the keys that say
/// where a session would come from. No secret: key ids and secrets are left out.
fn render_json(profiles: &Profiles, names: &[&str]) -> String {
    let field = |value: Option<&str>| value.map_or_else(|| "null".to_owned(), json_string);
    let mut out = String::from("[");
    for (i, name) in names.iter().enumerate() {
        let Ok(profile) = profiles.get(name) else {
            continue;
        };
        let _ = write!(
            out,
            "{}\n{{\"name\":{},\"mfa\":{},\"role\":{},\"mfa_serial\":{},\"role_arn\":{},\"source_profile\":{},\"region\":{},\"long_term_keys\":{}}}",
            if i == 0 { "" } else { "," },
            json_string(name),
            profile.get("mfa_serial").is_some(),
            profile.get("role_arn").is_some(),
            field(profile.get("mfa_serial")),
            field(profile.get("role_arn")),
            field(profile.get("source_profile")),
            field(profile.get("region")),
            profile.get("aws_access_key_id").is_some()
                && profile.get("aws_secret_access_key").is_some(),
        );
    }
    out.push_str("\n]\n");
    out
}
