//! A child that ends with mfa-env, and what comes back to mfa-env of what that child leaves.
//!
//! A child mfa-env runs (`mfa_process`, the command of `exec --server`) must not outlive it,
//! even when mfa-env is killed with no chance to act (SIGKILL, the OOM killer).
//!
//! - Linux: `PR_SET_PDEATHSIG`, set in the child between fork and exec: the kernel sends the
//!   signal when the *thread* that forked it ends (so the spawn happens on the thread that
//!   waits for the child).
//! - FreeBSD: `procctl(PROC_PDEATHSIG_CTL)`, the same promise, kept by the kernel when the
//!   parent *process* ends.
//! - macOS has neither. A watcher does it: a process forked from mfa-env before the command,
//!   which asks the kernel (kqueue `EVFILT_PROC`, `NOTE_EXIT`) for the end of mfa-env and of
//!   the command. When mfa-env ends first, it sends the command the signal; when the command
//!   ends first, it ends too, so that it never signals a pid that another process got since.
//!   The command execs only once the watcher watches it (it waits for the watcher's word
//!   between fork and exec), so that no moment is left where mfa-env could die unwatched.
//!   mfa-env reaps the watcher after it reaps the command (`Tether::end`). What remains: the
//!   watcher signals by pid, and between the kernel telling it of mfa-env's end and its
//!   kill(2) the command could end and its pid be given to a new process; macOS gives pids in
//!   turn, up to 99999, so that would take a whole round of pids within that instant.
//!
//! In every case the check after the request is the same: if the parent is no longer mfa-env,
//! mfa-env ended before the request took effect, and the child must not exec.
//!
//! What the child leaves running (`exec --server`): on Linux mfa-env is the child subreaper
//! (`PR_SET_CHILD_SUBREAPER`), on FreeBSD the reaper (`procctl(PROC_REAP_ACQUIRE)`): an
//! orphaned descendant becomes mfa-env's child, wherever it went. macOS has no subreaper:
//! an orphan goes to launchd (`subreaper` says false, and the caller follows the descendants
//! itself while the command runs; see `foreground`).

use std::io;

/// What ties a child to mfa-env: made before the spawn, its `Tie` used in the child, told of
/// the spawn's end, and ended once the child has been reaped.
pub struct Tether {
    #[cfg(not(target_os = "macos"))]
    signal: libc::c_int,
    parent: libc::pid_t,
    #[cfg(target_os = "macos")]
    watcher: Option<macos::Watcher>,
}

/// The child's side of a `Tether`: plain numbers, for the closure that runs between fork
/// and exec.
#[derive(Clone, Copy)]
pub struct Tie {
    /// The kernel's to send (on macOS the watcher has it).
    #[cfg(not(target_os = "macos"))]
    signal: libc::c_int,
    parent: libc::pid_t,
    #[cfg(target_os = "macos")]
    watcher: macos::ChildSide,
}

impl Tether {
    /// Ready to tie a child to be spawned next, so that it gets `signal` when mfa-env ends.
    /// On macOS this starts the watcher (see the module's comment).
    pub fn new(signal: libc::c_int) -> io::Result<Tether> {
        let parent = rustix::process::getpid().as_raw_nonzero().get();
        Ok(Tether {
            #[cfg(not(target_os = "macos"))]
            signal,
            parent,
            #[cfg(target_os = "macos")]
            watcher: Some(macos::Watcher::start(parent, signal)?),
        })
    }

    /// What the child needs of it, between fork and exec.
    pub fn tie(&self) -> Tie {
        Tie {
            #[cfg(not(target_os = "macos"))]
            signal: self.signal,
            parent: self.parent,
            #[cfg(target_os = "macos")]
            watcher: self
                .watcher
                .as_ref()
                .map_or(macos::ChildSide::NONE, |w| w.child),
        }
    }

    /// The spawn has returned (the child runs, or it failed): mfa-env lets go of what only the
    /// child needed.
    pub fn spawned(&mut self) {
        #[cfg(target_os = "macos")]
        if let Some(watcher) = &mut self.watcher {
            watcher.spawned();
        }
    }

    /// The child has been reaped: nothing more to watch (on macOS the watcher, which ends
    /// with the child, is reaped).
    pub fn end(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        #[cfg(target_os = "macos")]
        if let Some(watcher) = self.watcher.take() {
            watcher.end();
        }
    }
}

impl Drop for Tether {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Tie {
    /// In the child, between fork and exec, where only async-signal-safe calls are allowed
    /// (system calls, no allocation): the signal asked for when mfa-env ends. `Ok(false)` when
    /// mfa-env has ended already (then nothing would end this child: it must not exec).
    pub fn in_child(self) -> io::Result<bool> {
        // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number, for this process.
        #[cfg(target_os = "linux")]
        #[allow(unsafe_code)]
        if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, self.signal) } != 0 {
            return Err(io::Error::last_os_error());
        }
        #[cfg(target_os = "freebsd")]
        {
            let mut signal = self.signal;
            // SAFETY: procctl reads the int it is given, for this process.
            #[allow(unsafe_code)]
            let done = unsafe {
                libc::procctl(
                    libc::P_PID,
                    0,
                    libc::PROC_PDEATHSIG_CTL,
                    (&raw mut signal).cast(),
                )
            };
            if done != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        #[cfg(target_os = "macos")]
        self.watcher.in_child()?;
        Ok(rustix::process::getppid().map(|p| p.as_raw_nonzero().get()) == Some(self.parent))
    }
}

/// Make mfa-env the one that orphans below it come back to (see the module's comment):
/// whether this system has that (false on macOS, where they go to launchd).
pub fn subreaper() -> io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))?;
        Ok(true)
    }
    #[cfg(target_os = "freebsd")]
    {
        // SAFETY: PROC_REAP_ACQUIRE takes no data.
        #[allow(unsafe_code)]
        let done = unsafe {
            libc::procctl(
                libc::P_PID,
                0,
                libc::PROC_REAP_ACQUIRE,
                std::ptr::null_mut(),
            )
        };
        if done != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(true)
    }
    #[cfg(target_os = "macos")]
    {
        Ok(false)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "freebsd")))]
compile_error!("mfa-env knows no way on this system to end a child when mfa-env ends");

#[cfg(target_os = "macos")]
mod macos {
    //! The watcher (see the module above). Two pipes between it and the command, both made
    //! close-on-exec: the command writes its pid on the first, and waits for one byte on the
    //! second, which the watcher writes once it watches both processes. Every end a process
    //! does not use is closed, so that a process that ends closes the pipe for the other:
    //! the command never execs unwatched, and the watcher never waits for a command that will
    //! not come.

    use std::io;

    /// mfa-env's side: the watcher's pid, and the pipe ends the command inherits.
    pub struct Watcher {
        pub(super) pid: libc::pid_t,
        pub child: ChildSide,
    }

    /// The command's ends: where it writes its pid, and where it reads the watcher's word.
    #[derive(Clone, Copy)]
    pub struct ChildSide {
        pid_out: libc::c_int,
        ready_in: libc::c_int,
    }

    impl ChildSide {
        pub const NONE: ChildSide = ChildSide {
            pid_out: -1,
            ready_in: -1,
        };

        /// In the command, between fork and exec: its pid to the watcher, then wait until it
        /// watches. System calls only.
        pub fn in_child(self) -> io::Result<()> {
            let pid = rustix::process::getpid()
                .as_raw_nonzero()
                .get()
                .to_ne_bytes();
            // SAFETY: write, read and close on descriptors this process holds, with buffers
            // on the stack.
            #[allow(unsafe_code)]
            unsafe {
                let wrote = libc::write(self.pid_out, pid.as_ptr().cast(), pid.len());
                libc::close(self.pid_out);
                let mut word = 0u8;
                let read = loop {
                    let n = libc::read(self.ready_in, (&raw mut word).cast(), 1);
                    if n >= 0 || *libc::__error() != libc::EINTR {
                        break n;
                    }
                };
                libc::close(self.ready_in);
                if wrote != 4 || read != 1 {
                    return Err(io::Error::other(
                        "nothing could watch it to end it with mfa-env",
                    ));
                }
            }
            Ok(())
        }
    }

    /// A pipe, both ends close-on-exec: (read, write).
    #[allow(unsafe_code)]
    fn pipe() -> io::Result<(libc::c_int, libc::c_int)> {
        let mut ends = [-1; 2];
        // SAFETY: pipe writes two descriptors into the array; fcntl sets their flag.
        unsafe {
            if libc::pipe(ends.as_mut_ptr()) != 0 {
                return Err(io::Error::last_os_error());
            }
            for end in ends {
                libc::fcntl(end, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
        Ok((ends[0], ends[1]))
    }

    #[allow(unsafe_code)]
    fn close(fd: libc::c_int) {
        if fd >= 0 {
            // SAFETY: closes a descriptor of this module's pipes, once.
            unsafe {
                libc::close(fd);
            }
        }
    }

    impl Watcher {
        /// Fork the watcher of mfa-env (`parent`) and of the command to come.
        #[allow(unsafe_code)]
        pub fn start(parent: libc::pid_t, signal: libc::c_int) -> io::Result<Watcher> {
            let (pid_in, pid_out) = pipe()?;
            let (ready_in, ready_out) = match pipe() {
                Ok(ends) => ends,
                Err(e) => {
                    close(pid_in);
                    close(pid_out);
                    return Err(e);
                }
            };
            // Every signal held around the fork: the watcher keeps them held (no handler of
            // mfa-env's runs in it, and Ctrl-C on the terminal does not end it).
            // SAFETY: sigfillset and pthread_sigmask write and read local sets.
            let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
            let mut before: libc::sigset_t = unsafe { std::mem::zeroed() };
            unsafe {
                libc::sigfillset(&mut all);
                libc::pthread_sigmask(libc::SIG_BLOCK, &all, &mut before);
            }
            // SAFETY: in the child, between fork and _exit, `watch` makes system calls only
            // and does not allocate (mfa-env has other threads).
            let pid = unsafe { libc::fork() };
            if pid == 0 {
                close(pid_out);
                close(ready_in);
                watch(parent, signal, pid_in, ready_out);
            }
            let forked = io::Error::last_os_error();
            // SAFETY: puts back the mask pthread_sigmask returned.
            unsafe {
                libc::pthread_sigmask(libc::SIG_SETMASK, &before, std::ptr::null_mut());
            }
            close(pid_in);
            close(ready_out);
            if pid < 0 {
                close(pid_out);
                close(ready_in);
                return Err(forked);
            }
            Ok(Watcher {
                pid,
                child: ChildSide { pid_out, ready_in },
            })
        }

        /// The spawn is over: the command has its ends (or never will).
        pub fn spawned(&mut self) {
            close(self.child.pid_out);
            close(self.child.ready_in);
            self.child = ChildSide::NONE;
        }

        /// After the command was reaped: the watcher, which ends with it, reaped. Should it
        /// not end within `ENDING` (a command that died before the watcher could watch it,
        /// should the kernel then never tell of its end), it is killed: mfa-env never waits for
        /// it for longer. It is this process's child and not reaped yet, so its pid is its own.
        #[allow(unsafe_code)]
        pub fn end(mut self) {
            const ENDING: std::time::Duration = std::time::Duration::from_secs(2);
            self.spawned();
            let deadline = std::time::Instant::now() + ENDING;
            loop {
                // SAFETY: asks for the end of the watcher, this process's child.
                let done = unsafe { libc::waitpid(self.pid, std::ptr::null_mut(), libc::WNOHANG) };
                let interrupted =
                    done < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted;
                if done != 0 && !interrupted {
                    // Reaped now, or before (by a wait for any child).
                    return;
                }
                if std::time::Instant::now() >= deadline {
                    // SAFETY: kill and waitpid on this process's unreaped child.
                    unsafe {
                        libc::kill(self.pid, libc::SIGKILL);
                        libc::waitpid(self.pid, std::ptr::null_mut(), 0);
                    }
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }

    /// An `EVFILT_PROC` `NOTE_EXIT` event for `pid`, to add.
    fn exit_of(pid: libc::pid_t) -> libc::kevent {
        libc::kevent {
            ident: pid as libc::uintptr_t,
            filter: libc::EVFILT_PROC,
            flags: libc::EV_ADD | libc::EV_ONESHOT,
            fflags: libc::NOTE_EXIT,
            data: 0,
            udata: std::ptr::null_mut(),
        }
    }

    /// The watcher, forked from mfa-env: system calls only, no allocation, and it never
    /// returns.
    #[allow(unsafe_code)]
    fn watch(parent: libc::pid_t, signal: libc::c_int, pid_in: i32, ready_out: i32) -> ! {
        // SAFETY: kqueue, kevent, read, write, close, getppid, kill and _exit are system
        // calls; every buffer is on the stack.
        unsafe {
            let kq = libc::kqueue();
            let add = |pid| {
                let change = exit_of(pid);
                libc::kevent(kq, &change, 1, std::ptr::null_mut(), 0, std::ptr::null()) == 0
            };
            // mfa-env first: once it is watched, its end cannot be missed (a parent that ended
            // before shows as a new parent, launchd).
            if kq < 0 || !add(parent) || libc::getppid() != parent {
                libc::_exit(0);
            }
            let mut pid = [0u8; 4];
            let mut got = 0;
            while got < pid.len() {
                let n = libc::read(pid_in, pid[got..].as_mut_ptr().cast(), pid.len() - got);
                if n > 0 {
                    got += n.unsigned_abs();
                } else if n == 0 || *libc::__error() != libc::EINTR {
                    // No command came (the spawn failed before it forked): nothing to watch.
                    libc::_exit(0);
                }
            }
            libc::close(pid_in);
            let child = libc::pid_t::from_ne_bytes(pid);
            // The command waits for this word before it execs: it cannot have ended and been
            // reaped yet, and its pid is its own.
            if child <= 0 || !add(child) {
                libc::_exit(0);
            }
            let word = 1u8;
            libc::write(ready_out, (&raw const word).cast(), 1);
            libc::close(ready_out);
            let mut events = [exit_of(0), exit_of(0)];
            loop {
                let n = libc::kevent(
                    kq,
                    std::ptr::null(),
                    0,
                    events.as_mut_ptr(),
                    2,
                    std::ptr::null(),
                );
                if n < 0 {
                    if *libc::__error() == libc::EINTR {
                        continue;
                    }
                    // Cannot watch any longer: the command must not run on unwatched.
                    libc::kill(child, signal);
                    libc::_exit(1);
                }
                let ended = |pid: libc::pid_t| {
                    events[..n as usize]
                        .iter()
                        .any(|e| e.ident == pid as libc::uintptr_t)
                };
                if ended(child) {
                    libc::_exit(0);
                }
                if ended(parent) {
                    libc::kill(child, signal);
                    libc::_exit(0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;

    #[test]
    fn a_tied_child_runs_and_nothing_is_left_once_it_is_reaped() {
        let mut tether = Tether::new(libc::SIGKILL).unwrap();
        #[cfg(target_os = "macos")]
        let watcher = tether.watcher.as_ref().unwrap().pid;
        let tie = tether.tie();
        let mut cmd = std::process::Command::new("sh");
        cmd.args(["-c", "exit 7"]);
        // SAFETY: `Tie::in_child` makes system calls only.
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(move || {
                if tie.in_child()? {
                    Ok(())
                } else {
                    Err(io::Error::other("the parent ended"))
                }
            });
        }
        let child = cmd.spawn();
        tether.spawned();
        let status = child.unwrap().wait().unwrap();
        assert_eq!(status.code(), Some(7));
        tether.end();
        // The watcher ended with the command, and was reaped: no pid of it is left.
        #[cfg(target_os = "macos")]
        {
            // SAFETY: signal 0 only asks whether the process exists.
            #[allow(unsafe_code)]
            let exists = unsafe { libc::kill(watcher, 0) } == 0;
            assert!(!exists, "the watcher {watcher} is left");
        }
    }

    /// macOS only: there a watcher waits for the command, and `end` must return even when no
    /// command ever came. Elsewhere the tie is a flag of the child's, with nothing to wait for.
    #[cfg(target_os = "macos")]
    #[test]
    fn a_spawn_that_fails_leaves_nothing_waiting() {
        let mut tether = Tether::new(libc::SIGKILL).unwrap();
        let tie = tether.tie();
        let mut cmd = std::process::Command::new("/nonexistent/program");
        // SAFETY: `Tie::in_child` makes system calls only.
        #[allow(unsafe_code)]
        unsafe {
            cmd.pre_exec(move || tie.in_child().map(|_| ()));
        }
        assert!(cmd.spawn().is_err());
        tether.spawned();
        // Returns: the watcher (on macOS) saw the child end, or none come.
        tether.end();
    }
}
