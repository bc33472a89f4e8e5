//! Who is at the other end of a connected Unix socket: the uid the kernel recorded for it
//! (at connect for a client, at listen for a listener), never anything the peer says.
//!
//! - Linux: `SO_PEERCRED` gives uid and pid at once. The pid is 0 when that process is in a
//!   pid namespace this one cannot see (an agent in a container asked from outside it).
//!   (rustix's `socket_peercred` fails on pid 0: its pid is a non-zero type.)
//! - macOS: `getpeereid` gives the uid (from `LOCAL_PEERCRED`); `LOCAL_PEERPID` the pid.
//! - FreeBSD: `getpeereid`; the pid is not asked for (0, as for an unseen namespace on Linux).
//!
//! Only the uid decides; the pid is for messages.

use std::os::fd::{AsRawFd, BorrowedFd};

/// The peer's uid and pid (0 where it cannot be told).
pub fn peer(fd: BorrowedFd<'_>) -> std::io::Result<(u32, u32)> {
    imp::peer(fd.as_raw_fd())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    #[allow(unsafe_code)]
    pub fn peer(fd: libc::c_int) -> std::io::Result<(u32, u32)> {
        let mut cred = libc::ucred {
            pid: 0,
            uid: 0,
            gid: 0,
        };
        let mut len = libc::socklen_t::try_from(std::mem::size_of::<libc::ucred>())
            .map_err(|_| std::io::Error::other("ucred size"))?;
        // SAFETY: getsockopt(2) writes at most `len` bytes into `cred`, a live ucred of that
        // size, and the new length into `len`; the caller borrows the descriptor, so it is open.
        let done = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_PEERCRED,
                (&raw mut cred).cast(),
                &raw mut len,
            )
        };
        if done != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if usize::try_from(len).ok() != Some(std::mem::size_of::<libc::ucred>()) {
            return Err(std::io::Error::other("a short SO_PEERCRED answer"));
        }
        Ok((cred.uid, u32::try_from(cred.pid).unwrap_or(0)))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    #[allow(unsafe_code)]
    pub fn peer(fd: libc::c_int) -> std::io::Result<(u32, u32)> {
        let (mut uid, mut gid): (libc::uid_t, libc::gid_t) = (0, 0);
        // SAFETY: getpeereid(3) writes one uid_t and one gid_t into the two live locals; the
        // caller borrows the descriptor, so it is open.
        if unsafe { libc::getpeereid(fd, &raw mut uid, &raw mut gid) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((uid, pid(fd)))
    }

    /// macOS: LOCAL_PEERPID, the pid recorded with the uid. 0 when it cannot be told.
    #[cfg(target_vendor = "apple")]
    #[allow(unsafe_code)]
    fn pid(fd: libc::c_int) -> u32 {
        let mut pid: libc::pid_t = 0;
        let Ok(mut len) = libc::socklen_t::try_from(std::mem::size_of::<libc::pid_t>()) else {
            return 0;
        };
        // SAFETY: getsockopt(2) writes at most `len` bytes into `pid`, a live pid_t of that
        // size; the descriptor is open (see above).
        let done = unsafe {
            libc::getsockopt(
                fd,
                libc::SOL_LOCAL,
                libc::LOCAL_PEERPID,
                (&raw mut pid).cast(),
                &raw mut len,
            )
        };
        if done != 0 {
            return 0;
        }
        u32::try_from(pid).unwrap_or(0)
    }

    /// FreeBSD and the other BSDs: not asked for; the pid is only ever for messages.
    #[cfg(not(target_vendor = "apple"))]
    fn pid(_fd: libc::c_int) -> u32 {
        0
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;
    use std::os::unix::net::UnixStream;

    /// Both ends of a pair are this process: its uid, and its pid where the system tells it.
    #[test]
    fn the_peer_of_a_socket_pair_is_this_process() {
        let (a, b) = UnixStream::pair().unwrap();
        let own = rustix::process::getuid().as_raw();
        for end in [&a, &b] {
            let (uid, pid) = super::peer(end.as_fd()).unwrap();
            assert_eq!(uid, own);
            assert!(pid == std::process::id() || pid == 0, "{pid}");
        }
    }

    /// A connection accepted from a listener: the client's uid and pid, on every system that
    /// reports a pid (Linux and macOS).
    #[test]
    fn the_peer_of_an_accepted_connection_is_the_client() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let client = UnixStream::connect(&path).unwrap();
        let (server, _) = listener.accept().unwrap();
        let (uid, pid) = super::peer(server.as_fd()).unwrap();
        assert_eq!(uid, rustix::process::getuid().as_raw());
        if cfg!(any(target_os = "linux", target_vendor = "apple")) {
            assert_eq!(pid, std::process::id());
        }
        drop(client);
    }

    /// Not a socket: an error, never a uid of 0 (root) read from nothing.
    #[test]
    fn a_file_that_is_no_socket_has_no_peer() {
        let file = tempfile::tempfile().unwrap();
        assert!(super::peer(file.as_fd()).is_err());
    }
}
