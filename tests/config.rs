//! Config files as people have them: the project's own files of every form found in real
//! config files (tests/data/config), read as botocore reads them, and every odd file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use mfa_env::Env;
use mfa_env::profile::{Key, Profiles};

use crate::support::*;

/// One small file per form that real config files hold (the folder's README.md lists them).
fn data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/config")
}

fn data_files() -> Vec<PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(data())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ini"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 40,
        "{} files in {}",
        files.len(),
        data().display()
    );
    files
}

fn file_name(path: &Path) -> &str {
    path.file_name().unwrap().to_str().unwrap()
}

/// The keys compared: those mfa-env reads (each a `Key`), which tell a profile's kind too.
const KEYS: &[&str] = &[
    "aws_access_key_id",
    "credential_process",
    "credential_source",
    "duration_seconds",
    "endpoint_url",
    "external_id",
    "mfa_process",
    "mfa_serial",
    "region",
    "role_arn",
    "role_session_name",
    "services",
    "source_profile",
    "sso_session",
    "sso_start_url",
];

/// A reading of a config file: the profiles, the values of KEYS in each, or a refusal.
#[derive(Debug, PartialEq)]
struct View {
    profiles: Vec<String>,
    /// profile -> key -> value
    values: BTreeMap<String, BTreeMap<String, String>>,
    error: bool,
}

impl View {
    #[track_caller]
    fn value(&self, profile: &str, key: &str) -> &str {
        &self.values[profile][key]
    }
}

/// mfa-env's reading.
fn view(path: &Path) -> View {
    let path = path.display().to_string();
    let env = Env::from_pairs([
        ("HOME", "/nonexistent"),
        ("AWS_CONFIG_FILE", path.as_str()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials"),
    ]);
    match Profiles::load(&env) {
        Err(_) => View {
            profiles: vec![],
            values: BTreeMap::new(),
            error: true,
        },
        Ok(p) => View {
            profiles: p.names().iter().map(|s| s.to_string()).collect(),
            values: (p.names().iter())
                .map(|name| {
                    let profile = p.get(name).unwrap();
                    let values = (KEYS.iter())
                        .filter_map(|k| {
                            let key = Key::named(k).expect("a key mfa-env reads");
                            Some((k.to_string(), profile.get(key)?.to_owned()))
                        })
                        .collect();
                    (name.to_string(), values)
                })
                .collect(),
            error: false,
        },
    }
}

/// botocore's reading of each file, by the AWS CLI's own loader: tests/support/botocore_view.py
/// run by the test venv's Python (`.ci/run` makes it), once for all the files. A missing
/// Python or botocore fails the test, with what to run.
fn botocore(files: &[PathBuf]) -> BTreeMap<String, View> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/botocore_view.py");
    let out = Command::new(python())
        .arg(&script)
        .args(files)
        .env_clear()
        // configparser reads with the locale's encoding: UTF-8, as on any current system.
        .env("PYTHONUTF8", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{} failed: run .ci/run, which makes .ci/venv with botocore\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = |v: &serde_json::Value| v.as_str().unwrap().to_owned();
    (json["files"].as_object().unwrap().iter())
        .map(|(path, record)| {
            let values = (record["keys"].as_object().unwrap().iter())
                .map(|(name, keys)| {
                    let keys = (keys.as_object().unwrap().iter())
                        .filter(|(k, _)| KEYS.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), text(v)))
                        .collect();
                    (name.clone(), keys)
                })
                .collect();
            let view = View {
                profiles: record["profiles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(text)
                    .collect(),
                values,
                error: !record["error"].is_null(),
            };
            (file_name(Path::new(path)).to_owned(), view)
        })
        .collect()
}

/// aws-config's reading alone, without the step mfa-env takes first (indented keys).
fn aws_config_alone(path: &Path) -> Result<Vec<String>, String> {
    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
    use aws_types::os_shim_internal::{Env, Fs};
    let text = std::fs::read_to_string(path).unwrap();
    let files = EnvConfigFiles::builder()
        .with_contents(EnvConfigFileKind::Config, text)
        .build();
    let (env, fs) = (Env::from_slice(&[]), Fs::from_slice(&[]));
    let load = std::pin::pin!(aws_config::profile::load(&fs, &env, &files, None));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match load.poll(&mut context) {
        std::task::Poll::Ready(Ok(set)) => {
            let mut names: Vec<String> = set.profiles().map(str::to_owned).collect();
            names.sort();
            Ok(names)
        }
        std::task::Poll::Ready(Err(e)) => {
            Err(std::error::Error::source(&e)
                .map_or_else(|| e.to_string(), |cause| cause.to_string()))
        }
        std::task::Poll::Pending => panic!("parsing text does no I/O"),
    }
}

/// Where mfa-env (aws-config's parser, as every AWS SDK but Python's) reads a file differently
/// from botocore (the AWS CLI), on purpose; each is asserted exactly below.
const DIFFERENCES: &[(&str, &str)] = &[
    (
        "bracket-spaces.ini",
        "aws-config trims the spaces inside `[ default ]`; botocore takes ` default ` for no profile",
    ),
    (
        "byte-order-mark.ini",
        "mfa-env drops the byte-order mark a Windows editor writes; botocore refuses the file",
    ),
    (
        "duplicate-keys.ini",
        "aws-config keeps the last of a repeated key; botocore refuses the file",
    ),
    (
        "duplicate-sections.ini",
        "aws-config merges a repeated section (later keys win), as the Go, Java and Rust SDKs do; botocore refuses the file",
    ),
    (
        "inline-hash-comment.ini",
        "aws-config drops a `#` comment after whitespace in a value; botocore keeps it in the value",
    ),
    (
        "inline-semicolon-comment.ini",
        "aws-config drops a `;` comment after whitespace in a value; botocore keeps it in the value",
    ),
];

/// Files that aws-config alone refuses and mfa-env reads as botocore does, by one step of the
/// AWS CLI's taken before aws-config's parser: keys indented under their header are keys
/// (`dedent_properties` in src/profile/ini.rs).
const READ_AS_THE_CLI_READS_THEM: &[&str] = &[
    "crlf-indented-keys-no-final-newline.ini",
    "indented-keys.ini",
    "indented-sso-session.ini",
    "tab-indented-keys.ini",
];

#[test]
fn the_data_reads_as_botocore_reads_it_but_for_documented_differences() {
    let files = data_files();
    let theirs_all = botocore(&files);
    assert_eq!(theirs_all.len(), files.len());
    let mut differing = Vec::new();
    for path in &files {
        let file = file_name(path);
        let (ours, theirs) = (view(path), &theirs_all[file]);
        if ours != *theirs {
            differing.push(file);
            assert!(
                DIFFERENCES.iter().any(|(f, _)| *f == file),
                "{file} reads differently from botocore:\n  mfa-env  {ours:?}\n  botocore {theirs:?}"
            );
        }
    }
    let documented: Vec<&str> = DIFFERENCES.iter().map(|(f, _)| *f).collect();
    assert_eq!(differing, documented, "a documented difference went away");

    // What each difference is, exactly: mfa-env's reading, then botocore's.
    let read = |file: &str| (view(&data().join(file)), &theirs_all[file]);
    let (ours, theirs) = read("bracket-spaces.ini");
    assert_eq!(ours.profiles, ["default"]);
    assert_eq!(ours.value("default", "region"), "us-east-1");
    assert!(!theirs.error && theirs.profiles.is_empty());
    let (ours, theirs) = read("byte-order-mark.ini");
    assert_eq!(ours.profiles, ["default", "dev"]);
    assert_eq!(ours.value("default", "region"), "eu-west-1");
    assert!(theirs.error);
    let (ours, theirs) = read("duplicate-keys.ini");
    assert_eq!(ours.value("dev", "region"), "eu-west-3");
    assert!(theirs.error);
    let (ours, theirs) = read("duplicate-sections.ini");
    assert_eq!(ours.profiles, ["dev", "other"]);
    assert_eq!(ours.value("dev", "region"), "eu-west-2");
    assert_eq!(ours.value("dev", "mfa_serial"), SERIAL);
    assert!(theirs.error);
    let (ours, theirs) = read("inline-hash-comment.ini");
    assert_eq!(ours.value("dev", "region"), "eu-west-1");
    assert_eq!(
        theirs.value("dev", "region"),
        "eu-west-1 # closest to the office"
    );
    let (ours, theirs) = read("inline-semicolon-comment.ini");
    assert_eq!(ours.value("dev", "region"), "eu-west-2");
    assert_eq!(theirs.value("dev", "region"), "eu-west-2 ; London");

    // The indented keys: read as botocore reads them, which aws-config alone does not.
    for file in READ_AS_THE_CLI_READS_THEM {
        let (ours, theirs) = read(file);
        assert!(
            !ours.error && !ours.profiles.is_empty() && ours == *theirs,
            "{file}"
        );
        let alone = aws_config_alone(&data().join(file));
        assert!(
            alone.as_ref().is_err_and(|e| e.contains("continuation")),
            "{file}: aws-config reads indented keys now, and the dedent can go: {alone:?}"
        );
    }
}

#[test]
fn the_data_folder_lists_each_file_once() {
    // The README of the folder names every file with the form it shows, one line each.
    let readme = std::fs::read_to_string(data().join("README.md")).unwrap();
    let listed: Vec<&str> = (readme.lines())
        .filter_map(|l| l.strip_prefix("- `")?.split_once('`'))
        .map(|(name, _)| name)
        .collect();
    let files: Vec<String> = data_files()
        .iter()
        .map(|p| file_name(p).to_owned())
        .collect();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(sorted, files, "tests/data/config/README.md");
    assert_eq!(listed, sorted, "README.md in file order");
}

#[test]
fn the_data_files_keep_their_bytes() {
    // The forms an editor or git would quietly change (.gitattributes marks them -text).
    let bytes = |file: &str| std::fs::read(data().join(file)).unwrap();
    let count = |b: &[u8], needle: &[u8]| b.windows(needle.len()).filter(|w| *w == needle).count();
    for file in [
        "crlf-line-endings.ini",
        "crlf-indented-keys-no-final-newline.ini",
    ] {
        let b = bytes(file);
        assert_eq!(count(&b, b"\r\n"), count(&b, b"\n"), "{file}");
    }
    assert!(bytes("byte-order-mark.ini").starts_with("\u{feff}[default]\n".as_bytes()));
    for file in [
        "comment-at-end-of-file.ini",
        "crlf-indented-keys-no-final-newline.ini",
        "no-final-newline.ini",
    ] {
        assert!(!bytes(file).ends_with(b"\n"), "{file}");
    }
    assert_eq!(count(&bytes("trailing-tab.ini"), b"\t\n"), 2);
    assert_eq!(count(&bytes("trailing-spaces.ini"), b" \n"), 4);
    assert_eq!(count(&bytes("tab-indented-keys.ini"), b"\n\t"), 4);
    assert_eq!(count(&bytes("whitespace-only-lines.ini"), b"\n \n"), 2);
    assert!(bytes("empty-file.ini").is_empty());
}

#[test]
fn every_profile_of_the_data_runs_without_a_panic() {
    // The real binary on every profile of every file: refused before any call (no keys,
    // SSO, credential_process, a template, ...) or a session from the test STS; always one
    // of those, with the contract held (the harness checks stdout, stderr and the files).
    let server = StsServer::start();
    let mut runs = 0;
    for file in data_files() {
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

/// Run it with the checks of `Test::run` (nothing under HOME or TMPDIR changes, stdout empty
/// on failure), in at most 1 GiB of memory and for at most 10 seconds: a file read without a
/// bound then fails the test instead of hanging it or filling the machine's memory.
#[allow(unsafe_code)]
fn run_bounded(test: &Test) -> Output {
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let before = test.snapshot();
    let mut cmd = test.command();
    // SAFETY: setsid and setrlimit are async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            let limit = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run mfa-env");
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("mfa-env was still reading after 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let out = test.output(out, start.elapsed());
    test.assert_unchanged(&before);
    out.assert_contract_allowing(&[]);
    out
}

#[test]
fn pipes_and_devices_are_refused_without_reading_them() {
    // A named pipe waited for a writer forever; /dev/zero was read until the memory ran out.
    // The pipe is outside HOME: the harness reads every file there.
    let server = StsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("config");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let fifo = fifo.display().to_string();
    for (path, what) in [
        (fifo.as_str(), "a named pipe"),
        ("/dev/zero", "a device"),
        ("/dev/urandom", "a device"),
    ] {
        for variable in ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"] {
            let test = dev(&server)
                .config(CONFIG)
                .credentials(CREDENTIALS)
                .env(variable, path);
            let out = run_bounded(&test);
            assert!(!out.status.success(), "{variable}={path}: {}", out.stdout);
            out.stderr_has(&[
                &format!("cannot read {path}: it is {what}, not a regular file"),
                "point AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE at a file",
            ]);
            assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
        }
    }
    assert!(server.requests().is_empty());
}

#[test]
fn dev_null_reads_as_an_empty_file() {
    // What `exec --server` hands its command for the files it must not read.
    let server = StsServer::start();
    let out = Test::new()
        .credentials(CREDENTIALS)
        .sts(&server)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .args(["dev", "--code", "123456", "--shell", "bash"])
        .args(["--serial-number", SERIAL, "--region", "eu-west-1"])
        .ok();
    assert!(
        out.stdout.contains("export AWS_SESSION_TOKEN="),
        "{}",
        out.stdout
    );
    let out = Test::new()
        .config(CONFIG)
        .sts(&server)
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .args(["dev", "--code", "123456"])
        .run();
    assert!(!out.status.success());
    assert!(!out.stderr.contains("not a regular file"), "{}", out.stderr);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_file_larger_than_16_mib_is_refused_unread() {
    let server = StsServer::start();
    for name in ["config", "credentials"] {
        let test = dev(&server).config(CONFIG).credentials(CREDENTIALS);
        // Sparse: 17 MiB of zeros that take no room on the disk.
        let file = std::fs::File::create(test.home().join(".aws").join(name)).unwrap();
        file.set_len(17 << 20).unwrap();
        test.fails(&[
            &format!(".aws/{name}: it is larger than 16 MiB, which no AWS config or credentials file is"),
            "point AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE at your AWS config and credentials files",
        ]);
    }
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
    // Not a speed goal (bench/run measures those): a bound that only a parse gone quadratic
    // would cross, with room for a debug build on a loaded 2-core machine (3 s alone there).
    assert!(out.elapsed.as_secs_f64() < 30.0, "took {:?}", out.elapsed);
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
