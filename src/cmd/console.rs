//! `mfa-env console PROFILE [SERVICE]`: a role session assumed with MFA (from the MFA session
//! the agent or this shell holds, with no code, else with one), exchanged at the federation
//! endpoint for a sign-in URL, which the browser opens (or `--print` writes on stdout).

use std::io::IsTerminal;
use std::time::Duration;

use crate::browser;
use crate::cli::ConsoleArgs;
use crate::cmd::{Prompting, block_on, note, obtain, profile_name, request, say, write_stdout};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::Profiles;
use crate::signin::{self, Federation};
use crate::time;

/// A role session's length when none is asked for: what STS allows a role assumed from an
/// MFA session (role chaining), and AssumeRole's own default.
const CONSOLE_DEFAULT: Duration = Duration::from_secs(3600);

pub fn run(args: &ConsoleArgs, env: &Env) -> Result<()> {
    let name = profile_name(&args.args)?;
    if args.print && !args.allow_terminal && std::io::stdout().is_terminal() {
        return Err(Error::new(format!(
            "stdout is a terminal: the sign-in URL for {name} signs in whoever has it for 15 minutes and would be shown on the screen; nothing was asked or printed"
        ))
        .hint(format!(
            "send it to the program that takes it (`mfa-env console {name} --print | wl-copy`), or add --allow-terminal to show it"
        )));
    }
    let profiles = Profiles::load(env)?;
    let mut ask = Prompting::new(&args.args.mfa_process, &profiles, name, env)?.asker();
    let mut req = request(&args.args, &profiles, &mut ask, env)?;
    // Freed at the exit, which is soon (see `cmd/export.rs`).
    profiles.release();
    let r = &req.resolved;
    let federated = args.federation_token;
    if federated && !r.roles.is_empty() {
        return Err(Error::new(format!(
            "--federation-token is for an IAM user's profile, and '{name}' assumes a role, whose session carries MFA"
        ))
        .hint("drop --federation-token"));
    }
    if r.roles.is_empty() && !federated {
        return Err(Error::new(format!(
            "profile '{name}' is an IAM user's, with no role: the console's federation endpoint takes only role sessions (an IAM user's MFA session is refused: \"Only federation tokens or assume role tokens may be used for federated login\"), and a federation token carries no MFA"
        ))
        .hint(format!(
            "use a role profile (role_arn, source_profile = {name}) or pass --role-arn ARN; or sign in to the console with the user's password and MFA device (--federation-token signs in without MFA)"
        )));
    }
    // Everything that can be refused is, before a code is asked for.
    let region = r.region.clone();
    let federation = Federation::for_region(&region, env)?;
    let destination = match &args.destination {
        Some(url) => {
            signin::check_url(url.trim(), "--destination", env)?;
            url.trim().to_owned()
        }
        None => signin::console_page(&region, args.service.as_deref())?,
    };
    if !federated && r.mfa_role().is_none() {
        say(&format!(
            "no mfa_serial along the source_profile chain of '{name}': the console session carries no MFA"
        ));
    }
    // The role session this shell holds, when it serves the request (more than --min-ttl
    // left, and the --duration asked, if any): the console lasts what is left of it.
    let held = if federated { None } else { req.held_role(env) };
    // Else a role session as long as asked for, else an hour: a kept one serves only with
    // that much left (but for --min-ttl), since the console lasts as long as it.
    req.duration = Some(
        req.duration
            .or(req.resolved.duration)
            .unwrap_or(CONSOLE_DEFAULT),
    );
    let session = if let Some(session) = held {
        say("the role session this shell holds serves: no code needed (--force opens a new one)");
        session
    } else if federated {
        say(&format!(
            "--federation-token: the console session of '{name}' carries no MFA, and every policy that requires MFA (aws:MultiFactorAuthPresent) denies it"
        ));
        if args.args.code.is_some() {
            say("the code is not used: GetFederationToken takes none");
        }
        block_on(req.federation_token(env, &mut note))??
    } else {
        obtain(&mut req, args.args.no_agent, env)?
    };
    if let Some(line) = federation.notice() {
        say(&line);
    }
    let token = block_on(federation.signin_token(&session))??;
    let url = federation.login_url(&destination, &token);
    let now = time::now();
    let until = format!(
        "until {} ({})",
        time::clock(session.expiration, now),
        duration::human(Duration::from_secs(
            u64::try_from(session.expiration - now).unwrap_or(0)
        ))
    );
    if args.print {
        write_stdout(&format!("{}\n", url.expose()))?;
        say(&format!(
            "the sign-in URL for {name} is on stdout: it signs in within 15 minutes, and the console session lasts {until}"
        ));
        return Ok(());
    }
    let program = browser::open(&url, env)?;
    say(&format!(
        "the console for {name} opens in `{program}`; its session lasts {until}"
    ));
    Ok(())
}
