//! The MFA prompt on a real pseudo-terminal, with stdout captured as `$(...)` captures it.

use crate::support::pty::{Pty, Wiring};
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

#[test]
fn ctrl_c_at_the_prompt_leaves_stdout_empty_and_the_terminal_as_it_was() {
    let server = StsServer::start();
    let test = Test::dev(&server).args(["dev", "--shell", "bash"]);
    let pty = Pty::open();
    // Before the child runs: it may switch the terminal to raw mode at once.
    let flags = pty.lflags();
    let child = pty.spawn(test.command(), Wiring::Terminal);
    pty.expect(PROMPT, 1);
    pty.send("12");
    pty.send("\x03");
    let (status, stdout) = finish(child);
    assert!(!status.success());
    assert_eq!(stdout, "");
    assert_eq!(pty.lflags(), flags, "terminal flags changed");
    assert!(server.requests().is_empty());
    // The line is ended: the shell's prompt does not land after the question.
    pty.expect(&format!("{PROMPT}: 12\r\n"), 1);
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
