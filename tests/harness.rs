//! The harness itself: every shell a test starts runs the binary under test by name, never an
//! installed one, and a test that reaches another mfa-env fails loudly (`support/path.rs`).

use std::os::unix::fs::PermissionsExt;

use crate::init::{capture, dump};
use crate::support::path::{self, SENTINEL_LOG_VAR, SENTINEL_STATUS};
use crate::support::shells::{EVERY, Sh};
use crate::support::*;

/// How each shell finds a program on its PATH, as it would to run it.
fn lookup(sh: Sh) -> &'static str {
    match sh {
        Sh::Bash | Sh::Zsh | Sh::Dash | Sh::Fish => "command -v mfa-env",
        Sh::Tcsh => "which mfa-env",
        Sh::Elvish => "search-external mfa-env",
        Sh::Xonsh => "which mfa-env",
        Sh::Nu => "which mfa-env | get path.0",
    }
}

#[test]
fn every_shell_a_test_starts_finds_the_built_binary_first() {
    for sh in EVERY {
        let script = format!("{}{}", capture(sh, "FOUND", lookup(sh)), dump(sh));
        let run = Test::new().shell(sh, &script);
        assert!(run.status.success(), "{}: {}", sh.name(), run.stderr);
        assert_eq!(
            run.env.get("FOUND").map(String::as_str),
            Some(BIN),
            "{}",
            sh.name()
        );
    }
}

#[test]
fn an_installed_mfa_env_is_never_what_a_test_runs() {
    // A machine where mfa-env was installed: an older one first on the PATH the tests inherit.
    let test = Test::new();
    let installed = test.dir.path().join("installed");
    std::fs::create_dir(&installed).unwrap();
    let older = installed.join("mfa-env");
    std::fs::write(&older, "#!/bin/sh\necho 'mfa-env 0.0.1 (installed)'\n").unwrap();
    std::fs::set_permissions(&older, std::fs::Permissions::from_mode(0o755)).unwrap();
    let inherited = std::env::join_paths(std::iter::once(installed.clone()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let log = test.dir.path().join("sentinel.log");
    let run = |script: &str| {
        Sh::Bash
            .command(script)
            .env("PATH", path::with_built_binary_first(&inherited))
            .env(SENTINEL_LOG_VAR, &log)
            .output()
            .unwrap()
    };
    let out = run("mfa-env --version");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("mfa-env {}\n", env!("CARGO_PKG_VERSION"))
    );
    path::assert_not_reached(&log);
    // A test whose shell loses the built binary's folder reaches the sentinel, not the
    // installed binary: that run fails, and every later check of the harness with it.
    let out = run("PATH=\"${PATH#*:}\"; mfa-env list");
    assert_eq!(out.status.code(), Some(SENTINEL_STATUS));
    assert_eq!(out.stdout, b"");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "tests: a test ran an mfa-env other than the built {BIN}: args [list]"
        )),
        "{stderr}"
    );
    let reached = std::panic::catch_unwind(|| path::assert_not_reached(&log));
    let message = reached.expect_err("the check fails once the sentinel ran");
    let message = message.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("a test reached another mfa-env than the binary under test"),
        "{message}"
    );
}
