//! `mfa-env list`: every profile of both files, marking which have an MFA device and which
//! assume a role. Reads the files only: no network.

use std::fmt::Write;

use crate::cmd::{say, write_stdout};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::push_json_string;
use crate::profile::listing::{Row, marks, uses_mfa};
use crate::profile::{Key, Profiles};

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
    let rows = profiles.rows();
    if rows.is_empty() && !json {
        say(&format!(
            "no profiles in {} or {}",
            profiles.config.path.display(),
            profiles.credentials.path.display()
        ));
        return Ok(());
    }
    let text = if json {
        render_json(&rows)
    } else {
        render_text(&rows)
    };
    write_stdout(&text)
}

/// One profile a line, the marks in a column after the names.
fn render_text(rows: &[Row]) -> String {
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::with_capacity(rows.len() * (width + 12));
    for row in rows {
        out.push_str(row.name);
        let marks = marks(row, rows);
        if !marks.is_empty() {
            let pad = width - row.name.chars().count() + 2;
            out.extend(std::iter::repeat_n(' ', pad));
            out.push_str(&marks.join(" "));
        }
        out.push('\n');
    }
    out
}

/// A JSON array, one object a line: the name, the marks as booleans, and the keys that say
/// where a session would come from. No secret: key ids and secrets are left out.
fn render_json(rows: &[Row]) -> String {
    const FIELDS: [Key; 4] = [
        Key::MfaSerial,
        Key::RoleArn,
        Key::SourceProfile,
        Key::Region,
    ];
    let mut out = String::with_capacity(rows.len() * 160 + 4);
    out.push('[');
    for row in rows {
        out.push_str(if out.len() == 1 {
            "\n{\"name\":"
        } else {
            ",\n{\"name\":"
        });
        push_json_string(&mut out, row.name);
        let values = FIELDS.map(|key| row.get(key));
        let _ = write!(
            out,
            ",\"mfa\":{},\"role\":{}",
            uses_mfa(rows, row),
            values[1].is_some()
        );
        for (key, value) in FIELDS.iter().zip(values) {
            let _ = write!(out, ",\"{}\":", key.name());
            match value {
                Some(value) => push_json_string(&mut out, value),
                None => out.push_str("null"),
            }
        }
        let keys = row.get(Key::AccessKeyId).is_some() && row.get(Key::SecretAccessKey).is_some();
        let _ = write!(out, ",\"long_term_keys\":{keys}}}");
    }
    out.push_str("\n]\n");
    out
}
