//! The agent (`mfa-env agent`): one MFA code for every process of the user, real processes on
//! a real socket, STS the test server's.

use std::time::Duration;

use crate::support::agent::assert_no_secret_under;
use crate::support::*;

/// The usual profiles and a role of dev's, STS at `server`, the socket in the test's own
/// XDG_RUNTIME_DIR.
fn test(server: &StsServer) -> Test {
    Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(server)
        .with_runtime_dir()
}

fn actions(server: &StsServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.action().to_owned())
        .collect()
}

/// The value `name` is exported with in bash statements.
fn exported<'a>(stdout: &'a str, name: &str) -> Option<&'a str> {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("export {name}=")))
}

#[test]
fn two_processes_one_code_and_no_secret_left_anywhere() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    // The first asks for the code (given here) and calls STS; the agent keeps the session.
    let first = test.run_with(&["dev", "--code", "123456", "-f", "bash"]);
    assert!(first.status.success(), "{}", first.stderr);
    // The second has no code and no terminal: only the agent can answer it.
    let second = test.run_with(&["dev", "-f", "bash"]);
    assert!(second.status.success(), "{}", second.stderr);
    second.stderr_has(&["the session comes from the agent: no code needed"]);
    assert_eq!(actions(&server), ["GetSessionToken"]);
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        assert_eq!(
            exported(&first.stdout, name),
            exported(&second.stdout, name),
            "{name}"
        );
    }
    // Every format, and exec, from the same session.
    for format in ["json", "process", "dotenv"] {
        let out = test.run_with(&["dev", "-f", format]);
        assert!(out.status.success(), "{format}: {}", out.stderr);
        assert!(out.stdout.contains("sessionSecret/with+slash="), "{format}");
    }
    let out = test.run_with(&["exec", "dev", "--", "sh", "-c", "echo $AWS_SESSION_TOKEN"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, "FwoGZXIvYXdzEBYaDH+token/value==\n");
    // --no-agent goes without it: a code is needed again.
    test.run_with(&["dev", "--no-agent", "-f", "bash"])
        .stderr_has(&["no terminal to ask for the MFA code on"]);
    assert_eq!(actions(&server), ["GetSessionToken"]);
    // What the agent shows holds no secret; nothing on disk does.
    for args in [&["agent", "status"][..], &["agent", "status", "--json"]] {
        let out = test.run_with(args);
        assert!(out.status.success());
        assert!(out.stdout.contains("arn:aws:iam::123456789012:mfa/alice"));
        for marker in MARKERS {
            assert!(!out.stdout.contains(marker), "{}", out.stdout);
        }
    }
    let mut files: Vec<String> = snapshot(&test.runtime_dir())
        .keys()
        .map(|p| {
            p.strip_prefix(test.runtime_dir())
                .unwrap()
                .display()
                .to_string()
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["mfa-env", "mfa-env/agent.sock", "mfa-env/agent.sock.lock"]
    );
    for dir in [test.home(), test.tmp(), test.runtime_dir()] {
        assert_no_secret_under(&dir, &["ASIATESTSESSIONKEY01"]);
    }
    drop(agent);
}

#[test]
fn a_role_is_assumed_from_the_held_session_with_its_key_and_no_code() {
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    assert!(
        test.run_with(&["dev", "-c", "123456", "-f", "bash"])
            .status
            .success()
    );
    let out = test.run_with(&["admin", "-f", "bash"]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&["the role is assumed from the MFA session the agent holds: no code needed"]);
    let requests = server.requests();
    assert_eq!(actions(&server), ["GetSessionToken", "AssumeRole"]);
    let assume = &requests[1];
    // Signed with the session's key and token, not the long-term key; no code; at most the
    // hour STS allows a role assumed with session credentials.
    assert_eq!(assume.access_key(), "ASIATESTSESSIONKEY01");
    assert_eq!(
        assume.header("x-amz-security-token"),
        Some("FwoGZXIvYXdzEBYaDH+token/value==")
    );
    assert_eq!(assume.param("TokenCode"), None);
    assert_eq!(assume.param("SerialNumber"), None);
    let asked: u64 = assume.param("DurationSeconds").unwrap().parse().unwrap();
    assert!(asked <= 3600, "{asked}");
    // The role session is kept too: the next asks nothing of STS.
    let again = test.run_with(&["admin", "-f", "bash"]);
    assert!(again.status.success(), "{}", again.stderr);
    assert_eq!(requests.len(), server.requests().len());
    // A longer role session is assumed directly, with a code, as without the agent.
    let long = test.run_with(&["admin", "-d", "8h", "-c", "654321", "-f", "bash"]);
    assert!(long.status.success(), "{}", long.stderr);
    let direct = server.requests().pop().unwrap();
    assert_eq!(direct.action(), "AssumeRole");
    assert_eq!(direct.access_key(), KEY_ID);
    assert_eq!(direct.param("TokenCode"), Some("654321"));
    assert_eq!(direct.param("DurationSeconds"), Some("28800"));
}

#[test]
fn forget_and_stop_act_at_once() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    assert!(
        test.run_with(&["dev", "-c", "123456", "-f", "bash"])
            .status
            .success()
    );
    assert!(test.run_with(&["admin", "-f", "bash"]).status.success());
    let out = test.run_with(&["agent", "forget", "admin"]);
    out.stderr_has(&["the agent forgot 1 session of admin"]);
    // dev's MFA session is still held: admin again needs no code.
    assert!(test.run_with(&["admin", "-f", "bash"]).status.success());
    // Forgetting dev forgets what came from its keys: the role too.
    test.run_with(&["agent", "forget", "dev"])
        .stderr_has(&["the agent forgot 2 sessions of dev"]);
    test.run_with(&["admin", "-f", "bash"])
        .stderr_has(&["no terminal to ask for the MFA code on"]);
    assert!(
        test.run_with(&["dev", "-c", "123456", "-f", "bash"])
            .status
            .success()
    );
    test.run_with(&["agent", "forget"])
        .stderr_has(&["the agent forgot 1 session: it holds nothing"]);
    test.run_with(&["dev", "-f", "bash"])
        .stderr_has(&["no terminal to ask for the MFA code on"]);
    // stop: the socket is gone when it returns, and the process ends.
    test.run_with(&["agent", "stop"])
        .stderr_has(&["agent stopped"]);
    assert!(!test.socket().exists());
    assert!(agent.wait_gone(Duration::from_secs(2)));
    let out = test.run_with(&["agent", "status"]);
    assert_eq!(out.status.code(), Some(1));
    out.stderr_has(&["no agent answers at", "mfa-env agent start"]);
    test.run_with(&["agent", "stop"])
        .stderr_has(&["no agent runs: nothing to stop"]);
}
