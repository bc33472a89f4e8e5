//! A command mfa-env runs and waits for (mfa_process): it may use the terminal, and it ends
//! with mfa-env.
//!
//! The command runs in its own process group, so that a time-out stops what it started too.
//! When mfa-env's group is in the terminal's foreground, the command's group takes the
//! terminal while it runs, as a shell gives it to a job: a password manager can ask for its
//! passphrase on /dev/tty instead of being stopped by SIGTTIN, and Ctrl-C on the terminal
//! reaches it. The terminal is given back, its modes as they were, when it ends.
//!
//! It ends with mfa-env: SIGINT, SIGTERM and SIGHUP sent to mfa-env are passed on to its group
//! (the terminal given back) before mfa-env ends by the same signal; and if mfa-env is killed
//! without a chance to do so (SIGKILL), the command is killed (`sys::death`: on Linux the
//! kernel's PR_SET_PDEATHSIG, which fires when the *thread* that spawned the child ends, so
//! `spawn` must be called from the thread that waits for the child, as
//! `mfa_process::Prepared::code` does; on macOS a watcher process). What the command started
//! itself gets the passed-on signals, but not that one.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};

use rustix::process::Pid;
use rustix::termios::{OptionalActions, Termios};

use crate::error::{Error, Result};
use crate::sys::death::{Tether, Tie};

/// The signals passed on to the command's group.
const PASSED_ON: [libc::c_int; 3] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];

/// For the signal handler, which can only read atomics: the command's process group (0: none
/// yet), the terminal's descriptor while the command has it (-1: it does not), and mfa-env's
/// own process group, to give the terminal back to.
static GROUP: AtomicI32 = AtomicI32::new(0);
static TERMINAL: AtomicI32 = AtomicI32::new(-1);
static OWN_GROUP: AtomicI32 = AtomicI32::new(0);

/// While it lives: signals to mfa-env are passed on to the child, and the child's group has
/// the terminal (if mfa-env's group had it).
pub struct Guard {
    terminal: Option<Terminal>,
    handlers: Vec<(libc::c_int, libc::sigaction)>,
    /// What kills the command if mfa-env is killed, until it has been reaped.
    tether: Option<Tether>,
}

/// Start `cmd` in its own process group, ended with mfa-env and given the terminal. Call it
/// from the thread that waits for the child (see the module's comment).
pub fn spawn(cmd: &mut Command) -> std::io::Result<(Child, Guard)> {
    cmd.process_group(0);
    let terminal = Terminal::if_foreground();
    let tty = terminal.as_ref().and_then(|t| t.tty.try_clone().ok());
    let mut tether = Tether::new(libc::SIGKILL)?;
    let tie = tether.tie();
    let mut guard = Guard {
        terminal,
        handlers: Vec::new(),
        tether: None,
    };
    guard.pass_signals_on();
    // Held until the handler knows the child's group: a signal that comes while the child
    // starts is passed on as soon as it is let through. (Held on this thread, which is
    // mfa-env's only one when an export runs the command; another thread could take it,
    // and the command would still end with mfa-env.) The child starts with the
    // signals as they were: a blocked mask is inherited through exec.
    let before = block(&PASSED_ON);
    // SAFETY: the closure runs in the child between fork and exec, where only
    // async-signal-safe calls are allowed: `in_child` makes system calls only (`Tie::in_child`,
    // getppid, getpid, pthread_sigmask, the TIOCSPGRP ioctl) and does not allocate.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(move || in_child(tie, tty.as_ref(), &before));
    }
    let child = cmd.spawn();
    tether.spawned();
    guard.tether = Some(tether);
    if let Ok(child) = &child {
        GROUP.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
    }
    set_mask(&before);
    Ok((child?, guard))
}

/// In the child, before exec.
fn in_child(tie: Tie, tty: Option<&File>, mask: &libc::sigset_t) -> std::io::Result<()> {
    set_mask(mask);
    // mfa-env may have ended before that took effect, and then nothing would end this command.
    if !tie.in_child()? {
        return Err(std::io::Error::other("mfa-env has ended"));
    }
    if let Some(tty) = tty {
        holding(&[libc::SIGTTOU], || {
            rustix::termios::tcsetpgrp(tty, rustix::process::getpid())
        })?;
    }
    Ok(())
}

impl Guard {
    /// Undo everything, and end as Ctrl-C ends mfa-env when Ctrl-C on the terminal ended the
    /// child: mfa-env's own prompt is left the same way (the cursor on a new line, the process
    /// ended by SIGINT, so that a calling script stops too).
    pub fn finish(mut self, status: Option<ExitStatus>) -> Result<()> {
        let interrupted =
            self.terminal.is_some() && status.and_then(|s| s.signal()) == Some(libc::SIGINT);
        if interrupted && let Some(terminal) = &self.terminal {
            let _ = (&terminal.tty).write_all(b"\n");
        }
        self.restore();
        if interrupted {
            // SAFETY: raise delivers SIGINT to this thread before it returns; its action is
            // the one mfa-env had before `spawn`.
            #[allow(unsafe_code)]
            unsafe {
                libc::raise(libc::SIGINT);
            }
            // Only if SIGINT is ignored does mfa-env get here.
            return Err(Error::cancelled());
        }
        Ok(())
    }

    fn pass_signals_on(&mut self) {
        OWN_GROUP.store(
            rustix::process::getpgrp().as_raw_nonzero().get(),
            Ordering::SeqCst,
        );
        let tty = self.terminal.as_ref().map_or(-1, |t| t.tty.as_raw_fd());
        TERMINAL.store(tty, Ordering::SeqCst);
        let handler = pass_on as extern "C" fn(libc::c_int) as libc::sighandler_t;
        self.handlers = handle(&PASSED_ON, handler, 0);
    }

    #[allow(unsafe_code)]
    fn restore(&mut self) {
        // The terminal first: a signal that comes now ends mfa-env at once.
        TERMINAL.store(-1, Ordering::SeqCst);
        self.terminal = None;
        restore_handlers(&mut self.handlers);
        GROUP.store(0, Ordering::SeqCst);
        // The command has been reaped (or never ran).
        if let Some(tether) = self.tether.take() {
            tether.end();
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.restore();
    }
}

/// The signal handler: pass the signal on to the command's group, give the terminal back,
/// and end by the signal's default action (the signal is blocked while its handler runs, so
/// the raised one is delivered as the handler returns).
#[allow(unsafe_code)]
extern "C" fn pass_on(signal: libc::c_int) {
    let group = GROUP.load(Ordering::SeqCst);
    let tty = TERMINAL.load(Ordering::SeqCst);
    let own = OWN_GROUP.load(Ordering::SeqCst);
    // SAFETY: kill, pthread_sigmask, tcsetpgrp, signal and raise are async-signal-safe.
    unsafe {
        if group > 0 {
            libc::kill(-group, signal);
        }
        if tty >= 0 {
            holding(&[libc::SIGTTOU], || libc::tcsetpgrp(tty, own));
        }
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
}

/// Set `handler` (an async-signal-safe function, with `flags` such as SA_SIGINFO) for each of
/// `signals` that is not ignored; the actions it replaced, to put back. An ignored signal
/// (nohup, a background job) stays ignored, and a command started later inherits that.
#[allow(unsafe_code)]
pub(crate) fn handle(
    signals: &[libc::c_int],
    handler: libc::sighandler_t,
    flags: libc::c_int,
) -> Vec<(libc::c_int, libc::sigaction)> {
    let mut replaced = Vec::new();
    for &signal in signals {
        // SAFETY: sigaction reads `new` and writes `old`, both fully initialised locals; the
        // caller's handler only makes async-signal-safe calls.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut old) != 0
                || old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = handler;
            new.sa_flags = flags;
            libc::sigemptyset(&mut new.sa_mask);
            if libc::sigaction(signal, &new, &mut old) == 0 {
                replaced.push((signal, old));
            }
        }
    }
    replaced
}

/// Put back the actions `handle` replaced.
#[allow(unsafe_code)]
pub(crate) fn restore_handlers(replaced: &mut Vec<(libc::c_int, libc::sigaction)>) {
    for (signal, old) in replaced.drain(..) {
        // SAFETY: puts back the action sigaction returned for this signal.
        unsafe {
            libc::sigaction(signal, &old, std::ptr::null_mut());
        }
    }
}

/// Run `f` with `signals` blocked on this thread, then let them through. With SIGTTOU held, a
/// process that is not in the terminal's foreground group may set it (tcsetpgrp) and the
/// terminal's modes, where it would otherwise be stopped. Async-signal-safe.
fn holding<T>(signals: &[libc::c_int], f: impl FnOnce() -> T) -> T {
    let before = block(signals);
    let value = f();
    set_mask(&before);
    value
}

/// Block `signals` on this thread; the mask before. Async-signal-safe.
#[allow(unsafe_code)]
pub(crate) fn block(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: sigemptyset, sigaddset and pthread_sigmask only read and write the two local
    // sets, which are fully initialised (zeroed, then emptied) before use.
    let mut hold: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut before: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigemptyset(&mut hold);
        for signal in signals {
            libc::sigaddset(&mut hold, *signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &hold, &mut before);
    }
    before
}

/// This thread's mask set to `mask` (from `block`). Async-signal-safe.
#[allow(unsafe_code)]
pub(crate) fn set_mask(mask: &libc::sigset_t) {
    // SAFETY: pthread_sigmask reads a mask that pthread_sigmask filled in.
    unsafe {
        libc::pthread_sigmask(libc::SIG_SETMASK, mask, std::ptr::null_mut());
    }
}

/// The controlling terminal, while mfa-env's process group is its foreground group.
struct Terminal {
    tty: File,
    own_group: Pid,
    modes: Termios,
}

impl Terminal {
    fn if_foreground() -> Option<Terminal> {
        let tty = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        let own_group = rustix::process::getpgrp();
        if rustix::termios::tcgetpgrp(&tty).ok()? != own_group {
            return None;
        }
        let modes = rustix::termios::tcgetattr(&tty).ok()?;
        Some(Terminal {
            tty,
            own_group,
            modes,
        })
    }
}

/// The terminal back to mfa-env's group, its modes as they were (a command stopped at a
/// passphrase prompt may leave echo off).
impl Drop for Terminal {
    fn drop(&mut self) {
        holding(&[libc::SIGTTOU], || {
            let _ = rustix::termios::tcsetpgrp(&self.tty, self.own_group);
            let _ = rustix::termios::tcsetattr(&self.tty, OptionalActions::Now, &self.modes);
        });
    }
}
