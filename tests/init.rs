//! `mfa-env init`: the shell function, checked and run in the real bash, zsh and fish.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::shells::{assert_session, expected, hostile};
use crate::support::shells::{ALL, Sh};
use crate::support::*;

/// The scripts as committed: one for bash and zsh, one for fish.
fn script_path(sh: Sh) -> PathBuf {
    let ext = if sh == Sh::Fish { "fish" } else { "sh" };
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("shell/mfa-env.{ext}"))
}

/// Shell code that puts the binary's directory first on PATH (the function runs the binary by
/// name, as a user's shell would find it), then loads the function as the README says.
pub fn load_init(sh: Sh) -> &'static str {
    match sh {
        Sh::Bash => "PATH=\"${MFA_ENV%/*}:$PATH\"; eval \"$(mfa-env init bash)\"\n",
        Sh::Zsh => "PATH=\"${MFA_ENV%/*}:$PATH\"; eval \"$(mfa-env init zsh)\"\n",
        Sh::Fish => {
            "set -gx PATH (string replace -r '/[^/]*$' '' -- $MFA_ENV) $PATH; mfa-env init fish | source\n"
        }
    }
}

/// `NAME=$?` in that shell: the status of the previous command, kept in the environment.
pub fn keep_status(sh: Sh, name: &str) -> String {
    match sh {
        Sh::Fish => format!("set -gx {name} $status\n"),
        _ => format!("export {name}=$?\n"),
    }
}

/// `NAME=$(command)` in that shell.
fn capture(sh: Sh, name: &str, command: &str) -> String {
    match sh {
        Sh::Fish => format!("set -gx {name} ({command} | string collect)\n"),
        _ => format!("export {name}=\"$({command})\"\n"),
    }
}

fn set_var(sh: Sh, name: &str, value: &str) -> String {
    match sh {
        Sh::Fish => format!("set -gx {name} '{value}'\n"),
        _ => format!("export {name}='{value}'\n"),
    }
}

const DUMP: &str = "env -0\n";

#[track_caller]
fn assert_exported(sh: Sh, env: &BTreeMap<String, String>, creds: &Creds) {
    assert_session(sh, env, &expected(creds, "eu-west-1", "dev"));
}

#[test]
fn init_prints_the_committed_scripts() {
    for sh in ALL {
        let out = Test::new().args(["init", sh.name()]).ok();
        assert_eq!(
            out.stdout,
            std::fs::read_to_string(script_path(sh)).unwrap(),
            "{}",
            sh.name()
        );
        assert_eq!(out.stderr, "");
    }
    let ps = Test::new().args(["init", "pwsh"]).ok();
    assert!(ps.stdout.contains("function mfa-env {"), "{}", ps.stdout);
    Test::new()
        .args(["init", "tcsh"])
        .fails(&["invalid value 'tcsh'"]);
}

#[test]
fn every_script_passes_its_shells_syntax_check() {
    for sh in ALL {
        let path = script_path(sh);
        let mut cmd = std::process::Command::new(sh.program());
        match sh {
            Sh::Bash => cmd.args(["--noprofile", "--norc", "-n"]),
            Sh::Zsh => cmd.args(["-f", "-n"]),
            Sh::Fish => cmd.args(["--no-config", "--no-execute"]),
        };
        let out = cmd.arg(&path).output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{} -n {}: {}",
            sh.name(),
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_function_exports_the_session_into_the_same_shell() {
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    for sh in ALL {
        let script = [
            load_init(sh),
            &set_var(sh, "AWS_PROFILE", "old"),
            &set_var(sh, "AWS_SECURITY_TOKEN", "old"),
            "mfa-env dev --code 123456\n",
            &keep_status(sh, "RC"),
            DUMP,
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert_eq!(run.env.get("RC").map(String::as_str), Some("0"));
        assert!(
            run.stderr.starts_with("mfa-env: dev session valid until")
                && run.stderr.lines().count() == 1,
            "{}: {}",
            sh.name(),
            run.stderr
        );
        assert_exported(sh, &run.env, &creds);
        // The function itself stays what it was: nothing of its own leaks into the shell.
        assert!(!run.env.keys().any(|k| k.contains("MFA_ENV_EVAL")));
    }
    assert_eq!(server.requests().len(), 3);
    assert!(!std::path::Path::new("/tmp/pwned").exists());
}

/// With the function loaded, the form that works without it still works: inside `$(...)` the
/// function prints the statements for the outer `eval` instead of exporting into a subshell
/// that dies at once. A subshell whose output is the terminal still exports into itself.
#[test]
fn eval_of_the_functions_output_still_exports_into_the_shell() {
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    for sh in [Sh::Bash, Sh::Zsh] {
        let script = [
            load_init(sh),
            "eval \"$(mfa-env dev --code 123456)\"\n",
            &keep_status(sh, "RC"),
            "export HELD=\"$(mfa-env status --prompt)\"\n",
            "eval \"$(mfa-env unset)\"\n",
            "export AFTER_UNSET=\"${MFA_ENV_PROFILE-gone}\"\n",
            "eval \"$(mfa-env dev --code 123456)\"\n",
            DUMP,
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert_eq!(run.env.get("RC").map(String::as_str), Some("0"));
        assert!(
            run.env.get("HELD").is_some_and(|h| h.starts_with("dev 1")),
            "{}: {:?}",
            sh.name(),
            run.env.get("HELD")
        );
        assert_eq!(run.env.get("AFTER_UNSET").map(String::as_str), Some("gone"));
        assert_exported(sh, &run.env, &creds);
    }
}

#[test]
fn export_and_unset_through_the_function() {
    let server = StsServer::start();
    for sh in ALL {
        let script = [
            load_init(sh),
            &set_var(sh, "KEEP", "kept"),
            // None of the variables export removes is set: removing them must still succeed.
            "mfa-env export dev --mfa-token 123456\n",
            &keep_status(sh, "RC_EXPORT"),
            &capture(sh, "HELD", "mfa-env status --prompt"),
            "mfa-env unset\n",
            &keep_status(sh, "RC"),
            "mfa-env clear\n",
            &keep_status(sh, "RC_AGAIN"),
            DUMP,
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        for rc in ["RC_EXPORT", "RC", "RC_AGAIN"] {
            assert_eq!(
                run.env.get(rc).map(String::as_str),
                Some("0"),
                "{} {rc}",
                sh.name()
            );
        }
        assert_eq!(
            run.env.get("HELD").map(String::as_str),
            Some("dev 12h"),
            "{}",
            sh.name()
        );
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "MFA_ENV_PROFILE"] {
            assert!(!run.env.contains_key(name), "{} kept {name}", sh.name());
        }
        assert_eq!(run.env.get("KEEP").map(String::as_str), Some("kept"));
    }
}

#[test]
fn a_failing_call_changes_nothing_and_returns_the_binarys_status() {
    let server = StsServer::start();
    server.always(Reply::code_rejected());
    for sh in ALL {
        let script = [
            load_init(sh),
            &set_var(sh, "AWS_PROFILE", "old"),
            &set_var(sh, "AWS_ACCESS_KEY_ID", "AKIAKEEP"),
            "mfa-env dev --code 123456\n",
            &keep_status(sh, "RC"),
            // A usage error has its own status.
            "mfa-env dev --code 12\n",
            &keep_status(sh, "RC_USAGE"),
            DUMP,
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert!(
            run.stderr.contains("STS rejected the MFA code"),
            "{}",
            run.stderr
        );
        assert_eq!(
            run.env.get("RC").map(String::as_str),
            Some("1"),
            "{}",
            sh.name()
        );
        assert_eq!(run.env.get("RC_USAGE").map(String::as_str), Some("2"));
        assert_eq!(run.env.get("AWS_PROFILE").map(String::as_str), Some("old"));
        assert_eq!(
            run.env.get("AWS_ACCESS_KEY_ID").map(String::as_str),
            Some("AKIAKEEP")
        );
        assert!(!run.env.contains_key("AWS_SESSION_TOKEN"));
    }
}

#[test]
fn help_version_formats_and_other_subcommands_pass_straight_through() {
    let server = StsServer::start();
    server.always(Reply::Creds(Creds::fixed()));
    for sh in ALL {
        let script = [
            load_init(sh),
            &capture(sh, "VERSION", "mfa-env --version"),
            &capture(sh, "HELP", "mfa-env dev --help"),
            &capture(sh, "JSON", "mfa-env dev --code 123456 --format json"),
            &capture(sh, "FISH", "mfa-env dev --code 123456 -s fish"),
            &capture(sh, "LIST", "mfa-env list"),
            &capture(
                sh,
                "EXEC",
                "mfa-env exec dev --code 123456 -- printenv MFA_ENV_PROFILE",
            ),
            DUMP,
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        let var = |name: &str| run.env.get(name).map_or("", String::as_str).to_owned();
        assert_eq!(
            var("VERSION"),
            concat!("mfa-env ", env!("CARGO_PKG_VERSION"))
        );
        assert!(var("HELP").starts_with("Export an MFA-authenticated"));
        assert!(
            var("JSON").starts_with("{\"AWS_ACCESS_KEY_ID\":\"ASIATESTSESSIONKEY01\""),
            "{}: {}",
            sh.name(),
            var("JSON")
        );
        assert!(var("FISH").starts_with("set -gx AWS_ACCESS_KEY_ID"));
        assert_eq!(var("LIST"), "dev  mfa");
        assert_eq!(var("EXEC"), "dev");
        // Printed, not evaluated.
        assert!(!run.env.contains_key("AWS_ACCESS_KEY_ID"), "{}", sh.name());
    }
}

#[test]
fn redirecting_the_calls_stderr_silences_its_messages() {
    // fish runs a command substitution with the shell's own stderr, not the function's: the
    // binary's messages went past `2>/dev/null`.
    let server = StsServer::start();
    for sh in ALL {
        server.reply(Reply::code_rejected());
        let script = [
            load_init(sh),
            "mfa-env dev --code 123456 2>/dev/null\n",
            &keep_status(sh, "RC_FAIL"),
            "mfa-env dev --code 123456 2>/dev/null\n",
            &keep_status(sh, "RC"),
            DUMP,
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert_eq!(run.stderr, "", "{}", sh.name());
        assert_eq!(run.env.get("RC_FAIL").map(String::as_str), Some("1"));
        assert_eq!(run.env.get("RC").map(String::as_str), Some("0"));
        assert_eq!(
            run.env.get("MFA_ENV_PROFILE").map(String::as_str),
            Some("dev")
        );
    }
}

#[test]
fn running_it_again_while_the_shell_holds_the_session_asks_nothing() {
    let server = StsServer::start();
    for sh in ALL {
        let script = [
            load_init(sh),
            "mfa-env dev --code 123456\n",
            &capture(sh, "FIRST", "printenv AWS_ACCESS_KEY_ID"),
            // A profile chosen since is removed by the kept session as by a new one.
            &set_var(sh, "AWS_PROFILE", "bob"),
            // No code and no terminal: only a kept session can succeed.
            "mfa-env dev\n",
            &keep_status(sh, "RC"),
            DUMP,
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert_eq!(
            run.env.get("RC").map(String::as_str),
            Some("0"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("mfa-env: this shell holds a session for dev until"),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("(12h left); nothing to do (--force renews it)")
        );
        assert_eq!(run.env.get("FIRST"), run.env.get("AWS_ACCESS_KEY_ID"));
        assert!(!run.env.contains_key("AWS_PROFILE"), "{}", sh.name());
    }
    assert_eq!(server.requests().len(), 3, "one STS call per shell");
}

#[test]
fn loading_never_breaks_start_up_even_without_the_binary() {
    for sh in ALL {
        // The function is defined without running anything: a PATH without mfa-env is fine.
        let path = script_path(sh);
        let (load, call) = match sh {
            Sh::Fish => (
                format!(
                    "set -gx PATH /usr/bin /bin; source {}; and env -0",
                    path.display()
                ),
                format!(
                    "set -gx AWS_PROFILE old; set -gx PATH /usr/bin /bin; source {}; mfa-env dev; set -gx RC $status; env -0",
                    path.display()
                ),
            ),
            _ => (
                format!("PATH=/usr/bin:/bin; . {} && env -0", path.display()),
                format!(
                    "export AWS_PROFILE=old; PATH=/usr/bin:/bin; . {}; mfa-env dev; export RC=$?; env -0",
                    path.display()
                ),
            ),
        };
        let run = Test::new().shell(sh, &load);
        assert!(
            run.status.success() && run.stderr.is_empty(),
            "{}: {}",
            sh.name(),
            run.stderr
        );
        // Calling it then fails as a missing command does, and changes nothing.
        let run = Test::new().shell(sh, &call);
        assert!(
            run.stderr.contains("mfa-env"),
            "{}: {}",
            sh.name(),
            run.stderr
        );
        assert_eq!(
            run.env.get("RC").map(String::as_str),
            Some("127"),
            "{}",
            sh.name()
        );
        assert_eq!(run.env.get("AWS_PROFILE").map(String::as_str), Some("old"));
        assert!(!run.env.contains_key("MFA_ENV_PROFILE"));
        // The start-up line the README gives is silent too when the binary is missing.
        let line = match sh {
            Sh::Fish => {
                "set -gx PATH /usr/bin /bin; command -q mfa-env; and mfa-env init fish | source"
            }
            Sh::Bash => {
                "PATH=/usr/bin:/bin; command -v mfa-env >/dev/null && eval \"$(mfa-env init bash)\""
            }
            Sh::Zsh => {
                "PATH=/usr/bin:/bin; command -v mfa-env >/dev/null && eval \"$(mfa-env init zsh)\""
            }
        };
        let run = Test::new().shell(sh, line);
        assert_eq!(run.stderr, "", "{}", sh.name());
    }
}

#[test]
fn the_binary_refuses_to_print_anything_but_statements_into_the_functions_eval() {
    // As a function older than the binary would call a subcommand it does not know.
    let out = Test::new()
        .env("_MFA_ENV_EVAL", "bash")
        .args(["list"])
        .fails(&[
            "the bash function was about to evaluate the output of `mfa-env list`",
            "reload the function",
        ]);
    assert_eq!(out.stdout, "");
    Test::new()
        .env("_MFA_ENV_EVAL", "zsh")
        .args(["dev", "--format", "json"])
        .fails(&["not zsh code"]);
    Test::new()
        .env("_MFA_ENV_EVAL", "tcsh")
        .args(["unset"])
        .fails(&["names no shell"]);
    // What it evaluates comes in its shell, whatever the parent process is.
    let out = Test::new()
        .env("_MFA_ENV_EVAL", "fish")
        .args(["unset"])
        .ok();
    assert!(
        out.stdout
            .starts_with("set -e -g AWS_ACCESS_KEY_ID; set -qU AWS_ACCESS_KEY_ID;"),
        "{}",
        out.stdout
    );
}

/// Run the binary with `_MFA_ENV_EVAL` set or not, outside the contract checks of `Test::run`
/// (help on stderr has no `mfa-env:` prefix).
fn run_plain(test: &Test) -> std::process::Output {
    test.command()
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn help_and_version_never_reach_stdout_when_the_function_evaluates_it() {
    const VERSION: &str = concat!("mfa-env ", env!("CARGO_PKG_VERSION"), "\n");
    for args in [
        &["-h"][..],
        &["--help"],
        &["-V"],
        &["--version"],
        &["-Vh"],
        &["-hV"],
        &["dev", "-hh"],
        &["dev", "--code", "123456", "-h"],
        &["export", "dev", "--help"],
        &["unset", "-h"],
        &["exec", "-h"],
        &["help"],
        &["help", "exec"],
    ] {
        let out = run_plain(&Test::new().env("_MFA_ENV_EVAL", "bash").args(args));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("Usage: mfa-env") || stderr == VERSION,
            "{args:?}: {stderr}"
        );
    }
    // Asked for directly, they go to stdout, with success.
    for (args, start) in [
        (&["--help"][..], "Export an MFA-authenticated"),
        (&["-Vh"], VERSION),
        (&["help"], "Export an MFA-authenticated"),
        (&["help", "exec"], "Run a command with the session"),
    ] {
        let out = run_plain(&Test::new().args(args));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}");
        assert!(stdout.starts_with(start), "{args:?}: {stdout}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn a_profile_named_help_is_reached_with_export() {
    let server = StsServer::start();
    let out = Test::new()
        .config(&CONFIG.replace("dev", "help"))
        .credentials(&CREDENTIALS.replace("[dev]", "[help]"))
        .sts(&server)
        .args(["export", "help", "--code", "123456", "-s", "bash"])
        .ok();
    assert!(
        out.stdout.contains("export MFA_ENV_PROFILE=help\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn help_slipping_past_the_function_is_shown_and_nothing_is_evaluated() {
    // `dev -hh` and `-Vh` are not among the function's help words, so it evaluates the output:
    // once the help's first word `Export` ran as a command, and `-Vh` exported a profile named
    // after the version. A command named Export is the canary.
    let canary = |sh: Sh| match sh {
        Sh::Fish => "function Export; set -gx CANARY ran; end\n",
        _ => "Export() { export CANARY=ran; }\n",
    };
    for sh in ALL {
        let script = [
            load_init(sh),
            canary(sh),
            "mfa-env dev -hh\n",
            &keep_status(sh, "RC_HELP"),
            "mfa-env -Vh\n",
            &keep_status(sh, "RC_VERSION"),
            DUMP,
        ]
        .concat();
        let run = Test::dev(&StsServer::start()).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert!(!run.env.contains_key("CANARY"), "{}", sh.name());
        for rc in ["RC_HELP", "RC_VERSION"] {
            assert_eq!(run.env.get(rc).map(String::as_str), Some("2"), "{rc}");
        }
        // The text reached the terminal (stderr), and no profile was looked for.
        assert!(run.stderr.contains("Usage: mfa-env"), "{}", run.stderr);
        assert!(
            run.stderr
                .contains(concat!("mfa-env ", env!("CARGO_PKG_VERSION"))),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("not found"), "{}", run.stderr);
        assert!(!run.env.contains_key("MFA_ENV_PROFILE"));
    }
}

#[test]
fn every_subcommand_is_either_evaluated_or_passed_through_by_every_script() {
    use clap::CommandFactory;
    // The function evaluates the output of these; every other subcommand must be in each
    // script's pass-through list, or a profile-like call would evaluate its output.
    const EVALUATED: &[&str] = &["export", "unset", "clear"];
    // Built, as at run time: clap adds the `help` subcommand then.
    let mut cli = mfa_env::cli::Cli::command();
    cli.build();
    let names: Vec<String> = cli
        .get_subcommands()
        .flat_map(|c| {
            std::iter::once(c.get_name().to_owned()).chain(c.get_all_aliases().map(str::to_owned))
        })
        .filter(|n| !EVALUATED.contains(&n.as_str()))
        .collect();
    assert!(names.contains(&"exec".to_owned()));
    assert!(names.contains(&"help".to_owned()));
    for ext in ["sh", "fish", "ps1"] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("shell/mfa-env.{ext}"));
        let text = std::fs::read_to_string(&path).unwrap();
        let line = text
            .lines()
            .find(|l| {
                l.contains("exec") && l.contains("status") && !l.trim_start().starts_with('#')
            })
            .unwrap_or_else(|| panic!("{}: no pass-through list", path.display()));
        let words: Vec<&str> = line
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .collect();
        for name in &names {
            assert!(
                words.contains(&name.as_str()),
                "{} does not pass `{name}` through: {line}",
                path.display()
            );
        }
        for name in EVALUATED {
            assert!(
                !words.contains(name),
                "{} passes `{name}` through",
                path.display()
            );
        }
    }
}

#[test]
fn fish_source_succeeds_when_nothing_was_there_to_remove() {
    // `set -e` of an unset variable fails in fish; the README's `mfa-env dev | source; and ...`
    // must go on all the same, with or without the function.
    let server = StsServer::start();
    let run = Test::dev(&server).shell(
        Sh::Fish,
        "$MFA_ENV dev --code 123456 | source; and $MFA_ENV unset | source; and set -gx RC $status; env -0",
    );
    assert_eq!(
        run.env.get("RC").map(String::as_str),
        Some("0"),
        "{}",
        run.stderr
    );
    assert!(!run.env.contains_key("AWS_SESSION_TOKEN"));
}
