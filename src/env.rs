//! The process environment, read once at start-up so that everything below works on data.

use std::collections::HashMap;
use std::ffi::OsString;

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

    pub fn home(&self) -> Option<OsString> {
        self.get("HOME").map(OsString::from)
    }

    /// The local user's name: USER, else LOGNAME, else the login name of this process's user
    /// in the user database (sudo -i, cron and containers often set neither variable).
    pub fn user(&self) -> Option<String> {
        match self.get("USER").or_else(|| self.get("LOGNAME")) {
            Some(user) => Some(user.to_owned()),
            None => login_name(),
        }
    }
}

/// The name of the real user ID in the user database (/etc/passwd, or LDAP and the like
/// through NSS). Not getlogin_r: it asks utmp about the controlling terminal, and a command
/// run from cron, a container or `$(...)` under setsid has none.
#[allow(unsafe_code)]
fn login_name() -> Option<String> {
    let uid = rustix::process::getuid().as_raw();
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: passwd is plain data, zeroed; getpwuid_r fills it with pointers into `buf`
        // (of the length given), which outlives their use here, and sets `found` to it or to
        // null. The name is copied before `buf` can be freed or grown.
        let (rc, name) = unsafe {
            let mut entry: libc::passwd = std::mem::zeroed();
            let mut found: *mut libc::passwd = std::ptr::null_mut();
            let rc = libc::getpwuid_r(
                uid,
                &mut entry,
                buf.as_mut_ptr().cast(),
                buf.len(),
                &mut found,
            );
            let name = (rc == 0 && !found.is_null() && !entry.pw_name.is_null()).then(|| {
                std::ffi::CStr::from_ptr(entry.pw_name)
                    .to_string_lossy()
                    .into_owned()
            });
            (rc, name)
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        return name.filter(|n| !n.is_empty());
    }
}
