//! The process environment, read once at start-up so that everything below works on data.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

#[derive(Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

// The environment may hold AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN: Debug shows names only.
impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.vars.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_struct("Env").field("names", &names).finish()
    }
}

impl Env {
    pub fn real() -> Self {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// A variable's value; unset and empty are the same, as the AWS CLI treats them.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The home directory, where `~` points: HOME when it is set and not empty, else this
    /// user's home in the user database, as Python's `os.path.expanduser` finds it for the
    /// AWS CLI. Never a relative path: with HOME unset, `~/.aws/config` must not become
    /// `./~/.aws/config`, a file that a cloned repository can hold (with an `mfa_process` that
    /// would run, or an `endpoint_url` that would receive the signed request). A relative
    /// HOME is refused for the same reason. The error says why there is no home.
    pub fn home(&self) -> Result<PathBuf, String> {
        match self.get("HOME") {
            Some(home) if home.starts_with('/') => Ok(PathBuf::from(home)),
            Some(home) => Err(format!("HOME is '{home}', which is not an absolute path")),
            None => {
                let uid = rustix::process::getuid().as_raw();
                user_database(uid).and_then(|u| u.home).ok_or_else(|| {
                    format!(
                        "HOME is not set, and the user database has no home directory for user id {uid}"
                    )
                })
            }
        }
    }

    /// The local user's name: USER, else LOGNAME, else the login name of this process's user
    /// in the user database (sudo -i, cron and containers often set neither variable).
    pub fn user(&self) -> Option<String> {
        match self.get("USER").or_else(|| self.get("LOGNAME")) {
            Some(user) => Some(user.to_owned()),
            None => user_database(rustix::process::getuid().as_raw()).and_then(|u| u.name),
        }
    }
}

/// A user's entry in the user database, as far as mfa-env uses it.
#[derive(Debug, PartialEq)]
struct User {
    /// The login name, if not empty.
    name: Option<String>,
    /// The home directory, if it is an absolute path.
    home: Option<PathBuf>,
}

/// The entry of user `uid` in the user database (/etc/passwd, or LDAP and the like through
/// NSS). Not getlogin_r for the name: it asks utmp about the controlling terminal, and a
/// command run from cron, a container or `$(...)` under setsid has none.
#[allow(unsafe_code)]
fn user_database(uid: u32) -> Option<User> {
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: passwd is plain data, zeroed; getpwuid_r fills it with pointers into `buf`
        // (of the length given), which outlives their use here, and sets `found` to it or to
        // null. The strings are copied before `buf` can be freed or grown.
        let (rc, user) = unsafe {
            let mut entry: libc::passwd = std::mem::zeroed();
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwuid_r(
                uid,
                &mut entry,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            );
            let copy = |p: *const libc::c_char| {
                (!p.is_null()).then(|| std::ffi::CStr::from_ptr(p).to_bytes().to_vec())
            };
            let user = (rc == 0 && !found.is_null()).then(|| User {
                name: copy(entry.pw_name)
                    .map(|n| String::from_utf8_lossy(&n).into_owned())
                    .filter(|n| !n.is_empty()),
                home: copy(entry.pw_dir)
                    .map(|d| PathBuf::from(OsString::from_vec(d)))
                    .filter(|d| d.is_absolute()),
            });
            (rc, user)
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        return user;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_is_never_relative() {
        let home = |value: Option<&str>| Env::from_pairs(value.map(|v| ("HOME", v))).home();
        assert_eq!(home(Some("/home/me")), Ok(PathBuf::from("/home/me")));
        for relative in ["~", "foo", "./foo", "~/x"] {
            let err = home(Some(relative)).unwrap_err();
            assert!(err.contains("not an absolute path"), "{relative}: {err}");
        }
        // Unset and empty: the user database's entry for this user (the tests' user has
        // one), an absolute path.
        let uid = rustix::process::getuid().as_raw();
        for unset in [None, Some("")] {
            let found = home(unset).unwrap();
            assert!(found.is_absolute(), "{found:?}");
            assert_eq!(Some(found), user_database(uid).and_then(|u| u.home));
        }
        assert_eq!(user_database(u32::MAX - 7), None);
    }
}
