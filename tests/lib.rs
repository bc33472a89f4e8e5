//! The integration tests: one binary, modules by subject.

mod support;

mod export;
mod mfa_process;
mod prompt;
mod shells;
