//! moto's server (PyPI `moto[server]`), a real implementation of STS and IAM that checks SigV4
//! signatures and IAM policies once authentication is on. `scripts/test` installs it into
//! `.ci/venv`; a missing moto fails the test. moto dies with the thread that started it
//! (PR_SET_PDEATHSIG), so no server outlives a run, not even the shared one.
#![allow(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

pub struct Moto {
    child: Child,
    pub url: String,
}

fn venv_bin(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".ci/venv/bin")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/test, which makes the venv of tests/requirements.txt",
        path.display()
    );
    path
}

impl Moto {
    /// moto on 127.0.0.1 with a free port; ready when it says where it runs.
    pub fn start() -> Moto {
        let mut cmd = Command::new(venv_bin("moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", "0"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Linux: moto dies with the test binary even when it is killed. Elsewhere it ends with
        // the Moto dropped (a test binary killed outright leaves it to the runner).
        #[cfg(target_os = "linux")]
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("start moto_server");
        // It prints `Running on http://127.0.0.1:PORT` on stdout or stderr, by version.
        let (tx, rx) = std::sync::mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(at) = line.find("http://127.0.0.1:") {
                        let _ = tx.send(line[at..].trim().to_owned());
                    }
                }
            });
        }
        let url = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("moto_server did not start within 30 s");
        Moto { child, url }
    }

    /// Run a Python script with moto's virtualenv (boto3 comes with moto); its stdout.
    #[track_caller]
    pub fn python(&self, script: &str, args: &[&str]) -> String {
        let out = Command::new(venv_bin("python"))
            .arg("-c")
            .arg(script)
            .arg(&self.url)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "python failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn python_path() -> PathBuf {
        venv_bin("python")
    }

    /// An IAM call, form-encoded as the AWS CLI sends it; its XML body. moto checks no
    /// signature until `require_signatures`, so a placeholder one does.
    #[track_caller]
    pub fn iam(&self, action: &str, params: &[(&str, &str)]) -> String {
        let mut body = format!("Action={action}&Version=2010-05-08");
        for (k, v) in params {
            body.push_str(&format!("&{k}={}", encode(v)));
        }
        let (status, text) = self.post(
            "/",
            "application/x-www-form-urlencoded",
            &body,
            Some("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0"),
        );
        assert_eq!(status, 200, "{action}: {text}");
        text
    }

    /// A user with an access key: (key id, secret).
    pub fn user(&self, name: &str) -> (String, String) {
        self.iam("CreateUser", &[("UserName", name)]);
        let key = self.iam("CreateAccessKey", &[("UserName", name)]);
        (tag(&key, "AccessKeyId"), tag(&key, "SecretAccessKey"))
    }

    /// A virtual MFA device, enabled for `user`; its serial number.
    pub fn device(&self, user: &str, name: &str) -> String {
        let created = self.iam("CreateVirtualMFADevice", &[("VirtualMFADeviceName", name)]);
        let serial = tag(&created, "SerialNumber");
        self.iam(
            "EnableMFADevice",
            &[
                ("UserName", user),
                ("SerialNumber", &serial),
                ("AuthenticationCode1", "123456"),
                ("AuthenticationCode2", "654321"),
            ],
        );
        serial
    }

    /// From now on moto checks SigV4 signatures and IAM policies.
    pub fn require_signatures(&self) {
        let (status, text) = self.post("/moto-api/reset-auth", "text/plain", "0", None);
        assert_eq!(status, 200, "reset-auth: {text}");
    }

    fn post(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
        auth: Option<&str>,
    ) -> (u16, String) {
        let host = self.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let auth = auth
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{auth}Connection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, body.to_owned())
    }
}

/// One server for the tests that need no signature checks; each uses users of its own.
pub fn shared() -> &'static Moto {
    static SHARED: OnceLock<Moto> = OnceLock::new();
    SHARED.get_or_init(|| {
        // PR_SET_PDEATHSIG fires when the thread that started the child ends: start it from a
        // thread that lives as long as the process.
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            send.send(Moto::start()).unwrap();
            loop {
                std::thread::park();
            }
        });
        receive.recv().unwrap()
    })
}

/// The text of the first `<name>` element.
pub fn tag(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{name}>")).unwrap() + start;
    xml[start..end].to_owned()
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
