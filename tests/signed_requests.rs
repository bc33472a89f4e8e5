//! Against moto's STS and IAM with authentication on: the requests are signed the way AWS
//! checks them, and the exported session works for the next tool. (moto does not check MFA
//! codes; the test STS server's tests cover those.)

use crate::support::moto::Moto;
use crate::support::shells::Sh;
use crate::support::*;

/// Create alice with a key and a virtual MFA device, and a role she may assume with an
/// ExternalId; then turn moto's authentication on. Prints key id, secret, serial, role ARN.
const SETUP: &str = r#"
import json, sys, urllib.request
import boto3
url = sys.argv[1]
kw = dict(endpoint_url=url, region_name="us-east-1",
          aws_access_key_id="AKIAMOTOADMIN0000000", aws_secret_access_key="admin")
iam = boto3.client("iam", **kw)
iam.create_user(UserName="alice")
key = iam.create_access_key(UserName="alice")["AccessKey"]
mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
iam.enable_mfa_device(UserName="alice", SerialNumber=mfa["SerialNumber"],
                      AuthenticationCode1="123456", AuthenticationCode2="654321")
account = "123456789012"
trust = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{account}:user/alice"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"sts:ExternalId": "ext-42"}}}]}
role = iam.create_role(RoleName="Admin", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
allow = lambda actions: json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": actions, "Resource": "*"}]})
iam.put_user_policy(UserName="alice", PolicyName="assume",
                    PolicyDocument=allow(["sts:AssumeRole", "sts:GetCallerIdentity"]))
iam.put_role_policy(RoleName="Admin", PolicyName="whoami",
                    PolicyDocument=allow(["sts:GetCallerIdentity"]))
req = urllib.request.Request(url + "/moto-api/reset-auth", data=b"0",
                             headers={"Content-Type": "text/plain"}, method="POST")
urllib.request.urlopen(req).read()
print(key["AccessKeyId"], key["SecretAccessKey"], mfa["SerialNumber"], role["Arn"])
"#;

struct Account {
    key_id: String,
    secret: String,
    serial: String,
    role: String,
}

fn account(moto: &Moto) -> Account {
    let out = moto.python(SETUP, &[]);
    let words: Vec<&str> = out.split_whitespace().collect();
    let [key_id, secret, serial, role] = words[..] else {
        panic!("setup printed {out:?}")
    };
    Account {
        key_id: key_id.into(),
        secret: secret.into(),
        serial: serial.into(),
        role: role.into(),
    }
}

fn test(moto: &Moto, a: &Account, secret: &str, external_id: &str) -> Test {
    Test::new()
        .config(&format!(
            "[profile alice]\nmfa_serial = {}\nregion = us-east-1\n\n[profile admin]\nrole_arn = {}\nsource_profile = alice\nexternal_id = {external_id}\nrole_session_name = alice-session\n",
            a.serial, a.role
        ))
        .credentials(&format!(
            "[alice]\naws_access_key_id = {}\naws_secret_access_key = {secret}\n",
            a.key_id
        ))
        .env("AWS_ENDPOINT_URL_STS", &moto.url)
}

#[test]
fn moto_accepts_the_signed_assume_role_and_the_exported_session() {
    let moto = Moto::start();
    let a = account(&moto);
    // The whole path a user takes: eval in bash, then another tool (boto3) signs with the
    // session from the environment. It prints `ARN=...` NUL-terminated, read like `env -0`.
    let python = Moto::python_path();
    let out = test(&moto, &a, &a.secret, "ext-42")
        .env("MOTO_PYTHON", &python.display().to_string())
        .shell(
            Sh::Bash,
            "eval \"$(\"$MFA_ENV\" admin --code 123456)\" && \"$MOTO_PYTHON\" -c 'import boto3, os; print(\"ARN=\" + boto3.client(\"sts\").get_caller_identity()[\"Arn\"], end=\"\\0\")'",
        );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        out.env.get("ARN").map(String::as_str),
        Some("arn:aws:sts::123456789012:assumed-role/Admin/alice-session"),
        "{:?} {}",
        out.env,
        out.stderr
    );
}

#[test]
fn moto_rejects_a_wrong_secret_and_mfa_env_says_so() {
    let moto = Moto::start();
    let a = account(&moto);
    let out = test(
        &moto,
        &a,
        "not-the-secret-0000000000000000000000000",
        "ext-42",
    )
    .args(["admin", "-c", "123456"])
    .fails(&["secret access key does not belong to access key", &a.key_id]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    let unknown = Account {
        key_id: "AKIAUNKNOWNKEY000000".into(),
        ..a
    };
    test(&moto, &unknown, &unknown.secret, "ext-42")
        .args(["admin", "-c", "123456"])
        .fails(&["AWS does not know the access key AKIAUNKNOWNKEY000000"]);
}

#[test]
fn moto_refuses_a_wrong_external_id() {
    let moto = Moto::start();
    let a = account(&moto);
    test(&moto, &a, &a.secret, "wrong")
        .args(["admin", "-c", "123456"])
        .fails(&["not authorized to assume role", &a.role, "external_id"]);
}
