//! The integration tests: one binary, modules by subject.

mod support;

mod config;
mod conformance;
mod export;
mod faults;
mod hostile;
mod prompt;
mod quoting;
mod roles;
mod shells;
mod signals;
