//! `mfa-env doctor PROFILE`: every check passing, and each failing once.

use std::fs;

use crate::support::*;

fn doctor(server: &StsServer) -> Test {
    Test::dev(server).args(["doctor", "dev"])
}

/// `doctor dev` with these files.
fn doctor_with(server: &StsServer, config: &str, credentials: &str) -> Test {
    Test::new()
        .config(config)
        .credentials(credentials)
        .sts(server)
        .args(["doctor", "dev"])
}

/// The run fails, with exactly one failed check, whose lines hold each of `needles`.
#[track_caller]
fn fails_once(test: &Test, needles: &[&str]) -> Output {
    let out = test.fails(needles);
    assert_eq!(out.stdout, "");
    let failed: Vec<_> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("mfa-env: FAIL"))
        .collect();
    assert_eq!(failed.len(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("mfa-env:       fix: "),
        "no fix:\n{}",
        out.stderr
    );
    out.stderr_has(&["1 of ", " checks failed"]);
    out
}

#[test]
fn all_checks_pass() {
    let server = StsServer::start();
    let out = doctor(&server).ok();
    assert_eq!(out.stdout, "");
    assert!(
        !out.stderr.contains("FAIL") && !out.stderr.contains("skip"),
        "{}",
        out.stderr
    );
    out.stderr_has(&[
        "pass  files read: ",
        ".aws/config, ",
        "pass  profile 'dev' found",
        "pass  long-term keys in profile 'dev' (access key AKIAEXAMPLEDEV00001)",
        &format!("pass  mfa_serial {SERIAL}"),
        "pass  region eu-west-1",
        &format!(
            "pass  STS endpoint {} (from AWS_ENDPOINT_URL_STS)\n",
            server.url
        ),
        &format!("pass  STS at {} answered in ", server.url),
        "pass  clock within 5 minutes of STS's",
        "pass  keys valid: they belong to arn:aws:iam::123456789012:user/alice (account 123456789012)",
        "pass  export asks for a 12h session with GetSessionToken, with a code from arn:aws:iam::123456789012:mfa/alice",
        "pass  no AWS_PROFILE or AWS_DEFAULT_PROFILE",
        "all 11 checks passed",
    ]);
    let req = server.only_request();
    assert_eq!(req.action(), "GetCallerIdentity");
    assert_eq!(req.access_key(), KEY_ID);
}

#[test]
fn unreadable_files() {
    let server = StsServer::start();
    let test = Test::new()
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["doctor", "dev"]);
    fs::create_dir(test.config_path()).unwrap();
    fails_once(
        &test,
        &["FAIL  cannot read", "it is a directory", "skip  profile"],
    );
    assert!(server.requests().is_empty());
}

#[test]
fn no_files() {
    let server = StsServer::start();
    let out = fails_once(
        &Test::new().sts(&server).args(["doctor", "dev"]),
        &[
            "FAIL  no AWS config files: ",
            ".aws/config and ",
            ".aws/credentials do not exist",
            "aws configure --profile dev",
        ],
    );
    // One line says it: no "files read" line before the failure.
    assert!(!out.stderr.contains("files read"), "{}", out.stderr);
    // One file is enough to go on with.
    Test::new()
        .credentials(&format!("{CREDENTIALS}mfa_serial = {SERIAL}\n"))
        .sts(&server)
        .args(["doctor", "dev"])
        .ok()
        .stderr_has(&["pass  files read: ", ".aws/config (missing), "]);
}

#[test]
fn no_such_profile() {
    let server = StsServer::start();
    fails_once(
        &Test::dev(&server).args(["doctor", "dve"]),
        &["FAIL  profile 'dve' not found", "did you mean 'dev'?"],
    );
    assert!(server.requests().is_empty());
}

#[test]
fn no_keys() {
    let server = StsServer::start();
    fails_once(
        &doctor_with(&server, CONFIG, ""),
        &[
            "FAIL  profile 'dev' has no long-term keys",
            "aws configure --profile dev",
        ],
    );
    assert!(server.requests().is_empty());
}

#[test]
fn temporary_keys() {
    let server = StsServer::start();
    fails_once(
        &doctor_with(
            &server,
            CONFIG,
            &format!("{CREDENTIALS}aws_session_token = FwoGZXIvYXdzEBYaDH+token/value==\n"),
        ),
        &["FAIL  profile 'dev' holds temporary session credentials"],
    );
}

#[test]
fn no_mfa_serial() {
    let server = StsServer::start();
    fails_once(
        &doctor_with(&server, "[profile dev]\nregion = eu-west-1\n", CREDENTIALS),
        &[
            "FAIL  profile 'dev' has no mfa_serial",
            "fix: run `mfa-env setup dev`",
        ],
    );
}

#[test]
fn malformed_mfa_serial() {
    let server = StsServer::start();
    fails_once(
        &doctor_with(
            &server,
            "[profile dev]\nmfa_serial = arn:aws:iam::1234:mfa/alice\n",
            CREDENTIALS,
        ),
        &["FAIL  'arn:aws:iam::1234:mfa/alice' is not an MFA device ARN"],
    );
}

#[test]
fn mfa_process_that_cannot_run() {
    let server = StsServer::start();
    fails_once(
        &doctor_with(
            &server,
            &format!("{CONFIG}mfa_process = no-such-totp-program --now\n"),
            CREDENTIALS,
        ),
        &[
            "FAIL  mfa_process `no-such-totp-program --now`: the program 'no-such-totp-program' is not found",
        ],
    );
    let out = doctor_with(
        &server,
        &format!("{CONFIG}mfa_process = sh -c 'echo 123456'\n"),
        CREDENTIALS,
    )
    .ok();
    out.stderr_has(&[
        "pass  mfa_process `sh -c 'echo 123456'` runs /",
        "all 12 checks passed",
    ]);
}

#[test]
fn bad_region() {
    let server = StsServer::start();
    fails_once(
        &doctor(&server)
            .env("AWS_REGION", "x")
            .args(["--region", "eu west"]),
        &["FAIL  'eu west' from --region is not an AWS region name"],
    );
    assert!(server.requests().is_empty());
}

#[test]
fn bad_endpoint() {
    fails_once(
        &Test::new()
            .config(CONFIG)
            .credentials(CREDENTIALS)
            .env("AWS_ENDPOINT_URL_STS", "sts.example.com")
            .args(["doctor", "dev"]),
        &["FAIL  the STS endpoint 'sts.example.com' is not an http:// or https:// URL"],
    );
    let out = fails_once(
        &Test::new()
            .config(CONFIG)
            .credentials(CREDENTIALS)
            .env("AWS_ENDPOINT_URL", "http://sts.example.com")
            .args(["doctor", "dev"]),
        &[
            "FAIL  the STS endpoint http://sts.example.com (from AWS_ENDPOINT_URL) is plain http to another computer",
            "fix: use https://; for a local emulator on another host (LocalStack in docker compose), set MFA_ENV_ALLOW_HTTP=1",
        ],
    );
    assert!(!out.raw_stderr.contains("using STS endpoint"));
}

#[test]
fn broken_role_chain() {
    let server = StsServer::start();
    // The loop is the one failure: its profiles have no mfa_serial, and that is not
    // reported as a second failure (the chain has no device to find).
    let out = fails_once(
        &Test::new()
            .config(&format!(
                "{CONFIG}[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n\
                 [profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n"
            ))
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(["doctor", "a"]),
        &[
            "FAIL  the source_profile chain loops: a -> b -> a",
            "skip  long-term keys",
            "skip  mfa_serial: the role chain is broken",
        ],
    );
    assert!(out.stderr.contains("skip  keys valid"), "{}", out.stderr);
    // A sound chain passes and checks the keys at its end.
    let out = Test::new()
        .config(&format!(
            "{CONFIG}[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\nmfa_serial = {SERIAL}\n"
        ))
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["doctor", "admin"])
        .ok();
    out.stderr_has(&[
        "pass  role chain admin -> dev",
        "long-term keys in profile 'dev'",
    ]);
    assert_eq!(server.only_request().access_key(), KEY_ID);
}

#[test]
fn a_role_profile_takes_its_source_profiles_mfa_serial() {
    let server = StsServer::start();
    let roles = format!(
        "{CONFIG}[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n\
         [profile deep]\nrole_arn = arn:aws:iam::123456789012:role/deep\nsource_profile = admin\n"
    );
    for name in ["admin", "deep"] {
        let out = Test::new()
            .config(&roles)
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(["doctor", name])
            .ok();
        out.stderr_has(&[
            &format!("pass  mfa_serial {SERIAL} (from profile 'dev')"),
            "all 12 checks passed",
        ]);
        assert!(!out.stderr.contains("has no mfa_serial"), "{}", out.stderr);
    }
    // A role that names no device anywhere is assumed without MFA: a warning, not a failure.
    let out = Test::new()
        .config(
            "[profile dev]\nregion = eu-west-1\n\
             [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n",
        )
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["doctor", "admin"])
        .ok();
    out.stderr_has(&[
        "warn  no mfa_serial in profile 'admin' or along its source_profile chain",
        "mfa-env setup admin",
        "all 12 checks passed, 1 with a warning",
    ]);
}

#[test]
fn profile_variables_that_shadow_a_session_are_a_warning() {
    // Export removes them from the shell it sets up: the session works, and doctor passes.
    let server = StsServer::start();
    let out = doctor(&server).env("AWS_PROFILE", "prod").ok();
    out.stderr_has(&[
        "warn  AWS_PROFILE=prod set: export removes it",
        "fix: remove it from your shell's startup files",
        "all 11 checks passed, 1 with a warning",
    ]);
    assert!(!out.stderr.contains("FAIL"), "{}", out.stderr);
    doctor(&server)
        .env("AWS_DEFAULT_PROFILE", "prod")
        .ok()
        .stderr_has(&["warn  AWS_DEFAULT_PROFILE=prod set"]);
}

#[test]
fn sts_unreachable() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    fails_once(
        &Test::new()
            .config(CONFIG)
            .credentials(CREDENTIALS)
            .env("AWS_ENDPOINT_URL_STS", &format!("http://127.0.0.1:{port}"))
            .args(["doctor", "dev"]),
        &[
            "FAIL  cannot reach STS at http://127.0.0.1:",
            "skip  clock",
            "skip  keys valid",
        ],
    );
}

#[test]
fn clock_off() {
    let server = StsServer::start();
    server.clock_offset(-(10 * 60 + 3));
    fails_once(
        &doctor(&server),
        &[
            "FAIL  this computer's clock is 10 min ",
            "ahead of STS's",
            "timedatectl set-ntp true",
        ],
    );
    server.clock_offset(4 * 60);
    doctor(&server)
        .ok()
        .stderr_has(&["pass  clock within 5 minutes of STS's (", " behind)"]);
}

#[test]
fn keys_invalid() {
    let server = StsServer::start();
    server.reply(Reply::error(
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    ));
    fails_once(
        &doctor(&server),
        &[
            "FAIL  AWS does not know the access key AKIAEXAMPLEDEV00001",
            "pass  clock within",
        ],
    );
}

#[test]
fn what_export_refuses_doctor_fails_by_the_same_check() {
    let server = StsServer::start();
    // A role's name where its ARN belongs: every check before passes, and export refuses it.
    let role = |role: &str| {
        Test::new()
            .config(&format!(
                "{CONFIG}[profile admin]\nrole_arn = {role}\nsource_profile = dev\n"
            ))
            .credentials(CREDENTIALS)
            .sts(&server)
    };
    let export = role("Admin").args(["admin", "--code", "123456"]).fails(&[]);
    let refused = export
        .stderr
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("mfa-env: ");
    assert!(refused.contains("is not a role ARN"), "{}", export.stderr);
    fails_once(
        &role("Admin").args(["doctor", "admin"]),
        &[
            &format!("FAIL  {refused}"),
            "fix: it looks like arn:aws:iam::123456789012:role/Admin",
        ],
    );
    // duration_seconds past a role's limit: refused by export before the call, so by doctor.
    fails_once(
        &doctor_with(
            &server,
            &format!("{CONFIG}duration_seconds = 172800\n"),
            CREDENTIALS,
        ),
        &[
            "FAIL  ",
            "GetSessionToken",
            "fix: pass --duration between 15m and 36h",
        ],
    );
    fails_once(
        &role("arn:aws:iam::123456789012:role/admin\nduration_seconds = 50000")
            .args(["doctor", "admin"]),
        &[
            "FAIL  ",
            "AssumeRole",
            "fix: pass --duration between 15m and 12h",
        ],
    );
    fails_once(
        &role("arn:aws:iam::123456789012:role/admin\nrole_session_name = a b")
            .args(["doctor", "admin"]),
        &["FAIL  role_session_name 'a b' is not a valid session name"],
    );
    // Doctor goes on to the checks of the network, and asks for no session.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.action() == "GetCallerIdentity")
    );
    // A sound role: what export will ask for.
    role("arn:aws:iam::123456789012:role/admin")
        .args(["doctor", "admin"])
        .ok()
        .stderr_has(&[&format!(
            "pass  export asks for a 1h session of arn:aws:iam::123456789012:role/admin, with a code from {SERIAL}"
        )]);
}

#[test]
fn a_credential_process_profile_that_runs_mfa_env_checks_the_profile_it_exports() {
    let server = StsServer::start();
    let with = |line: &str| {
        Test::new()
            .config(&format!(
                "{CONFIG}[profile dev-mfa]\ncredential_process = {line}\n"
            ))
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(["doctor", "dev-mfa"])
    };
    // The README's own profile.
    let out = with("mfa-env --format process dev").ok();
    out.stderr_has(&[
        "pass  profile 'dev-mfa' found",
        "pass  credential_process `mfa-env --format process dev`: checking profile 'dev', as that command would export it",
        "pass  profile 'dev' found",
        &format!("pass  mfa_serial {SERIAL}"),
        "pass  keys valid",
    ]);
    assert!(!out.stderr.contains("mfa-env setup"), "{}", out.stderr);
    assert_eq!(server.only_request().access_key(), KEY_ID);
    // Its options count, as export reads them.
    with("/usr/local/bin/mfa-env export -f process dev -d 2h --region eu-west-2")
        .ok()
        .stderr_has(&[
            "pass  region eu-west-2",
            "pass  export asks for a 2h session with GetSessionToken",
        ]);
    fails_once(
        &with("mfa-env --format process dev --role-arn Admin"),
        &["FAIL  'Admin' (from --role-arn on the command line) is not a role ARN"],
    );
    // What the AWS tools cannot read, or mfa-env cannot run, is the failure.
    fails_once(
        &with("mfa-env dev"),
        &[
            "FAIL  credential_process `mfa-env dev` prints shell statements: the AWS tools read only credential_process JSON",
            "fix: add --format process",
        ],
    );
    fails_once(
        &with("mfa-env --format process dev --bogus"),
        &[
            "FAIL  credential_process `mfa-env --format process dev --bogus` is not a command line mfa-env accepts: unexpected argument '--bogus'",
        ],
    );
    fails_once(
        &with("mfa-env --format process dev-mfa"),
        &[
            "FAIL  credential_process `mfa-env --format process dev-mfa` asks mfa-env for profile 'dev-mfa' itself",
        ],
    );
    fails_once(
        &with("mfa-env --format process nowhere"),
        &["FAIL  profile 'nowhere' not found"],
    );
    // Another program's credential_process is the profile's key source: run as export runs it.
    with("aws-vault export --format=json dev").fails(&[
        "FAIL  cannot run credential_process of profile 'dev-mfa' `aws-vault export --format=json dev`: 'aws-vault': No such file or directory",
    ]);
}

/// ListAccessKeys' answer: the dev key, created `days` days ago.
fn access_keys(days: i64) -> Reply {
    let created = mfa_env::time::rfc3339(mfa_env::time::now() - days * 86_400);
    Reply::Raw {
        status: 200,
        body: format!(
            "<ListAccessKeysResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><ListAccessKeysResult><UserName>alice</UserName><AccessKeyMetadata><member><UserName>alice</UserName><AccessKeyId>{KEY_ID}</AccessKeyId><Status>Active</Status><CreateDate>{created}</CreateDate></member></AccessKeyMetadata><IsTruncated>false</IsTruncated></ListAccessKeysResult><ResponseMetadata><RequestId>4e1b5a3e-0000-4000-8000-000000000000</RequestId></ResponseMetadata></ListAccessKeysResponse>"
        ),
    }
}

#[test]
fn the_keys_age_comes_from_iam_and_past_90_days_is_a_warning() {
    let server = StsServer::start();
    server.reply(Reply::Creds(Creds::default()));
    server.reply(access_keys(10));
    let out = doctor(&server).iam(&server).ok();
    let date = &mfa_env::time::rfc3339(mfa_env::time::now() - 10 * 86_400)[..10];
    out.stderr_has(&[
        &format!("pass  access key {KEY_ID} created {date} (10 days ago)"),
        "all 12 checks passed",
    ]);
    let requests = server.requests();
    let list = &requests[1];
    assert_eq!(list.action(), "ListAccessKeys");
    assert_eq!(list.param("UserName"), Some("alice"));
    let (key, _, region, service) = list.scope().unwrap();
    assert_eq!(
        (key.as_str(), region.as_str(), service.as_str()),
        (KEY_ID, "us-east-1", "iam")
    );

    let server = StsServer::start();
    server.reply(Reply::Creds(Creds::default()));
    server.reply(access_keys(120));
    let out = doctor(&server).iam(&server).ok();
    out.stderr_has(&[
        &format!("warn  access key {KEY_ID} was created "),
        "(120 days ago): rotate keys every 90 days (CIS AWS Foundations)",
        "fix: `mfa-env rotate dev` replaces it, with one MFA code",
        "all 12 checks passed, 1 with a warning",
    ]);
}

#[test]
fn a_key_age_iam_will_not_tell_without_mfa_fails_nothing() {
    let server = StsServer::start();
    server.reply(Reply::Creds(Creds::default()));
    server.reply(Reply::error(
        403,
        "AccessDenied",
        "User is not authorized to perform iam:ListAccessKeys with an explicit deny (MFA)",
    ));
    let out = doctor(&server).iam(&server).ok();
    out.stderr_has(&[
        "info  access key age unknown: IAM denied ListAccessKeys (AccessDenied: User is not authorized",
        "(IAM may allow it only with MFA)",
        "all 11 checks passed",
    ]);
    // IAM at AWS's own endpoint while STS is elsewhere: not asked at all.
    let server = StsServer::start();
    let out = doctor(&server).ok();
    out.stderr_has(&["info  access key age not asked: STS is at a configured endpoint"]);
    assert_eq!(server.only_request().action(), "GetCallerIdentity");
}
