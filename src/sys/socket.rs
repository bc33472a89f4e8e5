//! Unix stream sockets as the agent's client makes them: closed at exec, never a SIGPIPE;
//! and the longest path such a socket can have.
//!
//! - Linux and FreeBSD: `SOCK_CLOEXEC` at `socket()`, so no fork in another thread sees it
//!   open. A write to a closed peer raises SIGPIPE, which Rust's runtime ignores in every
//!   mfa-env process: EPIPE is the error (`send`'s `MSG_NOSIGNAL` is not needed).
//! - macOS: no `SOCK_CLOEXEC`: `FD_CLOEXEC` right after `socket()` (a fork by another thread
//!   in between would inherit it: the client starts none while it connects); no
//!   `MSG_NOSIGNAL`: `SO_NOSIGPIPE` on the socket, for the case of a SIGPIPE not ignored.
//!   (FreeBSD gets `SO_NOSIGPIPE` too: it has both.)
//! - The path: `sun_path` holds 108 bytes on Linux and 104 on macOS and the BSDs, its
//!   terminating NUL included.

use std::os::fd::OwnedFd;

use rustix::net::{AddressFamily, SocketType};

/// The longest path of a Unix socket, in bytes: `sun_path` less its terminating NUL.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const MAX_PATH: usize = 107;
/// The longest path of a Unix socket, in bytes: `sun_path` less its terminating NUL.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const MAX_PATH: usize = 103;

/// A new Unix stream socket, not connected, closed at exec.
pub fn unix_stream() -> std::io::Result<OwnedFd> {
    imp::unix_stream()
}

#[cfg(not(target_vendor = "apple"))]
mod imp {
    use super::*;
    use rustix::net::SocketFlags;

    pub fn unix_stream() -> std::io::Result<OwnedFd> {
        let fd = rustix::net::socket_with(
            AddressFamily::UNIX,
            SocketType::STREAM,
            SocketFlags::CLOEXEC,
            None,
        )?;
        #[cfg(target_os = "freebsd")]
        rustix::net::sockopt::set_socket_nosigpipe(&fd, true)?;
        Ok(fd)
    }
}

#[cfg(target_vendor = "apple")]
mod imp {
    use super::*;
    use rustix::io::{FdFlags, fcntl_setfd};

    pub fn unix_stream() -> std::io::Result<OwnedFd> {
        let fd = rustix::net::socket(AddressFamily::UNIX, SocketType::STREAM, None)?;
        fcntl_setfd(&fd, FdFlags::CLOEXEC)?;
        rustix::net::sockopt::set_socket_nosigpipe(&fd, true)?;
        Ok(fd)
    }
}

/// A connection to a Unix socket in the abstract namespace (`unix:abstract=` D-Bus addresses):
/// Linux has it; elsewhere there is none.
#[allow(dead_code)]
pub fn connect_abstract(name: &str) -> std::io::Result<std::os::unix::net::UnixStream> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
        std::os::unix::net::UnixStream::connect_addr(&addr)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = name;
        Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "this system has no abstract sockets",
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixListener;

    /// sun_path of this system's sockaddr_un, less the NUL, is MAX_PATH.
    #[test]
    fn the_limit_is_the_systems_sun_path() {
        let sun_path = std::mem::size_of::<libc::sockaddr_un>()
            - std::mem::offset_of!(libc::sockaddr_un, sun_path);
        assert_eq!(super::MAX_PATH, sun_path - 1);
        let expected = if cfg!(any(target_os = "linux", target_os = "android")) {
            107
        } else {
            103
        };
        assert_eq!(super::MAX_PATH, expected);
    }

    /// A socket can be bound at a path of exactly MAX_PATH bytes, and not one byte longer.
    #[test]
    fn a_path_of_the_limit_binds_and_one_byte_more_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let at = |len: usize| {
            let base = dir.path().as_os_str().len() + 1;
            dir.path().join("s".repeat(len - base))
        };
        let longest = at(super::MAX_PATH);
        assert_eq!(longest.as_os_str().len(), super::MAX_PATH);
        UnixListener::bind(&longest).unwrap();
        assert!(UnixListener::bind(at(super::MAX_PATH + 1)).is_err());
    }

    /// The socket is closed at exec (and, on macOS and FreeBSD, raises no SIGPIPE).
    #[test]
    fn the_socket_is_closed_at_exec() {
        let fd = super::unix_stream().unwrap();
        let flags = rustix::io::fcntl_getfd(&fd).unwrap();
        assert!(flags.contains(rustix::io::FdFlags::CLOEXEC));
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        assert!(rustix::net::sockopt::socket_nosigpipe(&fd).unwrap());
    }
}
