//! moto (PyPI `moto[server]`), a real implementation of IAM and STS, started by the tests on
//! a free port of 127.0.0.1.
//!
//! It is found as `.ci/venv/bin/moto_server` (what .ci/run installs), else as `moto_server`
//! on PATH, else the tests fail: a missing moto is never a skipped test. moto dies with the
//! test process (PR_SET_PDEATHSIG), so no server outlives a run.
#![allow(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

pub struct Moto {
    pub url: String,
    child: Option<Child>,
}

/// The shared server for tests that need no signature checks; each test uses its own users.
pub fn shared() -> &'static Moto {
    static SHARED: OnceLock<Moto> = OnceLock::new();
    SHARED.get_or_init(|| {
        // PR_SET_PDEATHSIG fires when the thread that started the child ends, so start it
        // from a thread that lives as long as the process.
        let (send, receive) = mpsc::channel();
        std::thread::spawn(move || {
            let mut moto = Moto::start();
            let child = moto.child.take();
            send.send(moto).unwrap();
            let _keep = child;
            loop {
                std::thread::park();
            }
        });
        receive.recv().unwrap()
    })
}

fn moto_server() -> PathBuf {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".ci/venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("moto_server"))
            .find(|p| p.exists())
    });
    on_path.unwrap_or_else(|| {
        panic!(
            "moto_server is not installed: run .ci/run, or \
             python3 -m venv .ci/venv && .ci/venv/bin/pip install 'moto[server]==5.2.5'"
        )
    })
}

impl Moto {
    /// A server of this test's own (signature checks can be turned on); it stops when dropped.
    pub fn start() -> Moto {
        let mut cmd = Command::new(moto_server());
        cmd.args(["-H", "127.0.0.1", "-p", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("start moto_server");
        let stderr = child.stderr.take().unwrap();
        let (send, receive) = mpsc::channel();
        // Read its log for the port, then keep draining it so that moto never blocks on it.
        std::thread::spawn(move || {
            let mut send = Some(send);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("Running on http://127.0.0.1:")
                    && let Some(send) = send.take()
                {
                    let _ = send.send(line[at + "Running on ".len()..].trim().to_owned());
                }
            }
        });
        let url = receive
            .recv_timeout(Duration::from_secs(60))
            .expect("moto_server did not say where it runs within 60 s");
        Moto {
            url,
            child: Some(child),
        }
    }

    /// An IAM call, form-encoded as the AWS CLI sends it; its XML body. moto checks no
    /// signature unless `require_signatures` was called, so a placeholder one does.
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

    /// A user with an access key: (name, key id, secret).
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

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
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
