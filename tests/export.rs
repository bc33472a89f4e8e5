//! `mfa-env PROFILE`: the STS request, the output, and every failure before and after it.

use crate::support::*;

#[test]
fn calls_get_session_token_with_the_profile_keys_serial_and_code() {
    let server = StsServer::start();
    let creds = Creds::fixed();
    server.always(Reply::Creds(creds.clone()));
    let out = Test::export(&server).ok();
    let req = server.only_request();
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/");
    assert_eq!(req.action(), "GetSessionToken");
    assert_eq!(req.param("Version"), Some("2011-06-15"));
    assert_eq!(req.param("SerialNumber"), Some(SERIAL));
    assert_eq!(req.param("TokenCode"), Some("123456"));
    assert_eq!(req.param("DurationSeconds"), Some("43200"));
    let (key, _, region, service) = req.scope().expect("SigV4 Authorization header");
    assert_eq!(
        (key.as_str(), region.as_str(), service.as_str()),
        (KEY_ID, "eu-west-1", "sts")
    );
    assert_eq!(req.header("x-amz-security-token"), None);
    let expiration = &creds.expiration;
    assert_eq!(
        out.stdout,
        format!(
            "export AWS_ACCESS_KEY_ID=ASIATESTSESSIONKEY01\n\
             export AWS_SECRET_ACCESS_KEY=sessionSecret/with+slash=\n\
             export AWS_SESSION_TOKEN=FwoGZXIvYXdzEBYaDH+token/value==\n\
             export AWS_CREDENTIAL_EXPIRATION='{expiration}'\n\
             export AWS_SESSION_EXPIRATION='{expiration}'\n\
             export AWS_REGION=eu-west-1\n\
             export AWS_DEFAULT_REGION=eu-west-1\n\
             export MFA_ENV_PROFILE=dev\n\
             export MFA_ENV_ROLE=''\n\
             export MFA_ENV_ACCOUNT=123456789012\n\
             export MFA_ENV_ACCESS_KEY_ID=ASIATESTSESSIONKEY01\n\
             export MFA_ENV_MFA_SERIAL='arn:aws:iam::123456789012:mfa/alice'\n\
             export MFA_ENV_LONG_TERM_KEY_ID='****************0001'\n\
             export MFA_ENV_REGION=eu-west-1\n\
             unset AWS_PROFILE\n\
             unset AWS_DEFAULT_PROFILE\n\
             unset AWS_SECURITY_TOKEN\n"
        )
    );
    let until = mfa_env::time::clock(
        mfa_env::time::parse_rfc3339(expiration).unwrap(),
        mfa_env::time::now(),
    );
    assert!(
        out.stderr
            .starts_with(&format!("mfa-env: dev session valid until {until} ("))
            && out.stderr.ends_with(")\n")
            && out.stderr.lines().count() == 1,
        "{}",
        out.stderr
    );
}

/// The time shown is local (TZ, here POSIX strings that need no time-zone files), with the
/// zone's name or offset; the variables stay UTC.
#[test]
fn the_time_shown_is_local_and_the_variables_stay_utc() {
    let server = StsServer::start();
    let creds = Creds::fixed();
    server.always(Reply::Creds(creds.clone()));
    let expiration = mfa_env::time::parse_rfc3339(&creds.expiration).unwrap();
    // Zones without summer time, so that the offset is the same on any date.
    for (tz, offset, zone) in [
        ("JST-9", 9 * 3600, "JST"),
        ("<-03>3", -3 * 3600, "UTC-03:00"),
        ("HST10", -10 * 3600, "HST"),
    ] {
        let local = mfa_env::time::rfc3339(expiration + offset);
        let out = Test::export(&server).env("TZ", tz).ok();
        out.stderr_has(&[&format!(
            "mfa-env: dev session valid until {} {zone} (",
            &local[11..16]
        )]);
        assert!(
            out.stdout.contains(&format!(
                "export AWS_CREDENTIAL_EXPIRATION='{}'\n",
                creds.expiration
            )),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn says_how_long_the_session_lasts() {
    let server = StsServer::start();
    let out = Test::export(&server).args(["-d", "90m"]).ok();
    let until = mfa_env::time::rfc3339(mfa_env::time::now() + 5400);
    // The minute may turn between the server's answer and this line.
    let next = mfa_env::time::rfc3339(mfa_env::time::now() + 5460);
    assert!(
        out.stderr
            == format!(
                "mfa-env: dev session valid until {} UTC (1h30m)\n",
                &until[11..16]
            )
            || out.stderr
                == format!(
                    "mfa-env: dev session valid until {} UTC (1h30m)\n",
                    &next[11..16]
                ),
        "{}",
        out.stderr
    );
}

#[test]
fn each_shell_gets_its_own_statements() {
    let server = StsServer::start();
    let fish = Test::dev(&server)
        .args(["dev", "-c", "123456", "-s", "fish"])
        .ok();
    assert!(
        fish.stdout
            .starts_with("set -gx AWS_ACCESS_KEY_ID 'ASIATESTSESSIONKEY01'\n"),
        "{}",
        fish.stdout
    );
    assert!(fish.stdout.ends_with("set -gx MFA_ENV_PROFILE 'dev'\nset -gx MFA_ENV_ROLE ''\nset -gx MFA_ENV_ACCOUNT '123456789012'\nset -gx MFA_ENV_ACCESS_KEY_ID 'ASIATESTSESSIONKEY01'\nset -gx MFA_ENV_MFA_SERIAL 'arn:aws:iam::123456789012:mfa/alice'\nset -gx MFA_ENV_LONG_TERM_KEY_ID '****************0001'\nset -gx MFA_ENV_REGION 'eu-west-1'\nset -e -g AWS_PROFILE; set -qU AWS_PROFILE; and echo 'mfa-env: fish keeps a universal AWS_PROFILE (set -U) for every session; it was left as it is: remove it with `set -eU AWS_PROFILE`' >&2; or true\nset -e -g AWS_DEFAULT_PROFILE; set -qU AWS_DEFAULT_PROFILE; and echo 'mfa-env: fish keeps a universal AWS_DEFAULT_PROFILE (set -U) for every session; it was left as it is: remove it with `set -eU AWS_DEFAULT_PROFILE`' >&2; or true\nset -e -g AWS_SECURITY_TOKEN; set -qU AWS_SECURITY_TOKEN; and echo 'mfa-env: fish keeps a universal AWS_SECURITY_TOKEN (set -U) for every session; it was left as it is: remove it with `set -eU AWS_SECURITY_TOKEN`' >&2; or true\n"));
    let pwsh = Test::dev(&server)
        .args(["dev", "-c", "123456", "-s", "pwsh"])
        .ok();
    assert!(
        pwsh.stdout
            .starts_with("$Env:AWS_ACCESS_KEY_ID = 'ASIATESTSESSIONKEY01'\n"),
        "{}",
        pwsh.stdout
    );
    assert!(pwsh.stdout.ends_with(
        "Remove-Item -LiteralPath Env:AWS_SECURITY_TOKEN -ErrorAction SilentlyContinue\n"
    ));
    let zsh = Test::dev(&server)
        .args(["export", "dev", "--mfa-token", "123456", "--shell", "zsh"])
        .ok();
    assert!(
        zsh.stdout
            .starts_with("export AWS_ACCESS_KEY_ID=ASIATESTSESSIONKEY01\n")
    );
}

#[test]
fn the_named_profile_signs_even_when_the_environment_holds_another_session() {
    let server = StsServer::start();
    Test::export(&server)
        .env("AWS_ACCESS_KEY_ID", "ASIAOTHERSESSION0000")
        .env("AWS_SECRET_ACCESS_KEY", "otherSecret")
        .env("AWS_SESSION_TOKEN", "otherToken")
        .env("AWS_PROFILE", "prod")
        .env("AWS_DEFAULT_PROFILE", "prod")
        .ok();
    let req = server.only_request();
    assert_eq!(req.access_key(), KEY_ID);
    assert_eq!(req.header("x-amz-security-token"), None);
}

#[test]
fn duration_from_the_flag_then_the_profile() {
    let server = StsServer::start();
    Test::export(&server).args(["-d", "90m"]).ok();
    Test::new()
        .config(&format!("{CONFIG}duration_seconds = 3600\n"))
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["dev", "-c", "123456"])
        .ok();
    let durations: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.param("DurationSeconds").unwrap().to_owned())
        .collect();
    assert_eq!(durations, ["5400", "3600"]);
}

#[test]
fn durations_outside_what_sts_accepts_are_refused_before_any_call() {
    let server = StsServer::start();
    Test::export(&server)
        .args(["-d", "14m"])
        .fails(&["15m to 36h", "14m was asked"]);
    Test::export(&server)
        .args(["-d", "36h1s"])
        .fails(&["15m to 36h"]);
    Test::export(&server)
        .args(["-d", "soon"])
        .fails(&["not a duration"]);
    assert!(server.requests().is_empty());
}

#[test]
fn serial_number_and_region_overrides() {
    let server = StsServer::start();
    let other = "arn:aws:iam::123456789012:mfa/other";
    let out = Test::export(&server)
        .args(["--serial-number", other, "--region", "ap-south-1"])
        .ok();
    let req = server.only_request();
    assert_eq!(req.param("SerialNumber"), Some(other));
    assert_eq!(req.scope().unwrap().2, "ap-south-1");
    assert!(out.stdout.contains("export AWS_REGION=ap-south-1\n"));
}

#[test]
fn region_falls_back_to_the_environment_then_us_east_1() {
    let server = StsServer::start();
    let config = "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n";
    let test = || {
        Test::new()
            .config(config)
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(["dev", "-c", "123456"])
    };
    test().env("AWS_DEFAULT_REGION", "eu-west-3").ok();
    test()
        .env("AWS_DEFAULT_REGION", "eu-west-3")
        .env("AWS_REGION", "eu-central-1")
        .ok();
    test().ok();
    let regions: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.scope().unwrap().2)
        .collect();
    assert_eq!(regions, ["eu-west-3", "eu-central-1", "us-east-1"]);
}

#[test]
fn files_from_aws_config_file_and_aws_shared_credentials_file() {
    let server = StsServer::start();
    let test = Test::new().sts(&server).args(["work", "-c", "123456"]);
    std::fs::write(
        test.home().join("cfg"),
        "[profile work]\nmfa_serial = arn:aws:iam::123456789012:mfa/w\n",
    )
    .unwrap();
    std::fs::write(
        test.home().join("creds"),
        "[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = s\n",
    )
    .unwrap();
    let creds = test.home().join("creds").display().to_string();
    test.env("AWS_CONFIG_FILE", "~/cfg")
        .env("AWS_SHARED_CREDENTIALS_FILE", &creds)
        .ok();
    let req = server.only_request();
    assert_eq!(req.access_key(), "AKIAWORK");
    assert_eq!(
        req.param("SerialNumber"),
        Some("arn:aws:iam::123456789012:mfa/w")
    );
}

#[test]
fn the_default_profile_works_when_named_and_only_then() {
    let server = StsServer::start();
    let test = Test::new()
        .config("[default]\nmfa_serial = arn:aws:iam::123456789012:mfa/d\n")
        .credentials("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n")
        .sts(&server);
    // With no argument at all the short help is shown (tests/prompt.rs); with others, the
    // missing profile is named.
    let out = test.args(["--shell", "bash"]).run();
    assert_eq!(out.status.code(), Some(2), "no profile is a usage error");
    out.stderr_has(&[
        "mfa-env: the following required arguments were not provided: <PROFILE>",
        "mfa-env: usage: mfa-env",
    ]);
    Test::new()
        .config("[default]\nmfa_serial = arn:aws:iam::123456789012:mfa/d\n")
        .credentials("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s\n")
        .sts(&server)
        .args(["default", "-c", "123456"])
        .ok();
    assert_eq!(server.only_request().access_key(), "AKIADEFAULT");
}

// ---- failures before any call ----

#[test]
fn no_config_files() {
    Test::new()
        .args(["dev", "-c", "123456"])
        .fails(&["no AWS config files", "aws configure --profile dev"]);
}

#[test]
fn unknown_profile_names_the_closest() {
    let server = StsServer::start();
    Test::dev(&server)
        .args(["dve", "-c", "123456"])
        .fails(&["profile 'dve' not found", "did you mean 'dev'?"]);
    assert!(server.requests().is_empty());
}

#[test]
fn profile_without_keys() {
    let server = StsServer::start();
    Test::new()
        .config(CONFIG)
        .sts(&server)
        .args(["dev", "-c", "123456"])
        .fails(&[
            "profile 'dev' has no long-term keys",
            "aws configure --profile dev",
        ]);
    Test::new()
        .config(CONFIG)
        .credentials("[dev]\naws_access_key_id = AKIAONLYID\n")
        .sts(&server)
        .args(["dev", "-c", "123456"])
        .fails(&["has no aws_secret_access_key"]);
    assert!(server.requests().is_empty());
}

#[test]
fn temporary_keys_are_refused_before_asking_for_a_code() {
    let server = StsServer::start();
    for creds in [
        "[dev]\naws_access_key_id = ASIATEMPORARY\naws_secret_access_key = s\n",
        "[dev]\naws_access_key_id = AKIAX\naws_secret_access_key = s\naws_session_token = t\n",
    ] {
        // No --code: the check must come before the prompt (which would fail for lack of a terminal).
        Test::new()
            .config(CONFIG)
            .credentials(creds)
            .sts(&server)
            .arg("dev")
            .fails(&[
                "GetSessionToken cannot be called with session credentials",
                "long-term keys",
            ]);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn no_mfa_serial_says_where_to_find_it() {
    let server = StsServer::start();
    let out = Test::new()
        .config("[profile dev]\nregion = eu-west-1\n")
        .credentials(CREDENTIALS)
        .sts(&server)
        .arg("dev")
        .fails(&[
            "profile 'dev' has no mfa_serial",
            "run `mfa-env setup dev`: it asks IAM for the device and writes it",
            "IAM console > Users > Security credentials > Assigned MFA device",
            "mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME",
            "[profile dev]",
        ]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    assert!(server.requests().is_empty());
}

#[test]
fn malformed_serial_is_refused() {
    let server = StsServer::start();
    Test::export(&server)
        .args(["--serial-number", "arn:aws:iam::1234:mfa/x"])
        .fails(&["not an MFA device ARN"]);
    assert!(server.requests().is_empty());
}

#[test]
fn unsupported_profiles() {
    let server = StsServer::start();
    // A credential_process is a key source now (tests/credential_process.rs): one that prints
    // nothing is refused for that.
    Test::new()
        .config("[profile dev]\ncredential_process = /bin/echo\n")
        .sts(&server)
        .args(["dev", "-c", "123456"])
        .fails(&["credential_process of profile 'dev' `/bin/echo` printed no JSON object"]);
    for (body, why) in [
        (
            "sso_session = corp\nsso_account_id = 1",
            "IAM Identity Center",
        ),
        ("web_identity_token_file = /x", "web identity token"),
    ] {
        Test::new()
            .config(&format!("[profile dev]\n{body}\n"))
            .sts(&server)
            .args(["dev", "-c", "123456"])
            .fails(&["profile 'dev' is not supported", why]);
    }
}

#[test]
fn unparsable_unreadable_and_non_utf8_files() {
    let server = StsServer::start();
    let test = Test::new()
        .config("[profile dev\nmfa_serial = x\n")
        .credentials(CREDENTIALS)
        .sts(&server);
    let config = test.home().join(".aws/config").display().to_string();
    let out = test
        .args(["dev", "-c", "123456"])
        .fails(&["cannot parse", &config, "line 1"]);
    assert!(out.stderr.lines().count() <= 2, "{}", out.stderr);

    let test = Test::new().credentials(CREDENTIALS).sts(&server);
    std::fs::create_dir(test.home().join(".aws/config")).unwrap();
    test.args(["dev", "-c", "123456"])
        .fails(&["is a directory"]);

    let test = Test::new().credentials(CREDENTIALS).sts(&server);
    std::fs::write(
        test.home().join(".aws/config"),
        b"[profile dev]\nregion = \xff\n",
    )
    .unwrap();
    test.args(["dev", "-c", "123456"]).fails(&["not UTF-8"]);
    assert!(server.requests().is_empty());
}

#[test]
fn a_region_that_is_not_a_region_is_refused() {
    let server = StsServer::start();
    Test::export(&server)
        .args(["--region", "us-east-1$(id)"])
        .fails(&["not an AWS region name"]);
    Test::export(&server)
        .env("AWS_REGION", "x")
        .arg("--region")
        .arg("")
        .fails(&[]);
    assert!(server.requests().is_empty());
}

#[test]
fn no_terminal_and_no_code() {
    let server = StsServer::start();
    Test::dev(&server)
        .arg("dev")
        .fails(&["no terminal", "--code"]);
    assert!(server.requests().is_empty());
}

// ---- failures from STS (transport faults are in faults.rs) ----

#[test]
fn a_rejected_code_on_the_command_line_fails_at_once() {
    let server = StsServer::start();
    server.always(Reply::code_rejected());
    Test::export(&server).fails(&["STS rejected the MFA code", "wait for the next code"]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn sts_errors_become_advice() {
    let cases: &[(u16, &str, &str, &[&str])] = &[
        (
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
            &[
                "does not know the access key AKIAEXAMPLEDEV00001",
                "create a new key in the IAM console and store it with `aws configure --profile dev`",
            ],
        ),
        (
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
            &[
                "secret access key does not belong",
                "re-enter the secret with `aws configure --profile dev`",
            ],
        ),
        (
            403,
            "SignatureDoesNotMatch",
            "Signature expired: 20261123T000000Z is now earlier than 20261123T010000Z",
            &["clock is wrong", "NTP"],
        ),
        (
            400,
            "RequestExpired",
            "Request has expired.",
            &["clock is wrong"],
        ),
        (
            403,
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:GetSessionToken",
            &[
                "STS denied GetSessionToken",
                "must allow sts:GetSessionToken",
            ],
        ),
        (
            403,
            "AccessDenied",
            "MultiFactorAuthentication failed, unable to validate MFA code. Please verify your MFA serial number is valid and associated with this user.",
            &[
                "could not check the code against this MFA device",
                "mfa_serial",
            ],
        ),
        (
            403,
            "RegionDisabledException",
            "STS is not activated in this region",
            &["not activated", "--region"],
        ),
        (
            400,
            "ValidationError",
            "1 validation error detected",
            &["STS refused GetSessionToken (ValidationError: 1 validation error detected)"],
        ),
    ];
    for (status, code, message, needles) in cases {
        let server = StsServer::start();
        server.always(Reply::error(*status, code, message));
        let out = Test::export(&server).fails(needles);
        assert!(out.stderr.lines().count() <= 2, "{}", out.stderr);
        assert_eq!(server.requests().len(), 1, "{code} is not retried");
    }
}

#[test]
fn an_endpoint_that_is_not_a_url() {
    Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .env("AWS_ENDPOINT_URL_STS", "localhost:4566")
        .args(["dev", "-c", "123456"])
        .fails(&["not an http:// or https:// URL"]);
}

#[test]
fn the_call_goes_through_the_proxy_from_the_environment() {
    // The test server plays the proxy: an HTTP proxy receives the absolute URL. Plain http to
    // a host other than this computer needs MFA_ENV_ALLOW_HTTP, and the line says so.
    let server = StsServer::start();
    let out = Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .env(
            "AWS_ENDPOINT_URL_STS",
            "http://sts.behind-the-proxy.invalid",
        )
        .env("HTTP_PROXY", &server.url)
        .env("MFA_ENV_ALLOW_HTTP", "1")
        .args(["dev", "-c", "123456"])
        .ok();
    out.stderr_has(&["mfa-env: using STS endpoint http://sts.behind-the-proxy.invalid (from AWS_ENDPOINT_URL_STS; plain http, allowed by MFA_ENV_ALLOW_HTTP)\n"]);
    let req = server.only_request();
    assert_eq!(req.path, "http://sts.behind-the-proxy.invalid/");
    assert_eq!(req.action(), "GetSessionToken");
}

/// A script for `sh` of steps: `Set(NAME, VALUE)`, `Eval(ARGS)` (mfa-env's output evaluated as
/// the docs say), `Dump(FILE)` (the environment, NUL-separated, into FILE); then the
/// environment on stdout. Each step runs only if the one before succeeded.
enum Step<'a> {
    Set(&'a str, &'a str),
    Eval(&'a str),
    Dump(&'a std::path::Path),
}

fn script(sh: crate::support::shells::Sh, steps: &[Step]) -> String {
    use crate::support::shells::Sh;
    let mut code = steps.iter().map(|step| match (step, sh) {
        (Step::Set(name, value), Sh::Fish) => format!("set -gx {name} {value}"),
        (Step::Set(name, value), _) => format!("export {name}={value}"),
        (Step::Eval(args), Sh::Fish) => format!("$MFA_ENV {args} | source"),
        (Step::Eval(args), _) => format!("eval \"$(\"$MFA_ENV\" {args})\""),
        (Step::Dump(file), _) => format!("env -0 > '{}'", file.display()),
    });
    let first = code.next().unwrap_or_default();
    let all = code.fold(first, |all, next| sh.then(&all, &next));
    sh.then(&all, "env -0")
}

#[test]
fn the_shells_own_region_wins_over_the_profiles_and_unset_leaves_it() {
    use crate::support::shells::{ALL, parse_env0};
    let server = StsServer::start();
    let test = Test::dev(&server);
    let during = test.dir.path().join("during");
    for (var, region) in [
        ("AWS_REGION", "ap-south-1"),
        ("AWS_DEFAULT_REGION", "eu-west-3"),
    ] {
        for sh in ALL {
            let steps = [
                Step::Set(var, region),
                Step::Eval("dev --code 123456"),
                Step::Dump(&during),
                Step::Eval("unset"),
            ];
            let run = test.shell(sh, &script(sh, &steps));
            assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
            // STS is called in the user's region, and the variables stay as the user set them.
            let (_, _, signed_for, _) = server.requests().pop().unwrap().scope().unwrap();
            assert_eq!(signed_for, region);
            let exported = parse_env0(&std::fs::read(&during).unwrap());
            assert_eq!(exported.get(var).map(String::as_str), Some(region));
            let other = if var == "AWS_REGION" {
                "AWS_DEFAULT_REGION"
            } else {
                "AWS_REGION"
            };
            assert_eq!(exported.get(other), None, "{}", sh.name());
            assert_eq!(exported.get("MFA_ENV_REGION").map(String::as_str), Some(""));
            assert_eq!(
                exported.get("MFA_ENV_PROFILE").map(String::as_str),
                Some("dev")
            );
            // unset removes the session, never the user's value.
            assert_eq!(
                run.env.get(var).map(String::as_str),
                Some(region),
                "{}",
                sh.name()
            );
            assert_eq!(run.env.get(other), None);
            assert!(!run.env.contains_key("MFA_ENV_PROFILE"));
            assert!(!run.env.contains_key("AWS_ACCESS_KEY_ID"));
        }
    }
}

#[test]
fn a_region_an_export_wrote_is_not_taken_for_the_users() {
    use crate::support::shells::{ALL, parse_env0};
    let server = StsServer::start();
    let test = Test::dev(&server).config(&format!(
        "{CONFIG}[profile admin]\nrole_arn = arn:aws:iam::210987654321:role/Admin\nsource_profile = dev\nregion = us-east-2\n"
    ));
    let during = test.dir.path().join("during");
    for sh in ALL {
        // dev writes its region; admin, exported next, gets its own, and unset removes both.
        let steps = [
            Step::Eval("dev --code 123456"),
            Step::Eval("admin --code 123456"),
            Step::Dump(&during),
            Step::Eval("unset"),
        ];
        let run = test.shell(sh, &script(sh, &steps));
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        let exported = parse_env0(&std::fs::read(&during).unwrap());
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION", "MFA_ENV_REGION"] {
            assert_eq!(exported.get(name).map(String::as_str), Some("us-east-2"));
            assert!(!run.env.contains_key(name), "{} {name}", sh.name());
        }
        // A region the user sets after an export wins from then on, and stays after unset;
        // what the export wrote goes.
        let steps = [
            Step::Eval("dev --code 123456"),
            Step::Set("AWS_REGION", "ap-south-1"),
            Step::Eval("dev --code 123456"),
            Step::Dump(&during),
            Step::Eval("unset"),
        ];
        let run = test.shell(sh, &script(sh, &steps));
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        let exported = parse_env0(&std::fs::read(&during).unwrap());
        assert_eq!(
            exported.get("AWS_REGION").map(String::as_str),
            Some("ap-south-1")
        );
        assert_eq!(exported.get("AWS_DEFAULT_REGION"), None, "{}", sh.name());
        assert_eq!(
            run.env.get("AWS_REGION").map(String::as_str),
            Some("ap-south-1")
        );
    }
}

#[test]
fn region_replacing_the_shells_own_is_kept_aside_and_given_back() {
    use crate::support::shells::{ALL, parse_env0};
    let server = StsServer::start();
    let test = Test::dev(&server);
    let (first, second) = (
        test.dir.path().join("first"),
        test.dir.path().join("second"),
    );
    for sh in ALL {
        // --region replaces the user's own values for the session; the next export without it
        // and unset give them back.
        let steps = [
            Step::Set("AWS_REGION", "ap-south-1"),
            Step::Set("AWS_DEFAULT_REGION", "eu-west-3"),
            Step::Eval("dev --code 123456 --region us-west-2"),
            Step::Dump(&first),
            Step::Eval("dev --code 123456 --region ca-central-1"),
            Step::Eval("dev --code 123456"),
            Step::Dump(&second),
            Step::Eval("dev --code 123456 --region us-west-2"),
            Step::Eval("unset"),
        ];
        let run = test.shell(sh, &script(sh, &steps));
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        let first = parse_env0(&std::fs::read(&first).unwrap());
        let get =
            |env: &std::collections::BTreeMap<String, String>, name: &str| env.get(name).cloned();
        let some = |v: &str| Some(v.to_owned());
        for name in ["AWS_REGION", "AWS_DEFAULT_REGION", "MFA_ENV_REGION"] {
            assert_eq!(get(&first, name), some("us-west-2"), "{} {name}", sh.name());
        }
        assert_eq!(get(&first, "MFA_ENV_OWN_AWS_REGION"), some("ap-south-1"));
        assert_eq!(
            get(&first, "MFA_ENV_OWN_AWS_DEFAULT_REGION"),
            some("eu-west-3")
        );
        // Without --region, the user's AWS_REGION wins again, and both own values are back.
        let second = parse_env0(&std::fs::read(&second).unwrap());
        assert_eq!(
            get(&second, "AWS_REGION"),
            some("ap-south-1"),
            "{}",
            sh.name()
        );
        assert_eq!(get(&second, "AWS_DEFAULT_REGION"), some("eu-west-3"));
        assert_eq!(get(&second, "MFA_ENV_REGION"), some(""));
        assert_eq!(get(&second, "MFA_ENV_OWN_AWS_REGION"), None);
        assert_eq!(get(&second, "MFA_ENV_PROFILE"), some("dev"));
        // unset after another --region: the user's values, and nothing of mfa-env's.
        assert_eq!(
            get(&run.env, "AWS_REGION"),
            some("ap-south-1"),
            "{}",
            sh.name()
        );
        assert_eq!(get(&run.env, "AWS_DEFAULT_REGION"), some("eu-west-3"));
        for gone in [
            "MFA_ENV_REGION",
            "MFA_ENV_OWN_AWS_REGION",
            "MFA_ENV_OWN_AWS_DEFAULT_REGION",
            "MFA_ENV_PROFILE",
            "AWS_ACCESS_KEY_ID",
        ] {
            assert!(!run.env.contains_key(gone), "{} {gone}", sh.name());
        }
    }
    // STS was called in the region asked for, then in the user's.
    let regions: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.scope().unwrap().2)
        .collect();
    assert_eq!(
        &regions[..4],
        ["us-west-2", "ca-central-1", "ap-south-1", "us-west-2"]
    );
}

#[test]
fn region_replacing_what_is_not_a_region_is_refused_before_a_code() {
    let server = StsServer::start();
    let out = Test::export(&server)
        .env("AWS_REGION", "ap south 1")
        .args(["--region", "us-east-1"])
        .fails(&[
            "this shell's AWS_REGION is 'ap south 1', not a region name, and --region us-east-1 would replace it",
            "drop --region",
        ]);
    assert_eq!(out.stdout, "");
    // The same region, a data format, or a region an export wrote: nothing to keep aside.
    let out = Test::export(&server)
        .env("AWS_REGION", "ap-south-1")
        .args(["--region", "ap-south-1"])
        .ok();
    assert!(!out.stdout.contains("MFA_ENV_OWN_"), "{}", out.stdout);
    let out = Test::dev(&server)
        .env("AWS_REGION", "ap-south-1")
        .args([
            "dev",
            "-c",
            "123456",
            "--region",
            "us-east-1",
            "--format",
            "json",
        ])
        .ok();
    assert!(!out.stdout.contains("MFA_ENV_OWN_"), "{}", out.stdout);
    let out = Test::export(&server)
        .env("AWS_REGION", "eu-west-1")
        .env("MFA_ENV_REGION", "eu-west-1")
        .args(["--region", "us-east-1"])
        .ok();
    assert!(
        out.stdout.contains("export AWS_REGION=us-east-1\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("MFA_ENV_OWN_"), "{}", out.stdout);
}
