#![allow(unsafe_code)]
//! What every test uses: a builder that runs mfa-env in a sealed environment, the test STS
//! server, the real shells and a pseudo-terminal.

pub mod agent;
pub mod desktop;
#[cfg(target_os = "linux")]
pub mod keyring;
pub mod moto;
pub mod path;
pub mod pty;
pub mod shells;
pub mod signin;
pub mod sts;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use sts::{Creds, Reply, StsServer, in_minutes};

pub const BIN: &str = env!("CARGO_BIN_EXE_mfa-env");

pub const KEY_ID: &str = "AKIAEXAMPLEDEV00001";
pub const SECRET: &str = "devSECRET+marker/0000000000000000000001";
pub const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

/// The usual profile: long-term keys in credentials, MFA device and region in config.
pub const CONFIG: &str =
    "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n";
/// Two roles on top of the usual profile: `deep` is assumed with `admin`'s session.
pub const CHAIN: &str = "[profile admin]\nrole_arn = arn:aws:iam::210987654321:role/Admin\nsource_profile = dev\n[profile deep]\nrole_arn = arn:aws:iam::333333333333:role/Deep\nsource_profile = admin\n";
pub const CREDENTIALS: &str = "[dev]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = devSECRET+marker/0000000000000000000001\n";

/// A run of mfa-env with a fresh HOME and TMPDIR and only the variables a test sets.
pub struct Test {
    pub dir: tempfile::TempDir,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    /// Files a run may change (setup writes the config file); everything else under HOME and
    /// TMPDIR must stay as it was, and no other file may appear.
    writable: Vec<PathBuf>,
    /// stderr lines that another program (mfa_process) writes through mfa-env's stderr.
    foreign: Vec<String>,
}

pub type Snapshot = (Files, Files);
pub type Files = BTreeMap<PathBuf, (Vec<u8>, Option<std::time::SystemTime>)>;

pub struct ShellRun {
    pub status: std::process::ExitStatus,
    pub env: BTreeMap<String, String>,
    /// stderr without the lines that name the test's own endpoints (`Test::endpoint_lines`).
    pub stderr: String,
}

pub struct Output {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    /// stderr without the lines that name the test's own endpoints (`Test::endpoint_lines`).
    pub stderr: String,
    /// stderr as written.
    pub raw_stderr: String,
    pub elapsed: Duration,
}

/// An executable `/bin/sh` script in the test's folder (outside HOME and TMPDIR), its path.
pub fn script(test: &Test, name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = test.dir.path().join("bin");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

impl Test {
    pub fn new() -> Test {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::create_dir_all(dir.path().join("home/.aws")).unwrap();
        fs::create_dir_all(dir.path().join("tmp")).unwrap();
        Test {
            dir,
            args: Vec::new(),
            env: Vec::new(),
            writable: Vec::new(),
            foreign: Vec::new(),
        }
    }

    /// The usual dev profile, and STS at `server`.
    pub fn dev(server: &StsServer) -> Test {
        Test::new()
            .config(CONFIG)
            .credentials(CREDENTIALS)
            .sts(server)
    }

    /// The export most tests run: the dev profile, its code on the command line, bash
    /// statements, STS at `server`.
    pub fn export(server: &StsServer) -> Test {
        Test::dev(server).args(["dev", "--code", "123456", "--shell", "bash"])
    }

    /// The environment of a shell that evaluated `mfa-env PROFILE` `left` seconds before its
    /// session expires.
    pub fn holding(self, profile: &str, left: i64) -> Test {
        let expiration = mfa_env::time::rfc3339(mfa_env::time::now() + left);
        self.env("MFA_ENV_PROFILE", profile)
            .env("MFA_ENV_ACCOUNT", "123456789012")
            .env("MFA_ENV_ACCESS_KEY_ID", "ASIAHELDSESSION00042")
            .env("AWS_ACCESS_KEY_ID", "ASIAHELDSESSION00042")
            .env("AWS_SECRET_ACCESS_KEY", "heldSecret")
            .env("AWS_SESSION_TOKEN", "heldToken")
            .env("AWS_CREDENTIAL_EXPIRATION", &expiration)
            .env("AWS_SESSION_EXPIRATION", &expiration)
            .env("AWS_REGION", "eu-west-1")
            .env("MFA_ENV_MFA_SERIAL", SERIAL)
            .env("MFA_ENV_LONG_TERM_KEY_ID", "****************0001")
            .env("MFA_ENV_REGION", "eu-west-1")
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    pub fn config(self, text: &str) -> Test {
        fs::write(self.home().join(".aws/config"), text).unwrap();
        self
    }

    pub fn credentials(self, text: &str) -> Test {
        fs::write(self.home().join(".aws/credentials"), text).unwrap();
        self
    }

    pub fn sts(self, server: &StsServer) -> Test {
        self.env("AWS_ENDPOINT_URL_STS", &server.url)
    }

    /// IAM at `server` too (it answers ListMFADevices).
    pub fn iam(self, server: &StsServer) -> Test {
        self.env("AWS_ENDPOINT_URL_IAM", &server.url)
    }

    pub fn config_path(&self) -> PathBuf {
        self.home().join(".aws/config")
    }

    /// A line on stderr that is not mfa-env's own (it comes from a command mfa-env runs).
    pub fn foreign_stderr(mut self, line: &str) -> Test {
        self.foreign.push(line.to_owned());
        self
    }

    /// Let runs change this file (and only this one).
    pub fn may_write(mut self, path: impl Into<PathBuf>) -> Test {
        self.writable.push(path.into());
        self
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Test {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Test
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Test {
        self.env.push((name.into(), value.into()));
        self
    }

    /// The command, sealed: no variable of the developer's or CI's environment gets in.
    pub fn command(&self) -> Command {
        self.command_with(&self.args)
    }

    /// The command with other arguments than the test's, in the same environment.
    pub fn command_with<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .env_clear()
            // The built binary's folder first (see path.rs), as in every process of the tests.
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("TMPDIR", self.tmp())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            // Times shown to a person are local: the same zone on every machine.
            .env("TZ", "UTC")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Run it, and check what every run must hold: nothing written under HOME or TMPDIR, no
    /// marker secret on stderr, and on failure an empty stdout.
    #[track_caller]
    pub fn run(&self) -> Output {
        self.run_with(&self.args)
    }

    /// `run` with other arguments than the test's, in the same environment.
    #[track_caller]
    pub fn run_with<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Output {
        let before = self.snapshot();
        let start = Instant::now();
        let mut cmd = self.command_with(args);
        // A new session without a controlling terminal: the developer's terminal must not
        // be asked for a code, and CI has none.
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let out = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("run mfa-env");
        let output = self.output(out, start.elapsed());
        self.assert_unchanged(&before);
        path::assert_not_reached(&path::sentinel_log());
        output.assert_contract_allowing(&self.foreign);
        output
    }

    /// What a finished run of mfa-env wrote, as text, and how long it took; stderr also
    /// without the lines that name this test's endpoints.
    pub fn output(&self, out: std::process::Output, elapsed: Duration) -> Output {
        let raw_stderr = String::from_utf8(out.stderr).expect("stderr is UTF-8");
        Output {
            status: out.status,
            stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
            stderr: self.without_endpoint_lines(&raw_stderr),
            raw_stderr,
            elapsed,
        }
    }

    /// The lines mfa-env writes before calling the endpoints this test set in
    /// AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_IAM (every test STS is one):
    /// `mfa-env: using STS endpoint http://127.0.0.1:PORT (from AWS_ENDPOINT_URL_STS)`.
    pub fn endpoint_lines(&self) -> Vec<String> {
        [
            ("STS", "AWS_ENDPOINT_URL_STS"),
            ("IAM", "AWS_ENDPOINT_URL_IAM"),
        ]
        .into_iter()
        .filter_map(|(service, var)| {
            let (_, url) = self.env.iter().rev().find(|(k, _)| k == var)?;
            Some(format!(
                "mfa-env: using {service} endpoint {url} (from {var})"
            ))
        })
        .collect()
    }

    /// `stderr` without the endpoint lines, so that tests of other lines need not know them;
    /// the tests of the endpoint line read `raw_stderr`.
    pub fn without_endpoint_lines(&self, stderr: &str) -> String {
        let lines = self.endpoint_lines();
        stderr
            .split_inclusive('\n')
            .filter(|line| !lines.iter().any(|l| l == line.trim_end_matches('\n')))
            .collect()
    }

    /// Every file under HOME and TMPDIR, to compare before and after a run.
    pub fn snapshot(&self) -> Snapshot {
        (snapshot(&self.home()), snapshot(&self.tmp()))
    }

    #[track_caller]
    pub fn assert_unchanged(&self, before: &Snapshot) {
        let allowed = |files: &Files| -> Files {
            files
                .iter()
                .filter(|(path, _)| !self.writable.contains(path))
                .map(|(path, v)| (path.clone(), v.clone()))
                .collect()
        };
        let now = self.snapshot();
        assert_eq!(
            (allowed(&before.0), allowed(&before.1)),
            (allowed(&now.0), allowed(&now.1)),
            "files under HOME or TMPDIR changed"
        );
    }

    /// Run `script` in a real shell with the same sealed environment, `$MFA_ENV` naming the
    /// binary; the script's stdout is returned as the environment it dumps with `env -0`.
    #[track_caller]
    pub fn shell(&self, sh: shells::Sh, script: &str) -> ShellRun {
        self.shell_command(sh.command(script))
    }

    /// `shell` for a shell started another way (`bash --posix`, macOS's `/bin/sh`): the
    /// command runs its script in the test's sealed environment.
    pub fn shell_command(&self, mut cmd: Command) -> ShellRun {
        let before = self.snapshot();
        let sealed = self.command();
        cmd.env_clear()
            .envs(sealed.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env("MFA_ENV", BIN)
            .env("XDG_CONFIG_HOME", self.dir.path().join("xdg"))
            .env("XDG_DATA_HOME", self.dir.path().join("xdg"));
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let out = cmd.stdin(Stdio::null()).output().unwrap();
        self.assert_unchanged(&before);
        path::assert_not_reached(&path::sentinel_log());
        ShellRun {
            status: out.status,
            env: shells::parse_env0(&out.stdout),
            stderr: self.without_endpoint_lines(&String::from_utf8_lossy(&out.stderr)),
        }
    }

    /// Run and expect success.
    #[track_caller]
    pub fn ok(&self) -> Output {
        let out = self.run();
        assert!(
            out.status.success(),
            "mfa-env failed: {:?}\nstderr:\n{}",
            out.status,
            out.stderr
        );
        out
    }

    /// Run and expect failure with a message that holds each of `needles`.
    #[track_caller]
    pub fn fails(&self, needles: &[&str]) -> Output {
        let out = self.run();
        assert!(
            !out.status.success(),
            "mfa-env succeeded, stdout:\n{}",
            out.stdout
        );
        out.stderr_has(needles);
        out
    }
}

/// Whatever a test started with this environment (a shell of its own, a pseudo-terminal), it
/// must not have reached another mfa-env.
impl Drop for Test {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            path::assert_not_reached(&path::sentinel_log());
        }
    }
}

/// Secrets that must never be shown on stderr.
pub const MARKERS: &[&str] = &[
    SECRET,
    "sessionSecret/with+slash=",
    "FwoGZXIvYXdzEBYaDH+token/value==",
];

impl Output {
    /// The contract, with `foreign` lines on stderr written by a program mfa-env runs.
    #[track_caller]
    pub fn assert_contract_allowing(&self, foreign: &[String]) {
        for marker in MARKERS {
            assert!(
                !self.stderr.contains(marker),
                "a secret reached stderr:\n{}",
                self.stderr
            );
        }
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        if !self.status.success() {
            assert_eq!(self.stdout, "", "stdout must be empty on failure");
        }
        for line in self.stderr.lines() {
            assert!(
                line.starts_with("mfa-env: ")
                    || line.is_empty()
                    || foreign.iter().any(|f| f == line),
                "stderr line without the prefix: {line:?}\n{}",
                self.stderr
            );
        }
    }

    #[track_caller]
    pub fn stderr_has(&self, needles: &[&str]) {
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "stderr lacks {needle:?}:\n{}",
                self.stderr
            );
        }
    }
}

/// Every file under `dir` with its contents and modification time.
pub fn snapshot(dir: &Path) -> Files {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                files.insert(path.clone(), (Vec::new(), None));
                stack.push(path);
            } else {
                files.insert(
                    path.clone(),
                    (fs::read(&path).unwrap_or_default(), meta.modified().ok()),
                );
            }
        }
    }
    files
}

/// The Python of the venv scripts/test makes, with botocore and python-dotenv, the real readers of
/// the files and formats (or the one MFA_ENV_TEST_PYTHON names).
pub fn python() -> PathBuf {
    let python = std::env::var_os("MFA_ENV_TEST_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/venv/bin/python"),
        PathBuf::from,
    );
    assert!(
        python.is_file(),
        "{} is missing: run scripts/test, which makes the venv of tests/requirements.txt",
        python.display()
    );
    python
}

/// macOS: what happens to another process of this user that tries `ptrace(PT_ATTACH)` on
/// `pid`, as a debugger would: "attached" (then detached), "refused ERRNO", or "killed by
/// SIGSEGV", which is how macOS answers a process that asked for PT_DENY_ATTACH.
#[cfg(target_os = "macos")]
pub fn try_to_attach(pid: i32) -> String {
    use std::os::unix::process::ExitStatusExt;
    const ATTACH: &str = r#"
import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
PT_ATTACH, PT_DETACH = 10, 11
if libc.ptrace(PT_ATTACH, pid, None, 0) == 0:
    time.sleep(0.2)
    libc.ptrace(PT_DETACH, pid, ctypes.c_void_p(1), 0)
    print("attached")
else:
    print("refused", ctypes.get_errno())
"#;
    let out = std::process::Command::new(python())
        .args(["-c", ATTACH, &pid.to_string()])
        .output()
        .unwrap();
    if out.status.signal() == Some(libc::SIGSEGV) {
        return "killed by SIGSEGV".to_owned();
    }
    String::from_utf8_lossy(&out.stdout).trim().to_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// Whether process `pid` has ended: gone, or a zombie no one has reaped yet.
#[cfg(target_os = "linux")]
pub fn ended(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |stat| {
        stat.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// Whether process `pid` has ended. macOS and FreeBSD have no /proc: ps tells the state (`Z`
/// a zombie), and nothing once the process is gone.
#[cfg(not(target_os = "linux"))]
pub fn ended(pid: i32) -> bool {
    let out = std::process::Command::new("ps")
        .args(["-o", "stat=", "-p", &pid.to_string()])
        .output()
        .unwrap();
    let state = String::from_utf8_lossy(&out.stdout);
    state.trim().is_empty() || state.trim_start().starts_with('Z')
}
