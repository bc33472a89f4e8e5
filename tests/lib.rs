//! The integration tests: one binary, modules by subject.

mod support;

mod doctor;
mod export;
mod mfa_process;
mod moto;
mod prompt;
mod setup;
mod shells;
