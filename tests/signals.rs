//! Signals and pipes: Ctrl-C while STS is slow to answer, a stdout nobody reads, and the
//! core dump SIGQUIT would write.
#![allow(unsafe_code)]

use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
// The core dump tests' (Linux only: /proc and prlimit).
#[cfg(target_os = "linux")]
use std::{
    fs, os::unix::fs::PermissionsExt, os::unix::process::CommandExt, path::Path, process::Command,
};

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
    let output = test.output(out, start.elapsed());
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
    let (read, write) = std::io::pipe().unwrap();
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

// ---- core dumps ----

/// The soft core file size limit of process `pid`, as /proc/PID/limits shows it.
#[cfg(target_os = "linux")]
fn core_limit(pid: u32) -> String {
    let limits = fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap_or_else(|| panic!("no core line in:\n{limits}"));
    line.split_whitespace().nth(4).unwrap().to_owned()
}

/// The core files in `dir`.
#[cfg(target_os = "linux")]
fn cores(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("core"))
        .collect()
}

/// Let `cmd` dump core: its soft core limit is raised to the hard one (the tests may run
/// with 0).
#[cfg(target_os = "linux")]
fn allow_cores(cmd: &mut Command) {
    unsafe {
        cmd.pre_exec(|| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_CORE, &mut limit);
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
            Ok(())
        });
    }
}

/// Whether this machine writes a core file in the working directory of a process killed by
/// SIGQUIT: core_pattern may send cores to a program (systemd-coredump) or elsewhere, and
/// then the test cannot see them (and must not make one there).
#[cfg(target_os = "linux")]
fn cores_are_written_in(dir: &Path) -> bool {
    let pattern = fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let pattern = pattern.trim();
    if pattern.is_empty() || pattern.starts_with('|') || pattern.contains('/') {
        return false;
    }
    let mut sleep = Command::new("sleep");
    sleep.arg("30").current_dir(dir);
    allow_cores(&mut sleep);
    let mut sleep = sleep.spawn().unwrap();
    let pid = i32::try_from(sleep.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGQUIT) }, 0);
    let dumped = sleep.wait().unwrap().core_dumped();
    for core in cores(dir) {
        fs::remove_file(dir.join(core)).unwrap();
    }
    dumped
}

// Linux only: limits are read and raised through /proc and prlimit(2).
#[cfg(target_os = "linux")]
#[test]
fn no_core_dump_holds_the_secret_waiting_at_the_prompt() {
    // At the prompt the long-term secret is in memory; SIGQUIT's default action dumps core.
    let server = StsServer::start();
    let test = Test::dev(&server).args(["dev", "--shell", "bash"]);
    let work = test.dir.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let pty = Pty::open();
    let mut cmd = test.command();
    cmd.current_dir(&work);
    allow_cores(&mut cmd);
    let child = pty.spawn(cmd, Wiring::Terminal);
    pty.expect("MFA code for dev", 1);
    let pid = child.id();
    assert_eq!(core_limit(pid), "0", "mfa-env's own core limit");
    // Raised again from outside (as a user's `prlimit` could), the limit alone would let a
    // dump through: not being dumpable must still stop it.
    let control = cores_are_written_in(&work);
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let pid = i32::try_from(pid).unwrap();
    unsafe {
        assert_eq!(
            libc::prlimit(pid, libc::RLIMIT_CORE, std::ptr::null(), &mut limit),
            0
        );
        limit.rlim_cur = limit.rlim_max;
        assert_eq!(
            libc::prlimit(pid, libc::RLIMIT_CORE, &limit, std::ptr::null_mut()),
            0
        );
        assert_eq!(libc::kill(pid, libc::SIGQUIT), 0);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.signal(), Some(libc::SIGQUIT), "{:?}", out.status);
    assert!(!out.status.core_dumped(), "mfa-env dumped core");
    assert_eq!(cores(&work), Vec::<String>::new());
    if !control {
        eprintln!(
            "this machine writes no core files in the working directory: not dumpable is not checked"
        );
    }
}

// Linux only: the limits are read from /proc/PID/limits.
#[cfg(target_os = "linux")]
#[test]
fn the_programs_mfa_env_starts_get_the_users_core_limit_back() {
    let server = StsServer::start();
    let test = Test::dev(&server);
    let seen = test.dir.path().join("mfa-process-limits");
    let totp = test.dir.path().join("totp");
    fs::write(
        &totp,
        format!(
            "#!/bin/sh\ngrep 'Max core file size' /proc/$$/limits > {}\necho 123456\n",
            seen.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&totp, fs::Permissions::from_mode(0o755)).unwrap();
    let test = test
        .args(["exec", "dev", "--mfa-process"])
        .arg(&totp)
        .args(["--", "grep", "Max core file size", "/proc/self/limits"]);
    let mut cmd = test.command();
    // The user's limit: 1 MiB.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_CORE, &mut limit);
            limit.rlim_cur = limit.rlim_max.min(1 << 20);
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
            Ok(())
        });
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let soft = |line: &str| line.split_whitespace().nth(4).map(str::to_owned);
    let mut hard = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut hard) }, 0);
    let want = Some(hard.rlim_max.min(1 << 20).to_string());
    assert_eq!(soft(&stdout), want, "exec's command: {stdout}");
    let seen = fs::read_to_string(&seen).unwrap();
    assert_eq!(soft(&seen), want, "mfa_process: {seen}");
}

// ---- signals at the prompt ----

/// mfa-env waiting at the prompt on a pseudo-terminal, in raw mode (echo off): what a signal
/// would leave behind if nothing put the terminal back.
fn at_the_prompt(server: &StsServer) -> (Test, Pty, libc::tcflag_t, Child) {
    let test = Test::dev(server).args(["dev", "--shell", "bash"]);
    let pty = Pty::open();
    let flags = pty.lflags();
    let child = pty.spawn(test.command(), Wiring::Terminal);
    pty.expect("MFA code for dev", 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while pty.lflags() & libc::ECHO != 0 {
        assert!(Instant::now() < deadline, "the prompt never read a key");
        std::thread::sleep(Duration::from_millis(10));
    }
    (test, pty, flags, child)
}

/// `child`, once it has ended within `max`; killed and failed if it has not.
#[track_caller]
fn ended_within(mut child: Child, max: Duration) -> Child {
    let deadline = Instant::now() + max;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running {max:?} after the signal");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

#[test]
fn a_signal_at_the_prompt_ends_it_at_once_and_leaves_the_terminal_as_it_was() {
    let server = StsServer::start();
    for signal in [libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGINT] {
        let (test, pty, flags, child) = at_the_prompt(&server);
        let pid = i32::try_from(child.id()).unwrap();
        // Another process's signal (kill, a closing window, a service manager), not a key.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        // At once: the prompt waits for nobody (before, SIGINT waited for a key).
        let child = ended_within(child, Duration::from_secs(5));
        let out = finish_within(&test, child, Duration::from_secs(1));
        assert_eq!(out.status.signal(), Some(signal), "{:?}", out.status);
        assert_eq!(out.stdout, "");
        assert_eq!(
            pty.lflags(),
            flags,
            "signal {signal}: terminal flags changed"
        );
        pty.expect("nothing was exported", 1);
        let said = if signal == libc::SIGINT {
            "mfa-env: cancelled; nothing was exported"
        } else {
            "mfa-env: cancelled by SIG"
        };
        assert!(pty.screen().contains(said), "{signal}: {}", pty.screen());
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_signal_ignored_before_the_prompt_stays_ignored() {
    // `nohup mfa-env ...`: SIGHUP is ignored, and the prompt must not end on it.
    let server = StsServer::start();
    let test = Test::dev(&server).args(["dev", "--shell", "bash"]);
    let pty = Pty::open();
    let mut cmd = test.command();
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut child = pty.spawn(cmd, Wiring::Terminal);
    pty.expect("MFA code for dev", 1);
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGHUP) }, 0);
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "SIGHUP ended it");
    pty.send("123456\r");
    let out = finish_within(
        &test,
        ended_within(child, Duration::from_secs(10)),
        Duration::from_secs(1),
    );
    assert!(out.status.success(), "{}", pty.screen());
    assert_eq!(server.requests().len(), 1);
}
