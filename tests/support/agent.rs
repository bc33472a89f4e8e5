//! The agent in tests: its socket in XDG_RUNTIME_DIR inside the test's own directory, the agent
//! started with `mfa-env agent start` and always ended with the test (a guard), so that no
//! agent outlives a run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{MARKERS, Test};

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
