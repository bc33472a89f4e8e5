//! mfa-env: export an MFA-authenticated AWS session into the current shell.
//!
//! Data flows one way: command line -> resolved profile -> MFA code -> STS -> credentials ->
//! rendered lines -> stdout.

pub mod cli;
mod cmd;
pub mod duration;
mod env;
pub mod error;
pub mod profile;
pub mod prompt;
mod secret;
pub mod shell;
mod sts;
pub mod time;

pub use env::Env;
pub use error::{Error, Result};
pub use secret::Secret;

/// Run the command line; every outcome is either output on stdout or an `Error`.
pub fn run(cli: cli::Cli) -> Result<()> {
    let env = Env::real();
    match cli.command {
        Some(cli::Command::Export(args)) => cmd::export::run(&args, &env),
        None => cmd::export::run(&cli.export, &env),
    }
}

/// What the fuzz targets (fuzz/) reach that is otherwise private to the crate.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::sts::error_from_xml;
}
