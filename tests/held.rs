//! Keeping the session the shell holds: kept while it serves the request, renewed when it
//! does not (another profile, role, account or region, too little time left, --force).

use crate::support::shells::{ALL, Sh};
use crate::support::*;
/// The statements that remove the profile variables, as bash reads them.
const UNSET_PROFILE: &str =
    "unset AWS_PROFILE\nunset AWS_DEFAULT_PROFILE\nunset AWS_SECURITY_TOKEN\n";

/// A role session's identity, as export records it.
const READ_ONLY: &str = "arn:aws:iam::123456789012:role/ReadOnly";

#[test]
fn a_held_session_with_time_left_is_kept() {
    let server = StsServer::start();
    let out = Test::dev(&server)
        .holding("dev", 3 * 3600)
        .args(["dev", "-s", "bash"])
        .ok();
    // Kept, the profile variables are still removed: one set since would win over the keys.
    assert_eq!(out.stdout, UNSET_PROFILE);
    assert!(
        out.stderr
            .starts_with("mfa-env: this shell holds a session for dev until ")
            && out
                .stderr
                .contains(" (3h left); nothing to do (--force renews it)\n"),
        "{}",
        out.stderr
    );
    let kept: &[&[&str]] = &[
        // The region asked for is the one held.
        &["--region", "eu-west-1"],
        // As long as asked for, but for --min-ttl: asking again for what was just obtained.
        &["-d", "3h"],
        &["-d", "3h9m"],
        &["-d", "3h50m", "--min-ttl", "1h"],
    ];
    for args in kept {
        let out = Test::dev(&server)
            .holding("dev", 3 * 3600)
            .args(["dev", "-s", "bash"])
            .args(args.iter())
            .ok();
        assert_eq!(out.stdout, UNSET_PROFILE, "{args:?}");
    }
    // The role held is the one asked for, on the command line or in the profile.
    let role = |test: Test| test.env("MFA_ENV_ROLE", READ_ONLY);
    role(Test::dev(&server).holding("dev", 3 * 3600))
        .args(["dev", "-s", "bash", "--role-arn", READ_ONLY])
        .ok();
    let config = format!("{CONFIG}[profile ro]\nrole_arn = {READ_ONLY}\nsource_profile = dev\n");
    role(Test::dev(&server).holding("ro", 3 * 3600))
        .config(&config)
        .args(["ro", "-s", "bash"])
        .ok();
    assert!(server.requests().is_empty());
}

#[test]
fn a_kept_session_still_removes_a_profile_chosen_since() {
    let server = StsServer::start();
    for sh in ALL {
        let script = match sh {
            Sh::Fish => "$MFA_ENV dev | source; and env -0",
            _ => "eval \"$(\"$MFA_ENV\" dev)\" && env -0",
        };
        let run = Test::dev(&server)
            .holding("dev", 3 * 3600)
            .env("AWS_PROFILE", "bob")
            .env("AWS_DEFAULT_PROFILE", "bob")
            .shell(sh, script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert!(
            run.stderr.contains("holds a session for dev"),
            "{}",
            run.stderr
        );
        assert!(!run.env.contains_key("AWS_PROFILE"), "{}", sh.name());
        assert!(
            !run.env.contains_key("AWS_DEFAULT_PROFILE"),
            "{}",
            sh.name()
        );
        assert_eq!(
            run.env.get("AWS_ACCESS_KEY_ID").map(String::as_str),
            Some("ASIAHELDSESSION00042")
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn the_kept_message_reads_for_any_profile_name() {
    let server = StsServer::start();
    let config = CONFIG.replace("[profile dev]", "[profile alice]");
    let out = Test::dev(&server)
        .holding("alice", 3600)
        .config(&config)
        .credentials(&CREDENTIALS.replace("[dev]", "[alice]"))
        .args(["alice", "-s", "bash"])
        .ok();
    out.stderr_has(&["this shell holds a session for alice until"]);
    assert!(!out.stderr.contains("a alice"), "{}", out.stderr);
}

#[test]
fn a_held_session_is_renewed_when_it_does_not_serve_the_request() {
    let server = StsServer::start();
    type Env = &'static [(&'static str, &'static str)];
    let renewals: &[(&str, i64, Env, &[&str])] = &[
        ("dev", 3 * 3600, &[], &["--force"]),
        ("dev", 9 * 60, &[], &[]),
        ("dev", 25 * 60, &[], &["--min-ttl", "30m"]),
        ("prod", 3 * 3600, &[], &[]),
        ("dev", 3 * 3600, &[], &["--region", "us-west-2"]),
        // A role asked for on the command line is another identity than the held session's.
        (
            "dev",
            3 * 3600,
            &[],
            &["--role-arn", "arn:aws:iam::210987654321:role/Admin"],
        ),
        // ...and so is the profile's own identity after a role session (no role asked).
        ("dev", 3 * 3600, &[("MFA_ENV_ROLE", READ_ONLY)], &[]),
        // Another account: the profile's MFA device is in 123456789012.
        ("dev", 3 * 3600, &[("MFA_ENV_ACCOUNT", "210987654321")], &[]),
        // Keys another tool put in the environment are not the session's.
        (
            "dev",
            3 * 3600,
            &[("AWS_ACCESS_KEY_ID", "ASIAOTHERTOOL0000001")],
            &[],
        ),
        // A session from before identities were recorded.
        ("dev", 3 * 3600, &[("MFA_ENV_ACCESS_KEY_ID", "")], &[]),
        // A region set since: the user's own, it wins over the profile's, as in the AWS tools.
        ("dev", 3 * 3600, &[("AWS_REGION", "us-west-2")], &[]),
        // An explicit length longer than what is left (by more than --min-ttl).
        ("dev", 30 * 60, &[], &["-d", "12h"]),
        ("dev", 3 * 3600, &[], &["-d", "3h11m"]),
        // The data formats go to other readers, not to this shell.
        ("dev", 3 * 3600, &[], &["--format", "json"]),
        ("dev", 3 * 3600, &[], &["--format", "process"]),
    ];
    for (profile, left, vars, args) in renewals {
        let mut test = Test::dev(&server).holding(profile, *left);
        for (name, value) in *vars {
            test = test.env(name, value);
        }
        let out = test.args(["dev", "-c", "123456"]).args(args.iter()).ok();
        assert!(
            out.stdout.contains("ASIATESTSESSIONKEY01"),
            "{vars:?} {args:?}"
        );
        assert!(
            out.stderr.contains("dev session valid until"),
            "{vars:?} {args:?}"
        );
        // A role of dev's is assumed from the MFA session this shell holds, with no code.
        let signer = if args.contains(&"--role-arn") {
            "ASIAHELDSESSION00042"
        } else {
            KEY_ID
        };
        assert_eq!(server.requests().pop().unwrap().access_key(), signer);
    }
    assert_eq!(server.requests().len(), renewals.len());
    // A session missing its token is not kept.
    Test::dev(&server)
        .holding("dev", 3 * 3600)
        .env("AWS_SESSION_TOKEN", "")
        .args(["dev", "-c", "123456"])
        .ok();
    assert_eq!(server.requests().len(), renewals.len() + 1);
}

#[test]
fn a_role_session_then_the_profile_alone_gets_the_profiles_own_session() {
    // As a user does it: a role session, then the plain profile, in the real shells.
    let server = StsServer::start();
    for sh in ALL {
        let script = [
            crate::init::load_init(sh),
            &format!("mfa-env dev --code 123456 --role-arn {READ_ONLY}\n"),
            "mfa-env dev --code 123456\n",
            "env -0\n",
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert!(!run.stderr.contains("nothing to do"), "{}", run.stderr);
        assert_eq!(
            run.env
                .get("MFA_ENV_ROLE")
                .map(String::as_str)
                .unwrap_or(""),
            "",
            "{}",
            sh.name()
        );
        assert_eq!(
            run.env.get("MFA_ENV_ACCOUNT").map(String::as_str),
            Some("123456789012")
        );
    }
    let actions: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.action().to_owned())
        .collect();
    assert_eq!(actions, ["AssumeRole", "GetSessionToken"].repeat(ALL.len()));
}

/// dev and the roles of its chain: admin is assumed with dev's keys and code.
fn chain(server: &StsServer) -> Test {
    Test::dev(server).config(&format!("{CONFIG}{CHAIN}"))
}

#[test]
fn a_role_is_assumed_from_the_mfa_session_the_shell_holds_with_no_code() {
    let server = StsServer::start();
    for sh in ALL {
        let script = match sh {
            Sh::Fish => {
                "$MFA_ENV dev --code 123456 | source; and $MFA_ENV admin | source; and env -0"
            }
            _ => {
                "eval \"$(\"$MFA_ENV\" dev --code 123456)\" && eval \"$(\"$MFA_ENV\" admin)\" && env -0"
            }
        };
        let run = chain(&server).shell(sh, script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert!(
            run.stderr.contains(
                "mfa-env: the role is assumed from the MFA session this shell holds: no code needed\n"
            ),
            "{}",
            run.stderr
        );
        assert_eq!(
            run.env.get("MFA_ENV_ROLE").map(String::as_str),
            Some("arn:aws:iam::210987654321:role/Admin")
        );
    }
    let calls = server.requests();
    assert_eq!(calls.len(), 2 * ALL.len());
    for pair in calls.chunks(2) {
        assert_eq!(pair[0].action(), "GetSessionToken");
        assert_eq!(pair[0].param("TokenCode"), Some("123456"));
        // Signed with the session the shell holds, no code, the hour of a chained role.
        assert_eq!(pair[1].assert_assumed_with(&Creds::default()), 3600);
    }
}

#[test]
fn only_the_mfa_session_mfa_env_exported_from_the_same_keys_and_device_serves_a_role() {
    let server = StsServer::start();
    // What the shell holds: dev's session as export set it, 3 hours left.
    let held = |test: Test| test.holding("dev", 3 * 3600);
    let out = held(chain(&server)).args(["admin", "-s", "bash"]).ok();
    out.stderr_has(&["the MFA session this shell holds: no code needed"]);
    assert_eq!(server.only_request().access_key(), "ASIAHELDSESSION00042");
    type Vars = &'static [(&'static str, &'static str)];
    let refused: &[(&str, Vars, &[&str])] = &[
        ("another profile", &[("MFA_ENV_PROFILE", "prod")], &[]),
        (
            "a role session",
            &[("MFA_ENV_ROLE", "arn:aws:iam::123456789012:role/ReadOnly")],
            &[],
        ),
        (
            "another device",
            &[("MFA_ENV_MFA_SERIAL", "arn:aws:iam::123456789012:mfa/bob")],
            &[],
        ),
        (
            "another long-term key",
            &[("MFA_ENV_LONG_TERM_KEY_ID", "****************0002")],
            &[],
        ),
        (
            "another account",
            &[("MFA_ENV_ACCOUNT", "210987654321")],
            &[],
        ),
        (
            "keys another tool put there",
            &[("AWS_ACCESS_KEY_ID", "ASIAOTHERTOOL0000001")],
            &[],
        ),
        ("no token", &[("AWS_SESSION_TOKEN", "")], &[]),
        (
            "a token STS never sends",
            &[("AWS_SESSION_TOKEN", "heldToken\r\nX-Injected: 1")],
            &[],
        ),
        (
            "an export from before the markers",
            &[("MFA_ENV_MFA_SERIAL", ""), ("MFA_ENV_LONG_TERM_KEY_ID", "")],
            &[],
        ),
        ("longer than a chained role may last", &[], &["-d", "2h"]),
    ];
    let no_code = "no terminal to ask for the MFA code on";
    for (what, vars, args) in refused {
        let mut test = held(chain(&server));
        for (name, value) in *vars {
            test = test.env(name, value);
        }
        let out = test.args(["admin", "-s", "bash"]).args(args.iter()).run();
        assert!(!out.status.success(), "{what}");
        out.stderr_has(&[no_code]);
        assert!(server.requests().len() == 1, "{what}: no call was made");
    }
    // Too little time left for the hour a role from it gets.
    let out = chain(&server)
        .holding("dev", 50 * 60)
        .args(["admin", "-s", "bash"])
        .run();
    out.stderr_has(&[no_code]);
    // Credentials of another tool, with no marker at all.
    let out = chain(&server)
        .env("AWS_ACCESS_KEY_ID", "ASIAOTHERTOOL0000001")
        .env("AWS_SECRET_ACCESS_KEY", "otherSecret")
        .env("AWS_SESSION_TOKEN", "otherToken")
        .env("AWS_CREDENTIAL_EXPIRATION", &in_minutes(600))
        .args(["admin", "-s", "bash"])
        .run();
    out.stderr_has(&[no_code]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_refusal_of_the_held_mfa_session_is_named_as_that_session() {
    // The role's trust policy refuses the session (too old for aws:MultiFactorAuthAge, say):
    // a new code would be asked for, and without a terminal the refusal is what is said.
    let server = StsServer::start();
    server.always(Reply::error(
        403,
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/Admin",
    ));
    let out = chain(&server)
        .holding("dev", 3 * 3600)
        .args(["admin", "-s", "bash"])
        .fails(&[
            "the role refused the MFA session this shell holds",
            "not authorized to assume role arn:aws:iam::210987654321:role/Admin",
            "the role was assumed with the MFA session of profile dev, which carries MFA",
            "aws:MultiFactorAuthAge",
        ]);
    assert!(!out.stderr.contains("add `mfa_serial"), "{}", out.stderr);
    // The session itself is no longer good (expired, revoked): named as the MFA session,
    // not as a previous role.
    let server = StsServer::start();
    server.always(Reply::error(
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    ));
    let out = chain(&server)
        .holding("dev", 3 * 3600)
        .args(["admin", "-s", "bash"])
        .fails(&[
            "STS refused the MFA session of profile dev",
            "a new session",
        ]);
    assert!(!out.stderr.contains("previous role"), "{}", out.stderr);
}
