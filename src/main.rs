use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    // First, before any file or answer holding a secret is read.
    mfa_env::no_core_dumps();
    // A Tab press in a shell that loaded `mfa-env completions`: answer it and exit.
    mfa_env::complete_if_asked();
    // `mfa-env` alone: a profile picked on a terminal, else the short help.
    if std::env::args_os().len() == 1 {
        return match mfa_env::run_bare() {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                err.report();
                err.exit_code()
            }
        };
    }
    let cli = match mfa_env::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            return mfa_env::help_or_version(&err);
        }
        Err(err) => {
            mfa_env::Error::usage(&err.to_string()).report();
            return ExitCode::from(2);
        }
    };
    match mfa_env::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            err.report();
            err.exit_code()
        }
    }
}
