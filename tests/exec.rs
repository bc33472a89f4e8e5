//! `mfa-env exec PROFILE -- COMMAND`: the command runs with the session in its environment,
//! its arguments unchanged, its status returned.

use crate::support::*;

/// A role session's identity, as export records it.
const READ_ONLY: &str = "arn:aws:iam::123456789012:role/ReadOnly";
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
        let out = Test::dev(&server)
            .holding("dev", 3600)
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
    let out = Test::dev(&server)
        .holding("dev", 3600)
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
