//! What mfa-env reads of other processes: a process's program and name (shell detection reads
//! its parent's), and the processes below one (what `exec --server`'s command left running).
//!
//! - Linux: `/proc/PID/exe` (the program; `/usr/bin/bash (deleted)` once it was upgraded),
//!   `/proc/PID/comm` (the name: a script's own name, `script.sh`, with bash as its program),
//!   `/proc/PID/stat` (the parent, the state, the start time).
//! - macOS has no /proc: libproc's `proc_pidpath` (the program), `proc_name` (the name, as
//!   Linux's comm: the script's for a script), `proc_listchildpids` (the children of one) and
//!   `proc_pidinfo(PROC_PIDTBSDINFO)` (the state and the start time).
//! - FreeBSD: `sysctl` `kern.proc.pathname` (the program) and `kern.proc.proc`'s `kinfo_proc`
//!   (the name, the parent, the state, the start time).
//!
//! A process is told apart from a later one that got its pid by when it started.
//!
//! And, for `agent stop` before it signals a stuck agent, whose a process is and what it runs:
//!
//! - Linux: `/proc/PID/stat` (state Z: a zombie), `/proc/PID/status` (`Uid:`, the real uid
//!   first), `/proc/PID/cmdline`.
//! - macOS: no /proc: `proc_pidinfo(PROC_PIDTBSDINFO)` (real uid, `SZOMB`), and `sysctl`
//!   `KERN_PROCARGS2` (argc, the program's path, then the arguments).
//! - FreeBSD: `sysctl` `KERN_PROC_PID` (`kinfo_proc`: real uid, `SZOMB`) and `KERN_PROC_ARGS`.

/// A process, by its pid and its start (in the system's own unit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Process {
    pub pid: i32,
    started: u64,
}

/// The file name of `pid`'s program (`bash` for a script run by bash), if it can be read.
pub fn program(pid: u32) -> Option<String> {
    imp::program(pid)
}

/// `pid`'s name (a script's own name for a script), if it can be read.
pub fn name(pid: u32) -> Option<String> {
    imp::name(pid)
}

/// Every process below `root` now (children, theirs, ...), parents before children.
pub fn below(root: i32) -> Vec<Process> {
    imp::below(root)
}

/// Every process below `root` in `parents` (each process with its parent's pid).
#[cfg(any(target_os = "linux", target_os = "freebsd"))]
fn walk(parents: &[(Process, i32)], root: i32) -> Vec<Process> {
    let mut found = vec![Process {
        pid: root,
        started: 0,
    }];
    let mut i = 0;
    while i < found.len() {
        let above = found[i].pid;
        found.extend(parents.iter().filter(|(_, p)| *p == above).map(|(c, _)| *c));
        i += 1;
    }
    found.remove(0);
    found
}

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

impl Process {
    /// Whether it still runs: that pid is this same process, and it has not ended (a zombie
    /// nobody has reaped yet has ended).
    pub fn runs(&self) -> bool {
        imp::running_since(self.pid) == Some(self.started)
    }
}

#[cfg(target_os = "linux")]
mod imp {
    use super::Process;

    pub fn program(pid: u32) -> Option<String> {
        let path = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
        let name = path.file_name()?.to_str()?;
        Some(name.trim_end_matches(" (deleted)").to_owned())
    }

    pub fn name(pid: u32) -> Option<String> {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()
    }

    pub fn below(root: i32) -> Vec<Process> {
        super::walk(&parents(), root)
    }

    /// Every process with its parent: (the process, its parent's pid).
    fn parents() -> Vec<(Process, i32)> {
        let mut parents = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = (entry.file_name().to_str()).and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            if let Some((parent, _, started)) = in_stat(&stat) {
                parents.push((Process { pid, started }, parent));
            }
        }
        parents
    }

    pub fn running_since(pid: i32) -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (_, state, started) = in_stat(&stat)?;
        (state != 'Z').then_some(started)
    }

    /// The parent's pid, the state and the start time in /proc/PID/stat: `pid (name) state
    /// ppid ...`, the start the 22nd field, where the name may hold spaces and parentheses (it
    /// ends at the last `)`).
    pub fn in_stat(stat: &str) -> Option<(i32, char, u64)> {
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
        let state = fields.first()?.chars().next()?;
        Some((
            fields.get(1)?.parse().ok()?,
            state,
            fields.get(19)?.parse().ok()?,
        ))
    }

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

#[cfg(target_os = "macos")]
mod imp {
    use super::Process;

    /// A text libproc wrote into `buffer` (`written` bytes, or an error below 1).
    fn text(buffer: &[u8], written: libc::c_int) -> Option<String> {
        let written = usize::try_from(written).ok().filter(|n| *n > 0)?;
        let bytes = &buffer[..written.min(buffer.len())];
        let bytes = bytes.split(|b| *b == 0).next()?;
        Some(String::from_utf8_lossy(bytes).into_owned())
    }

    #[allow(unsafe_code)]
    pub fn program(pid: u32) -> Option<String> {
        let mut buffer = vec![0u8; libc::PROC_PIDPATHINFO_MAXSIZE.unsigned_abs() as usize];
        // SAFETY: proc_pidpath writes at most the buffer's size into it.
        let written = unsafe {
            libc::proc_pidpath(
                i32::try_from(pid).ok()?,
                buffer.as_mut_ptr().cast(),
                u32::try_from(buffer.len()).ok()?,
            )
        };
        let path = text(&buffer, written)?;
        Some(path.rsplit('/').next()?.to_owned())
    }

    #[allow(unsafe_code)]
    pub fn name(pid: u32) -> Option<String> {
        // 2 * MAXCOMLEN + 1: the longest name the kernel keeps.
        let mut buffer = [0u8; 33];
        // SAFETY: proc_name writes at most the buffer's size into it.
        let written = unsafe {
            libc::proc_name(
                i32::try_from(pid).ok()?,
                buffer.as_mut_ptr().cast(),
                u32::try_from(buffer.len()).ok()?,
            )
        };
        text(&buffer, written)
    }

    /// The children of `parent`.
    #[allow(unsafe_code)]
    fn children(parent: i32) -> Vec<i32> {
        let mut pids = vec![0 as libc::pid_t; 4096];
        let size = libc::c_int::try_from(pids.len() * size_of::<libc::pid_t>()).unwrap_or(0);
        // SAFETY: proc_listchildpids writes at most `size` bytes of pids into the buffer.
        let n = unsafe { libc::proc_listchildpids(parent, pids.as_mut_ptr().cast(), size) };
        // It tells a count of pids; the buffer was zeroed, and no pid is 0, should it be
        // a count of bytes.
        pids.truncate(usize::try_from(n).unwrap_or(0).min(pids.len()));
        pids.retain(|p| *p > 0);
        pids
    }

    /// Every process below `root`, through libproc's lists of children.
    pub fn below(root: i32) -> Vec<Process> {
        let mut found = Vec::new();
        let mut i = 0;
        let mut above = root;
        loop {
            for pid in children(above) {
                if let Some(started) = running_since(pid) {
                    found.push(Process { pid, started });
                }
            }
            let Some(next) = found.get(i) else {
                return found;
            };
            above = next.pid;
            i += 1;
        }
    }

    #[allow(unsafe_code)]
    pub fn running_since(pid: i32) -> Option<u64> {
        // SAFETY: proc_pidinfo writes at most the size given into the zeroed struct.
        let mut info: libc::proc_bsdinfo = unsafe { std::mem::zeroed() };
        let size = libc::c_int::try_from(size_of::<libc::proc_bsdinfo>()).ok()?;
        let written = unsafe {
            libc::proc_pidinfo(pid, libc::PROC_PIDTBSDINFO, 0, (&raw mut info).cast(), size)
        };
        // SZOMB, from sys/proc.h: ended, not yet reaped.
        const ZOMBIE: u32 = 5;
        (written == size && info.pbi_status != ZOMBIE)
            .then(|| info.pbi_start_tvsec * 1_000_000 + info.pbi_start_tvusec)
    }

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
    use super::Process;

    /// `kern.proc.*` for `pid` (or every process): what sysctl answers.
    #[allow(unsafe_code)]
    fn sysctl(which: libc::c_int, pid: libc::c_int) -> Option<Vec<u8>> {
        let mib = [libc::CTL_KERN, libc::KERN_PROC, which, pid];
        let mut size = 0;
        // SAFETY: sysctl writes at most `size` bytes into the buffer, and the size it wrote.
        unsafe {
            if libc::sysctl(
                mib.as_ptr(),
                4,
                std::ptr::null_mut(),
                &mut size,
                std::ptr::null(),
                0,
            ) != 0
            {
                return None;
            }
            // Room for processes started meanwhile.
            size += size / 4 + 4096;
            let mut buffer = vec![0u8; size];
            if libc::sysctl(
                mib.as_ptr(),
                4,
                buffer.as_mut_ptr().cast(),
                &mut size,
                std::ptr::null(),
                0,
            ) != 0
            {
                return None;
            }
            buffer.truncate(size);
            Some(buffer)
        }
    }

    /// The kinfo_procs in what sysctl answered.
    #[allow(unsafe_code)]
    fn procs(buffer: &[u8]) -> Vec<libc::kinfo_proc> {
        let size = size_of::<libc::kinfo_proc>();
        (buffer.chunks_exact(size))
            // SAFETY: each chunk is one kinfo_proc the kernel wrote, read unaligned.
            .map(|chunk| unsafe { std::ptr::read_unaligned(chunk.as_ptr().cast()) })
            .collect()
    }

    fn started(p: &libc::kinfo_proc) -> u64 {
        let (s, us) = (p.ki_start.tv_sec, p.ki_start.tv_usec);
        u64::try_from(s).unwrap_or(0) * 1_000_000 + u64::try_from(us).unwrap_or(0)
    }

    /// SZOMB, from sys/proc.h: ended, not yet reaped.
    const ZOMBIE: libc::c_char = 5;

    pub fn program(pid: u32) -> Option<String> {
        let path = sysctl(libc::KERN_PROC_PATHNAME, libc::c_int::try_from(pid).ok()?)?;
        let path = path.split(|b| *b == 0).next()?;
        let path = String::from_utf8_lossy(path);
        Some(path.rsplit('/').next()?.to_owned())
    }

    pub fn name(pid: u32) -> Option<String> {
        let found = sysctl(libc::KERN_PROC_PID, libc::c_int::try_from(pid).ok()?)?;
        let p = procs(&found).into_iter().next()?;
        let name: Vec<u8> = (p.ki_comm.iter())
            .take_while(|c| **c != 0)
            .map(|c| c.to_ne_bytes()[0])
            .collect();
        Some(String::from_utf8_lossy(&name).into_owned())
    }

    pub fn below(root: i32) -> Vec<Process> {
        super::walk(&parents(), root)
    }

    fn parents() -> Vec<(Process, i32)> {
        let all = sysctl(libc::KERN_PROC_PROC, 0).unwrap_or_default();
        (procs(&all).iter())
            .filter(|p| p.ki_stat != ZOMBIE)
            .map(|p| {
                let process = Process {
                    pid: p.ki_pid,
                    started: started(p),
                };
                (process, p.ki_ppid)
            })
            .collect()
    }

    pub fn running_since(pid: i32) -> Option<u64> {
        let found = sysctl(libc::KERN_PROC_PID, pid)?;
        let p = procs(&found).into_iter().next()?;
        (p.ki_stat != ZOMBIE).then(|| started(&p))
    }

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
    use super::*;

    #[test]
    fn a_child_is_below_this_process_until_it_ends() {
        let own = i32::try_from(std::process::id()).unwrap();
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let found = below(own);
        let process = *found.iter().find(|p| p.pid == pid).expect("the child");
        assert!(process.runs());
        child.kill().unwrap();
        // Killed, not yet reaped: it has ended.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while process.runs() {
            assert!(std::time::Instant::now() < deadline, "still runs");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.wait().unwrap();
        assert!(!process.runs());
        // Another start time is another process.
        let other = Process {
            pid: own,
            started: 1,
        };
        assert!(!other.runs());
    }

    #[test]
    fn the_program_and_name_of_a_script_are_its_interpreters_and_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("script.sh");
        std::fs::write(&script, "#!/bin/bash\nsleep 5\n").unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let interpreter = std::fs::canonicalize("/bin/bash").unwrap();
        let interpreter = interpreter.file_name().unwrap().to_str().unwrap();
        let mut child = std::process::Command::new(&script).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        // Read once the exec is done: the program is the interpreter then.
        while program(child.id()).as_deref() != Some(interpreter) {
            assert!(
                std::time::Instant::now() < deadline,
                "{:?}",
                program(child.id())
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let name = name(child.id());
        child.kill().unwrap();
        child.wait().unwrap();
        // The name the kernel keeps for a script: Linux's comm is the script's own.
        #[cfg(target_os = "linux")]
        assert_eq!(name.as_deref().map(str::trim_end), Some("script.sh"));
        #[cfg(not(target_os = "linux"))]
        assert!(name.is_some());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_stat_fields_are_read_after_the_name() {
        let tail = " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 99 19";
        assert_eq!(
            imp::in_stat(&format!("42 (sh) S 7{tail}")),
            Some((7, 'S', 99))
        );
        assert_eq!(
            imp::in_stat(&format!("42 (a) b) 9 (c) Z 8{tail}")),
            Some((8, 'Z', 99))
        );
        assert_eq!(imp::in_stat("42 (sh"), None);
    }

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
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", "read line", "agent", "run"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        // spawn returns once exec has begun (the error pipe closed), which on Linux is before
        // the new program's arguments are in place: /proc/PID/cmdline is empty for a moment.
        let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut seen = super::seen(pid).unwrap();
        while seen.args.is_empty() && std::time::Instant::now() < until {
            std::thread::sleep(std::time::Duration::from_millis(5));
            seen = super::seen(pid).unwrap();
        }
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
