//! Signals and pipes: Ctrl-C while STS is slow to answer, and a stdout nobody reads.
#![allow(unsafe_code)]

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::pty::{Pty, Wiring};
use crate::support::shells::Sh;
use crate::support::*;

/// A reply that comes long after the test has interrupted mfa-env.
fn slow() -> Reply {
    Reply::Delay(
        Duration::from_secs(30),
        Box::new(Reply::Creds(Creds::default())),
    )
}

/// Wait until the server has seen a request: mfa-env is inside the STS call.
#[track_caller]
fn wait_for_request(server: &StsServer) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests().is_empty() {
        assert!(Instant::now() < deadline, "no request reached the server");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The child's end, within a few seconds of the interruption.
#[track_caller]
fn finish_within(test: &Test, child: Child, max: Duration) -> Output {
    let start = Instant::now();
    let out = child.wait_with_output().unwrap();
    let raw_stderr = String::from_utf8(out.stderr).unwrap();
    let output = Output {
        status: out.status,
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: test.without_endpoint_lines(&raw_stderr),
        raw_stderr,
        elapsed: start.elapsed(),
    };
    assert!(output.elapsed < max, "took {:?}", output.elapsed);
    output
}

#[test]
fn sigint_during_the_sts_call_leaves_stdout_empty() {
    let server = StsServer::start();
    server.always(slow());
    let test = Test::dev(&server).args(["dev", "--code", "123456"]);
    let before = test.snapshot();
    let child = test
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_request(&server);
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = finish_within(&test, child, Duration::from_secs(3));
    assert!(!out.status.success());
    // No handler: the default action ends the process, as Ctrl-C ends any command.
    assert_eq!(out.status.signal(), Some(libc::SIGINT), "{:?}", out.status);
    out.assert_contract_allowing(&[]);
    assert_eq!(out.stdout, "");
    test.assert_unchanged(&before);
}

#[test]
fn ctrl_c_on_the_terminal_during_the_sts_call() {
    // The code is typed at the prompt, then Ctrl-C while STS has not answered yet.
    let server = StsServer::start();
    server.always(slow());
    let test = Test::dev(&server).args(["dev", "--shell", "bash"]);
    let before = test.snapshot();
    let pty = Pty::open();
    let flags = pty.lflags();
    let child = pty.spawn(test.command(), Wiring::Terminal);
    pty.expect("MFA code for dev", 1);
    pty.send("123456\r");
    wait_for_request(&server);
    pty.send("\x03");
    let out = finish_within(&test, child, Duration::from_secs(3));
    assert!(!out.status.success());
    assert_eq!(out.stdout, "");
    assert_eq!(pty.lflags(), flags, "terminal flags changed");
    assert!(!pty.screen().contains("panicked"), "{}", pty.screen());
    test.assert_unchanged(&before);
}

#[test]
fn a_closed_stdout_is_a_quiet_failure() {
    let server = StsServer::start();
    let test = Test::dev(&server).args(["dev", "--code", "123456"]);
    let before = test.snapshot();
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // Nobody will ever read: the first write gets EPIPE.
    drop(read);
    let child = test
        .command()
        .stdin(Stdio::null())
        .stdout(Stdio::from(write))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish_within(&test, child, Duration::from_secs(5));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{:?}\n{}",
        out.status,
        out.stderr
    );
    assert_eq!(out.stderr, "", "a closed stdout is nothing to talk about");
    assert_eq!(server.requests().len(), 1);
    test.assert_unchanged(&before);
}

#[test]
fn a_pipe_closed_by_the_reader_during_the_call_is_a_quiet_failure() {
    // `mfa-env dev | true` in bash: `true` is gone by the time STS answers.
    let server = StsServer::start();
    server.always(Reply::Delay(
        Duration::from_millis(500),
        Box::new(Reply::Creds(Creds::default())),
    ));
    let run = Test::dev(&server).shell(
        Sh::Bash,
        "\"$MFA_ENV\" dev --code 123456 --shell bash | true; export STATUS=\"${PIPESTATUS[0]}\"; env -0",
    );
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.env.get("STATUS").map(String::as_str), Some("1"));
    assert_eq!(run.stderr, "", "nothing said, no panic");
    assert_eq!(server.requests().len(), 1);
}
