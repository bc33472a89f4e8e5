//! moto's server (PyPI `moto[server]`), a real implementation of STS and IAM that checks SigV4
//! signatures and IAM policies once authentication is on. `.ci/run` installs it into
//! `.ci/venv`; a missing moto fails the test.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

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
        "{} is missing: run .ci/run, or `python3 -m venv .ci/venv && .ci/venv/bin/pip install 'moto[server]==5.2.5'`",
        path.display()
    );
    path
}

impl Moto {
    /// moto on 127.0.0.1 with a free port; ready when it says where it runs.
    pub fn start() -> Moto {
        let mut child = Command::new(venv_bin("moto_server"))
            .args(["-H", "127.0.0.1", "-p", "0"])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", std::env::temp_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start moto_server");
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
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
