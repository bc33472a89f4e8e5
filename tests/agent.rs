//! The agent (`mfa-env agent`): one MFA code for every process of the user, real processes on
//! a real socket, STS the test server's.

use std::time::Duration;

use crate::support::agent::{self, assert_no_secret_under};
use crate::support::*;

use crate::support::agent::agent_test as test;

/// `mfa-env dev` with a code, which the agent keeps.
#[track_caller]
fn exports_dev(test: &Test) {
    let out = test.run_with(&["dev", "-c", "123456", "-f", "bash"]);
    assert!(out.status.success(), "{}", out.stderr);
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
    exports_dev(&test);
    let out = test.run_with(&["admin", "-f", "bash"]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&["the role is assumed from the MFA session the agent holds: no code needed"]);
    let requests = server.requests();
    assert_eq!(actions(&server), ["GetSessionToken", "AssumeRole"]);
    // Signed with the session's key and token, not the long-term key; no code; at most the
    // hour STS allows a role assumed with session credentials.
    requests[1].assert_assumed_with(&Creds::default());
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
    exports_dev(&test);
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
    exports_dev(&test);
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

/// A profile `dev` whose code comes from a script that counts its runs (in `runs`, a file in
/// the test's folder) and takes `delay` seconds, and a profile `cp` whose credentials come from
/// `mfa-env --format process dev`, as the AWS tools run it.
fn counting(server: &StsServer, delay: &str) -> (Test, std::path::PathBuf) {
    let test = Test::new()
        .credentials(CREDENTIALS)
        .sts(server)
        .with_runtime_dir();
    let runs = test.dir.path().join("runs");
    let bin = test.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let totp = bin.join("totp");
    std::fs::write(
        &totp,
        format!(
            "#!/bin/sh\necho run >> '{}'\nsleep {delay}\necho 123456\n",
            runs.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&totp, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let test = test.config(&format!(
        "{CONFIG}mfa_process = {}\n[profile cp]\ncredential_process = {BIN} --format process dev\n",
        totp.display()
    ));
    (test, runs)
}

fn runs(file: &std::path::Path) -> usize {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .count()
}

#[test]
fn credential_process_read_by_botocore_three_times_costs_one_code() {
    let server = StsServer::start();
    let (test, runs_file) = counting(&server, "0");
    let _agent = test.start_agent();
    let script = "import botocore.session\n\
        c = botocore.session.Session(profile='cp').get_credentials().get_frozen_credentials()\n\
        print(c.access_key, c.token)\n";
    for _ in 0..3 {
        // A new process each time, as every `aws` command is: botocore keeps nothing.
        let mut cmd = std::process::Command::new(python());
        let sealed = test.command();
        cmd.env_clear()
            .envs(sealed.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .args(["-c", script]);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "ASIATESTSESSIONKEY01 FwoGZXIvYXdzEBYaDH+token/value==\n"
        );
    }
    assert_eq!(runs(&runs_file), 1, "one code for three processes");
    assert_eq!(actions(&server), ["GetSessionToken"]);
}

#[test]
fn processes_asking_at_once_wait_for_the_one_code_asked_for() {
    let server = StsServer::start();
    let (test, runs_file) = counting(&server, "1");
    let _agent = test.start_agent();
    let start = |_| {
        let mut cmd = test.command_with(&["dev", "-f", "bash"]);
        cmd.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<_> = (0..3).map(start).collect();
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for out in &outs {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("ASIATESTSESSIONKEY01"));
    }
    let waited = outs
        .iter()
        .filter(|o| String::from_utf8_lossy(&o.stderr).contains("which is getting the dev session"))
        .count();
    assert_eq!(waited, 2, "two waited for the first");
    assert_eq!(runs(&runs_file), 1);
    assert_eq!(actions(&server), ["GetSessionToken"]);
}

#[test]
fn sessions_end_at_their_expiration_and_an_idle_agent_exits() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    let soon = mfa_env::time::rfc3339(mfa_env::time::now() + 3);
    server.reply(Reply::Creds(Creds {
        expiration: soon,
        ..Creds::default()
    }));
    exports_dev(&test);
    // Held, but with less left than a request's margin (10 minutes): not given.
    test.run_with(&["dev", "-f", "bash"])
        .stderr_has(&["no terminal to ask for the MFA code on"]);
    let held = test.run_with(&["dev", "--min-ttl", "1s", "-f", "bash"]);
    assert!(held.status.success(), "{}", held.stderr);
    std::thread::sleep(Duration::from_secs(4));
    let status = test.run_with(&["agent", "status"]);
    assert!(status.stdout.contains("no sessions"), "{}", status.stdout);
    test.run_with(&["dev", "--min-ttl", "0s", "-f", "bash"])
        .stderr_has(&["no terminal to ask for the MFA code on"]);
    drop(agent);

    // Holding nothing and idle: it exits by itself; holding a session, it does not.
    let out = test.run_with(&["agent", "start", "--idle-exit", "1s"]);
    assert!(out.status.success(), "{}", out.stderr);
    let idle = agent::Agent {
        pid: agent::agent_pid(&test).unwrap(),
    };
    assert!(
        idle.wait_gone(Duration::from_secs(5)),
        "the idle agent still runs"
    );
    assert!(!test.socket().exists());
    let out = test.run_with(&["agent", "start", "--idle-exit", "1s"]);
    assert!(out.status.success(), "{}", out.stderr);
    let holding = agent::Agent {
        pid: agent::agent_pid(&test).unwrap(),
    };
    exports_dev(&test);
    std::thread::sleep(Duration::from_secs(2));
    assert!(holding.alive());
}

#[test]
fn init_with_agent_starts_it_from_a_shells_start_up_without_holding_the_start_up() {
    use crate::init::{load_init, run_keep};
    use crate::support::shells::Sh;
    let server = StsServer::start();
    let test = std::sync::Arc::new(test(&server));
    let mut guard = None;
    let shells = [Sh::Bash, Sh::Zsh, Sh::Dash, Sh::Fish, Sh::Tcsh, Sh::Xonsh];
    for (i, sh) in shells.into_iter().enumerate() {
        let load = load_init(sh).replacen(" init ", " init --agent ", 1);
        assert_ne!(load, load_init(sh));
        // The first shell gives the code; the others get the session from the agent the
        // first started.
        let export = if i == 0 {
            "mfa-env dev --code 123456"
        } else {
            "mfa-env dev"
        };
        let script = [
            load.as_str(),
            &run_keep(sh, export, "RC"),
            &format!("{} -0\n", sh.env_program()),
        ]
        .concat();
        // The agent must not keep the shell's stdout or stderr (pipes here): the shell's
        // output would never end. A time limit turns that hang into a failure.
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = std::sync::Arc::clone(&test);
        std::thread::spawn(move || {
            let _ = tx.send(shared.shell(sh, &script));
        });
        let started = std::time::Instant::now();
        let run = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("{}: the start-up did not end", sh.name()));
        // `agent start` reads the new agent's stderr until the agent closes it, once
        // listening (it gives up after 5 s): a start-up that waited for that is a bug.
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{}: the start-up took {:?}",
            sh.name(),
            started.elapsed()
        );
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert_eq!(
            run.env.get("RC").map(String::as_str),
            Some("0"),
            "{}: {}",
            sh.name(),
            run.stderr
        );
        assert_eq!(
            run.env.get("AWS_SECRET_ACCESS_KEY").map(String::as_str),
            Some("sessionSecret/with+slash="),
            "{}",
            sh.name()
        );
        if i == 0 {
            guard = Some(agent::Agent {
                pid: agent::agent_pid(&test).expect("init --agent started it"),
            });
        } else {
            assert!(
                run.stderr.contains("the session comes from the agent"),
                "{}",
                run.stderr
            );
        }
    }
    assert_eq!(actions(&server), ["GetSessionToken"]);
    // The same agent served them all: started once.
    assert_eq!(agent::agent_pid(&test), guard.as_ref().map(|a| a.pid));
}

#[test]
fn the_agent_keeps_only_what_sts_could_have_sent() {
    use std::io::{BufRead, BufReader, Write};
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    // Any process of the user can hand a session over: one whose key id would be code in a
    // shell is refused, as the same answer from STS would be.
    let mut stream = std::os::unix::net::UnixStream::connect(test.socket()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let key = r#"{"profile":"dev","source":"dev","serial":null,"role":null,"account":null,"region":null,"scope":"x"}"#;
    let line = format!(
        "{{\"v\":3,\"ask\":\"put\",\"via\":\"terminal\",\"key\":{key},\"session\":{{\"access_key_id\":\"ASIA$(touch /tmp/pwned)\",\"secret_access_key\":\"s\",\"session_token\":\"t\",\"expiration\":{}}}}}\n",
        mfa_env::time::now() + 3600
    );
    stream.write_all(line.as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).unwrap();
    assert!(answer.contains("\"answer\":\"error\""), "{answer}");
    assert!(
        answer.contains("not a session STS could have sent: its AccessKeyId"),
        "{answer}"
    );
    // Nor one that outlasts any STS session (36 hours): a far-off year would be exported.
    let line = format!(
        "{{\"v\":3,\"ask\":\"put\",\"via\":\"terminal\",\"key\":{key},\"session\":{{\"access_key_id\":\"ASIAX\",\"secret_access_key\":\"s\",\"session_token\":\"t\",\"expiration\":{}}}}}\n",
        i64::MAX
    );
    stream.write_all(line.as_bytes()).unwrap();
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).unwrap();
    assert!(
        answer.contains("later than any STS session lasts"),
        "{answer}"
    );
    let status = test.run_with(&["agent", "status"]);
    assert!(status.stdout.contains("no sessions"), "{}", status.stdout);
}

// Linux only: the agents are counted in /proc.
#[cfg(target_os = "linux")]
#[test]
fn shells_started_at_once_start_one_agent_quietly() {
    let server = StsServer::start();
    let test = test(&server);
    // Two terminals opened at once, each with `init --agent` in its start-up file.
    let starts: Vec<_> = (0..4)
        .map(|_| {
            test.command_with(&["init", "bash", "--agent"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for start in starts {
        let out = start.wait_with_output().unwrap();
        assert!(out.status.success());
        // The agents that lost the race for the lock say nothing: the winner serves.
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    }
    let pid = agent::agent_pid(&test).expect("one agent answers");
    let _agent = agent::Agent { pid };
    // The agents of this socket: `agent run` processes whose environment names it (root
    // reads any process's environment; the losers of the race have ended by now).
    let socket = format!("MFA_ENV_AGENT_SOCK={}\0", test.socket().display());
    let agents = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| {
            let dir = e.ok()?.path();
            let cmdline = std::fs::read_to_string(dir.join("cmdline")).ok()?;
            let environ = std::fs::read(dir.join("environ")).ok()?;
            let alive = !std::fs::read_to_string(dir.join("stat"))
                .ok()?
                .contains(") Z ");
            (alive && cmdline.contains("agent\0run")).then_some(environ)
        })
        .filter(|environ| {
            environ
                .windows(socket.len())
                .any(|w| w == socket.as_bytes())
        })
        .count();
    assert_eq!(agents, 1, "{agents} agents run");
    // A role from the kept MFA session calls the endpoint twice and names it once.
    exports_dev(&test);
    let out = test.run_with(&["agent", "forget", "dev"]);
    assert!(out.status.success());
    let out = test.run_with(&["admin", "-c", "123456", "-f", "bash"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(
        actions(&server),
        ["GetSessionToken", "GetSessionToken", "AssumeRole"]
    );
    assert_eq!(
        out.raw_stderr.matches("using STS endpoint").count(),
        1,
        "{}",
        out.raw_stderr
    );
}

#[test]
fn a_forced_session_is_waited_for_too() {
    let server = StsServer::start();
    let (test, runs_file) = counting(&server, "1");
    let _agent = test.start_agent();
    let spawn = |args: &[&str]| {
        test.command_with(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    // --force obtains a new session whatever is kept, and others wanting one meanwhile wait
    // for it rather than running the code command again.
    let forced = spawn(&["dev", "--force", "-f", "bash"]);
    std::thread::sleep(Duration::from_millis(300));
    let other = spawn(&["dev", "-f", "bash"]);
    for child in [forced, other] {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(runs(&runs_file), 1);
    assert_eq!(actions(&server), ["GetSessionToken"]);
}

#[test]
fn an_agent_whose_socket_is_gone_ends() {
    let server = StsServer::start();
    let test = test(&server);
    let agent = test.start_agent();
    exports_dev(&test);
    // Nobody can reach it any more (its directory removed, as a test's temporary one is):
    // holding a session or not, it ends within its 5-second tick.
    std::fs::remove_file(test.socket()).unwrap();
    assert!(
        agent.wait_gone(Duration::from_secs(8)),
        "the agent outlived its socket"
    );
}

// Linux only: the agent's memory is read through /proc/PID/mem.
#[cfg(target_os = "linux")]
#[test]
fn no_copy_of_a_session_is_left_in_the_agents_memory_after_forget() {
    let server = StsServer::start();
    // A real token is about a kilobyte: lines that long grow buffers, and a buffer that grows
    // leaves copies behind in the blocks it frees.
    let secret = format!("memorySecret{}", "s".repeat(28));
    let token = format!("memoryToken{}", "T".repeat(1000));
    server.always(Reply::Creds(Creds {
        access_key_id: "ASIAMEMORYTEST000001".into(),
        secret_access_key: secret.clone(),
        session_token: token.clone(),
        expiration: String::new(),
    }));
    let test = test(&server);
    let agent = test.start_agent();
    exports_dev(&test);
    assert!(
        test.run_with(&["dev", "--force", "-c", "123456", "-f", "bash"])
            .status
            .success()
    );
    for format in ["bash", "json", "process"] {
        assert!(test.run_with(&["dev", "-f", format]).status.success());
    }
    let needles = [secret.as_str(), &token[..60]];
    // Held: the scan finds it (root reads any process's memory, dumpable or not).
    let found = memory_holds(agent.pid, &needles);
    assert!(
        found.iter().all(|&n| n > 0),
        "the scan finds nothing: {found:?}"
    );
    test.run_with(&["agent", "forget"])
        .stderr_has(&["it holds nothing"]);
    // Forgotten: not one copy, in the session, the lines it came in on, or the answers.
    assert_eq!(memory_holds(agent.pid, &needles), [0, 0]);
}

/// How many times each of `needles` is in the writable memory of process `pid`.
#[cfg(target_os = "linux")]
fn memory_holds(pid: i32, needles: &[&str]) -> Vec<usize> {
    use std::io::{Read, Seek, SeekFrom};
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut counts = vec![0; needles.len()];
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !perms.starts_with("rw") {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let start = u64::from_str_radix(start, 16).unwrap();
        let end = u64::from_str_radix(end, 16).unwrap();
        let mut bytes = vec![0; (end - start) as usize];
        if mem.seek(SeekFrom::Start(start)).is_err() || mem.read_exact(&mut bytes).is_err() {
            continue;
        }
        for (i, needle) in needles.iter().enumerate() {
            counts[i] += bytes
                .windows(needle.len())
                .filter(|w| *w == needle.as_bytes())
                .count();
        }
    }
    counts
}

#[test]
fn a_session_forgotten_while_it_is_obtained_is_not_kept() {
    let server = StsServer::start();
    let (test, _) = counting(&server, "1");
    let _agent = test.start_agent();
    let obtaining = test
        .command_with(&["dev", "-f", "bash"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    test.run_with(&["agent", "forget", "dev"]).stderr_has(&[
        "the agent forgot 0 sessions of dev, and will not keep the one being obtained now",
    ]);
    let out = obtaining.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = test.run_with(&["agent", "status"]);
    assert!(status.stdout.contains("no sessions"), "{}", status.stdout);
}

#[test]
fn a_role_that_refuses_the_held_session_is_assumed_with_a_code() {
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    exports_dev(&test);
    // A trust policy may refuse an MFA session that old (aws:MultiFactorAuthAge).
    server.reply(Reply::error(
        403,
        "AccessDenied",
        "User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::210987654321:role/Admin",
    ));
    let out = test.run_with(&["admin", "-c", "654321", "-f", "bash"]);
    assert!(out.status.success(), "{}", out.stderr);
    out.stderr_has(&[
        "the role refused the MFA session the agent holds",
        "assuming it with a new code",
    ]);
    let last = server.requests().pop().unwrap();
    assert_eq!(last.action(), "AssumeRole");
    assert_eq!(last.access_key(), KEY_ID);
    assert_eq!(last.param("TokenCode"), Some("654321"));
}

/// botocore reads the container endpoint, says so, waits for the file $GO, then reads again
/// once the first credentials expired.
const READS_TWICE: &str = r#"
import os, time, botocore.session
creds = botocore.session.get_session().get_credentials()
print("first", creds.method, creds.get_frozen_credentials().access_key, flush=True)
while not os.path.exists(os.environ["GO"]):
    time.sleep(0.05)
time.sleep(max(0.0, creds._expiry_time.timestamp() - time.time()) + 1.0)
print("second", creds.get_frozen_credentials().access_key, flush=True)
"#;

#[test]
fn exec_server_takes_its_sessions_from_the_agent_and_outlives_it() {
    use std::io::BufRead;
    let server = StsServer::start();
    server.short_roles(3);
    let test = test(&server);
    let go = test.dir.path().join("go");
    let test = test.env("GO", &go.display().to_string());
    let agent = test.start_agent();
    exports_dev(&test);
    // No code: the role comes from the MFA session the agent holds.
    let python = python();
    let mut child = test
        .command_with(&["exec", "--server", "admin", "--"])
        .arg(&python)
        .args(["-c", READS_TWICE])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("first container-role ASIA"), "{first}");
    // The agent goes away while the command runs: its renewals come from what this process
    // kept beside the agent.
    agent.signal(libc::SIGKILL);
    assert!(agent.wait_gone(Duration::from_secs(2)));
    std::fs::write(&go, "").unwrap();
    let second = lines.next().unwrap().unwrap();
    assert!(second.starts_with("second ASIA"), "{second}");
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.calls("GetSessionToken"), 1);
    assert!(server.calls("AssumeRole") >= 2, "{:#?}", actions(&server));
    let with_code = server
        .requests()
        .iter()
        .filter(|r| r.param("TokenCode").is_some())
        .count();
    assert_eq!(with_code, 1);
}

#[test]
fn a_duration_is_checked_as_without_the_agent_and_a_longer_held_session_is_said() {
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    exports_dev(&test);
    // Out of GetSessionToken's range: refused as without the agent, nothing asked of STS.
    let with = test.run_with(&["dev", "-d", "10m", "-f", "bash"]);
    let without = test.run_with(&[
        "dev",
        "-d",
        "10m",
        "-c",
        "123456",
        "--no-agent",
        "-f",
        "bash",
    ]);
    assert!(!with.status.success());
    assert_eq!(with.stderr, without.stderr);
    with.stderr_has(&["GetSessionToken accepts a duration from 15m to 36h; 10m was asked"]);
    // A role's too.
    test.run_with(&["admin", "-d", "13h", "-f", "bash"])
        .stderr_has(&["AssumeRole accepts a duration from 15m to 12h; 13h was asked"]);
    assert_eq!(actions(&server), ["GetSessionToken"]);
    // Shorter than the held 12 hours: the held session, and a line that says so.
    let short = test.run_with(&["dev", "-d", "1h", "-f", "bash"]);
    assert!(short.status.success(), "{}", short.stderr);
    short.stderr_has(&[
        "the session comes from the agent: no code needed",
        "more, longer than the 1h asked for; --no-agent gets one of 1h (with a code)",
    ]);
    // Asked for nothing in particular, or for no less than it has: nothing to say.
    for args in [
        &["dev", "-f", "bash"][..],
        &["dev", "-d", "12h", "-f", "bash"],
    ] {
        let out = test.run_with(args);
        assert!(out.status.success(), "{}", out.stderr);
        assert!(!out.stderr.contains("longer than"), "{}", out.stderr);
    }
    // Longer than it has: a new session of that length, with a code.
    let long = test.run_with(&["dev", "-d", "13h", "-c", "654321", "-f", "bash"]);
    assert!(long.status.success(), "{}", long.stderr);
    let asked = server.requests().pop().unwrap();
    assert_eq!(asked.param("DurationSeconds"), Some("46800"));
    assert_eq!(actions(&server), ["GetSessionToken", "GetSessionToken"]);
}

#[test]
fn a_role_obtained_with_a_code_does_not_say_that_no_code_was_needed() {
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    // Nothing held: the code typed makes the MFA session, and the role is assumed from it.
    let out = test.run_with(&["admin", "-c", "123456", "-f", "bash"]);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(!out.stderr.contains("no code needed"), "{}", out.stderr);
    assert_eq!(actions(&server), ["GetSessionToken", "AssumeRole"]);
    // From now on, none is: the MFA session is held.
    let dev = test.run_with(&["dev", "-f", "bash"]);
    assert!(dev.status.success(), "{}", dev.stderr);
    dev.stderr_has(&["the session comes from the agent: no code needed"]);
}

#[test]
fn status_tells_apart_two_sessions_of_one_profile_from_two_config_files() {
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    exports_dev(&test);
    let other = test.dir.path().join("other-config");
    std::fs::copy(test.config_path(), &other).unwrap();
    let test = test.env("AWS_CONFIG_FILE", &other.display().to_string());
    exports_dev(&test);
    let out = test.run_with(&["agent", "status"]);
    assert!(out.status.success(), "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[1].starts_with("ID "), "{}", out.stdout);
    assert!(lines[1].ends_with("CONFIG"), "{}", out.stdout);
    let rows = &lines[2..];
    assert_eq!(rows.len(), 2, "{}", out.stdout);
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r.split_whitespace().next().unwrap())
        .collect();
    assert_ne!(ids[0], ids[1], "{}", out.stdout);
    let (home, other) = (
        test.config_path().display().to_string(),
        other.display().to_string(),
    );
    assert!(rows.iter().any(|r| r.ends_with(&home)), "{}", out.stdout);
    assert!(rows.iter().any(|r| r.ends_with(&other)), "{}", out.stdout);
    let json = test.run_with(&["agent", "status", "--json"]);
    let status: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let sessions = status["sessions"].as_array().unwrap();
    let mut files: Vec<&str> = sessions
        .iter()
        .map(|s| s["config_file"].as_str().unwrap())
        .collect();
    files.sort_unstable();
    let mut expected = [home.as_str(), other.as_str()];
    expected.sort_unstable();
    assert_eq!(files, expected);
    assert_ne!(sessions[0]["id"], sessions[1]["id"]);
    // One session per profile: no column that says nothing.
    test.run_with(&["agent", "forget"]);
    exports_dev(&test);
    let out = test.run_with(&["agent", "status"]);
    assert!(!out.stdout.contains("CONFIG"), "{}", out.stdout);
}

#[test]
fn forget_of_a_profile_it_holds_nothing_of_fails_and_names_what_it_holds() {
    let server = StsServer::start();
    let test = test(&server);
    let _agent = test.start_agent();
    exports_dev(&test);
    assert!(test.run_with(&["admin", "-f", "bash"]).status.success());
    let typo = test.run_with(&["agent", "forget", "dve"]);
    assert_eq!(typo.status.code(), Some(1));
    typo.stderr_has(&[
        "mfa-env: the agent holds no session of 'dve': nothing forgotten",
        "mfa-env: did you mean 'dev'? It holds sessions of admin, dev",
    ]);
    let other = test.run_with(&["agent", "forget", "nosuch"]);
    assert_eq!(other.status.code(), Some(1));
    other.stderr_has(&["mfa-env: it holds sessions of admin, dev"]);
    assert!(!other.stderr.contains("did you mean"), "{}", other.stderr);
    // Nothing was forgotten.
    test.run_with(&["dev", "-f", "bash"])
        .stderr_has(&["the session comes from the agent: no code needed"]);
    assert!(test.run_with(&["agent", "forget"]).status.success());
    let none = test.run_with(&["agent", "forget", "dev"]);
    assert_eq!(none.status.code(), Some(1));
    none.stderr_has(&["mfa-env: it holds no session at all"]);
}
