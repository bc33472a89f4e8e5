//! The integration tests: one binary, modules by subject.

mod support;

mod completions;
mod conformance;
mod doctor;
mod export;
mod init;
mod mfa_process;
mod moto;
mod prompt;
mod roles;
mod session;
mod setup;
mod shells;
