//! `mfa-env unset` (alias `clear`): the statements that remove every variable export sets.

use std::io::IsTerminal;

use crate::cmd::{detect_shell, say, write_stdout};
use crate::env::Env;
use crate::error::Result;
use crate::session::unset_statements;
use crate::shell::Shell;

/// `shell`: the command line's (only shells: a data format has no statement that removes a
/// variable), else the detected one.
pub fn run(shell: Option<Shell>, env: &Env) -> Result<()> {
    let shell = shell.unwrap_or_else(|| detect_shell(env));
    // The region variables that are the user's own stay, given back where --region had
    // replaced them.
    let (set, unset) = unset_statements(env);
    write_stdout(&shell.render(&set, &unset)?)?;
    // Nothing secret to keep off a terminal, but nothing removed either: say so.
    if std::io::stdout().is_terminal() {
        say(&format!(
            "printed, not run: this shell still holds the variables; run `{}`",
            shell.evaluate("mfa-env unset")
        ));
    }
    Ok(())
}
