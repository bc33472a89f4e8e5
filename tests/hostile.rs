//! Hostile values: from the files (profile names, regions), from STS (NUL, terminal escapes,
//! broken answers that hold the new secrets), and servers that echo secrets back. Each is
//! exact in the real shell or refused with a clear message; none is ever executed, and no
//! secret reaches stderr (the harness checks the markers on every run).

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use mfa_env::shell;

use crate::support::shells::{ALL, Sh};
use crate::support::*;

/// A GetSessionToken answer with these raw (already XML-escaped) credential fields.
fn raw_answer(key: &str, secret: &str, token: &str, expiration: &str) -> Reply {
    Reply::Raw {
        status: 200,
        body: format!(
            "<GetSessionTokenResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetSessionTokenResult><Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey><SessionToken>{token}</SessionToken><Expiration>{expiration}</Expiration></Credentials></GetSessionTokenResult></GetSessionTokenResponse>"
        ),
    }
}

const SESSION_SECRET: &str = "sessionSecret/with+slash=";
const SESSION_TOKEN: &str = "FwoGZXIvYXdzEBYaDH+token/value==";

// ---- NUL ----

#[test]
fn a_nul_in_a_value_from_sts_is_refused_and_never_printed() {
    // No environment variable can hold NUL: bash drops it from `$(...)` with a warning and
    // fish cuts the string, so the shell would get a different secret than STS sent.
    for token in ["tok&#0;en", "tok&#x0;en", "tok\0en"] {
        let server = StsServer::start();
        server.always(raw_answer(
            "ASIATESTSESSIONKEY01",
            SESSION_SECRET,
            token,
            &in_minutes(15),
        ));
        let out = Test::export(&server).run();
        assert!(
            !out.status.success(),
            "{token:?} was exported:\n{}",
            out.stdout
        );
        assert!(!out.stdout.contains('\0'));
        out.stderr_has(&["STS at http://127.0.0.1:"]);
        assert!(out.stderr.lines().count() <= 2, "{}", out.stderr);
    }
}

// ---- values from the files ----

#[test]
fn profile_names_the_aws_parser_accepts_arrive_exactly_in_every_shell() {
    // aws-config accepts profile names of [A-Za-z0-9_-/.%@:+] (validate_identifier), so
    // these are the hostile names that can reach MFA_ENV_PROFILE: `%`, `@`, `:`, `+` and `/`.
    let names = [
        "a%b@c:d+e/f.g_h-i",
        "%HOME%",
        "-n",
        "+x:y",
        "..",
        "::",
        "@",
        "/",
    ];
    let server = StsServer::start();
    for name in names {
        let config = format!("[profile {name}]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n");
        let credentials = format!(
            "[{name}]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = {SECRET}\n"
        );
        for sh in ALL {
            let out = Test::new()
                .config(&config)
                .credentials(&credentials)
                .sts(&server)
                .args([
                    "export",
                    "--code",
                    "123456",
                    "--shell",
                    sh.name(),
                    "--",
                    name,
                ])
                .ok();
            let env = sh.eval(&out.stdout);
            assert_eq!(
                env.get("MFA_ENV_PROFILE").map(String::as_str),
                Some(name),
                "{}",
                sh.name()
            );
        }
    }
}

#[test]
fn sections_with_shell_metacharacters_are_ignored_by_the_parser_and_named_as_invalid() {
    // `[profile it's]`, `[profile $(id)]`, `` [profile `id`] `` and `[profile a b]` are
    // dropped by aws-config's parser (as by the AWS CLI's: they are not valid names), so the
    // name never reaches the output; asking for one says why it cannot be found.
    let server = StsServer::start();
    for name in [
        "it's",
        "$(touch pwned)",
        "`touch pwned`",
        "a b",
        "x\"y",
        "=ls",
        "~",
    ] {
        let test = Test::new()
            .config(&format!("[profile {name}]\nmfa_serial = {SERIAL}\n"))
            .credentials(&format!(
                "[{name}]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = {SECRET}\n"
            ))
            .sts(&server)
            .args(["export", "--code", "123456", "--", name]);
        let out = test.fails(&[
            &format!("profile '{name}' not found"),
            "not a valid profile name",
            "letters, digits and _-/.%@:+",
        ]);
        assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
        assert!(!test.dir.path().join("home/pwned").exists());
    }
    // `;` and `#` start a comment inside a section header: a parse error that names the line.
    for name in ["a;b", "a#b"] {
        Test::new()
            .config(&format!("[profile {name}]\nmfa_serial = {SERIAL}\n"))
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(["export", "--code", "123456", "--", name])
            .fails(&[
                "cannot parse",
                "line 1: Profile definition must end with ']'",
            ]);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_region_from_the_files_that_is_not_a_region_is_refused() {
    let server = StsServer::start();
    for region in [
        "eu-west-1; touch pwned",
        "$(touch pwned)",
        "`touch pwned`",
        "eu-west-1'",
        "eu-west-1\\",
        "\u{1b}[31meu-west-1",
    ] {
        let test = Test::new()
            .config(&format!(
                "[profile dev]\nmfa_serial = {SERIAL}\nregion = {region}\n"
            ))
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(["dev", "--code", "123456"]);
        let out = test.fails(&[
            "from the region of profile 'dev' is not an AWS region name",
            "regions look like us-east-1",
        ]);
        assert!(!out.stderr.contains('\u{1b}'), "escape reached stderr");
        assert!(!test.dir.path().join("home/pwned").exists());
    }
    // aws-config's parser, unlike botocore's, drops a comment after whitespace in a value:
    // `region = eu-west-1 #x` is eu-west-1, and `;x` without the space is part of the value.
    let out = Test::new()
        .config(&format!(
            "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1 #x\n"
        ))
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["dev", "--code", "123456"])
        .ok();
    assert!(out.stdout.contains("export AWS_REGION=eu-west-1\n"));
    assert_eq!(server.requests().len(), 1);
    // From the environment, too.
    Test::new()
        .config(&format!("[profile dev]\nmfa_serial = {SERIAL}\n"))
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["dev", "--code", "123456"])
        .env("AWS_REGION", "$(touch pwned)")
        .fails(&["from AWS_REGION is not an AWS region name"]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn role_arns_that_another_shell_could_run_are_refused() {
    // Any byte after `role/` was taken, and exported as MFA_ENV_ROLE: quoted for fish,
    // `'...x\';touch pwned;#'` runs `touch pwned` in bash (a `#!/bin/sh` wrapper run from fish
    // reads fish's statements). IAM allows quotes, `$` and `!` in a path: refused too.
    let server = StsServer::start();
    let cases = [
        (
            "arn:aws:iam::123456789012:role/x';touch pwned;#",
            None,
            "has a role name with characters other than letters, digits and +=,.@_-",
        ),
        (
            "arn:aws:iam::123456789012:role/p';touch pwned;#/x",
            None,
            "has a path with characters other than letters, digits and +=,.@_-/",
        ),
        (
            "arn:aws:iam::123456789012:role/$(touch pwned)",
            Some("--role-arn"),
            "has a role name with characters other than",
        ),
    ];
    for (arn, flag, why) in cases {
        let (config, args, from) = match flag {
            None => (
                format!("{CONFIG}[profile r]\nrole_arn = {arn}\nsource_profile = dev\n"),
                "r".to_owned(),
                "role_arn of profile 'r'",
            ),
            Some(flag) => (
                CONFIG.to_owned(),
                format!("dev {flag} \"$ARN\""),
                "from --role-arn on the command line",
            ),
        };
        for writer in shell::ALL {
            let test = Test::new()
                .config(&config)
                .credentials(CREDENTIALS)
                .sts(&server)
                .env("ARN", arn);
            let script = format!(
                "cd \"$HOME\"; eval \"$(\"$MFA_ENV\" {args} --code 123456 --shell {})\"; env -0",
                writer.name()
            );
            let run = test.shell(Sh::Bash, &script);
            assert!(
                run.stderr
                    .contains(&format!("the role ARN '{arn}' ({from}) {why}")),
                "{}: {}",
                writer.name(),
                run.stderr
            );
            assert!(!run.env.contains_key("MFA_ENV_ROLE"), "{}", writer.name());
            assert!(
                !test.home().join("pwned").exists(),
                "{}'s statements ran in bash",
                writer.name()
            );
        }
    }
    assert!(server.requests().is_empty());
}

// ---- secrets echoed back ----

#[test]
fn a_server_echoing_the_secret_in_its_error_is_redacted() {
    let server = StsServer::start();
    server.always(Reply::error(
        403,
        "SignatureDoesNotMatch",
        &format!("The secret {SECRET} is wrong"),
    ));
    Test::export(&server).fails(&["The secret <redacted> is wrong"]);
}

#[test]
fn a_server_echoing_the_session_from_the_previous_role_is_redacted() {
    // In a chain the second call is signed with the first role's session; STS knows that
    // secret and token, and an error that quotes them must not show them.
    let server = StsServer::start();
    server.reply(Reply::Creds(Creds::default()));
    server.always(Reply::error(
        403,
        "AccessDenied",
        &format!("User: x is not authorized; token {SESSION_TOKEN} secret {SESSION_SECRET}"),
    ));
    Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["deep", "--code", "123456"])
        .fails(&["token <redacted> secret <redacted>"]);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn broken_answers_that_hold_the_new_secrets_do_not_show_them() {
    // The SDK's parse errors may quote the body; the body holds the session's secrets. An
    // unreadable <Expiration> comes out of the SDK as 1970: refused as already past.
    let cases = [
        raw_answer(
            "ASIATESTSESSIONKEY01",
            SESSION_SECRET,
            SESSION_TOKEN,
            "not-a-date",
        ),
        raw_answer(
            "ASIATESTSESSIONKEY01",
            SESSION_SECRET,
            SESSION_TOKEN,
            "2001-01-01T00:00:00Z",
        ),
        raw_answer(
            "ASIATESTSESSIONKEY01",
            SESSION_SECRET,
            &format!("{SESSION_TOKEN}</Wrong>"),
            &in_minutes(15),
        ),
        Reply::Raw {
            status: 200,
            body: format!(
                "<GetSessionTokenResponse><GetSessionTokenResult><Credentials><SecretAccessKey>{SESSION_SECRET}</SecretAccessKey><SessionToken>{SESSION_TOKEN}"
            ),
        },
        Reply::Raw {
            status: 400,
            body: format!("<html>{SESSION_SECRET} {SESSION_TOKEN}</html>"),
        },
    ];
    for reply in cases {
        let server = StsServer::start();
        server.always(reply);
        // The harness fails the test if a marker secret reaches stderr.
        let out = Test::export(&server).run();
        assert!(!out.status.success(), "{}", out.stdout);
        assert!(
            out.stderr.contains("STS at http://127.0.0.1:"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn newlines_in_values_keep_errors_to_two_lines() {
    let server = StsServer::start();
    server.always(Reply::error(
        400,
        "ValidationError",
        "first line\nsecond line\r\nthird",
    ));
    let out = Test::export(&server).fails(&["first line\\nsecond line\\r\\nthird"]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    // A region continued on the next line, as aws-config reads `region =` then `  x`.
    let out = Test::new()
        .config(&format!(
            "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n  x\n"
        ))
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["dev", "--code", "123456"])
        .fails(&["'eu-west-1\\nx' from the region of profile 'dev' is not an AWS region name"]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn terminal_escapes_from_sts_are_shown_escaped() {
    let server = StsServer::start();
    server.always(Reply::error(
        400,
        "ValidationError",
        "bad \u{1b}]0;owned\u{7} \u{1b}[2J value",
    ));
    let out = Test::export(&server).fails(&["\\u{1b}]0;owned\\u{7}"]);
    assert!(!out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{7}'));
}

#[test]
fn marks_that_reorder_text_are_shown_escaped() {
    // U+202E (right-to-left override) and its kin make a terminal that lays out both
    // directions show what follows them reversed: a name or value on the command line, in the
    // files or from a server could make an error say something else than it does.
    let server = StsServer::start();
    for mark in [
        '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{200f}', '\u{061c}',
    ] {
        let shown = format!("\\u{{{:x}}}", u32::from(mark));
        let out = Test::new()
            .config(CONFIG)
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(["export", "--code", "123456", "--"])
            .arg(format!("dev{mark}1-tsew-ue"))
            .fails(&[&format!("profile 'dev{shown}1-tsew-ue' not found")]);
        assert!(!out.raw_stderr.contains(mark), "{}", out.raw_stderr);
        let out = Test::new()
            .config(&format!(
                "[profile dev]\nmfa_serial = {SERIAL}\nregion = eu-west-1{mark}\n"
            ))
            .credentials(CREDENTIALS)
            .sts(&server)
            .args(["dev", "--code", "123456"])
            .fails(&[&format!(
                "'eu-west-1{shown}' from the region of profile 'dev' is not an AWS region name"
            )]);
        assert!(!out.raw_stderr.contains(mark), "{}", out.raw_stderr);
        server.always(Reply::error(
            400,
            "ValidationError",
            &format!("bad {mark}eulav value"),
        ));
        let out = Test::export(&server).fails(&[&format!("bad {shown}eulav value")]);
        assert!(!out.raw_stderr.contains(mark), "{}", out.raw_stderr);
    }
    assert_eq!(
        server.requests().len(),
        6,
        "one call for each server's message"
    );
}

#[test]
fn hostile_session_values_are_refused_in_every_shell_and_nothing_runs() {
    // The full path: XML-escaped values from STS, the real command under eval / source, and
    // a canary that any execution would create. STS never sends these characters: refused
    // before anything is printed, so nothing reaches eval.
    let server = StsServer::start();
    let canary = "$(touch pwned)`touch pwned`;touch pwned'\"\\";
    server.always(Reply::Creds(Creds {
        access_key_id: "ASIATESTSESSIONKEY01".into(),
        secret_access_key: format!("={canary}"),
        session_token: format!("{canary}\n{canary}\\"),
        expiration: in_minutes(15),
    }));
    for sh in ALL {
        let script = match sh {
            Sh::Fish => "cd $HOME; $MFA_ENV dev --code 123456 | source; env -0",
            _ => "cd \"$HOME\"; eval \"$(\"$MFA_ENV\" dev --code 123456)\"; env -0",
        };
        let test = Test::dev(&server);
        let run = test.shell(sh, script);
        assert!(
            run.stderr.contains(
                "with a SecretAccessKey that holds characters other than letters, digits and +/=._-"
            ),
            "{}: {}",
            sh.name(),
            run.stderr
        );
        assert!(!run.stderr.contains("pwned"), "{}", run.stderr);
        assert!(
            !run.env.contains_key("AWS_SECRET_ACCESS_KEY"),
            "{}",
            sh.name()
        );
        assert!(!test.home().join("pwned").exists(), "{} ran it", sh.name());
    }
}

#[test]
fn credentials_with_characters_sts_never_sends_are_refused_before_anything_is_printed() {
    // A secret such as `';touch X;#`, quoted for fish, runs as a command in bash: only the
    // alphabets STS uses are accepted, and the message names the field, never the value.
    let fields: [(&str, &[&str]); 3] = [
        (
            "AccessKeyId",
            &[
                "asiatestsessionkey01",
                "ASIA-KEY",
                "ASIA KEY",
                "ASIA;id",
                "ASIAÉ",
                "",
            ],
        ),
        (
            "SecretAccessKey",
            &[
                "';touch X;#",
                "a b",
                "a\tb",
                "line\nbreak",
                "trailing\\",
                "é",
                "$(id)",
                "",
            ],
        ),
        (
            "SessionToken",
            &["';touch X;#", "`id`", "a&amp;b", "a&#x1b;[2Jb", "日本", ""],
        ),
    ];
    for (field, values) in fields {
        for value in values {
            let (key, secret, token) = match field {
                "AccessKeyId" => (*value, SESSION_SECRET, SESSION_TOKEN),
                "SecretAccessKey" => ("ASIATESTSESSIONKEY01", *value, SESSION_TOKEN),
                _ => ("ASIATESTSESSIONKEY01", SESSION_SECRET, *value),
            };
            let server = StsServer::start();
            server.always(raw_answer(key, secret, token, &in_minutes(15)));
            let out = Test::export(&server).fails(&[
                "STS at http://127.0.0.1:",
                &format!("answered GetSessionToken with a {field} that "),
                "nothing was exported",
                "points at STS",
            ]);
            assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
            if !value.is_empty() && field != "AccessKeyId" {
                assert!(
                    !out.stderr.contains(value),
                    "{value:?} shown:\n{}",
                    out.stderr
                );
            }
        }
    }
}

#[test]
fn credentials_longer_than_sts_sends_are_refused_before_anything_is_printed() {
    // A 10 MiB SessionToken was exported whole: the shell then started no program ("argument
    // list too long", one variable over Linux's 128 KiB). STS's tokens are a few KiB.
    let cases = [
        (
            "AccessKeyId",
            "A".repeat(129),
            "is longer than 128 characters",
        ),
        ("SecretAccessKey", "s".repeat(1025), "is longer than 1 KiB"),
        (
            "SessionToken",
            "t".repeat(16 * 1024 + 1),
            "is longer than 16 KiB",
        ),
        (
            "SessionToken",
            "t".repeat(10 << 20),
            "is longer than 16 KiB",
        ),
    ];
    for (field, value, why) in cases {
        let (key, secret, token) = match field {
            "AccessKeyId" => (value.as_str(), SESSION_SECRET, SESSION_TOKEN),
            "SecretAccessKey" => ("ASIATESTSESSIONKEY01", value.as_str(), SESSION_TOKEN),
            _ => ("ASIATESTSESSIONKEY01", SESSION_SECRET, value.as_str()),
        };
        let server = StsServer::start();
        server.always(raw_answer(key, secret, token, &in_minutes(15)));
        let out = Test::export(&server).fails(&[&format!(
            "answered GetSessionToken with a {field} that {why}"
        )]);
        assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
        assert!(out.stderr.len() < 1000, "the value was shown");
    }
    // Up to the bounds, exported and received whole by a real shell.
    let token = "t".repeat(16 * 1024);
    let server = StsServer::start();
    server.always(raw_answer(
        &"A".repeat(128),
        &"s".repeat(1024),
        &token,
        &in_minutes(15),
    ));
    let run = Test::dev(&server).shell(
        Sh::Bash,
        "eval \"$(\"$MFA_ENV\" dev --code 123456)\"; env -0",
    );
    assert_eq!(
        run.env.get("AWS_SESSION_TOKEN").map(String::len),
        Some(16 * 1024),
        "{}",
        run.stderr
    );
}

#[test]
fn a_profile_name_longer_than_1024_characters_is_refused() {
    // The name is exported as MFA_ENV_PROFILE: a name of 128 KiB would stop the shell from
    // starting programs, as a long token did.
    let server = StsServer::start();
    for (len, ok) in [(1024, true), (1025, false)] {
        let name = "p".repeat(len);
        let test = Test::new()
            .config(&format!("[profile {name}]\nmfa_serial = {SERIAL}\nregion = eu-west-1\n"))
            .credentials(&format!(
                "[{name}]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = {SECRET}\n"
            ))
            .sts(&server)
            .args(["export", "--code", "123456", "--shell", "bash", "--"])
            .arg(&name);
        if ok {
            let out = test.ok();
            assert!(
                out.stdout
                    .contains(&format!("export MFA_ENV_PROFILE={name}\n"))
            );
        } else {
            test.fails(&[
                "the profile name is 1025 characters long, more than the 1024 a session is made for",
                "rename the profile: its name is exported as MFA_ENV_PROFILE",
            ]);
        }
    }
    assert_eq!(server.requests().len(), 1);
}

// ---- expirations later than asked ----

#[test]
fn credentials_that_outlive_the_duration_asked_are_refused() {
    // STS never grants more than asked; an expiration in 2099 would be exported and believed.
    // 5 minutes of clock difference are allowed (SigV4's own tolerance).
    let far = Reply::Creds(Creds {
        expiration: "2099-01-02T03:04:05Z".into(),
        ..Creds::default()
    });
    let server = StsServer::start();
    server.always(far.clone());
    let out = Test::export(&server).fails(&[
        "STS at http://127.0.0.1:",
        "answered GetSessionToken with credentials that expire at 2099-01-02T03:04:05Z, later than the 12h asked for; nothing was exported",
        "points at STS, and this computer's clock",
    ]);
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);

    // The bound is the duration asked plus 5 minutes, whatever the duration.
    let answer = |minutes| {
        Reply::Creds(Creds {
            expiration: in_minutes(minutes),
            ..Creds::default()
        })
    };
    server.always(answer(60 + 4));
    Test::export(&server).args(["-d", "1h"]).ok();
    server.always(answer(60 + 6));
    Test::export(&server)
        .args(["-d", "1h"])
        .fails(&["later than the 1h asked for"]);

    // Each call of a role chain: the role on the way asks for 15 minutes.
    let chain = Test::new()
        .config(&format!("{CONFIG}{CHAIN}"))
        .credentials(CREDENTIALS)
        .sts(&server)
        .args(["deep", "--code", "123456"]);
    let server_requests = server.requests().len();
    server.always(answer(60));
    chain.fails(&[
        "answered AssumeRole with credentials that expire at",
        "later than the 15m asked for",
    ]);
    assert_eq!(
        server.requests().len(),
        server_requests + 1,
        "the chain stops at the first"
    );
    server.always(far);
    chain.fails(&["answered AssumeRole", "later than the 15m asked for"]);
}

// ---- Debug ----

#[test]
fn debug_output_of_everything_holding_a_secret_is_redacted() {
    use mfa_env::Env;
    use mfa_env::profile::{Overrides, Profiles, resolve};

    let test = Test::new().config(CONFIG).credentials(CREDENTIALS);
    let home = test.home().display().to_string();
    let env = Env::from_pairs([
        ("HOME", home.as_str()),
        ("AWS_SECRET_ACCESS_KEY", SESSION_SECRET),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
    ]);
    let profiles = Profiles::load(&env).unwrap();
    let resolved = resolve(&profiles, "dev", &env, &Overrides::default()).unwrap();
    assert_eq!(resolved.keys.secret_access_key.expose(), SECRET);
    let shown = format!(
        "{env:?} {env:#?} {profiles:?} {profiles:#?} {resolved:?} {resolved:#?} {:?} {}",
        resolved.keys.secret_access_key, resolved.keys.secret_access_key
    );
    for marker in MARKERS {
        assert!(
            !shown.contains(marker),
            "{marker} in Debug output:\n{shown}"
        );
    }
    // What Debug does show, so the test is not passing on empty output.
    assert!(shown.contains("AKIAEXAMPLEDEV00001") && shown.contains("AWS_SESSION_TOKEN"));
}

#[test]
fn the_longest_duration_that_parses_is_refused_without_a_panic() {
    // u64::MAX seconds: the message's rounding to minutes overflowed (found by fuzz/duration).
    let server = StsServer::start();
    Test::export(&server)
        .args(["-d", "18446744073709551615"])
        .fails(&[
            "GetSessionToken accepts a duration from 15m to 36h; 5124095576030431h was asked",
        ]);
    assert!(server.requests().is_empty());
}

// ---- no HOME, or a relative one ----

/// This user's home in the password database: where `~` must point when HOME is unset.
#[allow(unsafe_code)]
fn password_database_home() -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: getpwuid returns null or an entry whose pw_dir is a NUL-terminated string,
    // copied at once (the tests call getpwuid nowhere else at the same time).
    let dir = unsafe {
        let entry = libc::getpwuid(libc::getuid());
        assert!(
            !entry.is_null(),
            "the tests' user has no password database entry"
        );
        std::ffi::CStr::from_ptr((*entry).pw_dir)
            .to_bytes()
            .to_vec()
    };
    PathBuf::from(std::ffi::OsStr::from_bytes(&dir))
}

/// Run from `work` with HOME set to `home`, or unset; with the checks of `Test::run`.
#[allow(unsafe_code)]
fn run_from(test: &Test, work: &Path, home: Option<&str>) -> Output {
    let before = test.snapshot();
    let mut cmd = test.command();
    match home {
        Some(home) => cmd.env("HOME", home),
        None => cmd.env_remove("HOME"),
    };
    // SAFETY: setsid is async-signal-safe: no terminal of the developer's is asked.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd
        .current_dir(work)
        .stdin(Stdio::null())
        .output()
        .expect("run mfa-env");
    let out = test.output(out, std::time::Duration::ZERO);
    test.assert_unchanged(&before);
    out.assert_contract_allowing(&[]);
    out
}

/// A profile `dev` at `dir/config` and `dir/credentials` whose mfa_process creates `canary`.
fn plant(dir: &Path, canary: &Path) {
    fs::create_dir_all(dir).unwrap();
    let config = format!("{CONFIG}mfa_process = touch {}\n", canary.display());
    fs::write(dir.join("config"), config).unwrap();
    fs::write(dir.join("credentials"), CREDENTIALS).unwrap();
}

#[test]
fn without_home_a_tilde_is_the_password_database_home_never_the_working_directory() {
    // HOME unset or empty: `~/x` once became `./~/x`, so a cloned repository holding `~/x`
    // supplied the profile, its mfa_process ran. The files are named with `~/` paths that do
    // not exist in the real home, so that the test reads nothing there.
    let server = StsServer::start();
    let unique = format!(".mfa-env-test-no-such-dir-{}", std::process::id());
    let real = password_database_home().join(&unique);
    assert!(!real.exists(), "{} exists", real.display());
    let test = Test::new()
        .sts(&server)
        .args(["dev", "--shell", "bash"])
        .env("AWS_CONFIG_FILE", &format!("~/{unique}/config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            &format!("~/{unique}/credentials"),
        );
    let work = test.dir.path().join("work");
    let canary = test.dir.path().join("canary");
    plant(&work.join("~").join(&unique), &canary);
    for home in [None, Some("")] {
        let out = run_from(&test, &work, home);
        assert!(!out.status.success(), "{home:?}: {}", out.stdout);
        out.stderr_has(&[
            &format!("{}/config", real.display()),
            &format!("{}/credentials", real.display()),
        ]);
        assert!(
            !canary.exists(),
            "HOME {home:?}: the working directory's mfa_process ran"
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn a_relative_home_is_refused() {
    // The AWS CLI would read ./repo-home/.aws/config; mfa-env reads no file relative to the
    // working directory for `~`.
    let server = StsServer::start();
    let test = Test::new().sts(&server).args(["dev", "--shell", "bash"]);
    let work = test.dir.path().join("work");
    let canary = test.dir.path().join("canary");
    plant(&work.join("repo-home/.aws"), &canary);
    for home in ["repo-home", "~"] {
        let out = run_from(&test, &work, Some(home));
        assert!(!out.status.success(), "{home}: {}", out.stdout);
        out.stderr_has(&[
            &format!("HOME is '{home}', which is not an absolute path"),
            "set HOME to your home directory",
        ]);
        assert!(
            !canary.exists(),
            "HOME={home}: the working directory's mfa_process ran"
        );
    }
    assert!(server.requests().is_empty());
}

#[test]
fn without_home_the_tilde_of_mfa_process_is_the_same_home() {
    let server = StsServer::start();
    let test = Test::new()
        .config(CONFIG)
        .credentials(CREDENTIALS)
        .sts(&server);
    let unique = format!(".mfa-env-test-no-such-dir-{}", std::process::id());
    let real = password_database_home().join(&unique).join("totp");
    let config = test.config_path().display().to_string();
    let credentials = test.home().join(".aws/credentials").display().to_string();
    let test = test
        .env("AWS_CONFIG_FILE", &config)
        .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
        .args(["dev", "--shell", "bash", "--mfa-process"])
        .arg(format!("~/{unique}/totp"));
    let work = test.dir.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let out = run_from(&test, &work, None);
    assert!(!out.status.success(), "{}", out.stdout);
    out.stderr_has(&[&format!("'{}'", real.display())]);
    assert!(server.requests().is_empty());
}
