//! The desktop's own dialog for a line of hidden text (the MFA code), for when there is no
//! terminal: which program each system has, its arguments, and what its exit means.
//!
//! - Linux and FreeBSD: `zenity --entry --hide-text` (GNOME and most desktops) or `kdialog
//!   --password` (KDE: first when XDG_CURRENT_DESKTOP names KDE), the first found on PATH, and
//!   only when DISPLAY or WAYLAND_DISPLAY says there is a display. Cancel is exit status 1
//!   for both; zenity's own `--timeout` is exit status 5. zenity passes its `--text` through
//!   `g_strcompress` (backslash escapes) and `gtk_label_set_text_with_mnemonic` (`_` marks a
//!   mnemonic): both are escaped, so the text shows as given.
//! - macOS: `osascript` with `display dialog ... default answer "" with hidden answer`. The
//!   text and title are arguments of the script (`on run argv`), never spliced into it. The
//!   script answers `code:` and the text typed, or `cancelled` for AppleScript's error -128
//!   ("User canceled"), or `timed out` when the dialog gave up.
//!
//! No program is run through a shell, and the code is read from the program's stdout only.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use crate::env::Env;

/// A dialog program found on this system.
#[derive(Debug, Clone)]
pub struct Desktop {
    program: PathBuf,
    kind: Kind,
}

/// Each system finds only its own programs: the others are built for the tests alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(dead_code)]
enum Kind {
    Zenity,
    Kdialog,
    Osascript,
}

/// What the dialog's end says.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The text typed (to be checked as a code).
    Typed(Vec<u8>),
    Cancelled,
    /// The dialog gave up by itself.
    TimedOut,
    /// It failed: how it ended.
    Failed(String),
}

/// The dialog this system has for `env`, or why there is none (`no display: ...`).
pub fn find(env: &Env) -> Result<Desktop, String> {
    imp::find(env)
}

#[cfg(target_os = "macos")]
mod imp {
    use super::*;

    pub fn find(_env: &Env) -> Result<Desktop, String> {
        let program = PathBuf::from("/usr/bin/osascript");
        if program.exists() {
            Ok(Desktop {
                program,
                kind: Kind::Osascript,
            })
        } else {
            Err("/usr/bin/osascript is missing".to_owned())
        }
    }
}

#[cfg(not(target_os = "macos"))]
mod imp {
    use super::*;

    pub fn find(env: &Env) -> Result<Desktop, String> {
        let set = |name: &str| env.get(name).is_some_and(|v| !v.is_empty());
        if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
            return Err("no display (DISPLAY and WAYLAND_DISPLAY are not set)".to_owned());
        }
        let kde = env
            .get("XDG_CURRENT_DESKTOP")
            .is_some_and(|d| d.split(':').any(|d| d.eq_ignore_ascii_case("KDE")));
        let order = if kde {
            [("kdialog", Kind::Kdialog), ("zenity", Kind::Zenity)]
        } else {
            [("zenity", Kind::Zenity), ("kdialog", Kind::Kdialog)]
        };
        order
            .into_iter()
            .find_map(|(name, kind)| on_path(name, env).map(|program| Desktop { program, kind }))
            .ok_or_else(|| "neither zenity nor kdialog is on PATH".to_owned())
    }
}

/// `name`'s program in the first folder of PATH that has it as an executable file.
#[cfg_attr(target_os = "macos", allow(dead_code))]
fn on_path(name: &str, env: &Env) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = env.get("PATH")?;
    std::env::split_paths(path)
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(name))
        .find(|file| {
            file.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The AppleScript of the macOS dialog: argv is the text, the title and the seconds.
const APPLESCRIPT: &[&str] = &[
    "on run argv",
    "try",
    "set r to display dialog (item 1 of argv) with title (item 2 of argv) default answer \"\" with hidden answer buttons {\"Cancel\", \"OK\"} default button \"OK\" cancel button \"Cancel\" giving up after ((item 3 of argv) as integer)",
    "on error number -128",
    "return \"cancelled\"",
    "end try",
    "if gave up of r then return \"timed out\"",
    "return \"code:\" & (text returned of r)",
    "end run",
];

impl Desktop {
    /// The program's name: `zenity`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            Kind::Zenity => "zenity",
            Kind::Kdialog => "kdialog",
            Kind::Osascript => "osascript",
        }
    }

    pub fn program(&self) -> &Path {
        &self.program
    }

    /// The command that shows `text` under `title`, giving up after `timeout` (mfa-env stops
    /// it then in any case).
    pub fn command(&self, title: &str, text: &str, timeout: Duration) -> Command {
        let mut cmd = Command::new(&self.program);
        let seconds = timeout.as_secs().max(1).to_string();
        match self.kind {
            Kind::Zenity => {
                let text = text.replace('\\', "\\\\").replace('_', "__");
                cmd.args(["--entry", "--hide-text", "--title", title, "--text"])
                    .arg(text)
                    .args(["--timeout", &seconds]);
            }
            Kind::Kdialog => {
                cmd.args(["--title", title, "--password", text]);
            }
            Kind::Osascript => {
                for line in APPLESCRIPT {
                    cmd.args(["-e", line]);
                }
                cmd.args([text, title, &seconds]);
            }
        }
        cmd
    }

    /// What the dialog's exit and output say.
    pub fn answer(&self, status: ExitStatus, stdout: Vec<u8>) -> Answer {
        use std::os::unix::process::ExitStatusExt;
        let ended = || match (status.code(), status.signal()) {
            (Some(code), _) => format!("exit status {code}"),
            (None, Some(signal)) => format!("killed by signal {signal}"),
            (None, None) => status.to_string(),
        };
        match (self.kind, status.code()) {
            (Kind::Osascript, Some(0)) => {
                let text = stdout.trim_ascii_end();
                if let Some(typed) = text.strip_prefix(b"code:") {
                    Answer::Typed(typed.to_vec())
                } else if text == b"cancelled" {
                    Answer::Cancelled
                } else if text == b"timed out" {
                    Answer::TimedOut
                } else {
                    Answer::Failed("an answer of another form".to_owned())
                }
            }
            (_, Some(0)) => Answer::Typed(stdout),
            (Kind::Zenity | Kind::Kdialog, Some(1)) => Answer::Cancelled,
            (Kind::Zenity, Some(5)) => Answer::TimedOut,
            _ => Answer::Failed(ended()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    fn desktop(kind: Kind) -> Desktop {
        Desktop {
            program: PathBuf::from("/x"),
            kind,
        }
    }

    #[test]
    fn each_dialog_says_cancel_its_own_way() {
        let exit = |code: i32| ExitStatus::from_raw(code << 8);
        let zenity = desktop(Kind::Zenity);
        assert_eq!(
            zenity.answer(exit(0), b"123456\n".to_vec()),
            Answer::Typed(b"123456\n".to_vec())
        );
        assert_eq!(zenity.answer(exit(1), Vec::new()), Answer::Cancelled);
        assert_eq!(zenity.answer(exit(5), Vec::new()), Answer::TimedOut);
        assert_eq!(
            zenity.answer(exit(255), Vec::new()),
            Answer::Failed("exit status 255".into())
        );
        let kdialog = desktop(Kind::Kdialog);
        assert_eq!(kdialog.answer(exit(1), Vec::new()), Answer::Cancelled);
        let osa = desktop(Kind::Osascript);
        assert_eq!(
            osa.answer(exit(0), b"code:123 456\n".to_vec()),
            Answer::Typed(b"123 456".to_vec())
        );
        assert_eq!(
            osa.answer(exit(0), b"cancelled\n".to_vec()),
            Answer::Cancelled
        );
        assert_eq!(
            osa.answer(exit(0), b"timed out\n".to_vec()),
            Answer::TimedOut
        );
        assert!(matches!(osa.answer(exit(1), Vec::new()), Answer::Failed(_)));
    }

    #[test]
    fn the_text_is_an_argument_never_a_script() {
        let args = |kind: Kind| -> Vec<String> {
            desktop(kind)
                .command("mfa-env", "a_b \\n \"x\" & y", Duration::from_secs(60))
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect()
        };
        let zenity = args(Kind::Zenity);
        assert!(
            zenity.contains(&"a__b \\\\n \"x\" & y".to_owned()),
            "{zenity:?}"
        );
        assert!(zenity.contains(&"--hide-text".to_owned()));
        let kdialog = args(Kind::Kdialog);
        assert!(
            kdialog.contains(&"a_b \\n \"x\" & y".to_owned()),
            "{kdialog:?}"
        );
        let osa = args(Kind::Osascript);
        assert_eq!(osa[osa.len() - 3..], ["a_b \\n \"x\" & y", "mfa-env", "60"]);
        assert!(osa.iter().any(|a| a.contains("with hidden answer")));
    }
}
