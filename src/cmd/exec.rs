//! `mfa-env exec PROFILE -- COMMAND ARGS...`: run one command with the session in its
//! environment. No shell is involved: the arguments reach the command exactly as given, and
//! mfa-env replaces itself with the command (execvp), so signals, the terminal and the exit
//! status are the command's own.

use std::io::ErrorKind;
use std::os::unix::process::CommandExt;
use std::process::Command;

use crate::cli::ExecArgs;
use crate::cmd::export::{self, UNSET};
use crate::env::Env;
use crate::error::{Error, Result};

pub fn run(exec: &ExecArgs, env: &Env) -> Result<()> {
    let args = &exec.args;
    let name = export::profile_name(args)?;
    let (program, rest) = exec.command.split_first().ok_or_else(|| {
        Error::new("no command given").hint("usage: mfa-env exec PROFILE -- COMMAND [ARGS...]")
    })?;
    let mut command = Command::new(program);
    command.args(rest);
    // A profile variable would make the AWS tools prefer the profile to the session.
    for name in UNSET {
        command.env_remove(name);
    }
    // A session this shell holds for the request is in the environment already.
    let req = export::request(args, env)?;
    if export::held_session(args, &req, env).is_none() {
        let session = export::obtain(args, &req, env)?;
        for (name, value) in export::variables(&session, &export::identity(&req.resolved)) {
            // Empty is none (MFA_ENV_ROLE of a session without a role): not left from the
            // shell's own session either.
            if value.is_empty() {
                command.env_remove(name);
            } else {
                command.env(name, value);
            }
        }
        export::say_valid_until(name, session.expiration);
    }
    let err = command.exec();
    let program = program.to_string_lossy();
    let (status, hint) = match err.kind() {
        ErrorKind::NotFound => (127, "check the command's name and PATH"),
        _ => (126, "check that the file is an executable program"),
    };
    Err(Error::new(format!("cannot run '{program}': {err}"))
        .hint(hint)
        .status(status))
}
