//! The integration tests: one binary, modules by subject.

mod support;

mod export;
mod prompt;
mod roles;
mod shells;
