//! The lean scan: where a file's profile sections are, read line by line by the rules of
//! aws-config's parser (`ini.rs`), without building a map of every key of every section.
//!
//! aws-config took about 30 ms to parse a file of 10,000 profiles: it builds a hash map of
//! every key of every section, where an export needs a few keys of one profile and a listing
//! six keys of each. The scan keeps only where each profile section (and each `[services]`
//! section) and its lines are, and the values of the six keys a listing shows; any other
//! key's value is read from those lines when it is asked for, by the same rules. Where a file holds a form whose reading the scan would have to guess,
//! it gives up and the file goes to aws-config's parser, so that the scan is fast on plain
//! files and never reads one differently:
//!
//! - an error (aws-config's message is the one to show);
//! - a value spread over several lines, for a key mfa-env reads (any [`Key`]);
//! - one profile, or one `[services]` section, under two spellings of its header
//!   (`[profile a]` and `[profile  a]`): aws-config merges those in the order of a randomly
//!   seeded hash map, so its own reading changes from run to run. `[default]` beside
//!   `[profile default]` is one of these.
//!
//! `reference.rs` compares the two readings (tests, a fuzz target).

use aws_runtime::env_config::file::EnvConfigFileKind;

use super::Key;
use super::ini::{self, Line};

/// Where a part of a file's text is: 32-bit offsets keep a section at 100 bytes (176 with
/// `Range<usize>`), and the scan leaves files of 4 GiB and more to aws-config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    pub(super) fn of(self, text: &str) -> &str {
        &text[self.start as usize..self.end as usize]
    }
}

/// What a section found by the scan holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    /// A profile: `[profile NAME]` or `[default]` in the config file, `[NAME]` in the
    /// credentials file.
    Profile,
    /// `[services NAME]` in the config file: endpoints for some services.
    Services,
}

/// A profile or `[services]` section: byte spans of the file's text.
#[derive(Clone, Copy, Debug)]
pub(super) struct Section {
    pub kind: Kind,
    pub name: Span,
    /// The header's text between the brackets, to tell two spellings of one name apart.
    header: Span,
    /// The lines below the header, up to the next header.
    pub body: Span,
    /// Where the values of [`Key::LISTED`] are in a profile section: the text after the `=`
    /// (the value is read from it when asked for, see [`ini::value`]).
    pub listed: [Option<Span>; Key::LISTED.len()],
}

impl Section {
    /// The value of a key in the section: the last line of the key wins, as in aws-config.
    pub(super) fn get<'a>(&self, text: &'a str, key: Key) -> Option<&'a str> {
        match Key::LISTED.iter().position(|k| *k == key) {
            Some(i) => self.listed[i].map(|span| ini::value(span.of(text))),
            None => value(self.body.of(text), key),
        }
    }
}

/// The profile and `[services]` sections of one file, in the file's order; `None` where the
/// file needs aws-config's reading (see the module's comment).
pub(super) fn scan(text: &str, kind: EnvConfigFileKind) -> Option<Vec<Section>> {
    u32::try_from(text.len()).ok()?;
    let at = |part: &str| {
        let start = part.as_ptr() as usize - text.as_ptr() as usize;
        // Within the text, which is shorter than 4 GiB: the casts cannot truncate.
        Span {
            start: start as u32,
            end: (start + part.len()) as u32,
        }
    };
    // Every header starts with '[': their count bounds the sections' (10,000 sections grown
    // one by one cost more than this count).
    let mut sections: Vec<Section> = Vec::with_capacity(text.matches('[').count());
    // Inside a section: the kind of section recorded (None for sections the AWS tools skip,
    // and for [sso-session]), whether the last one recorded still runs, and the property the
    // line before defined.
    let mut current: Option<Option<Kind>> = None;
    let mut open = false;
    let mut property: Option<(ini::Property, bool)> = None;
    // Whether every header is spelt as the AWS tools write it: then no name has two.
    let mut canonical = true;
    for line in text.lines() {
        match ini::line(line) {
            Line::Blank | Line::Comment => {}
            Line::Header(header) => {
                let header = header?;
                let here = at(line);
                if open {
                    sections.last_mut().expect("open").body.end = here.start;
                }
                let found = ini::profile_name(header, kind)
                    .map(|name| (Kind::Profile, name))
                    .or_else(|| ini::services_name(header, kind).map(|n| (Kind::Services, n)));
                open = found.is_some();
                current = Some(found.map(|(section, name)| {
                    canonical &= is_canonical(header, section, name, kind);
                    sections.push(Section {
                        kind: section,
                        name: at(name),
                        header: at(header),
                        body: Span {
                            start: here.end,
                            end: here.end,
                        },
                        listed: Default::default(),
                    });
                    section
                }));
                property = None;
            }
            Line::Continuation => {
                // A continuation of the property above: aws-config fails without one, appends
                // the line to a value, and checks a sub-property (`s3 =` then `  k = v`).
                let (above, in_profile) = property?;
                let ours = in_profile && Key::named(above.key).is_some();
                if ours || (above.opens_block() && ini::property(line).is_none()) {
                    return None;
                }
            }
            Line::Property(found) => {
                let section = current?;
                let found = found?;
                let in_profile = section == Some(Kind::Profile);
                if in_profile && let Some(i) = Key::LISTED.iter().position(|k| k.is(found.key)) {
                    sections.last_mut().expect("in a section").listed[i] = Some(at(found.rest));
                }
                // In a profile section, a multi-line value of one of mfa-env's keys matters.
                property = Some((found, in_profile));
            }
        }
    }
    if open {
        sections.last_mut().expect("open").body.end = at(text).end;
    }
    (canonical || !two_spellings(text, &sections)).then_some(sections)
}

/// Whether a header is spelt as the AWS tools write it: `[profile NAME]` (`[default]` for
/// the default profile) and `[services NAME]` in the config file, `[NAME]` in the
/// credentials file.
fn is_canonical(header: &str, section: Kind, name: &str, kind: EnvConfigFileKind) -> bool {
    let prefix = match (section, kind) {
        (Kind::Services, _) => "services ",
        (Kind::Profile, EnvConfigFileKind::Credentials) => "",
        (Kind::Profile, _) if name == "default" => "",
        (Kind::Profile, _) => "profile ",
    };
    header.strip_prefix(prefix) == Some(name)
}

/// Whether one name is under two spellings of its header. A stable sort keeps the file's
/// order among sections of one name.
fn two_spellings(text: &str, sections: &[Section]) -> bool {
    let mut sorted: Vec<&Section> = sections.iter().collect();
    sorted.sort_by(|a, b| (a.kind, a.name.of(text)).cmp(&(b.kind, b.name.of(text))));
    sorted.windows(2).any(|pair| {
        let [a, b] = pair else { return false };
        (a.kind, a.name.of(text)) == (b.kind, b.name.of(text))
            && a.header.of(text) != b.header.of(text)
    })
}

/// The value of a key in a section's lines: the last line of the key wins.
fn value(body: &str, key: Key) -> Option<&str> {
    let mut found = None;
    for line in body.lines() {
        if let Line::Property(Some(property)) = ini::line(line)
            && key.is(property.key)
        {
            found = Some(property);
        }
    }
    found.map(ini::Property::value)
}

/// A sub-property of the `[services NAME]` sections of a scanned file, for one service:
/// `sts =` then `  endpoint_url = URL`. As in aws-config: the last `sts` block of the
/// sections of that name wins whole, and within it the last line of the key; the block is
/// the property's own value and its continuation lines, each a `key = value` or nothing.
pub(super) fn service_setting<'a>(
    text: &'a str,
    sections: &[Section],
    name: &str,
    service: &str,
    key: &str,
) -> Option<&'a str> {
    let mut block: Option<Vec<&'a str>> = None;
    for section in sections {
        if section.kind != Kind::Services || section.name.of(text) != name {
            continue;
        }
        // Whether the lines below belong to the service's block.
        let mut inside = false;
        for line in section.body.of(text).lines() {
            match ini::line(line) {
                Line::Property(Some(property)) => {
                    inside = property.key.eq_ignore_ascii_case(service);
                    if inside {
                        block = Some(vec![property.value()]);
                    }
                }
                Line::Continuation if inside => {
                    block.as_mut().expect("inside").push(ini::trim_blank(line));
                }
                _ => {}
            }
        }
    }
    block?
        .into_iter()
        .rev()
        .filter_map(|line| line.split_once('='))
        .find(|(k, _)| ini::trim_blank(k) == key)
        .map(|(_, value)| ini::trim_blank(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EnvConfigFileKind::{Config, Credentials};

    fn names(text: &str, kind: EnvConfigFileKind) -> Option<Vec<(Kind, &str, &str)>> {
        let sections = scan(text, kind)?;
        let found = sections
            .iter()
            .map(|s| (s.kind, s.name.of(text), s.body.of(text)));
        Some(found.collect())
    }

    #[test]
    fn sections_and_the_lines_below_them() {
        let text = "# top\n[profile a]\nregion = x\n[sso-session s]\nsso_region = y\n[services s]\nsts =\n  endpoint_url = http://localhost\n[default]\r\nk = v";
        assert_eq!(
            names(text, Config).unwrap(),
            [
                (Kind::Profile, "a", "\nregion = x\n"),
                (
                    Kind::Services,
                    "s",
                    "\nsts =\n  endpoint_url = http://localhost\n"
                ),
                (Kind::Profile, "default", "\r\nk = v"),
            ]
        );
        // The credentials file holds profiles alone.
        assert_eq!(
            names("[a]\n[services s]\n[profile b]\n", Credentials).unwrap(),
            [(Kind::Profile, "a", "\n")]
        );
    }

    #[test]
    fn the_last_line_of_a_key_wins() {
        let text = "[a]\nRegion = x\nmfa_serial = m # phone\nregion=y\ns3 =\n  region = z\nmfa_process = p\nMFA_process = q\n";
        let sections = scan(text, Credentials).unwrap();
        let get = |key| sections[0].get(text, key);
        // Keys a listing shows, as recorded, and others, as read from the lines.
        assert_eq!(get(Key::Region), Some("y"));
        assert_eq!(get(Key::MfaSerial), Some("m"));
        assert_eq!(get(Key::RoleArn), None);
        assert_eq!(get(Key::MfaProcess), Some("q"));
        assert_eq!(get(Key::ExternalId), None);
    }

    #[test]
    fn services_blocks_as_aws_config_reads_them() {
        let text = "[services a]\nsts =\n  endpoint_url = http://one # kept\n  region = x\n[services b]\niam =\n  endpoint_url = http://iam\nsts = endpoint_url=http://inline\n[services a]\nSTS =\n\n  endpoint_url = http://two\n  Endpoint_URL = http://case\n";
        let sections = scan(text, Config).unwrap();
        let get = |name, service, key| service_setting(text, &sections, name, service, key);
        // The later block of `a` replaces the earlier whole; sub-keys keep their case.
        assert_eq!(get("a", "sts", "endpoint_url"), Some("http://two"));
        assert_eq!(get("a", "sts", "region"), None);
        assert_eq!(get("b", "iam", "endpoint_url"), Some("http://iam"));
        assert_eq!(get("b", "sts", "endpoint_url"), Some("http://inline"));
        assert_eq!(get("c", "sts", "endpoint_url"), None);
    }

    #[test]
    fn forms_the_scan_leaves_to_aws_config() {
        for (text, kind) in [
            // Errors.
            ("region = x\n", Config),
            ("[profile a\n", Config),
            ("[profile a]\nno equals sign\n", Config),
            ("[profile a]\n= no key\n", Config),
            ("[a]\ns3 =\n  not a sub-property\n", Credentials),
            ("[a]\n  continues nothing\n", Credentials),
            // A multi-line value of a key mfa-env reads.
            ("[profile a]\nrole_arn = x\n      y\n", Config),
            ("[a]\nMFA_Process =\n  x = y\n", Credentials),
            // One name under two spellings.
            (
                "[profile a]\nregion = x\n[profile  a]\nregion = y\n",
                Config,
            ),
            ("[default]\nregion = x\n[profile default]\n", Config),
            ("[services s]\n[services\ts]\n", Config),
        ] {
            assert!(scan(text, kind).is_none(), "{text:?}");
        }
        // Multi-line values of other keys, in other sections, and one name twice alike.
        for text in [
            "[profile a]\ns3 =\n  max = 1\nnote = a\n  b\n",
            "[services s]\nsts = x\n  endpoint_url = y\n",
            "[ profile a ]\n[ profile b ]\n[ profile a ]\n",
        ] {
            assert!(scan(text, Config).is_some(), "{text:?}");
        }
    }
}
