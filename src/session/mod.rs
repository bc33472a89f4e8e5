//! The session core: what a session is asked for (a `Request`), obtaining one (GetSessionToken,
//! or a chain of AssumeRole calls, with the MFA code and its retries), what a session is (its
//! `Identity`), and whether the session a shell holds serves a request.
//!
//! Commands build a request and call it; so will the agent of issue 11. Nothing here prints or
//! blocks on a runtime: what a person should read comes back as `Note`s, in the order it
//! happens, for the caller to show; codes come from where the request says (`CodeFrom`).
//! Nothing here leaks, for a process that lives long: the parsed files are borrowed, and only
//! a one-shot command may choose not to free them before it exits (see `cmd/export.rs`).

mod code;
mod held;
mod shared;

use std::fmt;
use std::time::{Duration, Instant};

pub use code::{Ask, CODE_TRIES, CodeFrom, Codes, Question, Via, prompt};
pub use held::{
    Held, Identity, NoSession, SET, UNSET, account, keep_own_region, key_tail, mask,
    unset_statements, variables,
};
pub use shared::{Holder, Keep, Key, WithMemory, lasts, origin_note};

use crate::duration;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::{self, Overrides, Profiles, Resolved};
use crate::sts::{AssumeRole, CallError, OPERATION_TIMEOUT, Session, Signer, Signing, Sts};
use crate::time;

/// GetSessionToken's limits.
const SESSION_MIN: Duration = Duration::from_secs(15 * 60);
const SESSION_MAX: Duration = Duration::from_secs(36 * 3600);
const SESSION_DEFAULT: Duration = Duration::from_secs(12 * 3600);
/// AssumeRole's limits; a role's own maximum may be lower, and a chained role's is 1 hour.
const ROLE_MIN: Duration = Duration::from_secs(15 * 60);
const ROLE_MAX: Duration = Duration::from_secs(12 * 3600);
const ROLE_DEFAULT: Duration = Duration::from_secs(3600);
const CHAINED_MAX: Duration = Duration::from_secs(3600);
/// `(min, max, default)` of each call.
const SESSION_LIMITS: (Duration, Duration, Duration) = (SESSION_MIN, SESSION_MAX, SESSION_DEFAULT);
const ROLE_LIMITS: (Duration, Duration, Duration) = (ROLE_MIN, ROLE_MAX, ROLE_DEFAULT);

/// What a person should read about a session being obtained, in the order it happens: the
/// caller shows it (a command on stderr) or passes it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// STS is called at an endpoint other than AWS's own: the line that names it, before the
    /// first call (after the code is asked for: a question cancelled calls nothing).
    Endpoint(String),
    /// The code comes from this command, which may wait for a touch, a PIN or an unlock.
    RunningProcess(String),
    /// STS rejected a code (its message); another is asked for.
    CodeRejected { message: String, tries: u32 },
    /// A role assumed with another role's session lasts at most 1 hour: that is asked for
    /// instead of this.
    ChainedLimit(Duration),
    /// The code given goes unused: no call of the role chain takes one.
    CodeUnused,
    /// The session is one the agent (or this process) kept: no code, no call.
    Kept,
    /// The role is assumed from the MFA session the agent (or this process, or this shell)
    /// kept: no code.
    FromKeptMfa(Holder),
    /// The role refused the kept MFA session (STS's message): it is assumed with a code.
    RefusedFromKept(String, Holder),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::Endpoint(line) => f.write_str(line),
            Note::RunningProcess(command) => write!(f, "getting the MFA code from `{command}`"),
            Note::CodeRejected { message, tries } => {
                write!(f, "{message} (try {tries} of {CODE_TRIES})")
            }
            Note::ChainedLimit(asked) => write!(
                f,
                "STS limits a role assumed from another role's session to 1h; asking for 1h instead of {}",
                duration::human(*asked)
            ),
            Note::CodeUnused => {
                f.write_str("no mfa_serial along the source_profile chain: the code is not used")
            }
            Note::Kept => f.write_str("the session comes from the agent: no code needed"),
            Note::RefusedFromKept(message, holder) => write!(
                f,
                "the role refused the MFA session {} ({message}); assuming it with a new code",
                holder.holds()
            ),
            Note::FromKeptMfa(holder) => write!(
                f,
                "the role is assumed from the MFA session {}: no code needed",
                holder.holds()
            ),
        }
    }
}

/// Where the notes go: the caller's, which shows them or passes them on.
pub type Notes = dyn FnMut(Note) + Send;

/// What is asked for, before the files are read: a profile and what the command line
/// overrides of it, a length, and whether a session the shell holds will do.
#[derive(Debug, Clone)]
pub struct Asked<'a> {
    pub profile: &'a str,
    pub overrides: Overrides<'a>,
    /// The length asked for; else the profile's duration_seconds, else the call's default.
    pub duration: Option<Duration>,
    /// A new session even when the shell holds one that serves the request.
    pub force: bool,
    /// A session the shell holds serves the request only with more than this left.
    pub min_ttl: Duration,
}

/// A session asked for, resolved from the files: no code asked, no network.
pub struct Request<'p> {
    pub resolved: Resolved,
    /// The length asked for; else the profile's duration_seconds, else the call's default.
    pub duration: Option<Duration>,
    /// A session the shell holds serves the request while it has more than this left; none
    /// when only a new session will do.
    pub keep: Option<Duration>,
    /// Asked again and again for one command's renewals (`exec --server`): a kept session
    /// serves while it has the margin left, whatever length was asked for at first.
    pub serving: bool,
    code: CodeFrom<'p>,
    /// The named profile's mfa_process.
    mfa_process: Option<String>,
}

impl<'p> Request<'p> {
    /// The request for `asked`, its profile resolved from `profiles`, its code from `code`.
    pub fn new(
        profiles: &Profiles,
        asked: &Asked,
        code: CodeFrom<'p>,
        env: &Env,
    ) -> Result<Request<'p>> {
        let name = asked.profile;
        let resolved = profile::resolve_with(profiles, name, env, &asked.overrides, &mut |s| {
            crate::keys::from_source(s, env)
        })?;
        if resolved.roles.is_empty()
            && let profile::KeyFrom::Process {
                command,
                session_token: Some(_),
            } = &resolved.keys.from
        {
            return Err(Error::new(format!(
                "the credential_process of profile '{}' (`{command}`) gives a session (it has a SessionToken), and GetSessionToken cannot be called with a session",
                resolved.keys_profile
            ))
            .hint("make it print the IAM user's long-term key, or use the profile as the source_profile of a role (AssumeRole takes a session)"));
        }
        let mfa_process = profiles
            .get(name)?
            .get(profile::Key::MfaProcess)
            .map(str::to_owned);
        // An --external-id or --role-session-name asks for a new AssumeRole call.
        let over = &asked.overrides;
        let keep = (!asked.force && over.external_id.is_none() && over.role_session_name.is_none())
            .then_some(asked.min_ttl);
        Ok(Request {
            resolved,
            duration: asked.duration,
            keep,
            serving: false,
            code,
            mfa_process,
        })
    }

    /// From now on every code comes from `ask`: no code given is used again, no command is
    /// run for one. For a process that lives on after its first session (`exec --server`): a
    /// code is good once, and a command (mfa_process) may want the terminal that another
    /// program owns by then.
    pub fn codes_from(&mut self, ask: &'p mut Ask) {
        self.code.code = None;
        self.code.mfa_process = None;
        self.mfa_process = None;
        self.code.ask = ask;
    }

    /// What a session for the request is: the profile, the last role of the chain, the
    /// account (the role's, else the MFA device's) and the region.
    pub fn identity(&self) -> Identity<'_> {
        let r = &self.resolved;
        let role = r.roles.last().map(|role| role.arn.as_str());
        Identity {
            profile: &r.name,
            role,
            account: role.or(r.mfa_serial.as_deref()).and_then(account),
            region: Some(&r.region),
            serial: r.mfa_role().map(|(_, s)| s).or(r.mfa_serial.as_deref()),
            key: held::key_tail(&r.keys.access_key_id),
        }
    }

    /// The session `env` holds, when it serves the request: the same profile, role, account
    /// and region as a new session would have, its keys still in AWS_ACCESS_KEY_ID, more than
    /// the request's margin left, and an explicit duration left (but for the margin).
    pub fn held<'e>(&self, env: &'e Env) -> Option<Held<'e>> {
        let min_ttl = self.keep?;
        let held = Held::from_env(env)?;
        // What a new session would last: a chain's last role gets at most an hour.
        let chained = self.resolved.roles.len() > 1;
        let at_least = self
            .duration
            .map(|d| if chained { d.min(CHAINED_MAX) } else { d });
        held.serves(&self.identity(), min_ttl, at_least, time::now())
            .then_some(held)
    }

    /// How long the session's call asks for, checked as `obtain` checks it before its first
    /// call (for `doctor`, which makes no such call): a chain's last role gets at most 1 hour.
    pub fn length(&self) -> Result<Duration> {
        let r = &self.resolved;
        if r.roles.is_empty() {
            return duration(self.duration, r, SESSION_LIMITS, "GetSessionToken");
        }
        let d = duration(self.duration, r, ROLE_LIMITS, "AssumeRole")?;
        Ok(if r.roles.len() > 1 {
            d.min(CHAINED_MAX)
        } else {
            d
        })
    }

    /// How the code of the last session obtained was had (`NoMfa`: none was needed).
    pub fn via(&self) -> Via {
        self.code.used.unwrap_or(Via::NoMfa)
    }

    /// A new session: the code from where the request says, then STS.
    pub async fn obtain(&mut self, env: &Env, notes: &mut Notes) -> Result<Session> {
        self.code.used = None;
        let r = &self.resolved;
        let given = self.code.code.is_some();
        if r.roles.is_empty() || r.mfa_role().is_some() {
            // The command that prints the code, if any, runs now: before the call.
            let mut codes = self
                .code
                .ready(&r.name, self.mfa_process.as_deref(), env, notes)?;
            if r.roles.is_empty() {
                session_token(self.duration, &mut codes, r, notes).await
            } else {
                assume_roles(self.duration, Ok(&mut codes), r, notes).await
            }
        } else {
            assume_roles(self.duration, Err(given), r, notes).await
        }
    }
}

/// The inline session policy of a federation token: everything, so that the federated user
/// has exactly the IAM user's permissions (a federation token's are the intersection of the
/// user's policies and this one; without one it has none).
pub const FEDERATION_POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

impl Request<'_> {
    /// A federated user's session from the IAM user's long-term keys (GetFederationToken),
    /// for the console when it is asked for by name: it carries no MFA, takes no code, and is
    /// never kept. Its name is `mfa-env-<local user>`, in the 2 to 32 characters STS allows.
    pub async fn federation_token(&self, env: &Env, notes: &mut Notes) -> Result<Session> {
        let r = &self.resolved;
        let length = duration(self.duration, r, SESSION_LIMITS, "GetFederationToken")?;
        let user = env.user().unwrap_or_else(|| "user".to_owned());
        let name: String = format!("mfa-env-{user}")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
            .take(32)
            .collect();
        let sts = sts(r, notes)?;
        sts.get_federation_token(&Signer::from(&r.keys), &name, FEDERATION_POLICY, length)
            .await
            .map_err(|(CallError::CodeRejected(e) | CallError::Failed(e))| e)
    }
}

/// The length asked for, checked against what the call accepts before any call.
fn duration(
    asked: Option<Duration>,
    r: &Resolved,
    (min, max, default): (Duration, Duration, Duration),
    call: &str,
) -> Result<Duration> {
    let d = asked.or(r.duration).unwrap_or(default);
    duration::check_range(d, min, max, call).map_err(|e| {
        Error::new(e).hint(format!(
            "pass --duration between {} and {} (or set duration_seconds in the profile)",
            duration::human(min),
            duration::human(max)
        ))
    })?;
    Ok(d)
}

/// STS for `r`, named in a note before its first call when it is not AWS's own.
fn sts(r: &Resolved, notes: &mut Notes) -> Result<Sts> {
    let sts = Sts::new(&r.region, &r.endpoint)?;
    named(&sts, notes);
    Ok(sts)
}

/// Name `sts` in a note when it is not AWS's own: before its first call.
fn named(sts: &Sts, notes: &mut Notes) {
    if let Some(line) = sts.notice() {
        notes(Note::Endpoint(line));
    }
}

/// An IAM user's own MFA session.
async fn session_token(
    asked: Option<Duration>,
    codes: &mut Codes<'_>,
    r: &Resolved,
    notes: &mut Notes,
) -> Result<Session> {
    let duration = duration(asked, r, SESSION_LIMITS, "GetSessionToken")?;
    let serial = r
        .mfa_serial
        .as_deref()
        .ok_or_else(|| Error::new(format!("profile '{}' has no mfa_serial", r.name)))?;
    session_token_with(duration, serial, codes, r, notes).await
}

/// GetSessionToken with `r`'s keys and the device `serial`, for `duration`.
async fn session_token_with(
    duration: Duration,
    serial: &str,
    codes: &mut Codes<'_>,
    r: &Resolved,
    notes: &mut Notes,
) -> Result<Session> {
    let sts = &Sts::new(&r.region, &r.endpoint)?;
    let signer = &Signer::from(&r.keys);
    codes
        .call(
            &prompt(&r.name, serial),
            sts.notice(),
            notes,
            |code| async move { sts.get_session_token(signer, serial, &code, duration).await },
        )
        .await
}

/// `r`'s chain of roles assumed from `mfa`, the IAM user's own MFA session, with no code: STS
/// counts that as role chaining, so the last role gets at most an hour.
async fn assume_from(
    mfa: &Session,
    asked: Option<Duration>,
    r: &Resolved,
    notes: &mut Notes,
) -> Result<Session> {
    let duration = duration(
        asked,
        r,
        (ROLE_MIN, CHAINED_MAX, ROLE_DEFAULT),
        "AssumeRole",
    )?;
    let sts = &sts(r, notes)?;
    let signer = Signer::session(mfa, Signing::MfaSession(r.keys_profile.clone()));
    chain_from(sts, r, signer, duration, None)
        .await
        .map_err(|(CallError::CodeRejected(e) | CallError::Failed(e))| e)
}

/// Each role of the chain in turn, the MFA code on the first call that needs it. When no call
/// needs one, `codes` says whether one was given all the same.
async fn assume_roles(
    asked: Option<Duration>,
    codes: std::result::Result<&mut Codes<'_>, bool>,
    r: &Resolved,
    notes: &mut Notes,
) -> Result<Session> {
    let mut duration = duration(asked, r, ROLE_LIMITS, "AssumeRole")?;
    if r.roles.len() > 1 && duration > CHAINED_MAX {
        notes(Note::ChainedLimit(duration));
        duration = CHAINED_MAX;
    }
    let sts = &Sts::new(&r.region, &r.endpoint)?;
    match (r.mfa_role(), codes) {
        (Some((_, serial)), Ok(codes)) => {
            codes
                .call(&prompt(&r.name, serial), sts.notice(), notes, |code| {
                    chain(sts, r, duration, Some(code))
                })
                .await
        }
        (_, given) => {
            named(sts, notes);
            if matches!(given, Err(true)) {
                notes(Note::CodeUnused);
            }
            chain(sts, r, duration, None)
                .await
                .map_err(|(CallError::CodeRejected(e) | CallError::Failed(e))| e)
        }
    }
}

/// The AssumeRole calls of `r`'s chain, the code (if any) on the call that takes it.
async fn chain(
    sts: &Sts,
    r: &Resolved,
    duration: Duration,
    code: Option<String>,
) -> Result<Session, CallError> {
    chain_from(sts, r, Signer::from(&r.keys), duration, code).await
}

/// The AssumeRole calls of `r`'s chain, the first signed by `signer`.
async fn chain_from(
    sts: &Sts,
    r: &Resolved,
    mut signer: Signer,
    duration: Duration,
    code: Option<String>,
) -> Result<Session, CallError> {
    let mfa = r.mfa_role();
    // One bound for all the calls of the chain: the first call has the SDK's, and the later
    // ones what is left of it (counted after the prompt, which is not network time).
    let start = Instant::now();
    let mut last = None;
    for (i, role) in r.roles.iter().enumerate() {
        let final_role = i + 1 == r.roles.len();
        let request = AssumeRole {
            role_arn: &role.arn,
            session_name: &role.session_name,
            external_id: role.external_id.as_deref(),
            mfa: match (mfa, &code) {
                (Some((at, serial)), Some(code)) if at == i => Some((serial, code)),
                _ => None,
            },
            // A role on the way is used at once to assume the next: the shortest session.
            duration: if final_role { duration } else { ROLE_MIN },
        };
        let deadline = (i > 0).then(|| start + OPERATION_TIMEOUT);
        let session = sts.assume_role(&signer, &request, deadline).await?;
        signer = Signer::session(&session, Signing::Role(role.arn.clone()));
        last = Some(session);
    }
    last.ok_or_else(|| CallError::Failed(Error::new("no role to assume")))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    const CONFIG: &str = "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-west-1\n\
        [profile admin]\nrole_arn = arn:aws:iam::210987654321:role/Admin\nsource_profile = dev\n\
        [profile deep]\nrole_arn = arn:aws:iam::333333333333:role/Deep\nsource_profile = admin\n";
    const CREDENTIALS: &str =
        "[dev]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = devSECRET\n";
    /// Where nothing listens: every call fails at once, after the SDK's retries.
    const CLOSED: &str = "http://127.0.0.1:1";

    fn env(more: &[(&'static str, &'static str)]) -> Env {
        let mut pairs = vec![("USER", "alice"), ("AWS_ENDPOINT_URL_STS", CLOSED)];
        pairs.extend_from_slice(more);
        Env::from_pairs(pairs)
    }

    fn asked(profile: &str) -> Asked<'_> {
        Asked {
            profile,
            overrides: Overrides::default(),
            duration: None,
            force: false,
            min_ttl: Duration::from_secs(600),
        }
    }

    fn code_from<'p>(code: Option<&str>, ask: &'p mut Ask) -> CodeFrom<'p> {
        CodeFrom {
            code: code.map(str::to_owned),
            mfa_process: None,
            mfa_process_timeout: Duration::from_secs(5),
            ask,
            used: None,
        }
    }

    /// What the caller saw, in order: the notes, and the questions for a code.
    type Seen = Arc<Mutex<Vec<String>>>;

    /// Obtain a session for `asked` from `files` (config, credentials) on a runtime of the
    /// test's own, with codes asked through `seen` (which answers 123456), and the notes in
    /// `seen` too.
    fn obtain(files: (&str, &str), asked: &Asked, code: Option<&str>, seen: &Seen) -> Error {
        let env = env(&[]);
        let profiles = Profiles::from_texts(files.0, files.1).unwrap();
        let questions = Arc::clone(seen);
        let mut ask = move |q: &Question| {
            questions.lock().unwrap().push(format!("ask: {}", q.text));
            Ok(("123456".to_owned(), Via::Terminal))
        };
        let mut req = Request::new(&profiles, asked, code_from(code, &mut ask), &env).unwrap();
        // The request holds nothing of the files: they may go before the calls.
        drop(profiles);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let notes = Arc::clone(seen);
        let mut notes = move |note: Note| notes.lock().unwrap().push(format!("note: {note}"));
        let obtaining = req.obtain(&env, &mut notes);
        // An agent may run it on any of its threads.
        fn send<T: Send>(_: &T) {}
        send(&obtaining);
        runtime.block_on(obtaining).unwrap_err()
    }

    fn endpoint_note() -> String {
        format!("note: using STS endpoint {CLOSED} (from AWS_ENDPOINT_URL_STS)")
    }

    #[test]
    fn the_caller_is_told_and_asked_in_the_order_it_happens() {
        let seen = Seen::default();
        let err = obtain((CONFIG, CREDENTIALS), &asked("dev"), None, &seen);
        assert!(err.message().starts_with("cannot reach STS at "), "{err}");
        assert_eq!(
            *seen.lock().unwrap(),
            // The endpoint once the code is in hand, before the call: a question cancelled
            // calls nothing, and names nothing.
            [
                "ask: MFA code for dev (arn:aws:iam::123456789012:mfa/alice)".to_owned(),
                endpoint_note(),
            ]
        );
    }

    #[test]
    fn a_chain_notes_its_one_hour_limit_and_a_code_no_call_takes() {
        let seen = Seen::default();
        let two_hours = Asked {
            duration: Some(Duration::from_secs(2 * 3600)),
            ..asked("deep")
        };
        let err = obtain((CONFIG, CREDENTIALS), &two_hours, None, &seen);
        assert!(err.message().starts_with("cannot reach STS at "), "{err}");
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "note: STS limits a role assumed from another role's session to 1h; asking for 1h instead of 2h".to_owned(),
                "ask: MFA code for deep (arn:aws:iam::123456789012:mfa/alice)".to_owned(),
                endpoint_note(),
            ]
        );
        // No device along the chain: the role is assumed without a code, and one given is
        // noted unused, after the endpoint; none is asked for.
        let seen = Seen::default();
        let role = Asked {
            overrides: Overrides {
                role_arn: Some("arn:aws:iam::444444444444:role/Plain"),
                ..Overrides::default()
            },
            ..asked("plain")
        };
        let files = (
            "[profile plain]\nregion = eu-west-1\n",
            "[plain]\naws_access_key_id = AKIAEXAMPLEPLAIN001\naws_secret_access_key = s\n",
        );
        obtain(files, &role, Some("123456"), &seen);
        assert_eq!(
            *seen.lock().unwrap(),
            [
                endpoint_note(),
                "note: no mfa_serial along the source_profile chain: the code is not used"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn the_session_a_shell_holds_serves_only_the_same_identity() {
        let profiles = Profiles::from_texts(CONFIG, CREDENTIALS).unwrap();
        let mut ask = |_: &Question| -> Result<(String, Via)> { panic!("no code is asked for") };
        let env = env(&[
            ("MFA_ENV_PROFILE", "admin"),
            ("MFA_ENV_ROLE", "arn:aws:iam::210987654321:role/Admin"),
            ("MFA_ENV_ACCOUNT", "210987654321"),
            ("MFA_ENV_ACCESS_KEY_ID", "ASIAHELDSESSION00042"),
            ("AWS_ACCESS_KEY_ID", "ASIAHELDSESSION00042"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_SESSION_TOKEN", "t"),
            ("AWS_CREDENTIAL_EXPIRATION", "2099-01-02T03:04:05Z"),
            ("AWS_REGION", "eu-west-1"),
            ("MFA_ENV_MFA_SERIAL", "arn:aws:iam::123456789012:mfa/alice"),
            ("MFA_ENV_LONG_TERM_KEY_ID", "****************0001"),
        ]);
        let mut held = |asked: &Asked| {
            let req = Request::new(&profiles, asked, code_from(None, &mut ask), &env).unwrap();
            req.held(&env).is_some()
        };
        assert!(held(&asked("admin")));
        assert!(!held(&asked("dev")), "another profile");
        assert!(!held(&Asked {
            force: true,
            ..asked("admin")
        }));
        for overrides in [
            Overrides {
                external_id: Some("x"),
                ..Overrides::default()
            },
            Overrides {
                role_session_name: Some("other"),
                ..Overrides::default()
            },
            Overrides {
                region: Some("us-east-1"),
                ..Overrides::default()
            },
        ] {
            let shown = format!("{overrides:?}");
            assert!(
                !held(&Asked {
                    overrides,
                    ..asked("admin")
                }),
                "{shown}"
            );
        }
    }

    #[test]
    fn a_role_sessions_identity_is_its_last_role_and_that_roles_account() {
        let profiles = Profiles::from_texts(CONFIG, CREDENTIALS).unwrap();
        let mut ask = |_: &Question| -> Result<(String, Via)> { panic!("no code is asked for") };
        let env = env(&[]);
        let identity = |profile: &str, ask: &mut Ask| {
            let req = Request::new(&profiles, &asked(profile), code_from(None, ask), &env).unwrap();
            let id = req.identity();
            (id.role.map(str::to_owned), id.account.map(str::to_owned))
        };
        assert_eq!(
            identity("deep", &mut ask),
            (
                Some("arn:aws:iam::333333333333:role/Deep".to_owned()),
                Some("333333333333".to_owned())
            )
        );
        assert_eq!(
            identity("dev", &mut ask),
            (None, Some("123456789012".to_owned()))
        );
    }
}
