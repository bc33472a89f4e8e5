//! Codes from a command: `--mfa-process` and the profile's `mfa_process`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use crate::support::pty::{Pty, Wiring};
use crate::support::*;

/// An executable script in the test's folder (outside HOME and TMPDIR).
fn script(test: &Test, name: &str, body: &str) -> PathBuf {
    let dir = test.dir.path().join("bin");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn export(server: &StsServer) -> Test {
    Test::dev(server).args(["dev", "--shell", "bash"])
}

fn token_codes(server: &StsServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter_map(|r| r.param("TokenCode").map(str::to_owned))
        .collect()
}

#[test]
fn the_code_a_command_prints_reaches_sts() {
    let server = StsServer::start();
    let test = export(&server);
    let totp = script(&test, "totp", "echo 314159");
    let out = test.arg("--mfa-process").arg(&totp).ok();
    assert_eq!(token_codes(&server), ["314159"]);
    assert!(
        out.stdout.contains("export AWS_SESSION_TOKEN="),
        "{}",
        out.stdout
    );
    out.stderr_has(&["getting the MFA code from `", "totp`"]);
}

#[test]
fn the_code_is_the_last_six_digit_run_amid_noise_and_stderr_passes_through() {
    let server = StsServer::start();
    let test = export(&server).foreign_stderr("Touch your YubiKey...");
    let totp = script(
        &test,
        "ykman",
        "echo 'Touch your YubiKey...' >&2\n\
         echo 'account 123456789012 (1234567)'\n\
         printf 'aws:alice  271828\\r\\n'",
    );
    let out = test
        .args([
            "--mfa-process",
            &format!("{} oath accounts code 'aws:alice'", totp.display()),
        ])
        .ok();
    assert_eq!(token_codes(&server), ["271828"]);
    out.stderr_has(&["Touch your YubiKey..."]);
}

#[test]
fn the_words_are_split_as_a_shell_would_without_running_one() {
    let server = StsServer::start();
    let test = export(&server);
    // The script prints the code only when it gets exactly these three arguments.
    let totp = script(
        &test,
        "args",
        r#"[ "$#" = 3 ] && [ "$1" = 'a b' ] && [ "$2" = "it's" ] && [ "$3" = '$HOME' ] && echo 161803"#,
    );
    test.args([
        "--mfa-process",
        &format!(r#"{} 'a b' it\'s "\$HOME""#, totp.display()),
    ])
    .ok();
    assert_eq!(token_codes(&server), ["161803"]);

    let out = export(&server)
        .args(["--mfa-process", "op read x | tr -d ' '"])
        .fails(&["'|' needs a shell", "sh -c"]);
    assert!(!out.stderr.contains("getting the MFA code"));
}

#[test]
fn the_profile_mfa_process_is_used_and_code_and_option_come_first() {
    let server = StsServer::start();
    let test = Test::new()
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["dev", "--shell", "bash"]);
    let from_profile = script(&test, "profile-totp", "echo 111111");
    let from_option = script(&test, "option-totp", "echo 222222");
    let test = test.config(&format!(
        "{CONFIG}mfa_process = {}\n",
        from_profile.display()
    ));
    test.ok();
    assert_eq!(token_codes(&server), ["111111"]);
    // --mfa-process wins over the profile's.
    let test = test.arg("--mfa-process").arg(&from_option);
    test.ok();
    assert_eq!(token_codes(&server), ["111111", "222222"]);
    // --code wins over both: no command runs.
    let out = test.args(["--code", "333333"]).ok();
    assert_eq!(token_codes(&server), ["111111", "222222", "333333"]);
    assert!(
        !out.stderr.contains("getting the MFA code"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_failing_command_is_named_and_nothing_is_called() {
    let server = StsServer::start();
    let test = export(&server);
    let broken = script(&test, "broken", "echo 123456; exit 3");
    test.arg("--mfa-process")
        .arg(&broken)
        .fails(&["--mfa-process `", "broken` failed (exit status 3)"]);
    assert!(server.requests().is_empty());

    export(&server)
        .args(["--mfa-process", "no-such-totp-program --now"])
        .fails(&[
            "`no-such-totp-program --now`",
            "'no-such-totp-program'",
            "install it",
        ]);
    assert!(server.requests().is_empty());
}

#[test]
fn a_command_without_a_code_is_named() {
    let server = StsServer::start();
    let test = Test::new().credentials(CREDENTIALS).sts(&server);
    let silent = script(&test, "silent", "echo 'code: 12345'; echo 1234567");
    test.config(&format!("{CONFIG}mfa_process = {}\n", silent.display()))
        .arg("dev")
        .fails(&[
            "the mfa_process of profile 'dev' `",
            "silent` printed no 6-digit code",
        ]);
    assert!(server.requests().is_empty());
}

#[test]
fn a_hanging_command_is_stopped_at_the_limit_with_what_it_started() {
    let server = StsServer::start();
    let test = export(&server);
    let pids = test.dir.path().join("pids");
    let hang = script(
        &test,
        "hang",
        &format!("sleep 300 &\necho $! > {}\nwait", pids.display()),
    );
    let test = test
        .arg("--mfa-process")
        .arg(&hang)
        .args(["--mfa-process-timeout", "1"]);
    let out = test.fails(&[
        "printed no code within 1s and was stopped",
        "--mfa-process-timeout",
    ]);
    assert!(
        out.elapsed < Duration::from_secs(10),
        "took {:?}",
        out.elapsed
    );
    assert!(server.requests().is_empty());
    // The background sleep was in its process group and was killed with it.
    let pid = fs::read_to_string(&pids).unwrap();
    let alive = std::path::Path::new(&format!("/proc/{}", pid.trim())).exists()
        && !fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
            .unwrap_or_default()
            .contains(") Z ");
    assert!(!alive, "sleep {pid} outlived mfa-env");
}

#[test]
fn the_command_reads_dev_null_even_on_a_terminal() {
    let server = StsServer::start();
    let test = export(&server);
    // On a terminal stdin, `read` would wait for a line; from /dev/null it ends at once.
    let reader = script(
        &test,
        "reader",
        "if read -r line; then echo 111111; else echo 222222; fi",
    );
    let test = test.arg("--mfa-process").arg(&reader);
    let pty = Pty::open();
    let child = pty.spawn(test.command(), Wiring::Terminal);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", pty.screen());
    assert_eq!(token_codes(&server), ["222222"]);
}

#[test]
fn a_code_counts_even_when_the_command_leaves_a_process_holding_its_output() {
    let server = StsServer::start();
    let test = export(&server);
    // The script prints the code and exits; its background child keeps stdout open.
    let leaves = script(&test, "leaves", "echo 141421\nsleep 300 &");
    let test = test
        .arg("--mfa-process")
        .arg(&leaves)
        .args(["--mfa-process-timeout", "1"]);
    let out = test.ok();
    assert!(
        out.elapsed < Duration::from_secs(10),
        "took {:?}",
        out.elapsed
    );
    assert_eq!(token_codes(&server), ["141421"]);
}
