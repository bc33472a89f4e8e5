//! `mfa-env init SHELL`: the shell function that makes `mfa-env PROFILE` export by itself.
//!
//! The scripts are real files in `shell/`, checked and run by the tests in each real shell.
//! The function evaluates what the binary prints only for `mfa-env PROFILE`, `export`,
//! `unset` and `rotate`, and only when the binary succeeds; it sets `_MFA_ENV_EVAL` to its shell for those
//! calls, so that the binary prints that shell's statements and refuses to print anything else
//! into an `eval` (see `check_evaluated`).
//!
//! tcsh has no functions, and its aliases reach `eval "`...`"` as one line, which leaves no
//! room to look at the arguments. Its alias evaluates every call, and the binary answers a
//! call it would not print statements for with the command that runs it without the alias
//! (`\mfa-env 'list';`). The script has no comments: eval joins its lines into one, and an
//! interactive tcsh reads `#` there as a command, not a comment.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::{Cli, Command};
use crate::cmd::EVAL_VAR;
use crate::cmd::write_stdout;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::shell::Shell;

pub fn script(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash | Shell::Zsh => include_str!("../../shell/mfa-env.sh"),
        Shell::Sh => include_str!("../../shell/mfa-env.posix.sh"),
        Shell::Fish => include_str!("../../shell/mfa-env.fish"),
        Shell::Tcsh => include_str!("../../shell/mfa-env.tcsh"),
        Shell::Elvish => include_str!("../../shell/mfa-env.elv"),
        Shell::Xonsh => include_str!("../../shell/mfa-env.xsh"),
        Shell::Nu => include_str!("../../shell/mfa-env.nu"),
        Shell::Powershell => include_str!("../../shell/mfa-env.ps1"),
    }
}

/// The script; with `agent`, the agent started first unless one answers. The script is
/// printed whatever becomes of the agent: a shell's start-up must not fail for it.
pub fn run(shell: Shell, agent: bool, env: &Env) -> Result<()> {
    if agent && let Err(e) = crate::agent::ensure_started(env, None, crate::cmd::say) {
        crate::cmd::say(&format!("the agent did not start: {}", e.message()));
        if let Some(hint) = e.hint_text() {
            crate::cmd::say(hint);
        }
    }
    write_stdout(script(shell))
}

/// Help or version, asked for anywhere on the command line (`-h`, `--version`, `help`,
/// `dev -hh`, `-Vh`). Asked for directly, the text goes to stdout with status 0, like every
/// command-line tool's. When the shell function is about to evaluate stdout (_MFA_ENV_EVAL is
/// set), it goes to stderr with status 2 instead: the function cannot tell every spelling of a
/// help flag from a profile's arguments, and evaluating the text would run it (`-Vh` exported
/// a profile named after the version number).
pub fn help_or_version(err: &clap::Error) -> ExitCode {
    let evaluated = Env::real().get(EVAL_VAR).map(Shell::from_process_name);
    if evaluated.is_none() {
        // A closed stdout (`mfa-env --help | head -1`) leaves nothing to report.
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    // tcsh's alias evaluates every call: it gets the command that shows the text.
    if evaluated == Some(Some(Shell::Tcsh)) {
        return match answer_tcsh("help") {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                e.report();
                e.exit_code()
            }
        };
    }
    let _ = write!(std::io::stderr().lock(), "{}", err.render());
    ExitCode::from(2)
}

/// What `check_evaluated` decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Evaluated {
    /// Run the command as asked.
    Proceed,
    /// The call is answered (tcsh: the command that runs it without the alias was printed).
    Answered,
}

/// When the shell function is about to evaluate stdout, make sure stdout will be statements
/// for that shell. It is not when the function is older than the binary and takes a new
/// subcommand for a profile name, or when it missed a --format: then fail, so that nothing is
/// evaluated. tcsh's alias evaluates every call: it gets the command to run instead.
pub fn check_evaluated(cli: &Cli, env: &Env) -> Result<Evaluated> {
    let Some(name) = env.get(EVAL_VAR) else {
        return Ok(Evaluated::Proceed);
    };
    let Some(shell) = Shell::from_process_name(name) else {
        return Err(
            Error::new(format!("{EVAL_VAR}={name} names no shell mfa-env knows")).hint(format!(
                "{EVAL_VAR} is set by the function from `mfa-env init`; unset it"
            )),
        );
    };
    // Only export, unset and rotate print statements, and only in the shell's own format.
    let (what, prints_statements, format) = match &cli.command {
        None => ("PROFILE", true, cli.format.format),
        Some(Command::Export { format, .. }) => ("export", true, format.format),
        Some(Command::Unset { shell }) => {
            ("unset", true, shell.shell.map(crate::format::Format::from))
        }
        // What removes this shell's session of the old key, when it holds one.
        Some(Command::Rotate(_)) => ("rotate", true, None),
        Some(other) => (subcommand_name(other), false, None),
    };
    let statements = prints_statements && format.is_none_or(|f| f.shell() == Some(shell));
    if statements {
        return Ok(Evaluated::Proceed);
    }
    if shell == Shell::Tcsh {
        answer_tcsh(what)?;
        return Ok(Evaluated::Answered);
    }
    let bypass = bypass(shell);
    let shell = shell.name();
    Err(Error::new(format!(
        "the {shell} function was about to evaluate the output of `mfa-env {what}`, which is not {shell} code"
    ))
    .hint(format!(
        "reload the function (the line from `mfa-env init {shell}` in the start-up file), or run `{bypass} {what} ...`"
    )))
}

/// How a person runs the program itself rather than the function of the same name.
fn bypass(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash | Shell::Zsh | Shell::Sh | Shell::Fish => "command mfa-env",
        Shell::Tcsh => "\\mfa-env",
        Shell::Elvish => "e:mfa-env",
        Shell::Nu => "^mfa-env",
        // env(1) finds the program on PATH, past xonsh's aliases.
        Shell::Xonsh => "env mfa-env",
        Shell::Powershell => "& (Get-Command mfa-env -CommandType Application)",
    }
}

/// Print, for tcsh's alias to evaluate, the command that runs this call again without the
/// alias (a backslash before a word stops alias substitution): `\mfa-env 'list' '--json';`.
fn answer_tcsh(what: &str) -> Result<()> {
    let mut line = String::from("\\mfa-env");
    for arg in std::env::args_os().skip(1) {
        let arg = arg.to_str().filter(|a| Shell::Tcsh.refuses(a).is_none());
        let Some(arg) = arg else {
            return Err(Error::new(format!(
                "an argument of `mfa-env {what}` cannot be passed on through the tcsh alias (a newline or a character outside ASCII)"
            ))
            .hint("run the program itself: \\mfa-env ..."));
        };
        line.push(' ');
        line.push_str(&Shell::Tcsh.quote(arg));
    }
    line.push_str(";\n");
    write_stdout(&line)
}

fn subcommand_name(command: &Command) -> &'static str {
    match command {
        Command::Export { .. } => "export",
        Command::Exec(_) => "exec",
        Command::Console(_) => "console",
        Command::Status(_) => "status",
        Command::Unset { .. } => "unset",
        Command::List { .. } => "list",
        Command::Init { .. } => "init",
        Command::Completions { .. } => "completions",
        Command::Setup(_) => "setup",
        Command::Doctor(_) => "doctor",
        Command::Agent { .. } => "agent",
        Command::Rotate(_) => "rotate",
        Command::Keys { .. } => "keys",
    }
}
