//! A profile's `credential_process`, run as the AWS CLI (botocore) runs it: the command line
//! split into words as a POSIX shell splits them (`mfa_process::split`), no shell; its stdin
//! left as mfa-env's (botocore leaves it inherited, and a password manager may read it), its
//! stderr passed through, its stdout read as credential_process JSON, Version 1. Unlike
//! botocore it has bounds: `TIMEOUT` to answer (then its process group is killed) and
//! `MAX_ANSWER` bytes of answer. It may ask on the terminal: it runs as `mfa_process` does
//! (`child`: its group has the terminal while it runs, and it ends with mfa-env).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::mfa_process;
use crate::profile::{KeyFrom, LongTermKeys};
use crate::secret::Secret;

/// Time the process has to answer: 1Password's `op` may wait for the desktop app's approval,
/// `pass` for a GnuPG passphrase, so a person has time; a process that hangs does not hang
/// mfa-env. `TIMEOUT_VAR` (seconds) changes it.
pub const TIMEOUT: Duration = Duration::from_secs(60);
pub const TIMEOUT_VAR: &str = "MFA_ENV_CREDENTIAL_PROCESS_TIMEOUT";

/// The time the process has: `TIMEOUT_VAR`, else `TIMEOUT`.
fn timeout(env: &Env) -> Result<Duration> {
    let Some(text) = env.get(TIMEOUT_VAR) else {
        return Ok(TIMEOUT);
    };
    match text.trim().parse::<u64>() {
        Ok(secs) if (1..=3600).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(Error::new(format!(
            "{TIMEOUT_VAR}={text} is not a number of seconds from 1 to 3600"
        ))
        .hint(format!("unset it for the default, {}s", TIMEOUT.as_secs()))),
    }
}
/// An answer is a few hundred bytes (a session's token a few kilobytes).
pub const MAX_ANSWER: usize = 64 * 1024;

/// The answer, as the AWS CLI reads it (other fields are ignored, as botocore ignores them).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    version: Option<serde_json::Value>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
}

/// Run `command`, `profile`'s credential_process, for its keys.
pub fn run(profile: &str, command: &str, env: &Env) -> Result<LongTermKeys> {
    let shown = command.trim();
    let origin = format!("credential_process of profile '{profile}'");
    let timeout = timeout(env)?;
    let words = mfa_process::split(command, mfa_process::home_str(&env.home())).map_err(|why| {
        Error::new(format!("cannot run {origin} `{shown}`: {why}"))
            .hint("write it as a plain command line; for pipes or variables use: sh -c '...'")
    })?;
    // stdin stays the caller's, as botocore leaves it.
    let mut program = mfa_process::program(&words, Stdio::inherit());
    let name = &words[0];
    let (mut child, guard) = crate::child::spawn(&mut program).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            "install it, or give its full path"
        } else {
            "check the program's path and permissions"
        };
        Error::new(format!("cannot run {origin} `{shown}`: '{name}': {e}")).hint(hint)
    })?;
    let output = mfa_process::collect(&mut child, Instant::now() + timeout, MAX_ANSWER);
    guard.finish(output.as_ref().map(|(status, _)| *status))?;
    let Some((status, stdout)) = output else {
        return Err(Error::new(format!(
            "{origin} `{shown}` gave no keys within {}s and was stopped",
            timeout.as_secs()
        ))
        .hint(format!("if it waits for an unlock or an approval, answer it in time ({TIMEOUT_VAR}=SECONDS gives it longer); run it by hand to see what it waits for")));
    };
    let stdout = Zeroizing::new(stdout);
    if !status.success() {
        return Err(Error::new(format!(
            "{origin} `{shown}` failed ({})",
            mfa_process::describe(status)
        ))
        .hint("its own message, if any, is above; run it by hand to see what it needs"));
    }
    if stdout.len() > MAX_ANSWER {
        return Err(Error::new(format!(
            "{origin} `{shown}` printed more than {} KiB, which is no credential_process answer",
            MAX_ANSWER / 1024
        ))
        .hint("it must print only the JSON: {\"Version\": 1, \"AccessKeyId\": ..., \"SecretAccessKey\": ...}"));
    }
    parse(&stdout).map_err(|why| {
        Error::new(format!("{origin} `{shown}` printed {why}")).hint(
            "it must print the JSON the AWS CLI reads: {\"Version\": 1, \"AccessKeyId\": ..., \"SecretAccessKey\": ...}",
        )
    })
    .map(|(id, secret, token)| LongTermKeys {
        profile: profile.to_owned(),
        access_key_id: id,
        secret_access_key: secret,
        from: KeyFrom::Process {
            command: shown.to_owned(),
            session_token: token,
        },
    })
}

/// The key id, the secret and the session token (if any) of an answer, or what is wrong with
/// it (never a value from it).
pub fn parse(answer: &[u8]) -> std::result::Result<(String, Secret, Option<Secret>), String> {
    let answer: Answer = serde_json::from_slice(answer).map_err(|e| {
        if e.is_syntax() || e.is_eof() {
            "no JSON object".to_owned()
        } else {
            format!(
                "JSON that is not a credential_process answer ({})",
                redacted(&e)
            )
        }
    })?;
    let Answer {
        version,
        access_key_id,
        secret_access_key,
        session_token,
    } = answer;
    // Into secrets at once: cleared on every way out.
    let secret = secret_access_key.map(Secret::new);
    let token = session_token.map(Secret::new);
    match version {
        Some(v) if v == serde_json::json!(1) => {}
        Some(_) => {
            return Err("an answer whose Version is not 1, the one the AWS CLI reads".into());
        }
        None => return Err("an answer without \"Version\": 1".into()),
    }
    let (Some(id), Some(secret)) = (access_key_id, secret) else {
        return Err("an answer without AccessKeyId or SecretAccessKey".into());
    };
    for (field, value) in [
        ("AccessKeyId", Some(id.as_str())),
        ("SecretAccessKey", Some(secret.expose())),
        ("SessionToken", token.as_ref().map(Secret::expose)),
    ] {
        if let Some(value) = value
            && let Some(why) = crate::sts::unlike_sts(field, value)
        {
            return Err(format!("an answer whose {field} {why}"));
        }
    }
    Ok((id, secret, token))
}

/// serde's message without the value it quotes (it may be a secret): the line and column.
fn redacted(e: &serde_json::Error) -> String {
    format!("line {} column {}", e.line(), e.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_the_aws_cli_reads_them() {
        let (id, secret, token) =
            parse(br#"{"Version": 1, "AccessKeyId": "AKIAEXAMPLE", "SecretAccessKey": "s3cret", "Other": 2}"#)
                .unwrap();
        assert_eq!((id.as_str(), secret.expose()), ("AKIAEXAMPLE", "s3cret"));
        assert!(token.is_none());
        let (_, _, token) = parse(
            br#"{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s","SessionToken":"tok","Expiration":"2030-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(token.unwrap().expose(), "tok");
        for (junk, why) in [
            (&b"not json"[..], "no JSON object"),
            (b"", "no JSON object"),
            (
                br#"{"AccessKeyId":"A","SecretAccessKey":"s"}"#,
                "without \"Version\": 1",
            ),
            (
                br#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"s"}"#,
                "Version is not 1",
            ),
            (
                br#"{"Version":1,"AccessKeyId":"A"}"#,
                "without AccessKeyId or SecretAccessKey",
            ),
            (
                br#"{"Version":1,"AccessKeyId":"A\nB","SecretAccessKey":"s"}"#,
                "AccessKeyId",
            ),
        ] {
            let err = parse(junk).err().unwrap();
            assert!(err.contains(why), "{err}");
        }
        // A value in the way is never quoted back.
        let err = parse(
            br#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"s","SessionToken":12345678}"#,
        )
        .err()
        .unwrap();
        assert!(!err.contains("12345678"), "{err}");
    }
}
