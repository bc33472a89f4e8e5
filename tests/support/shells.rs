//! The real shells: bash, zsh, dash, fish, tcsh, elvish, xonsh and nushell. A missing shell
//! fails the test: scripts/test installs them, and a skipped shell would prove nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mfa_env::shell::Shell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sh {
    Bash,
    Zsh,
    Dash,
    Fish,
    Tcsh,
    Elvish,
    Xonsh,
    Nu,
}

/// The shells the older tests were written for, each with its own syntax below.
pub const ALL: [Sh; 3] = [Sh::Bash, Sh::Zsh, Sh::Fish];
/// The shells of issue 16.
pub const MORE: [Sh; 5] = [Sh::Dash, Sh::Tcsh, Sh::Elvish, Sh::Xonsh, Sh::Nu];
/// Every shell the tests run.
pub const EVERY: [Sh; 8] = [
    Sh::Bash,
    Sh::Zsh,
    Sh::Dash,
    Sh::Fish,
    Sh::Tcsh,
    Sh::Elvish,
    Sh::Xonsh,
    Sh::Nu,
];

/// The nushell that scripts/test installs with npm (Debian has no package).
const NU_DIR: &str = ".ci/nushell/node_modules/@nushell";

impl Sh {
    /// The program's name.
    pub fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Dash => "dash",
            Sh::Fish => "fish",
            Sh::Tcsh => "tcsh",
            Sh::Elvish => "elvish",
            Sh::Xonsh => "xonsh",
            Sh::Nu => "nu",
        }
    }

    /// The shell as mfa-env names it.
    pub fn shell(self) -> Shell {
        match self {
            Sh::Bash => Shell::Bash,
            Sh::Zsh => Shell::Zsh,
            Sh::Dash => Shell::Sh,
            Sh::Fish => Shell::Fish,
            Sh::Tcsh => Shell::Tcsh,
            Sh::Elvish => Shell::Elvish,
            Sh::Xonsh => Shell::Xonsh,
            Sh::Nu => Shell::Nu,
        }
    }

    /// mfa-env's name for it: `--format`, `init`.
    pub fn format(self) -> &'static str {
        self.shell().name()
    }

    #[track_caller]
    pub fn program(self) -> PathBuf {
        if self == Sh::Nu {
            return nu();
        }
        let name = self.name();
        on_path(name).unwrap_or_else(|| {
            panic!(
                "{name} is not installed: run scripts/test, which installs the shells the tests run"
            )
        })
    }

    /// The shell running `script` without any start-up file, with nothing inherited but PATH.
    pub fn command(self, script: &str) -> Command {
        let mut cmd = Command::new(self.program());
        match self {
            Sh::Bash => cmd.args(["--noprofile", "--norc", "-c", script]),
            Sh::Zsh => cmd.args(["-f", "-c", script]),
            Sh::Dash => cmd.args(["-c", script]),
            Sh::Fish => cmd.args(["--no-config", "-c", script]),
            Sh::Tcsh => cmd.args(["-f", "-c", script]),
            Sh::Elvish => cmd.args(["-norc", "-c", script]),
            Sh::Xonsh => cmd.args(["--no-rc", "-c", script]),
            Sh::Nu => cmd.args(["--no-config-file", "-c", script]),
        };
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        cmd
    }

    /// Code that runs `code` and then `next` in this shell, `next` only if `code` succeeded.
    pub fn then(self, code: &str, next: &str) -> String {
        match self {
            Sh::Fish => format!("{code}; and {next}"),
            // A failure raises: what follows does not run.
            Sh::Elvish | Sh::Nu => format!("{code}; {next}"),
            Sh::Xonsh => format!("{code}\n{next}"),
            _ => format!("{code} && {next}"),
        }
    }

    /// How the shell runs the program `env` (nushell has a command of that name).
    pub fn env_program(self) -> &'static str {
        if self == Sh::Nu { "^env" } else { "env" }
    }

    /// A script that evaluates the shell code in `file` as a user would (`Shell::evaluate`),
    /// then dumps the environment, NUL-separated, on stdout.
    pub fn eval_file_script(self, file: &Path) -> String {
        let evaluate = self.shell().evaluate(&format!("cat '{}'", file.display()));
        self.then(&evaluate, &format!("{} -0", self.env_program()))
    }

    /// Evaluate `code` in the real shell; return its environment afterwards. The shell's
    /// stderr must be empty and its status zero.
    #[track_caller]
    pub fn eval(self, code: &str) -> BTreeMap<String, String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("code");
        std::fs::write(&file, code).unwrap();
        let out = self
            .command(&self.eval_file_script(&file))
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{} failed on the code ({:?}):\n{stderr}\ncode:\n{code}",
            self.name(),
            out.status
        );
        parse_env0(&out.stdout)
    }
}

/// A program on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The `nu` binary of the npm package scripts/test installs under .ci/nushell (the package
/// for this platform, @nushell/linux-x64 and the like), or the one MFA_ENV_TEST_NU names.
#[track_caller]
pub fn nu() -> PathBuf {
    if let Some(nu) = std::env::var_os("MFA_ENV_TEST_NU") {
        return PathBuf::from(nu);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(NU_DIR);
    std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| Some(entry.ok()?.path().join("bin/nu")))
        .find(|nu| nu.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nushell is not installed in {}: run scripts/test, which installs it with npm",
                dir.display()
            )
        })
}

pub fn parse_env0(bytes: &[u8]) -> BTreeMap<String, String> {
    bytes
        .split(|b| *b == 0)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let text = String::from_utf8(entry.to_vec()).expect("environment is UTF-8");
            let (k, v) = text.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}
