//! `mfa-env setup` against moto's IAM and STS: one device, two, none, and access denied.

use std::fs;

use crate::support::moto::{self, Moto};
use crate::support::pty::{Pty, Wiring};
use crate::support::*;

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
