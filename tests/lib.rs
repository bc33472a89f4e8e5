//! The integration tests: one binary, modules by subject.

mod support;

mod completions;
mod export;
mod init;
mod prompt;
mod session;
mod shells;
