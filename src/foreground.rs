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
//!
//! What the command leaves running. Every process it starts inherits the endpoint's address
//! and token; one left running after mfa-env exits would ask a closed port, which another
//! user could then bind and answer with credentials of their choosing. mfa-env is the child
//! subreaper of what it runs (PR_SET_CHILD_SUBREAPER), so such a process, orphaned, becomes
//! mfa-env's child wherever it went (another process group, a new session): reaped while the
//! command runs, and once the command has ended, asked to end and then killed
//! (`end_leftovers`), before mfa-env exits and frees the port.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

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

/// What the command left is asked to end by SIGTERM, then killed after this.
const LEFTOVER_GRACE: Duration = Duration::from_secs(2);
/// How long killing goes on, for processes that a signal does not end at once (another
/// user's, which mfa-env may not signal; one in an uninterruptible wait).
const KILLING: Duration = Duration::from_secs(2);

/// Start `cmd` in mfa-env's group, with the user's core limit, and pass signals on to it
/// while it runs. If mfa-env dies without ending it, the kernel sends it `death_signal`.
pub fn spawn(cmd: &mut Command, death_signal: libc::c_int) -> std::io::Result<Running> {
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
            // clean up; an interactive shell ignores it, and ends by SIGHUP (passing it on
            // to its jobs). Checked after: mfa-env may have died before this was set.
            libc::prctl(libc::PR_SET_PDEATHSIG, death_signal);
            if libc::getppid() != parent {
                libc::raise(death_signal);
            }
            crate::hardening::user_core_limit_back()
        });
    }
    // What the command leaves behind comes back here, to be ended with it.
    rustix::process::set_child_subreaper(Some(rustix::process::getpid()))?;
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

/// Wait for the child's end, reaping on the way what it left that ended before it; the
/// handler forgets the child before it is reaped, so that a signal never goes to another
/// process that got its pid.
fn wait(mut child: Child, sender: oneshot::Sender<ExitStatus>) {
    let pid = i32::try_from(child.id()).unwrap_or(0);
    loop {
        match next_ended() {
            Err(rustix::io::Errno::INTR) => continue,
            Ok(ended) if ended != pid => {
                reap(ended);
                continue;
            }
            _ => break,
        }
    }
    CHILD.store(0, Ordering::SeqCst);
    if let Ok(status) = child.wait() {
        let _ = sender.send(status);
    }
}

/// The pid of a child that has ended, left to be reaped (waitid with WNOWAIT, which rustix
/// does not tell the pid of).
fn next_ended() -> rustix::io::Result<i32> {
    // SAFETY: waitid writes the siginfo_t it is given, zeroed here; si_pid reads the field
    // the kernel set for an exited child.
    #[allow(unsafe_code)]
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        if libc::waitid(libc::P_ALL, 0, &mut info, libc::WEXITED | libc::WNOWAIT) != 0 {
            return Err(
                rustix::io::Errno::from_io_error(&std::io::Error::last_os_error())
                    .unwrap_or(rustix::io::Errno::INVAL),
            );
        }
        Ok(info.si_pid())
    }
}

/// Reap the child `pid`, which has ended.
fn reap(pid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
    }
}

/// Once the command has ended: end what it left running (every process it started, which
/// comes back to mfa-env as their subreaper). Each gets SIGTERM (and SIGCONT, should it be
/// stopped), then SIGKILL after `LEFTOVER_GRACE`; done when none is left, or after `KILLING`
/// more for those that no signal ends (another user's).
pub async fn end_leftovers() {
    if reaped_all() {
        return;
    }
    signal_all(&[rustix::process::Signal::TERM, rustix::process::Signal::CONT]);
    let deadline = Instant::now() + LEFTOVER_GRACE;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if reaped_all() {
            return;
        }
    }
    let deadline = Instant::now() + KILLING;
    while Instant::now() < deadline {
        signal_all(&[rustix::process::Signal::KILL]);
        tokio::time::sleep(Duration::from_millis(10)).await;
        if reaped_all() {
            return;
        }
    }
}

/// Reap every child that has ended: whether none is left.
fn reaped_all() -> bool {
    loop {
        match rustix::process::waitpid(None, rustix::process::WaitOptions::NOHANG) {
            Ok(Some(_)) | Err(rustix::io::Errno::INTR) => continue,
            Ok(None) => return false,
            Err(_) => return true,
        }
    }
}

/// Send `signals` to every process below mfa-env.
fn signal_all(signals: &[rustix::process::Signal]) {
    for pid in descendants(rustix::process::getpid().as_raw_nonzero().get()) {
        if let Some(pid) = rustix::process::Pid::from_raw(pid) {
            for signal in signals {
                let _ = rustix::process::kill_process(pid, *signal);
            }
        }
    }
}

/// Every process below `root`, from the parents /proc tells.
fn descendants(root: i32) -> Vec<i32> {
    let mut parents = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        if let Some(parent) = parent_in_stat(&stat) {
            parents.push((pid, parent));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let above = found[i];
        found.extend(parents.iter().filter(|(_, p)| *p == above).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

/// The parent's pid in /proc/PID/stat: `pid (name) state ppid ...`, where the name may hold
/// spaces and parentheses (it ends at the last `)`).
fn parent_in_stat(stat: &str) -> Option<i32> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_ascii_whitespace().nth(1)?.parse().ok()
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
    fn the_parent_is_read_after_the_name() {
        assert_eq!(parent_in_stat("42 (sh) S 7 42 42 0"), Some(7));
        assert_eq!(parent_in_stat("42 (a) b) 9 (c) R 8 1"), Some(8));
        assert_eq!(parent_in_stat("42 (sh"), None);
        let own = std::process::id().cast_signed();
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        let found = descendants(own);
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(found.contains(&child.id().cast_signed()), "{found:?}");
    }

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
