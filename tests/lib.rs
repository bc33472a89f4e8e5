//! The integration tests: one binary, modules by subject.

mod support;

mod conformance;
mod doctor;
mod export;
mod mfa_process;
mod moto;
mod prompt;
mod roles;
mod setup;
mod shells;
