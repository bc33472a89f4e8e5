//! `mfa-env [export] PROFILE`: ask for the code, call STS, print the shell statements.

use std::time::Duration;

use crate::cli::ExportArgs;
use crate::cmd::{say, write_stdout};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::{self, Overrides, Profiles};
use crate::prompt::Prompter;
use crate::shell::Shell;
use crate::sts::{CallError, Session, Sts};
use crate::time;

/// GetSessionToken's limits.
const MIN_DURATION: Duration = Duration::from_secs(15 * 60);
const MAX_DURATION: Duration = Duration::from_secs(36 * 3600);
const DEFAULT_DURATION: Duration = Duration::from_secs(12 * 3600);
/// Codes asked for in all when STS rejects one.
const CODE_TRIES: u32 = 3;

/// Variables that export removes: a profile variable left behind makes some tools prefer the
/// profile's keys to the exported session; AWS_SECURITY_TOKEN is the old name of the token.
pub const UNSET: &[&str] = &["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SECURITY_TOKEN"];

pub fn run(args: &ExportArgs, env: &Env) -> Result<()> {
    let name = args
        .profile
        .as_deref()
        .ok_or_else(|| Error::new("no profile given").hint("name one: mfa-env PROFILE"))?;
    let shell = args.shell.unwrap_or_else(|| detect_shell(env));
    let profiles = Profiles::load(env)?;
    let over = Overrides {
        region: args.region.as_deref(),
        serial_number: args.serial_number.as_deref(),
    };
    let resolved = profile::resolve(&profiles, name, env, &over)?;
    let duration = args
        .duration
        .or(resolved.duration)
        .unwrap_or(DEFAULT_DURATION);
    duration::check_range(duration, MIN_DURATION, MAX_DURATION, "GetSessionToken").map_err(
        |e| {
            Error::new(e)
                .hint("pass --duration between 15m and 36h (duration_seconds in the profile)")
        },
    )?;

    let sts = Sts::new(
        &resolved.keys,
        &resolved.region,
        resolved.endpoint_url.as_deref(),
    )?;
    let code = crate::mfa_process::code_before_prompt(
        args.code.as_deref(),
        &args.mfa_process,
        name,
        profiles.get(name)?.get("mfa_process"),
        env,
    )?;
    let session = with_code(
        code.as_deref(),
        &prompt_text(name, &resolved.mfa_serial),
        |code| sts.get_session_token(&resolved.mfa_serial, code, duration),
    )?;

    write_stdout(&render(shell, &session, &resolved.region, name))?;
    let now = time::now();
    say(&format!(
        "{name} session valid until {} ({})",
        time::clock(session.expiration, now),
        duration::human(Duration::from_secs(
            u64::try_from(session.expiration - now).unwrap_or(0)
        ))
    ));
    Ok(())
}

pub fn prompt_text(name: &str, serial: &str) -> String {
    format!("MFA code for {name} ({serial})")
}

/// Call STS with the code from the command line (once), or with codes asked on the terminal
/// (again when STS rejects one, up to CODE_TRIES in all).
pub fn with_code(
    code: Option<&str>,
    prompt: &str,
    mut call: impl FnMut(&str) -> Result<Session, CallError>,
) -> Result<Session> {
    if let Some(code) = code {
        return call(code).map_err(|(CallError::CodeRejected(e) | CallError::Failed(e))| e);
    }
    let prompter = Prompter::open()?;
    let mut tries = 0;
    loop {
        let code = prompter.code(prompt)?;
        tries += 1;
        match call(&code) {
            Ok(session) => return Ok(session),
            Err(CallError::CodeRejected(e)) if tries < CODE_TRIES => {
                say(&format!("{} (try {tries} of {CODE_TRIES})", e.message()));
            }
            Err(CallError::CodeRejected(e) | CallError::Failed(e)) => return Err(e),
        }
    }
}

/// The statements, in the documented order.
pub fn render(shell: Shell, session: &Session, region: &str, profile: &str) -> String {
    let expiration = time::rfc3339(session.expiration);
    let set = [
        ("AWS_ACCESS_KEY_ID", session.access_key_id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", session.secret_access_key.expose()),
        ("AWS_SESSION_TOKEN", session.session_token.expose()),
        ("AWS_CREDENTIAL_EXPIRATION", expiration.as_str()),
        ("AWS_SESSION_EXPIRATION", expiration.as_str()),
        ("AWS_REGION", region),
        ("AWS_DEFAULT_REGION", region),
        ("MFA_ENV_PROFILE", profile),
    ];
    shell.render(&set, UNSET)
}

/// The parent process (the shell running `$(...)` or `| source`), else $SHELL, else bash.
fn detect_shell(env: &Env) -> Shell {
    let parent = std::fs::read_to_string(format!(
        "/proc/{}/comm",
        std::os::unix::process::parent_id()
    ))
    .ok();
    Shell::detect(parent.as_deref(), env.get("SHELL"))
}
