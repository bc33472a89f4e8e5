//! A real Secret Service for a test: a D-Bus session bus of its own (no service activation,
//! so nothing starts that the test did not start) and gnome-keyring-daemon on it, with the
//! test's HOME (the keyring's encrypted file is `HOME/.local/share/keyrings/login.keyring`)
//! and a runtime directory of its own beside HOME and TMPDIR. Unlocked with a password at
//! start; `lock` starts the daemon again without one, over the existing login keyring, as a
//! remote login does: the keyring is then locked and no unlock prompt can be shown. Both
//! processes are stopped, by their ids, when it is dropped. Each program missing fails the
//! test, naming scripts/test.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

use super::{Output, Test};

/// The keyring's password (a test value).
const PASSWORD: &str = "test-keyring-password";

pub struct Keyring {
    home: PathBuf,
    runtime: PathBuf,
    pub address: String,
    bus: Child,
    daemon: Option<Child>,
}

#[track_caller]
fn program(name: &str) -> &str {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{name} is missing: run scripts/test, which installs gnome-keyring, libsecret-tools and dbus"
    );
    name
}

impl Keyring {
    /// A bus and an unlocked keyring for `test`.
    #[track_caller]
    pub fn start(test: &Test) -> Keyring {
        let keyring = Keyring::bus_only(test);
        let mut keyring = keyring;
        keyring.daemon = Some(keyring.daemon(true));
        keyring
    }

    /// A bus with no Secret Service on it.
    #[track_caller]
    pub fn bus_only(test: &Test) -> Keyring {
        let home = test.home();
        let runtime = test.dir.path().join("run");
        fs::create_dir_all(&runtime).unwrap();
        fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700)).unwrap();
        // gnome-keyring keeps its files here: there before any run, so that only the files
        // in it change.
        let keyrings = home.join(".local/share/keyrings");
        fs::create_dir_all(&keyrings).unwrap();
        fs::set_permissions(&keyrings, fs::Permissions::from_mode(0o700)).unwrap();
        let config = runtime.join("bus.conf");
        let socket = runtime.join("bus");
        fs::write(
            &config,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .unwrap();
        let mut bus = Command::new(program("dbus-daemon"))
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut line = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_owned();
        assert!(address.starts_with("unix:"), "dbus-daemon printed {line:?}");
        Keyring {
            home,
            runtime,
            address,
            bus,
            daemon: None,
        }
    }

    /// The environment every program of the keyring's session gets.
    fn session_env(&self, cmd: &mut Command) {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("XDG_RUNTIME_DIR", &self.runtime)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address);
    }

    #[track_caller]
    fn daemon(&self, unlocked: bool) -> Child {
        let mut cmd = Command::new(program("gnome-keyring-daemon"));
        cmd.args(["--foreground", "--components=secrets"]);
        if unlocked {
            cmd.arg("--unlock");
        }
        self.session_env(&mut cmd);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gnome-keyring-daemon");
        let mut stdin = child.stdin.take().unwrap();
        if unlocked {
            stdin.write_all(PASSWORD.as_bytes()).unwrap();
        }
        drop(stdin);
        self.wait_for_service();
        child
    }

    /// Until the Secret Service owns its name on the bus.
    #[track_caller]
    fn wait_for_service(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mut cmd = Command::new(program("dbus-send"));
            cmd.args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ]);
            self.session_env(&mut cmd);
            let out = cmd.output().unwrap();
            if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not take org.freedesktop.secrets within 10s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stop the daemon and start it again without a password: the login keyring is locked.
    #[track_caller]
    pub fn lock(&mut self) {
        self.stop_daemon();
        self.daemon = Some(self.daemon(false));
    }

    /// Stop the daemon: the bus has no Secret Service.
    pub fn stop_daemon(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        // Until its name is gone from the bus.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            let mut cmd = Command::new("dbus-send");
            cmd.args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ]);
            self.session_env(&mut cmd);
            match cmd.output() {
                Ok(out) if String::from_utf8_lossy(&out.stdout).contains("boolean false") => {
                    return;
                }
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }

    /// `test` with the keyring's session: its bus and runtime directory, and leave to change
    /// the keyring's own files.
    pub fn session(&self, test: Test) -> Test {
        let keyrings = self.keyrings();
        test.env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_RUNTIME_DIR", &self.runtime.display().to_string())
            .may_write(keyrings.join("login.keyring"))
            .may_write(keyrings.join("user.keystore"))
    }

    pub fn keyrings(&self) -> PathBuf {
        self.home.join(".local/share/keyrings")
    }

    /// What `secret-tool lookup service mfa-env username PROFILE` prints (None: no item).
    #[track_caller]
    pub fn lookup(&self, profile: &str) -> Option<String> {
        let mut cmd = Command::new(program("secret-tool"));
        cmd.args(["lookup", "service", "mfa-env", "username", profile]);
        self.session_env(&mut cmd);
        let out = cmd.output().unwrap();
        out.status
            .success()
            .then(|| String::from_utf8(out.stdout).unwrap())
    }

    /// The profiles `secret-tool search --all service mfa-env` finds.
    #[track_caller]
    pub fn search(&self) -> Vec<String> {
        let mut cmd = Command::new(program("secret-tool"));
        cmd.args(["search", "--all", "service", "mfa-env"]);
        self.session_env(&mut cmd);
        let out = cmd.output().unwrap();
        // secret-tool prints the attributes on stderr.
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let mut found: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("attribute.username = "))
            .map(str::to_owned)
            .collect();
        found.sort();
        found
    }

    /// Store an item as another program would (`secret-tool store`).
    #[track_caller]
    pub fn store(&self, profile: &str, secret: &str) {
        let mut cmd = Command::new(program("secret-tool"));
        cmd.args([
            "store",
            "--label",
            "test item",
            "service",
            "mfa-env",
            "username",
            profile,
        ]);
        self.session_env(&mut cmd);
        let mut child = cmd.stdin(Stdio::piped()).spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(secret.as_bytes())
            .unwrap();
        assert!(child.wait().unwrap().success());
    }
}

impl Drop for Keyring {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}

/// Every file under `dir` (but the keyring's own folder) whose bytes hold `needle`.
pub fn files_holding(dir: &Path, needle: &str, except: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.starts_with(except) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if fs::read(&path)
                .unwrap_or_default()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                found.push(path);
            }
        }
    }
    found
}

/// `run` with `input` on stdin.
#[track_caller]
pub fn run_with_input(test: &Test, args: &[&str], input: &str) -> Output {
    let before = test.snapshot();
    let start = Instant::now();
    let mut cmd = test.command_with(args);
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let output = test.output(out, start.elapsed());
    test.assert_unchanged(&before);
    output.assert_contract_allowing(&[]);
    output
}
