//! Codes asked where there is no terminal, as an IDE's credential_process meets mfa-env: the
//! MFA_ENV_ASKPASS program, and the desktop's dialog (a real zenity on a real X server of the
//! test's own, answered by xdotool). Every run here has no controlling terminal (a new
//! session) and reads /dev/null.

use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::agent::agent_test;
use crate::support::desktop::Desktop;
use crate::support::*;

/// The dialog's title (mfa-env's `dialog::TITLE`).
const TITLE: &str = "mfa-env";
const QUESTION: &str = "MFA code for dev (arn:aws:iam::123456789012:mfa/alice)";

fn token_codes(server: &StsServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .filter_map(|r| r.param("TokenCode").map(str::to_owned))
        .collect()
}

/// The dev export, on the test's desktop. No session bus: GLib would start one for the
/// display (dbus-launch), and GTK's accessibility bus would be waited for.
fn on_desktop(test: Test, desktop: &Desktop) -> Test {
    let bus = format!("unix:path={}/no-bus", test.dir.path().display());
    test.env("DISPLAY", &desktop.display)
        .env("NO_AT_BRIDGE", "1")
        .env("DBUS_SESSION_BUS_ADDRESS", &bus)
}

/// `command` started as a desktop program starts it: no controlling terminal, stdin
/// /dev/null, stdout and stderr read.
fn spawn_detached(mut command: Command) -> Child {
    // SAFETY: setsid is async-signal-safe.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait for a run started with `spawn_detached`, and check the contract on what it wrote.
#[track_caller]
fn finish(test: &Test, child: Child, started: Instant) -> Output {
    let out = child.wait_with_output().unwrap();
    let output = test.output(out, started.elapsed());
    output.assert_contract_allowing(&[]);
    output
}

/// The processes whose parent is `pid`, with their names.
fn children(pid: u32) -> Vec<(u32, String)> {
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").unwrap().flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`: the name may hold anything, the rest follows the last `)`.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let ppid = stat[close + 2..]
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok());
        if ppid == Some(pid) {
            found.push((child, stat[open + 1..close].to_owned()));
        }
    }
    found
}

/// The zenity that mfa-env `pid` runs, other than `not`, once it runs.
#[track_caller]
fn dialog_of(pid: u32, not: Option<u32>) -> u32 {
    let start = Instant::now();
    loop {
        if let Some((dialog, _)) = children(pid)
            .into_iter()
            .find(|(p, name)| name == "zenity" && Some(*p) != not)
        {
            return dialog;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "mfa-env runs no zenity"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// /proc/PID/cmdline, its NULs as spaces.
fn cmdline(pid: u32) -> String {
    String::from_utf8_lossy(&fs::read(format!("/proc/{pid}/cmdline")).unwrap()).replace('\0', " ")
}

/// `code` is in neither the arguments nor the environment of any of `pids`.
#[track_caller]
fn assert_nowhere(code: &str, pids: &[u32]) {
    for pid in pids {
        for what in ["cmdline", "environ"] {
            let bytes = fs::read(format!("/proc/{pid}/{what}")).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(code), "the code is in /proc/{pid}/{what}");
        }
    }
}

#[test]
fn an_askpass_program_gives_the_code_and_is_asked_again_with_why() {
    let server = StsServer::start();
    server.reply(Reply::code_rejected());
    let test = Test::dev(&server).args(["dev", "--shell", "bash"]);
    let dir = test.dir.path().join("bin");
    // Each call writes down its arguments, and what its own process and mfa-env's (its
    // parent) show of arguments and environment while it asks.
    let askpass = script(
        &test,
        "askpass",
        &format!(
            "cd {dir}\nn=$(($(cat count 2>/dev/null || echo 0) + 1)); echo $n > count\n\
             printf '%s' \"$#\" > argc.$n; printf '%s' \"$1\" > question.$n\n\
             cat /proc/$$/cmdline /proc/$$/environ /proc/$PPID/cmdline /proc/$PPID/environ > seen.$n\n\
             if [ $n = 1 ]; then echo 111111; else echo 222222; fi",
            dir = dir.display()
        ),
    );
    let test = test.env("MFA_ENV_ASKPASS", askpass.to_str().unwrap());
    let out = test.ok();
    assert!(
        out.stdout.contains("export AWS_SESSION_TOKEN="),
        "{}",
        out.stdout
    );
    assert_eq!(token_codes(&server), ["111111", "222222"]);
    let read = |name: &str| fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(read("argc.1"), "1", "the question is the one argument");
    let first = read("question.1");
    assert!(first.starts_with(QUESTION), "{first}");
    assert!(first.contains("\nAsked by "), "{first}");
    let second = read("question.2");
    assert!(
        second.starts_with("STS refused the code before: "),
        "{second}"
    );
    assert!(second.contains(QUESTION), "{second}");
    // While the second code is asked, the first is in no process's arguments or environment.
    let seen = read("seen.2");
    assert!(
        seen.contains("askpass") && seen.contains("mfa-env"),
        "{seen}"
    );
    assert!(!seen.contains("111111"), "{seen}");
    out.stderr_has(&["(try 1 of 3)"]);
}

#[test]
fn a_zenity_dialog_asks_and_a_rejected_code_is_asked_again_in_the_next() {
    let server = StsServer::start();
    server.reply(Reply::code_rejected());
    let desktop = Desktop::start();
    let test = on_desktop(Test::dev(&server), &desktop).args(["dev", "--shell", "bash"]);
    let before = test.snapshot();
    let started = Instant::now();
    let child = spawn_detached(test.command());
    let mfa_env = child.id();

    let first = dialog_of(mfa_env, None);
    let text = cmdline(first);
    assert!(
        text.contains("--entry --hide-text --title mfa-env --text"),
        "{text}"
    );
    assert!(text.contains(QUESTION), "{text}");
    assert!(!text.contains("refused"), "{text}");
    desktop.answer(TITLE, "111111");

    // The reason is in the next entry dialog's own text: no message box to dismiss.
    let second = dialog_of(mfa_env, Some(first));
    let text = cmdline(second);
    assert!(text.contains("STS refused the code before: "), "{text}");
    assert!(text.contains(QUESTION), "{text}");
    assert_nowhere("111111", &[second, mfa_env]);
    desktop.answer(TITLE, "222222");

    let out = finish(&test, child, started);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stdout.contains("export AWS_SESSION_TOKEN="),
        "{}",
        out.stdout
    );
    assert_eq!(token_codes(&server), ["111111", "222222"]);
    test.assert_unchanged(&before);
}

#[test]
fn a_cancelled_dialog_obtains_nothing() {
    let server = StsServer::start();
    let desktop = Desktop::start();
    let test = on_desktop(Test::dev(&server), &desktop).args(["dev", "--shell", "bash"]);
    let started = Instant::now();
    let child = spawn_detached(test.command());
    dialog_of(child.id(), None);
    desktop.cancel(TITLE);
    let out = finish(&test, child, started);
    assert_eq!(out.status.code(), Some(130), "{}", out.stderr);
    assert_eq!(out.stdout, "");
    out.stderr_has(&["the MFA code was cancelled (zenity, exit status 1)"]);
    assert!(server.requests().is_empty());
}

#[test]
fn a_dialog_nobody_answers_is_closed_in_its_time() {
    let server = StsServer::start();
    let desktop = Desktop::start();
    let test = on_desktop(Test::dev(&server), &desktop).args([
        "dev",
        "--shell",
        "bash",
        "--prompt-timeout",
        "2",
    ]);
    let started = Instant::now();
    let child = spawn_detached(test.command());
    let mfa_env = child.id();
    desktop.wait_window(TITLE, Duration::from_secs(20));
    let out = finish(&test, child, started);
    assert!(!out.status.success());
    out.stderr_has(&[
        "no MFA code was entered within 2 s: zenity was closed",
        "--prompt-timeout SECONDS",
    ]);
    assert!(out.elapsed < Duration::from_secs(8), "{:?}", out.elapsed);
    assert!(children(mfa_env).is_empty());
    assert!(desktop.windows(TITLE).is_empty(), "the dialog is left open");
    assert!(server.requests().is_empty());
}

#[test]
fn with_no_way_to_ask_the_error_names_each_way() {
    let server = StsServer::start();
    let test = Test::dev(&server).args(["dev", "--shell", "bash"]);
    let out = test.fails(&[
        "no terminal to ask for the MFA code on",
        "MFA_ENV_ASKPASS is not set",
        "no display (DISPLAY and WAYLAND_DISPLAY are not set)",
        "--code 123456",
        "mfa_process",
    ]);
    assert_eq!(out.stdout, "");
    Test::dev(&server)
        .args(["dev", "--shell", "bash", "--prompt", "dialog"])
        .fails(&["mfa_prompt (or --prompt) is dialog, and there is no desktop dialog: no display"]);
    Test::dev(&server)
        .args(["dev", "--shell", "bash", "--prompt", "askpass"])
        .fails(&["mfa_prompt (or --prompt) is askpass, and MFA_ENV_ASKPASS is not set"]);
    let config = format!("{CONFIG}mfa_prompt = zenity\n");
    Test::dev(&server)
        .config(&config)
        .args(["dev", "--shell", "bash"])
        .fails(&["profile 'dev': mfa_prompt = \"zenity\" is not one of terminal, dialog, askpass"]);
    let config = format!("{CONFIG}mfa_prompt_timeout = soon\n");
    Test::dev(&server)
        .config(&config)
        .args(["dev", "--shell", "bash"])
        .fails(&["mfa_prompt_timeout = \"soon\" is not a number of seconds"]);
    assert!(server.requests().is_empty());
}

#[test]
fn a_profile_forces_askpass_and_doctor_says_what_asks() {
    let server = StsServer::start();
    let test = Test::dev(&server);
    let askpass = script(&test, "askpass", "echo 424242");
    let config = format!("{CONFIG}mfa_prompt = askpass\nmfa_prompt_timeout = 5\n");
    let test = test
        .config(&config)
        .env("MFA_ENV_ASKPASS", askpass.to_str().unwrap());
    test.run_with(&["dev", "--shell", "bash"]);
    assert_eq!(token_codes(&server), ["424242"]);
    let doctor = test.run_with(&["doctor", "dev"]);
    doctor.stderr_has(&[
        "note  MFA code asked on MFA_ENV_ASKPASS (",
        "(mfa_prompt or --prompt says so)",
    ]);
    let plain = Test::dev(&server).run_with(&["doctor", "dev"]);
    plain.stderr_has(&[
        "note  MFA code asked on nothing: no terminal, MFA_ENV_ASKPASS is not set, and no desktop dialog",
    ]);
}

#[test]
fn botocore_reads_credential_process_through_a_dialog() {
    let server = StsServer::start();
    let desktop = Desktop::start();
    let config = format!(
        "{CONFIG}[profile ide]\ncredential_process = {BIN} export --format process dev\nregion = eu-west-1\n"
    );
    let test = on_desktop(Test::dev(&server).config(&config), &desktop);
    let script = "import botocore.session\n\
                  c = botocore.session.Session(profile='ide').get_credentials()\n\
                  print(c.method, c.get_frozen_credentials().access_key)\n";
    let mut python = Command::new(python());
    python.args(["-c", script]).env_clear().envs(
        test.command()
            .get_envs()
            .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
    );
    let before = test.snapshot();
    let child = spawn_detached(python);
    // botocore runs mfa-env (no shell between), which runs the dialog: it names python.
    let mfa_env = {
        let start = Instant::now();
        loop {
            if let Some((pid, _)) = children(child.id()).into_iter().next() {
                break pid;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "botocore ran nothing"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let text = cmdline(dialog_of(mfa_env, None));
    assert!(text.contains("Asked by python"), "{text}");
    desktop.answer(TITLE, "135790");
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "custom-process ASIATESTSESSIONKEY01");
    assert_eq!(token_codes(&server), ["135790"]);
    test.assert_unchanged(&before);
}

#[test]
fn the_agent_serves_a_second_gui_process_without_a_dialog() {
    let server = StsServer::start();
    let desktop = Desktop::start();
    let test = on_desktop(agent_test(&server), &desktop).args(["dev", "--format", "process"]);
    let _agent = test.start_agent();

    let started = Instant::now();
    let child = spawn_detached(test.command());
    dialog_of(child.id(), None);
    desktop.answer(TITLE, "246810");
    let first = finish(&test, child, started);
    assert!(first.status.success(), "{}", first.stderr);

    // The second process gets the session the agent holds: no dialog is ever shown.
    let started = Instant::now();
    let mut child = spawn_detached(test.command());
    while child.try_wait().unwrap().is_none() {
        assert!(desktop.windows(TITLE).is_empty(), "a dialog was shown");
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = finish(&test, child, started);
    assert!(second.status.success(), "{}", second.stderr);
    second.stderr_has(&["the session comes from the agent: no code needed"]);
    assert_eq!(first.stdout, second.stdout);
    assert_eq!(token_codes(&server), ["246810"]);

    // agent status says the session's code came from a dialog.
    let status = test.run_with(&["agent", "status"]);
    let row = status
        .stdout
        .lines()
        .find(|l| l.contains("arn:aws:iam::123456789012:mfa/alice"))
        .unwrap_or_else(|| panic!("{}", status.stdout));
    assert!(row.trim_end().ends_with("dialog"), "{}", status.stdout);
    assert!(status.stdout.contains("CODE FROM"), "{}", status.stdout);
    let json = test.run_with(&["agent", "status", "--json"]);
    assert!(
        json.stdout.contains("\"code_from\": \"dialog\""),
        "{}",
        json.stdout
    );
}
