//! Sessions kept beyond the call that obtained them: by the agent for every process of the
//! user, or by one long process for itself (`exec --server`). One MFA code then serves many
//! sessions: a role is assumed from the MFA session kept (GetSessionToken's credentials
//! carry the MFA context) with no new code.
//!
//! What keeps them is behind `Keep`; this module decides what a session is kept under
//! (`Key`), when a kept one serves, and how a missing one is made from what is kept.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{
    CHAINED_MAX, Note, Notes, ROLE_DEFAULT, ROLE_MIN, Request, SESSION_DEFAULT, Via, assume_from,
    session_token_with,
};
use crate::env::Env;
use crate::error::{Reason, Result};
use crate::sts::Session;

/// A role session kept is renewed when less than this is left: an SDK refreshes 15 minutes
/// before the expiry it was given (botocore's advisory refresh), and must get one with time
/// left.
pub const ROLE_RENEW: Duration = Duration::from_secs(15 * 60);

/// What a session is kept under: everything that made it. Two requests share a session only
/// when all of it is equal; the first fields are also what `agent status` shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    /// The profile named (a role's), or for an MFA session the profile holding the keys.
    pub profile: String,
    /// The profile holding the long-term keys: `forget` of it forgets what came from them.
    pub source: String,
    /// The MFA device whose code made the session, if any.
    pub serial: Option<String>,
    /// The last role of the chain; none for an IAM user's own (GetSessionToken) session.
    pub role: Option<String>,
    /// The account the session acts in, where an ARN says.
    pub account: Option<String>,
    /// The region exported with it; none for an MFA session, which serves every region of its
    /// partition.
    pub region: Option<String>,
    /// The rest of what made it, as one string: the files, the long-term key, the endpoint,
    /// the partition, each role of the chain.
    pub scope: String,
}

/// What keeps sessions. `get` may hand the caller the duty to obtain the session (the agent
/// makes other askers of the same key wait for it); `put` ends that duty.
pub trait Keep {
    /// The session kept under `key` with more than `left` of it left.
    fn get(&mut self, key: &Key, left: Duration) -> Option<Session>;
    /// Keep `session` under `key`, replacing what was there; `via` says how its code was had.
    fn put(&mut self, key: &Key, session: &Session, via: Via);
    /// Who held the session the last `get` gave, for the notes.
    fn holder(&self) -> Holder {
        Holder::Agent
    }
    /// How the code of the session the last `get` gave was had, when known.
    fn via(&self) -> Option<Via> {
        None
    }
}

/// Who held a kept session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// The agent (or, for `exec --server`, its own memory beside it).
    Agent,
    /// This shell: the MFA session an earlier `mfa-env` exported into it.
    Shell,
}

impl Holder {
    /// Who holds it, as a note says: "the MFA session the agent holds".
    pub fn holds(self) -> &'static str {
        match self {
            Holder::Agent => "the agent holds",
            Holder::Shell => "this shell holds",
        }
    }
}

/// Sessions kept in this process's memory only, each with how its code was had; and that of
/// the one the last `get` gave.
#[derive(Default)]
pub struct Memory(Vec<(Key, Session, Via)>, Option<Via>);

impl Keep for Memory {
    fn get(&mut self, key: &Key, left: Duration) -> Option<Session> {
        let now = crate::time::now();
        let (_, session, via) = self
            .0
            .iter()
            .find(|(k, s, _)| k == key && lasts(s, now, left))?;
        self.1 = Some(*via);
        Some(session.clone())
    }

    fn put(&mut self, key: &Key, session: &Session, via: Via) {
        self.0.retain(|(k, _, _)| k != key);
        self.0.push((key.clone(), session.clone(), via));
    }

    fn via(&self) -> Option<Via> {
        self.1
    }
}

/// The agent's keeping with this process's memory beside it: what the agent loses (stopped,
/// restarted, gone) this process still has, and gives back to it. For a process that lives
/// long (`exec --server`).
pub struct WithMemory<K> {
    first: Option<K>,
    memory: Memory,
    /// Who holds what the memory gives, and who held the session the last `get` gave.
    memory_is: Holder,
    served: Holder,
}

impl<K: Keep> WithMemory<K> {
    pub fn new(first: Option<K>) -> Self {
        WithMemory {
            first,
            memory: Memory::default(),
            memory_is: Holder::Agent,
            served: Holder::Agent,
        }
    }

    /// The agent's keeping, if any, with the MFA session this shell holds beside it (see
    /// `Request::held_mfa`): a role is assumed from that session with no code, as from one
    /// the agent keeps, and the agent gets it for the next process. Nothing is kept in the
    /// shell: the memory lives as long as this one-shot command.
    pub fn with_held(first: Option<K>, held: Option<(Key, Session)>) -> Self {
        let mut keep = WithMemory {
            memory_is: Holder::Shell,
            ..WithMemory::new(first)
        };
        if let Some((key, session)) = held {
            keep.memory.put(&key, &session, Via::Shell);
        }
        keep
    }
}

impl<K: Keep> Keep for WithMemory<K> {
    fn get(&mut self, key: &Key, left: Duration) -> Option<Session> {
        if let Some(first) = &mut self.first
            && let Some(session) = first.get(key, left)
        {
            let via = first.via().unwrap_or(Via::KeptMfa);
            self.memory.put(key, &session, via);
            self.served = Holder::Agent;
            return Some(session);
        }
        let session = self.memory.get(key, left)?;
        self.served = self.memory_is;
        // The agent did not have it (and may have made this process the one to obtain it):
        // it gets it back.
        let via = self.memory.via().unwrap_or(Via::KeptMfa);
        if let Some(first) = &mut self.first {
            first.put(key, &session, via);
        }
        Some(session)
    }

    fn put(&mut self, key: &Key, session: &Session, via: Via) {
        if let Some(first) = &mut self.first {
            first.put(key, session, via);
        }
        self.memory.put(key, session, via);
    }

    fn holder(&self) -> Holder {
        self.served
    }
}

/// Whether `session` has more than `left` left at `now` (seconds since the epoch).
pub fn lasts(session: &Session, now: i64, left: Duration) -> bool {
    session.expiration - now > i64::try_from(left.as_secs()).unwrap_or(i64::MAX)
}

/// Where a session came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Kept, and it served as it is.
    Kept,
    /// A role assumed from a kept MFA session, with no code.
    FromKeptMfa(Holder),
    /// Obtained as without a keeper (a code, or no MFA at all).
    New,
}

impl Request<'_> {
    /// The key of the session this request asks for.
    pub fn key(&self, env: &Env) -> Key {
        let r = &self.resolved;
        // An IAM user's own session is the MFA session its roles are assumed from.
        if r.roles.is_empty()
            && let Some(key) = self.mfa_key(env)
        {
            return key;
        }
        let id = self.identity();
        let mut scope = self.base_scope(env);
        for role in &r.roles {
            scope.push_str(&format!(
                "\nrole={} name={} external={:?} mfa={:?}",
                role.arn, role.session_name, role.external_id, role.mfa_serial
            ));
        }
        Key {
            profile: r.name.clone(),
            source: r.keys_profile.clone(),
            serial: r
                .mfa_role()
                .map(|(_, s)| s)
                .or(r.mfa_serial.as_deref())
                .map(str::to_owned),
            role: id.role.map(str::to_owned),
            account: id.account.map(str::to_owned),
            region: Some(r.region.clone()),
            scope,
        }
    }

    /// The key of the MFA session a role chain is assumed from: the IAM user's own session
    /// (GetSessionToken with the device of the chain's first role), when the chain's first
    /// call is the one that takes the code.
    pub fn mfa_key(&self, env: &Env) -> Option<Key> {
        let r = &self.resolved;
        let serial = match r.mfa_role() {
            Some((0, serial)) => serial,
            _ if r.roles.is_empty() => r.mfa_serial.as_deref()?,
            _ => return None,
        };
        Some(Key {
            profile: r.keys_profile.clone(),
            source: r.keys_profile.clone(),
            serial: Some(serial.to_owned()),
            role: None,
            account: super::account(serial).map(str::to_owned),
            region: None,
            scope: self.base_scope(env),
        })
    }

    /// What every session of these keys shares: the files, the key, the endpoint, the
    /// partition (a session of one partition is no use in another).
    fn base_scope(&self, env: &Env) -> String {
        let r = &self.resolved;
        let (config, credentials) = crate::profile::file_paths(env)
            .map(|(c, k)| (absolute(&c), absolute(&k)))
            .unwrap_or_default();
        format!(
            "config={config}\ncredentials={credentials}\nkey={}\nendpoint={:?} fips={} dualstack={}\npartition={}",
            r.keys.access_key_id,
            r.endpoint.url,
            r.endpoint.fips,
            r.endpoint.dual_stack,
            // A session is no use in another partition.
            crate::profile::partition(&r.region)
        )
    }

    /// A session for the request through `keep`: the one kept under its key while it has time
    /// left, else a role assumed from the MFA session kept (no code; at most 1 hour, as STS
    /// allows with such credentials), else a new one as `obtain` makes it. What is obtained
    /// is kept.
    pub async fn obtain_kept(
        &mut self,
        env: &Env,
        notes: &mut Notes,
        keep: &mut (dyn Keep + Send),
    ) -> Result<(Session, Origin)> {
        let key = self.key(env);
        self.code.used = None;
        let is_role = !self.resolved.roles.is_empty();
        // The length asked is checked as without a keeper, before anything kept serves it.
        self.length()?;
        if let Some(min) = self.keep {
            // A role session is renewed earlier (see ROLE_RENEW), but one that short (15
            // minutes) at half its length, or it would be assumed again at every request.
            let role_len = (self.duration.or(self.resolved.duration)).unwrap_or(ROLE_DEFAULT);
            let renew = ROLE_RENEW.min(role_len / 2);
            let mut left = if is_role { min.max(renew) } else { min };
            // An export asking for a length gets a session with that much left; renewals of
            // one command's session are not new asks.
            if let Some(d) = self.duration.filter(|_| !self.serving) {
                left = left.max(d.saturating_sub(min));
            }
            if let Some(session) = keep.get(&key, left) {
                return Ok((session, Origin::Kept));
            }
        } else {
            // A new session whatever is kept (--force): asked all the same, since asking is
            // also how others wanting it learn to wait for this one instead of asking for a
            // code of their own. No session lasts forever: none is given.
            let _ = keep.get(&key, Duration::MAX);
        }
        let mfa_key = self.mfa_key(env);
        let role_from_mfa = is_role
            && mfa_key.is_some()
            && self
                .duration
                .or(self.resolved.duration)
                .unwrap_or(ROLE_DEFAULT)
                <= CHAINED_MAX;
        let (session, origin) = match (mfa_key, role_from_mfa) {
            (Some(mfa_key), true) => {
                // Long enough for the role sessions assumed from it to get their hour.
                let (mfa, from) = match keep.get(&mfa_key, CHAINED_MAX.max(ROLE_MIN)) {
                    Some(mfa) => (mfa, Origin::FromKeptMfa(keep.holder())),
                    // Obtained now, with a code: the role did need one.
                    None => {
                        let mfa = self.mfa_session(env, notes).await?;
                        keep.put(&mfa_key, &mfa, self.via());
                        (mfa, Origin::New)
                    }
                };
                let d = self.duration.or(self.resolved.duration);
                match assume_from(&mfa, d, &self.resolved, notes).await {
                    Ok(session) if from == Origin::New => (session, from),
                    Ok(session) => {
                        self.code.used = Some(match from {
                            Origin::FromKeptMfa(Holder::Shell) => Via::Shell,
                            _ => Via::KeptMfa,
                        });
                        (session, from)
                    }
                    // A trust policy may refuse a session that old (aws:MultiFactorAuthAge)
                    // where a fresh code would do: assumed with a code, as without the agent.
                    // An MFA session obtained just now with a code is as fresh as it gets:
                    // its refusal stands.
                    Err(e) if e.is(Reason::RoleRefused) => {
                        let Origin::FromKeptMfa(holder) = from else {
                            return Err(e);
                        };
                        notes(Note::RefusedFromKept(e.message().to_owned(), holder));
                        // Where no code can be had either (no terminal; exec --server while
                        // its command runs), the refusal is what to report.
                        match self.obtain(env, notes).await {
                            Ok(session) => (session, Origin::New),
                            Err(no_code) if no_code.is(Reason::NoCode) => return Err(e),
                            Err(other) => return Err(other),
                        }
                    }
                    Err(e) => return Err(e),
                }
            }
            _ => (self.obtain(env, notes).await?, Origin::New),
        };
        keep.put(&key, &session, self.via());
        Ok((session, origin))
    }

    /// The MFA session this shell holds, under the key of the session the request's roles
    /// are assumed from, when an earlier `mfa-env` exported it for exactly that: its variables
    /// as export set them (`Held`: the keys still the session's, secret and token there), no
    /// role, and its markers naming the profile with the keys, the MFA device, its account
    /// and the long-term key. Other credentials in the environment are never used.
    pub fn held_mfa(&self, env: &Env) -> Option<(Key, Session)> {
        if self.resolved.roles.is_empty() {
            return None;
        }
        let key = self.mfa_key(env)?;
        let held = super::Held::from_env(env)?;
        let id = &held.id;
        let same = held.complete
            && id.role.is_none()
            && id.profile == key.profile
            && id.serial == key.serial.as_deref()
            && id.account == key.account.as_deref()
            && id.key.is_some()
            && id.key == super::held::key_tail(&self.resolved.keys.access_key_id);
        if !same {
            return None;
        }
        Some((key, held.session(env)?))
    }

    /// The role session this shell holds, when it serves the request (`Request::held`): for a
    /// command that uses a role session where it is (the console), not one that exports it.
    pub fn held_role(&self, env: &Env) -> Option<Session> {
        if self.resolved.roles.is_empty() {
            return None;
        }
        self.held(env)?.session(env)
    }

    /// The IAM user's own MFA session that the chain's roles are assumed from: a code, then
    /// GetSessionToken for the default length.
    async fn mfa_session(&mut self, env: &Env, notes: &mut Notes) -> Result<Session> {
        let r = &self.resolved;
        let serial = r
            .mfa_role()
            .map(|(_, s)| s.to_owned())
            .or_else(|| r.mfa_serial.clone())
            .unwrap_or_default();
        let mut codes = self
            .code
            .ready(&r.name, self.mfa_process.as_deref(), env, notes)?;
        session_token_with(SESSION_DEFAULT, &serial, &mut codes, r, notes).await
    }
}

/// A path as the same file is named from any directory.
fn absolute(path: &Path) -> String {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_owned())
        .to_string_lossy()
        .into_owned()
}

/// A note for a session that came from what is kept.
pub fn origin_note(origin: Origin) -> Option<Note> {
    match origin {
        Origin::Kept => Some(Note::Kept),
        Origin::FromKeptMfa(holder) => Some(Note::FromKeptMfa(holder)),
        Origin::New => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Overrides, Profiles};
    use crate::session::{Asked, CodeFrom};

    const CONFIG: &str = "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n\
        [profile admin]\nrole_arn = arn:aws:iam::210987654321:role/Admin\nsource_profile = dev\nregion = us-east-1\n\
        [profile china]\nmfa_serial = arn:aws-cn:iam::123456789012:mfa/alice\nregion = cn-north-1\n";
    const CREDENTIALS: &str = "[dev]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = s\n\
        [china]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = s\n";

    fn keys(profile: &str, env: &[(&str, &str)]) -> (Key, Option<Key>) {
        let env = Env::from_pairs(env.iter().copied().chain([("HOME", "/home/alice")]));
        let profiles = Profiles::from_texts(CONFIG, CREDENTIALS).unwrap();
        let asked = Asked {
            profile,
            overrides: Overrides::default(),
            duration: None,
            force: false,
            min_ttl: Duration::from_secs(600),
        };
        let mut ask = |_: &crate::session::Question| Ok((String::new(), Via::Terminal));
        let code = CodeFrom {
            code: None,
            mfa_process: None,
            mfa_process_timeout: Duration::from_secs(5),
            ask: &mut ask,
            used: None,
        };
        let req = Request::new(&profiles, &asked, code, &env).unwrap();
        (req.key(&env), req.mfa_key(&env))
    }

    #[test]
    fn a_role_is_assumed_from_the_session_its_source_profile_keeps() {
        let (dev, dev_mfa) = keys("dev", &[]);
        let (admin, admin_mfa) = keys("admin", &[]);
        // The user's own session is the MFA session a role of it is assumed from, whatever
        // region each profile names.
        assert_eq!(dev_mfa.as_ref(), Some(&admin_mfa.clone().unwrap()));
        assert_eq!(Some(&dev), dev_mfa.as_ref());
        assert_ne!(admin, dev);
        assert_eq!(
            admin.role.as_deref(),
            Some("arn:aws:iam::210987654321:role/Admin")
        );
        assert_eq!(admin.account.as_deref(), Some("210987654321"));
        assert_eq!(admin.source, "dev");
        assert_eq!(admin_mfa.unwrap().profile, "dev");
    }

    #[test]
    fn other_files_another_endpoint_or_partition_is_another_session() {
        let (dev, _) = keys("dev", &[]);
        let (other_files, _) = keys("dev", &[("AWS_CONFIG_FILE", "/elsewhere/config")]);
        let (other_endpoint, _) = keys("dev", &[("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")]);
        let (china, _) = keys("china", &[]);
        for other in [other_files, other_endpoint] {
            assert_eq!(other.profile, dev.profile);
            assert_ne!(other, dev);
        }
        assert!(china.scope.contains("partition=aws-cn"), "{}", china.scope);
        assert!(dev.scope.contains("partition=aws\n") || dev.scope.ends_with("partition=aws"));
    }

    #[test]
    fn memory_keeps_one_session_per_key_while_it_lasts() {
        let (dev, _) = keys("dev", &[]);
        let (admin, _) = keys("admin", &[]);
        let now = crate::time::now();
        let session = |key_id: &str, left: i64| Session {
            access_key_id: key_id.to_owned(),
            secret_access_key: crate::secret::Secret::new("secret"),
            session_token: crate::secret::Secret::new("token"),
            expiration: now + left,
        };
        let mut memory = Memory::default();
        let minute = Duration::from_secs(60);
        memory.put(&dev, &session("ASIAFIRST", 3600), Via::Terminal);
        memory.put(&dev, &session("ASIASECOND", 3600), Via::Dialog);
        memory.put(&admin, &session("ASIAROLE", 600), Via::KeptMfa);
        assert_eq!(
            memory.get(&dev, minute).unwrap().access_key_id,
            "ASIASECOND"
        );
        assert_eq!(memory.0.len(), 2);
        assert!(memory.get(&admin, 15 * minute).is_none());
        assert_eq!(
            memory.get(&admin, 5 * minute).unwrap().access_key_id,
            "ASIAROLE"
        );
    }
}
