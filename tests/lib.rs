//! The integration tests: one binary, modules by subject.

mod support;

mod agent;
mod agent_security;
mod askpass;
mod bash32;
mod completions;
mod config;
mod console;
mod credential_process;
mod device_discovery;
mod doctor;
mod endpoints;
mod exec;
mod export;
mod faults;
mod formats;
mod harness;
mod held;
mod hostile;
mod init;
// The Secret Service; macOS's Keychain is type-checked (scripts/cross-check), not run here.
#[cfg(target_os = "linux")]
mod keys;
mod layers;
mod list;
mod man;
mod mfa_process;
mod packaging;
mod prompt;
mod quoting;
mod roles;
mod rotate;
mod server;
mod setup;
mod shells;
mod signals;
mod signed_requests;
mod status;
mod test_script;
