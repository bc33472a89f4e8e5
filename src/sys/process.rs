//! Another process, as `agent stop` must see it before it signals a stuck agent: whose it is
//! and what it runs, or that it has ended (a zombie counts as ended).
//!
//! - Linux: `/proc/PID/stat` (state Z: a zombie), `/proc/PID/status` (`Uid:`, the real uid
//!   first), `/proc/PID/cmdline`.
//! - macOS: no /proc: `proc_pidinfo(PROC_PIDTBSDINFO)` (real uid, `SZOMB`), and `sysctl`
//!   `KERN_PROCARGS2` (argc, the program's path, then the arguments).
//! - FreeBSD: `sysctl` `KERN_PROC_PID` (`kinfo_proc`: real uid, `SZOMB`) and `KERN_PROC_ARGS`.

/// A process that runs: its real uid and its arguments, each ended by a NUL (as Linux's
/// `/proc/PID/cmdline` has them; empty when they cannot be read).
#[derive(Debug)]
pub struct Seen {
    pub uid: u32,
    pub args: Vec<u8>,
}

/// `pid` while it runs; None once it has ended (or was never there, or cannot be seen).
pub fn seen(pid: i32) -> Option<Seen> {
    imp::seen(pid)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use super::Seen;

    pub fn seen(pid: i32) -> Option<Seen> {
        let proc = format!("/proc/{pid}");
        let stat = std::fs::read_to_string(format!("{proc}/stat")).unwrap_or_default();
        if stat.is_empty() || stat.contains(") Z ") {
            return None;
        }
        let uid = std::fs::read_to_string(format!("{proc}/status"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        let args = std::fs::read(format!("{proc}/cmdline")).unwrap_or_default();
        Some(Seen { uid, args })
    }
}

#[cfg(target_vendor = "apple")]
mod imp {
    use super::Seen;

    #[allow(unsafe_code)]
    pub fn seen(pid: i32) -> Option<Seen> {
        // SAFETY: proc_bsdinfo is plain data, for which all zeroes is a value.
        let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
        let size = libc::c_int::try_from(std::mem::size_of::<libc::proc_bsdinfo>()).ok()?;
        // SAFETY: proc_pidinfo(3) writes at most `size` bytes into `info`, a live value of
        // that size, and returns how many it wrote.
        let wrote = unsafe {
            libc::proc_pidinfo(pid, libc::PROC_PIDTBSDINFO, 0, (&raw mut info).cast(), size)
        };
        if wrote != size || info.pbi_status == libc::SZOMB {
            return None;
        }
        let args = procargs(pid).unwrap_or_default();
        Some(Seen {
            uid: info.pbi_ruid,
            args,
        })
    }

    /// KERN_PROCARGS2: argc, the program's path and its padding of NULs, then argc arguments
    /// (then the environment, not read).
    #[allow(unsafe_code)]
    fn procargs(pid: i32) -> Option<Vec<u8>> {
        let mut mib = [libc::CTL_KERN, libc::KERN_PROCARGS2, pid];
        let mut len: libc::size_t = 0;
        // SAFETY: sysctl(3) with no buffer only writes the size it needs into `len`.
        let asked = unsafe {
            libc::sysctl(
                mib.as_mut_ptr(),
                3,
                std::ptr::null_mut(),
                &raw mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if asked != 0 || len < 4 {
            return None;
        }
        let mut buffer = vec![0u8; len];
        // SAFETY: sysctl(3) writes at most `len` bytes into `buffer`, which has that many,
        // and the count it wrote into `len`.
        let read = unsafe {
            libc::sysctl(
                mib.as_mut_ptr(),
                3,
                buffer.as_mut_ptr().cast(),
                &raw mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        if read != 0 {
            return None;
        }
        buffer.truncate(len);
        let argc = i32::from_ne_bytes(buffer.get(..4)?.try_into().ok()?);
        let rest = &buffer[4..];
        let path_end = rest.iter().position(|b| *b == 0)?;
        let start = path_end + rest[path_end..].iter().position(|b| *b != 0)?;
        let mut args = Vec::new();
        for arg in rest[start..]
            .split(|b| *b == 0)
            .take(usize::try_from(argc).ok()?)
        {
            args.extend_from_slice(arg);
            args.push(0);
        }
        Some(args)
    }
}

#[cfg(target_os = "freebsd")]
mod imp {
    use super::Seen;

    #[allow(unsafe_code)]
    pub fn seen(pid: i32) -> Option<Seen> {
        // SAFETY: kinfo_proc is plain data, for which all zeroes is a value.
        let mut info: libc::kinfo_proc = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::kinfo_proc>();
        let mib = [libc::CTL_KERN, libc::KERN_PROC, libc::KERN_PROC_PID, pid];
        // SAFETY: sysctl(3) writes at most `len` bytes into `info`, a live value of that
        // size, and the count it wrote into `len` (0: no such process).
        let done = unsafe {
            libc::sysctl(
                mib.as_ptr(),
                4,
                (&raw mut info).cast(),
                &raw mut len,
                std::ptr::null(),
                0,
            )
        };
        if done != 0
            || len != std::mem::size_of::<libc::kinfo_proc>()
            || info.ki_stat == libc::SZOMB
        {
            return None;
        }
        let mut args = vec![0u8; 64 * 1024];
        let mut len = args.len();
        let mib = [libc::CTL_KERN, libc::KERN_PROC, libc::KERN_PROC_ARGS, pid];
        // SAFETY: as above, into `args`, which has `len` bytes.
        let read = unsafe {
            libc::sysctl(
                mib.as_ptr(),
                4,
                args.as_mut_ptr().cast(),
                &raw mut len,
                std::ptr::null(),
                0,
            )
        };
        args.truncate(if read == 0 { len } else { 0 });
        Some(Seen {
            uid: info.ki_ruid,
            args,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    /// This process: its uid, and its arguments as the kernel has them.
    #[test]
    fn this_process_is_seen_with_its_uid_and_arguments() {
        let pid = i32::try_from(std::process::id()).unwrap();
        let seen = super::seen(pid).unwrap();
        assert_eq!(seen.uid, rustix::process::getuid().as_raw());
        let first = std::env::args().next().unwrap();
        assert!(seen.args.starts_with(first.as_bytes()), "{:?}", seen.args);
        assert_eq!(seen.args[first.len()], 0);
    }

    /// A child's arguments, each ended by a NUL; once it has exited it is not seen, before it
    /// is reaped (a zombie) and after.
    #[test]
    fn a_process_is_seen_while_it_runs_and_not_once_it_ended() {
        let mut child = Command::new("/bin/sh")
            .args(["-c", "read line", "agent", "run"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let seen = super::seen(pid).unwrap();
        assert!(
            seen.args.ends_with(b"-c\0read line\0agent\0run\0"),
            "{:?}",
            String::from_utf8_lossy(&seen.args)
        );
        drop(child.stdin.take());
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while super::seen(pid).is_some() {
            assert!(std::time::Instant::now() < until, "still seen");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // Ended and not reaped yet: a zombie, not seen.
        assert!(super::seen(pid).is_none());
        child.wait().unwrap();
        assert!(super::seen(pid).is_none());
    }
}
