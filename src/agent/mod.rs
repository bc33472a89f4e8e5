//! The agent: one process per user that keeps MFA and role sessions in its memory only, so
//! that one MFA code serves every terminal, role and tool of that user while it lasts.
//!
//! The agent only keeps: the process that needs a session obtains it (its own files, its
//! code, its STS call) and hands it over, and later processes get it back. The agent never
//! reads a config file or a long-term key. Its socket is in a directory only the user can
//! enter, and both ends check the other's uid (as the kernel recorded it) on every connection.
//!
//! The protocol is one JSON object per line each way, every one carrying the protocol
//! version `v` (see `protocol.rs`). This module is the client side and what both sides
//! share; `daemon.rs` is the agent.

mod client;
pub mod daemon;
mod path;
mod protocol;

pub use client::{Client, Found, end_stuck, ensure_started, find};
pub use path::place;
pub use protocol::Status;

use std::os::fd::BorrowedFd;
use std::time::Duration;

/// The agent exits by itself after holding nothing, with no connection, for this long.
pub const IDLE_EXIT: Duration = Duration::from_secs(30 * 60);
/// How long a client waits for an answer that needs no one else (a session kept, a status):
/// a client that finds a dead or stuck agent falls back within this.
pub const ANSWER_TIMEOUT: Duration = Duration::from_millis(800);
/// How long a client waits while another process asks for the code of the session it wants.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(150);
/// How long the agent waits for the next request of a connection, and how long a request may
/// take to arrive once begun.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the agent waits for the session of a connection that is obtaining it (asking for
/// a code, calling STS) before it lets another process try.
pub const LEASE_TIMEOUT: Duration = Duration::from_secs(140);
/// The longest line either side reads.
pub const MAX_LINE: usize = 64 * 1024;
/// Connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Sessions held at once.
pub const MAX_SESSIONS: usize = 1000;

/// Who is at the other end of a connected socket: its uid, and its pid (0 where the system
/// cannot tell it, or that process is in a pid namespace this one cannot see). Only the uid
/// decides; the pid is for messages. How each system tells it: `sys::peer`.
pub(crate) fn peer(fd: BorrowedFd<'_>) -> std::io::Result<(u32, u32)> {
    crate::sys::peer::peer(fd)
}

#[cfg(test)]
mod tests {
    /// The agent is below the commands (ARCHITECTURE.md): it says things through the caller's
    /// `say`, never through `cmd`, and knows nothing of the command line.
    #[test]
    fn the_agent_imports_nothing_above_it() {
        for (file, text) in [
            ("mod.rs", include_str!("mod.rs")),
            ("client.rs", include_str!("client.rs")),
            ("daemon.rs", include_str!("daemon.rs")),
            ("path.rs", include_str!("path.rs")),
            ("protocol.rs", include_str!("protocol.rs")),
        ] {
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for above in ["crate::cmd", "crate::cli"] {
                assert!(!code.contains(above), "agent/{file} uses {above}");
            }
        }
    }
}
