//! `mfa-env unset` (alias `clear`): the statements that remove every variable export sets.

use std::io::IsTerminal;

use crate::cmd::{detect_shell, say, write_stdout};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::session::unset_variables;

pub fn run(format: Option<Format>, env: &Env) -> Result<()> {
    let format = format.unwrap_or_else(|| Format::from(detect_shell(env)));
    let Some(shell) = format.shell() else {
        return Err(Error::new(format!(
            "unset prints statements that remove variables, and {} has none",
            format.name()
        ))
        .hint(
            "pick a shell: --format bash, zsh, sh, fish, tcsh, elvish, xonsh, nu or powershell",
        ));
    };
    // The region variables that are the user's own stay: export left them as they were.
    write_stdout(&shell.render(&[], &unset_variables(env))?)?;
    // Nothing secret to keep off a terminal, but nothing removed either: say so.
    if std::io::stdout().is_terminal() {
        say(&format!(
            "printed, not run: this shell still holds the variables; run `{}`",
            shell.evaluate("mfa-env unset")
        ));
    }
    Ok(())
}
