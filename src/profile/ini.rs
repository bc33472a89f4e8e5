//! The lines of an AWS config or credentials file, by the rules of aws-config's parser
//! (aws-runtime `env_config::parse` and `normalize`), in one place: the lean scan
//! (`scan.rs`), the reading of profile names in error messages, and the config editor
//! (`edit.rs`) read a line alike.
//!
//! - a line that is empty or only blanks (space, tab) is nothing; `#` or `;` in the first
//!   column starts a comment line;
//! - a line that starts with `[` is a section header: `[profile NAME]` and `[default]` in the
//!   config file, `[NAME]` in the credentials file; a comment may follow it;
//! - a line that starts with a blank continues the property above it (a multi-line value, or
//!   the sub-properties of `s3 =`);
//! - anything else is a property, `key = value`; a `#` or `;` after whitespace starts a
//!   comment; keys are compared without ASCII case.
//!
//! Before any of that, indented keys are read as the AWS CLI reads them (`dedent_properties`).

use std::borrow::Cow;

use aws_runtime::env_config::file::EnvConfigFileKind;

/// Blanks as the AWS parsers count them: space and tab, nothing else.
pub(crate) const BLANK: [char; 2] = [' ', '\t'];

/// What one line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line<'a> {
    /// Empty, or only blanks.
    Blank,
    /// `#` or `;` in the first column.
    Comment,
    /// `[...]`: the text between the brackets, the comment after them cut off; `None` where
    /// the `]` is missing, which aws-config reports as an error.
    Header(Option<&'a str>),
    /// A line that starts with a blank: it continues the property above.
    Continuation,
    /// `key = value`, as [`key_value`] reads it; `None` where aws-config reports an error.
    Property(Option<(&'a str, &'a str)>),
}

/// What the line (without its line ending) is.
pub(crate) fn line(line: &str) -> Line<'_> {
    if trim_blank(line).is_empty() {
        Line::Blank
    } else if line.starts_with(['#', ';']) {
        Line::Comment
    } else if line.starts_with('[') {
        Line::Header(
            without_comment(line, false)
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']')),
        )
    } else if line.starts_with(BLANK) {
        Line::Continuation
    } else {
        Line::Property(key_value(line))
    }
}

/// `key = value` with its comment cut off and the blanks trimmed; `None` where aws-config
/// reports an error (no `=`, no key). A sub-property line (below `s3 =`) reads the same.
pub(crate) fn key_value(line: &str) -> Option<(&str, &str)> {
    let (key, value) = without_comment(line, true).split_once('=')?;
    let key = trim_blank(key);
    (!key.is_empty()).then_some((key, trim_blank(value)))
}

/// The line, trimmed, up to a `#` or `;` that starts a comment: anywhere in a header, only
/// after whitespace (any Unicode whitespace, as aws-config counts it) in a property.
fn without_comment(line: &str, after_whitespace: bool) -> &str {
    let line = trim_blank(line);
    // Both marks are ASCII: a byte equal to one is a whole character.
    let comment = line.bytes().enumerate().find_map(|(index, byte)| {
        let starts = matches!(byte, b'#' | b';')
            && (!after_whitespace
                || line[..index]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_whitespace));
        starts.then_some(index)
    });
    trim_blank(&line[..comment.unwrap_or(line.len())])
}

/// The text without the blanks (space, tab) around it.
pub(crate) fn trim_blank(text: &str) -> &str {
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    &text[start..end]
}

/// A header's two words: `[profile dev]` is `(Some("profile"), "dev")`, `[dev]` is
/// `(None, "dev")`. Split at the first blank, each word trimmed as aws-config trims it (of
/// any Unicode whitespace).
pub(crate) fn section_pair(header: &str) -> (Option<&str>, &str) {
    let header = trim_blank(header);
    match header.split_once(BLANK) {
        Some((prefix, name)) => (Some(prefix.trim()), name.trim()),
        None => (None, header.trim()),
    }
}

/// The profile a section header names, as aws-config normalizes it: `[profile NAME]` and
/// `[default]` in the config file, `[NAME]` in the credentials file, and only names of
/// letters, digits and `_-/.%@:+`. (Where the config file has `[profile default]`, its
/// `[default]` is skipped: the caller sees both headers.)
pub(crate) fn profile_name(header: &str, kind: EnvConfigFileKind) -> Option<&str> {
    let (prefix, name) = section_pair(header);
    let valid = is_valid_name(name);
    match (kind, prefix) {
        (EnvConfigFileKind::Config, Some("profile")) if valid => Some(name),
        (EnvConfigFileKind::Config, None) if name == "default" => Some(name),
        (EnvConfigFileKind::Credentials, None) if valid => Some(name),
        _ => None,
    }
}

/// Every section header of a file, as [`section_pair`] reads it.
pub(crate) fn headers(text: &str) -> impl Iterator<Item = (Option<&str>, &str)> {
    text.lines().filter_map(|l| match line(l) {
        Line::Header(Some(header)) => Some(section_pair(header)),
        _ => None,
    })
}

/// Whether the AWS SDKs read a profile (or a key) of this name: letters, digits and
/// `_-/.%@:+` (the AWS CLI reads any name).
pub fn is_valid_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn lines_are_what_aws_config_takes_them_for() {
        let cases = [
            ("", Line::Blank),
            (" \t", Line::Blank),
            ("# c", Line::Comment),
            ("; c", Line::Comment),
            ("[profile a] # c", Line::Header(Some("profile a"))),
            ("[ profile a ]", Line::Header(Some(" profile a "))),
            ("[a]#c", Line::Header(Some("a"))),
            // A comment mark anywhere in a header cuts it: here, before its `]`.
            ("[a;b]", Line::Header(None)),
            ("[profile a", Line::Header(None)),
            ("  k = v", Line::Continuation),
            ("\tv", Line::Continuation),
            ("Region=x # c", Line::Property(Some(("Region", "x")))),
            ("k = v#1", Line::Property(Some(("k", "v#1")))),
            ("k = v\u{2003}#c", Line::Property(Some(("k", "v\u{2003}")))),
            ("k = a = b", Line::Property(Some(("k", "a = b")))),
            ("= v", Line::Property(None)),
            ("no equals", Line::Property(None)),
            ("k #= v", Line::Property(None)),
        ];
        for (text, want) in cases {
            assert_eq!(line(text), want, "{text:?}");
        }
    }

    #[test]
    fn headers_name_profiles_as_aws_config_does() {
        use EnvConfigFileKind::{Config, Credentials};
        let cases = [
            ("profile a", Config, Some("a")),
            (" profile\ta ", Config, Some("a")),
            ("default", Config, Some("default")),
            ("profile default", Config, Some("default")),
            ("a", Config, None),
            ("Profile a", Config, None),
            ("sso-session a", Config, None),
            ("profile cost$center", Config, None),
            ("a", Credentials, Some("a")),
            ("profile a", Credentials, None),
            ("it's", Credentials, None),
        ];
        for (header, kind, want) in cases {
            assert_eq!(profile_name(header, kind), want, "{header:?} {kind:?}");
        }
        let text = "[default]\n[profile a] # c\n# [profile b]\n[services s]\n";
        let found: Vec<_> = headers(text).collect();
        assert_eq!(
            found,
            [
                (None, "default"),
                (Some("profile"), "a"),
                (Some("services"), "s")
            ]
        );
    }
}
