use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = mfa_env::cli::Cli::parse();
    match mfa_env::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            err.report();
            err.exit_code()
        }
    }
}
