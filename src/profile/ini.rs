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
    /// `key = value`; `None` where aws-config reports an error (no `=`, no key).
    Property(Option<Property<'a>>),
}

/// A property line: its key, and the text after its `=`, whose value is read only when asked
/// for (most lines' values are never read, and a value takes the longest to read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Property<'a> {
    pub key: &'a str,
    /// Everything after the `=`.
    pub rest: &'a str,
}

impl<'a> Property<'a> {
    /// The value: up to a comment, trimmed (see [`value`]).
    pub fn value(self) -> &'a str {
        value(self.rest)
    }

    /// Whether the value is empty, so that the lines below it are sub-properties (`s3 =`).
    pub fn opens_block(self) -> bool {
        self.value().is_empty()
    }
}

/// What the line (without its line ending) is.
pub(crate) fn line(line: &str) -> Line<'_> {
    if line.bytes().all(|b| matches!(b, b' ' | b'\t')) {
        Line::Blank
    } else if line.starts_with(['#', ';']) {
        Line::Comment
    } else if line.starts_with('[') {
        Line::Header(
            without_comment(line)
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']')),
        )
    } else if line.starts_with(BLANK) {
        Line::Continuation
    } else {
        Line::Property(property(line))
    }
}

/// A `key = value` line, or a sub-property line (below `s3 =`), which reads the same; `None`
/// where aws-config reports an error: no `=` before a comment, or no key.
///
/// aws-config cuts the comment off the whole line first (a `#` or `;` after whitespace),
/// then splits at the first `=`. A comment that starts before the first `=` leaves no `=`,
/// an error; one that starts after it is in the value. So the key is read up to the first
/// `=`, and the value's comment is cut when the value is read.
pub(crate) fn property(line: &str) -> Option<Property<'_>> {
    let (key, rest) = trim_blank(line).split_once('=')?;
    if comment_start(key).is_some() {
        return None;
    }
    let key = trim_blank(key);
    (!key.is_empty()).then_some(Property { key, rest })
}

/// A property's value from the text after its `=`: up to a comment, trimmed of blanks.
pub(crate) fn value(rest: &str) -> &str {
    trim_blank(&rest[..comment_start(rest).unwrap_or(rest.len())])
}

/// Where a comment starts in a property's key or value: a `#` or `;` right after whitespace
/// (any Unicode whitespace, as aws-config counts it). Never at 0: what comes before the text
/// is the line's start or its `=`.
fn comment_start(text: &str) -> Option<usize> {
    // Both marks are ASCII: a byte equal to one is a whole character.
    let bytes = text.as_bytes();
    let mut from = 1;
    while from < bytes.len() {
        let mark = from
            + bytes[from..]
                .iter()
                .position(|b| matches!(b, b'#' | b';'))?;
        if text[..mark]
            .chars()
            .next_back()
            .is_some_and(char::is_whitespace)
        {
            return Some(mark);
        }
        from = mark + 1;
    }
    None
}

/// A header line's text, trimmed, up to its comment: a `#` or `;` anywhere.
fn without_comment(line: &str) -> &str {
    let line = trim_blank(line);
    trim_blank(&line[..line.find(['#', ';']).unwrap_or(line.len())])
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

/// The name of a `[services NAME]` section, which only the config file holds; its name is
/// taken as a profile's is (letters, digits and `_-/.%@:+`).
pub(crate) fn services_name(header: &str, kind: EnvConfigFileKind) -> Option<&str> {
    match (kind, section_pair(header)) {
        (EnvConfigFileKind::Config, (Some("services"), name)) if is_valid_name(name) => Some(name),
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
    // Byte by byte: every byte of a character beyond ASCII fails both tests, as the
    // character does.
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-/.%@:+".contains(&b))
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
        ];
        for (text, want) in cases {
            assert_eq!(line(text), want, "{text:?}");
        }
        let properties = [
            ("Region=x # c", Some(("Region", "x"))),
            ("k = v#1", Some(("k", "v#1"))),
            ("k = v\u{2003}#c", Some(("k", "v\u{2003}"))),
            ("k =\u{a0}#c", Some(("k", "\u{a0}"))),
            ("k = #c", Some(("k", ""))),
            ("k =#c", Some(("k", "#c"))),
            ("k = a = b ; c", Some(("k", "a = b"))),
            ("k;x = v", Some(("k;x", "v"))),
            ("= v", None),
            ("no equals", None),
            ("k #= v", None),
            ("k\u{a0};= v", None),
        ];
        for (text, want) in properties {
            let Line::Property(found) = line(text) else {
                panic!("{text:?} is a property line")
            };
            assert_eq!(found.map(|p| (p.key, p.value())), want, "{text:?}");
        }
        // Sub-property lines are read alike, their indentation first trimmed.
        assert_eq!(property("  #x = y").map(|p| p.key), Some("#x"));
        assert!(property("\t = y").is_none());
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
