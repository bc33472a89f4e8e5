//! Writing one `key = value` line into one profile's section of the AWS config file, and
//! changing no other byte.
//!
//! The file is not rebuilt from a parsed form (that would lose comments, order, spacing and
//! line endings): the edit is found line by line, with the same rules as the AWS SDK's parser
//! (`ini.rs` holds them), and spliced into the original text:
//!
//! - a line that starts with `[` is a section header; `#` or `;` in column 0 is a comment;
//! - a line that starts with a space or tab continues the property above it (nested
//!   sub-sections such as `s3 =` and its indented keys);
//! - but first, indented keys are read as the AWS CLI reads them (`[profile dev]` then
//!   `    region = x`): a line is what it is in `ini::dedent_properties`'s reading, which
//!   only takes leading blanks away; the splice keeps them, and a new line takes the
//!   indentation of the section's properties;
//! - anything else is a property, `key = value`, its key compared without case;
//! - `[profile NAME]` and `[default]` name profiles (`[profile default]` wins over `[default]`).
//!
//! The new line goes right after the last property of the profile's last section, so that
//! comments and blank lines that lead into the next section stay with it. An existing line
//! for the key is replaced in place instead. Line endings follow the file (CRLF stays CRLF).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use aws_runtime::env_config::file::EnvConfigFileKind;

use super::ini::{self, BLANK, Line};
use crate::error::{Error, Result};

/// The change to make, and what to show of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The whole new text of the file.
    pub text: String,
    /// The line written, without its line ending.
    pub line: String,
    /// The lines it replaces, as they were (empty when the line is added).
    pub replaced: Vec<String>,
    /// The section's header as it reads in the file, or as it is created.
    pub section: String,
    pub created_section: bool,
    /// The file already says exactly this: nothing to write.
    pub unchanged: bool,
}

#[derive(Debug)]
struct Span<'a> {
    /// Byte range of the line in the text, without and with its line ending.
    start: usize,
    end: usize,
    end_with_eol: usize,
    /// The leading blanks the AWS CLI's reading takes away (none where they mean a
    /// continuation).
    indent: usize,
    kind: Line<'a>,
}

fn lines(text: &str) -> Vec<Span<'_>> {
    // The dedented text has the same lines, each the original less some leading blanks.
    let dedented = ini::dedent_properties(text);
    let mut out = Vec::new();
    let mut start = 0;
    for (raw, read) in text
        .split_inclusive('\n')
        .zip(dedented.split_inclusive('\n'))
    {
        let end_with_eol = start + raw.len();
        let indent = raw.len() - read.len();
        let content = raw.strip_suffix('\n').unwrap_or(raw);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let end = start + content.len();
        out.push(Span {
            start,
            end,
            end_with_eol,
            indent,
            kind: ini::line(&content[indent..]),
        });
        start = end_with_eol;
    }
    out
}

/// Whether a header names the profile in a file of `kind` (in the config file, `[profile
/// default]` wins over `[default]`).
fn is_profile_section(
    header: &str,
    profile: &str,
    prefixed_default: bool,
    kind: EnvConfigFileKind,
) -> bool {
    if matches!(kind, EnvConfigFileKind::Credentials) {
        return ini::profile_name(header, kind) == Some(profile);
    }
    let unprefixed_default = ini::section_pair(header) == (None, "default");
    ini::profile_name(header, kind) == Some(profile)
        && !(matches!(kind, EnvConfigFileKind::Config) && prefixed_default && unprefixed_default)
}

/// Whether the config file has `[profile default]`, which wins over its `[default]`.
fn has_prefixed_default(lines: &[Span]) -> bool {
    lines.iter().any(|l| {
        matches!(l.kind, Line::Header(Some(h)) if ini::section_pair(h) == (Some("profile"), "default"))
    })
}

/// The header a new section of the config file gets.
pub fn header_for(profile: &str) -> String {
    header_in(profile, EnvConfigFileKind::Config)
}

/// The header a new section of a file of `kind` gets.
fn header_in(profile: &str, kind: EnvConfigFileKind) -> String {
    if profile == "default" || matches!(kind, EnvConfigFileKind::Credentials) {
        format!("[{profile}]")
    } else {
        format!("[profile {profile}]")
    }
}

/// Set `key = value` in `profile`'s section of the config file `text`.
pub fn set(text: &str, profile: &str, key: &str, value: &str) -> Edit {
    set_in(text, EnvConfigFileKind::Config, profile, key, value)
}

/// Set `key = value` in `profile`'s section of `text`, a file of `kind`.
pub fn set_in(text: &str, kind: EnvConfigFileKind, profile: &str, key: &str, value: &str) -> Edit {
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let line = format!("{key} = {value}");
    let lines = lines(text);
    let prefixed_default = has_prefixed_default(&lines);

    // Walk the sections: which lines belong to the profile, the key's lines there, and the
    // last property (or continuation) line of each of its sections.
    let mut in_section = false;
    let mut header_text = None;
    let mut last_content = None;
    // The indentation of the section's last property, for a line added below it.
    let mut indent = "";
    // (first line, last line) of each property line for the key, with its continuations.
    let mut found: Vec<(usize, usize)> = Vec::new();
    let mut in_found = false;
    for (i, l) in lines.iter().enumerate() {
        match l.kind {
            Line::Header(h) => {
                in_section =
                    h.is_some_and(|h| is_profile_section(h, profile, prefixed_default, kind));
                in_found = false;
                if in_section {
                    header_text = Some(&text[l.start + l.indent..l.end]);
                    last_content = Some(i);
                    indent = "";
                }
            }
            Line::Property(k) if in_section => {
                last_content = Some(i);
                indent = &text[l.start..l.start + l.indent];
                in_found = k.is_some_and(|p| p.key.eq_ignore_ascii_case(key));
                if in_found {
                    found.push((i, i));
                }
            }
            Line::Continuation if in_section => {
                last_content = Some(i);
                if in_found {
                    // Only continuation lines right below the key's line are part of it.
                    match found.last_mut() {
                        Some((_, last)) if *last + 1 == i => *last = i,
                        _ => in_found = false,
                    }
                }
            }
            Line::Blank | Line::Comment => {
                if in_found && found.last().is_some_and(|(_, last)| *last + 1 != i) {
                    in_found = false;
                }
            }
            Line::Property(_) | Line::Continuation => {}
        }
    }

    if !found.is_empty() {
        let replaced: Vec<String> = found
            .iter()
            .map(|&(first, last)| text[lines[first].start..lines[last].end].to_owned())
            .collect();
        let unchanged = replaced.iter().all(|r| {
            r.split_once('=')
                .is_some_and(|(_, v)| v.trim_matches(BLANK) == value)
        });
        if unchanged {
            return Edit {
                text: text.to_owned(),
                line,
                replaced,
                section: header_text.unwrap_or_default().to_owned(),
                created_section: false,
                unchanged: true,
            };
        }
        let mut out = String::with_capacity(text.len() + line.len());
        let mut at = 0;
        for &(first, last) in &found {
            // The line keeps its indentation.
            let l = &lines[first];
            out.push_str(&text[at..l.start + l.indent]);
            out.push_str(&line);
            // The line ending of the last line replaced, if it had one.
            out.push_str(&text[lines[last].end..lines[last].end_with_eol]);
            at = lines[last].end_with_eol;
        }
        out.push_str(&text[at..]);
        return Edit {
            text: out,
            line,
            replaced,
            section: header_text.unwrap_or_default().to_owned(),
            created_section: false,
            unchanged: false,
        };
    }

    if let Some(after) = last_content {
        let l = &lines[after];
        let mut out = String::with_capacity(text.len() + line.len() + 2);
        if l.end_with_eol > l.end {
            out.push_str(&text[..l.end_with_eol]);
            out.push_str(indent);
            out.push_str(&line);
            out.push_str(eol);
        } else {
            // The last line of a file without a final line ending: keep it without one.
            out.push_str(&text[..l.end]);
            out.push_str(eol);
            out.push_str(indent);
            out.push_str(&line);
        }
        out.push_str(&text[l.end_with_eol..]);
        return Edit {
            text: out,
            line,
            replaced: Vec::new(),
            section: header_text.unwrap_or_default().to_owned(),
            created_section: false,
            unchanged: false,
        };
    }

    let header = header_in(profile, kind);
    let mut out = text.to_owned();
    if !out.is_empty() {
        if !out.ends_with('\n') {
            out.push_str(eol);
        }
        // A blank line between the last section and the new one.
        if !out.ends_with("\n\n") && !out.ends_with("\n\r\n") {
            out.push_str(eol);
        }
    }
    out.push_str(&header);
    out.push_str(eol);
    out.push_str(&line);
    out.push_str(eol);
    Edit {
        text: out,
        line,
        replaced: Vec::new(),
        section: header,
        created_section: true,
        unchanged: false,
    }
}

/// `text`, a file of `kind`, with every line of `profile`'s sections whose key is one of
/// `remove` (and its continuation lines) taken out, and `put` (`key = value`) in the place of
/// the first, with its indentation; every other byte as it was. `None` when no such line is
/// there. For `keys import`: the key lines out, the credential_process line in.
pub fn replace_lines(
    text: &str,
    kind: EnvConfigFileKind,
    profile: &str,
    remove: &[&str],
    put: Option<(&str, &str)>,
) -> Option<String> {
    let lines = lines(text);
    let prefixed_default = has_prefixed_default(&lines);
    let mut in_section = false;
    // (first line, last line) of each property line to take out, with its continuations.
    let mut found: Vec<(usize, usize)> = Vec::new();
    let mut in_found = false;
    for (i, l) in lines.iter().enumerate() {
        match l.kind {
            Line::Header(h) => {
                in_section =
                    h.is_some_and(|h| is_profile_section(h, profile, prefixed_default, kind));
                in_found = false;
            }
            Line::Property(k) if in_section => {
                in_found = k.is_some_and(|p| remove.iter().any(|r| p.key.eq_ignore_ascii_case(r)));
                if in_found {
                    found.push((i, i));
                }
            }
            Line::Continuation if in_section && in_found => match found.last_mut() {
                Some((_, last)) if *last + 1 == i => *last = i,
                _ => in_found = false,
            },
            _ => in_found = false,
        }
    }
    let (first, _) = *found.first()?;
    // Room for the whole text from the start: the other profiles' keys are in it, and are not
    // left behind in memory freed as it grows.
    let mut out = String::with_capacity(text.len() + 256);
    let mut at = 0;
    for &(start, last) in &found {
        let l = &lines[start];
        out.push_str(&text[at..l.start]);
        if start == first
            && let Some((key, value)) = put
        {
            out.push_str(&text[l.start..l.start + l.indent]);
            out.push_str(key);
            out.push_str(" = ");
            out.push_str(value);
            out.push_str(&text[lines[last].end..lines[last].end_with_eol]);
        }
        at = lines[last].end_with_eol;
    }
    out.push_str(&text[at..]);
    Some(out)
}

/// Replace the file at `path` with `bytes` atomically: a temporary file in the same folder,
/// written, flushed to disk and renamed over it. The file keeps its permissions and owner; a
/// new file gets 0600, as it may sit next to keys. A symbolic link (a dotfile manager's) stays
/// a link: its target is replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |what: &str, p: &Path, e: std::io::Error| {
        Error::new(format!("cannot {what} {}: {e}", p.display()))
            .hint("check the folder's permissions; the file was not changed")
    };
    let target = match fs::canonicalize(path) {
        Ok(target) => target,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(fail("resolve", path, e)),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| fail("create the folder", &dir, e))?;
    }
    let existing = match fs::metadata(&target) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail("read", &target, e)),
    };
    let mode = existing
        .as_ref()
        .map_or(0o600, |m| m.permissions().mode() & 0o7777);
    let name = target
        .file_name()
        .map_or_else(|| "config".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.mfa-env-{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|e| fail("create", &temp, e))?;
        // Written by root (sudo) for someone else's file: the file stays theirs.
        if let Some(meta) = &existing {
            let mine = file.metadata().map_err(|e| fail("read", &temp, e))?;
            if (meta.uid(), meta.gid()) != (mine.uid(), mine.gid()) {
                std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid()))
                    .map_err(|e| fail("give the config file's owner", &temp, e))?;
            }
        }
        file.write_all(bytes)
            .and_then(|()| file.set_permissions(fs::Permissions::from_mode(mode)))
            .and_then(|()| file.sync_all())
            .map_err(|e| fail("write", &temp, e))?;
        fs::rename(&temp, &target).map_err(|e| fail("replace", &target, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result?;
    // The rename itself reaches the disk when the folder is flushed.
    if let Ok(folder) = fs::File::open(&dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:iam::123456789012:mfa/alice";

    /// The edit of `before` for `profile` must be `before` with `added` inserted at the
    /// place marked `|` in `expected`, and nothing else changed.
    #[track_caller]
    fn adds(before: &str, profile: &str, expected: &str) {
        let edit = set(before, profile, "mfa_serial", ARN);
        assert!(!edit.unchanged && edit.replaced.is_empty());
        assert_eq!(edit.text, expected, "before:\n{before}");
        assert_eq!(edit.line, format!("mfa_serial = {ARN}"));
    }

    #[test]
    fn key_lines_give_way_to_one_line_and_nothing_else_moves() {
        let creds = EnvConfigFileKind::Credentials;
        let line = Some(("credential_process", "mfa-env keys print dev"));
        let keys = ["aws_access_key_id", "aws_secret_access_key"];
        let before = "# mine\r\n[prod]\r\naws_access_key_id = AKIAPROD\r\n\r\n[dev] ; x\r\n  region=eu-west-1\r\n  AWS_ACCESS_KEY_ID=AKIADEV\r\n# keep\r\naws_secret_access_key = s\r\n  more\r\noutput = json";
        assert_eq!(
            replace_lines(before, creds, "dev", &keys, line).unwrap(),
            "# mine\r\n[prod]\r\naws_access_key_id = AKIAPROD\r\n\r\n[dev] ; x\r\n  region=eu-west-1\r\n  credential_process = mfa-env keys print dev\r\n# keep\r\noutput = json"
        );
        // The last line without a line ending stays without one; only the removal.
        assert_eq!(
            replace_lines(
                "[dev]\naws_secret_access_key = s\naws_access_key_id = A",
                creds,
                "dev",
                &keys,
                None
            )
            .unwrap(),
            "[dev]\n"
        );
        // [profile dev] is no section of the credentials file; [dev] is none of the config.
        assert_eq!(
            replace_lines(
                "[profile dev]\naws_access_key_id = A\n",
                creds,
                "dev",
                &keys,
                line
            ),
            None
        );
        assert_eq!(
            replace_lines(
                "[dev]\naws_access_key_id = A\n",
                EnvConfigFileKind::Config,
                "dev",
                &keys,
                line
            ),
            None
        );
        assert_eq!(
            replace_lines(
                "[profile dev]\naws_access_key_id = A\n",
                EnvConfigFileKind::Config,
                "dev",
                &keys,
                line
            )
            .unwrap(),
            "[profile dev]\ncredential_process = mfa-env keys print dev\n"
        );
        // A new section of the credentials file is [NAME].
        let edit = set_in(
            "[a]\nx = 1\n",
            creds,
            "dev",
            "credential_process",
            "mfa-env keys print dev",
        );
        assert_eq!(
            edit.text,
            "[a]\nx = 1\n\n[dev]\ncredential_process = mfa-env keys print dev\n"
        );
    }

    #[test]
    fn adds_after_the_last_property_of_the_section() {
        adds(
            "[profile dev]\nregion = eu-west-1\n\n# prod\n[profile prod]\nregion = x\n",
            "dev",
            &format!(
                "[profile dev]\nregion = eu-west-1\nmfa_serial = {ARN}\n\n# prod\n[profile prod]\nregion = x\n"
            ),
        );
        // An empty section: right below its header.
        adds(
            "[profile dev]\n\n[profile prod]\n",
            "dev",
            &format!("[profile dev]\nmfa_serial = {ARN}\n\n[profile prod]\n"),
        );
    }

    #[test]
    fn keeps_nested_sub_sections_whole() {
        adds(
            "[default]\nregion = us-east-1\ns3 =\n  preferred_transfer_client = crt\n  addressing_style = path\n\n[sso-session sso]\nsso_region = us-east-1\n",
            "default",
            &format!(
                "[default]\nregion = us-east-1\ns3 =\n  preferred_transfer_client = crt\n  addressing_style = path\nmfa_serial = {ARN}\n\n[sso-session sso]\nsso_region = us-east-1\n"
            ),
        );
    }

    #[test]
    fn keeps_crlf_and_a_missing_final_line_ending() {
        adds(
            "[default]\r\nregion = ap-southeast-2\r\noutput = json\r\n",
            "default",
            &format!(
                "[default]\r\nregion = ap-southeast-2\r\noutput = json\r\nmfa_serial = {ARN}\r\n"
            ),
        );
        adds(
            "[default]\r\nregion = ap-southeast-2\r\noutput = json",
            "default",
            &format!("[default]\r\nregion = ap-southeast-2\r\noutput = json\r\nmfa_serial = {ARN}"),
        );
        adds(
            "[profile dev]",
            "dev",
            &format!("[profile dev]\nmfa_serial = {ARN}"),
        );
    }

    /// The credentials file names its sections `[NAME]`: `[profile NAME]` there is no
    /// profile, and a key's line is replaced where it is, with its own line ending.
    #[test]
    fn replaces_a_key_in_the_credentials_files_section() {
        let kind = EnvConfigFileKind::Credentials;
        let before = "[profile dev]\naws_access_key_id = WRONG\n\n[dev]\r\naws_access_key_id=OLD\r\n# note\r\naws_secret_access_key = s\r\n[other]\naws_access_key_id = OTHER\n";
        let edit = set_in(before, kind, "dev", "aws_access_key_id", "NEW");
        assert!(!edit.unchanged);
        assert_eq!(edit.replaced, ["aws_access_key_id=OLD"]);
        assert_eq!(edit.section, "[dev]");
        assert_eq!(
            edit.text,
            "[profile dev]\naws_access_key_id = WRONG\n\n[dev]\r\naws_access_key_id = NEW\r\n# note\r\naws_secret_access_key = s\r\n[other]\naws_access_key_id = OTHER\n"
        );
        // [default] is a profile of the credentials file like any other.
        let edit = set_in(
            "[default]\naws_access_key_id = A\n",
            kind,
            "default",
            "aws_access_key_id",
            "B",
        );
        assert_eq!(edit.text, "[default]\naws_access_key_id = B\n");
        // A missing section is made in the credentials file's form.
        let edit = set_in("[other]\nx = y\n", kind, "dev", "aws_access_key_id", "K");
        assert_eq!(
            edit.text,
            "[other]\nx = y\n\n[dev]\naws_access_key_id = K\n"
        );
    }

    #[test]
    fn finds_the_section_as_the_sdk_does() {
        // Spaces in the header, a comment after it, a mixed-case key elsewhere.
        adds(
            "[ profile   dev ] # mine\nRegion=eu-west-1\n",
            "dev",
            &format!("[ profile   dev ] # mine\nRegion=eu-west-1\nmfa_serial = {ARN}\n"),
        );
        // [profile default] replaces [default].
        adds(
            "[default]\nregion = a\n[profile default]\nregion = b\n",
            "default",
            &format!("[default]\nregion = a\n[profile default]\nregion = b\nmfa_serial = {ARN}\n"),
        );
        // [dev] in the config file is no profile, [sso-session dev] and [services dev] neither.
        adds(
            "[dev]\nregion = a\n[sso-session dev]\nsso_region = a\n[services dev]\nsts =\n  endpoint_url = http://x\n",
            "dev",
            &format!(
                "[dev]\nregion = a\n[sso-session dev]\nsso_region = a\n[services dev]\nsts =\n  endpoint_url = http://x\n\n[profile dev]\nmfa_serial = {ARN}\n"
            ),
        );
        // Duplicate sections: the last one.
        adds(
            "[profile dev]\nregion = a\n[profile x]\n[profile dev]\noutput = json\n",
            "dev",
            &format!(
                "[profile dev]\nregion = a\n[profile x]\n[profile dev]\noutput = json\nmfa_serial = {ARN}\n"
            ),
        );
    }

    #[test]
    fn indented_keys_keep_their_indentation() {
        // As the AWS CLI reads them: properties, not continuations.
        adds(
            "[profile dev]\n    region = eu-west-1\n    output = json\n\n[profile x]\n",
            "dev",
            &format!(
                "[profile dev]\n    region = eu-west-1\n    output = json\n    mfa_serial = {ARN}\n\n[profile x]\n"
            ),
        );
        // Sub-properties stay below their key; the new line is at the properties' level.
        adds(
            "\t[default]\n\ts3 =\n\t  max = 1\n",
            "default",
            &format!("\t[default]\n\ts3 =\n\t  max = 1\n\tmfa_serial = {ARN}\n"),
        );
        // An indented mfa_serial is replaced where it is, indentation and all.
        let before = "[profile dev]\r\n  mfa_serial = old\r\n  region = a\r\n";
        let edit = set(before, "dev", "mfa_serial", ARN);
        assert_eq!(
            edit.text,
            format!("[profile dev]\r\n  mfa_serial = {ARN}\r\n  region = a\r\n")
        );
        assert_eq!(edit.replaced, ["  mfa_serial = old"]);
        let same = format!("[profile dev]\n  mfa_serial = {ARN}\n");
        assert!(set(&same, "dev", "mfa_serial", ARN).unchanged);
    }

    #[test]
    fn creates_the_section_when_missing() {
        adds("", "dev", &format!("[profile dev]\nmfa_serial = {ARN}\n"));
        adds("", "default", &format!("[default]\nmfa_serial = {ARN}\n"));
        adds(
            "[default]\nregion = a\n",
            "dev",
            &format!("[default]\nregion = a\n\n[profile dev]\nmfa_serial = {ARN}\n"),
        );
        adds(
            "[default]\nregion = a\n\n",
            "dev",
            &format!("[default]\nregion = a\n\n[profile dev]\nmfa_serial = {ARN}\n"),
        );
        adds(
            "[default]\r\nregion = a",
            "dev",
            &format!("[default]\r\nregion = a\r\n\r\n[profile dev]\r\nmfa_serial = {ARN}\r\n"),
        );
        adds(
            "# only a comment",
            "dev",
            &format!("# only a comment\n\n[profile dev]\nmfa_serial = {ARN}\n"),
        );
        let edit = set("", "dev", "mfa_serial", ARN);
        assert!(edit.created_section);
        assert_eq!(edit.section, "[profile dev]");
    }

    #[test]
    fn replaces_an_existing_line_in_place() {
        let before = "[profile dev]\nMFA_Serial = arn:aws:iam::123456789012:mfa/old # phone\nregion = a\n[profile x]\nmfa_serial = keep\n";
        let edit = set(before, "dev", "mfa_serial", ARN);
        assert_eq!(
            edit.text,
            format!(
                "[profile dev]\nmfa_serial = {ARN}\nregion = a\n[profile x]\nmfa_serial = keep\n"
            )
        );
        assert_eq!(
            edit.replaced,
            ["MFA_Serial = arn:aws:iam::123456789012:mfa/old # phone"]
        );
        assert!(!edit.unchanged);
        // Its continuation lines go with it; CRLF and no final line ending stay.
        let edit = set(
            "[default]\r\nmfa_serial =\r\n  x = y\r\nregion = a",
            "default",
            "mfa_serial",
            ARN,
        );
        assert_eq!(
            edit.text,
            format!("[default]\r\nmfa_serial = {ARN}\r\nregion = a")
        );
        let edit = set("[default]\nmfa_serial=old", "default", "mfa_serial", ARN);
        assert_eq!(edit.text, format!("[default]\nmfa_serial = {ARN}"));
    }

    #[test]
    fn the_same_value_is_no_change() {
        let before = format!("[profile dev]\nmfa_serial={ARN}\n");
        let edit = set(&before, "dev", "mfa_serial", ARN);
        assert!(edit.unchanged);
        assert_eq!(edit.text, before);
    }

    /// Every profile of every file of the project's config files of every real-world form
    /// (tests/data/config): the edit must parse, give the profile exactly this mfa_serial,
    /// leave every other profile's keys as they were, and add or change exactly one line.
    #[test]
    fn every_profile_of_the_test_data() {
        // aws-config's own reading, of any key (setup's check reads the edit with it too).
        use crate::profile::reference::Reference;
        let read = |text: &str| Reference::from_texts(text, "");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/config");
        let files: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{} is missing: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "ini"))
            .collect();
        assert!(files.len() >= 40, "{}", files.len());
        const KEYS: &[&str] = &[
            "region",
            "output",
            "role_arn",
            "source_profile",
            "sso_session",
            "s3",
            "services",
            "mfa_serial",
        ];
        let (mut edited, mut refused) = (0, Vec::new());
        for path in files {
            let text = String::from_utf8(fs::read(&path).unwrap()).unwrap();
            // setup sets a byte-order mark aside and edits the text after it.
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
            let Ok(before) = read(&text) else {
                // The SDK's parser refuses the file: so does setup, before any edit.
                refused.push(path.file_name().unwrap().to_str().unwrap().to_owned());
                continue;
            };
            for name in before.names() {
                let edit = set(&text, name, "mfa_serial", ARN);
                let after = read(&edit.text)
                    .unwrap_or_else(|e| panic!("{}: [{name}]: {}", path.display(), e.message()));
                assert_eq!(after.names(), before.names(), "{}", path.display());
                for other in before.names() {
                    for key in KEYS {
                        let (b, a) = (before.get(other, key), after.get(other, key));
                        if other == name && *key == "mfa_serial" {
                            assert_eq!(a, Some(ARN), "{}: [{name}]", path.display());
                        } else {
                            assert_eq!(a, b, "{}: [{name}] {other}.{key}", path.display());
                        }
                    }
                }
                let old: Vec<&str> = text.lines().collect();
                let new: Vec<&str> = edit.text.lines().collect();
                let changed = if edit.replaced.is_empty() {
                    let skip = if edit.created_section { 3 } else { 1 };
                    new.len() - old.len() == skip
                } else {
                    old.len() - new.len() + 1
                        == edit
                            .replaced
                            .iter()
                            .map(|r| r.lines().count())
                            .sum::<usize>()
                };
                assert!(changed, "{}: [{name}]\n{}", path.display(), edit.text);
                edited += 1;
            }
        }
        refused.sort();
        assert!(edited > 200, "edited {edited}");
        // Templates and an empty key, which no AWS tool reads. Indented keys are edited: mfa-env
        // reads them as the AWS CLI does, and setup keeps their indentation.
        assert_eq!(
            refused,
            [
                "empty-key.ini",
                "template-before-first-section.ini",
                "template-block-after-section.ini",
                "template-inside-section.ini",
            ]
        );
    }

    #[test]
    fn writes_atomically_and_keeps_the_mode() {
        let dir = std::env::temp_dir().join(format!("mfa-env-edit-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let path = dir.join("aws/config");
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        write_atomic(&link, b"again").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&path).unwrap(), b"again");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let names: Vec<_> = fs::read_dir(dir.join("aws"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["config"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
