//! `mfa-env keys` against a real Secret Service (gnome-keyring on a D-Bus of the test's own):
//! import, print, export through it, add, remove, list; a locked keyring and a missing one;
//! the files byte-exact afterwards, and no secret under HOME or TMPDIR outside the keyring's
//! own encrypted file.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::keyring::{Keyring, files_holding, run_with_input};
use crate::support::pty::{Pty, Wiring};
use crate::support::*;

/// A credentials file with more than the key: comments, another profile, odd spacing, a
/// line after the key, no final line ending.
const RICH: &str = "# my keys\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = otherSecret\n\n[dev] ; work\naws_access_key_id=AKIAEXAMPLEDEV00001\n# rotated in May\naws_secret_access_key   =   devSECRET+marker/0000000000000000000001\nregion = eu-west-1";
/// RICH after `keys import dev`.
const RICH_IMPORTED: &str = "# my keys\n[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = otherSecret\n\n[dev] ; work\ncredential_process = mfa-env keys print dev\n# rotated in May\nregion = eu-west-1";

const PRINTED: &str = "{\"Version\":1,\"AccessKeyId\":\"AKIAEXAMPLEDEV00001\",\"SecretAccessKey\":\"devSECRET+marker/0000000000000000000001\"}\n";

fn credentials_path(test: &Test) -> std::path::PathBuf {
    test.home().join(".aws/credentials")
}

/// A test with RICH, its keyring started and `keys import dev` run.
fn imported(server: &StsServer) -> (Test, Keyring) {
    let test = Test::new().config(CONFIG).credentials(RICH).sts(server);
    let path = credentials_path(&test);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let keyring = Keyring::start(&test);
    let test = keyring.session(test).may_write(&path);
    let out = ok_with(&test, &["keys", "import", "dev"]);
    out.stderr_has(&[
        "stored the key of profile 'dev' (access key ***************0001) in the Secret Service keyring",
        "+ credential_process = mfa-env keys print dev",
    ]);
    (test, keyring)
}

/// `run_with`, and success expected.
#[track_caller]
fn ok_with(test: &Test, args: &[&str]) -> Output {
    let out = test.run_with(args);
    assert!(
        out.status.success(),
        "{args:?} failed: {:?}\nstderr:\n{}",
        out.status,
        out.stderr
    );
    out
}

/// `run_with`, and a failure expected that says each of `needles`.
#[track_caller]
fn fails_with(test: &Test, args: &[&str], needles: &[&str]) -> Output {
    let out = test.run_with(args);
    assert!(!out.status.success(), "{args:?} succeeded: {}", out.stdout);
    out.stderr_has(needles);
    out
}

#[test]
fn import_moves_the_key_into_the_keyring_and_changes_no_other_byte() {
    let server = StsServer::start();
    let (test, keyring) = imported(&server);
    let path = credentials_path(&test);
    assert_eq!(fs::read_to_string(&path).unwrap(), RICH_IMPORTED);
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "the file keeps its mode");
    assert_eq!(
        fs::read_to_string(test.config_path()).unwrap(),
        CONFIG,
        "the config file is as it was"
    );
    // The item, as another program of the session finds it.
    assert_eq!(keyring.search(), ["dev"]);
    assert_eq!(keyring.lookup("dev").as_deref(), Some(PRINTED.trim_end()));
    // The secret is nowhere under the test's folders but in the keyring's encrypted file,
    // and not in plain text there; no temporary file is left beside the credentials file.
    assert_eq!(
        files_holding(test.dir.path(), SECRET, &keyring.keyrings()),
        Vec::<std::path::PathBuf>::new()
    );
    assert_eq!(
        files_holding(
            &keyring.keyrings(),
            SECRET,
            std::path::Path::new("/nonexistent")
        ),
        Vec::<std::path::PathBuf>::new()
    );
    let names: Vec<_> = fs::read_dir(test.home().join(".aws"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // Print gives it back as credential_process JSON; list shows where it is.
    let out = ok_with(&test, &["keys", "print", "dev"]);
    assert_eq!(out.stdout, PRINTED);
    assert_eq!(out.stderr, "");
    let out = ok_with(&test, &["keys", "list"]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stdout);
    assert!(
        lines[0].starts_with(
            "dev    ***************0001   keyring  the Secret Service keyring, stored "
        ),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with("other  ****************0001  file     "),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(KEY_ID) && !out.stdout.contains(SECRET));
    // An item no profile points at is listed, and says so.
    keyring.store("gone", PRINTED.trim_end());
    let out = ok_with(&test, &["keys", "list", "--json"]);
    assert!(
        out.stdout.contains(
            "{\"profile\":\"gone\",\"key\":\"***************0001\",\"where\":\"keyring\""
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("no profile has `credential_process = mfa-env keys print gone`")
    );

    // Once more: nothing left to import, and nothing changed.
    fails_with(
        &test,
        &["keys", "import", "dev"],
        &[
            "profile 'dev' has no key lines to import",
            "in the keyring already",
        ],
    );
}

#[test]
fn export_signs_with_the_key_from_the_keyring_without_starting_a_process() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let (test, _keyring) = imported(&server);
    let out = ok_with(&test, &["dev", "--code", "123456", "--shell", "bash"]);
    let req = server.only_request();
    assert_eq!(req.action(), "GetSessionToken");
    assert_eq!(req.access_key(), KEY_ID);
    assert!(
        out.stdout
            .contains("export MFA_ENV_LONG_TERM_KEY_ID='****************0001'")
    );
    // mfa-env's own line is read, not run: a path where no program is does as well.
    let test = test.credentials(&RICH_IMPORTED.replace(
        "credential_process = mfa-env keys",
        "credential_process = /nonexistent/bin/mfa-env keys",
    ));
    ok_with(&test, &["dev", "--code", "123456", "--shell", "bash"]);
    assert_eq!(server.requests()[1].access_key(), KEY_ID);
    // A role whose source profile keeps its key in the keyring.
    let test = test.config(&format!("{CONFIG}{CHAIN}"));
    ok_with(&test, &["admin", "--code", "123456", "--shell", "bash"]);
    let last = server.requests().pop().unwrap();
    assert_eq!(
        (last.action(), last.access_key().as_str()),
        ("AssumeRole", KEY_ID)
    );
}

#[test]
fn botocore_reads_the_rewritten_profile_and_gets_the_same_key() {
    let server = StsServer::start();
    let (test, _keyring) = imported(&server);
    let sealed = test.command();
    let before = test.snapshot();
    let out = Command::new(python())
        .args([
            "-c",
            "import botocore.session\n\
             c = botocore.session.Session(profile='dev').get_credentials().get_frozen_credentials()\n\
             print(c.access_key, c.secret_key, c.token)",
        ])
        .env_clear()
        .envs(sealed.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("{KEY_ID} {SECRET} None\n")
    );
    test.assert_unchanged(&before);
}

#[test]
fn print_refuses_a_terminal_before_reading_the_keyring() {
    let server = StsServer::start();
    let (test, _keyring) = imported(&server);
    let pty = Pty::open();
    let mut child = pty.spawn(test.command_with(&["keys", "print", "dev"]), Wiring::Screen);
    let status = child.wait().unwrap();
    // What it wrote reaches the screen through the terminal's reader, maybe after it ended.
    pty.expect("nothing was read or printed", 1);
    let screen = pty.screen();
    assert_eq!(status.code(), Some(1), "{status:?} {screen}");
    assert!(
        screen.contains("mfa-env: stdout is a terminal: the key of profile 'dev' would show its secret on the screen; nothing was read or printed"),
        "{screen}"
    );
    assert!(
        !screen.contains(SECRET) && !screen.contains(KEY_ID),
        "{screen}"
    );
}

#[test]
fn add_stores_a_key_from_stdin_and_remove_takes_it_away() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    // No credentials file yet: add creates it, 0600.
    let test = Test::new().config(CONFIG).sts(&server);
    let keyring = Keyring::start(&test);
    let path = credentials_path(&test);
    let test = keyring.session(test).may_write(&path);
    let out = run_with_input(
        &test,
        &["keys", "add", "dev"],
        &format!("{KEY_ID}\n{SECRET}\n"),
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    out.stderr_has(&[
        "added the section [dev] in",
        "+ credential_process = mfa-env keys print dev",
    ]);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "[dev]\ncredential_process = mfa-env keys print dev\n"
    );
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(keyring.lookup("dev").as_deref(), Some(PRINTED.trim_end()));
    ok_with(&test, &["dev", "--code", "123456", "--shell", "bash"]);
    assert_eq!(server.only_request().access_key(), KEY_ID);

    // Junk on stdin stores nothing.
    for (input, why) in [
        ("", "fewer than two lines"),
        ("ASIAEXAMPLESESSION01\nx\n", "a session's key id"),
        ("AKIA with spaces\nx\n", "16 to 128 letters and digits"),
    ] {
        let out = run_with_input(&test, &["keys", "add", "other"], input);
        assert!(!out.status.success());
        out.stderr_has(&[why]);
    }
    assert_eq!(keyring.search(), ["dev"]);

    // A profile that has key lines: add points to import instead.
    let test = test.credentials(&format!("{CREDENTIALS}[other]\naws_access_key_id = AKIAOTHER00000000001\naws_secret_access_key = s\n"));
    let out = run_with_input(
        &test,
        &["keys", "add", "other"],
        &format!("{KEY_ID}\n{SECRET}\n"),
    );
    assert!(!out.status.success());
    out.stderr_has(&["mfa-env keys import other"]);

    // remove: the item and the line go, every other byte stays.
    let test = test.credentials(
        "# top\n[dev]\nregion = x\ncredential_process = mfa-env keys print dev\n\n[b]\nk = v\n",
    );
    let out = ok_with(&test, &["keys", "remove", "dev"]);
    out.stderr_has(&[
        "deleted the key of profile 'dev' from the Secret Service keyring",
        "- credential_process = mfa-env keys print dev",
        "still works in IAM",
    ]);
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        "# top\n[dev]\nregion = x\n\n[b]\nk = v\n"
    );
    assert_eq!(keyring.lookup("dev"), None);
    assert_eq!(keyring.search(), Vec::<String>::new());
    fails_with(
        &test,
        &["keys", "remove", "dev"],
        &["holds no key for profile 'dev', and no file points there"],
    );
}

#[test]
fn a_locked_keyring_is_named_at_once_and_nothing_is_asked() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let (test, mut keyring) = imported(&server);
    keyring.lock();
    let locked = [
        "keyring 'Login' is locked, and mfa-env does not wait for an unlock prompt",
        "gnome-keyring-daemon --unlock",
    ];
    let test = test.config(&format!("{CONFIG}{CHAIN}"));
    for args in [
        &["keys", "print", "dev"][..],
        &["dev", "--shell", "bash"],
        &["dev", "--code", "123456", "--shell", "bash"],
        &["export", "admin", "--format", "json"],
        &["keys", "remove", "dev"],
    ] {
        let out = fails_with(&test, args, &locked);
        assert!(
            out.elapsed < Duration::from_secs(3),
            "{args:?} took {:?}",
            out.elapsed
        );
        assert!(!out.stderr.contains("MFA code"), "{}", out.stderr);
    }
    assert!(server.requests().is_empty(), "no STS call");
    // Nothing moves while it is locked: the file keeps its key lines.
    let test = test.credentials(RICH);
    fails_with(&test, &["keys", "import", "dev"], &locked);
    assert_eq!(fs::read_to_string(credentials_path(&test)).unwrap(), RICH);
    let test = test.credentials("");
    let out = run_with_input(
        &test,
        &["keys", "add", "dev"],
        &format!("{KEY_ID}\n{SECRET}\n"),
    );
    assert!(!out.status.success());
    out.stderr_has(&locked);
    // The item is still there, locked.
    let files: Vec<_> = fs::read_dir(keyring.keyrings())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        fs::read(keyring.keyrings().join("login.keyring")).is_ok_and(|b| !b.is_empty()),
        "{files:?}"
    );
}

#[test]
fn a_missing_secret_service_or_bus_is_named_at_once() {
    let server = StsServer::start();
    let test = Test::new()
        .config(CONFIG)
        .credentials("[dev]\ncredential_process = mfa-env keys print dev\n")
        .sts(&server);
    let bus = Keyring::bus_only(&test);
    let test = bus.session(test);
    let out = fails_with(
        &test,
        &["dev", "--code", "123456", "--shell", "bash"],
        &[
            "cannot read the key of profile 'dev' from the Secret Service keyring: no Secret Service runs on the session D-Bus",
        ],
    );
    assert!(out.elapsed < Duration::from_secs(3));
    let test = test.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let out = fails_with(
        &test,
        &["keys", "print", "dev"],
        &["no session D-Bus to reach it on"],
    );
    assert!(out.elapsed < Duration::from_secs(3));
    assert!(server.requests().is_empty());
}

#[test]
fn import_refuses_a_file_with_hard_links_before_storing_anything() {
    let test = Test::new().config(CONFIG).credentials(RICH);
    let path = credentials_path(&test);
    // The other name is outside HOME: the old text would live on there.
    let other = test.dir.path().join("credentials-backup");
    fs::hard_link(&path, &other).unwrap();
    let keyring = Keyring::start(&test);
    let test = keyring.session(test);
    fails_with(
        &test,
        &["keys", "import", "dev"],
        &["has 2 names (hard links)", "make it a file of one name"],
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), RICH);
    assert_eq!(keyring.search(), Vec::<String>::new());
}

#[test]
fn add_asks_on_the_terminal_and_shows_no_secret() {
    let test = Test::new().config(CONFIG);
    let path = credentials_path(&test);
    let keyring = Keyring::start(&test);
    let test = keyring.session(test).may_write(&path);
    let pty = Pty::open();
    let mut child = pty.spawn(test.command_with(&["keys", "add", "dev"]), Wiring::Terminal);
    pty.expect("access key id for profile 'dev': ", 1);
    pty.send(&format!("{KEY_ID}\r"));
    pty.expect("secret access key (not shown): ", 1);
    // Key by key, as typed: one that arrives between two of the reads is not echoed either.
    for key in SECRET.chars() {
        pty.send(&key.to_string());
    }
    pty.send("\r");
    let status = child.wait().unwrap();
    pty.expect("+ credential_process = mfa-env keys print dev", 1);
    let screen = pty.screen();
    assert!(status.success(), "{screen}");
    assert!(
        screen.contains(KEY_ID),
        "the key id is shown as typed: {screen}"
    );
    assert!(
        !screen.contains(SECRET),
        "the secret is not shown: {screen}"
    );
    assert_eq!(keyring.lookup("dev").as_deref(), Some(PRINTED.trim_end()));
}

#[test]
fn doctor_checks_a_profile_whose_key_is_in_the_keyring() {
    let server = StsServer::start();
    let (test, mut keyring) = imported(&server);
    let out = test.run_with(&["doctor", "dev"]);
    out.stderr_has(&[
        "pass  long-term key in the Secret Service keyring for profile 'dev' (access key AKIAEXAMPLEDEV00001)",
    ]);
    assert!(
        !out.stderr.contains("runs mfa-env, but not to export"),
        "{}",
        out.stderr
    );
    keyring.lock();
    let out = test.run_with(&["doctor", "dev"]);
    out.stderr_has(&["FAIL  cannot read the key of profile 'dev' from the Secret Service keyring: keyring 'Login' is locked"]);
}
