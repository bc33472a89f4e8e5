//! The agent against what would misuse it: another user, a dead, stopped or foreign agent at
//! the socket, hostile bytes, signals; and its process's own protections. Real processes on
//! real sockets; another uid is `setpriv` to nobody (65534), which needs root, as CI has.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(target_os = "linux")]
use crate::support::agent::Agent;
use crate::support::agent::{FakeAgent, Heard, Raw, agent_pid};
use crate::support::*;

#[cfg(target_os = "linux")]
const NOBODY: &str = "65534";

/// The usual profiles and a role of dev's, STS at `server`, the socket in the test's own
/// XDG_RUNTIME_DIR.
use crate::support::agent::agent_test as test;

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
#[cfg(target_os = "linux")]
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

// Linux only: setpriv (util-linux) runs the client as another user.
#[cfg(target_os = "linux")]
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
    let script = format!("import sys\npath = sys.argv[1]\n{ASK_AND_TELL}");
    let out = as_nobody(&python())
        .args(["-c", &script])
        .arg(test.socket())
        .output()
        .unwrap();
    closed_unanswered(&out);
    // The agent goes on serving its own user, with what it held.
    chmod(&dir, 0o700);
    agent_holds_dev(&test);
}

/// Connects to `path`, says hello and asks for the status; prints "closed", "silent" or what
/// it heard.
const ASK_AND_TELL: &str = r#"
import socket
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(path)
try:
    s.sendall(b'{"v":3,"ask":"hello"}\n{"v":3,"ask":"status"}\n')
    data = s.recv(4096)
    print("heard", data) if data else print("closed")
except (ConnectionResetError, BrokenPipeError):
    print("closed")
except socket.timeout:
    print("silent")
"#;

/// Connected (the file was reachable), then closed without a byte.
#[track_caller]
fn closed_unanswered(out: &std::process::Output) {
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(said.trim(), "closed");
}

/// Becomes nobody in the directory it is given (made so as root, which the tests are), then
/// connects to `agent.sock` there: only the socket's own directory needs to let nobody in,
/// whatever the modes above it (macOS's per-user $TMPDIR is 0700). What it imports, it
/// imports first, as root.
const AS_NOBODY_IN_DIR: &str = r#"
import os, pwd, socket, sys
os.chdir(sys.argv[1])
nobody = pwd.getpwnam("nobody")
os.setgroups([]); os.setgid(nobody.pw_gid); os.setuid(nobody.pw_uid)
path = "agent.sock"
"#;

/// The same promise as above on every system (macOS and FreeBSD tell the peer's uid with
/// getpeereid, Linux with SO_PEERCRED), with no tool but Python: a client of another uid
/// reaches the socket and is closed without a byte.
#[test]
fn a_client_of_another_uid_is_closed_unanswered_on_every_system() {
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    let dir = test.socket().parent().unwrap().to_owned();
    chmod(&dir, 0o755);
    chmod(&test.socket(), 0o777);
    let out = Command::new(python())
        .args(["-c", &format!("{AS_NOBODY_IN_DIR}{ASK_AND_TELL}")])
        .arg(&dir)
        .output()
        .unwrap();
    closed_unanswered(&out);
    chmod(&dir, 0o700);
    agent_holds_dev(&test);
}

/// The uid the kernel gives as the peer of a connected socket.
fn peer_uid(stream: &std::os::unix::net::UnixStream) -> u32 {
    #[cfg(target_os = "linux")]
    return rustix::net::sockopt::socket_peercred(stream)
        .unwrap()
        .uid
        .as_raw();
    #[cfg(not(target_os = "linux"))]
    {
        use std::os::fd::AsRawFd;
        let (mut uid, mut gid) = (0, 0);
        #[allow(unsafe_code)]
        let done = unsafe { libc::getpeereid(stream.as_raw_fd(), &mut uid, &mut gid) };
        assert_eq!(done, 0);
        uid
    }
}

/// A listener that binds as root (a root-owned socket in a root-owned 0700 directory: what
/// the client checks on the file passes) and then becomes nobody before it listens: Linux,
/// macOS and FreeBSD record a listener's credentials at listen(), so the peer is 65534. It answers every
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
        c.sendall(b'{"v":3,"answer":"hello","version":"0.1.0","pid":1}\n')
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
    assert_eq!(peer_uid(&raw.stream), 65534);
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
    assert!(!heard.is_empty());
    assert!(heard.iter().all(|l| l == "heard b''"), "{heard:?}");
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
    // Said, since a code is asked for where the agent gave sessions before.
    out.stderr_has(&[
        "the socket is a dead agent's; going on without it",
        "`mfa-env agent start` starts a new one",
    ]);
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
    out.stderr_has(&["did not answer: no answer within 400 ms; going on without it"]);
    assert!(out.elapsed < Duration::from_secs(1), "{:?}", out.elapsed);
    let out = asks_for_a_code(&test);
    assert!(out.elapsed < Duration::from_secs(1), "{:?}", out.elapsed);
    agent.signal(libc::SIGCONT);
    agent_holds_dev(&test);
}

#[test]
fn agent_stop_ends_a_stopped_agent() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    agent.signal(libc::SIGSTOP);
    // It does not answer, so it cannot be asked to stop: its pid is in the lock file it holds,
    // and stop ends it (SIGTERM with SIGCONT); its sessions go with it.
    let out = test.run_with(&["agent", "stop"]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&[&format!(
        "agent stopped (pid {}, which did not answer)",
        agent.pid
    )]);
    assert!(agent.wait_gone(Duration::from_secs(3)));
    assert!(!test.socket().exists());
    let again = test.start_agent();
    assert_ne!(again.pid, agent.pid);
    asks_for_a_code(&test);
}

/// What an agent of protocol 99 answers to anything.
const OTHER_VERSION: &str = r#"{"v":99,"answer":"version","version":"9.9.9","pid":4242}"#;

#[test]
fn an_agent_of_another_version_is_named_and_left_running() {
    let server = StsServer::start();
    let test = test(&server);
    let fake = FakeAgent::start(&test.socket(), OTHER_VERSION);
    let what = "the agent at ";
    let met = "is mfa-env 9.9.9 (protocol 99); this is mfa-env 0.1.0 (protocol 3): not using it";
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
        heard.iter().all(|l| l == r#"{"v":3,"ask":"hello"}"#),
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
        serde_json::json!({"v": 3, "answer": "version", "version": "0.1.0", "pid": agent.pid})
    );
    // The same connection, then another, are served.
    let hello = raw.ask(r#"{"v":3,"ask":"hello"}"#);
    assert_eq!(hello["answer"], "hello");
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    agent_holds_dev(&test);
}

/// The sessions `agent status --json` shows.
#[track_caller]
fn sessions(test: &Test) -> usize {
    let out = succeeds(test, &["agent", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    status["sessions"].as_array().unwrap().len()
}

#[test]
fn hostile_bytes_are_answered_with_errors_or_cut_off_and_the_agent_serves_on() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    let socket = test.socket();
    // Begun first, heard last: a request that never ends, and a connection that says nothing.
    let begun = Instant::now();
    let mut slow = Raw::connect(&socket);
    slow.send(br#"{"v":3,"ask":"get","key":{"profile":"#)
        .unwrap();
    let mut quiet = Raw::connect(&socket);
    // Lines that are no request: each answered with an error, on the same connection.
    let mut raw = Raw::connect(&socket);
    let deep = format!(r#"{{"v":3,"ask":{}"#, "[".repeat(60_000));
    let bad: Vec<Vec<u8>> = vec![
        b"hello".to_vec(),
        b"".to_vec(),
        b"\0\0\0\0".to_vec(),
        b"\xff\xfe{\"v\":3}".to_vec(),
        b"{\"v\":3,\"ask\":\"forget\",\"profile\":\"\xff\"}".to_vec(),
        deep.into_bytes(),
        br#"{"v":1e999}"#.to_vec(),
        br#"{"v":-1,"ask":"hello"}"#.to_vec(),
        br#"{"v":"1","ask":"hello"}"#.to_vec(),
        br#"{"v":3,"ask":"rm"}"#.to_vec(),
        br#"{"v":3,"ask":"get"}"#.to_vec(),
        br#"[{"v":3,"ask":"hello"}]"#.to_vec(),
    ];
    for line in &bad {
        let mut sent = line.clone();
        sent.push(b'\n');
        raw.send(&sent).unwrap();
        let Heard::Line(text) = raw.hear(Duration::from_secs(2)) else {
            panic!("no answer to {:?}", String::from_utf8_lossy(line));
        };
        let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(answer["v"], 3, "{text}");
        assert_eq!(answer["answer"], "error", "{text}");
    }
    assert_eq!(raw.ask(r#"{"v":3,"ask":"hello"}"#)["pid"], agent.pid);
    // A line past 64 KiB, with or without its end: the connection is cut, nothing answered.
    for end in [&b""[..], b"\n"] {
        let mut long = Raw::connect(&socket);
        let mut line = vec![b'a'; 70 * 1024];
        line.extend_from_slice(end);
        // The agent may close before all is written: a failed write is the same answer.
        let _ = long.send(&line);
        assert_eq!(long.hear(Duration::from_secs(2)), Heard::Closed);
    }
    // More connections at once than it serves: those past its limit are closed at once, the
    // others answered.
    let mut many: Vec<Raw> = (0..100).map(|_| Raw::connect(&socket)).collect();
    let (mut answered, mut closed) = (0, 0);
    for conn in &mut many {
        let _ = conn.send(b"{\"v\":3,\"ask\":\"hello\"}\n");
        match conn.hear(Duration::from_secs(2)) {
            Heard::Line(_) => answered += 1,
            Heard::Closed => closed += 1,
            Heard::Silent => panic!("a connection was left hanging"),
        }
    }
    assert!(answered > 0 && answered <= 64, "{answered} answered");
    assert_eq!(answered + closed, 100);
    drop(many);
    // The request that never ended, and the silent connection, are dropped after the
    // agent's 5 s request timeout.
    for conn in [&mut slow, &mut quiet] {
        assert_eq!(conn.hear(Duration::from_secs(8)), Heard::Closed);
    }
    let waited = begun.elapsed();
    assert!(waited >= Duration::from_millis(4500), "{waited:?}");
    // Through all of it, the agent kept its session and serves it.
    assert!(agent.alive());
    assert_eq!(sessions(&test), 1);
    agent_holds_dev(&test);
}

/// A process's children, as Linux lists them.
#[cfg(target_os = "linux")]
fn children(pid: u32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

/// Read `child`'s stderr until a line holds `needle`, at most 10 s; the lines read.
#[cfg(target_os = "linux")]
fn stderr_until(child: &mut Child, needle: &str) -> String {
    use std::io::{BufRead, BufReader};
    let stderr = child.stderr.take().unwrap();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    let mut read = String::new();
    let until = Instant::now() + Duration::from_secs(10);
    while let Ok(line) = receive.recv_timeout(until.saturating_duration_since(Instant::now())) {
        read.push_str(&line);
        read.push('\n');
        if line.contains(needle) {
            return read;
        }
    }
    panic!("no {needle:?} on stderr:\n{read}");
}

/// `mfa-env ARGS` in a session of its own, its stderr piped.
fn spawn(test: &Test, args: &[&str]) -> Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = test.command_with(args);
    // SAFETY: setsid(2) only, between fork and exec.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

// Linux only: the agent's children are read from /proc.
#[cfg(target_os = "linux")]
#[test]
fn a_client_killed_mid_request_or_holding_a_lease_leaves_the_agent_serving() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    // Killed in the middle of a line.
    let script = r#"
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"v":3,"ask":"put","key":{"profile":"dev","source":')
print("sent", flush=True)
time.sleep(30)
"#;
    let mut half = Killed(
        Command::new(python())
            .args(["-c", script])
            .arg(test.socket())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut said = String::new();
    std::io::Read::read_to_string(
        &mut std::io::Read::take(half.0.stdout.take().unwrap(), 5),
        &mut said,
    )
    .unwrap();
    assert_eq!(said, "sent\n");
    drop(half);
    assert_eq!(sessions(&test), 0);
    // Killed while it obtains the dev session (its mfa_process never ends): another client
    // waiting for that session gets its turn at once, not after the lease's 140 s.
    let mut first = spawn(&test, &["dev", "--mfa-process", "sleep 30", "-f", "bash"]);
    stderr_until(&mut first, "getting the MFA code from `sleep 30`");
    let mut second = spawn(&test, &["dev", "-c", "123456", "-f", "bash"]);
    stderr_until(
        &mut second,
        &format!(
            "waiting for process {}, which is getting the dev session",
            first.id()
        ),
    );
    let sleeper = children(first.id());
    let killed = Instant::now();
    first.kill().unwrap();
    first.wait().unwrap();
    for pid in sleeper {
        // SAFETY: kill(2) of the mfa_process the killed client left behind.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    let out = second.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        killed.elapsed() < Duration::from_secs(3),
        "{:?}",
        killed.elapsed()
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("export AWS_SESSION_TOKEN="));
    assert!(agent.alive());
    agent_holds_dev(&test);
}

#[test]
fn term_int_and_hup_remove_the_socket_and_end_the_agent() {
    let server = StsServer::start();
    let test = test(&server);
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let agent = test.start_agent();
        succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
        agent.signal(signal);
        assert!(agent.wait_gone(Duration::from_secs(2)), "signal {signal}");
        assert!(!test.socket().exists(), "signal {signal}");
        let out = asks_for_a_code(&test);
        assert!(!out.stderr.contains("agent"), "{}", out.stderr);
    }
}

#[test]
fn usr1_forgets_every_session_and_the_agent_serves_on() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    succeeds(&test, &["admin", "-f", "bash"]);
    assert_eq!(sessions(&test), 2);
    agent.signal(libc::SIGUSR1);
    let until = Instant::now() + Duration::from_secs(2);
    while sessions(&test) != 0 {
        assert!(Instant::now() < until, "SIGUSR1 forgot nothing");
        std::thread::sleep(Duration::from_millis(20));
    }
    asks_for_a_code(&test);
    assert_eq!(agent_pid(&test), Some(agent.pid));
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    agent_holds_dev(&test);
}

// Linux only: its limits, descriptors and session are read from /proc.
#[cfg(target_os = "linux")]
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

// Linux only: /proc and setpriv (on macOS: deny_attach_* below).
#[cfg(target_os = "linux")]
#[test]
fn the_agents_memory_is_closed_to_its_own_user() {
    // The agent of nobody, read by another process of nobody: root reads any process, so
    // only another uid can show that the agent is not dumpable (its /proc files then belong
    // to root, and ptrace access is refused).
    let test = Test::new();
    chmod(test.dir.path(), 0o711);
    let dir = test.dir.path().join("nobody");
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o700);
    rustix::fs::chown(
        &dir,
        Some(rustix::process::Uid::from_raw(65534)),
        Some(rustix::process::Gid::from_raw(65534)),
    )
    .unwrap();
    let socket = dir.join("agent.sock").display().to_string();
    let mfa_env = |args: &[&str]| {
        let out = as_nobody(Path::new(BIN))
            .args(args)
            .env_clear()
            .env("MFA_ENV_AGENT_SOCK", &socket)
            .env("HOME", &dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    mfa_env(&["agent", "start", "--idle-exit", "1m"]);
    let status: serde_json::Value =
        serde_json::from_str(&mfa_env(&["agent", "status", "--json"])).unwrap();
    let agent = Agent {
        pid: status["pid"].as_i64().unwrap() as i32,
    };
    let read = |pid: &str| {
        let script = format!("cat /proc/{pid}/environ >/dev/null && echo read");
        let out = as_nobody(Path::new("/bin/sh"))
            .args(["-c", &script])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
            + &String::from_utf8_lossy(&out.stderr)
    };
    // Another process of nobody's is readable: the check can see the difference.
    assert_eq!(read("$$"), "read");
    assert!(read(&agent.pid.to_string()).contains("Permission denied"));
    mfa_env(&["agent", "stop"]);
    assert!(agent.wait_gone(Duration::from_secs(2)));
}

/// macOS's counterpart of the test above: the agent asked for PT_DENY_ATTACH, so another
/// process of its user that tries to attach to it, as lldb would, is refused and killed with
/// SIGSEGV, which macOS sends for that flag alone (before any other policy is asked).
#[cfg(target_os = "macos")]
#[test]
fn deny_attach_keeps_debuggers_out_of_the_agent() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    assert_eq!(try_to_attach(agent.pid), "killed by SIGSEGV");
    // The agent lives on and serves what it held.
    assert!(agent.alive());
    agent_holds_dev(&test);
}

/// moto's users and roles for a role assumed from an agent-held session: alice (key, MFA
/// device), a role AliceSession whose sessions stand in for alice's MFA sessions, and Admin,
/// which both may assume. Then authentication on. Prints alice's key id and secret, her
/// serial, Admin's ARN, and an AliceSession session's key id, secret and token.
const MOTO_SETUP: &str = r#"
import json, sys, urllib.request
import boto3
url = sys.argv[1]
kw = dict(endpoint_url=url, region_name="us-east-1")
admin = dict(aws_access_key_id="AKIAMOTOADMIN0000000", aws_secret_access_key="admin")
iam = boto3.client("iam", **kw, **admin)
iam.create_user(UserName="alice")
key = iam.create_access_key(UserName="alice")["AccessKey"]
mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
iam.enable_mfa_device(UserName="alice", SerialNumber=mfa["SerialNumber"],
                      AuthenticationCode1="123456", AuthenticationCode2="654321")
account = "123456789012"
allow = lambda actions: json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": actions, "Resource": "*"}]})
trust = lambda principals: json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}]})
alice = f"arn:aws:iam::{account}:user/alice"
iam.create_role(RoleName="AliceSession", AssumeRolePolicyDocument=trust([alice]))
role = iam.create_role(RoleName="Admin", AssumeRolePolicyDocument=trust(
    [alice, f"arn:aws:sts::{account}:assumed-role/AliceSession/alice-mfa"]))["Role"]
mine = ["sts:AssumeRole", "sts:GetSessionToken", "sts:GetCallerIdentity"]
iam.put_user_policy(UserName="alice", PolicyName="mine", PolicyDocument=allow(mine))
iam.put_role_policy(RoleName="AliceSession", PolicyName="mine", PolicyDocument=allow(mine))
iam.put_role_policy(RoleName="Admin", PolicyName="whoami",
                    PolicyDocument=allow(["sts:GetCallerIdentity"]))
sts = boto3.client("sts", **kw, aws_access_key_id=key["AccessKeyId"],
                   aws_secret_access_key=key["SecretAccessKey"])
c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/AliceSession",
                    RoleSessionName="alice-mfa")["Credentials"]
req = urllib.request.Request(url + "/moto-api/reset-auth", data=b"0",
                             headers={"Content-Type": "text/plain"}, method="POST")
urllib.request.urlopen(req).read()
print(key["AccessKeyId"], key["SecretAccessKey"], mfa["SerialNumber"], role["Arn"],
      c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
"#;

/// In front of moto (argv: moto's URL, then the session's key id, secret and token): every
/// request goes to moto byte for byte (its Host header too, which the signature covers), so
/// moto checks every signature; a GetSessionToken moto accepted is answered with the session
/// given instead of moto's, which moto itself would not accept back. Prints its URL, then
/// per request: the action, the key id it was signed with, whether it carried a session
/// token and a TokenCode, and moto's status.
const MOTO_PROXY: &str = r#"
import datetime, http.client, http.server, re, sys, urllib.parse
moto = urllib.parse.urlparse(sys.argv[1])
key_id, secret, token = sys.argv[2:5]
class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        conn = http.client.HTTPConnection(moto.hostname, moto.port, timeout=30)
        conn.putrequest("POST", self.path, skip_host=True, skip_accept_encoding=True)
        for name, value in self.headers.items():
            conn.putheader(name, value)
        conn.endheaders(body)
        got = conn.getresponse()
        status, answer = got.status, got.read()
        kind = got.getheader("Content-Type", "text/xml")
        conn.close()
        form = urllib.parse.parse_qs(body.decode())
        action = form.get("Action", ["?"])[0]
        signer = re.search(r"Credential=([^/]+)/", self.headers.get("Authorization", ""))
        print(action, signer.group(1) if signer else "-",
              "token" if self.headers.get("X-Amz-Security-Token") else "no-token",
              "code" if "TokenCode" in form else "no-code", status, flush=True)
        if action == "GetSessionToken" and status == 200:
            until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=12)
            answer = ("<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                "<GetSessionTokenResult><Credentials>"
                f"<AccessKeyId>{key_id}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
                f"<SessionToken>{token}</SessionToken>"
                f"<Expiration>{until.strftime('%Y-%m-%dT%H:%M:%SZ')}</Expiration>"
                "</Credentials></GetSessionTokenResult>"
                "<ResponseMetadata><RequestId>proxy</RequestId></ResponseMetadata>"
                "</GetSessionTokenResponse>").encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
"#;

/// moto, with signatures checked, verifies the AssumeRole of a role made from the MFA
/// session the agent holds, and the role session it gives. Built with a proxy because
/// moto 5.2.5's GetSessionToken credentials are refused by moto itself once authentication
/// is on: the proxy hands out a session moto accepts (an AliceSession role session) as the
/// MFA session, and passes every other byte through, so that what the agent held is what
/// signs the AssumeRole moto checks.
#[test]
fn moto_checks_a_role_assumed_from_the_session_the_agent_holds() {
    use crate::support::moto::Moto;
    use std::io::{BufRead, BufReader};
    let moto = Moto::start();
    let setup = moto.python(MOTO_SETUP, &[]);
    let words: Vec<&str> = setup.split_whitespace().collect();
    let [
        key_id,
        secret,
        serial,
        role,
        session_key,
        session_secret,
        session_token,
    ] = words[..]
    else {
        panic!("setup printed {setup:?}")
    };
    let mut proxy = Killed(
        Command::new(Moto::python_path())
            .args([
                "-c",
                MOTO_PROXY,
                &moto.url,
                session_key,
                session_secret,
                session_token,
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut log = BufReader::new(proxy.0.stdout.take().unwrap()).lines();
    let proxy_url = log.next().unwrap().unwrap();
    let test = Test::new()
        .config(&format!(
            "[profile alice]\nmfa_serial = {serial}\nregion = us-east-1\n\n[profile admin]\nrole_arn = {role}\nsource_profile = alice\nrole_session_name = alice-session\n"
        ))
        .credentials(&format!(
            "[alice]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
        ))
        .env("AWS_ENDPOINT_URL_STS", &proxy_url)
        .with_runtime_dir();
    let _agent = test.start_agent();
    succeeds(&test, &["alice", "-c", "123456", "-f", "bash"]);
    let out = succeeds(&test, &["admin", "-f", "process"]);
    out.stderr_has(&["the role is assumed from the MFA session the agent holds: no code needed"]);
    let creds: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    // The role session works: moto names it.
    let whoami = r#"
import sys, boto3
url, key, secret, token = sys.argv[1:5]
sts = boto3.client("sts", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                   aws_secret_access_key=secret, aws_session_token=token)
print(sts.get_caller_identity()["Arn"])
"#;
    let field = |name: &str| creds[name].as_str().unwrap().to_owned();
    let arn = moto.python(
        whoami,
        &[
            &field("AccessKeyId"),
            &field("SecretAccessKey"),
            &field("SessionToken"),
        ],
    );
    assert_eq!(
        arn.trim(),
        "arn:aws:sts::123456789012:assumed-role/Admin/alice-session"
    );
    // What moto checked: GetSessionToken signed with alice's key, with a code; AssumeRole
    // signed with the session the agent held, with its token and no code.
    drop(proxy);
    let heard: Vec<String> = log.map_while(Result::ok).collect();
    assert_eq!(
        heard,
        [
            format!("GetSessionToken {key_id} no-token code 200"),
            format!("AssumeRole {session_key} token no-code 200"),
        ]
    );
}

/// `mfa-env ARGS`, stopped (and the test failed) if it runs past `limit`.
#[track_caller]
fn run_within(test: &Test, args: &[&str], limit: Duration) -> (std::process::Output, Duration) {
    let begun = Instant::now();
    let mut child = spawn(test, args);
    while child.try_wait().unwrap().is_none() {
        if begun.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still ran after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = begun.elapsed();
    (child.wait_with_output().unwrap(), elapsed)
}

/// A listener that takes no connection (listen backlog 0, never accept) and already has one
/// waiting: the kernel queues no more, so a connect waits, as it does for an agent that is
/// stopped or stuck once its queue is full.
const FULL_QUEUE: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(0)
waiting = socket.socket(socket.AF_UNIX)
waiting.connect(sys.argv[1])
print("full", flush=True)
time.sleep(60)
"#;

#[test]
fn an_agent_that_takes_no_connection_is_passed_by_within_a_second() {
    use std::io::{BufRead, BufReader};
    let server = StsServer::start();
    let test = test(&server);
    let dir = test.socket().parent().unwrap().to_owned();
    std::fs::create_dir(&dir).unwrap();
    chmod(&dir, 0o700);
    let mut listener = Killed(
        Command::new(python())
            .args(["-c", FULL_QUEUE])
            .arg(test.socket())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut said = BufReader::new(listener.0.stdout.take().unwrap()).lines();
    assert_eq!(said.next().unwrap().unwrap(), "full");
    let (out, took) = run_within(
        &test,
        &["dev", "-c", "123456", "-f", "bash"],
        Duration::from_secs(5),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert!(
        stderr.contains(
            "takes no connection within 500 ms: it is stopped or stuck; going on without it"
        ),
        "{stderr}"
    );
    let (out, took) = run_within(&test, &["agent", "status"], Duration::from_secs(5));
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(1), "{took:?}");
}

// Linux only: setpriv (util-linux) runs it as another user.
#[cfg(target_os = "linux")]
#[test]
fn a_user_other_than_root_runs_it_in_a_directory_it_makes() {
    // The agent's umask (0177) must not apply to the directory it makes: `agent run` (as a
    // service manager starts it) made it under that umask, without its search bit, and locked
    // its own user out (found by a review, as a user who is not root).
    let test = Test::new();
    chmod(test.dir.path(), 0o711);
    let runtime = test.dir.path().join("nobody-run");
    std::fs::create_dir(&runtime).unwrap();
    std::os::unix::fs::chown(&runtime, Some(65534), Some(65534)).unwrap();
    chmod(&runtime, 0o700);
    let command = |args: &[&str]| {
        let mut cmd = as_nobody(Path::new(BIN));
        cmd.args(args)
            .env_clear()
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    };
    let agent = Killed(
        command(&["agent", "run", "--idle-exit", "1m"])
            .spawn()
            .unwrap(),
    );
    let dir = runtime.join("mfa-env");
    let until = std::time::Instant::now() + Duration::from_secs(5);
    while !dir.join("agent.sock").exists() && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = command(&["agent", "status"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    drop(agent);
}

/// `mfa-env ARGS` in a pid namespace of its own (`unshare --pid --fork`, which needs root, as
/// CI has), as in a container: its pid is not visible from outside, nor the outside's from it.
/// The test's sealed environment; `unshare` ends the child when it is killed.
#[cfg(target_os = "linux")]
fn in_pid_namespace(test: &Test, args: &[&str]) -> Command {
    let sealed = test.command_with(args);
    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args(["--pid", "--fork", "--kill-child"])
        .arg(BIN)
        .args(args)
        .env_clear()
        .current_dir(test.dir.path())
        .stdin(Stdio::null());
    for (name, value) in sealed.get_envs() {
        if let Some(value) = value {
            cmd.env(name, value);
        }
    }
    cmd
}

// Linux only: pid namespaces (unshare) are Linux's.
#[cfg(target_os = "linux")]
#[test]
fn agent_and_clients_in_other_pid_namespaces_serve_each_other() {
    // SO_PEERCRED gives pid 0 for a process in a pid namespace this one cannot see: only
    // the uid may decide (an agent in a container refused every client outside it).
    let server = StsServer::start();
    let test = test(&server);
    // The agent outside, a client inside: the client sees the agent's pid as 0.
    let agent = test.start_agent();
    let inside = |args: &[&str]| {
        let out = in_pid_namespace(&test, args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?} failed:\n{stderr}");
        assert!(!stderr.contains("going on without it"), "{stderr}");
        stderr
    };
    inside(&["dev", "-c", "123456", "-f", "bash"]);
    let stderr = inside(&["dev", "-f", "bash"]);
    assert!(
        stderr.contains("the session comes from the agent: no code needed"),
        "{stderr}"
    );
    succeeds(&test, &["agent", "stop"]);
    assert!(agent.wait_gone(Duration::from_secs(2)));
    // The agent inside, its clients outside: the agent sees each client's pid as 0. (Its
    // pid, as it says it, is one of its namespace: never signalled from here.)
    let _inside = Killed(
        in_pid_namespace(&test, &["agent", "run", "--idle-exit", "1m"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let until = Instant::now() + Duration::from_secs(5);
    while !test.socket().exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    assert!(
        !out.stderr.contains("going on without it"),
        "{}",
        out.stderr
    );
    agent_holds_dev(&test);
    assert_eq!(sessions(&test), 1);
    succeeds(&test, &["agent", "stop"]);
}

#[test]
fn a_default_directory_another_user_took_is_refused_with_what_works_instead() {
    // Without XDG_RUNTIME_DIR the socket is in ${TMPDIR:-/tmp}/mfa-env-UID: another user can
    // make that first (a directory or a link), and in a sticky /tmp the user can neither use
    // nor remove it. The hint says what works: a private place of the user's choosing.
    let server = StsServer::start();
    let test = Test::dev(&server);
    let uid = unsafe_getuid();
    let taken = test.tmp().join(format!("mfa-env-{uid}"));
    let elsewhere = test.dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    for link in [false, true] {
        if link {
            std::os::unix::fs::symlink(&elsewhere, &taken).unwrap();
            std::os::unix::fs::lchown(&taken, Some(65534), Some(65534)).unwrap();
        } else {
            std::fs::create_dir(&taken).unwrap();
            std::os::unix::fs::chown(&taken, Some(65534), Some(65534)).unwrap();
            chmod(&taken, 0o700);
        }
        let out = test.run_with(&["agent", "start"]);
        assert!(!out.status.success());
        out.stderr_has(&[
            "is not safe to use",
            "another user (uid 65534) made it",
            "MFA_ENV_AGENT_SOCK",
            "XDG_RUNTIME_DIR",
        ]);
        let remove = format!("remove {}", taken.display());
        assert!(!out.stderr.contains(&remove), "{}", out.stderr);
        if link {
            std::fs::remove_file(&taken).unwrap();
        } else {
            std::fs::remove_dir(&taken).unwrap();
        }
    }
    // Doing as it says works.
    let private = test.dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    chmod(&private, 0o700);
    let test = test.env(
        "MFA_ENV_AGENT_SOCK",
        &private.join("agent.sock").display().to_string(),
    );
    let _agent = test.start_agent();
    succeeds(&test, &["dev", "-c", "123456", "-f", "bash"]);
    agent_holds_dev(&test);
}

fn unsafe_getuid() -> u32 {
    // SAFETY: getuid(2) cannot fail and touches no memory.
    #[allow(unsafe_code)]
    unsafe {
        libc::getuid()
    }
}
