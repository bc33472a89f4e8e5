//! `mfa-env [export] PROFILE`: ask for the code, call STS, print the shell statements.

use std::time::{Duration, Instant};

use crate::cli::ExportArgs;
use crate::cmd::{announce, say, write_stdout};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::held::Held;
use crate::profile::{self, Overrides, Profiles, Resolved};
use crate::prompt::Prompter;
use crate::shell::Shell;
use crate::sts::{AssumeRole, CallError, OPERATION_TIMEOUT, Session, Signer, Sts};
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
/// same region if one is asked, more than --min-ttl left, and no role asked for on the command
/// line (the held session may be another identity's). `--force` never keeps one.
pub fn held_session<'e>(args: &ExportArgs, name: &str, env: &'e Env) -> Option<Held<'e>> {
    if args.role_arn.is_some() || args.external_id.is_some() || args.role_session_name.is_some() {
        return None;
    }
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
        role_arn: args.role_arn.as_deref(),
        external_id: args.external_id.as_deref(),
        role_session_name: args.role_session_name.as_deref(),
    };
    let resolved = profile::resolve(&profiles, name, env, &over)?;
    let mfa_process = profiles.get(name)?.get("mfa_process").map(str::to_owned);
    // Every run ends soon after (or execs): freeing the parsed files one hash map at a time
    // was a tenth of an export's instructions on 10,000 profiles, for memory the exit returns.
    std::mem::forget(profiles);
    // The code from --code or mfa_process, run only when a call takes a code.
    let code = if resolved.roles.is_empty() || resolved.mfa_role().is_some() {
        crate::mfa_process::code_before_prompt(
            args.code.as_deref(),
            &args.mfa_process,
            name,
            mfa_process.as_deref(),
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
    let sts = Sts::new(&r.region, &r.endpoint)?;
    announce(sts.notice());
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
    let sts = Sts::new(&r.region, &r.endpoint)?;
    announce(sts.notice());
    let mfa = r.mfa_role();
    let chain = |code: Option<&str>| -> Result<Session, CallError> {
        // One bound for all the calls of the chain: the first call has the SDK's, and the
        // later ones what is left of it (counted after the prompt, which is not network time).
        let start = Instant::now();
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
            let deadline = (i > 0).then(|| start + OPERATION_TIMEOUT);
            let session = sts.assume_role(&signer, &request, deadline)?;
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
