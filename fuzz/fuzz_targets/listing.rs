//! Arbitrary config and credentials files through mfa-env's reading (the lean scan, where it
//! reads a file, else aws-config's parser per file) and through aws-config's own merged
//! reading: the same profile names, the same value of every key mfa-env reads, the same
//! service endpoints, the same listing rows, or the same error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::profile::reference::same_reading;

fuzz_target!(|input: (&str, &str)| {
    let (config, credentials) = input;
    same_reading(config, credentials);
});
