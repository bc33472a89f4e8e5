//! `mfa-env setup PROFILE` finding the MFA device through IAM: first with the test server
//! standing for STS and IAM (one device, several, none, access denied, no terminal, hostile
//! answers), then against moto's IAM and STS with signatures checked.

use std::fs;
use std::process::Child;

use crate::support::moto::{self, Moto};
use crate::support::pty::{Pty, Wiring};
use crate::support::*;

/// Devices beside SERIAL that the test server lists.
const OTHER: &str = "arn:aws:iam::123456789012:mfa/alice-yubikey";
const THIRD: &str = "arn:aws:iam::123456789012:mfa/alice-phone";

fn discovering(server: &StsServer) -> Test {
    Test::new()
        .config("[profile dev]\nregion = eu-west-1\n")
        .credentials(CREDENTIALS)
        .sts(server)
        .iam(server)
        .args(["setup", "dev"])
}

/// Run setup on a terminal; answer with `answer`, which gets the pty.
fn on_terminal(test: &Test, answer: impl FnOnce(&Pty)) -> (std::process::ExitStatus, String, Pty) {
    let pty = Pty::open();
    let child: Child = pty.spawn(test.command(), Wiring::Terminal);
    answer(&pty);
    let out = child.wait_with_output().unwrap();
    (out.status, String::from_utf8(out.stdout).unwrap(), pty)
}

#[track_caller]
fn assert_written(test: &Test, serial: &str) {
    assert_eq!(
        fs::read_to_string(test.config_path()).unwrap(),
        format!("[profile dev]\nregion = eu-west-1\nmfa_serial = {serial}\n")
    );
    let mut names: Vec<_> = fs::read_dir(test.home().join(".aws"))
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

#[test]
fn one_device_is_proposed_and_written() {
    let server = StsServer::start();
    server.devices(&[SERIAL]);
    let test = discovering(&server);
    let (status, stdout, pty) = on_terminal(&test, |pty| {
        pty.expect(&format!("Use the MFA device {SERIAL}?"), 1);
        pty.send("y");
    });
    assert!(status.success(), "{}", pty.screen());
    assert_eq!(stdout, "");
    assert_written(&test, SERIAL);
    assert!(
        pty.screen()
            .contains("belong to arn:aws:iam::123456789012:user/alice")
    );
    let requests = server.requests();
    let actions: Vec<_> = requests.iter().map(|r| r.action()).collect();
    assert_eq!(actions, ["GetCallerIdentity", "ListMFADevices"]);
    let (key, _, region, service) = requests[0].scope().unwrap();
    assert_eq!(
        (key.as_str(), region.as_str(), service.as_str()),
        (KEY_ID, "eu-west-1", "sts")
    );
    let list = &requests[1];
    assert_eq!(list.param("Version"), Some("2010-05-08"));
    assert_eq!(list.param("UserName"), Some("alice"));
    let (key, _, region, service) = list.scope().unwrap();
    assert_eq!(
        (key.as_str(), region.as_str(), service.as_str()),
        (KEY_ID, "us-east-1", "iam")
    );
}

#[test]
fn a_declined_device_lets_the_user_type_another() {
    let server = StsServer::start();
    server.devices(&[SERIAL]);
    let test = discovering(&server);
    let (status, _, pty) = on_terminal(&test, |pty| {
        pty.expect("Use the MFA device", 1);
        pty.send("n");
        pty.expect("MFA device ARN", 1);
        pty.send(&format!("{OTHER}\r"));
    });
    assert!(status.success(), "{}", pty.screen());
    assert_written(&test, OTHER);
}

#[test]
fn several_devices_are_picked_from_a_menu() {
    let server = StsServer::start();
    server.devices(&[SERIAL, OTHER, THIRD]);
    let test = discovering(&server);
    let (status, _, pty) = on_terminal(&test, |pty| {
        pty.expect("alice has 3 MFA devices", 1);
        pty.expect(THIRD, 1);
        pty.send("\x1b[B");
        pty.send("\r");
    });
    assert!(status.success(), "{}", pty.screen());
    assert_written(&test, OTHER);
}

#[test]
fn ctrl_c_at_the_menu_writes_nothing_and_shows_the_cursor_again() {
    let server = StsServer::start();
    server.devices(&[SERIAL, OTHER]);
    let test = discovering(&server);
    let before = fs::read(test.config_path()).unwrap();
    let (status, stdout, pty) = on_terminal(&test, |pty| {
        pty.expect(OTHER, 1);
        pty.send("\x03");
    });
    assert!(!status.success());
    assert_eq!(stdout, "");
    assert_eq!(fs::read(test.config_path()).unwrap(), before);
    // The menu hid the cursor, and it is shown again after it.
    pty.expect("\x1b[?25h", 1);
    let screen = pty.screen();
    let hidden = screen.find("\x1b[?25l").expect("the menu hides the cursor");
    assert!(screen.rfind("\x1b[?25h").unwrap() > hidden, "{screen:?}");
}

#[test]
fn no_device_asks_for_the_arn_and_checks_its_form() {
    let server = StsServer::start();
    let test = discovering(&server);
    let (status, _, pty) = on_terminal(&test, |pty| {
        pty.expect("IAM lists no MFA device for alice", 1);
        pty.expect("MFA device ARN", 1);
        pty.send("arn:aws:iam::1234:mfa/alice\r");
        pty.expect("not arn:PARTITION:iam::12 DIGITS:mfa/NAME", 1);
        pty.send(&format!("\x15{SERIAL}\r"));
    });
    assert!(status.success(), "{}", pty.screen());
    assert_written(&test, SERIAL);
}

#[test]
fn access_denied_asks_for_the_arn() {
    let server = StsServer::start();
    server.reply(Reply::Creds(Creds::default())).reply(Reply::error(
        403,
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: iam:ListMFADevices",
    ));
    let test = discovering(&server);
    let (status, _, pty) = on_terminal(&test, |pty| {
        pty.expect("IAM denied ListMFADevices (AccessDenied: User: arn:aws:iam::123456789012:user/alice is not authorized", 1);
        pty.expect("MFA device ARN", 1);
        pty.send(&format!("{SERIAL}\r"));
    });
    assert!(status.success(), "{}", pty.screen());
    assert_written(&test, SERIAL);
}

#[test]
fn without_a_terminal_it_names_the_device_to_pass() {
    let server = StsServer::start();
    server.devices(&[SERIAL]);
    discovering(&server).fails(&[
        "no terminal to ask for a confirmation on",
        &format!("pass --serial-number {SERIAL}"),
    ]);
    server.devices(&[SERIAL, OTHER]);
    discovering(&server).fails(&[
        "no terminal to ask for a choice of MFA device on",
        &format!("{SERIAL}, {OTHER}"),
    ]);
}

#[test]
fn the_root_user_lists_its_own_devices() {
    let server = StsServer::start();
    server.identity("arn:aws:iam::123456789012:root");
    discovering(&server).fails(&["no terminal"]);
    let list = &server.requests()[1];
    assert_eq!(list.action(), "ListMFADevices");
    assert_eq!(list.param("UserName"), None);
}

#[test]
fn keys_that_aws_refuses_stop_setup() {
    let server = StsServer::start();
    server.reply(Reply::error(
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    ));
    discovering(&server).fails(&["AWS does not know the access key AKIAEXAMPLEDEV00001"]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn terminal_escapes_from_iam_are_shown_escaped_in_the_question_and_the_menu() {
    // Serial numbers and the user name come from IAM (or from whatever answers in its place):
    // written raw, `ESC ] 0 ; ... BEL` would retitle the window, and other sequences rewrite
    // the screen or the question itself. They are shown escaped, like every server text.
    let hostile = "arn:aws:iam::123456789012:mfa/\u{1b}]0;owned\u{7}eve";
    let shown = "arn:aws:iam::123456789012:mfa/\\u{1b}]0;owned\\u{7}eve";
    let server = StsServer::start();
    server.identity("arn:aws:iam::123456789012:user/\u{1b}]2;named\u{7}bob");
    let raw = |pty: &Pty| {
        let screen = pty.screen();
        assert!(
            !screen.contains("\u{1b}]") && !screen.contains('\u{7}'),
            "a sequence from IAM reached the terminal: {screen:?}"
        );
    };

    // One device: the question names it.
    server.devices(&[hostile]);
    let test = discovering(&server);
    let (status, _, pty) = on_terminal(&test, |pty| {
        pty.expect(&format!("Use the MFA device {shown}?"), 1);
        pty.send("n");
        pty.expect("MFA device ARN", 1);
        pty.send(&format!("{SERIAL}\r"));
    });
    assert!(status.success(), "{}", pty.screen());
    raw(&pty);
    assert_written(&test, SERIAL);

    // Several: the menu lists them under a question that names the user.
    server.devices(&[SERIAL, hostile]);
    let test = discovering(&server);
    let (status, _, pty) = on_terminal(&test, |pty| {
        pty.expect("\\u{1b}]2;named\\u{7}bob has 2 MFA devices", 1);
        pty.expect(shown, 1);
        pty.send("\r");
    });
    assert!(status.success(), "{}", pty.screen());
    raw(&pty);
    assert_written(&test, SERIAL);
}

#[test]
fn the_endpoints_it_calls_are_named_and_plain_http_to_another_computer_is_refused() {
    let server = StsServer::start();
    server.devices(&[SERIAL]);
    let test = discovering(&server);
    let (status, _, pty) = on_terminal(&test, |pty| {
        pty.expect("Use the MFA device", 1);
        pty.send("y");
    });
    assert!(status.success(), "{}", pty.screen());
    let lines = test.endpoint_lines();
    assert_eq!(lines.len(), 2);
    for line in lines {
        assert_eq!(pty.screen().matches(&line).count(), 1, "{}", pty.screen());
    }
    // --serial-number is checked against IAM's list: both are called, and named once each.
    let test = Test::new()
        .config("[profile dev]\nregion = eu-west-1\n")
        .credentials(CREDENTIALS)
        .sts(&server)
        .iam(&server);
    let path = test.config_path();
    let test = test
        .may_write(path)
        .args(["setup", "dev", "--serial-number", SERIAL]);
    let out = test.ok();
    let lines = test.endpoint_lines();
    assert_eq!(lines.len(), 2);
    for line in lines {
        assert_eq!(
            out.raw_stderr.matches(&line).count(),
            1,
            "{}",
            out.raw_stderr
        );
    }
    // IAM over plain http to another computer: refused before any call.
    let before = server.requests().len();
    discovering(&server)
        .env("AWS_ENDPOINT_URL_IAM", "http://iam.example.invalid")
        .fails(&["the IAM endpoint http://iam.example.invalid (from AWS_ENDPOINT_URL_IAM) is plain http to another computer"]);
    assert_eq!(server.requests().len(), before);
}

/// A dry run asks nothing, so it needs no terminal: it shows the one device's line, or says
/// what a run would ask. (The harness runs without a terminal, and checks nothing is written.)
#[test]
fn dry_run_asks_nothing() {
    let server = StsServer::start();
    server.devices(&[SERIAL]);
    discovering(&server).arg("--dry-run").ok().stderr_has(&[
        "(dry run: nothing written)",
        &format!("mfa-env: + mfa_serial = {SERIAL}\n"),
    ]);
    server.devices(&[SERIAL, OTHER]);
    discovering(&server).arg("--dry-run").ok().stderr_has(&[
        "dry run: a run without --dry-run would ask which of alice's MFA devices to use: ",
        &format!("{SERIAL}, {OTHER}; nothing written"),
    ]);
    server.devices(&[]);
    discovering(&server)
        .arg("--dry-run")
        .ok()
        .stderr_has(&["would ask for the ARN: IAM lists no MFA device for alice; nothing written"]);
}

// ---- against moto

/// A profile `dev` with `keys`, STS and IAM at `moto`.
fn setup(moto: &Moto, keys: &(String, String)) -> Test {
    Test::new()
        .config("[profile dev]\nregion = us-east-1\n")
        .credentials(&format!(
            "[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            keys.0, keys.1
        ))
        .env("AWS_ENDPOINT_URL_STS", &moto.url)
        .env("AWS_ENDPOINT_URL_IAM", &moto.url)
        .args(["setup", "dev"])
}

/// Run on a terminal, answering with `answer`; the screen on failure.
#[track_caller]
fn run_on_terminal(test: &Test, answer: impl FnOnce(&Pty)) -> Pty {
    let pty = Pty::open();
    let child = pty.spawn(test.command(), Wiring::Terminal);
    answer(&pty);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", pty.screen());
    assert_eq!(out.stdout, b"");
    pty
}

#[track_caller]
fn assert_serial(test: &Test, serial: &str) {
    assert_eq!(
        fs::read_to_string(test.config_path()).unwrap(),
        format!("[profile dev]\nregion = us-east-1\nmfa_serial = {serial}\n")
    );
}

#[test]
fn one_device_is_found_written_and_verified() {
    let moto = moto::shared();
    let keys = moto.user("moto-one");
    let serial = moto.device("moto-one", "moto-one-phone");
    let test = setup(moto, &keys).args(["--verify", "--code", "123456"]);
    let pty = run_on_terminal(&test, |pty| {
        pty.expect(&format!("Use the MFA device {serial}?"), 1);
        pty.send("y");
    });
    assert_serial(&test, &serial);
    assert!(
        pty.screen()
            .contains("belong to arn:aws:iam::123456789012:user/moto-one"),
        "{}",
        pty.screen()
    );
    // The last line may reach the terminal after the process ends: wait for it.
    pty.expect("verified: STS accepted a code", 1);
}

#[test]
fn two_devices_are_offered_in_a_menu() {
    let moto = moto::shared();
    let keys = moto.user("moto-two");
    let first = moto.device("moto-two", "moto-two-phone");
    let second = moto.device("moto-two", "moto-two-yubikey");
    let test = setup(moto, &keys);
    run_on_terminal(&test, |pty| {
        pty.expect("moto-two has 2 MFA devices", 1);
        pty.expect(&first, 1);
        pty.expect(&second, 1);
        pty.send("\x1b[B\r");
    });
    assert_serial(&test, &second);
}

#[test]
fn no_device_asks_for_the_arn() {
    let moto = moto::shared();
    let keys = moto.user("moto-none");
    let test = setup(moto, &keys);
    let typed = "arn:aws:iam::123456789012:mfa/moto-none-typed";
    run_on_terminal(&test, |pty| {
        pty.expect("IAM lists no MFA device for moto-none", 1);
        pty.expect("MFA device ARN", 1);
        pty.send(&format!("{typed}\r"));
    });
    assert_serial(&test, typed);
}

#[test]
fn access_denied_asks_for_the_arn_with_signatures_checked() {
    // A server of its own: signature and policy checks are global to a moto server.
    let moto = Moto::start();
    let keys = moto.user("moto-denied");
    moto.device("moto-denied", "moto-denied-phone");
    moto.iam(
        "PutUserPolicy",
        &[
            ("UserName", "moto-denied"),
            ("PolicyName", "only-sts"),
            (
                "PolicyDocument",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetCallerIdentity","sts:GetSessionToken"],"Resource":"*"}]}"#,
            ),
        ],
    );
    // With signatures checked, moto names the user only when the signature (made with the
    // profile's keys) is right, and its policy denies ListMFADevices.
    moto.require_signatures();
    let test = setup(&moto, &keys);
    let typed = "arn:aws:iam::123456789012:mfa/moto-denied-phone";
    run_on_terminal(&test, |pty| {
        pty.expect(
            "IAM denied ListMFADevices (AccessDenied: User: arn:aws:iam::123456789012:user/moto-denied is not authorized",
            1,
        );
        pty.expect("MFA device ARN", 1);
        pty.send(&format!("{typed}\r"));
    });
    assert_serial(&test, typed);
}
