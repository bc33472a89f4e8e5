//! The integration tests: one binary, modules by subject.

mod support;

mod completions;
mod config;
mod conformance;
mod doctor;
mod export;
mod faults;
mod hostile;
mod init;
mod mfa_process;
mod moto;
mod prompt;
mod quoting;
mod roles;
mod session;
mod setup;
mod shells;
mod signals;
