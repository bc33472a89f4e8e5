//! `mfa-env init`: the shell function, checked and run in the real bash, zsh and fish.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::shells::{assert_session, expected, hostile};
use crate::support::shells::{ALL, EVERY, MORE, Sh};
use crate::support::*;

/// The scripts as committed: one for bash and zsh, one for fish.
fn script_path(sh: Sh) -> PathBuf {
    let ext = match sh {
        Sh::Bash | Sh::Zsh => "sh",
        Sh::Dash => "posix.sh",
        Sh::Fish => "fish",
        Sh::Tcsh => "tcsh",
        Sh::Elvish => "elv",
        Sh::Xonsh => "xsh",
        Sh::Nu => "nu",
    };
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("shell/mfa-env.{ext}"))
}

/// The shells whose function a script can load (elvish's is for its interactive shell only,
/// and is run through a terminal below).
pub const FUNCTIONS: [Sh; 7] = [
    Sh::Bash,
    Sh::Zsh,
    Sh::Dash,
    Sh::Fish,
    Sh::Tcsh,
    Sh::Xonsh,
    Sh::Nu,
];

/// Shell code that puts the binary's directory first on PATH (the function runs the binary by
/// name, as a user's shell would find it), then loads the function as the README says.
/// nushell sources the committed script, which `init nu` prints (tested below): it cannot run
/// the binary and read its output as code in one script.
pub fn load_init(sh: Sh) -> &'static str {
    static NU: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "$env.PATH = ($env.PATH | prepend ($env.MFA_ENV | path dirname)); source '{}'\n",
            script_path(Sh::Nu).display()
        )
    });
    match sh {
        Sh::Bash => "PATH=\"${MFA_ENV%/*}:$PATH\"; eval \"$(mfa-env init bash)\"\n",
        Sh::Zsh => "PATH=\"${MFA_ENV%/*}:$PATH\"; eval \"$(mfa-env init zsh)\"\n",
        // The alias takes effect from the next line on.
        Sh::Dash => "PATH=\"${MFA_ENV%/*}:$PATH\"; eval \"$(mfa-env init sh)\"\n",
        Sh::Fish => {
            "set -gx PATH (string replace -r '/[^/]*$' '' -- $MFA_ENV) $PATH; mfa-env init fish | source\n"
        }
        Sh::Tcsh => "set path = ($MFA_ENV:h $path)\neval \"`mfa-env init tcsh`\"\n",
        Sh::Xonsh => "$PATH.insert(0, $MFA_ENV.rsplit('/', 1)[0])\nexecx($(mfa-env init xonsh))\n",
        Sh::Nu => &NU,
        Sh::Elvish => unreachable!("elvish's function is loaded in its interactive shell"),
    }
}

/// `NAME=$?` in that shell: the status of the previous command, kept in the environment.
pub fn keep_status(sh: Sh, name: &str) -> String {
    match sh {
        Sh::Fish => format!("set -gx {name} $status\n"),
        Sh::Tcsh => format!("setenv {name} $status\n"),
        Sh::Bash | Sh::Zsh | Sh::Dash => format!("export {name}=$?\n"),
        Sh::Elvish | Sh::Xonsh | Sh::Nu => unreachable!("use run_keep"),
    }
}

/// Run `command`, then keep its status in the variable `name`. In elvish and nushell a failure
/// is an exception that carries the status; xonsh keeps it in the pipeline object.
pub fn run_keep(sh: Sh, command: &str, name: &str) -> String {
    match sh {
        Sh::Elvish => format!(
            "try {{ {command}; set-env {name} 0 }} catch e {{ set-env {name} (to-string $e[reason][exit-status]) }}\n"
        ),
        Sh::Nu => format!(
            "try {{ {command}; $env.{name} = '0' }} catch {{ $env.{name} = ($env.LAST_EXIT_CODE | into string) }}\n"
        ),
        Sh::Xonsh => format!("__r = ![{command}]\n${name} = str(__r.returncode)\n"),
        _ => format!("{command}\n{}", keep_status(sh, name)),
    }
}

/// `NAME=$(command)` in that shell (one line of output, its newline dropped).
pub fn capture(sh: Sh, name: &str, command: &str) -> String {
    match sh {
        Sh::Fish => format!("set -gx {name} ({command} | string collect)\n"),
        Sh::Tcsh => format!("setenv {name} \"`{command}`\"\n"),
        Sh::Elvish => format!("set-env {name} ({command})\n"),
        Sh::Xonsh => format!("${name} = $({command}).rstrip('\\n')\n"),
        Sh::Nu => format!("$env.{name} = ({command} | str trim --right)\n"),
        Sh::Bash | Sh::Zsh | Sh::Dash => format!("export {name}=\"$({command})\"\n"),
    }
}

fn set_var(sh: Sh, name: &str, value: &str) -> String {
    match sh {
        Sh::Fish => format!("set -gx {name} '{value}'\n"),
        Sh::Tcsh => format!("setenv {name} '{value}'\n"),
        Sh::Elvish => format!("set-env {name} '{value}'\n"),
        Sh::Xonsh => format!("${name} = '{value}'\n"),
        Sh::Nu => format!("$env.{name} = '{value}'\n"),
        Sh::Bash | Sh::Zsh | Sh::Dash => format!("export {name}='{value}'\n"),
    }
}

/// The environment, NUL-separated, on stdout.
pub fn dump(sh: Sh) -> String {
    format!("{} -0\n", sh.env_program())
}

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
        .args(["init", "ksh"])
        .fails(&["invalid value 'ksh'"]);
}

#[test]
fn every_script_passes_its_shells_syntax_check() {
    for sh in EVERY {
        let path = script_path(sh);
        let mut cmd = std::process::Command::new(sh.program());
        match sh {
            Sh::Bash => cmd.args(["--noprofile", "--norc", "-n"]).arg(&path),
            Sh::Zsh => cmd.args(["-f", "-n"]).arg(&path),
            Sh::Dash => cmd.arg("-n").arg(&path),
            Sh::Fish => cmd.args(["--no-config", "--no-execute"]).arg(&path),
            Sh::Tcsh => cmd.args(["-f", "-n"]).arg(&path),
            // The edit: module exists only in the interactive shell; the rest must compile.
            Sh::Elvish => cmd.args(["-norc", "-compileonly"]).arg(&path),
            Sh::Xonsh => cmd.args(["--no-rc", "-c"]).arg(format!(
                "compile(open('{}').read(), 'mfa-env.xsh', 'exec')",
                path.display()
            )),
            Sh::Nu => cmd
                .args(["--no-config-file", "-c"])
                .arg(format!("nu-check --debug '{}'", path.display())),
        };
        let out = cmd.output().unwrap();
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
            &dump(sh),
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
            &dump(sh),
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
            &dump(sh),
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
    for sh in FUNCTIONS {
        let script = [
            load_init(sh),
            &set_var(sh, "AWS_PROFILE", "old"),
            &set_var(sh, "AWS_ACCESS_KEY_ID", "AKIAKEEP"),
            &run_keep(sh, "mfa-env dev --code 123456", "RC"),
            // A usage error has its own status.
            &run_keep(sh, "mfa-env dev --code 12", "RC_USAGE"),
            &dump(sh),
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
        assert_eq!(
            run.env.get("RC_USAGE").map(String::as_str),
            Some("2"),
            "{}",
            sh.name()
        );
        assert_eq!(run.env.get("AWS_PROFILE").map(String::as_str), Some("old"));
        assert_eq!(
            run.env.get("AWS_ACCESS_KEY_ID").map(String::as_str),
            Some("AKIAKEEP"),
            "{}",
            sh.name()
        );
        assert!(!run.env.contains_key("AWS_SESSION_TOKEN"), "{}", sh.name());
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
            &dump(sh),
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
            &dump(sh),
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
            &dump(sh),
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
    crate::support::path::assert_none_in(&["/usr/bin", "/bin"]);
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
            _ => unreachable!("see the_start_up_lines_of_the_docs_are_silent_without_the_binary"),
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
        .env("_MFA_ENV_EVAL", "ksh")
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
            &dump(sh),
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
    const EVALUATED: &[&str] = &["export", "unset", "clear", "rotate"];
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

#[test]
fn the_functions_of_the_new_shells_export_and_unset() {
    let server = StsServer::start();
    let creds = hostile();
    for sh in FUNCTIONS.into_iter().filter(|sh| MORE.contains(sh)) {
        server.always(Reply::Creds(creds.clone()));
        let script = [
            load_init(sh),
            &set_var(sh, "AWS_PROFILE", "old"),
            &set_var(sh, "AWS_SECURITY_TOKEN", "old"),
            &run_keep(sh, "mfa-env dev --code 123456", "RC"),
            &dump(sh),
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert_eq!(
            run.env.get("RC").map(String::as_str),
            Some("0"),
            "{}",
            sh.name()
        );
        assert!(
            run.stderr.starts_with("mfa-env: dev session valid until")
                && run.stderr.lines().count() == 1,
            "{}: {}",
            sh.name(),
            run.stderr
        );
        assert_exported(sh, &run.env, &creds);
        assert!(!run.env.keys().any(|k| k.contains("MFA_ENV_EVAL")));

        // unset and clear remove it all; a status and a list pass through the function.
        let script = [
            load_init(sh),
            &set_var(sh, "KEEP", "kept"),
            &run_keep(sh, "mfa-env export dev --mfa-token 123456", "RC_EXPORT"),
            &capture(sh, "HELD", "mfa-env status --prompt"),
            &capture(sh, "LIST", "mfa-env list"),
            &capture(sh, "JSON", "mfa-env dev --code 123456 --format json"),
            &run_keep(sh, "mfa-env unset", "RC_UNSET"),
            &run_keep(sh, "mfa-env clear", "RC_CLEAR"),
            &dump(sh),
        ]
        .concat();
        let run = Test::dev(&server).shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        let var = |name: &str| run.env.get(name).map_or("", String::as_str).to_owned();
        for rc in ["RC_EXPORT", "RC_UNSET", "RC_CLEAR"] {
            assert_eq!(var(rc), "0", "{} {rc}: {}", sh.name(), run.stderr);
        }
        // The fixture expires 15 minutes after it was made; the shells before took some time.
        assert!(
            ["dev 15m", "dev 14m"].contains(&var("HELD").as_str()),
            "{}: {}",
            sh.name(),
            var("HELD")
        );
        assert_eq!(var("LIST"), "dev  mfa", "{}", sh.name());
        assert!(
            var("JSON").starts_with("{\"AWS_ACCESS_KEY_ID\":"),
            "{}",
            sh.name()
        );
        for name in ["AWS_ACCESS_KEY_ID", "AWS_SESSION_TOKEN", "MFA_ENV_PROFILE"] {
            assert!(!run.env.contains_key(name), "{} kept {name}", sh.name());
        }
        assert_eq!(var("KEEP"), "kept");
    }
}

#[test]
fn tcsh_help_and_version_reach_the_terminal_through_the_alias() {
    // tcsh's alias evaluates every call; the binary answers help with the command that shows
    // it, so `mfa-env --help` prints help and succeeds.
    let script = [
        load_init(Sh::Tcsh),
        &capture(Sh::Tcsh, "VERSION", "mfa-env --version"),
        &run_keep(Sh::Tcsh, "mfa-env dev -hh > /dev/null", "RC_HELP"),
        &dump(Sh::Tcsh),
    ]
    .concat();
    let run = Test::new().shell(Sh::Tcsh, &script);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(
        run.env.get("VERSION").map(String::as_str),
        Some(concat!("mfa-env ", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        run.env.get("RC_HELP").map(String::as_str),
        Some("0"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
    // What the binary answers when the alias calls it.
    let out = Test::new()
        .env("_MFA_ENV_EVAL", "tcsh")
        .args(["exec", "dev", "--", "echo", "it's!"])
        .run();
    assert_eq!(
        out.stdout,
        "\\mfa-env 'exec' 'dev' '--' 'echo' 'it'\\''s'\\!'';\n"
    );
}

#[test]
fn init_prints_the_scripts_of_the_new_shells_by_every_name() {
    for (name, sh) in [
        ("sh", Sh::Dash),
        ("posix", Sh::Dash),
        ("tcsh", Sh::Tcsh),
        ("csh", Sh::Tcsh),
        ("elvish", Sh::Elvish),
        ("xonsh", Sh::Xonsh),
        ("nu", Sh::Nu),
        ("nushell", Sh::Nu),
    ] {
        let out = Test::new().args(["init", name]).ok();
        assert_eq!(
            out.stdout,
            std::fs::read_to_string(script_path(sh)).unwrap(),
            "{name}"
        );
    }
    // eval joins the lines of tcsh's script into one, and an interactive tcsh runs `#` there.
    let tcsh = std::fs::read_to_string(script_path(Sh::Tcsh)).unwrap();
    assert!(
        tcsh.lines().all(|l| !l.contains('#') && l.ends_with(';')),
        "{tcsh}"
    );
}

/// Type `lines` into an interactive elvish, one at a time, each after the prompt came back.
/// The last line should write what the test reads into a file: the screen is full of escapes.
pub fn elvish_typed(test: &Test, lines: &[&str]) {
    use crate::support::pty::{Pty, Wiring};
    let pty = Pty::open();
    let mut cmd = std::process::Command::new(Sh::Elvish.program());
    cmd.arg("-norc");
    let sealed = test.command();
    cmd.env_clear()
        .envs(sealed.get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env("MFA_ENV", BIN)
        .env("TERM", "dumb")
        .env("XDG_CONFIG_HOME", test.dir.path().join("xdg"))
        .env("XDG_DATA_HOME", test.dir.path().join("xdg"))
        .env("XDG_STATE_HOME", test.dir.path().join("xdg"))
        .env("XDG_RUNTIME_DIR", test.dir.path().join("xdg"));
    let mut child = pty.spawn(cmd, Wiring::Screen);
    for (i, line) in lines.iter().enumerate() {
        // elvish turns bracketed paste on each time it waits for a line.
        pty.expect("\u{1b}[?2004h", i + 1);
        pty.send(&format!("{line}\r"));
    }
    pty.send("exit\r");
    exits(&mut child, &pty, "elvish");
}

/// Wait, 20 seconds at most, for the interactive shell on `pty` to exit.
pub fn exits(child: &mut std::process::Child, pty: &crate::support::pty::Pty, shell: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "{shell} did not exit:\n{}",
            pty.screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn the_elvish_function_exports_in_the_interactive_shell() {
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    let test = Test::dev(&server).env("AWS_PROFILE", "old");
    let out = test.dir.path().join("out");
    let o = out.display();
    elvish_typed(
        &test,
        &[
            "use path; set paths = [(path:dir $E:MFA_ENV) $@paths]",
            "eval (mfa-env init elvish | slurp)",
            "mfa-env dev --code 123456",
            &format!("env -0 > {o}"),
        ],
    );
    let env =
        crate::support::shells::parse_env0(&std::fs::read(&out).expect("elvish wrote no dump"));
    assert_exported(Sh::Elvish, &env, &creds);
    assert!(!env.keys().any(|k| k.contains("MFA_ENV_EVAL")));
    // unset removes it; a failure raises with the binary's status and loads nothing.
    server.always(Reply::code_rejected());
    elvish_typed(
        &test,
        &[
            "use path; set paths = [(path:dir $E:MFA_ENV) $@paths]",
            "eval (mfa-env init elvish | slurp)",
            "set-env AWS_ACCESS_KEY_ID AKIAKEEP",
            "try { mfa-env dev --code 123456 } catch e { set-env RC (to-string $e[reason][exit-status]) }",
            "mfa-env unset",
            &format!("env -0 > {o}"),
        ],
    );
    let env = crate::support::shells::parse_env0(&std::fs::read(&out).unwrap());
    assert_eq!(env.get("RC").map(String::as_str), Some("1"));
    assert_eq!(env.get("AWS_PROFILE").map(String::as_str), Some("old"));
    assert!(!env.contains_key("AWS_ACCESS_KEY_ID"), "unset left the key");
}

/// Every command the help's epilogues show (the example tables of mfa-env, exec, init,
/// completions, setup and agent), whole on one line at 80 and at 60 columns: a command cut in
/// two is not one to copy. Taken from the clap definition, so a new line is checked too.
#[test]
fn help_never_cuts_a_command_in_two() {
    use clap::CommandFactory;
    let cli = mfa_env::cli::Cli::command();
    let mut epilogues = vec![(Vec::new(), cli.get_after_help().unwrap().to_string())];
    for sub in cli.get_subcommands() {
        if let Some(after) = sub.get_after_help() {
            epilogues.push((vec![sub.get_name().to_owned()], after.to_string()));
        }
    }
    let names: Vec<_> = epilogues.iter().map(|(path, _)| path.join(" ")).collect();
    for name in ["", "exec", "init", "agent", "completions", "setup"] {
        assert!(names.contains(&name.to_owned()), "{names:?}");
    }
    for (path, after) in &epilogues {
        // The columns of each line that hold a command: a column with mfa-env in it, or in
        // prose the `...` spans.
        let mut commands = Vec::new();
        for line in after.lines().filter(|l| l.starts_with("  ")) {
            for column in line
                .split("  ")
                .map(str::trim)
                .filter(|c| c.contains("mfa-env"))
            {
                if column.contains(" `") {
                    commands.extend(column.split('`').skip(1).step_by(2).map(str::to_owned));
                } else {
                    commands.push(column.to_owned());
                }
            }
        }
        assert!(!commands.is_empty() || path == &["agent"], "{path:?}");
        for columns in ["80", "60"] {
            let mut args = path.clone();
            args.push("--help".to_owned());
            let out = run_plain(&Test::new().env("COLUMNS", columns).args(&args));
            let help = String::from_utf8(out.stdout).unwrap();
            assert!(out.status.success(), "{args:?}");
            for command in &commands {
                assert!(
                    help.lines().any(|l| l.contains(command.as_str())),
                    "`mfa-env {}` at {columns} columns cuts {command:?}:\n{help}",
                    args.join(" ")
                );
            }
        }
    }
}
