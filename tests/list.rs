//! `mfa-env list`: the profiles of both files, with their marks.

use crate::support::*;
#[test]
fn list_marks_mfa_devices_and_roles_from_both_files() {
    let config = "[default]\nregion = us-east-1\n\
                  [profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n\
                  [profile prod-admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
                  [sso-session corp]\nsso_region = eu-west-1\n";
    let credentials = "[dev]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = devSECRET+marker/0000000000000000000001\n\
                       [ci]\naws_access_key_id = AKIAEXAMPLECI000001\naws_secret_access_key = y\n";
    let test = || Test::new().config(config).credentials(credentials);
    let out = test().args(["list"]).ok();
    assert_eq!(
        out.stdout,
        "ci\ndefault\ndev         mfa\nprod-admin  role mfa\n"
    );
    assert_eq!(out.stderr, "");
    let out = test().args(["list", "--json"]).ok();
    assert_eq!(
        out.stdout,
        "[\n\
         {\"name\":\"ci\",\"mfa\":false,\"role\":false,\"mfa_serial\":null,\"role_arn\":null,\"source_profile\":null,\"region\":null,\"long_term_keys\":true},\n\
         {\"name\":\"default\",\"mfa\":false,\"role\":false,\"mfa_serial\":null,\"role_arn\":null,\"source_profile\":null,\"region\":\"us-east-1\",\"long_term_keys\":false},\n\
         {\"name\":\"dev\",\"mfa\":true,\"role\":false,\"mfa_serial\":\"arn:aws:iam::123456789012:mfa/alice\",\"role_arn\":null,\"source_profile\":null,\"region\":\"eu-west-1\",\"long_term_keys\":true},\n\
         {\"name\":\"prod-admin\",\"mfa\":true,\"role\":true,\"mfa_serial\":\"arn:aws:iam::123456789012:mfa/alice\",\"role_arn\":\"arn:aws:iam::123456789012:role/admin\",\"source_profile\":\"dev\",\"region\":null,\"long_term_keys\":false}\n\
         ]\n"
    );
    assert!(!out.stdout.contains("AKIA") && !out.stdout.contains("SECRET"));
}

/// A role takes its source profile's device: `list` marks it `mfa` when its chain names one.
#[test]
fn list_marks_a_role_whose_chain_names_an_mfa_device() {
    let config = "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
                  [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n\
                  [profile deep]\nrole_arn = arn:aws:iam::123456789012:role/deep\nsource_profile = admin\n\
                  [profile ci]\n\
                  [profile bot]\nrole_arn = arn:aws:iam::123456789012:role/bot\nsource_profile = ci\n\
                  [profile loop]\nrole_arn = arn:aws:iam::123456789012:role/loop\nsource_profile = loop\n";
    let test = || Test::new().config(config);
    let out = test().args(["list"]).ok();
    assert_eq!(
        out.stdout,
        "admin  role mfa\nbot    role\nci\ndeep   role mfa\ndev    mfa\nloop   role\n"
    );
    let out = test().args(["list", "--json"]).ok();
    assert!(
        out.stdout
            .contains("{\"name\":\"admin\",\"mfa\":true,\"role\":true,\"mfa_serial\":null,"),
        "{}",
        out.stdout
    );
}

#[test]
fn list_without_files_or_profiles() {
    Test::new()
        .args(["list"])
        .fails(&["no AWS config files", "aws configure --profile NAME"]);
    Test::new()
        .config("[profile dev\n")
        .args(["list", "--json"])
        .fails(&["cannot parse"]);
    let out = Test::new().config("# nothing yet\n").args(["list"]).ok();
    assert_eq!(out.stdout, "");
    out.stderr_has(&["no profiles in"]);
    let out = Test::new().config("").args(["list", "--json"]).ok();
    assert_eq!(out.stdout, "[\n]\n");
}
