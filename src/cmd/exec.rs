//! `mfa-env exec PROFILE -- COMMAND ARGS...`: run one command with the session in its
//! environment. No shell is involved: the arguments reach the command exactly as given, and
//! mfa-env replaces itself with the command (execvp), so signals, the terminal and the exit
//! status are the command's own. Without a command it starts the user's shell ($SHELL, else
//! /bin/sh), as aws-vault does.

use std::ffi::{OsStr, OsString};
use std::io::ErrorKind;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::cli::ExecArgs;
use crate::cmd::{Prompting, obtain, profile_name, request, say, say_valid_until};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::Profiles;
use crate::session::{UNSET, variables};

mod server;

/// Where execvp looks when PATH is not set (glibc's and musl's default).
const DEFAULT_PATH: &str = "/bin:/usr/bin";

pub fn run(exec: &ExecArgs, env: &Env) -> Result<()> {
    if exec.server {
        return server::run(exec, env);
    }
    let args = &exec.args;
    let name = profile_name(args)?;
    let (program, rest) = program(exec, env)?;
    let mut command = Command::new(&program);
    command.args(rest);
    // A profile variable would make the AWS tools prefer the profile to the session.
    for name in UNSET {
        command.env_remove(name);
    }
    // A session this shell holds for the request is in the environment already.
    let profiles = Profiles::load(env)?;
    let mut ask = Prompting::new(&args.mfa_process, &profiles, name, env)?.asker();
    let mut req = request(args, &profiles, &mut ask, env)?;
    // The process is replaced by the command soon after: the texts are cleared and freed
    // now, the parsed set is left (see export).
    profiles.release();
    if req.held(env).is_none() {
        let session = obtain(&mut req, args.no_agent, env)?;
        for (name, value) in variables(&session, &req.identity()) {
            // Empty is none (MFA_ENV_ROLE of a session without a role): not left from the
            // shell's own session either.
            if value.is_empty() {
                command.env_remove(name);
            } else {
                command.env(name, value);
            }
        }
        say_valid_until(name, session.expiration);
    }
    if exec.command.is_empty() {
        say(&format!(
            "starting {} with the {name} session; `exit` returns here",
            program.to_string_lossy()
        ));
    }
    // The command runs with the user's core limit, not mfa-env's 0.
    let _ = crate::hardening::user_core_limit_back();
    let err = command.exec();
    Err(cannot_run(&program, &err.to_string(), err.kind()))
}

/// The command to run and its arguments: the one given, else the user's shell. Checked
/// before the code is spent: a command that cannot run would waste it.
fn program<'a>(exec: &'a ExecArgs, env: &Env) -> Result<(OsString, &'a [OsString])> {
    let (program, rest) = match exec.command.split_first() {
        Some((program, rest)) => (program.clone(), rest),
        None => (
            OsString::from(env.get("SHELL").unwrap_or("/bin/sh")),
            &[][..],
        ),
    };
    check_runnable(&program, env.get("PATH").unwrap_or(DEFAULT_PATH))?;
    Ok((program, rest))
}

/// Whether execvp will find `program` and may run it: a name with a `/` is a path, another
/// is looked up in `path`. Not found is status 127 and not executable 126, as in a shell.
fn check_runnable(program: &OsStr, path: &str) -> Result<()> {
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    let found = if program.as_encoded_bytes().contains(&b'/') {
        let p = Path::new(program);
        if executable(p) {
            return Ok(());
        }
        p.exists()
    } else {
        let mut found = false;
        // An empty entry is the current directory, as execvp reads it.
        for dir in path.split(':') {
            let p = Path::new(if dir.is_empty() { "." } else { dir }).join(program);
            if executable(&p) {
                return Ok(());
            }
            found |= p.is_file();
        }
        found
    };
    Err(if found {
        cannot_run(
            program,
            "not an executable file",
            ErrorKind::PermissionDenied,
        )
    } else if program.as_encoded_bytes().contains(&b'/') {
        cannot_run(program, "no such file", ErrorKind::NotFound)
    } else {
        cannot_run(program, "no such command in PATH", ErrorKind::NotFound)
    })
}

fn cannot_run(program: &OsStr, why: &str, kind: ErrorKind) -> Error {
    let (status, hint) = match kind {
        ErrorKind::NotFound => (127, "check the command's name and PATH"),
        _ => (126, "check that the file is an executable program"),
    };
    Error::new(format!("cannot run '{}': {why}", program.to_string_lossy()))
        .hint(hint)
        .status(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::ExitCode;

    #[test]
    fn commands_are_found_as_execvp_finds_them() {
        let dir = tempfile::tempdir().unwrap();
        let tool = dir.path().join("tool");
        let plain = dir.path().join("plain");
        std::fs::write(&tool, "#!/bin/sh\n").unwrap();
        std::fs::write(&plain, "text\n").unwrap();
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir(dir.path().join("subdir")).unwrap();
        let path = format!("/nonexistent:{}", dir.path().display());
        let status =
            |program: &OsStr, path: &str| check_runnable(program, path).map_err(|e| e.exit_code());
        let (missing, not_executable) = (ExitCode::from(127), ExitCode::from(126));
        assert_eq!(status("tool".as_ref(), &path), Ok(()));
        assert_eq!(status(tool.as_os_str(), "/nonexistent"), Ok(()));
        assert_eq!(status("tool".as_ref(), "/nonexistent"), Err(missing));
        assert_eq!(status("plain".as_ref(), &path), Err(not_executable));
        assert_eq!(status(plain.as_os_str(), ""), Err(not_executable));
        assert_eq!(status("subdir".as_ref(), &path), Err(missing));
        assert_eq!(
            status(dir.path().join("subdir").as_os_str(), ""),
            Err(not_executable)
        );
        assert_eq!(
            status(dir.path().join("no").as_os_str(), &path),
            Err(missing)
        );
        assert_eq!(status("sh".as_ref(), DEFAULT_PATH), Ok(()));
    }
}
