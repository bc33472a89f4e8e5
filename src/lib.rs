//! mfa-env: export an MFA-authenticated AWS session into the current shell.
//!
//! Data flows one way: command line -> resolved profile -> MFA code -> STS -> credentials ->
//! rendered lines -> stdout.

mod agent;
mod browser;
mod child;
pub mod cli;
mod cmd;
mod completer;
mod container;
mod dialog;
pub mod duration;
mod env;
pub mod error;
mod foreground;
pub mod format;
mod hardening;
mod iam;
mod keys;
mod mfa_process;
pub mod profile;
pub mod prompt;
mod secret;
mod session;
pub mod shell;
mod signin;
mod sts;
mod sys;
pub mod time;

pub use cmd::completions::complete_if_asked;
pub use cmd::init::help_or_version;
pub use env::Env;
pub use error::{Error, Result};
pub use hardening::no_core_dumps;
pub use secret::Secret;

/// Run the command line; every outcome is either output on stdout or an `Error`.
pub fn run(cli: cli::Cli) -> Result<()> {
    let env = Env::real();
    if cmd::init::check_evaluated(&cli, &env)? == cmd::init::Evaluated::Answered {
        return Ok(());
    }
    match cli.command {
        Some(cli::Command::Export { args, format }) => cmd::export::run(&args, format.format, &env),
        Some(cli::Command::Exec(args)) => cmd::exec::run(&args, &env),
        Some(cli::Command::Console(args)) => cmd::console::run(&args, &env),
        Some(cli::Command::Status(args)) => cmd::status::run(&args, &env),
        Some(cli::Command::Unset { shell }) => cmd::unset::run(shell.shell, &env),
        Some(cli::Command::List { json }) => cmd::list::run(json, &env),
        Some(cli::Command::Init { shell, agent }) => cmd::init::run(shell, agent, &env),
        Some(cli::Command::Agent { action }) => cmd::agent::run(&action, &env),
        Some(cli::Command::Completions { shell }) => cmd::completions::run(shell),
        Some(cli::Command::Setup(args)) => cmd::setup::run(&args, &env),
        Some(cli::Command::Doctor(args)) => cmd::doctor::run(&args, &env),
        Some(cli::Command::Rotate(args)) => cmd::rotate::run(&args, &env),
        Some(cli::Command::Keys { action }) => cmd::keys::run(&action, &env),
        None => cmd::export::run(&cli.export, cli.format.format, &env),
    }
}

/// `mfa-env` with no argument at all: on a terminal, export the profile picked from a list;
/// else the short help on stderr and status 2.
pub fn run_bare() -> Result<()> {
    let name = cmd::bare::run(&Env::real())?;
    let cli = <cli::Cli as clap::Parser>::try_parse_from(["mfa-env", "export", "--", &name])
        .map_err(|e| Error::usage(&e.to_string()))?;
    run(cli)
}

/// What the fuzz targets (fuzz/) reach that is otherwise private to the crate.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::mfa_process::{last_code, split};
    pub use crate::session::{Held, Identity, account, mask};
    pub use crate::sts::error_from_xml;
}
