//! `mfa-env [export] PROFILE`: ask for the code, call STS, print the shell statements.

use std::io::IsTerminal;
use std::time::Duration;

use crate::cli::ExportArgs;
use crate::cmd::{
    Prompting, detect_shell, obtain, profile_name, request, say, say_valid_until, write_stdout,
};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Reason, Result};
use crate::format::Format;
use crate::profile::Profiles;
use crate::session::{Identity, UNSET, keep_own_region, variables};
use crate::shell::Shell;
use crate::sts::Session;
use crate::time;

pub fn run(args: &ExportArgs, format: Option<Format>, env: &Env) -> Result<()> {
    let name = profile_name(args)?;
    let format = format.unwrap_or_else(|| Format::from(detect_shell(env)));
    refuse_a_terminal(format, name)?;
    let profiles = Profiles::load(env)?;
    let mut ask = Prompting::new(&args.mfa_process, &profiles, name, env)?.asker();
    let mut req = request(args, &profiles, &mut ask, env)?;
    // The files' texts are cleared and freed now; the parsed set is left for the exit, which
    // is soon (see `Profiles::release`). The command chooses this: the session core frees
    // what it is given.
    profiles.release();
    // Only a shell's own session can be kept: the data formats go to other readers.
    if let Some(shell) = format.shell()
        && let Some(held) = req.held(env)
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
    let session = obtain(&mut req, args.no_agent, env).map_err(|e| match format {
        // The AWS tools run credential_process with a command line fixed in their config
        // and often without a terminal: a code there must come from a command.
        Format::Process if e.is(Reason::NoCode) => e.hint(format!(
            "as credential_process, mfa-env cannot be given a code: add `mfa_process = COMMAND` to profile '{name}', a command that prints the current code (such as ykman oath accounts code --single aws); or set MFA_ENV_ASKPASS for the tool, or run it on a desktop where a dialog can ask (zenity or kdialog with DISPLAY set)"
        )),
        _ => e,
    })?;
    let replace = args.region.is_some();
    write_stdout(&render(format, &session, &req.identity(), replace, env)?)?;
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

/// The output, in the documented order; fails when the shell cannot receive a value exactly.
/// A shell's own region variables are left as they are, or kept aside where `--region`
/// (`replace`) replaces them (`keep_own_region`).
fn render(
    format: Format,
    session: &Session,
    id: &Identity,
    replace: bool,
    env: &Env,
) -> Result<String> {
    let vars = variables(session, id);
    let mut set: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut unset = UNSET.to_vec();
    if format.shell().is_some() {
        keep_own_region(
            &mut set,
            &mut unset,
            id.region.unwrap_or_default(),
            replace,
            env,
        )?;
    }
    format.render(&set, &unset)
}
