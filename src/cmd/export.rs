//! `mfa-env [export] PROFILE`: ask for the code, call STS, print the shell statements.

use std::time::Duration;

use crate::cli::ExportArgs;
use crate::cmd::{say, write_stdout};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::{self, Overrides, Profiles, Resolved};
use crate::prompt::Prompter;
use crate::shell::Shell;
use crate::sts::{AssumeRole, CallError, Session, Signer, Sts};
use crate::time;

/// GetSessionToken's limits.
const SESSION_MIN: Duration = Duration::from_secs(15 * 60);
const SESSION_MAX: Duration = Duration::from_secs(36 * 3600);
const SESSION_DEFAULT: Duration = Duration::from_secs(12 * 3600);
/// AssumeRole's limits; a role's own maximum may be lower, and a chained role's is 1 hour.
const ROLE_MIN: Duration = Duration::from_secs(15 * 60);
const ROLE_MAX: Duration = Duration::from_secs(12 * 3600);
const ROLE_DEFAULT: Duration = Duration::from_secs(3600);
const CHAINED_MAX: Duration = Duration::from_secs(3600);
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
        role_arn: args.role_arn.as_deref(),
        external_id: args.external_id.as_deref(),
        role_session_name: args.role_session_name.as_deref(),
    };
    let resolved = profile::resolve(&profiles, name, env, &over)?;
    // The code from --code or mfa_process, run only when a call takes a code.
    let code = if resolved.roles.is_empty() || resolved.mfa_role().is_some() {
        crate::mfa_process::code_before_prompt(
            args.code.as_deref(),
            &args.mfa_process,
            name,
            profiles.get(name)?.get("mfa_process"),
            env,
        )?
    } else {
        args.code.clone()
    };
    let session = if resolved.roles.is_empty() {
        session_token(args, code.as_deref(), &resolved)?
    } else {
        assume_roles(args, code.as_deref(), &resolved)?
    };

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

/// The length asked for, checked against what the call accepts before any call.
fn duration(
    args: &ExportArgs,
    r: &Resolved,
    (min, max, default): (Duration, Duration, Duration),
    call: &str,
) -> Result<Duration> {
    let d = args.duration.or(r.duration).unwrap_or(default);
    duration::check_range(d, min, max, call).map_err(|e| {
        Error::new(e).hint(format!(
            "pass --duration between {} and {} (or set duration_seconds in the profile)",
            duration::human(min),
            duration::human(max)
        ))
    })?;
    Ok(d)
}

/// An IAM user's own MFA session.
fn session_token(args: &ExportArgs, code: Option<&str>, r: &Resolved) -> Result<Session> {
    let duration = duration(
        args,
        r,
        (SESSION_MIN, SESSION_MAX, SESSION_DEFAULT),
        "GetSessionToken",
    )?;
    let serial = r
        .mfa_serial
        .as_deref()
        .ok_or_else(|| Error::new(format!("profile '{}' has no mfa_serial", r.name)))?;
    let sts = Sts::new(&r.region, r.endpoint_url.as_deref())?;
    let signer = Signer::from(&r.keys);
    with_code(code, &prompt_text(&r.name, serial), |code| {
        sts.get_session_token(&signer, serial, code, duration)
    })
}

/// Each role of the chain in turn, the MFA code on the first call that needs it.
fn assume_roles(args: &ExportArgs, code: Option<&str>, r: &Resolved) -> Result<Session> {
    let mut duration = duration(args, r, (ROLE_MIN, ROLE_MAX, ROLE_DEFAULT), "AssumeRole")?;
    if r.roles.len() > 1 && duration > CHAINED_MAX {
        say(&format!(
            "STS limits a role assumed from another role's session to 1h; asking for 1h instead of {}",
            duration::human(duration)
        ));
        duration = CHAINED_MAX;
    }
    let sts = Sts::new(&r.region, r.endpoint_url.as_deref())?;
    let mfa = r.mfa_role();
    let chain = |code: Option<&str>| -> Result<Session, CallError> {
        let mut signer = Signer::from(&r.keys);
        let mut last = None;
        for (i, role) in r.roles.iter().enumerate() {
            let final_role = i + 1 == r.roles.len();
            let request = AssumeRole {
                role_arn: &role.arn,
                session_name: &role.session_name,
                external_id: role.external_id.as_deref(),
                mfa: match (mfa, code) {
                    (Some((at, serial)), Some(code)) if at == i => Some((serial, code)),
                    _ => None,
                },
                // A role on the way is used at once to assume the next: the shortest session.
                duration: if final_role { duration } else { ROLE_MIN },
            };
            let session = sts.assume_role(&signer, &request)?;
            signer = Signer::from(&session);
            last = Some(session);
        }
        last.ok_or_else(|| CallError::Failed(Error::new("no role to assume")))
    };
    match mfa {
        Some((_, serial)) => with_code(code, &prompt_text(&r.name, serial), |code| {
            chain(Some(code))
        }),
        None => {
            if code.is_some() {
                say("no mfa_serial along the source_profile chain: the code is not used");
            }
            chain(None).map_err(|(CallError::CodeRejected(e) | CallError::Failed(e))| e)
        }
    }
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
