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
//! user could then bind and answer with credentials of their choosing. Where the system has
//! a subreaper (Linux, FreeBSD: `sys::death::subreaper`), mfa-env is the one of what it runs,
//! so such a process, orphaned, becomes mfa-env's child wherever it went (another process
//! group, a new session): reaped while the command runs, and once the command has ended,
//! asked to end and then killed (`end_leftovers`), before mfa-env exits and frees the port.
//! macOS has none (an orphan goes to launchd): there mfa-env looks at the processes below the
//! command every `LOOK` while it runs and keeps them (pid and start), and `end_leftovers`
//! ends those that still run. One started and orphaned between two looks (a daemon that forks
//! twice at once) is not seen; the endpoint refuses it all the same once the command ended,
//! while the others are ended.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::child::{block, handle, restore_handlers, set_mask};
use crate::sys::death::{self, Tether};
use crate::sys::proc::{self, Process};

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
/// Whether what the command leaves comes back to mfa-env (see the module's comment).
static SUBREAPER: AtomicBool = AtomicBool::new(false);
/// Where it does not: the processes seen below the command while it ran.
static SEEN: Mutex<Vec<Process>> = Mutex::new(Vec::new());
/// How often the processes below the command are looked at, where orphans do not come back.
const LOOK: Duration = Duration::from_millis(50);

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
/// while it runs. If mfa-env dies without ending it, it gets `death_signal` (`sys::death`).
pub fn spawn(cmd: &mut Command, death_signal: libc::c_int) -> std::io::Result<Running> {
    PARENT.store(
        rustix::process::getpid().as_raw_nonzero().get(),
        Ordering::SeqCst,
    );
    OWN_GROUP.store(
        rustix::process::getpgrp().as_raw_nonzero().get(),
        Ordering::SeqCst,
    );
    // Ended with mfa-env, even killed (SIGKILL, the OOM killer): left running, it would ask
    // a closed port, which another user could then take. SIGTERM lets it clean up; an
    // interactive shell ignores it, and ends by SIGHUP (passing it on to its jobs).
    let mut tether = Tether::new(death_signal)?;
    let tie = tether.tie();
    // Held until the handler knows the child: one that comes while it starts is passed on
    // when let through.
    let before = block(&PASSED_ON);
    // SAFETY: runs in the child between fork and exec, where only async-signal-safe calls
    // are allowed: pthread_sigmask, `Tie::in_child`, getppid, raise and setrlimit, no
    // allocation. The mask would otherwise be inherited through exec, with the signals held.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || {
            set_mask(&before);
            // mfa-env may have died before the tie took effect.
            if !tie.in_child()? {
                libc::raise(death_signal);
            }
            crate::hardening::user_core_limit_back()
        });
    }
    // What the command leaves behind comes back here, to be ended with it (where the system
    // can).
    SUBREAPER.store(death::subreaper()?, Ordering::SeqCst);
    let mut running = Running {
        exited: None,
        handlers: Vec::new(),
    };
    running.pass_signals_on();
    let child = cmd.spawn();
    tether.spawned();
    if let Ok(child) = &child {
        CHILD.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
    }
    set_mask(&before);
    let child = child?;
    let (sender, exited) = oneshot::channel();
    std::thread::spawn(move || wait(child, sender, tether));
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
fn wait(mut child: Child, sender: oneshot::Sender<ExitStatus>, tether: Tether) {
    let pid = i32::try_from(child.id()).unwrap_or(0);
    if !SUBREAPER.load(Ordering::SeqCst) {
        watch_below(pid);
    }
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
    let status = child.wait();
    // Reaped: nothing more to watch (before `end_leftovers`, which must not count a watcher).
    tether.end();
    if let Ok(status) = status {
        let _ = sender.send(status);
    }
}

/// Until the command `pid` has ended (not reaped): keep what runs below it, every `LOOK`.
fn watch_below(pid: i32) {
    let Some(id) = rustix::process::Pid::from_raw(pid) else {
        return;
    };
    let options = rustix::process::WaitIdOptions::EXITED
        | rustix::process::WaitIdOptions::NOHANG
        | rustix::process::WaitIdOptions::NOWAIT;
    loop {
        let found = proc::below(pid);
        if let Ok(mut seen) = SEEN.lock() {
            for process in found {
                if !seen.contains(&process) {
                    seen.push(process);
                }
            }
        }
        match rustix::process::waitid(rustix::process::WaitId::Pid(id), options) {
            Ok(None) | Err(rustix::io::Errno::INTR) => std::thread::sleep(LOOK),
            Ok(Some(_)) | Err(_) => return,
        }
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
///
/// `spare` names, once there are leftovers, the processes to leave running: the user's agent,
/// when the command started it, which keeps sessions for every shell and never asks the
/// endpoint for anything.
pub async fn end_leftovers(spare: impl FnOnce() -> Vec<i32>) {
    if reaped_all(&[]) {
        return;
    }
    let spared = spare();
    if reaped_all(&spared) {
        return;
    }
    signal_all(
        &[rustix::process::Signal::TERM, rustix::process::Signal::CONT],
        &spared,
    );
    let deadline = Instant::now() + LEFTOVER_GRACE;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if reaped_all(&spared) {
            return;
        }
    }
    let deadline = Instant::now() + KILLING;
    while Instant::now() < deadline {
        signal_all(&[rustix::process::Signal::KILL], &spared);
        tokio::time::sleep(Duration::from_millis(10)).await;
        if reaped_all(&spared) {
            return;
        }
    }
}

/// Reap every child that has ended: whether none is left but the `spared`, of those and of
/// the processes seen below the command (where they do not come back).
fn reaped_all(spared: &[i32]) -> bool {
    let seen_ended = SEEN.lock().map_or(true, |mut seen| {
        seen.retain(|p| p.runs() && !spared.contains(&p.pid));
        seen.is_empty()
    });
    let children_ended = children_reaped()
        || (!spared.is_empty()
            && proc::below(rustix::process::getpid().as_raw_nonzero().get())
                .iter()
                .all(|p| spared.contains(&p.pid)));
    children_ended && seen_ended
}

/// Reap every child that has ended: whether none is left.
fn children_reaped() -> bool {
    loop {
        match rustix::process::waitpid(None, rustix::process::WaitOptions::NOHANG) {
            Ok(Some(_)) | Err(rustix::io::Errno::INTR) => continue,
            Ok(None) => return false,
            Err(_) => return true,
        }
    }
}

/// Send `signals` to every process below mfa-env, and to those seen below the command that
/// still run, but the `spared`.
fn signal_all(signals: &[rustix::process::Signal], spared: &[i32]) {
    let below = proc::below(rustix::process::getpid().as_raw_nonzero().get());
    let seen = SEEN.lock().map(|seen| seen.clone()).unwrap_or_default();
    signal(
        below
            .into_iter()
            .chain(seen.into_iter().filter(Process::runs))
            .filter(|p| !spared.contains(&p.pid)),
        signals,
    );
}

fn signal(processes: impl Iterator<Item = Process>, signals: &[rustix::process::Signal]) {
    for process in processes {
        if let Some(pid) = rustix::process::Pid::from_raw(process.pid) {
            for signal in signals {
                let _ = rustix::process::kill_process(pid, *signal);
            }
        }
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
        if info.is_null() {
            return;
        }
        let (code, sender) = ((*info).si_code, (*info).si_pid());
        let from_process = code <= 0 && sender > 0;
        if from_process && libc::getpgid(sender) != OWN_GROUP.load(Ordering::SeqCst) {
            let child = CHILD.load(Ordering::SeqCst);
            if child > 0 {
                libc::kill(child, signal);
            }
        } else {
            // Recorded even when the command has just been reaped: the terminal's Ctrl-C
            // reaches the command and mfa-env at once, and under load the command's end can
            // be seen first; `end_as` then still ends mfa-env by it.
            SHARED.store(signal, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_ran_below_the_command_is_kept_for_the_end_where_orphans_do_not_come_back() {
        // As on macOS: no subreaper, so the process the command leaves goes elsewhere
        // (init, here) when the command ends, and only what was seen while it ran finds it.
        let mut command = Command::new("sh")
            .args(["-c", "sleep 300 >/dev/null & echo $!; sleep 0.3"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = i32::try_from(command.id()).unwrap();
        watch_below(pid);
        command.wait().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut command.stdout.take().unwrap(), &mut out).unwrap();
        let left: i32 = out.trim().parse().unwrap();
        let seen: Vec<Process> = SEEN.lock().unwrap().clone();
        let kept = *seen
            .iter()
            .find(|p| p.pid == left)
            .expect("seen while it ran");
        assert!(kept.runs(), "{left} ended by itself");
        signal(
            seen.into_iter().filter(Process::runs),
            &[rustix::process::Signal::KILL],
        );
        let deadline = Instant::now() + Duration::from_secs(5);
        while kept.runs() {
            assert!(Instant::now() < deadline, "{left} still runs");
            std::thread::sleep(Duration::from_millis(10));
        }
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
