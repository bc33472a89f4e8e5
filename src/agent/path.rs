//! Where the agent's socket is, and the checks on its directory.

use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::env::Env;
use crate::error::{Error, Result};

/// The longest socket path Linux accepts (sun_path, with its terminating NUL).
const MAX_SOCKET_PATH: usize = 107;

/// The socket, and where its path came from, for messages.
#[derive(Debug, Clone)]
pub struct Place {
    pub socket: PathBuf,
    pub from: &'static str,
}

impl Place {
    pub fn dir(&self) -> &Path {
        self.socket.parent().unwrap_or(Path::new("/"))
    }

    /// The lock file one agent holds while it runs.
    pub fn lock(&self) -> PathBuf {
        let mut name = self.socket.file_name().unwrap_or_default().to_owned();
        name.push(".lock");
        self.dir().join(name)
    }
}

/// The socket: `$MFA_ENV_AGENT_SOCK`, else `$XDG_RUNTIME_DIR/mfa-env/agent.sock`, else
/// `${TMPDIR:-/tmp}/mfa-env-UID/agent.sock`.
pub fn place(env: &Env) -> Result<Place> {
    let set = |name: &str| env.get(name).filter(|v| !v.is_empty());
    let (socket, from) = if let Some(path) = set("MFA_ENV_AGENT_SOCK") {
        (PathBuf::from(path), "MFA_ENV_AGENT_SOCK")
    } else if let Some(dir) = set("XDG_RUNTIME_DIR").filter(|d| d.starts_with('/')) {
        (
            Path::new(dir).join("mfa-env").join("agent.sock"),
            "XDG_RUNTIME_DIR",
        )
    } else {
        // Named after the variable only when the variable gave it.
        let (tmp, from) = match set("TMPDIR").filter(|d| d.starts_with('/')) {
            Some(tmp) => (tmp, "TMPDIR"),
            None => (
                "/tmp",
                "/tmp: no MFA_ENV_AGENT_SOCK, XDG_RUNTIME_DIR or TMPDIR",
            ),
        };
        let uid = rustix::process::getuid().as_raw();
        (
            Path::new(tmp)
                .join(format!("mfa-env-{uid}"))
                .join("agent.sock"),
            from,
        )
    };
    if !socket.is_absolute() || socket.file_name().is_none() {
        return Err(Error::new(format!(
            "the agent's socket {} is not an absolute path to a file",
            socket.display()
        ))
        .hint(
            "set MFA_ENV_AGENT_SOCK to an absolute path, such as /run/user/1000/mfa-env/agent.sock",
        ));
    }
    if socket.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(Error::new(format!(
            "the agent's socket path is {} bytes long: a socket's path holds at most {MAX_SOCKET_PATH}",
            socket.as_os_str().len()
        ))
        .hint("set MFA_ENV_AGENT_SOCK to a shorter path"));
    }
    Ok(Place { socket, from })
}

/// Check the socket's directory: a directory (not a symlink), the user's own, that no one
/// else may enter or write. `create` makes it (mode 0700) when it is missing.
pub fn check_dir(dir: &Path, create: bool) -> Result<()> {
    let meta = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound && create => {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                // Whatever the umask: 0700, as checked below.
                .and_then(|()| {
                    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                })
                .map_err(|e| {
                    Error::new(format!(
                        "cannot create the agent's directory {}: {e}",
                        dir.display()
                    ))
                    .hint("set MFA_ENV_AGENT_SOCK to a path in a directory you own")
                })?;
            std::fs::symlink_metadata(dir)
        }
        other => other,
    }
    .map_err(|e| {
        Error::new(format!(
            "cannot use the agent's directory {}: {e}",
            dir.display()
        ))
        .hint("start the agent with `mfa-env agent start`")
    })?;
    let uid = rustix::process::getuid().as_raw();
    let why = if meta.file_type().is_symlink() {
        Some("it is a symbolic link".to_owned())
    } else if !meta.is_dir() {
        Some("it is not a directory".to_owned())
    } else if meta.uid() != uid {
        Some(format!(
            "it belongs to uid {}, not to you (uid {uid})",
            meta.uid()
        ))
    } else if meta.permissions().mode() & 0o077 != 0 {
        Some(format!(
            "its mode is {:o}: others may enter it",
            meta.permissions().mode() & 0o777
        ))
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => {
            // Only a directory mfa-env makes is suggested for removal: MFA_ENV_AGENT_SOCK may
            // name one in the home directory.
            let ours = dir
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n == "mfa-env" || n.starts_with("mfa-env-"));
            let fix = if meta.file_type().is_symlink() || !meta.is_dir() {
                format!(
                    "remove {}, or set MFA_ENV_AGENT_SOCK to a path in a directory only you can enter",
                    dir.display()
                )
            } else if ours && meta.uid() == uid {
                format!("`chmod 700 {}`", dir.display())
            } else if ours {
                format!("remove {} (it is not yours)", dir.display())
            } else {
                format!(
                    "set MFA_ENV_AGENT_SOCK to a path in a directory only you can enter (mkdir -m 700 DIR), or `chmod 700 {}` if that suits it",
                    dir.display()
                )
            };
            Err(Error::new(format!(
                "the agent's directory {} is not safe to use: {why}",
                dir.display()
            ))
            .hint(fix))
        }
    }
}

/// Whether `path` is a socket the user owns (what a client connects to).
pub fn is_own_socket(path: &Path) -> bool {
    std::fs::symlink_metadata(path)
        .is_ok_and(|m| m.file_type().is_socket() && m.uid() == rustix::process::getuid().as_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_is_where_the_environment_says() {
        let uid = rustix::process::getuid().as_raw();
        let at = |pairs: &[(&str, &str)]| place(&Env::from_pairs(pairs.iter().copied()));
        let given = at(&[
            ("MFA_ENV_AGENT_SOCK", "/s/a.sock"),
            ("XDG_RUNTIME_DIR", "/run/user/1"),
        ]);
        assert_eq!(given.unwrap().socket, Path::new("/s/a.sock"));
        let xdg = at(&[("XDG_RUNTIME_DIR", "/run/user/1"), ("TMPDIR", "/t")]).unwrap();
        assert_eq!(xdg.socket, Path::new("/run/user/1/mfa-env/agent.sock"));
        assert_eq!(xdg.lock(), Path::new("/run/user/1/mfa-env/agent.sock.lock"));
        let tmp = at(&[("TMPDIR", "/t")]).unwrap();
        assert_eq!(
            tmp.socket,
            PathBuf::from(format!("/t/mfa-env-{uid}/agent.sock"))
        );
        assert_eq!(tmp.from, "TMPDIR");
        // Empty or relative is unset, as the XDG spec says; and /tmp is then named as the
        // default it is, not as TMPDIR's.
        for unset in [&[("XDG_RUNTIME_DIR", "run"), ("TMPDIR", "")][..], &[]] {
            let none = at(unset).unwrap();
            assert_eq!(
                none.socket,
                PathBuf::from(format!("/tmp/mfa-env-{uid}/agent.sock"))
            );
            assert_eq!(
                none.from,
                "/tmp: no MFA_ENV_AGENT_SOCK, XDG_RUNTIME_DIR or TMPDIR"
            );
        }
        assert!(at(&[("MFA_ENV_AGENT_SOCK", "agent.sock")]).is_err());
        let long = format!("/{}", "x".repeat(120));
        assert!(at(&[("MFA_ENV_AGENT_SOCK", long.as_str())]).is_err());
    }

    #[test]
    fn a_directory_others_can_enter_or_a_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("agent");
        check_dir(&dir, true).unwrap();
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let err = check_dir(&dir, true).unwrap_err();
        assert!(err.message().contains("its mode is 755"), "{err}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        let err = check_dir(&link, true).unwrap_err();
        assert!(err.message().contains("symbolic link"), "{err}");
        assert!(check_dir(&tmp.path().join("missing"), false).is_err());
    }
}
