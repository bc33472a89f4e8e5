//! `mfa-env [export] PROFILE`: ask for the code, call STS, print the shell statements.

use std::time::Duration;

use crate::cli::ExportArgs;
use crate::cmd::{say, write_stdout};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::held::Held;
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

pub fn run(args: &ExportArgs, format: Option<Format>, env: &Env) -> Result<()> {
    let name = profile_name(args)?;
    let format = format.unwrap_or_else(|| Format::from(detect_shell(env)));
    // Only a shell's own session can be kept: the data formats go to other readers.
    if format.shell().is_some()
        && let Some(held) = held_session(args, name, env)
    {
        let now = time::now();
        say(&format!(
            "this shell holds a {name} session until {} ({} left); nothing to do (--force renews it)",
            time::clock(held.expiration, now),
            duration::human(Duration::from_secs(
                u64::try_from(held.left(now)).unwrap_or(0)
            ))
        ));
        return Ok(());
    }
    let (session, region) = obtain(args, env)?;
    write_stdout(&render(format, &session, &region, name))?;
    say_valid_until(name, session.expiration);
    Ok(())
}

pub fn profile_name(args: &ExportArgs) -> Result<&str> {
    args.profile
        .as_deref()
        .ok_or_else(|| Error::new("no profile given").hint("name one: mfa-env PROFILE"))
}

/// The session this shell holds for the profile, when it serves the request: same profile,
/// same region if one is asked, more than --min-ttl left. `--force` never keeps one.
pub fn held_session<'e>(args: &ExportArgs, name: &str, env: &'e Env) -> Option<Held<'e>> {
    let held = Held::from_env(env)?;
    let serves = held.serves(
        name,
        args.region.as_deref(),
        args.min_ttl.as_secs(),
        time::now(),
    );
    (serves && !args.force).then_some(held)
}

/// A new session for the profile: resolve it, ask for the code, call STS.
pub fn obtain(args: &ExportArgs, env: &Env) -> Result<(Session, String)> {
    let name = profile_name(args)?;
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
    let session = with_code(
        args.code.as_deref(),
        &prompt_text(name, &resolved.mfa_serial),
        |code| sts.get_session_token(&resolved.mfa_serial, code, duration),
    )?;

    Ok((session, resolved.region))
}

pub fn say_valid_until(name: &str, expiration: i64) {
    let now = time::now();
    say(&format!(
        "{name} session valid until {} ({})",
        time::clock(expiration, now),
        duration::human(Duration::from_secs(
            u64::try_from(expiration - now).unwrap_or(0)
        ))
    ));
}

fn prompt_text(name: &str, serial: &str) -> String {
    format!("MFA code for {name} ({serial})")
}

/// Call STS with the code from the command line (once), or with codes asked on the terminal
/// (again when STS rejects one, up to CODE_TRIES in all).
fn with_code(
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

/// The variables export sets, in the documented order.
pub const SET: [&str; 8] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_SESSION_EXPIRATION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "MFA_ENV_PROFILE",
];

/// Each of SET with its value.
pub fn variables(session: &Session, region: &str, profile: &str) -> [(&'static str, String); 8] {
    let expiration = time::rfc3339(session.expiration);
    let values = [
        session.access_key_id.clone(),
        session.secret_access_key.expose().to_owned(),
        session.session_token.expose().to_owned(),
        expiration.clone(),
        expiration,
        region.to_owned(),
        region.to_owned(),
        profile.to_owned(),
    ];
    let mut values = values.into_iter();
    SET.map(|name| (name, values.next().unwrap_or_default()))
}

/// The output, in the documented order.
pub fn render(format: Format, session: &Session, region: &str, profile: &str) -> String {
    let vars = variables(session, region, profile);
    let set: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format.render(&set, UNSET)
}

/// The shell that evaluates the output: the one the shell function from `mfa-env init` names
/// (_MFA_ENV_EVAL), else the parent process (the shell running `$(...)` or `| source`), else
/// $SHELL, else bash.
pub fn detect_shell(env: &Env) -> Shell {
    if let Some(shell) = env.get(EVAL_VAR).and_then(Shell::from_process_name) {
        return shell;
    }
    let parent = std::fs::read_to_string(format!(
        "/proc/{}/comm",
        std::os::unix::process::parent_id()
    ))
    .ok();
    Shell::detect(parent.as_deref(), env.get("SHELL"))
}

/// Set by the shell function from `mfa-env init` when it will evaluate stdout: the shell's name.
pub const EVAL_VAR: &str = "_MFA_ENV_EVAL";
