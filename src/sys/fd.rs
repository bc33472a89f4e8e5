//! Descriptors a process inherited, closed when it runs another program.
//!
//! - Linux: `close_range(3, ~0, CLOSE_RANGE_CLOEXEC)` (5.11); on an older kernel, `fcntl`
//!   descriptor by descriptor up to 1024, the usual soft limit.
//! - FreeBSD: `close_range` with `CLOSE_RANGE_CLOEXEC` (13.1), else the same `fcntl` walk.
//! - macOS: no `close_range`: `fcntl` on each descriptor below the open-files limit (256 by
//!   default; at most 10240, OPEN_MAX, when raised to unlimited).

/// Mark every descriptor past stderr close-on-exec. Marked, not closed: std's pipe that
/// reports a failed exec is among them. For use between fork and exec: it only makes system
/// calls that touch no memory but a local.
pub fn close_inherited_on_exec() {
    imp::close_from(3);
}

/// `fcntl(FD_CLOEXEC)` on each descriptor in `from..to`.
#[allow(unsafe_code)]
fn mark_each(from: libc::c_int, to: libc::c_int) {
    for fd in from..to {
        // SAFETY: fcntl(2) F_SETFD only sets a flag on a descriptor (or fails on a closed one).
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    #[allow(unsafe_code)]
    pub fn close_from(from: libc::c_int) {
        let flags = libc::c_long::from(libc::CLOSE_RANGE_CLOEXEC);
        // SAFETY: close_range(2) with CLOSE_RANGE_CLOEXEC only sets a flag on descriptors.
        let done = unsafe {
            libc::syscall(
                libc::SYS_close_range,
                libc::c_long::from(from),
                libc::c_long::from(u32::MAX),
                flags,
            )
        };
        if done != 0 {
            super::mark_each(from, 1024);
        }
    }
}

#[cfg(target_os = "freebsd")]
mod imp {
    #[allow(unsafe_code)]
    pub fn close_from(from: libc::c_int) {
        let Ok(low) = libc::c_uint::try_from(from) else {
            return;
        };
        let flags = libc::c_int::try_from(libc::CLOSE_RANGE_CLOEXEC).unwrap_or(0);
        // SAFETY: close_range(2) with CLOSE_RANGE_CLOEXEC only sets a flag on descriptors.
        if unsafe { libc::close_range(low, libc::c_uint::MAX, flags) } != 0 {
            super::mark_each(from, limit());
        }
    }

    fn limit() -> libc::c_int {
        let open = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        open.current
            .map_or(libc::c_int::MAX, |n| {
                libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX)
            })
            .min(1 << 20)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
mod imp {
    /// macOS caps the open-files limit at OPEN_MAX (10240) whatever the rlimit says.
    const OPEN_MAX: libc::c_int = 10240;

    pub fn close_from(from: libc::c_int) {
        let open = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        let to = open.current.map_or(OPEN_MAX, |n| {
            libc::c_int::try_from(n).unwrap_or(OPEN_MAX).min(OPEN_MAX)
        });
        super::mark_each(from, to);
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    /// A descriptor open without close-on-exec (a dup, as a `$(...)`'s pipe would be)
    /// reaches a program started as usual, and not one started after
    /// `close_inherited_on_exec`.
    #[test]
    fn an_inherited_descriptor_is_closed_at_exec() {
        let file = tempfile::tempfile().unwrap();
        // dup(2) makes a copy without close-on-exec, which std never gives out.
        let copy = rustix::io::dup(&file).unwrap();
        let fd = copy.as_raw_fd();
        let reads = |mark: bool| {
            // bash, since dash takes only one-digit descriptors in a redirection, and the fd
            // is past 9 when other tests have files open.
            let mut sh = Command::new("bash");
            sh.args(["-c", &format!(": <&{fd}")]);
            if mark {
                // SAFETY: between fork and exec it only calls fcntl/close_range/getrlimit.
                #[allow(unsafe_code)]
                unsafe {
                    sh.pre_exec(|| {
                        super::close_inherited_on_exec();
                        Ok(())
                    });
                }
            }
            sh.stderr(std::process::Stdio::null())
                .status()
                .unwrap()
                .success()
        };
        assert!(reads(false), "fd {fd} should be inherited as usual");
        assert!(!reads(true), "fd {fd} reached the program");
    }
}
