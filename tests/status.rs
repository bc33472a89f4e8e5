//! What the shell holds: `status`, its prompt segment as the docs show it, and `unset`.

use crate::support::shells::{ALL, Sh};
use crate::support::*;

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
        Test::new()
            .holding("dev", 42 * 60 + 20)
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
        Test::new()
            .holding("dev", 3600)
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
    let out = Test::new()
        .holding("dev", 3600)
        .env("MFA_ENV_ACCOUNT", "")
        .args(["status", "--json"])
        .ok();
    assert!(out.stdout.contains("\"role\":null,\"account\":null,"));
}

#[test]
fn status_after_another_tool_replaced_the_keys() {
    // The keys are no longer the session's: no session to show, and the prompt shows none.
    let test = || {
        Test::new()
            .holding("dev", 3600)
            .env("AWS_ACCESS_KEY_ID", "ASIAOTHERTOOL0000001")
    };
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
    let test = || Test::new().holding("dev", -125);
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
    let out = Test::new()
        .holding("dev", 11 * 3600 + 58 * 60 + 10)
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
        .fails(&["invalid value 'json'", "possible values: bash, zsh, sh"]);
    let pwsh = Test::new().args(["unset", "-f", "pwsh"]).ok();
    assert!(pwsh.stdout.starts_with(
        "Remove-Item -LiteralPath Env:AWS_ACCESS_KEY_ID -ErrorAction SilentlyContinue\n"
    ));
}

// ---- the documented prompt segments (docs/shell-integration.md)

/// The code block of docs/shell-integration.md that starts with `first_line`, up to its
/// closing fence: the prompt segments a user copies from there.
pub fn docs_block(first_line: &str) -> String {
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
            let run = Test::new()
                .holding(profile, 42 * 60 + 20)
                .shell(sh, &script);
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
