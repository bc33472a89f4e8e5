//! `mfa-env list`: every profile of both files, marking which have an MFA device and which
//! assume a role. Reads the files only: no network.

use std::fmt::Write;

use crate::cmd::{say, write_stdout};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::push_json_string;
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
    const FIELDS: [&str; 4] = ["mfa_serial", "role_arn", "source_profile", "region"];
    let mut out = String::with_capacity(names.len() * 160 + 4);
    out.push('[');
    for name in names {
        let Ok(profile) = profiles.get(name) else {
            continue;
        };
        out.push_str(if out.len() == 1 {
            "\n{\"name\":"
        } else {
            ",\n{\"name\":"
        });
        push_json_string(&mut out, name);
        let values = FIELDS.map(|key| profile.get(key));
        let _ = write!(
            out,
            ",\"mfa\":{},\"role\":{}",
            values[0].is_some(),
            values[1].is_some()
        );
        for (key, value) in FIELDS.iter().zip(values) {
            let _ = write!(out, ",\"{key}\":");
            match value {
                Some(value) => push_json_string(&mut out, value),
                None => out.push_str("null"),
            }
        }
        let keys = profile.get("aws_access_key_id").is_some()
            && profile.get("aws_secret_access_key").is_some();
        let _ = write!(out, ",\"long_term_keys\":{keys}}}");
    }
    out.push_str("\n]\n");
    out
}
