//! `mfa-env [export] PROFILE`: ask for the code, call STS, print the shell statements.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use crate::cli::ExportArgs;
use crate::cmd::{announce, say, write_stdout};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::held::{self, Held, Identity};
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
    refuse_a_terminal(format, name)?;
    let req = request(args, env)?;
    // Only a shell's own session can be kept: the data formats go to other readers.
    if let Some(shell) = format.shell()
        && let Some(held) = held_session(args, &req, env)
    {
        // The shell ends as after a new session: a profile variable set since would make
        // some tools prefer the profile's keys to the session's.
        write_stdout(&shell.render(&[], UNSET)?)?;
        let now = time::now();
        say(&format!(
            "this shell holds a session for {name} until {} ({} left); nothing to do (--force renews it)",
            time::clock(held.expiration, now),
            duration::human(Duration::from_secs(
                u64::try_from(held.left(now)).unwrap_or(0)
            ))
        ));
        return Ok(());
    }
    let session = obtain(args, &req, env)?;
    write_stdout(&render(format, &session, &identity(&req.resolved))?)?;
    say_valid_until(name, session.expiration);
    Ok(())
}

/// A terminal as stdout is a person's screen, not a shell: the statements would export nothing
/// and show the secret to whoever sees the screen or its scrollback (and "session valid" would
/// be a lie). Refuse before a code is asked for or a call made, whatever the format: the data
/// formats carry the secret too.
fn refuse_a_terminal(format: Format, name: &str) -> Result<()> {
    if !std::io::stdout().is_terminal() {
        return Ok(());
    }
    let command = command_for(name, format.shell().unwrap_or(Shell::Bash));
    let Some(shell) = format.shell() else {
        let fmt = format.name();
        let hint = match format {
            Format::Process => format!(
                "name it in a profile of ~/.aws/config instead: `credential_process = {command} --format process`"
            ),
            _ => format!(
                "send it to the program that reads it: `{command} --format {fmt} | PROGRAM`"
            ),
        };
        return Err(Error::new(format!(
            "stdout is a terminal: the {name} session in {fmt} would show its secret on the screen; nothing was asked or printed"
        ))
        .hint(hint));
    };
    let init = shell.init_line();
    Err(Error::new(format!(
        "stdout is a terminal: the {name} session would be shown on the screen, not exported; nothing was asked or printed"
    ))
    .hint(format!(
        "run `{}`, or add `{init}` to {} and `{command}` exports by itself",
        shell.evaluate(&command),
        shell.startup_file()
    )))
}

/// The command that exports `name`, to show in a message: `export` in front of a name the
/// shorthand would take for a subcommand, and the name quoted for `shell` when it needs it.
fn command_for(name: &str, shell: Shell) -> String {
    use clap::CommandFactory;
    let mut cli = crate::cli::Cli::command();
    cli.build();
    let export = if cli.find_subcommand(name).is_some() {
        "export "
    } else {
        ""
    };
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.@+".contains(c));
    let word = if plain {
        name.to_owned()
    } else {
        shell.quote(name)
    };
    format!("mfa-env {export}{word}")
}

pub fn profile_name(args: &ExportArgs) -> Result<&str> {
    args.profile
        .as_deref()
        .ok_or_else(|| Error::new("no profile given").hint("name one: mfa-env PROFILE"))
}

/// What the command line asks for, resolved from the files: no code asked, no network.
pub struct Request {
    pub resolved: Resolved,
    /// The profile's mfa_process.
    mfa_process: Option<String>,
}

pub fn request(args: &ExportArgs, env: &Env) -> Result<Request> {
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
    Ok(Request {
        resolved,
        mfa_process,
    })
}

/// What a session for the resolved profile is: the profile, the last role of the chain, the
/// account (the role's, else the MFA device's) and the region.
pub fn identity(r: &Resolved) -> Identity<'_> {
    let role = r.roles.last().map(|role| role.arn.as_str());
    Identity {
        profile: &r.name,
        role,
        account: role.or(r.mfa_serial.as_deref()).and_then(held::account),
        region: Some(&r.region),
    }
}

/// The session this shell holds, when it serves the request: the same profile, role, account
/// and region as a new session would have, its keys still in AWS_ACCESS_KEY_ID, more than
/// --min-ttl left, and an explicit --duration left (but for --min-ttl). `--force` never keeps
/// one, nor does an --external-id or --role-session-name on the command line (they ask for a
/// new AssumeRole call).
pub fn held_session<'e>(args: &ExportArgs, req: &Request, env: &'e Env) -> Option<Held<'e>> {
    if args.force || args.external_id.is_some() || args.role_session_name.is_some() {
        return None;
    }
    let held = Held::from_env(env)?;
    // What a new session would last: a chain's last role gets at most an hour.
    let chained = req.resolved.roles.len() > 1;
    let at_least = args
        .duration
        .map(|d| if chained { d.min(CHAINED_MAX) } else { d });
    let want = identity(&req.resolved);
    held.serves(&want, args.min_ttl, at_least, time::now())
        .then_some(held)
}

/// A new session for the request: ask for the code, call STS.
pub fn obtain(args: &ExportArgs, req: &Request, env: &Env) -> Result<Session> {
    let resolved = &req.resolved;
    // The code from --code or mfa_process, run only when a call takes a code.
    let code = if resolved.roles.is_empty() || resolved.mfa_role().is_some() {
        crate::mfa_process::code_before_prompt(
            args.code.as_deref(),
            &args.mfa_process,
            &resolved.name,
            req.mfa_process.as_deref(),
            env,
        )?
    } else {
        args.code.clone()
    };
    if resolved.roles.is_empty() {
        session_token(args, code.as_deref(), resolved)
    } else {
        assume_roles(args, code.as_deref(), resolved)
    }
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

/// The variables export sets, in the documented order: the session, its region, and what
/// the session is (read back by `Held`).
pub const SET: [&str; 11] = [
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
];

/// Each of SET with its value; MFA_ENV_ROLE and MFA_ENV_ACCOUNT are empty when there is none,
/// so that a new session replaces what an older one recorded.
pub fn variables(session: &Session, id: &Identity) -> [(&'static str, String); 11] {
    let expiration = time::rfc3339(session.expiration);
    let region = id.region.unwrap_or_default();
    let values = [
        session.access_key_id.clone(),
        session.secret_access_key.expose().to_owned(),
        session.session_token.expose().to_owned(),
        expiration.clone(),
        expiration,
        region.to_owned(),
        region.to_owned(),
        id.profile.to_owned(),
        id.role.unwrap_or_default().to_owned(),
        id.account.unwrap_or_default().to_owned(),
        session.access_key_id.clone(),
    ];
    let mut values = values.into_iter();
    SET.map(|name| (name, values.next().unwrap_or_default()))
}

/// The output, in the documented order; fails when the shell cannot receive a value exactly.
pub fn render(format: Format, session: &Session, id: &Identity) -> Result<String> {
    let vars = variables(session, id);
    let set: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format.render(&set, UNSET)
}

/// The shell that evaluates the output: the one the shell function from `mfa-env init` names
/// (_MFA_ENV_EVAL), else the parent process (the shell running `$(...)` or `| source`) by its
/// program, then by its name, else $SHELL, else bash (see `Shell::detect`).
pub fn detect_shell(env: &Env) -> Shell {
    if let Some(shell) = env.get(EVAL_VAR).and_then(Shell::from_process_name) {
        return shell;
    }
    let parent = format!("/proc/{}", std::os::unix::process::parent_id());
    let program = std::fs::read_link(format!("{parent}/exe")).ok();
    // A shell upgraded while it runs shows as `/usr/bin/bash (deleted)`.
    let program = program
        .as_ref()
        .and_then(|p| p.file_name()?.to_str())
        .map(|name| name.trim_end_matches(" (deleted)"));
    let name = std::fs::read_to_string(format!("{parent}/comm")).ok();
    Shell::detect(program, name.as_deref(), env.get("SHELL"))
}

/// Set by the shell function from `mfa-env init` when it will evaluate stdout: the shell's name.
pub const EVAL_VAR: &str = "_MFA_ENV_EVAL";
