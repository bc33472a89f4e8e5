//! The real bash, zsh and fish. A missing shell fails the test: .ci/run installs them, and a
//! skipped shell would prove nothing.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sh {
    Bash,
    Zsh,
    Fish,
}

pub const ALL: [Sh; 3] = [Sh::Bash, Sh::Zsh, Sh::Fish];

impl Sh {
    pub fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    #[track_caller]
    pub fn program(self) -> PathBuf {
        let name = self.name();
        std::env::var_os("PATH")
            .into_iter()
            .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
            .unwrap_or_else(|| {
                panic!("{name} is not installed: `apt-get install -y {name}` (.ci/run does)")
            })
    }

    /// The shell running `script` without any start-up file, with nothing inherited but PATH.
    pub fn command(self, script: &str) -> Command {
        let mut cmd = Command::new(self.program());
        match self {
            Sh::Bash => cmd.args(["--noprofile", "--norc", "-c", script]),
            Sh::Zsh => cmd.args(["-f", "-c", script]),
            Sh::Fish => cmd.args(["--no-config", "-c", script]),
        };
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        cmd
    }

    /// A script that evaluates the shell code in the file `$1` (`$argv[1]` in fish) as a
    /// user would, then dumps the environment, NUL-separated, on stdout.
    pub fn eval_file_script(self) -> &'static str {
        match self {
            Sh::Bash | Sh::Zsh => "eval \"$(cat \"$1\")\" && env -0",
            Sh::Fish => "cat $argv[1] | source; and env -0",
        }
    }

    /// Evaluate `code` in the real shell; return its environment afterwards. The shell's
    /// stderr must be empty and its status zero.
    #[track_caller]
    pub fn eval(self, code: &str) -> BTreeMap<String, String> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("code");
        std::fs::write(&file, code).unwrap();
        let mut cmd = self.command(self.eval_file_script());
        if self != Sh::Fish {
            cmd.arg(self.name());
        }
        let out = cmd
            .arg(&file)
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
