//! `scripts/test`, the README's test command, on a fresh macOS and a fresh Debian machine: a
//! copy of it runs with only fakes on PATH for what it installs and runs (`uname` says which
//! system; `brew`, `apt-get`, `npm`, `python3` and `cargo` write down how they were called and
//! make what a real one would), so that both branches run on either system.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::shells::on_path;

/// The programs scripts/test runs that it does not install: the real ones.
const TOOLS: [&str; 14] = [
    "dirname", "grep", "cmp", "rm", "cp", "mktemp", "tee", "awk", "tr", "cat", "env", "mkdir",
    "chmod", "sed",
];

/// A package manager: it writes its arguments down and puts a program for each package on
/// PATH (python3 for `python`/`python3`, npm for `node`/`npm`).
const MANAGER: &str = r#"#!/bin/sh
echo "$(basename "$0") $*" >> "$LOG"
for p in "$@"; do
    case "$p" in
    -*|install|update) ;;
    python|python3) cp "$FAKES/python3" "$BIN/python3" ;;
    node|npm) cp "$FAKES/npm" "$BIN/npm" ;;
    dbus) printf '#!/bin/sh\n' > "$BIN/dbus-daemon"; chmod +x "$BIN/dbus-daemon" ;;
    gnome-keyring) printf '#!/bin/sh\n' > "$BIN/gnome-keyring-daemon"; chmod +x "$BIN/gnome-keyring-daemon" ;;
    libsecret-tools) printf '#!/bin/sh\n' > "$BIN/secret-tool"; chmod +x "$BIN/secret-tool" ;;
    gnupg) printf '#!/bin/sh\n' > "$BIN/gpg"; chmod +x "$BIN/gpg" ;;
    xvfb) printf '#!/bin/sh\n' > "$BIN/Xvfb"; chmod +x "$BIN/Xvfb" ;;
    *) printf '#!/bin/sh\n' > "$BIN/$p"; chmod +x "$BIN/$p" ;;
    esac
done
"#;

/// python3 -m venv DIR: a venv whose python runs and whose pip writes its arguments down.
const PYTHON: &str = r#"#!/bin/sh
echo "python3 $*" >> "$LOG"
[ "$1 $2" = "-m venv" ] || exit 1
mkdir -p "$3/bin"
printf '#!/bin/sh\n' > "$3/bin/python"
printf '#!/bin/sh\necho "pip $*" >> "$LOG"\n' > "$3/bin/pip"
chmod +x "$3/bin/python" "$3/bin/pip"
"#;

/// npm install --prefix DIR ... nushell@VERSION: the package's package.json.
const NPM: &str = r#"#!/bin/sh
echo "npm $*" >> "$LOG"
prefix=$3
for a in "$@"; do version=${a#nushell@}; done
mkdir -p "$prefix/node_modules/nushell"
printf '{\n  "version": "%s"\n}\n' "$version" > "$prefix/node_modules/nushell/package.json"
"#;

const CARGO: &str = r#"#!/bin/sh
echo "cargo $*" >> "$LOG"
echo "test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s"
echo "test result: ok. 3 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s"
"#;

/// A fresh machine of `system` (what `uname -s` says), for a copy of scripts/test, with the
/// uid `uid` and the package manager of that system, or none.
struct Machine {
    dir: tempfile::TempDir,
}

impl Machine {
    fn new(system: &str, uid: u32, manager: Option<&str>) -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let repo = env!("CARGO_MANIFEST_DIR");
        for dir in ["repo/scripts", "repo/tests", "bin", "fakes", "tmp"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::copy(
            Path::new(repo).join("scripts/test"),
            root.join("repo/scripts/test"),
        )
        .unwrap();
        std::fs::copy(
            Path::new(repo).join("tests/requirements.txt"),
            root.join("repo/tests/requirements.txt"),
        )
        .unwrap();
        for tool in TOOLS.into_iter().chain(["basename"]) {
            let real = on_path(tool).unwrap_or_else(|| panic!("{tool} is not on PATH"));
            std::os::unix::fs::symlink(real, root.join("bin").join(tool)).unwrap();
        }
        let write = |path: PathBuf, text: &str| {
            std::fs::write(&path, text).unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        write(root.join("fakes/python3"), PYTHON);
        write(root.join("fakes/npm"), NPM);
        write(root.join("bin/cargo"), CARGO);
        write(
            root.join("bin/uname"),
            &format!("#!/bin/sh\necho {system}\n"),
        );
        write(root.join("bin/id"), &format!("#!/bin/sh\necho {uid}\n"));
        if let Some(manager) = manager {
            write(root.join("bin").join(manager), MANAGER);
        }
        Machine { dir }
    }

    /// scripts/test with `args`, in bash from /bin (macOS's is 3.2); its status, stdout and
    /// stderr, and the calls written down since the last run.
    fn run(&self, args: &[&str]) -> (bool, String, String, Vec<String>) {
        let root = self.dir.path();
        let out = Command::new("/bin/bash")
            .arg(root.join("repo/scripts/test"))
            .args(args)
            .env_clear()
            .env("PATH", root.join("bin"))
            .env("HOME", root)
            .env("TMPDIR", root.join("tmp"))
            .env("LOG", root.join("log"))
            .env("BIN", root.join("bin"))
            .env("FAKES", root.join("fakes"))
            .output()
            .unwrap();
        let log = std::fs::read_to_string(root.join("log")).unwrap_or_default();
        let _ = std::fs::remove_file(root.join("log"));
        (
            out.status.success(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
            log.lines().map(str::to_owned).collect(),
        )
    }
}

/// What every fresh machine does after the shells: nushell, the venv, the tests.
fn the_rest(npm: &str) -> Vec<String> {
    vec![
        npm.to_owned(),
        "npm install --prefix .ci/nushell --no-save --no-audit --no-fund --loglevel=error nushell@0.115.1".into(),
        "python3 -m venv .ci/venv".into(),
        "pip install --quiet --disable-pip-version-check -r tests/requirements.txt".into(),
        "cargo test --locked --lib shell".into(),
    ]
}

#[track_caller]
fn assert_ran(machine: &Machine, want: &[String]) {
    let (ok, stdout, stderr, calls) = machine.run(&["--lib", "shell"]);
    assert!(ok, "{stderr}");
    assert_eq!(calls, want, "{stderr}");
    assert_eq!(
        stdout.lines().last(),
        Some("5 passed, 0 failed"),
        "{stdout}"
    );
    // Run again, everything is in place: only the tests run.
    let (ok, stdout, stderr, calls) = machine.run(&[]);
    assert!(ok, "{stderr}");
    assert_eq!(calls, ["cargo test --locked"], "{stderr}");
    assert_eq!(stdout.lines().last(), Some("5 passed, 0 failed"));
}

#[test]
fn on_macos_scripts_test_installs_with_homebrew() {
    let machine = Machine::new("Darwin", 501, Some("brew"));
    let mut want = vec![
        "brew install --quiet bash zsh dash fish tcsh elvish xonsh python gnupg pass ruby"
            .to_owned(),
    ];
    want.extend(the_rest("brew install --quiet node"));
    assert_ran(&machine, &want);

    // Without Homebrew it says what to install, and how.
    let (ok, _, stderr, calls) = Machine::new("Darwin", 501, None).run(&[]);
    assert!(!ok && calls.is_empty());
    assert!(
        stderr.contains(
            "the tests need these Homebrew packages: bash zsh dash fish tcsh elvish xonsh python gnupg pass ruby\n"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("install Homebrew"), "{stderr}");
}

#[test]
fn on_debian_scripts_test_installs_with_apt_get_as_root() {
    let machine = Machine::new("Linux", 0, Some("apt-get"));
    let mut want = vec![
        "apt-get update -qq".to_owned(),
        "apt-get install -y -qq bash zsh dash fish tcsh elvish xonsh python3 dbus gnome-keyring libsecret-tools gnupg pass ruby chromium xvfb zenity xdotool".to_owned(),
        "apt-get update -qq".to_owned(),
    ];
    want.extend(the_rest("apt-get install -y -qq npm"));
    assert_ran(&machine, &want);

    // Not root, and no sudo: it names the packages and stops, installing nothing.
    let (ok, _, stderr, calls) = Machine::new("Linux", 1000, Some("apt-get")).run(&[]);
    assert!(!ok && calls.is_empty(), "{calls:?}");
    assert!(
        stderr.contains("sudo apt-get install -y bash zsh dash fish tcsh elvish xonsh python3 dbus gnome-keyring libsecret-tools gnupg pass ruby chromium xvfb zenity xdotool),"),
        "{stderr}"
    );
}

/// `.github/workflows/ci.yml` runs what `.ci/run` runs before its fuzzing, on Ubuntu and macOS.
#[test]
fn the_workflow_runs_what_ci_run_runs_on_linux_and_macos() {
    let read =
        |path: &str| std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path));
    let (ci_run, workflow) = (
        read(".ci/run").unwrap(),
        read(".github/workflows/ci.yml").unwrap(),
    );
    for line in [
        "cargo fmt --check",
        "cargo clippy --locked --all-targets -- -D warnings",
    ] {
        assert!(
            ci_run.lines().any(|l| l == line),
            ".ci/run no longer runs {line}"
        );
        assert!(
            workflow
                .lines()
                .any(|l| l.trim() == format!("- run: {line}")),
            "ci.yml does not run {line}"
        );
    }
    assert!(ci_run.contains("\nscripts/test 2>&1"));
    assert!(workflow.contains("os: [ubuntu-latest, macos-latest]"));
    assert!(workflow.contains("  sudo -E env \"PATH=$PATH\" scripts/test\n"));
    assert!(workflow.contains("run: scripts/test\n"));
}
