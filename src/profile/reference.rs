//! aws-config's own reading of both files together, exactly as the AWS SDKs read them: the
//! reference that mfa-env's reading (the lean scan's, where it reads a file) is compared
//! with, by the unit tests, the test data and the `listing` fuzz target. Nothing reads a
//! profile with it.

use aws_config::profile::ProfileSet;
use aws_runtime::env_config::file::EnvConfigFileKind;

use super::ini::{self, Line};
use super::listing::LISTED;
use super::{File, Key, Profiles, dedent_properties, sdk};
use crate::error::Result;

/// Both files read by aws-config's parser in one set.
pub struct Reference {
    set: ProfileSet,
}

impl Reference {
    /// As [`Profiles::from_texts`] reads the texts, but by aws-config alone.
    pub fn from_texts(config: &str, credentials: &str) -> Result<Reference> {
        let file = |path: &str, text: &str| File {
            path: path.into(),
            contents: Some(dedent_properties(text).into_owned()),
        };
        let set = sdk::parse_both(&file("config", config), &file("credentials", credentials))?;
        Ok(Reference { set })
    }

    /// Profile names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.set.profiles().collect();
        names.sort_unstable();
        names
    }

    /// Any key of a profile.
    pub fn get(&self, name: &str, key: &str) -> Option<&str> {
        self.set.get_profile(name)?.get(key)
    }

    /// A sub-property of a profile's `[services NAME]` section, for one service.
    pub fn service_setting(&self, name: &str, service: &str, key: &str) -> Option<&str> {
        let section = self.get(name, Key::Services.name())?;
        sdk::service_setting(&self.set, section, service, key).filter(|v| !v.is_empty())
    }
}

/// The services and sub-properties compared (`sts` and `iam` are the ones mfa-env reads).
const SERVICES: [&str; 3] = ["sts", "iam", "s3"];
const SUB_PROPERTIES: [&str; 2] = ["endpoint_url", "region"];

/// A profile (`false`) or `[services]` section (`true`) of a file under two spellings of its
/// header: aws-config merges those in the order of a randomly seeded hash map, so that two of
/// its own readings may differ; the scan leaves such a file to it. (`[default]` beside
/// `[profile default]` is not one: the latter wins whole.)
fn unsettled(text: &str, kind: EnvConfigFileKind) -> Vec<(bool, &str)> {
    let mut found: Vec<(bool, &str, &str)> = text
        .lines()
        .filter_map(|line| match ini::line(line) {
            Line::Header(Some(header)) => {
                let profile = ini::profile_name(header, kind).map(|name| (false, name, header));
                profile.or_else(|| ini::services_name(header, kind).map(|n| (true, n, header)))
            }
            _ => None,
        })
        .collect();
    let default = |header| ini::section_pair(header) == (Some("profile"), "default");
    if found
        .iter()
        .any(|(services, _, header)| !services && default(header))
    {
        found.retain(|(services, name, header)| *services || *name != "default" || default(header));
    }
    found.sort_unstable();
    found.dedup();
    let mut names: Vec<(bool, &str)> = found
        .windows(2)
        .filter(|pair| (pair[0].0, pair[0].1) == (pair[1].0, pair[1].1))
        .map(|pair| (pair[0].0, pair[0].1))
        .collect();
    names.dedup();
    names
}

/// Whether mfa-env read both files with the scan. Panics where its reading differs from
/// aws-config's: a profile, a key mfa-env reads, a service's endpoint, a listing's row, or an
/// error (one fails where the other reads, or the messages differ). Profiles and services
/// whose reading is aws-config's hash order (see [`unsettled`]) are not compared.
pub fn same_reading(config: &str, credentials: &str) -> bool {
    let at = || format!("config {config:?}, credentials {credentials:?}");
    let (ours, theirs) = match (
        Profiles::from_texts(config, credentials),
        Reference::from_texts(config, credentials),
    ) {
        (Ok(ours), Ok(theirs)) => (ours, theirs),
        (Err(ours), Err(theirs)) => {
            assert_eq!(ours.to_string(), theirs.to_string(), "{}", at());
            return false;
        }
        (Ok(_), Err(e)) => panic!("aws-config fails ({e}) where mfa-env reads: {}", at()),
        (Err(e), Ok(_)) => panic!("mfa-env fails ({e}) where aws-config reads: {}", at()),
    };
    let (config, credentials) = (dedent_properties(config), dedent_properties(credentials));
    let mut skip = unsettled(&config, EnvConfigFileKind::Config);
    skip.extend(unsettled(&credentials, EnvConfigFileKind::Credentials));
    let settled = |name: &str| !skip.contains(&(false, name));
    assert_eq!(ours.names(), theirs.names(), "{}", at());
    for name in theirs.names().into_iter().filter(|n| settled(n)) {
        let profile = ours.get(name).expect("a name of the files");
        assert_eq!(profile.name(), name);
        for key in Key::ALL {
            let want = theirs.get(name, key.name());
            assert_eq!(profile.get(key), want, "{name}.{}: {}", key.name(), at());
        }
        let section = profile.get(Key::Services).unwrap_or_default();
        if skip.contains(&(true, section)) {
            continue;
        }
        for service in SERVICES {
            for sub in SUB_PROPERTIES {
                let want = theirs.service_setting(name, service, sub);
                let got = profile.service_setting(service, sub);
                assert_eq!(got, want, "{name}: {service}.{sub}: {}", at());
            }
        }
    }
    let rows = ours.rows();
    let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    assert_eq!(names, theirs.names(), "{}", at());
    for row in rows.iter().filter(|row| settled(row.name)) {
        for key in LISTED {
            let want = theirs.get(row.name, key.name());
            assert_eq!(
                row.get(key),
                want,
                "row {}.{}: {}",
                row.name,
                key.name(),
                at()
            );
        }
    }
    ours.scanned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A file of lines drawn from the forms the reading must read as aws-config does: headers
    /// of every kind and spelling, keys in any case, comments, blanks, continuations, errors,
    /// and few names and keys so that sections and keys repeat.
    fn file() -> impl Strategy<Value = String> {
        // Blanks beyond space and tab too: Rust's Unicode whitespace counts in some rules.
        let name = prop::sample::select(vec![
            "a", "b", "default", "A-1", "x.y", "it's", "", "b\u{a0}",
        ]);
        // Keys mfa-env reads and keys it does not; `services` names a `[services NAME]`
        // section, where `sts` opens a block of `endpoint_url` sub-properties.
        let key = prop::sample::select(vec![
            "region",
            "Region",
            "role_arn",
            "mfa_serial",
            "aws_access_key_id",
            "mfa_process",
            "services",
            "sts",
            "STS",
            "endpoint_url",
            "s3",
            "a b",
        ]);
        let value = prop::sample::select(vec![
            "x",
            "a",
            "endpoint_url = y",
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
                "[services {}]",
                "[services {}]",
                "[services  {}]",
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
            value.clone(),
        )
            .prop_map(|(form, k, v)| form.replace("{k}", k).replace("{v}", v));
        let other = prop::sample::select(vec!["", "# c", "; c", "  # c", " \t"]);
        let error = prop::sample::select(vec!["= v", "region", "[profile a", "  = v", "  v"]);
        // A profile's `services = NAME`, and a block of a `[services NAME]` section (lines
        // joined by `{end}`, the file's line ending).
        let services = prop::sample::select(vec!["services = a", "services = b"]);
        let block = (
            prop::sample::select(vec!["", "[services a]{end}", "[services b]{end}"]),
            prop::sample::select(vec!["sts =", "STS =", "iam =", "sts = endpoint_url = w"]),
            prop::sample::select(vec!["endpoint_url", "Endpoint_URL", "region"]),
            value,
        )
            .prop_map(|(header, first, k, v)| format!("{header}{first}{{end}}  {k} = {v}"));
        let line = prop_oneof![
            30 => header.clone(),
            80 => property,
            10 => continuation,
            10 => services.prop_map(str::to_owned),
            10 => block,
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
                    .map(|l| format!("{}{end}", l.replace("{end}", end)))
                    .collect()
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn generated_files_read_alike(config in file(), credentials in file()) {
            same_reading(&config, &credentials);
        }
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
            (
                "[profile a]\nservices = s\n[services s]\nsts =\n  endpoint_url = x\n",
                "[services s]\n",
            ),
        ] {
            assert!(
                same_reading(config, credentials),
                "{config:?} {credentials:?}"
            );
        }
    }

    #[test]
    fn later_values_win_within_a_section_and_over_repeated_sections() {
        assert!(same_reading(
            "[profile a]\nregion = x\nregion = y\n[profile b]\n[profile a]\nregion = z\nmfa_serial = m\n[profile a]\nmfa_serial =\nservices = s\n[services s]\nsts =\n  endpoint_url = one\n[services s]\niam =\n  endpoint_url = two\n",
            "[a]\nregion = k\n[a]\naws_access_key_id = A\nservices = s\n"
        ));
    }

    #[test]
    fn forms_the_scan_leaves_to_aws_config_are_read_by_it() {
        // Errors: aws-config's message is the one shown, naming the file at fault.
        for (config, credentials) in [
            ("region = x\n", ""),
            ("[profile a\n", ""),
            ("[profile a]\nno equals sign\n", ""),
            ("[profile a]\n= no key\n", ""),
            ("", "[a]\ns3 =\n  not a sub-property\n"),
            ("", "[a]\n  continues nothing\n"),
            ("[profile a\n", "[a]\n  continues nothing\n"),
        ] {
            assert!(!same_reading(config, credentials));
            let message = Profiles::from_texts(config, credentials)
                .expect_err(config)
                .to_string();
            let culprit = if config.is_empty() {
                "credentials"
            } else {
                "config"
            };
            assert!(
                message.starts_with(&format!("mfa-env: cannot parse {culprit}: line ")),
                "{message}"
            );
        }
        for (config, credentials) in [
            // A multi-line value of a key mfa-env reads.
            ("[profile a]\nrole_arn = x\n      y\n", ""),
            ("", "[a]\nmfa_process = x\n  y\n"),
            // [default] beside [profile default]: the latter wins whole.
            (
                "[default]\nregion = x\n[profile default]\nmfa_serial = y\n",
                "",
            ),
            // One profile under two spellings: aws-config merges the sections in the order
            // of a randomly seeded hash map, so its reading changes from run to run; the scan
            // leaves such a file to it rather than pick one. (Only one of these sections is
            // read here, or the two readings could differ by chance.)
            ("[profile a]\nregion = x\n[profile  a]\n", ""),
        ] {
            assert!(!same_reading(config, credentials), "{config:?}");
            assert!(!Profiles::from_texts(config, credentials).unwrap().scanned());
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
            scanned += usize::from(same_reading(&text, ""));
            scanned += usize::from(same_reading("", &text));
        }
        assert!(files >= 40, "{files} files in {}", dir.display());
        assert!(
            scanned >= files * 2 * 3 / 4,
            "scanned {scanned} of {}",
            files * 2
        );
    }
}
