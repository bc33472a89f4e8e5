//! `mfa-env` alone: on a terminal, the profile to export is picked from the profiles `list`
//! shows; anywhere else, the short help on stderr and a failing status, so that nothing is
//! evaluated.

use std::io::{IsTerminal, Write};

use clap::CommandFactory;

use crate::cli::Cli;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::Profiles;
use crate::profile::listing::marks;
use crate::prompt::Prompter;

/// The profile picked, for `lib::run` to export; or the short help shown and an error that
/// says nothing more (status 2, as for any command line without what it needs).
pub fn run(env: &Env) -> Result<String> {
    // The statements go to a shell that evaluates them (`eval "$(mfa-env)"`, the function of
    // `mfa-env init`), and a person answers on the terminal: else help is what is wanted.
    let person = std::io::stdin().is_terminal() && !std::io::stdout().is_terminal();
    let prompter = person
        .then(|| Prompter::open_for("a profile", "name one: mfa-env PROFILE").ok())
        .flatten()
        .map(Prompter::exporting);
    let Some(prompter) = prompter else {
        let help = Cli::command().render_help();
        let _ = write!(std::io::stderr().lock(), "{help}");
        return Err(Error::exit(2));
    };
    let profiles = Profiles::load(env)?;
    let rows = profiles.rows();
    if rows.is_empty() {
        return Err(Error::new(format!(
            "no profile to export: none in {} or {}",
            profiles.config.path.display(),
            profiles.credentials.path.display()
        ))
        .hint("create one with `aws configure --profile NAME`, then `mfa-env setup NAME`"));
    }
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0);
    let items: Vec<String> = rows
        .iter()
        .map(|row| {
            let marks = marks(row, &rows).join(" ");
            format!("{:width$}  {marks}", row.name)
                .trim_end()
                .to_owned()
        })
        .collect();
    let picked = prompter.select("The profile to export", &items)?;
    Ok(rows[picked].name.to_owned())
}
