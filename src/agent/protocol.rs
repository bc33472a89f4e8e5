//! What client and agent say: one JSON object per line, each carrying `v`, the protocol
//! version. An agent answers a request of another version with `{"v":..,"answer":"version",
//! "version":..,"pid":..}`, a shape kept in every version, so that any client can say which
//! agent it met.

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::secret::Secret;
use crate::session::{Key, Via};
use crate::sts::Session;

/// The protocol's version: a change to any message is a new version.
pub const PROTOCOL: u32 = 3;

/// A request, as the client sends it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "ask", rename_all = "snake_case", deny_unknown_fields)]
pub enum Ask {
    /// Who the agent is.
    Hello,
    /// The session kept under `key` with more than `left` seconds left. When there is none,
    /// the asker obtains it (and `put`s it); others asking for it meanwhile wait.
    Get { key: Key, left: u64 },
    /// Keep a session, whose code was had `via` (what `status` shows).
    Put { key: Key, session: Wire, via: Via },
    /// What the agent holds, never a secret.
    Status,
    /// Drop every session, or those of a profile (named, or holding the keys).
    Forget { profile: Option<String> },
    /// Drop everything and exit.
    Stop,
}

/// An answer.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Answer {
    Hello {
        version: String,
        pid: u32,
    },
    Session {
        session: Wire,
        via: Via,
    },
    /// None kept: the asker obtains it.
    Miss,
    /// Another process (`pid`) is obtaining it: wait for the next answer.
    Wait {
        pid: u32,
    },
    Done,
    Status(Status),
    /// Sessions dropped, and sessions being obtained that will not be kept.
    Forgot {
        count: usize,
        obtaining: usize,
    },
    /// The request was of another protocol version: this is the agent's.
    Version {
        version: String,
        pid: u32,
    },
    Error {
        message: String,
    },
}

/// A message with its version.
#[derive(Debug, Serialize, Deserialize)]
pub struct Message<T> {
    pub v: u32,
    #[serde(flatten)]
    pub body: T,
}

/// The version of a line, read before the rest: the rest is another version's business.
#[derive(Deserialize)]
pub struct VersionOnly {
    pub v: u32,
}

/// A session on the wire: cleared when dropped, like a `Secret`.
#[derive(Serialize, Deserialize)]
pub struct Wire {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: i64,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Wire({}, <redacted>)", self.access_key_id)
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.secret_access_key.zeroize();
        self.session_token.zeroize();
    }
}

impl From<&Session> for Wire {
    fn from(s: &Session) -> Wire {
        Wire {
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.expose().to_owned(),
            session_token: s.session_token.expose().to_owned(),
            expiration: s.expiration,
        }
    }
}

impl Wire {
    /// Why this is not a session STS could have sent, if it is not: what the agent hands over
    /// is checked as an STS answer is, since any process of the user can put a session there.
    pub fn unlike_sts(&self) -> Option<String> {
        // GetSessionToken's longest session, and the clock skew an STS answer may have.
        let latest = crate::time::now() + 36 * 3600 + 5 * 60;
        if self.expiration > latest {
            return Some(
                "its expiration is later than any STS session lasts (36 hours)".to_owned(),
            );
        }
        [
            ("AccessKeyId", &self.access_key_id),
            ("SecretAccessKey", &self.secret_access_key),
            ("SessionToken", &self.session_token),
        ]
        .into_iter()
        .find_map(|(field, value)| {
            crate::sts::unlike_sts(field, value).map(|why| format!("its {field} {why}"))
        })
    }

    /// The session, its secrets moved (not copied) into `Secret`s.
    pub fn into_session(mut self) -> Session {
        Session {
            access_key_id: std::mem::take(&mut self.access_key_id),
            secret_access_key: Secret::new(std::mem::take(&mut self.secret_access_key)),
            session_token: Secret::new(std::mem::take(&mut self.session_token)),
            expiration: self.expiration,
        }
    }
}

/// What `agent status` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    pub version: String,
    pub pid: u32,
    /// Seconds since the epoch.
    pub started: i64,
    /// Seconds of idleness, holding nothing, after which it exits.
    pub idle_exit: u64,
    /// Whether its secrets are locked in memory (never swapped out).
    pub memory_locked: bool,
    pub sessions: Vec<SessionInfo>,
}

/// One session held, without its secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionInfo {
    /// A short id of everything that made it (its whole key): two sessions of one profile,
    /// from other files, another key or endpoint, tell apart by it.
    pub id: String,
    /// The config and credentials files of the process that obtained it, when known.
    pub config: Option<String>,
    pub credentials: Option<String>,
    pub profile: String,
    pub source: String,
    pub serial: Option<String>,
    pub role: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// Seconds since the epoch.
    pub expiration: i64,
    /// How the code that made it was had: the terminal, a dialog, askpass, --code,
    /// mfa_process; or none (a role from a kept MFA session).
    pub via: Via,
}

/// A message as one line, its bytes cleared by the caller once sent. Written into room for
/// the longest line, so that a session is not left behind in a block a growing buffer frees.
pub fn line<T: Serialize>(body: T) -> Vec<u8> {
    let mut out = Vec::with_capacity(super::MAX_LINE);
    if serde_json::to_writer(&mut out, &Message { v: PROTOCOL, body }).is_err() {
        out.zeroize();
        out.clear();
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_answer_keeps_its_shape() {
        let text = String::from_utf8(line(Answer::Version {
            version: "0.1.0".into(),
            pid: 7,
        }))
        .unwrap();
        assert_eq!(
            text,
            "{\"v\":3,\"answer\":\"version\",\"version\":\"0.1.0\",\"pid\":7}\n"
        );
        let ask: Message<Ask> =
            serde_json::from_str("{\"v\":3,\"ask\":\"forget\",\"profile\":\"dev\"}").unwrap();
        assert!(matches!(ask.body, Ask::Forget { profile: Some(p) } if p == "dev"));
        assert!(serde_json::from_str::<Message<Ask>>("{\"v\":3,\"ask\":\"rm\"}").is_err());
    }

    #[test]
    fn a_session_handed_over_is_checked_as_an_sts_answer_is() {
        let wire = |id: &str, secret: &str| Wire {
            access_key_id: id.to_owned(),
            secret_access_key: secret.to_owned(),
            session_token: "token/value==".to_owned(),
            expiration: 0,
        };
        assert_eq!(wire("ASIAX", "se+cret/=").unlike_sts(), None);
        let why = wire("ASIA$(touch x)", "s").unlike_sts().unwrap();
        assert!(
            why.starts_with("its AccessKeyId holds characters other than A-Z"),
            "{why}"
        );
        let why = wire("ASIAX", "a'b").unlike_sts().unwrap();
        assert!(why.starts_with("its SecretAccessKey holds"), "{why}");
        // The value itself is never part of what is said.
        assert!(!why.contains("a'b"));
        assert!(wire("", "s").unlike_sts().is_some());
    }
}
