//! Where the agent's socket is, and the checks on its directory.

use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use crate::env::Env;
use crate::error::{Error, Result};

/// The longest socket path this system accepts (108 bytes on Linux, 104 on macOS and the
/// BSDs, with the terminating NUL): see `sys::socket`.
const MAX_SOCKET_PATH: usize = crate::sys::socket::MAX_PATH;

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

/// The socket: `$MFA_ENV_AGENT_SOCK`, else `$XDG_RUNTIME_DIR/mfa-env/agent.sock`, else in a
/// directory no other user can take where there is one: a private `$TMPDIR` (macOS gives
/// each user one), else the login's runtime directory `/run/user/UID` (where XDG_RUNTIME_DIR
/// is unset: cron, su, ...); else `${TMPDIR:-/tmp}/mfa-env-UID/agent.sock`, which another
/// user may take first (`check_dir` says what to do then).
pub fn place(env: &Env) -> Result<Place> {
    place_with(env, Path::new("/run/user"))
}

/// Whether `dir` is a directory of `uid`'s in which no one else can make an entry.
fn is_private(dir: &Path, uid: u32) -> bool {
    std::fs::metadata(dir)
        .is_ok_and(|m| m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o022 == 0)
}

fn place_with(env: &Env, run_user: &Path) -> Result<Place> {
    let set = |name: &str| env.get(name).filter(|v| !v.is_empty());
    let (socket, from) = if let Some(path) = set("MFA_ENV_AGENT_SOCK") {
        (PathBuf::from(path), "MFA_ENV_AGENT_SOCK")
    } else if let Some(dir) = set("XDG_RUNTIME_DIR").filter(|d| d.starts_with('/')) {
        (
            Path::new(dir).join("mfa-env").join("agent.sock"),
            "XDG_RUNTIME_DIR",
        )
    } else {
        let uid = rustix::process::getuid().as_raw();
        let tmp = set("TMPDIR").filter(|d| d.starts_with('/'));
        let login = run_user.join(uid.to_string());
        let in_tmp = |tmp: &str| {
            Path::new(tmp)
                .join(format!("mfa-env-{uid}"))
                .join("agent.sock")
        };
        match tmp {
            Some(tmp) if is_private(Path::new(tmp), uid) => (in_tmp(tmp), "TMPDIR"),
            _ if is_private(&login, uid) => (
                login.join("mfa-env").join("agent.sock"),
                "your login's runtime directory",
            ),
            // Named after the variable only when the variable gave it.
            Some(tmp) => (in_tmp(tmp), "TMPDIR"),
            None => (
                in_tmp("/tmp"),
                "/tmp: no MFA_ENV_AGENT_SOCK, XDG_RUNTIME_DIR or TMPDIR",
            ),
        }
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
    // Said here, with where the path came from, rather than as the bind's or connect's
    // "invalid argument".
    if socket.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(Error::new(format!(
            "the agent's socket path {} (from {from}) is {} bytes long: a Unix socket's path holds at most {MAX_SOCKET_PATH} bytes on this system",
            socket.display(),
            socket.as_os_str().len()
        ))
        .hint("set MFA_ENV_AGENT_SOCK to a shorter path"));
    }
    Ok(Place { socket, from })
}

/// Check the socket's directory: a directory (not a symlink), the user's own, that no one
/// else may enter or write. `create` makes it (mode 0700) when it is missing: with one
/// mkdir (its parent must exist), then opened without following a link and checked and
/// chmod-ed through that descriptor, so that an entry swapped in between (another user's
/// symlink, in a shared /tmp) is refused and never chmod-ed.
pub fn check_dir(dir: &Path, create: bool) -> Result<()> {
    let made = create && make_dir(dir)?;
    let uid = rustix::process::getuid().as_raw();
    let opened = rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    );
    let fd = match opened {
        Ok(fd) => fd,
        // A symbolic link (ELOOP) or something else than a directory (ENOTDIR): refused, as
        // its entry (lstat) tells.
        Err(e) if e == Errno::LOOP || e == Errno::NOTDIR => {
            let meta = std::fs::symlink_metadata(dir).ok();
            let why = if meta.as_ref().is_some_and(|m| m.file_type().is_symlink()) {
                "it is a symbolic link"
            } else {
                "it is not a directory"
            };
            let owner = meta.map_or(uid, |m| m.uid());
            return Err(unsafe_dir(dir, why, fix_for_entry(dir, owner, uid)));
        }
        Err(e) => {
            return Err(Error::new(format!(
                "cannot use the agent's directory {}: {}",
                dir.display(),
                std::io::Error::from(e)
            ))
            .hint("start the agent with `mfa-env agent start`"));
        }
    };
    let stat = rustix::fs::fstat(&fd).map_err(|e| {
        Error::new(format!(
            "cannot use the agent's directory {}: {}",
            dir.display(),
            std::io::Error::from(e)
        ))
    })?;
    if stat.st_uid != uid {
        return Err(unsafe_dir(
            dir,
            &format!("it belongs to uid {}, not to you (uid {uid})", stat.st_uid),
            fix_for_entry(dir, stat.st_uid, uid),
        ));
    }
    if made {
        // Whatever the umask: 0700, on the directory just opened, never on a path.
        rustix::fs::fchmod(&fd, Mode::RWXU).map_err(|e| {
            Error::new(format!(
                "cannot set the mode of the agent's directory {}: {}",
                dir.display(),
                std::io::Error::from(e)
            ))
        })?;
        return Ok(());
    }
    let mode = stat.st_mode & 0o777;
    if mode & 0o077 != 0 {
        let fix = if is_ours(dir) {
            format!("`chmod 700 {}`", dir.display())
        } else {
            format!(
                "set MFA_ENV_AGENT_SOCK to a path in a directory only you can enter (mkdir -m 700 DIR), or `chmod 700 {}` if that suits it",
                dir.display()
            )
        };
        return Err(unsafe_dir(
            dir,
            &format!("its mode is {mode:o}: others may enter it"),
            fix,
        ));
    }
    Ok(())
}

/// mkdir, not recursive: whether it was made now (false: something is there already).
fn make_dir(dir: &Path) -> Result<bool> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
        Err(e) => {
            let parent = dir.parent().unwrap_or(Path::new("/"));
            let hint = if e.kind() == ErrorKind::NotFound {
                format!(
                    "{} does not exist: create it (mkdir -m 700), or set MFA_ENV_AGENT_SOCK to a path in a directory you own",
                    parent.display()
                )
            } else {
                "set MFA_ENV_AGENT_SOCK to a path in a directory you own".to_owned()
            };
            Err(Error::new(format!(
                "cannot create the agent's directory {}: {e}",
                dir.display()
            ))
            .hint(hint))
        }
    }
}

fn unsafe_dir(dir: &Path, why: &str, fix: String) -> Error {
    Error::new(format!(
        "the agent's directory {} is not safe to use: {why}",
        dir.display()
    ))
    .hint(fix)
}

/// Whether mfa-env names directories so (`mfa-env`, `mfa-env-UID`): only such a one is
/// suggested for removal or chmod; MFA_ENV_AGENT_SOCK may name one in the home directory.
fn is_ours(dir: &Path) -> bool {
    dir.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "mfa-env" || n.starts_with("mfa-env-"))
}

/// What to do about an entry (a link, a file, a directory) at the directory's path that
/// cannot be used: removing one of another user's is not possible in a shared /tmp (the
/// sticky bit), so only a private place works then.
fn fix_for_entry(dir: &Path, owner: u32, uid: u32) -> String {
    if owner == uid {
        format!("remove {}, or {}", dir.display(), private_place(uid))
    } else {
        format!(
            "another user (uid {owner}) made it, and in a shared directory such as /tmp you cannot remove it: {}",
            private_place(uid)
        )
    }
}

/// How to give the agent a place that no other user can take, for every shell and process
/// (in the shell's start-up file): the login's runtime directory where there is one.
fn private_place(uid: u32) -> String {
    let run = PathBuf::from(format!("/run/user/{uid}"));
    let private = std::fs::symlink_metadata(&run)
        .is_ok_and(|m| m.is_dir() && m.uid() == uid && m.permissions().mode() & 0o077 == 0);
    if private {
        format!(
            "set XDG_RUNTIME_DIR={} (your login's runtime directory) or MFA_ENV_AGENT_SOCK to a path in a directory only you can enter, in your shell's start-up file",
            run.display()
        )
    } else {
        "set MFA_ENV_AGENT_SOCK to a path in a directory only you can enter (`mkdir -m 700 ~/.mfa-env`, then MFA_ENV_AGENT_SOCK=$HOME/.mfa-env/agent.sock), or XDG_RUNTIME_DIR to such a directory, in your shell's start-up file".to_owned()
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
        // No login runtime directory (/run/user/UID), whatever this machine has.
        let nowhere = Path::new("/nonexistent/run/user");
        let at =
            |pairs: &[(&str, &str)]| place_with(&Env::from_pairs(pairs.iter().copied()), nowhere);
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

    /// The longest socket path this system takes (107 bytes on Linux, 103 on macOS and
    /// FreeBSD) is used; one byte more is refused with a message that says so and where the
    /// path came from, whichever variable made it, before any bind could fail.
    #[test]
    fn a_socket_path_past_the_systems_limit_is_refused_clearly() {
        // Each system's value is sys::socket's (and its test's).
        let limit = crate::sys::socket::MAX_PATH;
        let nowhere = Path::new("/nonexistent/run/user");
        let at =
            |pairs: &[(&str, &str)]| place_with(&Env::from_pairs(pairs.iter().copied()), nowhere);
        let tail = "/mfa-env/agent.sock".len();
        for (name, len) in [("MFA_ENV_AGENT_SOCK", 0), ("XDG_RUNTIME_DIR", tail)] {
            let path = |total: usize| format!("/{}", "d".repeat(total - len - 1));
            let longest = path(limit);
            let fits = at(&[(name, &longest)]).unwrap();
            assert_eq!(fits.socket.as_os_str().len(), limit);
            let over = path(limit + 1);
            let refused = at(&[(name, &over)]).unwrap_err().to_string();
            assert!(
                refused.contains(&format!(
                    "(from {name}) is {} bytes long: a Unix socket's path holds at most {limit} bytes on this system",
                    limit + 1
                )),
                "{refused}"
            );
        }
    }

    #[test]
    fn a_private_place_comes_before_a_shared_tmp() {
        let uid = rustix::process::getuid().as_raw();
        let root = tempfile::tempdir().unwrap();
        let mode = |dir: &Path, mode: u32| {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        let shared = root.path().join("shared");
        let private = root.path().join("private");
        let run_user = root.path().join("run-user");
        for dir in [&shared, &private, &run_user.join(uid.to_string())] {
            std::fs::create_dir_all(dir).unwrap();
        }
        mode(&shared, 0o1777);
        mode(&private, 0o700);
        mode(&run_user.join(uid.to_string()), 0o700);
        let at = |tmp: Option<&Path>, run_user: &Path| {
            let tmp = tmp.map(|t| t.display().to_string());
            let pairs: Vec<(&str, &str)> = tmp.iter().map(|t| ("TMPDIR", t.as_str())).collect();
            place_with(&Env::from_pairs(pairs), run_user)
                .unwrap()
                .socket
        };
        // A private TMPDIR first (macOS), then the login's runtime directory, then a shared
        // TMPDIR or /tmp.
        let in_dir = |dir: &Path| dir.join(format!("mfa-env-{uid}/agent.sock"));
        assert_eq!(at(Some(&private), &run_user), in_dir(&private));
        let login = run_user.join(format!("{uid}/mfa-env/agent.sock"));
        assert_eq!(at(Some(&shared), &run_user), login);
        assert_eq!(at(None, &run_user), login);
        let nowhere = root.path().join("none");
        assert_eq!(at(Some(&shared), &nowhere), in_dir(&shared));
        assert_eq!(at(None, &nowhere), in_dir(Path::new("/tmp")));
        // A runtime directory others may write to is no such place.
        mode(&run_user.join(uid.to_string()), 0o777);
        assert_eq!(at(None, &run_user), in_dir(Path::new("/tmp")));
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
        // Not recursive: a missing parent is named, not made.
        let err = check_dir(&tmp.path().join("no/agent"), true).unwrap_err();
        assert!(err.hint_text().unwrap().contains("does not exist"), "{err}");
        assert!(!tmp.path().join("no").exists());
    }

    #[test]
    fn a_link_swapped_in_while_the_directory_is_made_is_never_chmod_ed() {
        // Another process swaps the directory being made for a link to a directory of the
        // user's, again and again: a chmod by path would follow the link and lock that
        // directory to 0700 (a review won that race after 415 tries).
        use std::sync::atomic::{AtomicBool, Ordering};
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::create_dir(&victim).unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o755)).unwrap();
        let dir = tmp.path().join("mfa-env-race");
        let done = AtomicBool::new(false);
        let tries = std::thread::scope(|s| {
            s.spawn(|| {
                while !done.load(Ordering::Relaxed) {
                    if std::fs::remove_dir(&dir).is_ok() {
                        let _ = std::os::unix::fs::symlink(&victim, &dir);
                        std::thread::yield_now();
                        let _ = std::fs::remove_file(&dir);
                    }
                }
            });
            let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
            let mut tries = 0;
            while std::time::Instant::now() < until && tries < 100_000 {
                tries += 1;
                let _ = check_dir(&dir, true);
                let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
                if mode != 0o755 {
                    break;
                }
            }
            done.store(true, Ordering::Relaxed);
            tries
        });
        let mode = std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o755, "chmod-ed through the link after {tries} tries");
    }
}
