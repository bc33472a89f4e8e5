//! The agent against what would misuse it: another user, a dead, stopped or foreign agent at
//! the socket, hostile bytes, signals; and its process's own protections. Real processes on
//! real sockets; another uid is `setpriv` to nobody (65534), which needs root, as CI has.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::agent::{Agent, FakeAgent, Raw, agent_pid};
use crate::support::*;

const NOBODY: &str = "65534";

/// The usual profiles and a role of dev's, STS at `server`, the socket in the test's own
/// XDG_RUNTIME_DIR.
fn test(server: &StsServer) -> Test {
    Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(server)
        .with_runtime_dir()
}

#[track_caller]
fn succeeds(test: &Test, args: &[&str]) -> Output {
    let out = test.run_with(args);
    assert!(out.status.success(), "{args:?} failed:\n{}", out.stderr);
    out
}

/// dev with no code and no terminal: only a session the agent holds can answer it.
#[track_caller]
fn agent_holds_dev(test: &Test) {
    succeeds(test, &["dev", "-f", "bash"])
        .stderr_has(&["the session comes from the agent: no code needed"]);
}

/// dev with no code falls back to asking for one, and there is no terminal to ask on.
#[track_caller]
fn asks_for_a_code(test: &Test) -> Output {
    let out = test.run_with(&["dev", "-f", "bash"]);
    assert!(!out.status.success());
    out.stderr_has(&["no terminal to ask for the MFA code on"]);
    out
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `program args` as uid and gid 65534, with no supplementary group.
fn as_nobody(program: &Path) -> Command {
    let mut cmd = Command::new("/usr/bin/setpriv");
    cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
        .arg(program);
    cmd
}

/// A child process, killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn another_uid_that_reaches_the_socket_gets_no_answer() {
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    // Every mode on the way loosened, so that nobody reaches the socket file itself: only the
    // agent's check of the peer's uid stands.
    let dir = test.socket().parent().unwrap().to_owned();
    for d in [test.dir.path(), &test.runtime_dir(), &dir] {
        chmod(d, 0o755);
    }
    chmod(&test.socket(), 0o777);
    let script = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
try:
    s.sendall(b'{"v":1,"ask":"hello"}\n{"v":1,"ask":"status"}\n')
    data = s.recv(4096)
    print("heard", data) if data else print("closed")
except (ConnectionResetError, BrokenPipeError):
    print("closed")
except socket.timeout:
    print("silent")
"#;
    let out = as_nobody(&python())
        .args(["-c", script])
        .arg(test.socket())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    // Connected (the file was reachable), then closed without a byte.
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(said.trim(), "closed");
    // The agent goes on serving its own user, with what it held.
    chmod(&dir, 0o700);
    agent_holds_dev(&test);
}

/// A listener that binds as root (a root-owned socket in a root-owned 0700 directory: what
/// the client checks on the file passes) and then becomes nobody before it listens: Linux
/// records a listener's credentials at listen(), so SO_PEERCRED says 65534. It answers every
/// line as an agent would, and prints what it heard.
const OTHER_UID_LISTENER: &str = r#"
import os, socket, sys, threading
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
os.setgroups([]); os.setgid(65534); os.setuid(65534)
s.listen(8)
print("listening", flush=True)
def serve(c):
    while True:
        data = c.recv(65536)
        print("heard", data, flush=True)
        if not data:
            return
        c.sendall(b'{"v":1,"answer":"hello","version":"0.1.0","pid":1}\n')
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"#;

#[test]
fn a_listener_of_another_uid_is_refused_by_the_client() {
    use std::io::{BufRead, BufReader};
    let server = StsServer::start();
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o700);
    let socket = dir.path().join("agent.sock");
    let mut child = Killed(
        Command::new(python())
            .args(["-c", OTHER_UID_LISTENER])
            .arg(&socket)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "listening");
    // What the kernel reports to whoever connects.
    let raw = Raw::connect(&socket);
    let cred = rustix::net::sockopt::socket_peercred(&raw.stream).unwrap();
    assert_eq!(cred.uid.as_raw(), 65534);
    drop(raw);
    let test = test(&server).env("MFA_ENV_AGENT_SOCK", &socket.display().to_string());
    let out = succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    out.stderr_has(&[
        "runs as uid 65534, not as you (uid 0): not asking it for sessions; going on without it",
        "remove the socket, or set MFA_ENV_AGENT_SOCK to a path of your own",
    ]);
    assert!(out.stdout.contains("export AWS_SESSION_TOKEN="));
    asks_for_a_code(&test).stderr_has(&["runs as uid 65534"]);
    let status = test.run_with(&["agent", "status"]);
    assert!(!status.status.success());
    status.stderr_has(&["runs as uid 65534"]);
    // It never heard a request: the client closed before saying anything.
    drop(child);
    let heard: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(heard.iter().all(|l| l == "heard b''"), "{heard:?}");
    assert_eq!(heard.len(), 4, "{heard:?}");
}

#[test]
fn a_killed_agent_leaves_a_stale_socket_that_is_passed_by_and_replaced() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    agent.signal(libc::SIGKILL);
    assert!(agent.wait_gone(Duration::from_secs(2)));
    assert!(test.socket().exists(), "kill -9 leaves the socket");
    // Nothing listens: the client goes on as without an agent, at once.
    let out = succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    assert!(out.elapsed < Duration::from_secs(1), "{:?}", out.elapsed);
    let out = asks_for_a_code(&test);
    assert!(out.elapsed < Duration::from_secs(1), "{:?}", out.elapsed);
    // start replaces the dead agent's socket, and the new one answers.
    let again = test.start_agent();
    assert_ne!(again.pid, agent.pid);
    assert_eq!(agent_pid(&test), Some(again.pid));
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    agent_holds_dev(&test);
}

#[test]
fn a_stopped_agent_is_passed_by_within_a_second_and_serves_once_continued() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    agent.signal(libc::SIGSTOP);
    let out = succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    out.stderr_has(&["did not answer: no answer within 800 ms; going on without it"]);
    assert!(out.elapsed < Duration::from_secs(1), "{:?}", out.elapsed);
    let out = asks_for_a_code(&test);
    assert!(out.elapsed < Duration::from_secs(1), "{:?}", out.elapsed);
    agent.signal(libc::SIGCONT);
    agent_holds_dev(&test);
}

/// What an agent of protocol 99 answers to anything.
const OTHER_VERSION: &str = r#"{"v":99,"answer":"version","version":"9.9.9","pid":4242}"#;

#[test]
fn an_agent_of_another_version_is_named_and_left_running() {
    let server = StsServer::start();
    let test = test(&server);
    let fake = FakeAgent::start(&test.socket(), OTHER_VERSION);
    let what = "the agent at ";
    let met = "is mfa-env 9.9.9 (protocol 99); this is mfa-env 0.1.0 (protocol 1): not using it";
    let todo = "stop it with that version's `mfa-env agent stop` (or `kill 4242`; its sessions are lost), or set MFA_ENV_AGENT_SOCK to another path for this version";
    let out = succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    out.stderr_has(&[what, met, "going on without it", todo]);
    asks_for_a_code(&test).stderr_has(&[met]);
    for action in ["status", "stop", "start", "forget"] {
        let out = test.run_with(&["agent", action]);
        assert!(!out.status.success(), "agent {action} succeeded");
        out.stderr_has(&[met, todo]);
    }
    // Nothing was killed or replaced: it still answers at its socket, and only ever heard
    // hellos (no session was put into it or asked of it).
    assert!(fake.answers());
    let heard = fake.heard.lock().unwrap().clone();
    assert!(!heard.is_empty());
    assert!(
        heard.iter().all(|l| l == r#"{"v":1,"ask":"hello"}"#),
        "{heard:?}"
    );
}

#[test]
fn the_agent_answers_another_version_with_its_own_and_goes_on() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    let mut raw = Raw::connect(&test.socket());
    let answer = raw.ask(r#"{"v":99,"ask":"something","new":[1,2]}"#);
    assert_eq!(
        answer,
        serde_json::json!({"v": 1, "answer": "version", "version": "0.1.0", "pid": agent.pid})
    );
    // The same connection, then another, are served.
    let hello = raw.ask(r#"{"v":1,"ask":"hello"}"#);
    assert_eq!(hello["answer"], "hello");
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    agent_holds_dev(&test);
}

#[test]
fn the_agents_process_keeps_no_core_no_caller_file_and_its_own_session() {
    let server = StsServer::start();
    let test = test(&server);
    // Started inside a `$(...)` that also gave it the substitution's pipe on fd 3 (left open
    // across exec, as a start-up file's `exec 3>&1` or a terminal's own files are): the
    // substitution must end at once, so the agent must keep nothing of its starter's.
    let mut sh = Command::new("sh");
    sh.args([
        "-c",
        r#"x=$("$MFA_ENV" agent start --idle-exit 5m 3>&1 2>/dev/null); echo started"#,
    ])
    .env_clear()
    .envs(test.command().get_envs().filter_map(|(k, v)| Some((k, v?))))
    .env("MFA_ENV", BIN)
    .stdout(Stdio::piped());
    let mut sh = Killed(sh.spawn().unwrap());
    let begun = Instant::now();
    while sh.0.try_wait().unwrap().is_none() {
        if begun.elapsed() > Duration::from_secs(5) {
            // Ended with the test, whatever it holds.
            let agent = agent_pid(&test).map(|pid| Agent { pid });
            let pid = agent.as_ref().map(|a| a.pid);
            panic!("`$(mfa-env agent start)` did not end: the agent (pid {pid:?}) holds its pipe");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let agent = Agent {
        pid: agent_pid(&test).expect("the agent answers"),
    };
    let proc = format!("/proc/{}", agent.pid);
    let limits = std::fs::read_to_string(format!("{proc}/limits")).unwrap();
    let core = limits
        .lines()
        .find_map(|l| l.strip_prefix("Max core file size"))
        .unwrap();
    assert_eq!(
        core.split_whitespace().take(2).collect::<Vec<_>>(),
        ["0", "0"]
    );
    for fd in 0..3 {
        let target = std::fs::read_link(format!("{proc}/fd/{fd}")).unwrap();
        assert_eq!(target, Path::new("/dev/null"), "fd {fd}");
    }
    // Nothing of its starter's: no pipe (a `$(...)` would wait for it), no terminal.
    for entry in std::fs::read_dir(format!("{proc}/fd")).unwrap() {
        let target = std::fs::read_link(entry.unwrap().path()).unwrap();
        let target = target.display().to_string();
        assert!(
            !target.starts_with("pipe:") && !target.starts_with("/dev/pts") && target != "/dev/tty",
            "{target}"
        );
    }
    assert_eq!(
        std::fs::read_link(format!("{proc}/cwd")).unwrap(),
        Path::new("/")
    );
    // Its own session: field 6 of stat (after the command's closing parenthesis: state,
    // ppid, pgrp, session) is its pid.
    let stat = std::fs::read_to_string(format!("{proc}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let session: i32 = after.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert_eq!(session, agent.pid);
}
