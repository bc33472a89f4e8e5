//! The agent in tests: its socket in XDG_RUNTIME_DIR inside the test's own directory, the agent
//! started with `mfa-env agent start` and always ended with the test (a guard), so that no
//! agent outlives a run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{CHAIN, CONFIG, CREDENTIALS, MARKERS, StsServer, Test};

/// The usual profiles and a role of dev's, STS at `server`, the agent's socket in the test's
/// own XDG_RUNTIME_DIR.
pub fn agent_test(server: &StsServer) -> Test {
    Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(server)
        .with_runtime_dir()
}

/// A running agent, killed when dropped.
pub struct Agent {
    pub pid: i32,
}

impl Test {
    /// XDG_RUNTIME_DIR in the test's directory (0700, as a login session's is): the agent's
    /// socket goes to its `mfa-env/agent.sock`.
    pub fn with_runtime_dir(self) -> Test {
        let dir = self.runtime_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let value = dir.display().to_string();
        self.env("XDG_RUNTIME_DIR", &value)
    }

    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    pub fn socket(&self) -> PathBuf {
        self.runtime_dir().join("mfa-env/agent.sock")
    }

    /// `mfa-env agent start` (checked like every run), and the agent it started.
    #[track_caller]
    pub fn start_agent(&self) -> Agent {
        let out = self.run_with(&["agent", "start", "--idle-exit", "5m"]);
        assert!(out.status.success(), "agent start failed:\n{}", out.stderr);
        let pid = agent_pid(self).expect("the agent answers after start");
        Agent { pid }
    }
}

/// The pid `agent status --json` shows, if an agent answers.
pub fn agent_pid(test: &Test) -> Option<i32> {
    let out = test.run_with(&["agent", "status", "--json"]);
    if !out.status.success() {
        return None;
    }
    let status: serde_json::Value = serde_json::from_str(&out.stdout).expect("status is JSON");
    Some(status["pid"].as_i64().expect("pid") as i32)
}

impl Agent {
    /// Whether the process still runs (not a zombie).
    pub fn alive(&self) -> bool {
        std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .is_ok_and(|stat| !stat.contains(") Z "))
    }

    /// Wait until the process has ended, at most `limit`.
    pub fn wait_gone(&self, limit: Duration) -> bool {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if !self.alive() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        !self.alive()
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on a pid this test started.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.pid, signal);
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if self.alive() {
            self.signal(libc::SIGKILL);
            self.wait_gone(Duration::from_secs(2));
        }
    }
}

/// No file under `dir` holds a session's secret (the test STS's marker secret and token) or
/// any of `more`. (The credentials file holds the long-term marker: it is the user's.)
#[track_caller]
pub fn assert_no_secret_under(dir: &Path, more: &[&str]) {
    for (path, (bytes, _)) in super::snapshot(dir) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in MARKERS[1..].iter().chain(more) {
            assert!(!text.contains(secret), "{} holds a secret", path.display());
        }
    }
}

/// What a raw connection heard in answer.
#[derive(Debug, PartialEq, Eq)]
pub enum Heard {
    /// One line, without its newline.
    Line(String),
    /// The other end closed (or reset) the connection.
    Closed,
    /// Nothing within the time given.
    Silent,
}

/// A connection to a socket that speaks bytes, as any process could: for what no `mfa-env`
/// command sends.
pub struct Raw {
    pub stream: std::os::unix::net::UnixStream,
    pending: Vec<u8>,
}

impl Raw {
    #[track_caller]
    pub fn connect(socket: &Path) -> Raw {
        let stream = std::os::unix::net::UnixStream::connect(socket).expect("connect");
        Raw {
            stream,
            pending: Vec::new(),
        }
    }

    /// Send `bytes`; an error when the other end has closed.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        self.stream.write_all(bytes)
    }

    /// The next line, within `limit`.
    pub fn hear(&mut self, limit: Duration) -> Heard {
        use std::io::Read;
        let until = Instant::now() + limit;
        loop {
            if let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.pending.drain(..=end).collect();
                return Heard::Line(String::from_utf8_lossy(&line[..end]).into_owned());
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Heard::Silent;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Heard::Closed,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return Heard::Closed,
            }
        }
    }

    /// Send one line and hear the answer (within 2 s): its JSON.
    #[track_caller]
    pub fn ask(&mut self, line: &str) -> serde_json::Value {
        self.send(format!("{line}\n").as_bytes()).expect("send");
        match self.hear(Duration::from_secs(2)) {
            Heard::Line(text) => serde_json::from_str(&text).expect("the answer is JSON"),
            other => panic!("no answer to {line:?}: {other:?}"),
        }
    }
}

/// A stand-in for an agent, in a thread of the test: at `socket` (its directory made 0700),
/// it answers every line it reads with `reply`, and keeps every line it read.
pub struct FakeAgent {
    pub socket: PathBuf,
    pub heard: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeAgent {
    pub fn start(socket: &Path, reply: &str) -> FakeAgent {
        use std::io::{BufRead, Write};
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::{Arc, Mutex};
        let dir = socket.parent().unwrap();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        let listener = std::os::unix::net::UnixListener::bind(socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        let heard = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reply, kept, stopped) = (reply.to_owned(), Arc::clone(&heard), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                let Ok((stream, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                let (reply, kept) = (reply.clone(), Arc::clone(&kept));
                std::thread::spawn(move || {
                    stream.set_nonblocking(false).unwrap();
                    stream
                        .set_read_timeout(Some(Duration::from_secs(10)))
                        .unwrap();
                    let mut write = stream.try_clone().unwrap();
                    for line in std::io::BufReader::new(stream).lines() {
                        let Ok(line) = line else { break };
                        kept.lock().unwrap().push(line);
                        if write.write_all(format!("{reply}\n").as_bytes()).is_err() {
                            break;
                        }
                    }
                });
            }
        });
        FakeAgent {
            socket: socket.to_owned(),
            heard,
            stop,
            thread: Some(thread),
        }
    }

    /// Whether it still answers at its socket.
    pub fn answers(&self) -> bool {
        let Ok(stream) = std::os::unix::net::UnixStream::connect(&self.socket) else {
            return false;
        };
        let mut raw = Raw {
            stream,
            pending: Vec::new(),
        };
        raw.send(b"{\"v\":3,\"ask\":\"hello\"}\n").is_ok()
            && matches!(raw.hear(Duration::from_secs(2)), Heard::Line(_))
    }
}

impl Drop for FakeAgent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
