//! Profile names and a few keys of each, for `list` and profile completion.
//!
//! These two commands only show names and marks, but a file of 10,000 profiles took aws-config
//! about 30 ms to parse: it builds a hash map of every key of every section. A lean scan reads
//! the same lines by the same rules (documented in aws-runtime's `env_config` parser and
//! normalizer) and keeps only the section names and the six keys shown. Where a file holds a
//! form whose reading the scan would have to guess (an error, a multi-line value of one of the
//! six keys, one profile spelt by two different headers), the scan gives up and the file goes
//! to aws-config's parser: the scan is fast on plain files and never reads one differently.
//! Tests and a fuzz target compare the two readings.

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::EnvConfigFileKind;

use crate::chain::{self, Keys};
use crate::env::Env;
use crate::error::Result;
use crate::profile::{File, parse_one, read_files};

/// The keys a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    RoleArn,
    MfaSerial,
    SourceProfile,
    Region,
    AccessKeyId,
    SecretAccessKey,
}

impl Key {
    pub const ALL: [Key; 6] = [
        Key::RoleArn,
        Key::MfaSerial,
        Key::SourceProfile,
        Key::Region,
        Key::AccessKeyId,
        Key::SecretAccessKey,
    ];

    /// The key's name in the files.
    pub fn name(self) -> &'static str {
        match self {
            Key::RoleArn => "role_arn",
            Key::MfaSerial => "mfa_serial",
            Key::SourceProfile => "source_profile",
            Key::Region => "region",
            Key::AccessKeyId => "aws_access_key_id",
            Key::SecretAccessKey => "aws_secret_access_key",
        }
    }
}

/// One profile: its name and the values of the keys, the credentials file's over the config
/// file's, as the AWS tools merge the two.
#[derive(Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub name: &'a str,
    values: [Option<&'a str>; 6],
}

impl<'a> Row<'a> {
    pub fn get(&self, key: Key) -> Option<&'a str> {
        self.values[key as usize]
    }
}

impl Keys for Row<'_> {
    fn value(&self, key: &str) -> Option<&str> {
        let key = Key::ALL.into_iter().find(|k| k.name() == key)?;
        self.get(key)
    }
}

/// Whether a session of `row`'s profile takes an MFA code: for a role, whether its
/// source_profile chain, followed as export follows it, names a device (a role takes its
/// source's mfa_serial). `rows` are sorted by name, as [`Listing::rows`] gives them.
pub fn uses_mfa(rows: &[Row], row: &Row) -> bool {
    // A role profile's own device is the one its role is assumed with.
    if row.get(Key::RoleArn).is_none() || row.get(Key::MfaSerial).is_some() {
        return row.get(Key::MfaSerial).is_some();
    }
    let find = |name: &str| {
        rows.binary_search_by(|r| r.name.cmp(name))
            .ok()
            .map(|i| &rows[i])
    };
    match chain::walk(find, row.name) {
        Ok(names) => {
            let chain: Vec<&Row> = names.iter().filter_map(|n| find(n)).collect();
            chain::serial(&chain).is_some()
        }
        // A broken chain opens no session; its own line is all there is to go by.
        Err(_) => row.get(Key::MfaSerial).is_some(),
    }
}

/// `role` when the profile assumes a role, `mfa` when its session takes an MFA code (a
/// role's may come from its source profile's device): what `list` and completion show.
/// `rows` are all the rows, sorted.
pub fn marks(row: &Row, rows: &[Row]) -> &'static [&'static str] {
    match (row.get(Key::RoleArn).is_some(), uses_mfa(rows, row)) {
        (true, true) => &["role", "mfa"],
        (true, false) => &["role"],
        (false, true) => &["mfa"],
        (false, false) => &[],
    }
}

// The secret access key is shown as present or absent, never as its value.
impl std::fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut row = f.debug_struct("Row");
        row.field("name", &self.name);
        for key in Key::ALL {
            match (key, self.get(key)) {
                (Key::SecretAccessKey, Some(_)) => row.field(key.name(), &Some("<hidden>")),
                (_, value) => row.field(key.name(), &value),
            };
        }
        row.finish()
    }
}

/// One file, read by the scan or, where it gave up, by aws-config.
enum Reading {
    Scanned(Vec<Section>),
    Parsed(ProfileSet),
}

/// Both files, each read apart (the merged parse cannot be split, and the scan is per file).
pub struct Listing {
    pub config: File,
    pub credentials: File,
    readings: [Reading; 2],
}

// The files' text holds the long-term secret: Debug shows the paths and sizes only.
impl std::fmt::Debug for Listing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listing")
            .field("config", &self.config)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Listing {
    pub fn load(env: &Env) -> Result<Listing> {
        let (config, credentials) = read_files(env)?;
        Listing::new(config, credentials)
    }

    fn new(config: File, credentials: File) -> Result<Listing> {
        let read = |kind, file: &File| -> Result<Reading> {
            let text = file.contents.as_deref().unwrap_or_default();
            match scan(text, kind) {
                Some(sections) => Ok(Reading::Scanned(sections)),
                None => parse_one(kind, file).map(Reading::Parsed),
            }
        };
        let readings = [
            read(EnvConfigFileKind::Config, &config)?,
            read(EnvConfigFileKind::Credentials, &credentials)?,
        ];
        Ok(Listing {
            config,
            credentials,
            readings,
        })
    }

    /// A listing of files given as text: for the tests and the fuzz target that compare it
    /// with aws-config's reading.
    #[doc(hidden)]
    pub fn from_texts(config: &str, credentials: &str) -> Result<Listing> {
        let file = |path: &str, text: &str| File {
            path: path.into(),
            contents: Some(crate::profile::dedent_properties(text).into_owned()),
        };
        Listing::new(file("config", config), file("credentials", credentials))
    }

    /// Whether the scan read both files (aws-config read none).
    #[doc(hidden)]
    pub fn scanned(&self) -> bool {
        self.readings
            .iter()
            .all(|r| matches!(r, Reading::Scanned(_)))
    }

    /// Every profile of both files, sorted by name, each once.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let config = rows_of(&self.readings[0], &self.config);
        let credentials = rows_of(&self.readings[1], &self.credentials);
        merge(config, credentials)
    }
}

/// A file's profiles, sorted by name: made one at a time from the scan's sections, so that
/// only the merged list is ever held (memory a listing does not touch need not be faulted in).
fn rows_of<'a>(reading: &'a Reading, file: &'a File) -> Box<dyn Iterator<Item = Row<'a>> + 'a> {
    match reading {
        Reading::Scanned(sections) => {
            let text = file.contents.as_deref().unwrap_or_default();
            Box::new(sections.iter().map(|s| Row {
                name: s.name.of(text),
                values: s.values.map(|v| v.map(|span| span.of(text))),
            }))
        }
        Reading::Parsed(set) => {
            let mut rows: Vec<Row<'a>> = set
                .profiles()
                .filter_map(|name| {
                    let profile = set.get_profile(name)?;
                    Some(Row {
                        name,
                        values: Key::ALL.map(|key| profile.get(key.name())),
                    })
                })
                .collect();
            rows.sort_unstable_by(|a, b| a.name.cmp(b.name));
            Box::new(rows.into_iter())
        }
    }
}

/// Two sorted lists into one; a profile in both takes each key from the credentials file
/// first, the precedence the AWS CLI gives the files.
fn merge<'a>(
    config: impl Iterator<Item = Row<'a>>,
    credentials: impl Iterator<Item = Row<'a>>,
) -> Vec<Row<'a>> {
    let mut out = Vec::with_capacity(config.size_hint().0.max(credentials.size_hint().0));
    let mut config = config.peekable();
    let mut credentials = credentials.peekable();
    loop {
        let row = match (config.peek(), credentials.peek()) {
            (None, None) => break,
            (Some(_), None) => config.next(),
            (None, Some(_)) => credentials.next(),
            (Some(a), Some(b)) => match a.name.cmp(b.name) {
                std::cmp::Ordering::Less => config.next(),
                std::cmp::Ordering::Greater => credentials.next(),
                std::cmp::Ordering::Equal => {
                    let (a, mut b) = (config.next(), credentials.next());
                    if let (Some(a), Some(b)) = (&a, &mut b) {
                        for (mine, theirs) in b.values.iter_mut().zip(a.values) {
                            *mine = mine.or(theirs);
                        }
                    }
                    b
                }
            },
        };
        out.extend(row);
    }
    out
}

/// A profile section found by the scan: byte spans of the file's text.
#[derive(Debug)]
struct Section {
    name: Span,
    /// The header's text between the brackets, to tell two spellings of one profile apart.
    header: Span,
    values: [Option<Span>; 6],
}

/// Where a part of a file's text is: 32-bit offsets keep a section at 88 bytes (176 with
/// `Range<usize>`), and the scan leaves files of 4 GiB and more to aws-config.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn of(self, text: &str) -> &str {
        &text[self.start as usize..self.end as usize]
    }
}

/// Blanks as the AWS parsers count them: space and tab, nothing else.
const BLANK: [char; 2] = [' ', '\t'];

/// The profile sections of one file and the six keys of each, sorted by name; `None` where
/// the file needs aws-config's reading (see the module's comment).
fn scan(text: &str, kind: EnvConfigFileKind) -> Option<Vec<Section>> {
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
    // Inside a section: the profile it records (None for sections the AWS tools skip, and
    // for [services] and [sso-session]), and the property the line before defined.
    let mut current: Option<Option<usize>> = None;
    let mut property: Option<Property> = None;
    for line in text.lines() {
        if trim_blank(line).is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if line.starts_with('[') {
            let header = without_comment(line, false)
                .strip_prefix('[')?
                .strip_suffix(']')?;
            current = Some(profile_name(header, kind).map(|name| {
                sections.push(Section {
                    name: at(name),
                    header: at(header),
                    values: Default::default(),
                });
                sections.len() - 1
            }));
            property = None;
        } else if line.starts_with(BLANK) {
            // A continuation of the property above: aws-config fails without one, appends
            // the line to a value, and checks a sub-property (`s3 =` then `  k = v`).
            let Property { ours, opens_block } = property?;
            if ours || (opens_block && key_value(line).is_none()) {
                return None;
            }
        } else {
            let section = current?;
            let (key, value) = key_value(line)?;
            let key = Key::ALL
                .into_iter()
                .find(|k| key.eq_ignore_ascii_case(k.name()));
            if let (Some(index), Some(key)) = (section, key) {
                sections[index].values[key as usize] = Some(at(value));
            }
            property = Some(Property {
                ours: section.is_some() && key.is_some(),
                opens_block: value.is_empty(),
            });
        }
    }
    // A stable sort keeps the file's order among sections of one name, so a later value wins
    // as it does in aws-config; one name under two spellings would merge in its hash order.
    sections.sort_by(|a, b| a.name.of(text).cmp(b.name.of(text)));
    let mut two_spellings = false;
    sections.dedup_by(|later, kept| {
        if later.name.of(text) != kept.name.of(text) {
            return false;
        }
        two_spellings |= later.header.of(text) != kept.header.of(text);
        for (mine, value) in kept.values.iter_mut().zip(later.values) {
            if value.is_some() {
                *mine = value;
            }
        }
        true
    });
    (!two_spellings).then_some(sections)
}

#[derive(Clone, Copy)]
struct Property {
    /// One of the six keys, in a profile section.
    ours: bool,
    /// Its value was empty: the lines below are sub-properties.
    opens_block: bool,
}

/// The profile a section header names, as aws-config normalizes it: `[profile NAME]` and
/// `[default]` in the config file, `[NAME]` in the credentials file, and only names of
/// letters, digits and `_-/.%@:+`.
fn profile_name(header: &str, kind: EnvConfigFileKind) -> Option<&str> {
    let header = trim_blank(header);
    let (prefix, name) = match header.split_once(BLANK) {
        Some((prefix, name)) => (Some(prefix.trim()), name.trim()),
        None => (None, header.trim()),
    };
    let valid = crate::profile::is_valid_name(name);
    match (kind, prefix) {
        (EnvConfigFileKind::Config, Some("profile")) if valid => Some(name),
        (EnvConfigFileKind::Config, None) if name == "default" => Some(name),
        (EnvConfigFileKind::Credentials, None) if valid => Some(name),
        _ => None,
    }
}

/// `key = value` with its comment cut off and the blanks trimmed; `None` where aws-config
/// reports an error (no `=`, no key).
fn key_value(line: &str) -> Option<(&str, &str)> {
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
fn trim_blank(text: &str) -> &str {
    let blank = |b: &u8| matches!(b, b' ' | b'\t');
    let bytes = text.as_bytes();
    let start = bytes.iter().position(|b| !blank(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    &text[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::profile::Profiles;

    /// Whether the scan read both files itself; when it did, asserts that aws-config's
    /// merged reading of the two (the one `export` uses) has the same profiles and values.
    /// (Where the scan gives up, aws-config is what reads the files.)
    fn same(config: &str, credentials: &str) -> bool {
        let listing = match Listing::from_texts(config, credentials) {
            Ok(listing) if listing.scanned() => listing,
            _ => return false,
        };
        let profiles = Profiles::from_texts(config, credentials)
            .unwrap_or_else(|e| panic!("aws-config fails where the scan reads: {e}"));
        let merged: Vec<Row> = (profiles.names().into_iter())
            .map(|name| {
                let profile = profiles.get(name).expect("a listed name");
                Row {
                    name,
                    values: Key::ALL.map(|key| profile.get(key.name())),
                }
            })
            .collect();
        assert_eq!(
            listing.rows(),
            merged,
            "config {config:?}, credentials {credentials:?}"
        );
        true
    }

    /// A file of lines drawn from the forms the scan must read as aws-config does: headers
    /// of every kind and spelling, keys in any case, comments, blanks, continuations, errors,
    /// and few names and keys so that sections and keys repeat.
    fn file() -> impl Strategy<Value = String> {
        // Blanks beyond space and tab too: Rust's Unicode whitespace counts in some rules.
        let name = prop::sample::select(vec![
            "a", "b", "default", "A-1", "x.y", "it's", "", "b\u{a0}",
        ]);
        let key = prop::sample::select(vec![
            "region",
            "Region",
            "role_arn",
            "mfa_serial",
            "aws_access_key_id",
            "s3",
            "a b",
        ]);
        let value = prop::sample::select(vec![
            "x",
            "a b",
            "",
            "v#1",
            "v #c",
            "v;c",
            "é",
            " w ",
            "v\t;c",
            "v\u{2003}#c",
        ]);
        let header = (
            prop::sample::select(vec![
                "[profile {}]",
                "[{}]",
                "[ profile {} ]",
                "[profile\t{}]",
                "[sso-session {}]",
                "[services {}]",
                "[profile {}] # c",
                "[Profile {}]",
                "[profile  {}]",
                "[profile\u{a0} {}]",
            ]),
            name,
        )
            .prop_map(|(form, name)| form.replace("{}", name));
        let property = (
            prop::sample::select(vec!["{k} = {v}", "{k}={v}", "{k} ={v}  "]),
            key.clone(),
            value.clone(),
        )
            .prop_map(|(form, k, v)| form.replace("{k}", k).replace("{v}", v));
        let continuation = (
            prop::sample::select(vec!["  {k} = {v}", "\t{v}"]),
            key,
            value,
        )
            .prop_map(|(form, k, v)| form.replace("{k}", k).replace("{v}", v));
        let other = prop::sample::select(vec!["", "# c", "; c", "  # c", " \t"]);
        let error = prop::sample::select(vec!["= v", "region", "[profile a", "  = v", "  v"]);
        let line = prop_oneof![
            30 => header.clone(),
            80 => property,
            10 => continuation,
            20 => other.prop_map(str::to_owned),
            1 => error.prop_map(str::to_owned),
        ];
        (
            header,
            prop::collection::vec(line, 0..16),
            prop::sample::select(vec!["\n", "\r\n"]),
        )
            .prop_map(|(first, lines, end)| {
                std::iter::once(&first)
                    .chain(&lines)
                    .map(|l| format!("{l}{end}"))
                    .collect()
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn generated_files_read_alike_wherever_the_scan_reads(config in file(), credentials in file()) {
            same(&config, &credentials);
        }
    }

    #[test]
    fn plain_files_are_scanned_and_read_as_aws_config_reads_them() {
        let config = "[default]\nregion = us-east-1\n\n[profile a]\nmfa_serial = arn:aws:iam::1:mfa/a # a comment\nRole_ARN=arn:aws:iam::1:role/r\nsource_profile = b\n[profile b]\nregion=eu-west-1;not a comment\n[sso-session s]\nregion = x\n[services s]\nsts =\n  endpoint_url = http://localhost\n[profile c]\ns3 =\n  max_concurrent_requests = 20\nregion = ap-south-1\n";
        let credentials = "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = secret\nregion = eu-west-2\n[b]\naws_access_key_id = AKIAB\n[c]\n";
        assert!(same(config, credentials));
        let listing = Listing::from_texts(config, credentials).unwrap();
        let rows = listing.rows();
        let names: Vec<_> = rows.iter().map(|r| r.name).collect();
        assert_eq!(names, ["a", "b", "c", "default"]);
        assert_eq!(rows[0].get(Key::RoleArn), Some("arn:aws:iam::1:role/r"));
        assert_eq!(rows[0].get(Key::MfaSerial), Some("arn:aws:iam::1:mfa/a"));
        assert_eq!(rows[0].get(Key::Region), Some("eu-west-2"));
        assert_eq!(rows[1].get(Key::Region), Some("eu-west-1;not a comment"));
        assert_eq!(rows[2].get(Key::Region), Some("ap-south-1"));
    }

    #[test]
    fn debug_hides_the_secret_access_key() {
        let listing =
            Listing::from_texts("", "[a]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n")
                .unwrap();
        let rows = listing.rows();
        let shown = format!("{rows:?} {listing:?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(
            shown.contains("aws_secret_access_key: Some(\"<hidden>\")"),
            "{shown}"
        );
    }

    #[test]
    fn sections_the_aws_tools_skip_are_skipped() {
        for (config, credentials) in [
            ("[foo]\nregion = x\n[profile it's]\nregion = y\n", ""),
            (
                "",
                "[profile a]\nregion = x\n[with space]\nregion = y\n[]\nregion = z\n",
            ),
            ("[profile\ta]\nregion = x\n[profile  b ]\nregion = y\n", ""),
            ("[Profile a]\nregion = x\n[profile]\nregion = y\n", ""),
            ("[profile a] ; comment\nregion = x\n[profile b]#c\n", ""),
        ] {
            assert!(same(config, credentials), "{config:?} {credentials:?}");
        }
    }

    #[test]
    fn later_values_win_within_a_section_and_over_repeated_sections() {
        assert!(same(
            "[profile a]\nregion = x\nregion = y\n[profile b]\n[profile a]\nregion = z\nmfa_serial = m\n[profile a]\nmfa_serial =\n",
            "[a]\nregion = k\n[a]\naws_access_key_id = A\n"
        ));
    }

    #[test]
    fn forms_the_scan_leaves_to_aws_config_are_read_by_it() {
        // Errors: aws-config's message is the one shown.
        for (config, credentials) in [
            ("region = x\n", ""),
            ("[profile a\n", ""),
            ("[profile a]\nno equals sign\n", ""),
            ("[profile a]\n= no key\n", ""),
            ("", "[a]\ns3 =\n  not a sub-property\n"),
            ("", "[a]\n  continues nothing\n"),
        ] {
            let message = Listing::from_texts(config, credentials)
                .expect_err(config)
                .to_string();
            assert!(message.starts_with("mfa-env: cannot parse "), "{message}");
        }
        for (config, credentials) in [
            // A multi-line value of a key the listing shows.
            ("[profile a]\nrole_arn = x\n      y\n", ""),
            // [default] beside [profile default]: the latter wins whole.
            (
                "[default]\nregion = x\n[profile default]\nmfa_serial = y\n",
                "",
            ),
            // One profile under two spellings: aws-config merges the sections in the order
            // of a randomly seeded hash map, so its reading changes from run to run; the scan
            // leaves such a file to it rather than pick one.
            ("[profile a]\nregion = x\n[profile  a]\nregion = y\n", ""),
        ] {
            let listing = Listing::from_texts(config, credentials).unwrap();
            assert!(!listing.scanned(), "{config:?}");
        }
    }

    #[test]
    fn the_test_data_is_read_alike_and_mostly_scanned() {
        // The project's config files of every real-world form (tests/data/config/README.md).
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/config");
        let mut scanned = 0;
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).expect("tests/data/config") {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "ini") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            files += 1;
            // Each file as the config file and as the credentials file.
            scanned += usize::from(same(&text, ""));
            scanned += usize::from(same("", &text));
        }
        assert!(files >= 40, "{files} files in {}", dir.display());
        assert!(
            scanned >= files * 2 * 3 / 4,
            "scanned {scanned} of {}",
            files * 2
        );
    }
}
