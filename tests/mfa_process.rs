//! Codes from a command: `--mfa-process` and the profile's `mfa_process`.

use std::fs;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::pty::{Pty, Wiring};
use crate::support::*;

/// An export whose `--mfa-process` is a script running `body`, in which `PIDS` is a file (in
/// the test's folder) for the script to write process ids to; and that file.
fn waiting(server: &StsServer, body: &str) -> (Test, PathBuf) {
    let test = export(server);
    let pids = test.dir.path().join("pids");
    let waits = script(
        &test,
        "waits",
        &body.replace("PIDS", &pids.display().to_string()),
    );
    (test.arg("--mfa-process").arg(&waits), pids)
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
    let (test, pids) = waiting(&server, "sleep 300 &\necho $! > PIDS\nwait");
    let test = test.args(["--mfa-process-timeout", "1"]);
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
    // The background sleep was in its process group and was killed with it (a SIGKILL
    // sent is not yet a process ended: on a busy machine it dies a moment after).
    let [pid] = pids_in(&pids)[..] else {
        panic!("one pid")
    };
    assert_ends_soon(pid, "sleep");
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

// ---- the command ends with mfa-env, and may use the terminal ----

/// The process ids a script wrote to `path`, once it has.
#[track_caller]
fn pids_in(path: &Path) -> Vec<i32> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = fs::read_to_string(path).unwrap_or_default();
        if text.ends_with('\n') {
            return text
                .split_whitespace()
                .map(|p| p.parse().unwrap())
                .collect();
        }
        assert!(Instant::now() < deadline, "the command never wrote its pid");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[track_caller]
fn assert_ends_soon(pid: i32, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ended(pid) {
        assert!(Instant::now() < deadline, "{what} ({pid}) outlived mfa-env");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// mfa-env's end within `max`, else a failure (it is killed first).
#[track_caller]
fn wait_within(
    mut child: Child,
    max: Duration,
    screen: impl Fn() -> String,
) -> std::process::Output {
    let deadline = Instant::now() + max;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "mfa-env did not end within {max:?}; the terminal shows:\n{}",
                screen()
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

#[allow(unsafe_code)]
fn kill(pid: i32, signal: i32) {
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
}

/// mfa-env started as `Test::run` starts it (no terminal), but not waited for.
#[allow(unsafe_code)]
fn start_without_terminal(test: &Test) -> Child {
    let mut cmd = test.command();
    // SAFETY: setsid is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    // Not stderr: a process the command started would hold it open after mfa-env ends.
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn the_command_ends_when_mfa_env_is_interrupted_terminated_or_killed() {
    for signal in [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGKILL] {
        let server = StsServer::start();
        // `$$` is the command mfa-env runs, `$!` a process the command started.
        let (test, pids) = waiting(&server, "sleep 300 &\necho $$ $! > PIDS\nwait");
        let before = test.snapshot();
        let mfa_env = start_without_terminal(&test);
        let [command, started] = pids_in(&pids)[..] else {
            panic!("two pids")
        };
        kill(i32::try_from(mfa_env.id()).unwrap(), signal);
        let out = wait_within(mfa_env, Duration::from_secs(5), String::new);
        assert_eq!(out.status.signal(), Some(signal), "{:?}", out.status);
        assert_eq!(out.stdout, b"");
        assert_ends_soon(command, &format!("the command, after signal {signal}"));
        // SIGTERM and SIGHUP are passed on to the command's process group. (A process
        // started with `&` by sh ignores SIGINT; SIGKILL cannot be passed on, and the
        // kernel's PR_SET_PDEATHSIG reaches the command alone.)
        if [libc::SIGTERM, libc::SIGHUP].contains(&signal) {
            assert_ends_soon(
                started,
                &format!("what the command started, after {signal}"),
            );
        } else if !ended(started) {
            kill(started, libc::SIGKILL);
        }
        test.assert_unchanged(&before);
        assert!(server.requests().is_empty());
    }
}

#[test]
fn ctrl_c_while_the_command_waits_ends_it_and_mfa_env() {
    let server = StsServer::start();
    let (test, pids) = waiting(&server, "echo $$ > PIDS\nexec sleep 300");
    let pty = Pty::open();
    let flags = pty.lflags();
    let mfa_env = pty.spawn(test.command(), Wiring::Terminal);
    let [command] = pids_in(&pids)[..] else {
        panic!("one pid")
    };
    pty.send("\x03");
    let out = wait_within(mfa_env, Duration::from_secs(5), || pty.screen());
    // As Ctrl-C at mfa-env's own prompt: ended by SIGINT, so that a calling script stops too.
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "{:?}", out.status);
    assert_eq!(out.stdout, b"");
    assert_ends_soon(command, "the command, after Ctrl-C");
    assert_eq!(pty.lflags(), flags, "terminal flags changed");
    assert!(server.requests().is_empty());
}

#[test]
fn the_command_can_ask_for_a_passphrase_on_the_terminal() {
    // A password manager asks on /dev/tty. `stty tostop` would also stop mfa-env if it wrote
    // to the terminal while the command has it, or after, had it not taken it back.
    let server = StsServer::start();
    let test = export(&server);
    let asks = script(
        &test,
        "asks",
        "printf 'passphrase: ' > /dev/tty\nread -r answer < /dev/tty\necho \"code $answer\"",
    );
    let test = test
        .arg("--mfa-process")
        .arg(&asks)
        .args(["--mfa-process-timeout", "10"]);
    let pty = Pty::open();
    let flags = pty.lflags() | libc::TOSTOP;
    pty.set_lflags(flags);
    let mfa_env = pty.spawn(test.command(), Wiring::Terminal);
    pty.expect("passphrase: ", 1);
    pty.send("424242\r");
    let out = wait_within(mfa_env, Duration::from_secs(20), || pty.screen());
    assert!(out.status.success(), "{:?}\n{}", out.status, pty.screen());
    assert_eq!(token_codes(&server), ["424242"]);
    pty.expect("dev session valid until", 1);
    assert_eq!(pty.lflags(), flags, "terminal flags changed");
}
