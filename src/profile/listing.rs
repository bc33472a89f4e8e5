//! Profile names and a few keys of each, for `list` and profile completion.
//!
//! The rows come from the files' readings (the lean scan's, where it could read a file): each
//! file's profiles sorted by name, each made from its sections when it is reached, so that
//! only the merged list is ever held, and the two lists merged as the AWS tools merge them.

use super::chain::{self, Keys};
use super::ini;
use super::scan::{self, Section};
use super::{Key, Profiles, Reading};

/// The keys a listing shows.
pub const LISTED: [Key; 6] = Key::LISTED;

/// One profile: its name and the values of the keys, the credentials file's over the config
/// file's, as the AWS tools merge the two.
#[derive(Clone, PartialEq, Eq)]
pub struct Row<'a> {
    pub name: &'a str,
    values: [Option<&'a str>; 6],
}

impl<'a> Row<'a> {
    /// A listed key's value; `None` for the others.
    pub fn get(&self, key: Key) -> Option<&'a str> {
        let i = LISTED.iter().position(|k| *k == key)?;
        self.values[i]
    }
}

impl<'a> Keys<'a> for &Row<'a> {
    fn name(&self) -> &'a str {
        self.name
    }

    fn value(&self, key: Key) -> Option<&'a str> {
        self.get(key)
    }
}

/// Whether a session of `row`'s profile takes an MFA code: for a role, whether its
/// source_profile chain, followed as export follows it, names a device (a role takes its
/// source's mfa_serial). `rows` are sorted by name, as [`Profiles::rows`] gives them.
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
        Ok(chain) => chain::serial(&chain).is_some(),
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
        for key in LISTED {
            match (key, self.get(key)) {
                (Key::SecretAccessKey, Some(_)) => row.field(key.name(), &Some("<hidden>")),
                (_, value) => row.field(key.name(), &value),
            };
        }
        row.finish()
    }
}

impl Profiles {
    /// Every profile of both files, sorted by name, each once.
    pub fn rows(&self) -> Vec<Row<'_>> {
        let [config, credentials] = [0, 1].map(|i| {
            let (text, reading) = self.reading(i);
            rows_of(reading, text)
        });
        merge(config, credentials)
    }
}

/// A file's profiles, sorted by name: made one at a time, so that only the merged list is
/// ever held (memory a listing does not touch need not be faulted in).
fn rows_of<'a>(reading: &'a Reading, text: &'a str) -> Box<dyn Iterator<Item = Row<'a>> + 'a> {
    match reading {
        Reading::Scanned(sections) => {
            let mut sorted: Vec<&Section> = (sections.iter())
                .filter(|s| s.kind == scan::Kind::Profile)
                .collect();
            // A stable sort keeps the file's order among sections of one name: a later
            // value wins, as in aws-config.
            sorted.sort_by(|a, b| a.name.of(text).cmp(b.name.of(text)));
            let mut next = 0;
            Box::new(std::iter::from_fn(move || {
                let name = sorted.get(next)?.name.of(text);
                let mut values = [None; LISTED.len()];
                while let Some(section) = sorted.get(next).filter(|s| s.name.of(text) == name) {
                    for (mine, value) in values.iter_mut().zip(section.listed) {
                        *mine = value.map(|span| ini::value(span.of(text))).or(*mine);
                    }
                    next += 1;
                }
                Some(Row { name, values })
            }))
        }
        Reading::Parsed(set) => {
            let mut rows: Vec<Row<'a>> = set
                .profiles()
                .filter_map(|name| {
                    let profile = set.get_profile(name)?;
                    Some(Row {
                        name,
                        values: LISTED.map(|key| profile.get(key.name())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::reference::same_reading;

    #[test]
    fn plain_files_are_scanned_and_read_as_aws_config_reads_them() {
        let config = "[default]\nregion = us-east-1\n\n[profile a]\nmfa_serial = arn:aws:iam::1:mfa/a # a comment\nRole_ARN=arn:aws:iam::1:role/r\nsource_profile = b\n[profile b]\nregion=eu-west-1;not a comment\n[sso-session s]\nregion = x\n[services s]\nsts =\n  endpoint_url = http://localhost\n[profile c]\ns3 =\n  max_concurrent_requests = 20\nregion = ap-south-1\n";
        let credentials = "[a]\naws_access_key_id = AKIAA\naws_secret_access_key = secret\nregion = eu-west-2\n[b]\naws_access_key_id = AKIAB\n[c]\n";
        assert!(same_reading(config, credentials));
        let profiles = Profiles::from_texts(config, credentials).unwrap();
        let rows = profiles.rows();
        let names: Vec<_> = rows.iter().map(|r| r.name).collect();
        assert_eq!(names, ["a", "b", "c", "default"]);
        assert_eq!(rows[0].get(Key::RoleArn), Some("arn:aws:iam::1:role/r"));
        assert_eq!(rows[0].get(Key::MfaSerial), Some("arn:aws:iam::1:mfa/a"));
        assert_eq!(rows[0].get(Key::Region), Some("eu-west-2"));
        assert_eq!(rows[1].get(Key::Region), Some("eu-west-1;not a comment"));
        assert_eq!(rows[2].get(Key::Region), Some("ap-south-1"));
        // Keys a listing does not show are not in its rows.
        assert_eq!(rows[0].get(Key::MfaProcess), None);
    }

    #[test]
    fn a_role_is_marked_mfa_when_its_chain_names_a_device() {
        let profiles = Profiles::from_texts(
            "[profile base]\nmfa_serial = m\n[profile admin]\nrole_arn = r\nsource_profile = base\n[profile loose]\nrole_arn = r\nsource_profile = nowhere\n",
            "",
        )
        .unwrap();
        let rows = profiles.rows();
        let mfa: Vec<bool> = rows.iter().map(|row| uses_mfa(&rows, row)).collect();
        assert_eq!(mfa, [true, true, false]);
    }

    #[test]
    fn debug_hides_the_secret_access_key() {
        let profiles =
            Profiles::from_texts("", "[a]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n")
                .unwrap();
        let rows = profiles.rows();
        let shown = format!("{rows:?} {profiles:?}");
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(
            shown.contains("aws_secret_access_key: Some(\"<hidden>\")"),
            "{shown}"
        );
    }
}
