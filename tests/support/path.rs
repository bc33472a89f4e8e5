//! The PATH of everything the tests start: the built binary's folder first, then a folder
//! whose `mfa-env` is a sentinel that fails loudly, then the PATH the tests were started with.
//! A test that runs `mfa-env` by name therefore runs the binary it tests, never an installed
//! (and maybe older) one, and one that loses the built binary's folder on the way reaches the
//! sentinel: its run fails, and so does every later check of the harness (`assert_not_reached`).
//!
//! The test process's own PATH is set before `main`, while it has one thread, so that every
//! child inherits it however it is started: `Test`, the shells, a pseudo-terminal, Python.
#![allow(unsafe_code)]

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The exit status of the sentinel.
pub const SENTINEL_STATUS: i32 = 97;

/// Set by a test that reaches the sentinel on purpose: the file it records the run in,
/// instead of the one every later check reads.
pub const SENTINEL_LOG_VAR: &str = "MFA_ENV_TEST_SENTINEL_LOG";

/// Set before main (as the `ctor` crate does, without a crate): the test harness starts its
/// threads only after this, so changing the environment here races with nothing.
#[used]
#[unsafe(link_section = ".init_array")]
static SET_PATH: extern "C" fn() = set_path;

extern "C" fn set_path() {
    let dir = sentinel_dir();
    if let Err(e) = write_sentinel(&dir) {
        // Nothing can be reported from here but on stderr; every later check then fails.
        eprintln!(
            "tests: cannot write the PATH sentinel in {}: {e}",
            dir.display()
        );
        return;
    }
    let inherited = std::env::var_os("PATH").unwrap_or_default();
    let path = with_built_binary_first(&inherited);
    unsafe { std::env::set_var("PATH", path) };
}

/// `inherited` behind the built binary's folder and the sentinel's.
pub fn with_built_binary_first(inherited: &std::ffi::OsStr) -> OsString {
    let first = [built_dir(), sentinel_dir()];
    std::env::join_paths(first.into_iter().chain(std::env::split_paths(inherited)))
        .expect("PATH entries without ':'")
}

/// The folder of the binary under test.
pub fn built_dir() -> PathBuf {
    Path::new(super::BIN)
        .parent()
        .expect("the binary is in a folder")
        .to_path_buf()
}

/// This test process's sentinel folder, under cargo's temporary folder for tests.
pub fn sentinel_dir() -> PathBuf {
    sentinels().join(std::process::id().to_string())
}

fn sentinels() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("path-sentinel")
}

/// The file the sentinel records each run in, when the run does not name another.
pub fn sentinel_log() -> PathBuf {
    sentinel_dir().join("reached")
}

/// The sentinel, and no folder left by a test process that has ended.
fn write_sentinel(dir: &Path) -> std::io::Result<()> {
    if let Ok(entries) = std::fs::read_dir(sentinels()) {
        for entry in entries.flatten() {
            let pid = entry.file_name();
            if !Path::new("/proc").join(&pid).exists() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    std::fs::create_dir_all(dir)?;
    let log = sentinel_log();
    let _ = std::fs::remove_file(&log);
    let script = format!(
        "#!/bin/sh\n\
         # Not mfa-env: the tests' PATH puts this right after the built binary's folder, so a\n\
         # test that runs mfa-env by name and reaches it has lost that folder.\n\
         line=\"a test ran an mfa-env other than the built {bin}: args [$*], PATH=$PATH, HOME=$HOME\"\n\
         printf '%s\\n' \"$line\" >> \"${{{SENTINEL_LOG_VAR}:-{log}}}\"\n\
         printf 'tests: %s\\n' \"$line\" >&2\n\
         exit {SENTINEL_STATUS}\n",
        bin = super::BIN,
        log = log.display(),
    );
    let path = dir.join("mfa-env");
    std::fs::write(&path, script)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
}

/// Fail, loudly, when any run of this test process has reached the sentinel (of `log`).
#[track_caller]
pub fn assert_not_reached(log: &Path) {
    let reached = std::fs::read_to_string(log).unwrap_or_default();
    assert!(
        reached.is_empty(),
        "a test reached another mfa-env than the binary under test (the PATH sentinel in {} ran):\n{reached}",
        log.display()
    );
}

/// Fail, loudly, when one of `dirs` (a PATH a test sets itself, without the built binary's
/// folder) holds an mfa-env: the test would run it.
#[track_caller]
pub fn assert_none_in(dirs: &[&str]) {
    for dir in dirs {
        let found = Path::new(dir).join("mfa-env");
        assert!(
            !found.exists(),
            "{} is installed: this test sets PATH to {} to run without mfa-env, and would run it instead",
            found.display(),
            dirs.join(":")
        );
    }
}
