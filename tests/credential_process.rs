//! A source profile's key from its `credential_process`, run as botocore runs it: `pass` with
//! a throwaway GnuPG key, and processes that hang, fail, print junk, print a session, print a
//! huge answer.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

const ANSWER: &str = "{\"Version\": 1, \"AccessKeyId\": \"AKIAEXAMPLEDEV00001\", \"SecretAccessKey\": \"devSECRET+marker/0000000000000000000001\"}";

/// The dev profile, its key from `command`, with the roles of CHAIN on top.
fn with_process(server: &StsServer, command: impl FnOnce(&Test) -> String) -> Test {
    let test = Test::new().config(&format!("{CONFIG}{CHAIN}")).sts(server);
    let line = command(&test);
    test.credentials(&format!("[dev]\ncredential_process = {line}\n"))
}

#[test]
fn a_key_from_a_process_signs_get_session_token_and_its_stderr_passes_through() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = with_process(&server, |t| {
        let path = script(
            t,
            "vault",
            &format!(
                "echo 'unlocking the vault' >&2\n[ \"$1\" = 'my key' ] || exit 9\necho '{ANSWER}'"
            ),
        );
        format!("{} 'my key'", path.display())
    })
    .foreign_stderr("unlocking the vault")
    .args(["dev", "--code", "123456", "--shell", "bash"]);
    let out = test.ok();
    assert!(
        out.stderr.starts_with("unlocking the vault\n"),
        "{}",
        out.stderr
    );
    let req = server.only_request();
    assert_eq!(
        (req.action(), req.access_key().as_str()),
        ("GetSessionToken", KEY_ID)
    );
    assert_eq!(req.header("x-amz-security-token"), None);
}

#[test]
fn a_session_from_a_process_assumes_roles_and_is_refused_for_get_session_token() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let session = "{\"Version\":1,\"AccessKeyId\":\"ASIAPROCESSSESSION01\",\"SecretAccessKey\":\"procSecret\",\"SessionToken\":\"procToken\",\"Expiration\":\"2099-01-01T00:00:00Z\"}";
    let test = with_process(&server, |t| {
        script(t, "session", &format!("echo '{session}'"))
            .display()
            .to_string()
    });
    test.run_with(&["admin", "--code", "123456", "--shell", "bash"]);
    let req = server.only_request();
    assert_eq!(req.action(), "AssumeRole");
    assert_eq!(req.access_key(), "ASIAPROCESSSESSION01");
    assert_eq!(req.header("x-amz-security-token"), Some("procToken"));
    let out = test.run_with(&["dev", "--code", "123456", "--shell", "bash"]);
    assert!(!out.status.success());
    out.stderr_has(&[
        "the credential_process of profile 'dev' (`",
        "gives a session (it has a SessionToken), and GetSessionToken cannot be called with a session",
        "use the profile as the source_profile of a role",
    ]);
    assert_eq!(server.requests().len(), 1, "no GetSessionToken call");
}

#[test]
fn processes_that_hang_fail_print_junk_or_too_much_are_refused_in_time() {
    let server = StsServer::start();
    for (name, body, needle) in [
        (
            "hang",
            "exec sleep 30",
            "gave no keys within 1s and was stopped",
        ),
        (
            "fail",
            "echo 'vault locked' >&2; exit 3",
            "failed (exit status 3)",
        ),
        (
            "junk",
            "echo 'here is your key: AKIA...'",
            "printed no JSON object",
        ),
        ("empty", "true", "printed no JSON object"),
        (
            "version",
            "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"s\"}'",
            "an answer whose Version is not 1",
        ),
        (
            "partial",
            "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIAEXAMPLEDEV00001\"}'",
            "an answer without AccessKeyId or SecretAccessKey",
        ),
        // Valid JSON after 70,000 spaces: more than an answer may be.
        (
            "huge",
            &format!("head -c 70000 /dev/zero | tr '\\0' ' '; echo '{ANSWER}'"),
            "printed more than 64 KiB",
        ),
        ("missing", "", "No such file or directory"),
    ] {
        let test = with_process(&server, |t| {
            if name == "missing" {
                return "/nonexistent/bin/vault".to_owned();
            }
            script(t, name, body).display().to_string()
        })
        .env("MFA_ENV_CREDENTIAL_PROCESS_TIMEOUT", "1")
        .foreign_stderr("vault locked");
        let out = test.run_with(&["dev", "--code", "123456", "--shell", "bash"]);
        assert!(!out.status.success(), "{name}");
        out.stderr_has(&[needle, "credential_process of profile 'dev'"]);
        assert!(
            out.elapsed < Duration::from_secs(5),
            "{name}: {:?}",
            out.elapsed
        );
    }
    assert!(server.requests().is_empty(), "no STS call");
}

/// A GnuPG home and a password store of the test's own, stopped (`gpgconf --kill`) at the end.
struct Pass {
    gnupg: PathBuf,
    store: PathBuf,
}

impl Pass {
    #[track_caller]
    fn new(dir: &Path) -> Pass {
        for program in ["gpg", "gpgconf", "pass"] {
            let found = Command::new("sh")
                .args(["-c", &format!("command -v {program}")])
                .stdout(Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(
                found,
                "{program} is missing: run scripts/test, which installs pass and gnupg"
            );
        }
        let pass = Pass {
            gnupg: dir.join("gnupg"),
            store: dir.join("password-store"),
        };
        fs::create_dir_all(&pass.gnupg).unwrap();
        fs::set_permissions(&pass.gnupg, fs::Permissions::from_mode(0o700)).unwrap();
        pass.run(
            "gpg",
            &[
                "--batch",
                "--passphrase",
                "",
                "--quick-gen-key",
                "test@example.invalid",
                "default",
                "default",
                "never",
            ],
            None,
        );
        pass.run("pass", &["init", "test@example.invalid"], None);
        pass
    }

    #[track_caller]
    fn run(&self, program: &str, args: &[&str], input: Option<&str>) {
        let mut child = Command::new(program)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.gnupg.parent().unwrap())
            .env("GNUPGHOME", &self.gnupg)
            .env("PASSWORD_STORE_DIR", &self.store)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        if let Some(input) = input {
            std::io::Write::write_all(&mut stdin, input.as_bytes()).unwrap();
        }
        drop(stdin);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Pass {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", &self.gnupg)
            .status();
    }
}

#[test]
fn pass_with_a_throwaway_gnupg_key_is_a_key_source() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = Test::new().config(CONFIG).sts(&server);
    let pass = Pass::new(test.dir.path());
    pass.run(
        "pass",
        &["insert", "-m", "aws/dev"],
        Some(&format!("{ANSWER}\n")),
    );
    let test = test
        .credentials("[dev]\ncredential_process = pass show aws/dev\n")
        .env("GNUPGHOME", &pass.gnupg.display().to_string())
        .env("PASSWORD_STORE_DIR", &pass.store.display().to_string());
    test.run_with(&["dev", "--code", "123456", "--shell", "bash"]);
    let req = server.only_request();
    assert_eq!(
        (req.action(), req.access_key().as_str()),
        ("GetSessionToken", KEY_ID)
    );
    // The store holds the key encrypted only.
    let stored = fs::read(pass.store.join("aws/dev.gpg")).unwrap();
    assert!(!stored.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()));
}
