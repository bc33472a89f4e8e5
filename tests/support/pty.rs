//! A pseudo-terminal that becomes the controlling terminal of mfa-env, as a user's terminal
//! is, while its stdout stays a pipe (as inside `$(...)`).
#![allow(unsafe_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Pty {
    master: Option<File>,
    slave: OwnedFd,
    screen: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// How the child's stdin and stderr are connected.
#[derive(Clone, Copy)]
pub enum Wiring {
    /// stdin and stderr on the terminal, stdout a pipe: `eval "$(mfa-env dev)"`.
    Terminal,
    /// stdin from /dev/null, stdout and stderr pipes: only /dev/tty reaches the user.
    Redirected,
    /// stdin, stdout and stderr all on the terminal: `mfa-env dev` typed without `eval`.
    Screen,
}

impl Pty {
    pub fn open() -> Pty {
        let (mut master, mut slave) = (0, 0);
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                // *const on Linux, *mut on macOS: a null *mut is both.
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // openpty's descriptors are inherited by default; a child holding the master would
        // keep the terminal open after `hangup`.
        for fd in [master, slave] {
            unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
        }
        let master = unsafe { File::from_raw_fd(master) };
        let slave = unsafe { OwnedFd::from_raw_fd(slave) };
        let screen = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let shared = Arc::clone(&screen);
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        // Poll with a short timeout so that `hangup` can close every copy of the master.
        let reader = std::thread::spawn(move || {
            let mut buf = [0; 4096];
            while !stopped.load(Ordering::Relaxed) {
                let mut fds = libc::pollfd {
                    fd: reader.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                if unsafe { libc::poll(&mut fds, 1, 20) } <= 0 {
                    continue;
                }
                match reader.read(&mut buf) {
                    Ok(n) if n > 0 => shared.lock().unwrap().extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
        });
        Pty {
            master: Some(master),
            slave,
            screen,
            stop,
            reader: Some(reader),
        }
    }

    /// Start `cmd` in a new session whose controlling terminal is this pty.
    pub fn spawn(&self, mut cmd: Command, wiring: Wiring) -> Child {
        let slave = self.slave.try_clone().unwrap();
        let fd = slave.as_raw_fd();
        let terminal = || Stdio::from(slave.try_clone().unwrap());
        match wiring {
            Wiring::Terminal => {
                cmd.stdin(terminal())
                    .stdout(Stdio::piped())
                    .stderr(terminal());
            }
            Wiring::Redirected => {
                cmd.stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
            }
            Wiring::Screen => {
                cmd.stdin(terminal()).stdout(terminal()).stderr(terminal());
            }
        }
        unsafe {
            cmd.pre_exec(move || {
                if libc::setsid() < 0 || libc::ioctl(fd, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        cmd.spawn().expect("spawn on pty")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Wait until the screen has shown `needle` `count` times in all.
    #[track_caller]
    pub fn expect(&self, needle: &str, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.screen().matches(needle).count() < count {
            assert!(
                Instant::now() < deadline,
                "the terminal never showed {needle:?} {count} time(s); it shows:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Type on the keyboard.
    pub fn send(&self, keys: &str) {
        let mut master = self.master.as_ref().expect("the terminal is open");
        master.write_all(keys.as_bytes()).unwrap();
    }

    /// Close the terminal, as when its window is closed: reads on it end.
    pub fn hangup(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        self.master = None;
    }

    /// Set the terminal's local flags, as `stty` sets them.
    pub fn set_lflags(&self, flags: libc::tcflag_t) {
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::tcgetattr(self.slave.as_raw_fd(), &mut t) },
            0
        );
        t.c_lflag = flags;
        let rc = unsafe { libc::tcsetattr(self.slave.as_raw_fd(), libc::TCSANOW, &t) };
        assert_eq!(rc, 0);
    }

    /// The terminal's local flags (echo, canonical mode), to check they are left as found.
    pub fn lflags(&self) -> libc::tcflag_t {
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        let rc = unsafe { libc::tcgetattr(self.slave.as_raw_fd(), &mut t) };
        assert_eq!(rc, 0);
        t.c_lflag
    }
}
