//! The data formats, read by their real readers: botocore's credential_process, JSON and
//! python-dotenv.

use std::process::Command;

use crate::support::pty::{Pty, Wiring};
use crate::support::*;
#[test]
fn botocore_reads_the_process_format_through_credential_process() {
    let server = StsServer::start();
    let test = Test::dev(&server);
    let config = format!(
        "{CONFIG}[profile dev-mfa]\ncredential_process = {BIN} --format process dev --code 123456\nregion = eu-west-1\n"
    );
    let test = test.config(&config);
    let script = "import botocore.session\n\
                  s = botocore.session.Session(profile='dev-mfa')\n\
                  c = s.get_credentials()\n\
                  f = c.get_frozen_credentials()\n\
                  print(c.method, f.access_key, f.secret_key, f.token, sep='\\n')\n\
                  print(c._expiry_time.isoformat())\n";
    let before = test.snapshot();
    let out = Command::new(python())
        .args(["-c", script])
        .env_clear()
        .envs(
            test.command()
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .output()
        .unwrap();
    test.assert_unchanged(&before);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "custom-process",
            "ASIATESTSESSIONKEY01",
            "sessionSecret/with+slash=",
            "FwoGZXIvYXdzEBYaDH+token/value=="
        ]
    );
    let req = server.only_request();
    assert_eq!(req.param("TokenCode"), Some("123456"));
    assert_eq!(req.access_key(), KEY_ID);
    let expiry = lines[4].replace("+00:00", "Z");
    let want = mfa_env::time::now() + 43_200;
    let got = mfa_env::time::parse_rfc3339(&expiry).unwrap();
    assert!((got - want).abs() < 60, "{expiry}");
    // The only thing on stderr is mfa-env's own line, passed through by botocore's child.
    assert!(!stderr.contains("sessionSecret"));
}

#[test]
fn the_process_format_asks_for_the_code_on_the_terminal() {
    // As an SDK runs it: stdout and stderr pipes, the prompt on the controlling terminal.
    let server = StsServer::start();
    let test = Test::dev(&server).args(["dev", "--format", "process"]);
    let pty = Pty::open();
    let child = pty.spawn(test.command(), Wiring::Redirected);
    pty.expect("MFA code for dev", 1);
    pty.send("246810\r");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("{\"Version\":1,\"AccessKeyId\":\"ASIATESTSESSIONKEY01\",\"SecretAccessKey\":\"sessionSecret/with+slash=\",\"SessionToken\":\"FwoGZXIvYXdzEBYaDH+token/value==\",\"Expiration\":\""),
        "{stdout}"
    );
    assert_eq!(server.only_request().param("TokenCode"), Some("246810"));
}

#[test]
fn json_is_one_flat_object() {
    let server = StsServer::start();
    let creds = Creds::fixed();
    server.always(Reply::Creds(creds.clone()));
    let out = Test::dev(&server)
        .args(["dev", "-c", "123456", "--format", "json"])
        .ok();
    let expiration = &creds.expiration;
    assert_eq!(
        out.stdout,
        format!(
            "{{\"AWS_ACCESS_KEY_ID\":\"ASIATESTSESSIONKEY01\",\"AWS_SECRET_ACCESS_KEY\":\"sessionSecret/with+slash=\",\"AWS_SESSION_TOKEN\":\"FwoGZXIvYXdzEBYaDH+token/value==\",\"AWS_CREDENTIAL_EXPIRATION\":\"{expiration}\",\"AWS_SESSION_EXPIRATION\":\"{expiration}\",\"AWS_REGION\":\"eu-west-1\",\"AWS_DEFAULT_REGION\":\"eu-west-1\",\"MFA_ENV_PROFILE\":\"dev\",\"MFA_ENV_ROLE\":\"\",\"MFA_ENV_ACCOUNT\":\"123456789012\",\"MFA_ENV_ACCESS_KEY_ID\":\"ASIATESTSESSIONKEY01\",\"MFA_ENV_MFA_SERIAL\":\"arn:aws:iam::123456789012:mfa/alice\",\"MFA_ENV_LONG_TERM_KEY_ID\":\"****************0001\",\"MFA_ENV_REGION\":\"eu-west-1\"}}\n"
        )
    );
}

#[test]
fn json_and_dotenv_values_arrive_exactly_in_python() {
    let server = StsServer::start();
    // Every character STS may send, where the formats care (a leading `=` and `-`). Values
    // beyond STS's alphabet are refused (hostile.rs); the formats' quoters are proved exact
    // for any value by quoting.rs.
    let creds = crate::shells::hostile();
    server.always(Reply::Creds(creds.clone()));
    let script = "import json, sys, io, dotenv\n\
                  data = sys.stdin.read()\n\
                  if sys.argv[1] == 'json':\n    d = json.loads(data)\n\
                  else:\n    d = dotenv.dotenv_values(stream=io.StringIO(data), interpolate=True)\n\
                  print(json.dumps(d, ensure_ascii=True))\n";
    for format in ["json", "dotenv"] {
        let out = Test::dev(&server)
            .args(["dev", "-c", "123456", "--format", format])
            .ok();
        let mut child = Command::new(python())
            .args(["-c", script, format])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(out.stdout.as_bytes())
            .unwrap();
        let read = child.wait_with_output().unwrap();
        assert!(read.status.success(), "{format}");
        // Back through python's json.dumps into our own JSON quoting for comparison.
        let got = String::from_utf8(read.stdout).unwrap();
        for (name, value) in [
            ("AWS_ACCESS_KEY_ID", creds.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key),
            ("AWS_SESSION_TOKEN", &creds.session_token),
            ("MFA_ENV_PROFILE", "dev"),
        ] {
            let pair = format!("\"{name}\": {}", python_json(value));
            assert!(got.contains(&pair), "{format}: {pair} not in {got}");
        }
    }
}

/// A string as Python's `json.dumps(..., ensure_ascii=True)` writes it.
fn python_json(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}
