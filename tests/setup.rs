//! `mfa-env setup PROFILE`: the edit of the config file, byte for byte, the checks around it,
//! and `--verify`. Finding the device through IAM is in device_discovery.rs.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::support::*;

const OTHER: &str = "arn:aws:iam::123456789012:mfa/alice-yubikey";
/// Keys for `default` next to the usual `dev` ones.
const BOTH_CREDENTIALS: &str = "[default]\naws_access_key_id = AKIAEXAMPLEDEFAULT01\naws_secret_access_key = devSECRET+marker/0000000000000000000001\n\n[dev]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = devSECRET+marker/0000000000000000000001\n";

fn added(line_end: &str) -> String {
    format!("mfa_serial = {SERIAL}{line_end}")
}

/// The test server for STS and IAM, which lists `devices` as the user's.
fn with_devices(test: Test, devices: &[&str]) -> (Test, StsServer) {
    let server = StsServer::start();
    server.devices(devices);
    (test.sts(&server).iam(&server), server)
}

/// `setup PROFILE --serial-number SERIAL` on `before` must leave exactly `after`, keep the
/// file's mode, and touch nothing else.
#[track_caller]
fn writes(before: &str, profile: &str, after: &str) {
    let (test, _server) = with_devices(
        Test::new().config(before).credentials(BOTH_CREDENTIALS),
        &[SERIAL],
    );
    let path = test.config_path();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    let test = test
        .may_write(&path)
        .args(["setup", profile, "--serial-number", SERIAL]);
    let out = test.ok();
    assert_eq!(out.stdout, "");
    let now = fs::read(&path).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&now),
        after,
        "before:\n{before}\nstderr:\n{}",
        out.stderr
    );
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    out.stderr_has(&[&format!("+ mfa_serial = {SERIAL}")]);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

/// `before` with `insert` placed right after the first `anchor`.
fn with(before: &str, anchor: &str, insert: &str) -> String {
    let at = before.find(anchor).expect("anchor") + anchor.len();
    format!("{}{insert}{}", &before[..at], &before[at..])
}

#[test]
fn keeps_comments_order_and_spacing() {
    let before = "# work account\n[profile dev]\n; the device goes below\nregion   =   eu-west-1   \noutput=json\n\n# prod, as it is\n[profile prod]\nregion = us-east-1\n";
    writes(before, "dev", &with(before, "output=json\n", &added("\n")));
}

#[test]
fn keeps_nested_sub_sections() {
    let before = "[profile dev]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 20\n  addressing_style = path\n\n[default]\ns3 =\n  addressing_style = virtual\n";
    writes(
        before,
        "dev",
        &with(before, "addressing_style = path\n", &added("\n")),
    );
    writes(before, "default", &format!("{before}{}", added("\n")));
}

#[test]
fn keeps_crlf_line_endings() {
    let before =
        "[default]\r\nregion = ap-southeast-2\r\n\r\n[profile dev]\r\nregion = eu-west-1\r\n";
    writes(before, "dev", &format!("{before}{}", added("\r\n")));
    writes(
        before,
        "default",
        &with(before, "ap-southeast-2\r\n", &added("\r\n")),
    );
}

#[test]
fn keeps_indented_keys_and_their_indentation() {
    // The AWS CLI reads indented keys as keys; the line goes in at their level.
    let before = "[default]\n  region = us-east-1\n\n[profile dev]\n    region = eu-west-1\n    output = json\n";
    writes(before, "dev", &format!("{before}    {}", added("\n")));
    let before =
        "[profile dev]\n\tmfa_serial = arn:aws:iam::123456789012:mfa/old\n\tregion = eu-west-1\n";
    writes(
        before,
        "dev",
        &format!("[profile dev]\n\t{}\tregion = eu-west-1\n", added("\n")),
    );
}

#[test]
fn keeps_a_missing_final_line_ending() {
    let before = "[profile dev]\nregion = eu-west-1";
    writes(before, "dev", &format!("{before}\nmfa_serial = {SERIAL}"));
}

#[test]
fn keeps_sso_session_and_services_sections() {
    let before = "[profile dev]\nregion = eu-west-1\nservices = local\n\n[sso-session dev]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n\n[services local]\nsts =\n  endpoint_url = http://127.0.0.1:9\n";
    writes(
        before,
        "dev",
        &with(before, "services = local\n", &added("\n")),
    );
}

#[test]
fn finds_headers_with_spaces_comments_and_a_byte_order_mark() {
    let before = "\u{feff}[ profile  dev ]  # work\nregion = eu-west-1\n";
    writes(before, "dev", &format!("{before}{}", added("\n")));
}

#[test]
fn replaces_an_existing_mfa_serial_instead_of_adding_one() {
    let before =
        "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/old-phone\nregion = eu-west-1\n";
    writes(
        before,
        "dev",
        &format!("[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n"),
    );
}

#[test]
fn creates_the_section_when_the_profile_is_only_in_credentials() {
    let before = "[default]\nregion = us-east-1\n";
    writes(
        before,
        "dev",
        &format!("{before}\n[profile dev]\n{}", added("\n")),
    );
}

#[test]
fn creates_a_missing_config_file_with_mode_0600() {
    let (test, _server) = with_devices(Test::new().credentials(CREDENTIALS), &[SERIAL]);
    let path = test.config_path();
    let test = test
        .may_write(&path)
        .args(["setup", "dev", "--serial-number", SERIAL]);
    test.ok();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("[profile dev]\nmfa_serial = {SERIAL}\n")
    );
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn an_unreadable_config_file_is_reported_and_nothing_is_written() {
    let test = Test::new().credentials(CREDENTIALS);
    fs::create_dir(test.config_path()).unwrap();
    test.args(["setup", "dev", "--serial-number", SERIAL])
        .fails(&["cannot read", ".aws/config: it is a directory"]);

    let test = Test::new().credentials(CREDENTIALS);
    fs::write(test.config_path(), b"[profile dev]\nregion = \xff\n").unwrap();
    test.args(["setup", "dev", "--serial-number", SERIAL])
        .fails(&["is not UTF-8 text"]);
}

#[test]
fn dry_run_only_shows_the_line() {
    let (test, server) = with_devices(
        Test::new()
            .config("[profile dev]\nregion = eu-west-1\n")
            .credentials(CREDENTIALS),
        &[SERIAL],
    );
    let out = test
        .args(["setup", "dev", "--serial-number", SERIAL, "--dry-run"])
        .ok();
    out.stderr_has(&[
        "would change [profile dev] in ",
        "(dry run: nothing written)",
        &format!("mfa-env: + mfa_serial = {SERIAL}\n"),
    ]);
    let requests = server.requests();
    let actions: Vec<_> = requests.iter().map(|r| r.action()).collect();
    assert_eq!(actions, ["GetCallerIdentity", "ListMFADevices"]);
}

#[test]
fn the_same_serial_is_left_alone() {
    let out = Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .args(["setup", "dev", "--serial-number", SERIAL])
        .ok();
    out.stderr_has(&["already has mfa_serial = ", "it is set, nothing to change"]);
}

/// A device the profile has, and IAM lists, is not asked about again (no terminal here).
#[test]
fn a_device_already_set_is_not_asked_again() {
    let server = StsServer::start();
    server.devices(&[SERIAL]);
    let test = || {
        Test::new()
            .config(CONFIG)
            .credentials(CREDENTIALS)
            .sts(&server)
            .iam(&server)
    };
    let out = test().args(["setup", "dev"]).ok();
    out.stderr_has(&[
        "[profile dev] in ",
        &format!("already has mfa_serial = {SERIAL}: it is set, nothing to change"),
    ]);
    // With more devices, the others are named, with the way to pick one.
    server.devices(&[OTHER, SERIAL]);
    test().args(["setup", "dev"]).ok().stderr_has(&[
        &format!(
            "alice has 2 MFA devices ({OTHER}, {SERIAL}); to use another, pass --serial-number ARN"
        ),
        "it is set, nothing to change",
    ]);
    // A role profile that takes its source's device has it set too.
    let out = Test::new()
        .config(&format!(
            "{CONFIG}[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n"
        ))
        .credentials(CREDENTIALS)
        .sts(&server)
        .iam(&server)
        .args(["setup", "admin"])
        .ok();
    out.stderr_has(&[&format!(
        "profile 'admin' uses {SERIAL} already, the mfa_serial of profile 'dev': it is set, nothing to change"
    )]);
}

/// --serial-number is written as given, but a device IAM does not list for the user gets a
/// warning; a check IAM cannot make is said too.
#[test]
fn a_serial_number_that_is_not_the_users_is_written_with_a_warning() {
    let (test, server) = with_devices(
        Test::new()
            .config("[profile dev]\nregion = eu-west-1\n")
            .credentials(CREDENTIALS),
        &[OTHER],
    );
    let path = test.config_path();
    let test = test
        .may_write(&path)
        .args(["setup", "dev", "--serial-number", SERIAL]);
    let out = test.ok();
    out.stderr_has(&[
        &format!("warning: {SERIAL} is not one of alice's MFA devices (IAM lists: {OTHER}); STS accepts codes only from the user's own devices"),
        "without --serial-number offers the listed ones",
        &format!("+ mfa_serial = {SERIAL}"),
    ]);
    assert!(fs::read_to_string(&path).unwrap().contains(SERIAL));

    fs::write(&path, "[profile dev]\nregion = eu-west-1\n").unwrap();
    server.devices(&[]);
    test.ok().stderr_has(&["(IAM lists: none)"]);

    fs::write(&path, "[profile dev]\nregion = eu-west-1\n").unwrap();
    server.reply(Reply::Creds(Creds::default())).reply(Reply::error(
        403,
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListMFADevices",
    ));
    let out = test.ok();
    out.stderr_has(&[&format!(
        "cannot check that {SERIAL} is one of your MFA devices: IAM denied ListMFADevices"
    )]);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

#[test]
fn an_mfa_serial_in_the_credentials_file_would_win_and_is_named() {
    let test = Test::new()
        .config("[profile dev]\nregion = eu-west-1\n")
        .credentials(&format!(
            "{CREDENTIALS}mfa_serial = arn:aws:iam::123456789012:mfa/old\n"
        ));
    test.args(["setup", "dev", "--serial-number", SERIAL])
        .fails(&[
            "would still read mfa_serial = arn:aws:iam::123456789012:mfa/old",
            ".aws/credentials",
            "remove the mfa_serial line",
        ]);
}

#[test]
fn a_malformed_serial_is_refused() {
    Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .args(["setup", "dev", "--serial-number", "arn:aws:iam::1234:mfa/x"])
        .fails(&["is not an MFA device ARN"]);
}

#[test]
fn keys_are_checked_first() {
    Test::new()
        .config("[profile dev]\nregion = eu-west-1\n")
        .args(["setup", "dev", "--serial-number", SERIAL])
        .fails(&["has no long-term keys", "aws configure --profile dev"]);
    Test::new()
        .config("[profile dev]\nregion = eu-west-1\n")
        .credentials(&format!(
            "{CREDENTIALS}aws_session_token = FwoGZXIvYXdzEBYaDH+token/value==\n"
        ))
        .args(["setup", "dev", "--serial-number", SERIAL])
        .fails(&["temporary session credentials"]);
}

/// The last request, after the two that check the device (GetCallerIdentity, ListMFADevices).
#[track_caller]
fn after_the_check(server: &StsServer) -> crate::support::sts::Request {
    let mut requests = server.requests();
    let actions: Vec<_> = requests.iter().map(|r| r.action()).collect();
    assert_eq!(actions[..2], ["GetCallerIdentity", "ListMFADevices"]);
    assert_eq!(requests.len(), 3, "{actions:?}");
    requests.pop().unwrap()
}

#[test]
fn verify_opens_a_session_and_prints_none_of_it() {
    let (test, server) = with_devices(
        Test::new()
            .config("[profile dev]\nregion = eu-west-1\n")
            .credentials(CREDENTIALS),
        &[SERIAL],
    );
    let path = test.config_path();
    let test = test.may_write(&path).args([
        "setup",
        "dev",
        "--serial-number",
        SERIAL,
        "--verify",
        "--code",
        "123456",
    ]);
    let out = test.ok();
    assert_eq!(out.stdout, "");
    // STS is called for the lookup and again for the session, IAM between: each endpoint is
    // named once.
    let named = format!("using STS endpoint {}", server.url);
    assert_eq!(
        out.raw_stderr.matches(&named).count(),
        1,
        "{}",
        out.raw_stderr
    );
    out.stderr_has(&[
        "verified: STS accepted a code from",
        "eval \"$(mfa-env dev)\"",
    ]);
    let req = after_the_check(&server);
    assert_eq!(req.action(), "GetSessionToken");
    assert_eq!(req.param("SerialNumber"), Some(SERIAL));
    assert_eq!(req.param("TokenCode"), Some("123456"));
    assert_eq!(req.param("DurationSeconds"), Some("900"));
    assert_eq!(req.access_key(), KEY_ID);
    assert!(fs::read_to_string(&path).unwrap().contains(SERIAL));
}

#[test]
fn verify_takes_the_code_from_mfa_process_and_reports_a_rejected_code() {
    let (test, server) = with_devices(Test::new().credentials(CREDENTIALS), &[SERIAL]);
    let script = test.dir.path().join("totp");
    fs::write(&script, "#!/bin/sh\necho 'code: 424242'\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let test = test.config(&format!(
        "[profile dev]\nregion = eu-west-1\nmfa_process = {}\n",
        script.display()
    ));
    let path = test.config_path();
    let test = test
        .may_write(&path)
        .args(["setup", "dev", "--serial-number", SERIAL, "--verify"]);
    test.ok();
    assert_eq!(after_the_check(&server).param("TokenCode"), Some("424242"));

    // Written now: the device is not checked again.
    server.reply(Reply::code_rejected());
    test.fails(&["STS rejected the MFA code"]);
}

#[test]
fn a_role_profile_gets_the_serial_and_signs_with_its_source_keys() {
    let before =
        "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n";
    let (test, server) = with_devices(
        Test::new().config(before).credentials(CREDENTIALS),
        &[SERIAL],
    );
    let path = test.config_path();
    let test = test.may_write(&path).args([
        "setup",
        "admin",
        "--serial-number",
        SERIAL,
        "--verify",
        "--code",
        "123456",
    ]);
    test.ok();
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        format!("{before}{}", added("\n"))
    );
    // --verify opens the session export would: the role, assumed with the code.
    let req = after_the_check(&server);
    assert_eq!(req.access_key(), KEY_ID);
    assert_eq!(req.action(), "AssumeRole");
    assert_eq!(
        req.param("RoleArn"),
        Some("arn:aws:iam::123456789012:role/admin")
    );
    assert_eq!(req.param("SerialNumber"), Some(SERIAL));
    assert_eq!(req.param("TokenCode"), Some("123456"));
    assert_eq!(req.param("DurationSeconds"), Some("900"));
}
