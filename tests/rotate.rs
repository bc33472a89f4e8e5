//! `mfa-env rotate PROFILE` against moto's IAM and STS with signatures checked, through a
//! proxy: moto 5.2.5 refuses its own GetSessionToken credentials once authentication is on, so
//! the proxy answers a GetSessionToken that moto accepted with a role session moto does accept
//! (AliceSession, allowed the IAM calls), and passes every other request to moto byte for
//! byte, where its signature is checked. The proxy also refuses, on demand, one step of the
//! rotation (CreateAccessKey, the new key's GetCallerIdentity, DeleteAccessKey), and logs
//! every request: the action, the key that signed it, whether it carried a code.

use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::moto::Moto;
use crate::support::shells::Sh;
use crate::support::*;

/// alice with a key, an MFA device, the role whose session stands for her MFA session, and
/// policies that let both call what rotate calls. Prints the key, the secret, the serial and
/// the role session's key, secret and token.
const SETUP: &str = r#"
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
if len(sys.argv) > 2 and sys.argv[2] == "second-key":
    iam.create_access_key(UserName="alice")
allow = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
    "sts:AssumeRole", "sts:GetSessionToken", "sts:GetCallerIdentity", "iam:ListAccessKeys",
    "iam:CreateAccessKey", "iam:DeleteAccessKey"], "Resource": "*"}]})
alice = "arn:aws:iam::123456789012:user/alice"
trust = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": [alice]}, "Action": "sts:AssumeRole"}]})
iam.create_role(RoleName="AliceSession", AssumeRolePolicyDocument=trust)
iam.put_user_policy(UserName="alice", PolicyName="mine", PolicyDocument=allow)
iam.put_role_policy(RoleName="AliceSession", PolicyName="mine", PolicyDocument=allow)
sts = boto3.client("sts", **kw, aws_access_key_id=key["AccessKeyId"],
                   aws_secret_access_key=key["SecretAccessKey"])
c = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/AliceSession",
                    RoleSessionName="alice-mfa")["Credentials"]
req = urllib.request.Request(url + "/moto-api/reset-auth", data=b"0",
                             headers={"Content-Type": "text/plain"}, method="POST")
urllib.request.urlopen(req).read()
print(key["AccessKeyId"], key["SecretAccessKey"], mfa["SerialNumber"],
      c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
"#;

/// In front of moto (argv: moto's URL, the role session's key id, secret and token, alice's
/// first key id, and what to refuse: `none`, `CreateAccessKey`, `DeleteAccessKey`, `verify`
/// (GetCallerIdentity signed by any other key than the first and the session), or `verify:N`
/// (the first N of those)). Prints its URL, then per request: the action, the key id that
/// signed it, `token`/`no-token`, `code`/`no-code`, and the status answered.
const PROXY: &str = r#"
import datetime, http.client, http.server, re, sys, threading, urllib.parse
moto = urllib.parse.urlparse(sys.argv[1])
key_id, secret, token, first_key, refuse = sys.argv[2:7]
lock = threading.Lock()
refused = [0]
def refusal(action, signer):
    if refuse == action:
        return (403, "AccessDenied", f"refused {action} for the test")
    if action == "GetCallerIdentity" and signer not in (first_key, key_id):
        if refuse == "verify":
            return (403, "InvalidClientTokenId", "The security token included in the request is invalid.")
        if refuse.startswith("verify:"):
            with lock:
                if refused[0] < int(refuse.split(":")[1]):
                    refused[0] += 1
                    return (403, "InvalidClientTokenId", "The security token included in the request is invalid.")
    return None
class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        form = urllib.parse.parse_qs(body.decode())
        action = form.get("Action", ["?"])[0]
        found = re.search(r"Credential=([^/]+)/", self.headers.get("Authorization", ""))
        signer = found.group(1) if found else "-"
        refused_now = refusal(action, signer)
        if refused_now:
            status, code, message = refused_now
            ns = "https://iam.amazonaws.com/doc/2010-05-08/" if "2010-05-08" in form.get("Version", [""])[0] else "https://sts.amazonaws.com/doc/2011-06-15/"
            answer = (f"<ErrorResponse xmlns=\"{ns}\"><Error><Type>Sender</Type><Code>{code}</Code>"
                      f"<Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>").encode()
            kind = "text/xml"
        else:
            conn = http.client.HTTPConnection(moto.hostname, moto.port, timeout=30)
            conn.putrequest("POST", self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                conn.putheader(name, value)
            conn.endheaders(body)
            got = conn.getresponse()
            status, answer = got.status, got.read()
            kind = got.getheader("Content-Type", "text/xml")
            conn.close()
        print(action, signer,
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

/// What a key can do in moto now (argv: key id, secret, serial): its caller's ARN or the
/// error code, GetSessionToken's outcome, and alice's access keys.
const CHECK: &str = r#"
import sys, boto3, botocore
url, key, secret, serial = sys.argv[1:5]
kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
          aws_secret_access_key=secret)
def outcome(call):
    try:
        return call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
sts = boto3.client("sts", **kw)
print(outcome(lambda: sts.get_caller_identity()["Arn"]))
print(outcome(lambda: sts.get_session_token(SerialNumber=serial, TokenCode="123456")
              and "session"))
"#;

/// alice's access keys, listed with a key that may list them (argv: key id, secret).
const KEYS: &str = r#"
import sys, boto3
url, key, secret = sys.argv[1:4]
iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id=key,
                   aws_secret_access_key=secret)
print(" ".join(sorted(k["AccessKeyId"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"])))
"#;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// moto with alice, the proxy in front, and a test whose files name alice's key.
struct World {
    moto: Moto,
    _proxy: Killed,
    log: Arc<Mutex<Vec<String>>>,
    key_id: String,
    secret: String,
    serial: String,
    session_key: String,
    test: Test,
}

/// The credentials file: alice's key among other profiles, comments and odd spacing, so
/// that a rewrite that touches any other byte shows.
fn credentials(key_id: &str, secret: &str) -> String {
    format!(
        "# keys, by hand\n[other]\naws_access_key_id=AKIAOTHERKEY00000001\naws_secret_access_key =  otherSecret\n\n[alice]\r\naws_access_key_id = {key_id}\r\n# between the two\r\nregion=us-east-1\r\naws_secret_access_key = {secret}\r\n; end of alice\n[later]\naws_access_key_id = AKIALATERKEY00000001\naws_secret_access_key = laterSecret"
    )
}

/// `world`, its test in a session with a keyring of its own (Linux: the Secret Service).
#[cfg(target_os = "linux")]
fn keyring_world(refuse: &str) -> (World, crate::support::keyring::Keyring) {
    let w = world(refuse, &[]);
    let keyring = crate::support::keyring::Keyring::start(&w.test);
    let w = World {
        test: keyring.session(w.test),
        ..w
    };
    (w, keyring)
}

fn world(refuse: &str, setup: &[&str]) -> World {
    let moto = Moto::start();
    let out = moto.python(SETUP, setup);
    let words: Vec<&str> = out.split_whitespace().collect();
    let [
        key_id,
        secret,
        serial,
        session_key,
        session_secret,
        session_token,
    ] = words[..]
    else {
        panic!("setup printed {out:?}")
    };
    let mut proxy = Killed(
        Command::new(Moto::python_path())
            .args([
                "-c",
                PROXY,
                &moto.url,
                session_key,
                session_secret,
                session_token,
                key_id,
                refuse,
            ])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(proxy.0.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let into = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            into.lock().unwrap().push(line);
        }
    });
    let test = Test::new()
        .config(&format!(
            "[profile alice]\nmfa_serial = {serial}\nregion = us-east-1\n\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/AliceSession\nsource_profile = alice\n"
        ))
        .credentials(&credentials(key_id, secret))
        .env("AWS_ENDPOINT_URL_STS", &url)
        .env("AWS_ENDPOINT_URL_IAM", &url);
    let path = test.home().join(".aws/credentials");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let test = test.may_write(path);
    World {
        moto,
        _proxy: proxy,
        log,
        key_id: key_id.to_owned(),
        secret: secret.to_owned(),
        serial: serial.to_owned(),
        session_key: session_key.to_owned(),
        test,
    }
}

impl World {
    fn path(&self) -> std::path::PathBuf {
        self.test.home().join(".aws/credentials")
    }

    fn file(&self) -> String {
        fs::read_to_string(self.path()).unwrap()
    }

    /// The key alice's profile holds now, read from the file.
    fn stored(&self) -> (String, String) {
        let text = self.file();
        let section = text.split("[alice]").nth(1).unwrap();
        let value = |key: &str| {
            section
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key} = ")))
                .unwrap()
                .trim_end_matches('\r')
                .to_owned()
        };
        (value("aws_access_key_id"), value("aws_secret_access_key"))
    }

    /// (caller's ARN or error code, GetSessionToken's outcome) for a key, in moto.
    fn can(&self, key: &str, secret: &str) -> (String, String) {
        let out = self.moto.python(CHECK, &[key, secret, &self.serial]);
        let mut lines = out.lines().map(str::to_owned);
        (lines.next().unwrap(), lines.next().unwrap())
    }

    /// alice's key ids in moto, listed with a working key of hers.
    fn keys(&self, key: &str, secret: &str) -> Vec<String> {
        let out = self.moto.python(KEYS, &[key, secret]);
        out.split_whitespace().map(str::to_owned).collect()
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn rotate(&self, extra: &[&str]) -> Output {
        let mut args = vec!["rotate", "alice", "--code", "123456"];
        args.extend_from_slice(extra);
        self.test.run_with(&args)
    }

    /// The file is as it was, with its mode.
    #[track_caller]
    fn assert_file_as_before(&self) {
        assert_eq!(self.file(), credentials(&self.key_id, &self.secret));
        assert_mode(&self.path());
        self.assert_no_leftover();
    }

    #[track_caller]
    fn assert_no_leftover(&self) {
        let mut names: Vec<_> = fs::read_dir(self.test.home().join(".aws"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["config", "credentials"],
            "a temporary file was left"
        );
    }
}

const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

#[track_caller]
fn assert_mode(path: &std::path::Path) {
    let mode = fs::metadata(path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o640, "the file's mode changed");
}

#[test]
fn one_code_rotates_the_key_and_the_file_changes_only_there() {
    let w = world("none", &[]);
    let out = w.rotate(&[]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let (new_id, new_secret) = w.stored();
    assert_ne!(new_id, w.key_id);
    assert!(new_id.starts_with("AKIA"), "{new_id}");
    out.stderr_has(&[
        &format!("rotating access key {} of profile 'alice'", w.key_id),
        &format!("created access key {new_id}"),
        &format!("deleted the old key {}", w.key_id),
        &format!("rotated: profile 'alice' holds {new_id}"),
    ]);
    assert!(!out.stderr.contains(&new_secret), "{}", out.stderr);
    // Only the two values changed; the mode is the same; no temporary file is left.
    assert_eq!(
        w.file(),
        credentials(&new_id, &new_secret),
        "another byte changed"
    );
    assert_mode(&w.path());
    w.assert_no_leftover();
    // In moto: the new key works, for GetSessionToken too; the old one is gone.
    assert_eq!(
        w.can(&new_id, &new_secret),
        (ALICE.to_owned(), "session".to_owned())
    );
    assert_eq!(w.can(&w.key_id, &w.secret).0, "InvalidClientTokenId");
    assert_eq!(w.keys(&new_id, &new_secret), vec![new_id.clone()]);
    // One code in all: one GetSessionToken, signed by the old key, and every IAM call signed
    // by the MFA session it gave.
    let log = w.log();
    let old = &w.key_id;
    let session = &w.session_key;
    assert_eq!(
        log,
        [
            format!("GetCallerIdentity {old} no-token no-code 200"),
            format!("GetSessionToken {old} no-token code 200"),
            format!("ListAccessKeys {session} token no-code 200"),
            format!("CreateAccessKey {session} token no-code 200"),
            format!("GetCallerIdentity {new_id} no-token no-code 200"),
            format!("DeleteAccessKey {session} token no-code 200"),
        ]
    );
    // doctor reads the new key's age from moto's IAM, signed with the key itself.
    let doctor = w.test.run_with(&["doctor", "alice"]);
    assert!(doctor.status.success(), "{}", doctor.stderr);
    doctor.stderr_has(&[&format!("pass  access key {new_id} created "), "(today)"]);
    // The AWS CLI's reader gets the new key from the rewritten file.
    let botocore = w.test.home().join(".aws/credentials");
    let read = std::process::Command::new(Moto::python_path())
        .args([
            "-c",
            "import sys, botocore.session as s; c = s.Session(profile='alice'); c.set_config_variable('credentials_file', sys.argv[1]); k = c.get_credentials(); print(k.access_key, k.secret_key)",
        ])
        .arg(&botocore)
        .env_clear()
        .env("HOME", w.test.home())
        .env("AWS_CONFIG_FILE", w.test.home().join(".aws/config"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&read.stdout).trim(),
        format!("{new_id} {new_secret}"),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
}

#[test]
fn a_role_profile_rotates_its_source_profiles_key() {
    let w = world("none", &[]);
    let out = w.test.run_with(&["rotate", "admin", "--code", "123456"]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&["profile 'admin' gets its keys from profile 'alice': rotating that key"]);
    let (new_id, new_secret) = w.stored();
    assert_eq!(w.file(), credentials(&new_id, &new_secret));
}

#[test]
fn a_refused_create_changes_nothing() {
    let w = world("CreateAccessKey", &[]);
    let out = w.rotate(&[]);
    assert!(!out.status.success());
    out.stderr_has(&[
        "IAM denied CreateAccessKey (AccessDenied: refused CreateAccessKey for the test)",
        &format!("nothing changed: profile 'alice' keeps {}", w.key_id),
        "iam:CreateAccessKey",
    ]);
    w.assert_file_as_before();
    assert_eq!(w.keys(&w.key_id, &w.secret), vec![w.key_id.clone()]);
    assert_eq!(w.can(&w.key_id, &w.secret).0, ALICE);
}

#[test]
fn a_new_key_sts_never_accepts_is_deleted_and_the_old_one_put_back() {
    let w = world("verify", &[]);
    let out = w.rotate(&[]);
    assert!(!out.status.success());
    out.stderr_has(&[
        "STS does not know the new key yet; trying again for up to 20s",
        "STS did not accept the new key ",
        "within 20s",
        "InvalidClientTokenId",
        &format!(
            "was deleted again and the old key stored again: profile 'alice' keeps {}, which works",
            w.key_id
        ),
    ]);
    // Bounded: 20 s of tries, and a little for the calls around them.
    assert!(
        out.elapsed >= Duration::from_secs(15) && out.elapsed < Duration::from_secs(30),
        "{:?}",
        out.elapsed
    );
    w.assert_file_as_before();
    assert_eq!(w.keys(&w.key_id, &w.secret), vec![w.key_id.clone()]);
    assert_eq!(w.can(&w.key_id, &w.secret).0, ALICE);
    let tries = w
        .log()
        .iter()
        .filter(|l| l.starts_with("GetCallerIdentity") && !l.contains(&w.key_id))
        .count();
    assert!((4..=10).contains(&tries), "{tries} tries: {:?}", w.log());
}

#[test]
fn a_new_key_sts_learns_late_is_tried_again() {
    // IAM's eventual consistency: STS refuses the new key twice, then takes it.
    let w = world("verify:2", &[]);
    let out = w.rotate(&[]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&["STS does not know the new key yet; trying again"]);
    let (new_id, new_secret) = w.stored();
    assert_eq!(w.keys(&new_id, &new_secret), vec![new_id.clone()]);
    let tries: Vec<_> = w
        .log()
        .into_iter()
        .filter(|l| l.starts_with(&format!("GetCallerIdentity {new_id}")))
        .collect();
    assert_eq!(tries.len(), 3, "{tries:?}");
}

#[test]
fn a_refused_delete_leaves_the_new_key_stored_and_says_how_to_delete_the_old() {
    let w = world("DeleteAccessKey", &[]);
    let out = w.rotate(&[]);
    assert!(!out.status.success());
    let (new_id, new_secret) = w.stored();
    out.stderr_has(&[
        &format!(
            "profile 'alice' holds the new key {new_id}, which works, but the old key {} is still active: IAM denied DeleteAccessKey",
            w.key_id
        ),
        &format!(
            "aws iam delete-access-key --user-name alice --access-key-id {}",
            w.key_id
        ),
    ]);
    assert_eq!(w.file(), credentials(&new_id, &new_secret));
    assert_mode(&w.path());
    // Both keys work: the stored one, and the old one until it is deleted.
    assert_eq!(w.can(&new_id, &new_secret).0, ALICE);
    assert_eq!(w.can(&w.key_id, &w.secret).0, ALICE);
    let mut both = vec![w.key_id.clone(), new_id.clone()];
    both.sort();
    assert_eq!(w.keys(&new_id, &new_secret), both);
}

#[test]
fn two_keys_are_refused_naming_both() {
    let w = world("none", &["second-key"]);
    let before = w.keys(&w.key_id, &w.secret);
    assert_eq!(before.len(), 2);
    let out = w.rotate(&[]);
    assert!(!out.status.success());
    let other = before.iter().find(|k| **k != w.key_id).unwrap();
    out.stderr_has(&[
        "alice has two access keys, IAM's limit, so no new one can be made: ",
        &format!("{} (profile 'alice', active, created ", w.key_id),
        &format!("{other} (active, created "),
        &format!("aws iam delete-access-key --user-name alice --access-key-id {other}"),
    ]);
    w.assert_file_as_before();
    assert_eq!(w.keys(&w.key_id, &w.secret), before);
    assert!(!w.log().iter().any(|l| l.starts_with("CreateAccessKey")));
}

#[test]
fn the_shells_mfa_session_signs_with_no_code_and_is_removed_when_the_output_is_evaluated() {
    let w = world("none", &[]);
    // What `mfa-env alice` exported into the shell: the MFA session (the proxy's stand-in).
    let export = w
        .test
        .run_with(&["alice", "--code", "123456", "-f", "bash"]);
    assert!(export.status.success(), "{}", export.stderr);
    let script = format!(
        "{}\neval \"$(mfa-env rotate alice)\" || exit 9\nenv",
        export.stdout
    );
    let run = w.test.shell(Sh::Bash, &script);
    assert!(run.status.success(), "{}", run.stderr);
    for needle in [
        "the MFA session this shell holds signs the calls: no code needed",
        "this shell's session of the old key (alice) is removed",
    ] {
        assert!(run.stderr.contains(needle), "{needle:?}:\n{}", run.stderr);
    }
    for gone in ["AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "MFA_ENV_PROFILE"] {
        assert!(!run.env.contains_key(gone), "{gone} is still set");
    }
    // One code in all: the export's.
    let log = w.log();
    assert_eq!(
        log.iter().filter(|l| l.contains(" code ")).count(),
        1,
        "{log:?}"
    );
    let (new_id, new_secret) = w.stored();
    assert_eq!(w.keys(&new_id, &new_secret), vec![new_id.clone()]);
}

#[test]
fn no_code_while_the_agent_holds_the_mfa_session_and_it_forgets_the_old_keys_sessions() {
    let World {
        test,
        key_id,
        log,
        moto: _moto,
        _proxy,
        ..
    } = world("none", &[]);
    let test = test.with_runtime_dir();
    let _agent = test.start_agent();
    let export = test.run_with(&["alice", "--code", "123456", "-f", "bash"]);
    assert!(export.status.success(), "{}", export.stderr);
    // No code, and no terminal to ask one on: the agent's MFA session signs everything.
    let out = test.run_with(&["rotate", "alice"]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&[
        "the session comes from the agent: no code needed",
        "the agent forgot 1 session(s) of the old key",
        "rotated: profile 'alice' holds ",
    ]);
    let calls = log.lock().unwrap().clone();
    let codes: Vec<_> = calls.iter().filter(|l| l.contains(" code ")).collect();
    assert_eq!(
        codes,
        [&format!("GetSessionToken {key_id} no-token code 200")],
        "{calls:?}"
    );
    let status = test.run_with(&["agent", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["sessions"].as_array().unwrap().len(), 0, "{status}");
}

// Linux only: setpriv (util-linux) runs mfa-env as nobody, whom the folder's mode stops (root
// writes anywhere).
#[cfg(target_os = "linux")]
#[test]
fn a_new_key_that_cannot_be_stored_is_deleted_again() {
    let w = world("none", &[]);
    let aws = w.test.home().join(".aws");
    for (path, mode) in [
        (w.test.dir.path().to_owned(), 0o755),
        (w.test.home(), 0o755),
        (w.test.tmp(), 0o777),
        (w.path(), 0o644),
        (aws.clone(), 0o555),
    ] {
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    let sealed = w
        .test
        .command_with(&["rotate", "alice", "--code", "123456"]);
    let mut cmd = Command::new("/usr/bin/setpriv");
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(sealed.get_program())
        .args(sealed.get_args())
        .env_clear()
        .envs(sealed.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .stdin(Stdio::null());
    let out = cmd.output().unwrap();
    fs::set_permissions(&aws, fs::Permissions::from_mode(0o755)).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(out.stdout, b"");
    let created = w
        .log()
        .iter()
        .find_map(|l| l.strip_prefix("CreateAccessKey "))
        .map(str::to_owned)
        .expect("a key was created");
    assert!(created.ends_with(" 200"), "{created}");
    for needle in [
        "cannot create ",
        ".credentials.mfa-env-",
        &format!(
            "was deleted again: profile 'alice' keeps {}, which works",
            w.key_id
        ),
    ] {
        assert!(
            stderr.contains(needle),
            "stderr lacks {needle:?}:\n{stderr}"
        );
    }
    assert!(!stderr.contains(&w.secret));
    assert_eq!(w.file(), credentials(&w.key_id, &w.secret));
    w.assert_no_leftover();
    assert_eq!(w.keys(&w.key_id, &w.secret), vec![w.key_id.clone()]);
    assert_eq!(w.can(&w.key_id, &w.secret).0, ALICE);
}

#[test]
fn the_code_is_asked_once_on_the_terminal() {
    use crate::support::pty::{Pty, Wiring};
    let w = world("none", &[]);
    let pty = Pty::open();
    // As inside `eval "$(mfa-env rotate alice)"`: only /dev/tty reaches the person.
    let child = pty.spawn(
        w.test.command_with(&["rotate", "alice"]),
        Wiring::Redirected,
    );
    let prompt = format!("MFA code for alice ({})", w.serial);
    pty.expect(&prompt, 1);
    pty.send("123456\r");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("mfa-env: rotated: profile 'alice' holds "),
        "{stderr}"
    );
    assert_eq!(
        pty.screen().matches("MFA code for").count(),
        1,
        "{}",
        pty.screen()
    );
    let codes = w.log().iter().filter(|l| l.contains(" code ")).count();
    assert_eq!(codes, 1, "{:?}", w.log());
    let (new_id, new_secret) = w.stored();
    assert_eq!(w.file(), credentials(&new_id, &new_secret));
}

/// An IAM answer (the test server stands for IAM as it does for STS).
fn iam_answer(action: &str, result: &str) -> Reply {
    Reply::Raw {
        status: 200,
        body: format!(
            "<{action}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>4e1b5a3e-0000-4000-8000-000000000000</RequestId></ResponseMetadata></{action}Response>"
        ),
    }
}

#[test]
fn a_new_key_iam_sends_in_another_form_is_never_written_and_deleted_again() {
    // A secret with a line break would write a section of its own into the file.
    let server = StsServer::start();
    server.reply(Reply::Creds(Creds::default())); // GetCallerIdentity
    server.reply(Reply::Creds(Creds::default())); // GetSessionToken
    server.reply(iam_answer(
        "ListAccessKeys",
        &format!("<AccessKeyMetadata><member><UserName>alice</UserName><AccessKeyId>{KEY_ID}</AccessKeyId><Status>Active</Status><CreateDate>2026-01-02T03:04:05Z</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated>"),
    ));
    server.reply(iam_answer(
        "CreateAccessKey",
        "<AccessKey><UserName>alice</UserName><AccessKeyId>AKIANEWKEY0000000001</AccessKeyId><Status>Active</Status><SecretAccessKey>s&#10;[evil]&#10;credential_process = touch /tmp/x</SecretAccessKey><CreateDate>2026-12-01T00:00:00Z</CreateDate></AccessKey>",
    ));
    server.reply(iam_answer("DeleteAccessKey", ""));
    let test = Test::dev(&server)
        .iam(&server)
        .args(["rotate", "dev", "--code", "123456"]);
    let before = fs::read(test.home().join(".aws/credentials")).unwrap();
    let out = test.fails(&[
            "IAM's new key AKIANEWKEY0000000001 is not in the form IAM's keys take",
            "the new key AKIANEWKEY0000000001 was deleted again: profile 'dev' keeps AKIAEXAMPLEDEV00001",
        ]);
    assert!(!out.stderr.contains("evil"), "{}", out.stderr);
    let actions: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.action().to_owned())
        .collect();
    assert_eq!(
        actions,
        [
            "GetCallerIdentity",
            "GetSessionToken",
            "ListAccessKeys",
            "CreateAccessKey",
            "DeleteAccessKey"
        ]
    );
    let delete = server.requests().pop().unwrap();
    assert_eq!(delete.param("AccessKeyId"), Some("AKIANEWKEY0000000001"));
    assert_eq!(delete.param("UserName"), Some("alice"));
    let (key, _, region, service) = delete.scope().unwrap();
    assert_eq!(
        (key.as_str(), region.as_str(), service.as_str()),
        ("ASIATESTSESSIONKEY01", "us-east-1", "iam")
    );
    assert_eq!(
        fs::read(test.home().join(".aws/credentials")).unwrap(),
        before
    );
}

#[test]
fn a_profile_without_an_mfa_device_is_refused_before_any_call() {
    let server = StsServer::start();
    Test::new()
        .config("[profile dev]\nregion = eu-west-1\n")
        .credentials(CREDENTIALS)
        .sts(&server)
        .iam(&server)
        .args(["rotate", "dev", "--code", "123456"])
        .fails(&[
            "profile 'dev' has no mfa_serial: rotate signs its IAM calls with an MFA session",
            "mfa-env setup dev",
        ]);
    assert!(server.requests().is_empty());
}

// Linux only: the Secret Service (macOS's Keychain cannot be driven headless here).
#[cfg(target_os = "linux")]
#[test]
fn a_key_in_the_keyring_is_rotated_there() {
    let (w, keyring) = keyring_world("none");
    // The key moves into the keyring, rotate replaces it there, and `keys print` gives the
    // new one, which the AWS tools would read.
    let import = w.test.run_with(&["keys", "import", "alice"]);
    assert!(import.status.success(), "{}", import.stderr);
    let out = w.rotate(&[]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&["item of profile 'alice'", "rotated: profile 'alice' holds "]);
    let print = w.test.run_with(&["keys", "print", "alice"]);
    assert!(print.status.success(), "{}", print.stderr);
    let printed: serde_json::Value = serde_json::from_str(&print.stdout).unwrap();
    let new_id = printed["AccessKeyId"].as_str().unwrap().to_owned();
    let new_secret = printed["SecretAccessKey"].as_str().unwrap().to_owned();
    assert_ne!(new_id, w.key_id);
    assert!(!out.stderr.contains(&new_secret));
    assert_eq!(keyring.search(), ["alice"]);
    // In moto: only the new key, and it works.
    assert_eq!(w.keys(&new_id, &new_secret), vec![new_id.clone()]);
    assert_eq!(
        w.can(&new_id, &new_secret),
        (ALICE.to_owned(), "session".to_owned())
    );
    assert_eq!(w.can(&w.key_id, &w.secret).0, "InvalidClientTokenId");
    // The file names the keyring and holds no key; rotate did not touch it.
    let file = w.file();
    assert!(
        file.contains("credential_process = mfa-env keys print alice"),
        "{file}"
    );
    for key in [&w.key_id, &w.secret, &new_id, &new_secret] {
        assert!(!file.contains(key.as_str()), "{file}");
    }
    // One code in all.
    let log = w.log();
    assert_eq!(
        log.iter().filter(|l| l.contains(" code ")).count(),
        1,
        "{log:?}"
    );
    // No secret anywhere under HOME or TMPDIR but in the keyring's own encrypted file.
    for (path, (bytes, _)) in snapshot(w.test.dir.path()) {
        if path.starts_with(keyring.keyrings()) {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        for secret in [&w.secret, &new_secret] {
            assert!(
                !text.contains(secret.as_str()),
                "{} holds a secret",
                path.display()
            );
        }
    }
}

/// ListAccessKeys' answer: the dev key, created `days` days ago.
fn listed_created(days: i64) -> Reply {
    let created = mfa_env::time::rfc3339(mfa_env::time::now() - days * 86_400);
    iam_answer(
        "ListAccessKeys",
        &format!(
            "<AccessKeyMetadata><member><UserName>alice</UserName><AccessKeyId>{KEY_ID}</AccessKeyId><Status>Active</Status><CreateDate>{created}</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated>"
        ),
    )
}

#[test]
fn keys_list_age_shows_iams_creation_date_and_warns_past_90_days() {
    let server = StsServer::start();
    server.reply(listed_created(120));
    let test = Test::dev(&server).iam(&server);
    let out = test.run_with(&["keys", "list", "--age"]);
    assert!(out.status.success(), "{}", out.stderr);
    let date = &mfa_env::time::rfc3339(mfa_env::time::now() - 120 * 86_400)[..10];
    assert!(
        out.stdout.contains(&format!(
            ", created {date} (120 days ago): over 90 days, `mfa-env rotate dev` replaces it"
        )),
        "{}",
        out.stdout
    );
    let list = server.only_request();
    assert_eq!(list.action(), "ListAccessKeys");
    assert_eq!(list.access_key(), KEY_ID);
    // JSON: seconds since the epoch; a refusal is null, and said in text.
    server.reply(listed_created(3));
    let out = test.run_with(&["keys", "list", "--age", "--json"]);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let created = rows[0]["created"].as_i64().unwrap();
    assert!(
        (mfa_env::time::now() - 3 * 86_400 - created).abs() < 60,
        "{rows}"
    );
    server.reply(Reply::error(403, "AccessDenied", "MFA required"));
    let out = test.run_with(&["keys", "list", "--age"]);
    assert!(
        out.stdout
            .contains(", age unknown: IAM denied ListAccessKeys (AccessDenied: MFA required)"),
        "{}",
        out.stdout
    );
    // Without --age, no call.
    let calls = server.requests().len();
    assert!(test.run_with(&["keys", "list"]).status.success());
    assert_eq!(server.requests().len(), calls);
}

#[test]
fn a_key_another_credential_process_gives_is_refused_before_any_call() {
    let server = StsServer::start();
    Test::new()
        .config(&format!("[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n"))
        .credentials("[dev]\ncredential_process = op read op://vault/aws-dev\n")
        .sts(&server)
        .iam(&server)
        .args(["rotate", "dev", "--code", "123456"])
        .fails(&[
            "profile 'dev' gets its key from `credential_process = op read op://vault/aws-dev`, where mfa-env cannot store a new one",
            "mfa-env keys add dev",
        ]);
    assert!(server.requests().is_empty());
}

// Linux only: the Secret Service, as above.
#[cfg(target_os = "linux")]
#[test]
fn a_new_key_sts_never_accepts_leaves_the_old_key_in_the_keyring() {
    let (w, _keyring) = keyring_world("verify");
    let import = w.test.run_with(&["keys", "import", "alice"]);
    assert!(import.status.success(), "{}", import.stderr);
    let out = w.rotate(&[]);
    assert!(!out.status.success());
    out.stderr_has(&[
        "STS did not accept the new key ",
        &format!(
            "was deleted again and the old key stored again: profile 'alice' keeps {}, which works",
            w.key_id
        ),
    ]);
    let print = w.test.run_with(&["keys", "print", "alice"]);
    let printed: serde_json::Value = serde_json::from_str(&print.stdout).unwrap();
    assert_eq!(printed["AccessKeyId"], w.key_id.as_str());
    assert_eq!(printed["SecretAccessKey"], w.secret.as_str());
    assert_eq!(w.keys(&w.key_id, &w.secret), vec![w.key_id.clone()]);
}
