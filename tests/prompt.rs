//! The MFA prompt on a real pseudo-terminal, with stdout captured as `$(...)` captures it.

use std::os::unix::process::ExitStatusExt;

use crate::support::pty::{Pty, Wiring};
use crate::support::shells::Sh;
use crate::support::*;

const PROMPT: &str = "MFA code for dev (arn:aws:iam::123456789012:mfa/alice)";

fn start(server: &StsServer, wiring: Wiring) -> (Test, Pty, std::process::Child) {
    let test = Test::dev(server).args(["dev", "--shell", "bash"]);
    let pty = Pty::open();
    let child = pty.spawn(test.command(), wiring);
    (test, pty, child)
}

fn finish(child: std::process::Child) -> (std::process::ExitStatus, String) {
    let out = child.wait_with_output().unwrap();
    (out.status, String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_typed_code_reaches_sts_and_a_malformed_one_is_asked_again() {
    let server = StsServer::start();
    let (_test, pty, child) = start(&server, Wiring::Terminal);
    pty.expect(PROMPT, 1);
    pty.send("12345\r");
    // The line that says why is one of mfa-env's, prefixed as they all are.
    pty.expect("mfa-env: the code is 6 digits", 1);
    pty.send("\x15654 321\r");
    let (status, stdout) = finish(child);
    assert!(status.success(), "{}", pty.screen());
    assert!(
        stdout.starts_with("export AWS_ACCESS_KEY_ID=ASIATESTSESSIONKEY01\n"),
        "{stdout}"
    );
    assert_eq!(server.only_request().param("TokenCode"), Some("654321"));
    // The last line may reach the terminal after the process ends: wait for it.
    pty.expect("dev session valid until", 1);
}

#[test]
fn with_everything_redirected_the_prompt_uses_the_controlling_terminal() {
    let server = StsServer::start();
    let (_test, pty, child) = start(&server, Wiring::Redirected);
    pty.expect(PROMPT, 1);
    pty.send("111111\r");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("AWS_SESSION_TOKEN")
    );
    assert_eq!(server.only_request().param("TokenCode"), Some("111111"));
}

#[test]
fn a_rejected_code_is_asked_again() {
    let server = StsServer::start();
    server.reply(Reply::code_rejected());
    let (_test, pty, child) = start(&server, Wiring::Terminal);
    pty.expect(PROMPT, 1);
    pty.send("111111\r");
    pty.expect("STS rejected the MFA code", 1);
    pty.expect(PROMPT, 2);
    pty.send("222222\r");
    let (status, stdout) = finish(child);
    assert!(status.success(), "{}", pty.screen());
    assert!(stdout.contains("export AWS_SESSION_TOKEN="));
    let codes: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.param("TokenCode").unwrap().to_owned())
        .collect();
    assert_eq!(codes, ["111111", "222222"]);
}

#[test]
fn three_rejected_codes_end_it() {
    let server = StsServer::start();
    server.always(Reply::code_rejected());
    let (_test, pty, child) = start(&server, Wiring::Terminal);
    for (i, code) in ["111111\r", "222222\r", "333333\r"].iter().enumerate() {
        pty.expect(PROMPT, i + 1);
        pty.send(code);
    }
    let (status, stdout) = finish(child);
    assert!(!status.success());
    assert_eq!(stdout, "");
    assert_eq!(server.requests().len(), 3);
    assert!(pty.screen().contains("try 2 of 3"), "{}", pty.screen());
}

/// Type `12`, then `key`, at the prompt; the status, once the screen has shown the line ended
/// and `said` (first, with its deadline: a prompt that ignores the key waits for ever).
fn cancel_with(key: &str, said: &str) -> std::process::ExitStatus {
    let server = StsServer::start();
    let test = Test::dev(&server).args(["dev", "--shell", "bash"]);
    let pty = Pty::open();
    // Before the child runs: it may switch the terminal to raw mode at once.
    let flags = pty.lflags();
    let child = pty.spawn(test.command(), Wiring::Terminal);
    pty.expect(PROMPT, 1);
    pty.send("12");
    pty.send(key);
    // The line is ended: the shell's prompt does not land after the question.
    pty.expect(&format!("{PROMPT}: 12\r\n"), 1);
    pty.expect(said, 1);
    let (status, stdout) = finish(child);
    assert_eq!(stdout, "");
    assert_eq!(pty.lflags(), flags, "terminal flags changed");
    assert!(server.requests().is_empty());
    status
}

#[test]
fn ctrl_c_at_the_prompt_leaves_stdout_empty_and_the_terminal_as_it_was() {
    let status = cancel_with("\x03", "mfa-env: cancelled; nothing was exported");
    // As Ctrl-C ends any command: by the signal.
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
}

#[test]
fn ctrl_d_at_the_prompt_cancels_as_ctrl_c_does() {
    let status = cancel_with("\x04", "mfa-env: cancelled; nothing was exported");
    assert_eq!(status.code(), Some(130), "{status:?}");
}

/// `mfa-env --format process dev` as the AWS CLI runs it for credential_process: stdout and
/// stderr are pipes it reads, and it shows stderr only once the process has failed.
fn as_credential_process(server: &StsServer) -> (Test, Pty, std::process::Child) {
    let test = Test::dev(server).args(["--format", "process", "dev"]);
    let pty = Pty::open();
    let child = pty.spawn(test.command(), Wiring::Redirected);
    (test, pty, child)
}

#[test]
fn as_credential_process_a_rejected_code_says_why_on_the_terminal() {
    let server = StsServer::start();
    server.reply(Reply::code_rejected());
    let (_test, pty, child) = as_credential_process(&server);
    pty.expect(PROMPT, 1);
    pty.send("111111\r");
    // Where the person is, before the code is asked again: stderr reaches nobody yet.
    pty.expect("mfa-env: STS rejected the MFA code", 1);
    pty.expect("(try 1 of 3)\r\n", 1);
    pty.expect(PROMPT, 2);
    pty.send("222222\r");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", pty.screen());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("\"AccessKeyId\"")
    );
    let screen = pty.screen();
    assert!(
        screen.find("(try 1 of 3)").unwrap() < screen.rfind(PROMPT).unwrap(),
        "{screen}"
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn as_credential_process_ctrl_c_says_cancelled_and_names_no_endpoint() {
    let server = StsServer::start();
    let (_test, pty, child) = as_credential_process(&server);
    pty.expect(PROMPT, 1);
    pty.send("\x03");
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert_eq!(out.stdout, b"");
    // What the AWS CLI shows: why it failed, not where a call that was never made would go.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr, "mfa-env: cancelled; nothing was exported\n");
    assert!(server.requests().is_empty());
    // The endpoint is still named before a call, once.
    let out = Test::dev(&server)
        .args(["--format", "process", "dev", "--code", "123456"])
        .run();
    assert!(out.status.success(), "{}", out.raw_stderr);
    assert_eq!(out.raw_stderr.matches("using STS endpoint").count(), 1);
}

#[test]
fn credential_process_without_a_terminal_suggests_mfa_process() {
    // `credential_process = mfa-env --format process dev` is a fixed command line: --code
    // cannot help there.
    let server = StsServer::start();
    let out = Test::dev(&server)
        .args(["--format", "process", "dev"])
        .fails(&[
            "no terminal to ask for the MFA code",
            "add `mfa_process = COMMAND` to profile 'dev'",
        ]);
    assert!(!out.stderr.contains("--code"), "{}", out.stderr);
    assert!(server.requests().is_empty());
    // For a shell, --code is still the way.
    Test::dev(&server)
        .args(["--format", "bash", "dev"])
        .fails(&["no terminal to ask for the MFA code", "--code 123456"]);
}

#[test]
fn end_of_input_at_the_prompt() {
    // The terminal goes away (its window is closed) while the prompt waits.
    let server = StsServer::start();
    let (_test, mut pty, child) = start(&server, Wiring::Redirected);
    pty.expect(PROMPT, 1);
    pty.hangup();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert_eq!(out.stdout, b"");
    assert!(server.requests().is_empty());
}

/// Run mfa-env with stdin, stdout and stderr on a terminal, as typed without `eval`; wait
/// for it to end and for the screen to show `last`; return its status and the screen.
#[track_caller]
fn on_screen(test: &Test, last: &str) -> (std::process::ExitStatus, String) {
    let before = test.snapshot();
    let pty = Pty::open();
    let mut child = pty.spawn(test.command(), Wiring::Screen);
    // First the screen, with its deadline: a run that waits at a prompt would never end.
    pty.expect(last, 1);
    let status = child.wait().unwrap();
    test.assert_unchanged(&before);
    (status, pty.screen())
}

#[test]
fn a_terminal_as_stdout_gets_no_session_and_no_code_is_spent() {
    let server = StsServer::start();
    let test = Test::dev(&server);
    let marker = test.dir.path().join("mfa-process-ran");
    let mfa_process = format!("sh -c 'touch {}; echo 123456'", marker.display());
    for (args, hint) in [
        (
            &["dev"][..],
            "run `eval \"$(mfa-env dev)\"`, or add `eval \"$(mfa-env init bash)\"` to ~/.bashrc (~/.bash_profile on macOS, whose terminals start login shells) and",
        ),
        (
            &["dev", "--shell", "fish", "--code", "123456"],
            "run `mfa-env dev | source`, or add `mfa-env init fish | source` to ~/.config/fish/config.fish",
        ),
        (
            &["export", "list", "-s", "zsh", "--code", "123456"],
            "run `eval \"$(mfa-env export list)\"`",
        ),
        (
            &["dev", "--format", "json", "--mfa-process", &mfa_process],
            "`mfa-env dev --format json | PROGRAM`",
        ),
        (
            &["dev", "--format", "process"],
            "`credential_process = mfa-env dev --format process`",
        ),
    ] {
        let test = Test::dev(&server).env("SHELL", "/bin/bash").args(args);
        let (status, screen) = on_screen(&test, hint);
        assert_eq!(status.code(), Some(1), "{args:?}: {screen}");
        assert!(screen.contains("mfa-env: stdout is a terminal"), "{screen}");
        assert!(screen.contains("nothing was asked or printed"), "{screen}");
        assert!(screen.contains(hint), "{args:?}: {screen}");
        assert!(!screen.contains("MFA code for"), "{screen}");
        assert!(!screen.contains("ASIA"), "{screen}");
    }
    assert!(server.requests().is_empty(), "no STS call");
    assert!(!marker.exists(), "mfa_process ran");
}

#[test]
fn exec_and_unset_still_run_on_a_terminal() {
    let server = StsServer::start();
    // exec: stdout is the command's.
    let test = Test::dev(&server).args([
        "exec",
        "dev",
        "--code",
        "123456",
        "--",
        "printenv",
        "MFA_ENV_PROFILE",
    ]);
    let (status, screen) = on_screen(&test, "dev\r\n");
    assert!(status.success(), "{screen}");
    assert_eq!(server.requests().len(), 1);
    // unset: no secret to show, but nothing is removed either, and it says so.
    let test = Test::new().args(["unset", "-s", "bash"]);
    let (status, screen) = on_screen(
        &test,
        "mfa-env: printed, not run: this shell still holds the variables; run `eval \"$(mfa-env unset)\"`",
    );
    assert!(status.success(), "{screen}");
    assert!(screen.contains("unset AWS_SESSION_TOKEN"), "{screen}");
}

// ---- --code - ----

#[test]
fn code_dash_reads_the_code_from_stdin_where_no_other_user_sees_it() {
    let server = StsServer::start();
    let run = Test::dev(&server).shell(
        Sh::Bash,
        "eval \"$(printf '654 321\\n' | \"$MFA_ENV\" dev --code - --shell bash)\" && env -0",
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(
        run.env.get("AWS_ACCESS_KEY_ID").map(String::as_str),
        Some("ASIATESTSESSIONKEY01")
    );
    assert_eq!(server.only_request().param("TokenCode"), Some("654321"));
}

#[test]
fn code_dash_takes_one_line_and_leaves_the_rest_of_stdin_to_execs_command() {
    let server = StsServer::start();
    let run = Test::dev(&server).shell(
        Sh::Bash,
        "export REST=\"$({ echo 123456; echo the rest; } | \"$MFA_ENV\" exec dev --code - -- cat)\" && env -0",
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.env.get("REST").map(String::as_str), Some("the rest"));
    assert_eq!(server.only_request().param("TokenCode"), Some("123456"));
}

#[test]
fn code_dash_without_a_code_on_stdin_fails_before_any_call() {
    let server = StsServer::start();
    for (stdin, said) in [
        ("", "--code -: stdin held nothing, not a 6-digit code"),
        (
            "12345\n",
            "--code -: stdin held a line of 5 bytes, not a 6-digit code",
        ),
    ] {
        let run = Test::dev(&server).shell(
            Sh::Bash,
            &format!("printf '{stdin}' | \"$MFA_ENV\" dev --code - --shell bash; export STATUS=$?; env -0"),
        );
        assert_eq!(
            run.env.get("STATUS").map(String::as_str),
            Some("1"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(said), "{}", run.stderr);
        // What stdin held is not repeated: it may be a secret sent to the wrong place.
        assert!(!run.stderr.contains("12345\n"), "{}", run.stderr);
    }
    // A stdin that sends nothing and stays open: bounded by --mfa-process-timeout.
    let run = Test::dev(&server).shell(
        Sh::Bash,
        "\"$MFA_ENV\" dev --code - --mfa-process-timeout 1 --shell bash < <(exec sleep 30 2>/dev/null); export STATUS=$?; kill $!; env -0",
    );
    assert_eq!(
        run.env.get("STATUS").map(String::as_str),
        Some("1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("no code on stdin within 1 s"),
        "{}",
        run.stderr
    );
    assert!(server.requests().is_empty());
}

// ---- mfa-env alone ----

#[test]
fn alone_off_a_terminal_it_shows_the_short_help_and_fails() {
    let server = StsServer::start();
    let test = Test::dev(&server);
    let before = test.snapshot();
    // Outside `Test::run`'s contract: help on stderr has no `mfa-env:` prefix. stdin is not a
    // terminal, as in a script or CI: the terminal, if any, is not asked.
    let out = test
        .command()
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(out.stdout, b"");
    assert!(
        stderr.contains("Usage: mfa-env [OPTIONS] <PROFILE>"),
        "{stderr}"
    );
    assert!(stderr.contains("Examples:"), "{stderr}");
    assert!(!stderr.contains("required"), "{stderr}");
    test.assert_unchanged(&before);
    // Typed without eval, stdout is the screen: a session cannot be exported there either.
    let (status, screen) = on_screen(&Test::dev(&server), "Examples:");
    assert_eq!(status.code(), Some(2), "{screen}");
    assert!(!screen.contains("The profile to export"), "{screen}");
    assert!(server.requests().is_empty());
}

/// `eval "$(mfa-env)"` on a terminal: admin, deep and dev to pick from.
fn picking(server: &StsServer) -> (Test, Pty, libc::tcflag_t, std::process::Child) {
    let test = Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(server);
    let pty = Pty::open();
    let flags = pty.lflags();
    let child = pty.spawn(test.command(), Wiring::Terminal);
    pty.expect("The profile to export", 1);
    pty.expect("dev", 1);
    (test, pty, flags, child)
}

#[test]
fn alone_on_a_terminal_it_exports_the_profile_picked_from_the_list() {
    let server = StsServer::start();
    let (_test, pty, _, child) = picking(&server);
    assert!(pty.screen().contains("admin"), "{}", pty.screen());
    // admin, deep, dev: the third.
    pty.send("\x1b[B\x1b[B\r");
    pty.expect(PROMPT, 1);
    pty.send("123456\r");
    let (status, stdout) = finish(child);
    assert!(status.success(), "{}", pty.screen());
    assert!(stdout.contains("export MFA_ENV_PROFILE=dev\n"), "{stdout}");
    assert_eq!(server.only_request().param("TokenCode"), Some("123456"));
}

#[test]
fn ctrl_c_at_the_profile_list_cancels_and_leaves_the_terminal_as_it_was() {
    let server = StsServer::start();
    let (_test, pty, flags, child) = picking(&server);
    pty.send("\x03");
    pty.expect("mfa-env: cancelled; nothing was exported", 1);
    let (status, stdout) = finish(child);
    assert!(!status.success());
    assert_eq!(stdout, "");
    assert_eq!(pty.lflags(), flags, "terminal flags changed");
    assert!(server.requests().is_empty());
}

#[test]
fn alone_through_the_function_of_init_the_picked_profile_is_exported_into_the_shell() {
    let server = StsServer::start();
    for sh in crate::init::FUNCTIONS {
        let test = Test::dev(&server);
        let script = format!(
            "{}mfa-env\nprintenv AWS_ACCESS_KEY_ID\n",
            crate::init::load_init(sh)
        );
        let mut cmd = sh.command(&script);
        let sealed = test.command();
        cmd.env_clear()
            .envs(sealed.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env("MFA_ENV", BIN);
        let pty = Pty::open();
        let mut child = pty.spawn(cmd, Wiring::Screen);
        pty.expect("The profile to export", 1);
        pty.send("\r");
        pty.expect(PROMPT, 1);
        pty.send("123456\r");
        // Only an exported session prints its key: the statements themselves are never shown.
        pty.expect("ASIATESTSESSIONKEY01", 1);
        assert!(
            child.wait().unwrap().success(),
            "{}: {}",
            sh.name(),
            pty.screen()
        );
    }
    assert_eq!(server.requests().len(), crate::init::FUNCTIONS.len());
}

/// botocore, on the terminal, reading profile `dev-mfa` whose credential_process is mfa-env:
/// what its script prints on stdout (the key, or botocore's error).
fn botocore_on_the_terminal(server: &StsServer, keys: &[&str]) -> String {
    let test = Test::dev(server).config(&format!(
        "{CONFIG}[profile dev-mfa]\ncredential_process = {BIN} --format process dev\n"
    ));
    let script = "import botocore.session\n\
                  try:\n    \
                      c = botocore.session.Session(profile='dev-mfa').get_credentials()\n    \
                      print('KEY', c.get_frozen_credentials().access_key)\n\
                  except Exception as e:\n    \
                      print('FAILED', e)\n";
    let mut cmd = std::process::Command::new(python());
    cmd.args(["-c", script]).env_clear().envs(
        test.command()
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
    );
    let before = test.snapshot();
    let pty = Pty::open();
    let child = pty.spawn(cmd, Wiring::Terminal);
    for (i, key) in keys.iter().enumerate() {
        pty.expect(PROMPT, i + 1);
        if i > 0 {
            // Said where the person is, before the code is asked again.
            pty.expect("mfa-env: STS rejected the MFA code", i);
        }
        pty.send(key);
    }
    let (_, stdout) = finish(child);
    test.assert_unchanged(&before);
    stdout
}

#[test]
fn botocore_as_the_reader_of_credential_process_the_person_is_told_why_and_that_it_was_cancelled() {
    let server = StsServer::start();
    server.reply(Reply::code_rejected());
    let stdout = botocore_on_the_terminal(&server, &["111111\r", "222222\r"]);
    assert_eq!(stdout, "KEY ASIATESTSESSIONKEY01\n");
    let stdout = botocore_on_the_terminal(&server, &["\x03"]);
    assert_eq!(
        stdout,
        "FAILED Error when retrieving credentials from custom-process: mfa-env: cancelled; nothing was exported\n\n"
    );
    assert_eq!(server.requests().len(), 2);
}
