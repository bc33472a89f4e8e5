//! The output evaluated by the real bash, zsh and fish: every value arrives byte for byte.

use std::collections::BTreeMap;

use crate::support::shells::{ALL, MORE, Sh};
use crate::support::*;

/// The values STS could send that are hardest for a quoter: all of its alphabet, with a
/// leading `=` (zsh expands `=cmd` at the start of a word) and `-`, and `/`, `+`, `.` runs.
pub fn hostile() -> Creds {
    Creds {
        access_key_id: "ASIA0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".into(),
        secret_access_key: "=ls/+.-_=..//++abcXYZ09".into(),
        session_token: "-n+/=._-eyJhbGciOiJIUzI1NiJ9.e30.sig_-==".into(),
        expiration: in_minutes(15),
    }
}

/// Values a careless quoter would break or execute, which STS never sends: refused.
pub fn beyond_sts() -> Creds {
    Creds {
        access_key_id: "ASIA'quote\"double\\back$HOME`id`!bang".into(),
        secret_access_key: "sp ace\ttab\nnewline trailing\\".into(),
        session_token: "$(touch /tmp/pwned) ; rm -rf / && `x` 'a'\\''b' é ü 日本 🙂 \\'\\\\".into(),
        expiration: in_minutes(15),
    }
}

pub fn expected(creds: &Creds, region: &str, profile: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("AWS_ACCESS_KEY_ID", creds.access_key_id.clone()),
        ("AWS_SECRET_ACCESS_KEY", creds.secret_access_key.clone()),
        ("AWS_SESSION_TOKEN", creds.session_token.clone()),
        ("AWS_CREDENTIAL_EXPIRATION", creds.expiration.clone()),
        ("AWS_SESSION_EXPIRATION", creds.expiration.clone()),
        ("AWS_REGION", region.into()),
        ("AWS_DEFAULT_REGION", region.into()),
        ("MFA_ENV_PROFILE", profile.into()),
        // A GetSessionToken session: no role, the MFA device's account.
        ("MFA_ENV_ROLE", String::new()),
        ("MFA_ENV_ACCOUNT", "123456789012".into()),
        ("MFA_ENV_ACCESS_KEY_ID", creds.access_key_id.clone()),
    ])
}

#[track_caller]
pub fn assert_session(sh: Sh, env: &BTreeMap<String, String>, want: &BTreeMap<&str, String>) {
    for (name, value) in want {
        assert_eq!(
            env.get(*name),
            Some(value),
            "{} got {name} wrong",
            sh.name()
        );
    }
    for name in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"] {
        assert!(!env.contains_key(name), "{} kept {name}", sh.name());
    }
}

#[test]
fn hostile_values_arrive_exactly_in_every_shell() {
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    for sh in ALL {
        let out = Test::dev(&server)
            .args(["dev", "-c", "123456", "-s", sh.name()])
            .ok();
        let code = format!(
            "export AWS_PROFILE=old AWS_DEFAULT_PROFILE=old AWS_SECURITY_TOKEN=old\n{}",
            out.stdout
        );
        let code = if sh == Sh::Fish {
            format!(
                "set -gx AWS_PROFILE old; set -gx AWS_DEFAULT_PROFILE old; set -gx AWS_SECURITY_TOKEN old\n{}",
                out.stdout
            )
        } else {
            code
        };
        let env = sh.eval(&code);
        assert_session(sh, &env, &expected(&creds, "eu-west-1", "dev"));
    }
    assert!(!std::path::Path::new("/tmp/pwned").exists());
}

/// `AWS_PROFILE=old`, then the real command evaluated whatever it prints, then `env -0`.
fn eval_over_old_profile(sh: Sh) -> &'static str {
    match sh {
        Sh::Fish => "set -gx AWS_PROFILE old; $MFA_ENV dev --code 123456 | source; env -0",
        _ => "export AWS_PROFILE=old; eval \"$(\"$MFA_ENV\" dev --code 123456)\"; env -0",
    }
}

#[test]
fn values_sts_never_sends_are_refused_and_nothing_is_evaluated() {
    // One field at a time, so that each field's check is proved.
    let server = StsServer::start();
    let beyond = beyond_sts();
    let cases = [
        (
            "AccessKeyId",
            Creds {
                access_key_id: beyond.access_key_id.clone(),
                ..hostile()
            },
        ),
        (
            "SecretAccessKey",
            Creds {
                secret_access_key: beyond.secret_access_key.clone(),
                ..hostile()
            },
        ),
        (
            "SessionToken",
            Creds {
                session_token: beyond.session_token.clone(),
                ..hostile()
            },
        ),
    ];
    for (field, creds) in cases {
        server.always(Reply::Creds(creds));
        for sh in ALL {
            let run = Test::dev(&server).shell(sh, eval_over_old_profile(sh));
            assert!(
                run.stderr
                    .contains(&format!("with a {field} that holds characters other than"))
                    && run.stderr.contains("nothing was exported"),
                "{}: {}",
                sh.name(),
                run.stderr
            );
            assert!(!run.stderr.contains("sp ace") && !run.stderr.contains("touch"));
            assert_eq!(run.env.get("AWS_PROFILE").map(String::as_str), Some("old"));
            assert!(!run.env.contains_key("AWS_ACCESS_KEY_ID"), "{}", sh.name());
        }
    }
    assert!(!std::path::Path::new("/tmp/pwned").exists());
}

#[test]
fn eval_of_the_real_command_in_each_shell() {
    // As a user types it, with no --shell: the parent shell is detected.
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    for sh in ALL {
        let script = match sh {
            Sh::Fish => "$MFA_ENV dev --code 123456 | source; and env -0",
            _ => "eval \"$(\"$MFA_ENV\" dev --code 123456)\" && env -0",
        };
        let run = Test::dev(&server)
            .env("AWS_PROFILE", "old")
            .env("AWS_SECURITY_TOKEN", "old")
            .shell(sh, script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert!(
            run.stderr.starts_with("mfa-env: dev session valid until"),
            "{}: {}",
            sh.name(),
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert_session(sh, &run.env, &expected(&creds, "eu-west-1", "dev"));
    }
}

#[test]
fn a_failure_evaluates_nothing() {
    let server = StsServer::start();
    server.always(Reply::code_rejected());
    for sh in ALL {
        let run = Test::dev(&server).shell(sh, eval_over_old_profile(sh));
        assert!(
            run.stderr.contains("STS rejected the MFA code"),
            "{}",
            run.stderr
        );
        assert_eq!(
            run.env.get("AWS_PROFILE").map(String::as_str),
            Some("old"),
            "{}",
            sh.name()
        );
        assert!(!run.env.contains_key("AWS_ACCESS_KEY_ID"));
    }
}

#[test]
fn posix_quoting_holds_in_dash_style_sh_too() {
    // `sh` as a parent is treated as bash-compatible POSIX; prove the statements in zsh's sh
    // emulation is not needed: bash in POSIX mode reads them the same.
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    let out = Test::dev(&server)
        .args(["dev", "-c", "123456", "-s", "bash"])
        .ok();
    let env = Sh::Bash.eval(&format!("set -o posix\n{}", out.stdout));
    assert_session(Sh::Bash, &env, &expected(&creds, "eu-west-1", "dev"));
}

#[test]
fn the_statements_succeed_when_there_is_nothing_to_unset() {
    // `mfa-env dev | source; and aws ...` must reach aws in a clean shell.
    let server = StsServer::start();
    for sh in ALL {
        let out = Test::dev(&server)
            .args(["dev", "-c", "123456", "-s", sh.name()])
            .ok();
        let env = sh.eval(&out.stdout);
        assert_eq!(env.get("MFA_ENV_PROFILE").map(String::as_str), Some("dev"));
    }
}

/// fish: export removes this shell's AWS_PROFILE and leaves a universal one (`set -U`), which
/// fish saves for every session, where it was; the person hears that it still reaches commands.
#[test]
fn fish_leaves_universal_variables_to_every_other_session_and_says_so() {
    let server = StsServer::start();
    let out = Test::dev(&server)
        .args(["dev", "-c", "123456", "-s", "fish"])
        .ok();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("code"), &out.stdout).unwrap();
    // Not `--no-config`: with it fish neither loads nor saves universal variables. The home is
    // the temporary folder, so no start-up file of the machine's user is read.
    let fish = |script: &str| {
        std::process::Command::new(Sh::Fish.program())
            .args(["-c", script])
            .arg(dir.path().join("code"))
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let run = fish(
        "set -Ux AWS_PROFILE bob; set -gx AWS_DEFAULT_PROFILE carol; \
         cat $argv[1] | source; and printf '%s|' (set -q -g AWS_DEFAULT_PROFILE; and echo global-left; or echo global-gone) $AWS_PROFILE",
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "global-gone|bob|");
    assert_eq!(
        stderr,
        "mfa-env: fish keeps a universal AWS_PROFILE (set -U) for every session; it was left as it is: remove it with `set -eU AWS_PROFILE`\n"
    );
    // Another fish session still has it: nothing erased it from fish's saved variables.
    let later = fish("printf '%s' $AWS_PROFILE");
    assert_eq!(String::from_utf8_lossy(&later.stdout), "bob");
}

/// A program on PATH; a missing one fails the test (.ci/run installs the shells).
#[track_caller]
fn on_path(name: &str) -> std::path::PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed"))
}

#[test]
fn a_script_gets_its_interpreters_statements_whatever_the_login_shell() {
    // A script's process is named after the script (`b.sh`), not its shell: detected by that
    // name, `./b.sh` with a fish login shell got fish statements, which bash cannot read.
    use std::os::unix::fs::PermissionsExt;
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    let posix = "eval \"$(\"$MFA_ENV\" dev --code 123456)\" && env -0\n";
    for (interpreter, body, login, sh) in [
        ("bash", posix, "fish", Sh::Bash),
        ("dash", posix, "fish", Sh::Dash),
        ("zsh", posix, "fish", Sh::Zsh),
        (
            "fish",
            "$MFA_ENV dev --code 123456 | source; and env -0\n",
            "bash",
            Sh::Fish,
        ),
    ] {
        let test = Test::dev(&server).env("SHELL", &on_path(login).display().to_string());
        let script = test.dir.path().join("b.sh");
        let text = format!("#!{}\n{body}", on_path(interpreter).display());
        std::fs::write(&script, text).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let run = test.shell(
            Sh::Bash,
            &format!("cd '{}' && ./b.sh", test.dir.path().display()),
        );
        assert!(
            run.status.success(),
            "{interpreter} with SHELL={login}: {}",
            run.stderr
        );
        assert_session(sh, &run.env, &expected(&creds, "eu-west-1", "dev"));
    }
}

/// How the shell runs the binary named by $MFA_ENV with `args`, as a command word.
pub fn run_binary(sh: Sh, args: &str) -> String {
    match sh {
        Sh::Elvish => format!("(external $E:MFA_ENV) {args}"),
        Sh::Xonsh => format!("@($MFA_ENV) {args}"),
        Sh::Nu => format!("^$env.MFA_ENV {args}"),
        _ => format!("$MFA_ENV {args}"),
    }
}

/// As a user types it (`Shell::evaluate`), then the environment on stdout. In elvish and
/// nushell a failing binary raises: the dump runs all the same, and shows what was loaded.
fn evaluate_then_dump(sh: Sh, args: &str) -> String {
    let evaluate = sh.shell().evaluate(&run_binary(sh, args));
    let dump = format!("{} -0", sh.env_program());
    match sh {
        Sh::Elvish => format!("try {{ {evaluate} }} catch e {{ }}\n{dump}"),
        Sh::Nu => format!("try {{ {evaluate} }} catch {{ }}\n{dump}"),
        _ => format!("{evaluate}\n{dump}"),
    }
}

#[test]
fn the_new_shells_read_the_real_command_with_their_own_statements() {
    // No --shell: each is detected from the parent process (xonsh by its name: its program
    // is python3). Hostile values arrive exactly; AWS_PROFILE and the old token are removed.
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    for sh in MORE {
        let run = Test::dev(&server)
            .env("AWS_PROFILE", "old")
            .env("AWS_DEFAULT_PROFILE", "old")
            .env("AWS_SECURITY_TOKEN", "old")
            .env("SHELL", "/bin/bash")
            .shell(sh, &evaluate_then_dump(sh, "dev --code 123456"));
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert!(
            run.stderr.starts_with("mfa-env: dev session valid until")
                && run.stderr.lines().count() == 1,
            "{}: {}",
            sh.name(),
            run.stderr
        );
        assert_session(sh, &run.env, &expected(&creds, "eu-west-1", "dev"));
    }
}

#[test]
fn the_new_shells_evaluate_nothing_on_failure() {
    let server = StsServer::start();
    server.always(Reply::code_rejected());
    for sh in MORE {
        let run = Test::dev(&server)
            .env("AWS_PROFILE", "old")
            .shell(sh, &evaluate_then_dump(sh, "dev --code 123456"));
        assert!(
            run.stderr.contains("STS rejected the MFA code"),
            "{}: {}",
            sh.name(),
            run.stderr
        );
        assert_eq!(
            run.env.get("AWS_PROFILE").map(String::as_str),
            Some("old"),
            "{}",
            sh.name()
        );
        assert!(!run.env.contains_key("AWS_ACCESS_KEY_ID"), "{}", sh.name());
    }
}

#[test]
fn every_profile_name_the_aws_parser_accepts_arrives_in_every_shell() {
    // All the characters a profile name may hold, in MFA_ENV_PROFILE of each shell.
    let server = StsServer::start();
    let name = "a%b@c:d+e/f.g-h_i";
    for sh in crate::support::shells::EVERY {
        let test = Test::new()
            .config(&CONFIG.replace("dev", name))
            .credentials(&CREDENTIALS.replace("[dev]", &format!("[{name}]")))
            .sts(&server);
        let run = test.shell(
            sh,
            &evaluate_then_dump(
                sh,
                &format!("export '{name}' --code 123456 -s {}", sh.format()),
            ),
        );
        assert_eq!(
            run.env.get("MFA_ENV_PROFILE").map(String::as_str),
            Some(name),
            "{}: {}",
            sh.name(),
            run.stderr
        );
    }
}

#[test]
fn a_value_tcsh_cannot_receive_is_refused_before_anything_is_printed() {
    // Every exported value is ASCII without a newline now (the alphabets STS sends, role ARNs
    // as IAM makes them, profile names and regions as the SDKs take them): a role ARN outside
    // ASCII, which once reached tcsh's own refusal, is refused for every shell before any call.
    let server = StsServer::start();
    for shell in ["csh", "posix"] {
        let out = Test::dev(&server)
            .args([
                "dev",
                "--code",
                "123456",
                "--role-arn",
                "arn:aws:iam::210987654321:role/caf\u{e9}",
                "-s",
                shell,
            ])
            .fails(&[
                "the role ARN 'arn:aws:iam::210987654321:role/caf\u{e9}' (from --role-arn on the command line) has a role name with characters other than letters, digits and +=,.@_-",
            ]);
        assert_eq!(out.stdout, "");
    }
    assert!(server.requests().is_empty());
    // tcsh's refusal stays, for a value that would reach it: nothing of the output is made.
    let err = mfa_env::shell::Shell::Tcsh
        .render(
            &[("AWS_REGION", "eu-west-1"), ("MFA_ENV_ROLE", "caf\u{e9}")],
            &[],
        )
        .unwrap_err();
    assert_eq!(
        err.message(),
        "the value of MFA_ENV_ROLE holds a character outside ASCII, which tcsh cannot receive exactly; nothing was printed"
    );
}
