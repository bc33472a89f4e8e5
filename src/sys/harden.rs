//! No attaching and no reading of this process's memory by the user's other processes, and
//! pages kept out of swap. (No core dump is the core file size limit, which every system has
//! alike: `crate::hardening`.)
//!
//! - Linux: not dumpable (`prctl(PR_SET_DUMPABLE, 0)`): no core, no ptrace and no
//!   /proc/PID/mem by other processes of the same user (root can). exec undoes it, so the
//!   programs mfa-env starts are the user's as usual. Set in every command, from main.
//! - FreeBSD: `procctl(PROC_TRACE_CTL, PROC_TRACE_CTL_DISABLE)`: no ptrace, no /proc mem, no
//!   core; exec undoes it too. Set in every command, from main.
//! - macOS: `ptrace(PT_DENY_ATTACH)`: a later `ptrace(PT_ATTACH)` (lldb, dtrace's process
//!   probes) is refused and the process that tried gets SIGSEGV; it cannot be undone. It does
//!   not stop `task_for_pid` by root or by a debugger the system entitles, nor a process
//!   that was attached before (macOS ends a traced process that asks for it). It is set in
//!   the processes that hold sessions for long, the agent and `exec --server`, not in every
//!   command: a one-shot command lives for a second and may be run under a debugger by
//!   whoever develops it.
//! - mlock: the same call everywhere; the memory-lock limit decides (Linux: 8 MiB or less
//!   for a user; macOS: by the wired-memory limit).

/// Called first in every command, from main: where exec undoes it (Linux, FreeBSD), no other
/// process of the user may attach to or read mfa-env. macOS has no such flag (see
/// `deny_attach`). Failures are ignored: clearing one's own flag is always allowed.
pub fn not_dumpable() {
    imp::not_dumpable();
}

/// For the processes that keep sessions (the agent, `exec --server`): no other process of the
/// user may attach to it or read its memory, for as long as it runs.
pub fn deny_attach() {
    imp::deny_attach();
}

/// Keep the pages of `bytes` out of swap; false when the memory-lock limit does not allow it.
/// Pages are never unlocked: another secret may share them.
#[allow(unsafe_code)]
pub fn lock(bytes: &[u8]) -> bool {
    if bytes.is_empty() {
        return true;
    }
    // SAFETY: mlock reads and writes no memory; it only pins the pages of a range this
    // process owns (a live buffer), which the kernel rounds out to whole pages.
    unsafe { rustix::mm::mlock(bytes.as_ptr().cast_mut().cast(), bytes.len()).is_ok() }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use rustix::process::{DumpableBehavior, set_dumpable_behavior};

    pub fn not_dumpable() {
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }

    /// Not dumpable again: main set it, and this keeps it so whoever calls.
    pub fn deny_attach() {
        not_dumpable();
    }
}

#[cfg(target_os = "freebsd")]
mod imp {
    #[allow(unsafe_code)]
    pub fn not_dumpable() {
        let mut disable = libc::PROC_TRACE_CTL_DISABLE;
        // SAFETY: procctl(2) on this process reads one int through the pointer, a live local.
        let _ = unsafe {
            libc::procctl(
                libc::P_PID,
                0,
                libc::PROC_TRACE_CTL,
                (&raw mut disable).cast(),
            )
        };
    }

    pub fn deny_attach() {
        not_dumpable();
    }
}

#[cfg(target_vendor = "apple")]
mod imp {
    /// Nothing that exec undoes: see the module's comment.
    pub fn not_dumpable() {}

    #[allow(unsafe_code)]
    pub fn deny_attach() {
        // SAFETY: ptrace(PT_DENY_ATTACH) takes no address and no data; it sets a flag on
        // this process.
        let _ = unsafe { libc::ptrace(libc::PT_DENY_ATTACH, 0, std::ptr::null_mut(), 0) };
    }
}

#[cfg(test)]
mod tests {
    /// What is locked stays readable, and empty is always fine (nothing to lock).
    #[test]
    fn a_buffer_locked_is_still_the_same_buffer() {
        let secret = vec![7u8; 4096];
        let _ = super::lock(&secret);
        assert!(secret.iter().all(|b| *b == 7));
        assert!(super::lock(&[]));
    }
}
