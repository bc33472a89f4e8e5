//! `mfa-env exec --server PROFILE -- COMMAND`: the command reads its credentials from the
//! container endpoint mfa-env serves, with the real readers (botocore, aws-config for Rust,
//! the AWS CLI), and a role's session is renewed there from one MFA code.
#![allow(unsafe_code)]

use std::io::{BufRead, BufReader};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::pty::{Pty, Wiring};
use crate::support::*;

/// The usual profile, and a role assumed from it with the same device.
const CONFIG_ROLE: &str = "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n\
    [profile admin]\nrole_arn = arn:aws:iam::210987654321:role/Admin\nsource_profile = dev\n\
    mfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-central-1\n";
/// Long-term keys under [default] too, as most users have: the command must not use them.
const CREDENTIALS_DEFAULT: &str = "[default]\naws_access_key_id = AKIADEFAULTKEY000001\naws_secret_access_key = defaultSECRET\n\
    [dev]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = devSECRET+marker/0000000000000000000001\n";

/// `exec --server admin -c 123456 --`, before the command.
const SERVE_ADMIN: [&str; 6] = ["exec", "--server", "admin", "-c", "123456", "--"];
const SERVE_DEV: [&str; 6] = ["exec", "--server", "dev", "-c", "123456", "--"];

fn role_test(server: &StsServer) -> Test {
    Test::new()
        .config(CONFIG_ROLE)
        .credentials(CREDENTIALS_DEFAULT)
        .sts(server)
}

/// The GetSessionToken and AssumeRole calls that carried a code.
fn codes(server: &StsServer) -> usize {
    (server.requests().iter())
        .filter(|r| r.param("TokenCode").is_some())
        .count()
}

/// botocore's default chain, as any boto3 program builds it: which provider answered, and
/// the keys before and after the first ones expired.
const BOTOCORE_RENEWS: &str = r#"
import json, time, botocore.session
creds = botocore.session.get_session().get_credentials()
first = creds.get_frozen_credentials()
expiry = creds._expiry_time.timestamp()
time.sleep(max(0.0, expiry - time.time()) + 1.0)
second = creds.get_frozen_credentials()
print(json.dumps({"method": creds.method, "first": first.access_key, "second": second.access_key,
    "secret": first.secret_key, "token": first.token, "left": expiry - time.time()}))
"#;

#[test]
fn botocore_reads_the_endpoint_and_renews_the_role_from_one_code() {
    let server = StsServer::start();
    server.short_roles(3);
    let test = role_test(&server);
    // boto's own config, which botocore reads before the endpoint, holds keys too.
    std::fs::write(
        test.home().join(".boto"),
        "[Credentials]\naws_access_key_id = AKIABOTOCONFIG000001\naws_secret_access_key = botoSECRET\n",
    )
    .unwrap();
    let python = python();
    let out = test
        .args(SERVE_ADMIN)
        .arg(&python)
        .args(["-c", BOTOCORE_RENEWS])
        .ok();
    let got: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(got["method"], "container-role", "{got}");
    assert_eq!(got["secret"], "sessionSecret/with+slash=");
    assert_eq!(got["token"], "FwoGZXIvYXdzEBYaDH+token/value==");
    let (first, second) = (
        got["first"].as_str().unwrap(),
        got["second"].as_str().unwrap(),
    );
    assert!(first.starts_with("ASIAROLESESSION"), "{first}");
    assert!(second.starts_with("ASIAROLESESSION"), "{second}");
    assert_ne!(first, second, "the role session was not renewed");
    // One code, one MFA session; the role assumed again from it each time it ran short.
    assert_eq!(server.calls("GetSessionToken"), 1);
    assert!(server.calls("AssumeRole") >= 3, "{:#?}", server.requests());
    assert_eq!(codes(&server), 1);
    for request in server.requests() {
        if request.action() == "AssumeRole" {
            assert_eq!(
                request.access_key(),
                "ASIATESTSESSIONKEY01",
                "signed by the MFA session"
            );
        }
    }
    out.stderr_has(&[
        "admin session valid until",
        "serving the admin session at http://127.0.0.1:",
    ]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    // GetSessionToken, then AssumeRole, at one endpoint: named once.
    let named = out.raw_stderr.matches("using STS endpoint").count();
    assert_eq!(named, 1, "{}", out.raw_stderr);
}

/// The command's environment, from `env -0`.
fn command_env(out: &Output) -> std::collections::BTreeMap<String, String> {
    shells::parse_env0(out.stdout.as_bytes())
}

#[test]
fn the_command_gets_the_endpoint_and_no_other_credentials() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let mut test = Test::dev(&server);
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_ROLE_ARN",
        "AWS_CREDENTIAL_FILE",
        "AWS_ACCESS_KEY",
        "AWS_SECRET_KEY",
        "BOTO_CONFIG",
        "AWS_CREDENTIAL_PROFILES_FILE",
        "MFA_ENV_PROFILE",
        "MFA_ENV_ROLE",
        "MFA_ENV_ACCOUNT",
        "MFA_ENV_ACCESS_KEY_ID",
    ] {
        test = test.env(name, "from-the-shell");
    }
    let out = test.args(SERVE_DEV).args(["env", "-0"]).ok();
    let env = command_env(&out);
    let leaked: Vec<&String> = env
        .iter()
        .filter(|(_, v)| v.as_str() == "from-the-shell")
        .map(|(k, _)| k)
        .collect();
    assert!(leaked.is_empty(), "the command saw {leaked:?}");
    let url = &env["AWS_CONTAINER_CREDENTIALS_FULL_URI"];
    let port = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix('/'))
        .unwrap_or_else(|| panic!("{url}"));
    assert!(port.parse::<u16>().is_ok(), "{url}");
    let token = &env["AWS_CONTAINER_AUTHORIZATION_TOKEN"];
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!out.raw_stderr.contains(token.as_str()));
    for emptied in [
        "AWS_SHARED_CREDENTIALS_FILE",
        "BOTO_CONFIG",
        "AWS_CREDENTIAL_PROFILES_FILE",
    ] {
        assert_eq!(env[emptied], "/dev/null", "{emptied}");
    }
    assert_eq!(env["AWS_REGION"], "eu-west-1");
    assert_eq!(env["AWS_DEFAULT_REGION"], "eu-west-1");
    // The config file stays: its [default] names no credentials.
    assert!(!env.contains_key("AWS_CONFIG_FILE"));
    // Each run has a token and a port of its own.
    let again = command_env(&Test::dev(&server).args(SERVE_DEV).args(["env", "-0"]).ok());
    assert_ne!(&again["AWS_CONTAINER_AUTHORIZATION_TOKEN"], token);
}

#[test]
fn credentials_in_the_configs_default_hide_the_config_file() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    for (default, key) in [
        (
            "credential_process = /bin/false\n",
            Some("credential_process"),
        ),
        (
            "role_arn = arn:aws:iam::1:role/x\nsource_profile = dev\n",
            Some("role_arn"),
        ),
        (
            "aws_access_key_id = AKIACONFIG\n",
            Some("aws_access_key_id"),
        ),
        ("sso_session = corp\n", Some("sso_session")),
        ("region = us-west-2\noutput = json\n", None),
    ] {
        let out = Test::new()
            .config(&format!("[default]\n{default}{CONFIG}"))
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(SERVE_DEV)
            .args(["env", "-0"])
            .ok();
        let env = command_env(&out);
        match key {
            Some(key) => {
                assert_eq!(
                    env.get("AWS_CONFIG_FILE").map(String::as_str),
                    Some("/dev/null")
                );
                out.stderr_has(&[&format!(
                    "[default] in the config file has {key}, which the command's AWS tools would use instead of this session: the command sees no config file"
                )]);
            }
            None => {
                assert!(!env.contains_key("AWS_CONFIG_FILE"), "{default}");
                assert!(!out.stderr.contains("config file"), "{}", out.stderr);
            }
        }
    }
}

/// The real AWS CLI (PyPI awscli, with its own botocore) run as the command:
/// `aws sts get-caller-identity` against the test STS, signed with the endpoint's keys.
#[test]
fn the_aws_cli_runs_inside_it() {
    let server = StsServer::start();
    server.short_roles(900);
    let out = role_test(&server)
        .args(SERVE_ADMIN)
        .arg(python())
        .args([
            "-m",
            "awscli",
            "sts",
            "get-caller-identity",
            "--output",
            "json",
        ])
        .ok();
    let identity: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(identity["Account"], "123456789012", "{}", out.stdout);
    let call = server.requests().pop().unwrap();
    assert_eq!(call.action(), "GetCallerIdentity");
    assert!(call.access_key().starts_with("ASIAROLESESSION"), "{call:?}");
    assert_eq!(
        call.header("x-amz-security-token"),
        Some("FwoGZXIvYXdzEBYaDH+token/value==")
    );
    // The region is the profile's: the CLI signed for it.
    assert_eq!(call.scope().unwrap().2, "eu-central-1");
}

/// The keys aws-config's default chain reads, twice, a second after the first expired:
/// printed for `aws_config_reads_the_endpoint` by `aws_config_reader`, which it runs as the
/// command (this test binary again).
const READER_LINE: &str = "aws-config read:";

#[test]
#[ignore = "the command of aws_config_reads_the_endpoint"]
fn aws_config_reader() {
    use aws_config::default_provider::credentials::DefaultCredentialsChain;
    use aws_config::provider_config::ProviderConfig;
    use aws_sdk_sts::config::ProvideCredentials;
    use aws_smithy_http_client::Connector;
    use aws_smithy_runtime_api::client::http::{SharedHttpConnector, http_client_fn};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // aws-config without its default features has no HTTP client of its own: plain
        // HTTP, which is all a loopback endpoint needs.
        let http = http_client_fn(|settings, _| {
            SharedHttpConnector::new(
                Connector::builder()
                    .connector_settings(settings.clone())
                    .build_http(),
            )
        });
        let chain = DefaultCredentialsChain::builder()
            .configure(ProviderConfig::default().with_http_client(http))
            .build()
            .await;
        let first = chain.provide_credentials().await.unwrap();
        let expiry = first.expiry().unwrap();
        let wait = expiry
            .duration_since(std::time::SystemTime::now())
            .unwrap_or_default();
        tokio::time::sleep(wait + Duration::from_secs(1)).await;
        let second = chain.provide_credentials().await.unwrap();
        println!(
            "{READER_LINE} {} {} {} {}",
            first.access_key_id(),
            second.access_key_id(),
            first.secret_access_key(),
            first.account_id().map_or("none", |a| a.as_str())
        );
    });
}

#[test]
fn aws_config_reads_the_endpoint() {
    let server = StsServer::start();
    server.short_roles(3);
    let out = role_test(&server)
        .args(SERVE_ADMIN)
        .arg(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "server::aws_config_reader",
            "--ignored",
            "--nocapture",
        ])
        .args(["--test-threads", "1"])
        .ok();
    let line = (out.stdout.lines())
        .find_map(|l| Some(l.split_once(READER_LINE)?.1))
        .unwrap_or_else(|| panic!("no keys read:\n{}", out.stdout));
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.len(), 4, "{line}");
    assert!(words[0].starts_with("ASIAROLESESSION"), "{line}");
    assert!(words[1].starts_with("ASIAROLESESSION"), "{line}");
    assert_ne!(words[0], words[1], "not renewed: {line}");
    assert_eq!(words[2], "sessionSecret/with+slash=");
    assert_eq!(words[3], "210987654321", "the role's account");
    assert_eq!(codes(&server), 1);
}

/// Requests of every kind that a client may send, made by a Python script run as the
/// command; what each got back, as JSON.
const CLIENT: &str = r#"
import json, os, socket, time
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
token = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
port = int(url.rsplit(":", 1)[1].strip("/"))

def connect():
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    return s

def ask(raw):
    s = connect()
    data = b""
    try:
        s.sendall(raw)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        data += b"<reset>"
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1]) if head.startswith(b"HTTP/1.1 ") else head.decode("latin-1")
    try:
        body = json.loads(body)
    except ValueError:
        body = body.decode("latin-1")
    return {"status": status, "body": body, "head": head.decode("latin-1")}

def get(path="/", auth=token, method="GET"):
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if auth is not None:
        lines.append(f"Authorization: {auth}")
    return ask(("\r\n".join(lines) + "\r\n\r\n").encode())

out = {}
out["good"] = get()
out["missing"] = get(auth=None)
out["wrong"] = get(auth=token[:-1] + ("0" if token[-1] != "0" else "1"))
out["post"] = get(method="POST")
out["path"] = get(path="/latest/meta-data/")
out["large"] = ask(b"GET / HTTP/1.1\r\nX-Pad: " + b"a" * 9000 + b"\r\n\r\n")
out["huge"] = ask(b"GET / HTTP/1.1\r\nX-Pad: " + b"a" * 1000000)
out["binary"] = ask(b"\x00\xff\xfe\r\n\r\n")
# Idle connections, more than are served at once: they are answered 408 and closed, and
# a good request is answered before that.
idle = [connect() for _ in range(70)]
start = time.time()
out["crowded"] = get()
out["crowded_after"] = time.time() - start
slow = idle[0]
slow.settimeout(15)
out["slow"] = slow.recv(65536).decode("latin-1").split("\r\n")[0]
for s in idle:
    s.close()
out["after"] = get()
print(json.dumps(out))
"#;

#[test]
fn bad_requests_are_refused_and_the_endpoint_keeps_serving() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let out = Test::dev(&server)
        .args(SERVE_DEV)
        .arg(python())
        .args(["-c", CLIENT])
        .ok();
    let got: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let status = |name: &str| got[name]["status"].as_u64().unwrap_or(0);
    assert_eq!(status("good"), 200, "{}", got["good"]);
    let good = &got["good"]["body"];
    assert_eq!(good["AccessKeyId"], "ASIATESTSESSIONKEY01");
    assert_eq!(good["SecretAccessKey"], "sessionSecret/with+slash=");
    assert_eq!(good["Token"], "FwoGZXIvYXdzEBYaDH+token/value==");
    assert!(good["Expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(good["AccountId"], "123456789012");
    assert!(
        got["good"]["head"]
            .as_str()
            .unwrap()
            .contains("Connection: close")
    );
    for (name, want, code) in [
        ("missing", 403, "AccessDenied"),
        ("wrong", 403, "AccessDenied"),
        ("post", 405, "MethodNotAllowed"),
        ("path", 404, "NotFound"),
        ("large", 431, "RequestHeaderFieldsTooLarge"),
        ("binary", 400, "BadRequest"),
    ] {
        assert_eq!(status(name), want, "{name}: {}", got[name]);
        assert_eq!(got[name]["body"]["code"], code, "{name}");
        assert!(got[name]["body"]["message"].is_string(), "{name}");
    }
    // A head that never ends is cut at the limit: the answer, or a reset when the client
    // is still sending.
    let huge = got["huge"].to_string();
    assert!(huge.contains("431") || huge.contains("<reset>"), "{huge}");
    // The idle connections wait for their head; the good request does not wait for them.
    assert_eq!(status("crowded"), 200, "{}", got["crowded"]);
    let waited = got["crowded_after"].as_f64().unwrap();
    assert!(waited < 1.0, "{waited}");
    assert_eq!(got["slow"], "HTTP/1.1 408 Request Timeout");
    assert_eq!(status("after"), 200);
    // One session, served from memory to every request.
    assert_eq!(server.requests().len(), 1);
}

/// Run as another user (nobody): keeps N connections open to the endpoint at PORT for
/// SECONDS, half of them (IDLE `half`; `all`: none) having sent a request without the token
/// and reading nothing, the others idle, each opened again as soon as the endpoint closes it.
#[cfg(target_os = "linux")] // setpriv (util-linux) runs the flood as another user: Linux only
const FLOOD: &str = r#"
import selectors, socket, sys, time
port, n, seconds, idle = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
sel = selectors.DefaultSelector()
def open_one(i):
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect(("127.0.0.1", port))
        if i % 2 and idle != "all":
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError:
        s.close()
        return
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, i)
for i in range(n):
    open_one(i)
print("flooding", flush=True)
end = time.time() + seconds
while time.time() < end:
    for key, _ in sel.select(0.05):
        try:
            if key.fileobj.recv(65536):
                continue
        except OSError:
            pass
        sel.unregister(key.fileobj)
        key.fileobj.close()
        open_one(key.data)
"#;

/// The command: starts FLOOD as nobody, then asks the endpoint with the token every 0.3 s
/// for 5 s (past the 2 s in which an idle connection is answered 408), and prints the
/// statuses and the longest wait.
#[cfg(target_os = "linux")] // setpriv (util-linux) runs the flood as another user: Linux only
const FLOODED: &str = r#"
import json, os, resource, subprocess, sys, time, urllib.request
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port = url.rsplit(":", 1)[1].strip("/")
flood = subprocess.Popen(["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534",
    "--clear-groups", "/usr/bin/python3", "-c", os.environ["FLOOD"], port,
    os.environ.get("FLOOD_N", "300"), "8", os.environ.get("FLOOD_IDLE", "half")],
    env={}, stdout=subprocess.PIPE, text=True)
assert flood.stdout.readline() == "flooding\n"
req = urllib.request.Request(url, headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
statuses, longest = [], 0.0
end = time.time() + 5
while time.time() < end:
    start = time.time()
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            statuses.append(r.status)
    except Exception as e:
        statuses.append(repr(e))
    longest = max(longest, time.time() - start)
    time.sleep(0.3)
flood.kill()
flood.wait()
print(json.dumps({"statuses": statuses, "longest": longest}))
"#;

#[cfg(target_os = "linux")] // setpriv (util-linux) runs the flood as another user: Linux only
#[test]
fn connections_beyond_the_open_files_limit_do_not_keep_the_command_waiting() {
    // With room for fewer connections than the flood holds, accept fails (EMFILE): the
    // oldest connection without the token is closed to make room.
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = Test::dev(&server)
        .env("FLOOD", FLOOD)
        .env("FLOOD_N", "200")
        .env("FLOOD_IDLE", "all")
        .args(SERVE_DEV)
        .arg(python())
        .args(["-c", FLOODED]);
    let mut cmd = test.command();
    unsafe {
        cmd.pre_exec(|| {
            // The soft limit: the flood, started by the command, raises its own.
            let mut limit = std::mem::zeroed::<libc::rlimit>();
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
            limit.rlim_cur = 128;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{:?}: {stdout} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_flood_waited_little(&stdout);
}

/// Every request of FLOODED got credentials, none waiting a second.
#[cfg(target_os = "linux")] // setpriv (util-linux) runs the flood as another user: Linux only
#[track_caller]
fn assert_flood_waited_little(stdout: &str) {
    let got: serde_json::Value = serde_json::from_str(stdout).unwrap();
    let statuses = got["statuses"].as_array().unwrap();
    assert!(statuses.len() >= 5, "{got}");
    assert!(statuses.iter().all(|s| s == 200), "{got}");
    let longest = got["longest"].as_f64().unwrap();
    assert!(longest < 1.0, "a request waited {longest:.2} s: {got}");
}

#[cfg(target_os = "linux")] // setpriv (util-linux) runs the flood as another user: Linux only
#[test]
fn connections_without_the_token_do_not_keep_the_command_waiting() {
    // 300 connections of another user, idle or refused, each opened again when closed: the
    // command's own requests are answered at once all the same (botocore gives up after 2 s).
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let out = Test::dev(&server)
        .env("FLOOD", FLOOD)
        .args(SERVE_DEV)
        .arg(python())
        .args(["-c", FLOODED])
        .ok();
    assert_flood_waited_little(&out.stdout);
}

/// The command: asks for credentials (mfa-env then renews the role, which STS answers late),
/// and meanwhile opens 300 connections at once, then one more with 0.9 s to connect.
const BURST: &str = r#"
import json, os, socket, threading, time, urllib.request
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
port = int(url.rsplit(":", 1)[1].strip("/"))
req = urllib.request.Request(url, headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
out = {}
def ask():
    with urllib.request.urlopen(req, timeout=20) as r:
        out["renewed"] = r.status
asking = threading.Thread(target=ask)
asking.start()
time.sleep(0.5)
burst = []
for _ in range(300):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    burst.append(s)
time.sleep(0.2)
try:
    socket.create_connection(("127.0.0.1", port), timeout=0.9).close()
    out["connect"] = "connected"
except OSError as e:
    out["connect"] = repr(e)
asking.join()
print(json.dumps(out))
"#;

#[test]
fn a_burst_of_connections_while_a_role_is_renewed_waits_in_the_kernels_queue() {
    // While mfa-env waits for STS, it accepts nothing: a queue of 128 (std's) would be full,
    // and a connection beyond it is retried by the client only after a second.
    let server = StsServer::start();
    server.short_roles(3);
    server
        .reply(Reply::Creds(Creds::default()))
        .reply(Reply::Creds(Creds::default()))
        .reply(Reply::Delay(
            Duration::from_secs(3),
            Box::new(Reply::Creds(Creds::default())),
        ));
    server.always(Reply::Creds(Creds::default()));
    let out = role_test(&server)
        .args(SERVE_ADMIN)
        .arg(python())
        .args(["-c", BURST])
        .ok();
    let got: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(got["connect"], "connected", "{got}");
    assert_eq!(got["renewed"], 200, "{got}");
}

/// Prints the endpoint's URL, then exits with $EXIT.
const SHOW_URL: &str = "echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"; exit \"${EXIT:-0}\"";

#[test]
fn the_commands_status_is_returned_and_the_port_closed_after_it() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    for (script, want) in [
        (SHOW_URL, 0),
        ("exit 3", 3),
        ("exit 255", 255),
        ("kill -TERM $$", 143),
        ("kill -INT $$", 130),
    ] {
        let out = Test::dev(&server)
            .args(SERVE_DEV)
            .args(["sh", "-c", script])
            .run();
        assert_eq!(out.status.code(), Some(want), "{script}: {:?}", out.status);
        if script == SHOW_URL {
            let addr = out
                .stdout
                .trim()
                .trim_start_matches("http://")
                .trim_end_matches('/');
            let refused = std::net::TcpStream::connect(addr).unwrap_err();
            assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        }
    }
}

#[test]
fn a_wrong_profile_fails_before_the_command_starts() {
    let server = StsServer::start();
    let out = Test::dev(&server)
        .args([
            "exec", "--server", "nosuch", "-c", "123456", "--", "echo", "ran",
        ])
        .fails(&["profile 'nosuch' not found"]);
    assert_eq!(out.stdout, "");
    assert!(server.requests().is_empty());
    // A code STS refuses: nothing runs either.
    server.always(Reply::code_rejected());
    let out = Test::dev(&server)
        .args(SERVE_DEV)
        .args(["echo", "ran"])
        .fails(&["MFA"]);
    assert_eq!(out.stdout, "");
}

/// Asks the endpoint twice (raw HTTP), and prints each status and message.
const ASK_TWICE: &str = r#"
import json, os, time, urllib.request
req = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
    headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
out = []
for i in range(3):
    if i:
        time.sleep(float(os.environ.get("PAUSE", "0")))
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            out.append([r.status, json.load(r)["AccessKeyId"]])
    except urllib.error.HTTPError as e:
        out.append([e.code, json.load(e)])
print(json.dumps(out))
"#;

/// ASK_TWICE served a 3-second admin role whose renewal STS refuses with `code`: the MFA
/// session and the first role session are given, then every call gets the error.
pub fn served_with_renewal_refused(server: &StsServer, code: &str, message: &str) -> Output {
    server.short_roles(3);
    server
        .reply(Reply::Creds(Creds::default()))
        .reply(Reply::Creds(Creds::default()));
    server.always(Reply::error(403, code, message));
    role_test(server)
        .args(SERVE_ADMIN)
        .arg(python())
        .args(["-c", ASK_TWICE])
        .ok()
}

#[test]
fn a_renewal_that_fails_is_an_error_for_the_command_said_once() {
    let server = StsServer::start();
    // The role cannot be assumed again.
    let out = served_with_renewal_refused(
        &server,
        "AccessDenied",
        "User is not authorized to perform: sts:AssumeRole",
    );
    let got: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for answer in got.as_array().unwrap() {
        assert_eq!(answer[0], 503, "{got}");
        assert_eq!(answer[1]["code"], "CredentialsUnavailable");
        let message = answer[1]["message"].as_str().unwrap();
        assert!(message.contains("not authorized"), "{message}");
    }
    let said: Vec<&str> = (out.stderr.lines())
        .filter(|l| l.contains("no credentials for the command's request"))
        .collect();
    assert_eq!(said.len(), 1, "{}", out.stderr);
    assert!(said[0].contains("not authorized"), "{}", said[0]);
}

#[test]
fn no_code_is_asked_for_while_the_command_runs() {
    // A 15-minute session, which a 20-minute margin finds too short: a new code is needed,
    // and none can be asked for.
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let out = Test::dev(&server)
        .args([
            "exec",
            "--server",
            "dev",
            "-c",
            "123456",
            "--min-ttl",
            "20m",
            "--",
        ])
        .arg(python())
        .args(["-c", ASK_TWICE])
        .ok();
    let got: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let message = got[0][1]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("needs a new MFA code, and none can be asked for while the command runs"),
        "{got}"
    );
    assert_eq!(
        server.requests().len(),
        1,
        "the code given is not used twice"
    );
    out.stderr_has(&[
        "the dev session needs a new MFA code",
        "run the command again",
    ]);
}

/// mfa-env with `script` as its command, in a session of its own (no terminal), once the
/// command printed `ready`; the lines it prints after that come through the receiver.
fn start(test: &Test, script: &str) -> (Child, std::sync::mpsc::Receiver<String>) {
    let mut cmd = test.command();
    cmd.args(SERVE_DEV).args(["sh", "-c", script]);
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (send, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let _ = send.send(line.unwrap_or_default());
        }
    });
    assert_eq!(next_line(&lines).as_deref(), Some("ready"));
    (child, lines)
}

/// The next line within 10 seconds, if one comes.
fn next_line(lines: &std::sync::mpsc::Receiver<String>) -> Option<String> {
    lines.recv_timeout(Duration::from_secs(10)).ok()
}

/// macOS: exec --server asked for PT_DENY_ATTACH (it holds sessions as long as its command
/// runs): a process that tries to attach to it is refused with SIGSEGV. Its command did not
/// ask: whatever else refuses to trace a system shell, it is not mfa-env's flag.
#[cfg(target_os = "macos")]
#[test]
fn deny_attach_keeps_debuggers_out_of_exec_server_but_not_its_command() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = Test::dev(&server);
    let (mut child, lines) = start(&test, "echo ready; echo $$; sleep 30");
    let command: i32 = next_line(&lines).unwrap().parse().unwrap();
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(try_to_attach(pid), "killed by SIGSEGV");
    assert_ne!(try_to_attach(command), "killed by SIGSEGV");
    unsafe { libc::kill(-pid, libc::SIGKILL) };
    let _ = child.wait();
}

/// Says which signal reached it, and exits 7.
const TRAPS: &str = "for s in TERM HUP INT; do trap \"echo got $s; exit 7\" $s; done; echo ready; \
    while :; do sleep 0.05; done";

#[test]
fn signals_sent_to_mfa_env_reach_the_command() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    for (signal, name) in [
        (libc::SIGTERM, "TERM"),
        (libc::SIGHUP, "HUP"),
        (libc::SIGINT, "INT"),
    ] {
        let test = Test::dev(&server);
        let (mut child, lines) = start(&test, TRAPS);
        let pid = i32::try_from(child.id()).unwrap();
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let got = next_line(&lines);
        if got.is_none() {
            // The command never heard of it: end it (its group is mfa-env's pid).
            unsafe { libc::kill(-pid, libc::SIGKILL) };
        }
        let status = child.wait().unwrap();
        assert_eq!(got, Some(format!("got {name}")), "{status:?}");
        // mfa-env itself lived on, and ended with the command's status.
        assert_eq!(status.code(), Some(7), "{name}: {status:?}");
    }
}

/// Counts the SIGINTs that reach it, and who sent each (si_code 128 is the kernel: the
/// terminal), until three came or two seconds pass without one.
const COUNT_SIGINT: &str = r#"
import os, signal
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
print("ready", flush=True)
seen = []
while len(seen) < 6:
    info = signal.sigtimedwait([signal.SIGINT], 2 if seen else 20)
    if info is None:
        break
    seen.append("kernel" if info.si_code == 128 else "pid %d" % info.si_pid)
    print("SIGINT %d" % len(seen), flush=True)
print("seen: " + ", ".join(seen), flush=True)
"#;

#[test]
fn ctrl_c_at_the_terminal_reaches_the_command_once() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = Test::dev(&server);
    let pty = Pty::open();
    let mut cmd = test.command();
    cmd.args(SERVE_DEV).arg(python()).args(["-c", COUNT_SIGINT]);
    let mut child = pty.spawn(cmd, Wiring::Screen);
    pty.expect("ready", 1);
    for n in 1..=3 {
        pty.send("\x03");
        pty.expect(&format!("SIGINT {n}"), 1);
    }
    let status = ended_within(&mut child, Duration::from_secs(20), &pty);
    let screen = pty.screen();
    assert!(
        screen.contains("seen: kernel, kernel, kernel"),
        "each Ctrl-C once, from the terminal:\n{screen}"
    );
    assert_eq!(status.code(), Some(0), "{status:?}: {screen}");
    assert_eq!(status.signal(), None);
}

#[test]
fn a_session_asked_with_a_duration_serves_past_the_margin() {
    // `--duration` is what the first session lasts, not a demand made again at each renewal
    // (which needed a code once the margin had passed: 503 after --min-ttl).
    let server = StsServer::start();
    let out = Test::dev(&server)
        .env("PAUSE", "1.5")
        .args([
            "exec",
            "--server",
            "dev",
            "-c",
            "123456",
            "--duration",
            "1h",
            "--min-ttl",
            "1s",
            "--",
        ])
        .arg(python())
        .args(["-c", ASK_TWICE])
        .ok();
    assert_all_served(&out);
    assert_eq!(server.calls("GetSessionToken"), 1);
}

#[test]
fn a_short_role_session_is_not_assumed_again_at_every_request() {
    // A 15-minute role session never has the usual 15 minutes left: it is renewed with
    // --min-ttl left instead, and serves the requests before that.
    let server = StsServer::start();
    assert_all_served(&serve_admin_15m(&server, "0.1", "10m"));
    assert_eq!(server.calls("AssumeRole"), 1, "{:#?}", server.requests());
}

/// ASK_TWICE with PAUSE `pause` between its requests, served a `--duration 15m` admin role.
fn serve_admin_15m(server: &StsServer, pause: &str, min_ttl: &str) -> Output {
    role_test(server)
        .env("PAUSE", pause)
        .args(&SERVE_ADMIN[..5])
        .args(["--duration", "15m", "--min-ttl", min_ttl, "--"])
        .arg(python())
        .args(["-c", ASK_TWICE])
        .ok()
}

#[test]
fn ctrl_c_that_ends_the_command_ends_mfa_env_by_it_too() {
    // A script that runs `mfa-env exec --server` stops at Ctrl-C, as it would without
    // mfa-env: a shell goes on after a child that exited 130, not after one SIGINT ended.
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = Test::dev(&server);
    let pty = Pty::open();
    let script = format!(
        "'{BIN}' exec --server dev -c 123456 -- sh -c 'echo ready; sleep 20'; echo NEXT STEP RAN"
    );
    let mut child = script_on(&pty, &test, "bash", &script);
    pty.expect("ready", 1);
    pty.send("\x03");
    let status = ended_within(&mut child, Duration::from_secs(10), &pty);
    let screen = pty.screen();
    assert!(
        !screen.contains("NEXT STEP RAN"),
        "the script went on:\n{screen}"
    );
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}: {screen}");
}

#[test]
fn the_command_ends_when_mfa_env_is_killed() {
    // Left running after mfa-env's SIGKILL (or the OOM killer), the command would ask a closed
    // port that another user could take: a parent-death signal ends it.
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = Test::dev(&server);
    let (mut child, lines) = start(&test, TRAPS);
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let got = next_line(&lines);
    if got.is_none() {
        unsafe { libc::kill(-pid, libc::SIGKILL) };
    }
    let _ = child.wait();
    assert_eq!(got.as_deref(), Some("got TERM"));
}

/// `shell -c script` on `pty`, in the test's sealed environment, as a script that runs
/// mfa-env.
fn script_on(pty: &Pty, test: &Test, shell: &str, script: &str) -> Child {
    let mut cmd = std::process::Command::new(shell);
    cmd.args(["-c", script]);
    let sealed = test.command();
    cmd.env_clear()
        .envs(sealed.get_envs().filter_map(|(k, v)| Some((k, v?))));
    pty.spawn(cmd, Wiring::Screen)
}

/// The child's status once it ends, within `limit` (the screen shown if it does not).
#[track_caller]
fn ended_within(child: &mut Child, limit: Duration, pty: &Pty) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "{}", pty.screen());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every request of ASK_TWICE got credentials.
#[track_caller]
fn assert_all_served(out: &Output) {
    let got: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for answer in got.as_array().unwrap() {
        assert_eq!(answer[0], 200, "{got}");
    }
}

#[test]
fn the_command_knows_its_profile_and_the_prompt_shows_the_server() {
    // As plain exec sets them: a prompt segment inside shows `[admin server]`, not nothing.
    let server = StsServer::start();
    let script = format!(
        "echo \"$MFA_ENV_PROFILE|$MFA_ENV_ROLE|$MFA_ENV_ACCOUNT\"; '{BIN}' status --prompt; '{BIN}' status; '{BIN}' status --json"
    );
    let out = role_test(&server)
        .args(SERVE_ADMIN)
        .args(["sh", "-c", &script])
        .ok();
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("admin|arn:aws:iam::210987654321:role/Admin|210987654321"),
        "{}",
        out.stdout
    );
    assert_eq!(lines.next(), Some("admin server"), "{}", out.stdout);
    let status: Vec<&str> = lines.by_ref().take(6).collect();
    assert_eq!(
        &status[..5],
        [
            "profile     admin",
            "role        arn:aws:iam::210987654321:role/Admin",
            "account     210987654321",
            "access key  -",
            "region      eu-central-1",
        ],
        "{}",
        out.stdout
    );
    assert!(
        status[5].starts_with("expires     served at http://127.0.0.1:")
            && status[5].ends_with("by exec --server, renewed while its command runs"),
        "{}",
        status[5]
    );
    let json: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(json["profile"], "admin");
    assert_eq!(json["expired"], false);
    assert!(
        json["server"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    // Without a role: no role variable, and the prompt says the same.
    let out = Test::dev(&server)
        .args(SERVE_DEV)
        .args(["sh", "-c", &script])
        .ok();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("dev||123456789012"), "{}", out.stdout);
    assert_eq!(lines.next(), Some("dev server"), "{}", out.stdout);
}

#[test]
fn a_short_role_session_is_renewed_with_min_ttl_left() {
    // `--duration 15m`: half its length would be 7.5 minutes, but a session is renewed
    // while it still has --min-ttl (10 minutes by default) left, the margin botocore asks
    // (below 10 minutes it must refresh, and fails when that refresh fails). Role sessions
    // of 10 minutes and 2 seconds: served at once, assumed again a few seconds later.
    let role_runs = |min_ttl: &str| {
        let server = StsServer::start();
        server.short_roles(602);
        assert_all_served(&serve_admin_15m(&server, "3", min_ttl));
        server.calls("AssumeRole")
    };
    let renewed = role_runs("10m");
    assert!(renewed >= 3, "assumed {renewed} times");
    // A smaller --min-ttl: half the length is the margin then, which 10 minutes exceed.
    assert_eq!(role_runs("5m"), 1);
}

/// Left running by the command (`sh -c '... &'`), whose pid it is given: once the command
/// has ended, asks the endpoint every 0.2 s for 8 s and prints each answer. `stubborn`
/// ignores SIGTERM, and tells the command (SIGUSR1) once it does.
const LEFTOVER: &str = r#"
import json, os, signal, sys, time, urllib.request
if sys.argv[1] == "stubborn":
    signal.signal(signal.SIGTERM, lambda *_: print("TERM ignored", flush=True))
    os.kill(int(sys.argv[2]), signal.SIGUSR1)
req = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
    headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
while os.getppid() == int(sys.argv[2]):
    time.sleep(0.02)
end = time.time() + 8
while time.time() < end:
    try:
        urllib.request.urlopen(req, timeout=2)
        print("served", flush=True)
    except urllib.error.HTTPError as e:
        print("%d %s" % (e.code, json.load(e)["message"]), flush=True)
    except Exception as e:
        print("failed " + type(e).__name__, flush=True)
    time.sleep(0.2)
print("survived", flush=True)
"#;

#[test]
fn what_the_command_leaves_running_is_refused_and_ended_before_the_port_is_freed() {
    // Left running past mfa-env, a background process would ask a closed port that another
    // user could bind and answer with credentials of their choosing.
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let python = python();
    let python = python.display();
    let script = format!(
        "trap 'ready=1' USR1; for kind in plain stubborn; do '{python}' -c \"$LEFTOVER\" $kind $$ & \
        echo \"leftover $!\"; done; while [ -z \"$ready\" ]; do sleep 0.02; done"
    );
    let out = Test::dev(&server)
        .env("LEFTOVER", LEFTOVER)
        .args(SERVE_DEV)
        .args(["sh", "-c", &script])
        .ok();
    let pids: Vec<i32> = (out.stdout.lines())
        .filter_map(|l| l.strip_prefix("leftover ")?.parse().ok())
        .collect();
    assert_eq!(pids.len(), 2, "{}", out.stdout);
    for pid in pids {
        assert!(ended(pid), "{pid} still runs:\n{}", out.stdout);
    }
    let answers: Vec<&str> = (out.stdout.lines())
        .filter(|l| !l.starts_with("leftover ") && *l != "TERM ignored")
        .collect();
    assert!(!answers.is_empty(), "{}", out.stdout);
    for answer in answers {
        assert_eq!(
            answer, "403 the command has ended: mfa-env serves no more credentials",
            "{}",
            out.stdout
        );
    }
    // The stubborn one heard SIGTERM, and was killed.
    assert!(out.stdout.contains("TERM ignored"), "{}", out.stdout);
}

#[test]
fn an_agent_the_command_started_is_left_running_and_the_rest_is_ended() {
    // An rc file's `init --agent` in the shell of exec --server starts the user's agent there
    // when none runs: it keeps every shell's sessions and never asks the endpoint, so it
    // outlives the command; what else the command left is ended.
    use crate::support::agent::{Agent, agent_pid};
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = Test::dev(&server).with_runtime_dir().args(SERVE_DEV).args([
        "sh",
        "-c",
        "mfa-env agent start --idle-exit 5m; sleep 300 & echo \"leftover $!\"",
    ]);
    let out = test.ok();
    let leftover: i32 = (out.stdout.lines())
        .find_map(|l| l.strip_prefix("leftover ")?.parse().ok())
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(ended(leftover), "{leftover} still runs:\n{}", out.stdout);
    let agent = Agent {
        pid: agent_pid(&test).expect("the agent the command started still answers"),
    };
    assert!(!ended(agent.pid));
}

#[test]
fn the_shell_started_without_a_command_ends_when_mfa_env_is_killed() {
    // An interactive shell ignores SIGTERM: it gets SIGHUP, as at a hangup. mfa-env is not
    // the terminal's session leader here (as when run from a shell), so the kernel's own
    // hangup does not come.
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    let test = Test::dev(&server).env("SHELL", "/bin/bash");
    let pty = Pty::open();
    let script = format!("'{BIN}' exec --server dev -c 123456; sleep 30");
    let mut child = script_on(&pty, &test, "sh", &script);
    pty.expect("while /bin/bash runs", 1);
    pty.send("echo \"PIDS=$(( $$ + 0 )):$(( $PPID + 0 ))\"\n");
    pty.expect("PIDS=", 2);
    let screen = pty.screen();
    let pids = screen.rsplit("PIDS=").next().unwrap();
    let (shell, mfa_env) = pids.split_once(':').unwrap();
    let shell: i32 = shell.trim().parse().unwrap();
    let mfa_env: i32 = (mfa_env.chars().take_while(char::is_ascii_digit))
        .collect::<String>()
        .parse()
        .unwrap();
    assert_eq!(unsafe { libc::kill(mfa_env, libc::SIGKILL) }, 0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ended(shell) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let survived = !ended(shell);
    if survived {
        unsafe { libc::kill(shell, libc::SIGKILL) };
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(!survived, "the shell outlived mfa-env:\n{}", pty.screen());
}
