//! Config files as people have them: the corpus of 40 real files, and every odd file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mfa_env::Env;
use mfa_env::profile::Profiles;

use crate::support::*;

fn corpus() -> PathBuf {
    // Read in place from the project's shared folder, beside the repository (never copied in).
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/aws-config-corpus")
}

/// mfa-env's view of a config file: profiles, mfa_serial and region, or the error.
#[derive(Debug, PartialEq)]
struct View {
    profiles: Vec<String>,
    mfa_serial: BTreeMap<String, String>,
    region: BTreeMap<String, String>,
    error: bool,
}

fn view(path: &std::path::Path) -> View {
    let path = path.display().to_string();
    let env = Env::from_pairs([
        ("HOME", "/nonexistent"),
        ("AWS_CONFIG_FILE", path.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
    ]);
    match Profiles::load(&env) {
        Err(_) => View {
            profiles: vec![],
            mfa_serial: BTreeMap::new(),
            region: BTreeMap::new(),
            error: true,
        },
        Ok(p) => {
            let names: Vec<String> = p.names().iter().map(|s| s.to_string()).collect();
            let pick = |key: &str| {
                names
                    .iter()
                    .filter_map(|n| Some((n.clone(), p.get(n).ok()?.get(key)?.to_owned())))
                    .collect()
            };
            View {
                mfa_serial: pick("mfa_serial"),
                region: pick("region"),
                profiles: names.clone(),
                error: false,
            }
        }
    }
}

fn botocore(record: &serde_json::Value) -> View {
    let map = |key: &str| {
        record[key]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect()
    };
    View {
        profiles: record["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        mfa_serial: map("mfa_serial"),
        region: map("region"),
        error: !record["error"].is_null(),
    }
}

/// Where mfa-env (aws-config's parser, as every AWS SDK but Python's) and botocore (the
/// AWS CLI) read a corpus file differently, on purpose, and what mfa-env makes of it.
const DIFFERENCES: &[(&str, &str)] = &[
    (
        "36-awsvault-mixedcase-keys-inline-comments.ini",
        // `region = moon-1 # Different from sso region`: aws-config drops a comment that
        // follows whitespace, botocore keeps it in the value. Either way it is not a region
        // mfa-env accepts, and aws-config's reading is the SDKs' convention.
        "aws-config drops the inline comment after a value",
    ),
    (
        "39-awssdkgo-bracket-spaces-inline-comments.ini",
        // `[ default ]`: aws-config trims the spaces inside the brackets, botocore does not
        // and then has no profile. Its region `"foo-region"` keeps its quotes in both and
        // is refused by mfa-env as not a region.
        "aws-config trims spaces inside the brackets",
    ),
    (
        "40-awssdkgov2-duplicate-sections.ini",
        // A section that appears twice: aws-config merges them (later keys win), as the
        // Go, Java and Rust SDKs do; botocore refuses the whole file.
        "aws-config merges duplicate sections",
    ),
];

#[test]
fn the_corpus_reads_as_botocore_reads_it_but_for_documented_differences() {
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(corpus().join("botocore.json"))
            .expect("the corpus is in ../shared/aws-config-corpus beside the repository"),
    )
    .unwrap();
    let records = json.as_object().unwrap();
    assert_eq!(records.len(), 40);
    let mut differing = Vec::new();
    for (file, record) in records {
        let ours = view(&corpus().join(file));
        let theirs = botocore(record);
        if ours != theirs {
            differing.push(file.as_str());
            assert!(
                DIFFERENCES.iter().any(|(f, _)| f == file),
                "{file} reads differently from botocore:\n  mfa-env  {ours:?}\n  botocore {theirs:?}"
            );
        }
    }
    let documented: Vec<&str> = DIFFERENCES.iter().map(|(f, _)| *f).collect();
    assert_eq!(differing, documented, "a documented difference went away");

    // What each difference is, exactly.
    let v36 = view(&corpus().join(DIFFERENCES[0].0));
    assert_eq!(v36.region["with-sso-session"], "moon-1");
    let v39 = view(&corpus().join(DIFFERENCES[1].0));
    assert_eq!(v39.profiles, ["default"]);
    assert_eq!(v39.region["default"], "\"foo-region\"");
    let v40 = view(&corpus().join(DIFFERENCES[2].0));
    assert!(!v40.error && v40.profiles.len() > 60);
    assert_eq!(
        v40.region["short_profile_name_first"],
        "short_profile_name_first_alt"
    );
}

#[test]
fn every_profile_of_the_corpus_runs_without_a_panic() {
    // The real binary on every profile of every file: refused before any call (no keys,
    // SSO, credential_process, a template, ...) or a session from the test STS; always one
    // of those, with the contract held (the harness checks stdout, stderr and the files).
    let server = StsServer::start();
    let mut runs = 0;
    let mut files: Vec<_> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ini"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 40);
    for file in files {
        let view = view(&file);
        let names = if view.error {
            vec!["default".to_owned()]
        } else {
            view.profiles
        };
        for name in names {
            let out = Test::new()
                .env("AWS_CONFIG_FILE", &file.display().to_string())
                .sts(&server)
                .args(["export", "--code", "123456", "--", &name])
                .run();
            runs += 1;
            assert!(
                out.status.code().is_some_and(|c| c <= 1),
                "{} {name}: {:?}\n{}",
                file.display(),
                out.status,
                out.stderr
            );
            if !out.status.success() {
                assert!(
                    (1..=2).contains(&out.stderr.lines().count()),
                    "{} {name}:\n{}",
                    file.display(),
                    out.stderr
                );
            }
        }
    }
    assert!(runs > 150, "{runs} runs");
}

// ---- odd files ----

fn dev(server: &StsServer) -> Test {
    Test::new()
        .sts(server)
        .args(["dev", "--code", "123456", "--shell", "bash"])
}

#[test]
fn empty_files_hold_no_profile() {
    let server = StsServer::start();
    dev(&server)
        .config("")
        .credentials("")
        .fails(&["profile 'dev' not found", "the files hold no profile"]);
    dev(&server)
        .config("\n\n# only a comment\n")
        .credentials(CREDENTIALS)
        .fails(&["profile 'dev' has no mfa_serial"]);
    assert!(server.requests().is_empty());
}

/// Sections the AWS SDKs skip are named when their profile is asked for, with the fix.
#[test]
fn sections_the_sdks_skip_are_named() {
    let server = StsServer::start();
    let config = format!(
        "{CONFIG}[staging]\nregion = eu-west-1\n[profile cost$center]\nregion = eu-west-1\n"
    );
    let test = |name: &str| {
        Test::dev(&server)
            .config(&config)
            .args(["--code", "123456", "--", name])
    };
    let out = test("staging").fails(&[
        "profile 'staging' not found: ",
        ".aws/config has [staging], but in the config file the AWS tools read a profile only from [profile staging]",
        "rename the section to [profile staging]",
    ]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    test("cost$center").fails(&[
        "profile 'cost$center' not found: ",
        ".aws/config has [profile cost$center], which the AWS CLI reads, but the AWS SDKs, and so mfa-env, skip",
        "'cost$center' is not a valid profile name for the AWS SDKs, which take only letters, digits and _-/.%@:+",
        "such as 'cost-center'",
    ]);
    Test::dev(&server)
        .credentials(&format!("{CREDENTIALS}[profile ci]\nregion = x\n"))
        .args(["--code", "123456", "ci"])
        .fails(&[
            ".aws/credentials has [profile ci], but in the credentials file the AWS tools read a profile only from [ci]",
        ]);
    // A name in no file gets the usual message.
    test("qa$").fails(&[
        "profile 'qa$' not found in ",
        "not a valid profile name for the AWS SDKs",
    ]);
    assert!(server.requests().is_empty());
}

#[test]
fn a_directory_where_a_file_should_be() {
    let server = StsServer::start();
    let test = dev(&server).config(CONFIG);
    std::fs::create_dir(test.home().join(".aws/credentials")).unwrap();
    test.fails(&["cannot read", ".aws/credentials: it is a directory"]);
    assert!(server.requests().is_empty());
}

#[test]
fn files_that_cannot_be_read() {
    // The tests run as root, for whom permissions block no read; a path through a regular
    // file (ENOTDIR) and a symlink loop (ELOOP) fail to open for anyone.
    let server = StsServer::start();
    let test = dev(&server).config(CONFIG).credentials(CREDENTIALS);
    let through_a_file = test.home().join(".aws/config/inner");
    test.env("AWS_CONFIG_FILE", &through_a_file.display().to_string())
        .fails(&[
            "cannot read",
            "config/inner: Not a directory",
            "check the path",
        ]);

    let test = dev(&server).config(CONFIG);
    let link = test.home().join(".aws/credentials");
    std::os::unix::fs::symlink(&link, &link).unwrap();
    test.fails(&[
        "cannot read",
        ".aws/credentials: Too many levels of symbolic links",
        "check the path",
    ]);
    assert!(server.requests().is_empty());
}

#[test]
fn binary_junk() {
    let server = StsServer::start();
    let test = dev(&server).credentials(CREDENTIALS);
    let junk: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(test.home().join(".aws/config"), &junk).unwrap();
    test.fails(&["config: it is not UTF-8 text", "save the file as UTF-8"]);
    // UTF-8, but control characters and no section: a parse error that names the line,
    // with the characters shown escaped.
    let out = dev(&server)
        .credentials(CREDENTIALS)
        .config("\u{1}\u{1b}[2J\u{7f}=\n[profile dev]\n")
        .fails(&["cannot parse", "line 1"]);
    assert!(!out.stderr.contains('\u{1b}'));
    assert!(server.requests().is_empty());
}

#[test]
fn a_ten_megabyte_config_is_read_quickly() {
    let server = StsServer::start();
    let mut config = String::with_capacity(11 << 20);
    let mut i = 0;
    while config.len() < 10 << 20 {
        config.push_str(&format!(
            "[profile p{i}]\nregion = eu-west-1\nmfa_serial = {SERIAL}\n# {}\n",
            "x".repeat(60)
        ));
        i += 1;
    }
    config.push_str(CONFIG);
    let out = dev(&server).config(&config).credentials(CREDENTIALS).ok();
    assert!(out.elapsed.as_secs_f64() < 5.0, "took {:?}", out.elapsed);
    // And one 10 MB value.
    dev(&server)
        .config(&format!("{CONFIG}note = {}\n", "v".repeat(10 << 20)))
        .credentials(CREDENTIALS)
        .ok();
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn crlf_line_ends_and_a_byte_order_mark() {
    let server = StsServer::start();
    let crlf = |s: &str| s.replace('\n', "\r\n");
    for (config, credentials) in [
        (crlf(CONFIG), crlf(CREDENTIALS)),
        (
            format!("\u{feff}{CONFIG}"),
            format!("\u{feff}{CREDENTIALS}"),
        ),
        (
            format!("\u{feff}{}", crlf(CONFIG)),
            format!("\u{feff}{}", crlf(CREDENTIALS)),
        ),
    ] {
        let out = dev(&server).config(&config).credentials(&credentials).ok();
        assert!(out.stdout.contains("export AWS_REGION=eu-west-1\n"));
    }
    for req in server.requests() {
        assert_eq!(
            req.param("SerialNumber"),
            Some(SERIAL),
            "no \\r in the serial"
        );
        assert_eq!(req.access_key(), KEY_ID);
    }
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn duplicate_sections_merge_and_the_last_key_wins() {
    // As aws-config (and the Go, Java and Rust SDKs) read them; the AWS CLI refuses such a
    // file (botocore's DuplicateSectionError, DuplicateOptionError).
    let server = StsServer::start();
    let out = dev(&server)
        .config(&format!(
            "[profile dev]\nmfa_serial = {SERIAL}\nregion = us-west-1\n[profile other]\n[profile dev]\nregion = eu-west-2\n"
        ))
        .credentials(&format!("{CREDENTIALS}[dev]\naws_access_key_id = AKIALATER\n"))
        .ok();
    assert!(out.stdout.contains("export AWS_REGION=eu-west-2\n"));
    let req = server.only_request();
    assert_eq!(req.param("SerialNumber"), Some(SERIAL));
    assert_eq!(req.access_key(), "AKIALATER");
}

#[test]
fn odd_case_and_spacing() {
    let server = StsServer::start();
    // Spaces and tabs around names, keys and values, upper-case keys, indented keys (read
    // as the AWS CLI reads them): all the same profile.
    let out = dev(&server)
        .config(&format!(
            "[ \tprofile   dev\t ]\n  MFA_Serial\t=   {SERIAL}   \n  REGION=eu-west-3\n"
        ))
        .credentials(&format!(
            "[ dev ]\n\tAWS_ACCESS_KEY_ID = {KEY_ID}\n\tAws_Secret_Access_Key={SECRET}\n"
        ))
        .ok();
    assert!(out.stdout.contains("export AWS_REGION=eu-west-3\n"));
    assert_eq!(server.only_request().param("SerialNumber"), Some(SERIAL));
    // Profile names are case-sensitive, and the `profile` prefix is lower-case only (as in
    // botocore): the section is some other profile, or no profile at all.
    dev(&server)
        .config(&format!("[profile DEV]\nmfa_serial = {SERIAL}\n"))
        .fails(&["profile 'dev' not found", "did you mean 'DEV'?"]);
    for config in ["[profile DEV]", "[PROFILE dev]"] {
        dev(&server)
            .config(&format!("{config}\nmfa_serial = {SERIAL}\n"))
            .credentials(CREDENTIALS)
            .fails(&["profile 'dev' has no mfa_serial"]);
    }
    assert_eq!(server.requests().len(), 1);
}
