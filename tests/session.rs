//! The session commands (status, unset, exec), keeping a held session, and the data formats
//! read by real readers (botocore's credential_process, python-dotenv).

use std::process::Command;

use crate::support::pty::{Pty, Wiring};
use crate::support::shells::{ALL, Sh};
use crate::support::*;

/// The environment of a shell that evaluated `mfa-env dev` `left` seconds before expiry.
fn holding(test: Test, profile: &str, left: i64) -> Test {
    let expiration = mfa_env::time::rfc3339(mfa_env::time::now() + left);
    test.env("MFA_ENV_PROFILE", profile)
        .env("MFA_ENV_ACCOUNT", "123456789012")
        .env("MFA_ENV_ACCESS_KEY_ID", "ASIAHELDSESSION00042")
        .env("AWS_ACCESS_KEY_ID", "ASIAHELDSESSION00042")
        .env("AWS_SECRET_ACCESS_KEY", "heldSecret")
        .env("AWS_SESSION_TOKEN", "heldToken")
        .env("AWS_CREDENTIAL_EXPIRATION", &expiration)
        .env("AWS_SESSION_EXPIRATION", &expiration)
        .env("AWS_REGION", "eu-west-1")
}

// ---- status

#[test]
fn status_without_a_session() {
    let out = Test::new().args(["status"]).fails(&[
        "no mfa-env session in this shell",
        "eval \"$(mfa-env PROFILE)\"",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = Test::new()
        .args(["status", "--json"])
        .fails(&["no mfa-env session"]);
    assert_eq!(out.status.code(), Some(1));
    // The prompt segment: nothing at all, on either stream.
    let out = Test::new().args(["status", "--prompt"]).run();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
    // A profile variable alone, or an unreadable expiration, is no session.
    let out = Test::new()
        .env("MFA_ENV_PROFILE", "dev")
        .env("AWS_ACCESS_KEY_ID", "ASIAX")
        .env("AWS_CREDENTIAL_EXPIRATION", "tomorrow")
        .args(["status", "--prompt"])
        .run();
    assert_eq!((out.status.code(), out.stdout.as_str()), (Some(1), ""));
}

#[test]
fn status_reads_the_environment_alone() {
    // An unparsable config and no STS: status reads neither.
    let test = || {
        holding(Test::new(), "dev", 42 * 60 + 20)
            .config("this is [not an ini file\n")
            .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    };
    let out = test().args(["status", "--prompt"]).ok();
    assert_eq!(out.stdout, "dev 42m\n");
    assert_eq!(out.stderr, "");
    let out = test().args(["status"]).ok();
    let expiration = out.stdout.lines().nth(5).unwrap().to_owned();
    assert!(
        out.stdout.starts_with(
            "profile     dev\nrole        -\naccount     123456789012\naccess key  ****************0042\nregion      eu-west-1\nexpires     "
        ) && expiration.ends_with(" UTC, 42m left)"),
        "{}",
        out.stdout
    );
    // In the local zone, beside the UTC time.
    let out = test().env("TZ", "<+0530>-5:30").args(["status"]).ok();
    let expiration = out
        .stdout
        .lines()
        .find(|l| l.starts_with("expires"))
        .unwrap();
    assert!(
        expiration.starts_with("expires     20")
            && expiration.contains("Z (")
            && expiration.ends_with(" UTC+05:30, 42m left)"),
        "{}",
        out.stdout
    );
    let out = test().args(["status", "--json"]).ok();
    assert!(
        out.stdout.starts_with(
            "{\"profile\":\"dev\",\"role\":null,\"account\":\"123456789012\",\"access_key_id\":\"****************0042\",\"region\":\"eu-west-1\",\"expiration\":\""
        ) && out.stdout.contains("\"seconds_left\":25")
            && out.stdout.ends_with(",\"expired\":false}\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("heldSecret") && !out.stdout.contains("ASIAHELD"));
}

#[test]
fn status_shows_the_role_and_its_account() {
    let test = || {
        holding(Test::new(), "dev", 3600)
            .env("MFA_ENV_ROLE", "arn:aws:iam::210987654321:role/ReadOnly")
            .env("MFA_ENV_ACCOUNT", "210987654321")
    };
    let out = test().args(["status"]).ok();
    assert!(
        out.stdout.starts_with(
            "profile     dev\nrole        arn:aws:iam::210987654321:role/ReadOnly\naccount     210987654321\n"
        ),
        "{}",
        out.stdout
    );
    let out = test().args(["status", "--json"]).ok();
    assert!(
        out.stdout.starts_with(
            "{\"profile\":\"dev\",\"role\":\"arn:aws:iam::210987654321:role/ReadOnly\",\"account\":\"210987654321\","
        ),
        "{}",
        out.stdout
    );
    // Without an account the ARNs name (a hardware device's serial), none is shown.
    let out = holding(Test::new(), "dev", 3600)
        .env("MFA_ENV_ACCOUNT", "")
        .args(["status", "--json"])
        .ok();
    assert!(out.stdout.contains("\"role\":null,\"account\":null,"));
}

#[test]
fn status_after_another_tool_replaced_the_keys() {
    // The keys are no longer the session's: no session to show, and the prompt shows none.
    let test =
        || holding(Test::new(), "dev", 3600).env("AWS_ACCESS_KEY_ID", "ASIAOTHERTOOL0000001");
    let out = test().args(["status"]).fails(&[
        "this shell's dev session was replaced",
        "AWS_ACCESS_KEY_ID is no longer the key mfa-env exported",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = test().args(["status", "--prompt"]).run();
    assert_eq!((out.status.code(), out.stdout.as_str()), (Some(1), ""));
}

#[test]
fn status_of_an_expired_session() {
    let test = || holding(Test::new(), "dev", -125);
    let out = test().args(["status"]).fails(&[
        "the dev session in this shell expired at",
        "(2m ago)",
        "mfa-env dev",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let out = test().args(["status", "--prompt"]).ok();
    assert_eq!(out.stdout, "dev expired\n");
    // Scripts get the same object as for a live session, saying it has expired.
    let out = test().args(["status", "--json"]).ok();
    assert!(
        out.stdout.starts_with("{\"profile\":\"dev\",")
            && out
                .stdout
                .ends_with(",\"seconds_left\":0,\"expired\":true}\n"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stderr, "");
    let out = holding(Test::new(), "dev", 11 * 3600 + 58 * 60 + 10)
        .args(["status", "--prompt"])
        .ok();
    assert_eq!(out.stdout, "dev 11h58m\n");
}

// ---- unset

#[test]
fn unset_removes_every_variable_export_sets_in_each_shell() {
    let server = StsServer::start();
    for sh in ALL {
        let out = Test::dev(&server)
            .args(["dev", "-c", "123456", "-f", sh.name()])
            .ok();
        let unset = Test::new().args(["unset", "--shell", sh.name()]).ok();
        let clear = Test::new().args(["clear", "-s", sh.name()]).ok();
        assert_eq!(unset.stdout, clear.stdout);
        let keep = match sh {
            Sh::Fish => "set -gx KEEP kept; set -gx AWS_PROFILE mine\n",
            _ => "export KEEP=kept AWS_PROFILE=mine\n",
        };
        let env = sh.eval(&format!("{}{keep}{}", out.stdout, unset.stdout));
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_SESSION_EXPIRATION",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "MFA_ENV_PROFILE",
            "MFA_ENV_ROLE",
            "MFA_ENV_ACCOUNT",
            "MFA_ENV_ACCESS_KEY_ID",
        ] {
            assert!(!env.contains_key(name), "{} kept {name}", sh.name());
        }
        // Only what export sets: a profile chosen afterwards stays.
        assert_eq!(env.get("AWS_PROFILE").map(String::as_str), Some("mine"));
        assert_eq!(env.get("KEEP").map(String::as_str), Some("kept"));
    }
    Test::new()
        .args(["unset", "--format", "json"])
        .fails(&["json has none", "pick a shell"]);
    let pwsh = Test::new().args(["unset", "-f", "pwsh"]).ok();
    assert!(pwsh.stdout.starts_with(
        "Remove-Item -LiteralPath Env:AWS_ACCESS_KEY_ID -ErrorAction SilentlyContinue\n"
    ));
}

// ---- keeping the session the shell holds

/// The statements that remove the profile variables, as bash reads them.
const UNSET_PROFILE: &str =
    "unset AWS_PROFILE\nunset AWS_DEFAULT_PROFILE\nunset AWS_SECURITY_TOKEN\n";

/// A role session's identity, as export records it.
const READ_ONLY: &str = "arn:aws:iam::123456789012:role/ReadOnly";

#[test]
fn a_held_session_with_time_left_is_kept() {
    let server = StsServer::start();
    let out = holding(Test::dev(&server), "dev", 3 * 3600)
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
        let out = holding(Test::dev(&server), "dev", 3 * 3600)
            .args(["dev", "-s", "bash"])
            .args(args.iter())
            .ok();
        assert_eq!(out.stdout, UNSET_PROFILE, "{args:?}");
    }
    // The role held is the one asked for, on the command line or in the profile.
    let role = |test: Test| test.env("MFA_ENV_ROLE", READ_ONLY);
    role(holding(Test::dev(&server), "dev", 3 * 3600))
        .args(["dev", "-s", "bash", "--role-arn", READ_ONLY])
        .ok();
    let config = format!("{CONFIG}[profile ro]\nrole_arn = {READ_ONLY}\nsource_profile = dev\n");
    role(holding(Test::dev(&server), "ro", 3 * 3600))
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
        let run = holding(Test::dev(&server), "dev", 3 * 3600)
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
    let out = holding(Test::dev(&server), "alice", 3600)
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
        // A region set since, when the profile names its own: a new session sets the profile's.
        ("dev", 3 * 3600, &[("AWS_REGION", "us-west-2")], &[]),
        // An explicit length longer than what is left (by more than --min-ttl).
        ("dev", 30 * 60, &[], &["-d", "12h"]),
        ("dev", 3 * 3600, &[], &["-d", "3h11m"]),
        // The data formats go to other readers, not to this shell.
        ("dev", 3 * 3600, &[], &["--format", "json"]),
        ("dev", 3 * 3600, &[], &["--format", "process"]),
    ];
    for (profile, left, vars, args) in renewals {
        let mut test = holding(Test::dev(&server), profile, *left);
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
        assert_eq!(server.requests().pop().unwrap().access_key(), KEY_ID);
    }
    assert_eq!(server.requests().len(), renewals.len());
    // A session missing its token is not kept.
    holding(Test::dev(&server), "dev", 3 * 3600)
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

// ---- exec

/// `mfa-env exec dev -c 123456 --`, before the command.
const EXEC_DEV: [&str; 5] = ["exec", "dev", "-c", "123456", "--"];

/// A command that writes its arguments NUL-separated and exits with status `$EXIT`.
const SHOW_ARGS: &str = "printf '%s\\0' \"$@\"; exit \"${EXIT:-0}\"";

#[test]
fn exec_passes_arguments_unchanged_and_the_session_in_the_environment() {
    let server = StsServer::start();
    let creds = Creds::fixed();
    server.always(Reply::Creds(creds.clone()));
    let args = [
        "a b",
        "it's",
        "\"double\"",
        "",
        "$HOME",
        "*",
        "--",
        "-c",
        "back\\slash",
        "new\nline",
        "é 日本",
    ];
    let out = Test::dev(&server)
        .env("AWS_PROFILE", "other")
        .env("AWS_DEFAULT_PROFILE", "other")
        .args(EXEC_DEV)
        .args(["sh", "-c", SHOW_ARGS, "sh"])
        .args(args)
        .ok();
    let got: Vec<&str> = out.stdout.split_terminator('\0').collect();
    assert_eq!(got, args);
    assert!(out.stderr.starts_with("mfa-env: dev session valid until"));

    let out = Test::dev(&server)
        .env("AWS_PROFILE", "other")
        .env("AWS_DEFAULT_PROFILE", "other")
        .args(["exec", "dev", "-c", "123456", "env", "-0"])
        .ok();
    let env = shells::parse_env0(out.stdout.as_bytes());
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", "ASIATESTSESSIONKEY01"),
        ("AWS_SECRET_ACCESS_KEY", "sessionSecret/with+slash="),
        ("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEBYaDH+token/value=="),
        ("AWS_CREDENTIAL_EXPIRATION", &creds.expiration),
        ("AWS_REGION", "eu-west-1"),
        ("MFA_ENV_PROFILE", "dev"),
    ] {
        assert_eq!(env.get(name).map(String::as_str), Some(value), "{name}");
    }
    assert!(!env.contains_key("AWS_PROFILE") && !env.contains_key("AWS_DEFAULT_PROFILE"));
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn exec_returns_the_commands_status_and_signal() {
    let server = StsServer::start();
    for code in ["0", "1", "42", "255"] {
        let out = Test::dev(&server)
            .env("EXIT", code)
            .args(EXEC_DEV)
            .args(["sh", "-c", "exit \"$EXIT\""])
            .run();
        assert_eq!(out.status.code(), Some(code.parse().unwrap()));
    }
    let out = Test::dev(&server)
        .args(EXEC_DEV)
        .args(["sh", "-c", "kill -TERM $$"])
        .run();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGTERM));
}

#[test]
fn exec_of_a_missing_command_spends_no_code() {
    let server = StsServer::start();
    let test = Test::dev(&server);
    let script = test.tmp().join("script");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let script = script.to_str().unwrap().to_owned();
    let missing = format!("{script}-missing");
    for (command, status, needles) in [
        (
            "no-such-command-mfa",
            127,
            [
                "cannot run 'no-such-command-mfa': no such command in PATH",
                "PATH",
            ],
        ),
        (
            missing.as_str(),
            127,
            [&*format!("cannot run '{missing}': no such file"), "PATH"],
        ),
        (
            script.as_str(),
            126,
            [
                &*format!("cannot run '{script}': not an executable file"),
                "executable program",
            ],
        ),
    ] {
        // Found before the code is used (no STS call) or asked for (no terminal to ask on).
        for code in [&["-c", "123456"][..], &[]] {
            let out = Test::dev(&server)
                .args(["exec", "dev"])
                .args(code)
                .args(["--", command, "x"])
                .fails(&needles);
            assert_eq!(out.status.code(), Some(status), "{command}");
            assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
        }
    }
    assert!(server.requests().is_empty());
    let out = Test::new()
        .args(EXEC_DEV)
        .args(["true"])
        .fails(&["no AWS config files"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn exec_without_a_command_starts_the_users_shell() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    // `env` for a shell: it shows the environment the shell would start with.
    let out = Test::dev(&server)
        .env("SHELL", "/usr/bin/env")
        .env("AWS_PROFILE", "other")
        .args(["exec", "dev", "-c", "123456"])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    for line in [
        "AWS_ACCESS_KEY_ID=ASIATESTSESSIONKEY01",
        "AWS_SESSION_TOKEN=FwoGZXIvYXdzEBYaDH+token/value==",
        "MFA_ENV_PROFILE=dev",
        "MFA_ENV_ACCESS_KEY_ID=ASIATESTSESSIONKEY01",
    ] {
        assert!(lines.contains(&line), "{line} not in {}", out.stdout);
    }
    assert!(!out.stdout.contains("AWS_PROFILE="));
    out.stderr_has(&[
        "dev session valid until",
        "starting /usr/bin/env with the dev session",
    ]);
    // Without SHELL, /bin/sh (it reads the end of its input and exits).
    let out = Test::dev(&server)
        .args(["exec", "dev", "-c", "123456"])
        .ok();
    out.stderr_has(&["starting /bin/sh with the dev session"]);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn exec_gets_a_new_session_when_the_held_one_is_another_identity() {
    let server = StsServer::start();
    let show = [
        "--",
        "sh",
        "-c",
        "printf '%s %s' \"$AWS_ACCESS_KEY_ID\" \"${MFA_ENV_ROLE-none}\"",
    ];
    // A role session held, the profile's own asked for; then keys replaced by another tool.
    let vars: &[(&str, &str)] = &[
        ("MFA_ENV_ROLE", READ_ONLY),
        ("AWS_ACCESS_KEY_ID", "ASIAOTHERTOOL0000001"),
    ];
    for (name, value) in vars {
        let out = holding(Test::dev(&server), "dev", 3600)
            .env(name, value)
            .args(["exec", "dev", "-c", "123456"])
            .args(show)
            .ok();
        assert_eq!(out.stdout, "ASIATESTSESSIONKEY01 none", "{name}");
        assert_eq!(server.requests().pop().unwrap().action(), "GetSessionToken");
    }
    assert_eq!(server.requests().len(), vars.len());
}

#[test]
fn exec_uses_the_session_the_shell_holds() {
    let server = StsServer::start();
    let out = holding(Test::dev(&server), "dev", 3600)
        .env("AWS_PROFILE", "other")
        .args([
            "exec",
            "dev",
            "--",
            "sh",
            "-c",
            "printf '%s %s' \"$AWS_ACCESS_KEY_ID\" \"${AWS_PROFILE-none}\"",
        ])
        .ok();
    assert_eq!(out.stdout, "ASIAHELDSESSION00042 none");
    assert_eq!(out.stderr, "");
    assert!(server.requests().is_empty());
}

// ---- formats read by real readers

#[test]
fn botocore_reads_the_process_format_through_credential_process() {
    let server = StsServer::start();
    let test = Test::dev(&server);
    let config = format!(
        "{CONFIG}[profile dev-mfa]\ncredential_process = {BIN} --format process dev --code 123456\nregion = eu-west-1\n"
    );
    let test = test.config(&config);
    let script = "import botocore.session\n\
                  s = botocore.session.Session(profile='dev-mfa')\n\
                  c = s.get_credentials()\n\
                  f = c.get_frozen_credentials()\n\
                  print(c.method, f.access_key, f.secret_key, f.token, sep='\\n')\n\
                  print(c._expiry_time.isoformat())\n";
    let before = test.snapshot();
    let out = Command::new(python())
        .args(["-c", script])
        .env_clear()
        .envs(
            test.command()
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .output()
        .unwrap();
    test.assert_unchanged(&before);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "custom-process",
            "ASIATESTSESSIONKEY01",
            "sessionSecret/with+slash=",
            "FwoGZXIvYXdzEBYaDH+token/value=="
        ]
    );
    let req = server.only_request();
    assert_eq!(req.param("TokenCode"), Some("123456"));
    assert_eq!(req.access_key(), KEY_ID);
    let expiry = lines[4].replace("+00:00", "Z");
    let want = mfa_env::time::now() + 43_200;
    let got = mfa_env::time::parse_rfc3339(&expiry).unwrap();
    assert!((got - want).abs() < 60, "{expiry}");
    // The only thing on stderr is mfa-env's own line, passed through by botocore's child.
    assert!(!stderr.contains("sessionSecret"));
}

#[test]
fn the_process_format_asks_for_the_code_on_the_terminal() {
    // As an SDK runs it: stdout and stderr pipes, the prompt on the controlling terminal.
    let server = StsServer::start();
    let test = Test::dev(&server).args(["dev", "--format", "process"]);
    let pty = Pty::open();
    let child = pty.spawn(test.command(), Wiring::Redirected);
    pty.expect("MFA code for dev", 1);
    pty.send("246810\r");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("{\"Version\":1,\"AccessKeyId\":\"ASIATESTSESSIONKEY01\",\"SecretAccessKey\":\"sessionSecret/with+slash=\",\"SessionToken\":\"FwoGZXIvYXdzEBYaDH+token/value==\",\"Expiration\":\""),
        "{stdout}"
    );
    assert_eq!(server.only_request().param("TokenCode"), Some("246810"));
}

#[test]
fn json_is_one_flat_object() {
    let server = StsServer::start();
    let creds = Creds::fixed();
    server.always(Reply::Creds(creds.clone()));
    let out = Test::dev(&server)
        .args(["dev", "-c", "123456", "--format", "json"])
        .ok();
    let expiration = &creds.expiration;
    assert_eq!(
        out.stdout,
        format!(
            "{{\"AWS_ACCESS_KEY_ID\":\"ASIATESTSESSIONKEY01\",\"AWS_SECRET_ACCESS_KEY\":\"sessionSecret/with+slash=\",\"AWS_SESSION_TOKEN\":\"FwoGZXIvYXdzEBYaDH+token/value==\",\"AWS_CREDENTIAL_EXPIRATION\":\"{expiration}\",\"AWS_SESSION_EXPIRATION\":\"{expiration}\",\"AWS_REGION\":\"eu-west-1\",\"AWS_DEFAULT_REGION\":\"eu-west-1\",\"MFA_ENV_PROFILE\":\"dev\",\"MFA_ENV_ROLE\":\"\",\"MFA_ENV_ACCOUNT\":\"123456789012\",\"MFA_ENV_ACCESS_KEY_ID\":\"ASIATESTSESSIONKEY01\"}}\n"
        )
    );
}

#[test]
fn json_and_dotenv_values_arrive_exactly_in_python() {
    let server = StsServer::start();
    // Every character STS may send, where the formats care (a leading `=` and `-`). Values
    // beyond STS's alphabet are refused (hostile.rs); the formats' quoters are proved exact
    // for any value by quoting.rs.
    let creds = crate::shells::hostile();
    server.always(Reply::Creds(creds.clone()));
    let script = "import json, sys, io, dotenv\n\
                  data = sys.stdin.read()\n\
                  if sys.argv[1] == 'json':\n    d = json.loads(data)\n\
                  else:\n    d = dotenv.dotenv_values(stream=io.StringIO(data), interpolate=True)\n\
                  print(json.dumps(d, ensure_ascii=True))\n";
    for format in ["json", "dotenv"] {
        let out = Test::dev(&server)
            .args(["dev", "-c", "123456", "--format", format])
            .ok();
        let mut child = Command::new(python())
            .args(["-c", script, format])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(out.stdout.as_bytes())
            .unwrap();
        let read = child.wait_with_output().unwrap();
        assert!(read.status.success(), "{format}");
        // Back through python's json.dumps into our own JSON quoting for comparison.
        let got = String::from_utf8(read.stdout).unwrap();
        for (name, value) in [
            ("AWS_ACCESS_KEY_ID", creds.access_key_id.as_str()),
            ("AWS_SECRET_ACCESS_KEY", &creds.secret_access_key),
            ("AWS_SESSION_TOKEN", &creds.session_token),
            ("MFA_ENV_PROFILE", "dev"),
        ] {
            let pair = format!("\"{name}\": {}", python_json(value));
            assert!(got.contains(&pair), "{format}: {pair} not in {got}");
        }
    }
}

/// A string as Python's `json.dumps(..., ensure_ascii=True)` writes it.
fn python_json(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

// ---- the documented prompt segments (docs/shell-integration.md)

/// The code block of docs/shell-integration.md that starts with `first_line`, up to its
/// closing fence: the prompt segments a user copies from there.
fn docs_block(first_line: &str) -> String {
    let readme = include_str!("../docs/shell-integration.md");
    let start = readme.find(first_line).unwrap_or_else(|| {
        panic!("docs/shell-integration.md has no block starting {first_line:?}")
    });
    let block = &readme[start..];
    block[..block.find("```").unwrap()].to_owned()
}

#[test]
fn the_documented_prompt_segments_show_the_session_in_each_shell() {
    for (profile, shown) in [("dev", "[dev 42m] "), ("a%b", "[a%b 42m] ")] {
        for sh in ALL {
            let script = match sh {
                Sh::Bash => format!(
                    "PS1='$ '\n{}export SHOWN=\"${{PS1@P}}\"\nenv -0",
                    docs_block("# bash, ~/.bashrc\n")
                ),
                Sh::Zsh => format!(
                    "PROMPT='$ '\n{}export SHOWN=\"${{(%%)PROMPT}}\"\nenv -0",
                    docs_block("# zsh, ~/.zshrc")
                ),
                Sh::Fish => format!(
                    "{}set -gx SHOWN (string join '' (fish_right_prompt) '$ ')\nenv -0",
                    docs_block("# fish, ~/.config/fish/functions/fish_right_prompt.fish")
                ),
                _ => unreachable!("the docs show prompts for bash, zsh and fish"),
            };
            let script = format!("{}{script}", crate::init::load_init(sh));
            let run = holding(Test::new(), profile, 42 * 60 + 20).shell(sh, &script);
            assert!(
                run.status.success() && run.stderr.is_empty(),
                "{}: {}",
                sh.name(),
                run.stderr
            );
            let want = if sh == Sh::Fish {
                format!("{profile} 42m$ ")
            } else {
                format!("{shown}$ ")
            };
            assert_eq!(run.env.get("SHOWN"), Some(&want), "{}", sh.name());
            // Without a session the segment is empty.
            let run = Test::new().shell(sh, &script);
            assert_eq!(
                run.env.get("SHOWN").map(String::as_str),
                Some("$ "),
                "{}",
                sh.name()
            );
        }
    }
}

// ---- list

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
