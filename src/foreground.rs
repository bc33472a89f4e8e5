//! A command that mfa-env runs and stays beside (`exec --server`), as a shell runs a
//! foreground job: in mfa-env's own process group, with its terminal, stdin, stdout and
//! stderr; mfa-env ends with its status.
//!
//! Signals. Sharing the group means that what the terminal sends (Ctrl-C's SIGINT, Ctrl-\'s
//! SIGQUIT, a hangup's SIGHUP) reaches the command and mfa-env at once: mfa-env must not pass
//! it on a second time, since a second SIGINT makes Terraform abort without cleaning up. A
//! signal that another process sent to mfa-env alone (`kill PID`, a supervisor's SIGTERM)
//! must be passed on, or the command never hears of it. The two are told apart as sudo tells
//! them apart (exec_nopty.c): by the sender in the signal's siginfo. The kernel sends the
//! terminal's signals (si_code SI_KERNEL, no sender); a process sends with kill(2) (si_code
//! SI_USER or another value <= 0, and its pid). A signal is passed on only when a process sent
//! it, and that process is not in mfa-env's group: one in the group (the command itself,
//! `timeout` signalling its group) reached the command already. Deciding instead by whether
//! mfa-env's group has the terminal's foreground would drop a `kill -INT` sent from another
//! terminal to a mfa-env in the foreground.
//!
//! Whatever the signal, mfa-env itself does not end: it keeps serving the command, which
//! may want credentials to clean up, and ends with the command's status.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};

use tokio::sync::oneshot;

use crate::child::{block, handle, restore_handlers, set_mask};

/// The signals that are passed on when another process sent them.
const PASSED_ON: [libc::c_int; 4] = [libc::SIGINT, libc::SIGQUIT, libc::SIGTERM, libc::SIGHUP];

/// For the signal handler, which can only read atomics: the command (0: none, or ended),
/// mfa-env's pid (the handler also runs in the child between fork and exec) and its group.
static CHILD: AtomicI32 = AtomicI32::new(0);
static PARENT: AtomicI32 = AtomicI32::new(0);
static OWN_GROUP: AtomicI32 = AtomicI32::new(0);
/// The last SIGINT or SIGQUIT that reached mfa-env without being passed on (the terminal's,
/// which the command got too), for `end_as`: 0 when none came.
static SHARED: AtomicI32 = AtomicI32::new(0);

/// The command while it runs; the handlers are put back when it is dropped.
pub struct Running {
    exited: Option<oneshot::Receiver<ExitStatus>>,
    handlers: Vec<(libc::c_int, libc::sigaction)>,
}

/// Start `cmd` in mfa-env's group, with the user's core limit, and pass signals on to it
/// while it runs.
pub fn spawn(cmd: &mut Command) -> std::io::Result<Running> {
    PARENT.store(
        rustix::process::getpid().as_raw_nonzero().get(),
        Ordering::SeqCst,
    );
    OWN_GROUP.store(
        rustix::process::getpgrp().as_raw_nonzero().get(),
        Ordering::SeqCst,
    );
    let parent = rustix::process::getpid().as_raw_nonzero().get();
    // Held until the handler knows the child: one that comes while it starts is passed on
    // when let through.
    let before = block(&PASSED_ON);
    // SAFETY: runs in the child between fork and exec, where only async-signal-safe calls
    // are allowed: pthread_sigmask and setrlimit, no allocation. The mask would otherwise
    // be inherited through exec, with the signals held.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            set_mask(&before);
            // Ended with mfa-env, even killed (SIGKILL, the OOM killer): left running, it
            // would ask a closed port, which another user could then take. SIGTERM lets it
            // clean up. Checked after: mfa-env may have died before this was set.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            if libc::getppid() != parent {
                libc::raise(libc::SIGTERM);
            }
            crate::hardening::user_core_limit_back()
        });
    }
    let mut running = Running {
        exited: None,
        handlers: Vec::new(),
    };
    running.pass_signals_on();
    let child = cmd.spawn();
    if let Ok(child) = &child {
        CHILD.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
    }
    set_mask(&before);
    let child = child?;
    let (sender, exited) = oneshot::channel();
    std::thread::spawn(move || wait(child, sender));
    running.exited = Some(exited);
    Ok(running)
}

impl Running {
    /// The command's end: its status.
    pub async fn exited(&mut self) -> Option<ExitStatus> {
        self.exited.as_mut()?.await.ok()
    }

    fn pass_signals_on(&mut self) {
        let handler = pass_on as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
            as libc::sighandler_t;
        self.handlers = handle(&PASSED_ON, handler, libc::SA_SIGINFO | libc::SA_RESTART);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        CHILD.store(0, Ordering::SeqCst);
        restore_handlers(&mut self.handlers);
    }
}

/// Wait for the child's end; the handler forgets it before it is reaped, so that a signal
/// never goes to another process that got its pid.
fn wait(mut child: Child, sender: oneshot::Sender<ExitStatus>) {
    let pid = rustix::process::Pid::from_child(&child);
    loop {
        let options =
            rustix::process::WaitIdOptions::EXITED | rustix::process::WaitIdOptions::NOWAIT;
        match rustix::process::waitid(rustix::process::WaitId::Pid(pid), options) {
            Err(rustix::io::Errno::INTR) => continue,
            _ => break,
        }
    }
    CHILD.store(0, Ordering::SeqCst);
    if let Ok(status) = child.wait() {
        let _ = sender.send(status);
    }
}

/// When Ctrl-C (or Ctrl-\) ended the command, end mfa-env by the same signal, as a shell
/// expects of a job so ended: a script that ran `mfa-env exec --server` stops too, instead of
/// going on to its next line. Only when mfa-env got that signal from the terminal too (bash's
/// "wait and cooperative exit"): a command that ended itself by SIGINT is an exit status.
/// (The core limit is 0: SIGQUIT dumps nothing.)
pub fn end_as(status: Option<ExitStatus>) {
    let Some(signal) = status.and_then(|s| s.signal()) else {
        return;
    };
    let shared = SHARED.load(Ordering::SeqCst) == signal;
    if shared && (signal == libc::SIGINT || signal == libc::SIGQUIT) {
        // SAFETY: signal and raise are plain system calls; the default action ends the
        // process before raise returns.
        #[allow(unsafe_code)]
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
}

/// The status a shell gives a command's end: its exit code, or 128 + the signal that ended it.
pub fn shell_status(status: ExitStatus) -> u8 {
    match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + (signal & 0x7f)).unwrap_or(255),
        (None, None) => 1,
    }
}

/// The handler: pass the signal on to the command when a process outside mfa-env's group
/// sent it (see the module's comment).
#[allow(unsafe_code)]
extern "C" fn pass_on(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: getpid, getpgid, kill, signal and raise are system calls, async-signal-safe;
    // `info` is the kernel's siginfo for this signal (SA_SIGINFO), valid while the handler
    // runs.
    unsafe {
        if libc::getpid() != PARENT.load(Ordering::SeqCst) {
            // The child, between fork and exec: what the signal does to the command.
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
            return;
        }
        let child = CHILD.load(Ordering::SeqCst);
        if child <= 0 || info.is_null() {
            return;
        }
        let (code, sender) = ((*info).si_code, (*info).si_pid());
        let from_process = code <= 0 && sender > 0;
        if from_process && libc::getpgid(sender) != OWN_GROUP.load(Ordering::SeqCst) {
            libc::kill(child, signal);
        } else {
            SHARED.store(signal, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_a_shells() {
        let status = |raw| shell_status(ExitStatus::from_raw(raw));
        assert_eq!(status(0), 0);
        assert_eq!(status(3 << 8), 3);
        assert_eq!(status(255 << 8), 255);
        assert_eq!(status(libc::SIGTERM), 143);
        assert_eq!(status(libc::SIGINT), 130);
        // Killed by SIGSEGV, with a core dump.
        assert_eq!(status(libc::SIGSEGV | 0x80), 139);
    }
}
