//! Role profiles: AssumeRole with MFA, single roles and chains, against the test STS.

use crate::support::*;

const ROLES: &str = "\
[profile dev]
mfa_serial = arn:aws:iam::123456789012:mfa/alice
region = eu-central-1
[profile admin]
role_arn = arn:aws:iam::210987654321:role/Admin
source_profile = dev
mfa_serial = arn:aws:iam::123456789012:mfa/alice
external_id = 7f3a-ext
role_session_name = alice
duration_seconds = 3600
region = eu-west-1
[profile plain]
role_arn = arn:aws:iam::210987654321:role/Plain
source_profile = dev
[profile deep]
role_arn = arn:aws:iam::333333333333:role/Deep
source_profile = admin
[profile nomfa]
role_arn = arn:aws:iam::210987654321:role/NoMfa
source_profile = keysonly
[profile keysonly]
[profile loop-a]
role_arn = arn:aws:iam::210987654321:role/A
source_profile = loop-b
[profile loop-b]
role_arn = arn:aws:iam::210987654321:role/B
source_profile = loop-a
[profile byec2]
role_arn = arn:aws:iam::210987654321:role/E
credential_source = Ec2InstanceMetadata
[profile proc]
role_arn = arn:aws:iam::210987654321:role/P
source_profile = viaproc
[profile viaproc]
credential_process = /bin/false
";

const CREDS: &str = "\
[dev]
aws_access_key_id = AKIAEXAMPLEDEV00001
aws_secret_access_key = devSECRET+marker/0000000000000000000001
[keysonly]
aws_access_key_id = AKIAKEYSONLY
aws_secret_access_key = devSECRET+marker/0000000000000000000001
";

fn roles(server: &StsServer) -> Test {
    Test::new()
        .config(ROLES)
        .credentials(CREDS)
        .sts(server)
        .env("USER", "bob")
}

#[test]
fn a_role_profile_assumes_its_role_with_mfa() {
    let server = StsServer::start();
    let out = roles(&server)
        .args(["admin", "--code", "123456", "-s", "bash"])
        .ok();
    let req = server.only_request();
    assert_eq!(req.action(), "AssumeRole");
    assert_eq!(
        req.param("RoleArn"),
        Some("arn:aws:iam::210987654321:role/Admin")
    );
    assert_eq!(req.param("RoleSessionName"), Some("alice"));
    assert_eq!(req.param("SerialNumber"), Some(SERIAL));
    assert_eq!(req.param("TokenCode"), Some("123456"));
    assert_eq!(req.param("ExternalId"), Some("7f3a-ext"));
    assert_eq!(req.param("DurationSeconds"), Some("3600"));
    let (key, _, region, _) = req.scope().unwrap();
    assert_eq!((key.as_str(), region.as_str()), (KEY_ID, "eu-west-1"));
    assert_eq!(req.header("x-amz-security-token"), None);
    assert!(
        out.stdout.contains("export MFA_ENV_PROFILE=admin\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("export AWS_REGION=eu-west-1\n"));
    assert!(out.stdout.contains("export AWS_SESSION_TOKEN="));
    out.stderr_has(&["admin session valid until", "(1h)"]);
}

#[test]
fn defaults_session_name_from_the_user_duration_one_hour_region_from_the_source() {
    let server = StsServer::start();
    let out = roles(&server)
        .env("USER", "bob o'neil")
        .args(["plain", "-c", "123456"])
        .ok();
    let req = server.only_request();
    assert_eq!(req.param("RoleSessionName"), Some("mfa-env-boboneil"));
    assert_eq!(req.param("DurationSeconds"), Some("3600"));
    assert_eq!(
        req.param("SerialNumber"),
        Some(SERIAL),
        "the source profile's device"
    );
    assert_eq!(req.param("ExternalId"), None);
    assert_eq!(req.scope().unwrap().2, "eu-central-1");
    assert!(out.stdout.contains("MFA_ENV_PROFILE=plain"));
}

/// Without USER (sudo -i, cron, containers), the session name comes from LOGNAME, else from
/// the user database's name for this user, not a made-up "user".
#[test]
fn the_session_name_falls_back_to_the_login_name() {
    let server = StsServer::start();
    let base = || {
        Test::new()
            .config(ROLES)
            .credentials(CREDS)
            .sts(&server)
            .args(["plain", "-c", "123456"])
    };
    base().env("LOGNAME", "carol").ok();
    let id = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let login: String = String::from_utf8(id.stdout)
        .unwrap()
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
        .collect();
    assert!(!login.is_empty());
    base().ok();
    let names: Vec<_> = server
        .requests()
        .iter()
        .map(|r| r.param("RoleSessionName").unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["mfa-env-carol".to_owned(), format!("mfa-env-{login}")]
    );
}

#[test]
fn role_durations() {
    let server = StsServer::start();
    roles(&server)
        .args(["plain", "-c", "123456", "-d", "2h"])
        .ok();
    assert_eq!(server.only_request().param("DurationSeconds"), Some("7200"));
    roles(&server)
        .args(["plain", "-c", "123456", "-d", "13h"])
        .fails(&["AssumeRole accepts a duration from 15m to 12h"]);
    assert_eq!(server.requests().len(), 1, "refused before any call");
}

#[test]
fn a_chain_assumes_each_role_in_turn_with_the_code_on_the_first() {
    let server = StsServer::start();
    let out = roles(&server)
        .args(["deep", "-c", "123456", "-d", "3h"])
        .ok();
    out.stderr_has(&[
        "STS limits a role assumed from another role's session to 1h",
        "instead of 3h",
    ]);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{reqs:#?}");
    assert_eq!(
        reqs[0].param("RoleArn"),
        Some("arn:aws:iam::210987654321:role/Admin")
    );
    assert_eq!(reqs[0].access_key(), KEY_ID);
    assert_eq!(reqs[0].param("TokenCode"), Some("123456"));
    assert_eq!(reqs[0].param("SerialNumber"), Some(SERIAL));
    assert_eq!(reqs[0].param("DurationSeconds"), Some("900"));
    assert_eq!(
        reqs[1].param("RoleArn"),
        Some("arn:aws:iam::333333333333:role/Deep")
    );
    assert_eq!(
        reqs[1].access_key(),
        "ASIATESTSESSIONKEY01",
        "signed with the first role's session"
    );
    assert_eq!(
        reqs[1].header("x-amz-security-token"),
        Some("FwoGZXIvYXdzEBYaDH+token/value==")
    );
    assert_eq!(reqs[1].param("TokenCode"), None);
    assert_eq!(reqs[1].param("SerialNumber"), None);
    assert_eq!(reqs[1].param("DurationSeconds"), Some("3600"));
    assert_eq!(reqs[1].param("RoleSessionName"), Some("mfa-env-bob"));
    assert_eq!(
        reqs[1].scope().unwrap().2,
        "eu-west-1",
        "the first region along the chain"
    );
    assert!(out.stdout.contains("MFA_ENV_PROFILE=deep"));
}

#[test]
fn the_calls_of_a_chain_share_one_time_bound() {
    let server = StsServer::start();
    // The first role answers after 4.5 s; the second never does. Each call alone is bounded
    // at 15 s; the chain ends 15 s after its first call, not 4.5 + 15 s.
    server.reply(Reply::Delay(
        std::time::Duration::from_secs_f64(4.5),
        Box::new(Reply::Creds(Creds::default())),
    ));
    server.always(Reply::Hang);
    let out = roles(&server).args(["deep", "-c", "123456"]).fails(&[
        "no answer from STS at http://127.0.0.1:",
        "to AssumeRole arn:aws:iam::333333333333:role/Deep within 15s",
        "check your network connection, proxy or VPN",
    ]);
    let took = out.elapsed.as_secs_f64();
    assert!((14.0..17.0).contains(&took), "took {took}s");
    let reqs = server.requests();
    assert!(reqs.len() >= 2, "{reqs:#?}");
    assert!(
        reqs[1..]
            .iter()
            .all(|r| r.param("RoleArn") == Some("arn:aws:iam::333333333333:role/Deep"))
    );
}

#[test]
fn role_arn_flag_assumes_a_role_with_the_named_profile_keys() {
    let server = StsServer::start();
    roles(&server)
        .args([
            "dev",
            "-c",
            "123456",
            "--role-arn",
            "arn:aws:iam::444444444444:role/Ops",
        ])
        .args(["--external-id", "e-1", "--role-session-name", "ops-bob"])
        .ok();
    let req = server.only_request();
    assert_eq!(req.action(), "AssumeRole");
    assert_eq!(
        req.param("RoleArn"),
        Some("arn:aws:iam::444444444444:role/Ops")
    );
    assert_eq!(req.param("ExternalId"), Some("e-1"));
    assert_eq!(req.param("RoleSessionName"), Some("ops-bob"));
    assert_eq!(req.param("SerialNumber"), Some(SERIAL));
    assert_eq!(req.access_key(), KEY_ID);
}

#[test]
fn role_options_without_a_role_are_refused_before_any_code() {
    let server = StsServer::start();
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("mfa-process-ran");
    let mfa_process = format!("sh -c 'touch {}; echo 123456'", marker.display());
    for (flags, named) in [
        (
            &["--external-id", "e-1"][..],
            "--external-id is for assuming a role",
        ),
        (
            &["--role-session-name", "ops-bob"],
            "--role-session-name is for assuming a role",
        ),
        (
            &["--external-id", "e-1", "--role-session-name", "ops-bob"],
            "--external-id and --role-session-name are for assuming a role",
        ),
    ] {
        roles(&server)
            .args(["dev", "--mfa-process", &mfa_process])
            .args(flags)
            .fails(&[
                named,
                "profile 'dev' assumes none (no role_arn, no --role-arn)",
                "add --role-arn ARN",
            ]);
    }
    assert!(server.requests().is_empty());
    assert!(!marker.exists(), "mfa_process ran");
    // A role profile takes them: they override its external_id and role_session_name.
    roles(&server)
        .args(["admin", "-c", "123456", "--external-id", "e-2"])
        .args(["--role-session-name", "other"])
        .ok();
    let req = server.only_request();
    assert_eq!(req.param("ExternalId"), Some("e-2"));
    assert_eq!(req.param("RoleSessionName"), Some("other"));
}

#[test]
fn a_role_name_for_role_arn_names_the_flag_and_asks_for_the_full_arn() {
    let server = StsServer::start();
    let out = roles(&server)
        .args(["dev", "-c", "123456", "--role-arn", "Admin"])
        .fails(&[
            "'Admin' (from --role-arn on the command line) is not a role ARN: STS needs the role's full ARN",
            "arn:aws:iam::123456789012:role/Admin",
        ]);
    assert!(!out.stderr.contains("of profile"), "{}", out.stderr);
    assert!(server.requests().is_empty());
}

/// The fix for keys STS does not know names the profile that holds them, not the role's.
#[test]
fn refused_keys_name_the_profile_that_holds_them() {
    let server = StsServer::start();
    server.reply(Reply::error(
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    ));
    roles(&server)
        .args(["admin", "-c", "123456"])
        .fails(&["store it with `aws configure --profile dev`"]);
}

#[test]
fn chains_that_cannot_be_followed() {
    let server = StsServer::start();
    roles(&server)
        .args(["loop-a", "-c", "123456"])
        .fails(&["the source_profile chain loops: loop-a -> loop-b -> loop-a"]);
    roles(&server)
        .args(["byec2", "-c", "123456"])
        .fails(&["profile 'byec2' assumes its role with credentials from credential_source = Ec2InstanceMetadata"]);
    roles(&server)
        .args(["proc", "-c", "123456"])
        .fails(&["credential_process of profile 'viaproc' `/bin/false` failed (exit status 1)"]);
    Test::new()
        .config("[profile x]\nrole_arn = arn:aws:iam::210987654321:role/X\nsource_profile = gone\n")
        .sts(&server)
        .args(["x", "-c", "123456"])
        .fails(&["source_profile 'gone', which does not exist"]);
    Test::new()
        .config("[profile x]\nrole_arn = not-an-arn\nsource_profile = dev\n[profile dev]\n")
        .credentials(CREDS)
        .sts(&server)
        .args(["x", "-c", "123456"])
        .fails(&["'not-an-arn' (role_arn of profile 'x') is not a role ARN"]);
    assert!(server.requests().is_empty());
}

#[test]
fn not_authorized_names_the_role_and_the_identity() {
    let server = StsServer::start();
    server.always(Reply::error(
        403,
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/Admin",
    ));
    roles(&server).args(["admin", "-c", "123456"]).fails(&[
        "arn:aws:iam::123456789012:user/alice is not authorized to assume role arn:aws:iam::210987654321:role/Admin",
        "check external_id",
    ]);
    // No mfa_serial anywhere: the trust policy's MFA condition is the likely cause.
    let out = roles(&server).args(["nomfa"]).fails(&[
        "not authorized to assume role",
        "requires MFA",
        "mfa_serial",
    ]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    assert_eq!(
        server.requests().last().unwrap().param("SerialNumber"),
        None
    );
}

#[test]
fn a_role_refused_along_a_chain_is_blamed_on_the_role_session_that_asked() {
    // deep is assumed with admin's session, after admin took the code: no mfa_serial is
    // missing, and a role's session carries no MFA.
    let server = StsServer::start();
    server.reply(Reply::Creds(Creds::fixed())).reply(Reply::error(
        403,
        "AccessDenied",
        "User: arn:aws:sts::210987654321:assumed-role/Admin/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/Deep",
    ));
    let out = roles(&server).args(["deep", "-c", "123456"]).fails(&[
        "arn:aws:sts::210987654321:assumed-role/Admin/alice is not authorized to assume role arn:aws:iam::333333333333:role/Deep",
        "the role's trust policy must allow role arn:aws:iam::210987654321:role/Admin",
        "carries no MFA",
    ]);
    assert!(!out.stderr.contains("add `mfa_serial"), "{}", out.stderr);
    let calls = server.requests();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].param("TokenCode"), Some("123456"));
    // A role's session that STS no longer knows is named as that role's.
    let server = StsServer::start();
    server
        .reply(Reply::Creds(Creds::fixed()))
        .reply(Reply::error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ));
    roles(&server).args(["deep", "-c", "123456"]).fails(&[
        "STS refused the session of role arn:aws:iam::210987654321:role/Admin, assumed on the way",
        "check each role_arn",
    ]);
}

#[test]
fn a_duration_above_the_role_maximum_says_what_to_change() {
    let server = StsServer::start();
    server.always(Reply::error(
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    ));
    roles(&server)
        .args(["admin", "-c", "123456", "-d", "8h"])
        .fails(&[
            "longer than role arn:aws:iam::210987654321:role/Admin allows",
            "raise the role's maximum session duration",
        ]);
}

#[test]
fn a_rejected_code_on_a_role_fails_at_once_with_code_given() {
    let server = StsServer::start();
    server.always(Reply::code_rejected());
    roles(&server)
        .args(["admin", "-c", "123456"])
        .fails(&["STS rejected the MFA code"]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn the_role_session_arrives_exactly_in_each_shell() {
    use crate::support::shells::{ALL, Sh};
    let server = StsServer::start();
    for sh in ALL {
        let script = match sh {
            Sh::Fish => "$MFA_ENV admin --code 123456 | source; and env -0",
            _ => "eval \"$(\"$MFA_ENV\" admin --code 123456)\" && env -0",
        };
        let run = roles(&server).env("AWS_PROFILE", "dev").shell(sh, script);
        assert!(
            run.status.success(),
            "{} {:?}: {}",
            sh.name(),
            run.status,
            run.stderr
        );
        for (name, value) in [
            ("MFA_ENV_PROFILE", "admin"),
            ("AWS_ACCESS_KEY_ID", "ASIATESTSESSIONKEY01"),
            ("AWS_REGION", "eu-west-1"),
            // What the session is, for status and for the next request.
            ("MFA_ENV_ROLE", "arn:aws:iam::210987654321:role/Admin"),
            ("MFA_ENV_ACCOUNT", "210987654321"),
            ("MFA_ENV_ACCESS_KEY_ID", "ASIATESTSESSIONKEY01"),
        ] {
            assert_eq!(
                run.env.get(name).map(String::as_str),
                Some(value),
                "{} {name}",
                sh.name()
            );
        }
        assert!(!run.env.contains_key("AWS_PROFILE"));
    }
}

/// The defaults the README's table of options gives for `--duration` are what is asked for:
/// 12 hours for a user's session, 1 hour for a role's.
#[test]
fn the_readme_gives_the_default_durations_that_are_asked_for() {
    let server = StsServer::start();
    let asked = |profile: &str| {
        Test::new()
            .config(&format!("{CONFIG}{CHAIN}"))
            .credentials(CREDENTIALS)
            .sts(&server)
            .args([profile, "--code", "123456", "--no-agent"])
            .ok();
        let requests = server.requests();
        let seconds = requests.last().unwrap().param("DurationSeconds").unwrap();
        format!("{}h", seconds.parse::<u64>().unwrap() / 3600)
    };
    let (user, role) = (asked("dev"), asked("admin"));
    assert_eq!((user.as_str(), role.as_str()), ("12h", "1h"));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let row = readme
        .lines()
        .find(|l| l.starts_with("| `-d, --duration D` |"))
        .unwrap();
    assert!(
        row.ends_with(&format!("else {user}, or {role} for a role |")),
        "{row}"
    );
}

#[test]
fn exec_server_names_a_refused_mfa_session_as_that_session_not_a_previous_role() {
    // The MFA session and the first role session; then STS no longer takes the MFA session
    // (its key deactivated, say) when the role is assumed again for the command.
    let server = StsServer::start();
    let out = crate::server::served_with_renewal_refused(
        &server,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    );
    out.stderr_has(&[
        "no credentials for the command's request: STS refused the MFA session of profile dev (InvalidClientTokenId",
        "expired or was revoked",
    ]);
    assert!(!out.stderr.contains("previous role"), "{}", out.stderr);
    let renewals = server.requests();
    let last = renewals.last().unwrap();
    assert_eq!(last.action(), "AssumeRole");
    assert_eq!(last.access_key(), "ASIATESTSESSIONKEY01");
}
