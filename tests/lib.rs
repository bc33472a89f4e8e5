//! The integration tests: one binary, modules by subject.

mod support;

mod conformance;
mod export;
mod prompt;
mod roles;
mod shells;
