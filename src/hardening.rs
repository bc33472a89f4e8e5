//! No core dumps: what mfa-env does to itself first, before it reads a secret.
//!
//! Its memory holds the long-term secret from the credentials file, then the session's: a
//! core dump (Ctrl-\ at the prompt sends SIGQUIT, or a crash) would write them to disk. As
//! ssh-agent does, the core file size limit is 0 and the process is not dumpable; not dumpable
//! also keeps other processes of the same user from reading its memory (ptrace,
//! /proc/PID/mem). The programs mfa-env starts (exec's command, mfa_process) get the user's
//! own limit back: it is mfa-env's protection, not a setting for them. (Not dumpable is
//! undone by exec on its own.) How each system keeps other processes out is `sys::harden`.

use std::sync::OnceLock;

use rustix::process::{Resource, Rlimit};

/// The core file size limit mfa-env was started with.
static USER_CORE_LIMIT: OnceLock<Rlimit> = OnceLock::new();

/// Turn core dumps off for this process. Failures are ignored: lowering one's own soft limit
/// and clearing one's own dumpable flag are always allowed, and there is nothing to tell.
pub fn no_core_dumps() {
    let limit = rustix::process::getrlimit(Resource::Core);
    let _ = USER_CORE_LIMIT.set(limit);
    let _ = rustix::process::setrlimit(
        Resource::Core,
        Rlimit {
            current: Some(0),
            maximum: limit.maximum,
        },
    );
    crate::sys::harden::not_dumpable();
}

/// For the processes that keep sessions for long (the agent, `exec --server`): no other
/// process of the user may attach to it or read its memory while it runs (on macOS, where
/// main's `no_core_dumps` cannot say so, too).
pub(crate) fn no_attaching() {
    crate::sys::harden::deny_attach();
}

/// The user's core limit again, just before an exec (also between fork and exec: it makes one
/// system call and does not allocate).
pub(crate) fn user_core_limit_back() -> std::io::Result<()> {
    match USER_CORE_LIMIT.get() {
        Some(limit) => Ok(rustix::process::setrlimit(Resource::Core, *limit)?),
        None => Ok(()),
    }
}
