//! What differs between the systems mfa-env runs on (Linux, macOS, FreeBSD): one file per
//! concern, each with its `cfg(target_os)` inside and a comment on what each system offers.
//! Nothing else in the crate names a system; the callers ask for what they need (the uid at
//! the other end of a socket, no attaching, descriptors closed at exec, a child that ends with
//! mfa-env, the parent's program, the processes below one) and get it the way the system they
//! were built for provides it.

pub mod browser;
#[cfg(target_os = "linux")]
pub mod dbus;
pub mod death;
pub mod dialog;
pub mod fd;
pub mod harden;
pub mod keyring;
pub mod peer;
pub mod proc;
pub mod socket;
