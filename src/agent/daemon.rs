//! The agent process: listens on the socket, keeps sessions in memory until they expire, and
//! ends on a signal, on `stop`, or after holding nothing for a while.
//!
//! Its memory is its own: no core dump (limit 0, hard too), not dumpable (no ptrace or
//! /proc/PID/mem by the user's other processes), the pages holding secrets locked out of swap
//! where the memory-lock limit allows, every secret cleared when dropped. It writes nothing but
//! the socket and the lock file, and says nothing once started (its stderr is /dev/null).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{Mutex, Notify};
use zeroize::Zeroize;

use super::path::{Place, check_dir};
use super::protocol::{Answer, Ask, Message, PROTOCOL, SessionInfo, Status, VersionOnly, line};
use super::{LEASE_TIMEOUT, MAX_CONNECTIONS, MAX_LINE, MAX_SESSIONS, REQUEST_TIMEOUT};
use crate::error::{Error, Result};
use crate::session::{Key, Via, lasts};
use crate::sts::Session;
use crate::time;

/// How often expired sessions are dropped and idleness is judged.
const TICK: Duration = Duration::from_secs(5);

struct Held {
    key: Key,
    session: Session,
    via: Via,
}

/// What the agent holds, behind one lock.
struct State {
    held: Vec<Held>,
    /// Keys some connection is obtaining the session of: that connection, and its client's pid.
    leases: HashMap<Key, (u64, u32)>,
    connections: usize,
    /// Since when it has held nothing and had no connection.
    quiet_since: Instant,
    /// Sessions being obtained when `forget` came (connection, key): not kept when handed over.
    forgotten: Vec<(u64, Key)>,
}

impl State {
    /// Drop what expired, by the wall clock: a laptop that slept does not keep a session past
    /// its Expiration.
    fn expire(&mut self) {
        let now = time::now();
        self.held.retain(|h| h.session.expiration > now);
    }

    /// Drop every session, or `profile`'s; sessions of it being obtained now are not kept
    /// when they are handed over. How many held sessions were dropped, and how many being
    /// obtained will not be kept.
    fn forget(&mut self, profile: Option<&str>) -> (usize, usize) {
        let matches = |key: &Key| profile.is_none_or(|p| key.profile == p || key.source == p);
        let before = self.held.len();
        self.held.retain(|h| !matches(&h.key));
        let obtaining: Vec<(u64, Key)> = self
            .leases
            .iter()
            .filter(|(key, _)| matches(key))
            .map(|(key, (conn, _))| (*conn, key.clone()))
            .collect();
        for (_, key) in &obtaining {
            self.leases.remove(key);
        }
        let being_obtained = obtaining.len();
        self.forgotten.extend(obtaining);
        (before - self.held.len(), being_obtained)
    }
}

struct Agent {
    state: Mutex<State>,
    /// Woken on every put and every lease given back.
    changed: Notify,
    /// Woken by `stop`.
    stop: Notify,
    place: Place,
    started: i64,
    idle_exit: Duration,
    memory_locked: bool,
    next_connection: AtomicU64,
}

/// Run the agent at `place` until it is stopped. `detach`: started by `agent start`, which
/// waits on stderr: leave the session of the caller's terminal, and close stderr once
/// listening. What it has to say before then goes through `say` (the caller's stderr).
pub fn run(place: Place, idle_exit: Duration, detach: bool, say: fn(&str)) -> Result<()> {
    if detach {
        // Its own session, so that the terminal's signals and hang-up do not reach it.
        let _ = rustix::process::setsid();
    }
    let _ = std::env::set_current_dir("/");
    // The directory first: under the agent's umask (0177) it would be made without the
    // search bit, and locked to its own user.
    check_dir(place.dir(), true)?;
    harden();
    let lock = lock(&place)?;
    let Some(_lock) = lock else {
        // Another agent holds the lock: it answers (or is about to). Started by `start`, this
        // one lost a race with another start (two shells opened at once): `start` finds the
        // other, and there is nothing to say.
        if detach {
            return Err(Error::quiet());
        }
        return Err(Error::new(format!(
            "an agent already runs at {}",
            place.socket.display()
        ))
        .hint("`mfa-env agent status` shows it; `mfa-env agent stop` stops it")
        .status(3));
    };
    let memory_locked = memory_lock_works();
    if !memory_locked {
        say(
            "warning: the agent cannot lock memory (RLIMIT_MEMLOCK): its sessions could be written to swap; they still expire and are cleared when dropped",
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the agent's runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = bind(&place)?;
        let agent = Arc::new(Agent {
            state: Mutex::new(State {
                held: Vec::new(),
                leases: HashMap::new(),
                connections: 0,
                quiet_since: Instant::now(),
                forgotten: Vec::new(),
            }),
            changed: Notify::new(),
            stop: Notify::new(),
            place,
            started: time::now(),
            idle_exit,
            memory_locked,
            next_connection: AtomicU64::new(1),
        });
        if !detach {
            say(&format!(
                "agent listening at {} (pid {}); Ctrl-C stops it",
                agent.place.socket.display(),
                std::process::id()
            ));
        }
        if detach {
            // Listening: `start` reads to the end of stderr, and the caller's stderr (a
            // `$(...)` of a shell's start-up) must not stay open while the agent lives.
            if let Ok(null) = OpenOptions::new().write(true).open("/dev/null") {
                let _ = rustix::stdio::dup2_stderr(&null);
            }
        }
        serve(agent, listener).await
    })
}

/// No core dump, even from a limit raised later; no attaching (`sys::harden`).
fn harden() {
    let _ = rustix::process::setrlimit(
        rustix::process::Resource::Core,
        rustix::process::Rlimit {
            current: Some(0),
            maximum: Some(0),
        },
    );
    crate::hardening::no_attaching();
    // The socket is bound 0600 from the start: no moment when another user could connect.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o177));
}

/// The lock file, locked: None when another agent holds it.
fn lock(place: &Place) -> Result<Option<File>> {
    let path = place.lock();
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| {
            Error::new(format!(
                "cannot open the agent's lock file {}: {e}",
                path.display()
            ))
        })?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {
            // Its pid, for `agent stop` to end an agent that no longer answers.
            let _ = file.set_len(0);
            let _ = std::io::Write::write_all(
                &mut &file,
                format!("{}\n", std::process::id()).as_bytes(),
            );
            Ok(Some(file))
        }
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(None),
        Err(e) => Err(Error::new(format!("cannot lock {}: {e}", path.display()))),
    }
}

/// Listen at the socket, replacing a dead agent's (the lock says none runs).
fn bind(place: &Place) -> Result<UnixListener> {
    match std::fs::symlink_metadata(&place.socket) {
        Ok(meta) if meta.file_type().is_socket() => {
            let _ = std::fs::remove_file(&place.socket);
        }
        Ok(_) => {
            return Err(Error::new(format!(
                "{} exists and is not a socket: not replacing it",
                place.socket.display()
            ))
            .hint("remove it, or set MFA_ENV_AGENT_SOCK to another path"));
        }
        Err(_) => {}
    }
    UnixListener::bind(&place.socket)
        .map_err(|e| Error::new(format!("cannot listen at {}: {e}", place.socket.display())))
}

async fn serve(agent: Arc<Agent>, listener: UnixListener) -> Result<()> {
    let mut term = signal(SignalKind::terminate()).map_err(signal_error)?;
    let mut int = signal(SignalKind::interrupt()).map_err(signal_error)?;
    let mut hup = signal(SignalKind::hangup()).map_err(signal_error)?;
    let mut usr1 = signal(SignalKind::user_defined1()).map_err(signal_error)?;
    // A short idle time (a test's) is judged as often as it needs.
    let bound = inode(&agent.place.socket);
    let mut tick =
        tokio::time::interval(TICK.min(agent.idle_exit / 2).max(Duration::from_millis(50)));
    let own = rustix::process::getuid().as_raw();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                // Another user reached the socket: it gets nothing, not even an answer. Only
                // the uid counts: a client in another pid namespace has none here (0).
                let Ok((uid, pid)) = super::peer(std::os::fd::AsFd::as_fd(&stream)) else {
                    continue;
                };
                if uid != own {
                    continue;
                }
                let mut state = agent.state.lock().await;
                if state.connections >= MAX_CONNECTIONS {
                    continue;
                }
                state.connections += 1;
                drop(state);
                let agent = Arc::clone(&agent);
                tokio::spawn(async move {
                    let id = agent.next_connection.fetch_add(1, Ordering::Relaxed);
                    connection(&agent, stream, id, pid).await;
                    let mut state = agent.state.lock().await;
                    state.connections -= 1;
                    state.quiet_since = Instant::now();
                    // Leases of a client that went away (killed at its prompt): others may try.
                    let before = state.leases.len();
                    state.leases.retain(|_, (conn, _)| *conn != id);
                    state.forgotten.retain(|(conn, _)| *conn != id);
                    if state.leases.len() != before {
                        agent.changed.notify_waiters();
                    }
                });
            }
            _ = tick.tick() => {
                // Nobody can reach an agent whose socket was removed or replaced (its
                // directory deleted, a test's temporary one): it ends.
                if !still_ours(&agent.place.socket, bound) {
                    agent.state.lock().await.forget(None);
                    return Ok(());
                }
                let mut state = agent.state.lock().await;
                state.expire();
                if !state.held.is_empty() || state.connections > 0 {
                    state.quiet_since = Instant::now();
                }
                if state.held.is_empty() && state.connections == 0
                    && state.quiet_since.elapsed() >= agent.idle_exit {
                    drop(state);
                    return shut_down(&agent).await;
                }
            }
            _ = usr1.recv() => {
                agent.state.lock().await.forget(None);
            }
            _ = term.recv() => return shut_down(&agent).await,
            _ = int.recv() => return shut_down(&agent).await,
            _ = hup.recv() => return shut_down(&agent).await,
            () = agent.stop.notified() => return shut_down(&agent).await,
        }
    }
}

/// The socket file's identity (device, inode), if it is there.
fn inode(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(path)
        .ok()
        .map(|m| (m.dev(), m.ino()))
}

/// Whether the socket at `path` is still the one this agent bound.
fn still_ours(path: &std::path::Path, bound: Option<(u64, u64)>) -> bool {
    bound.is_some() && inode(path) == bound
}

fn signal_error(e: std::io::Error) -> Error {
    Error::new(format!("cannot handle signals: {e}"))
}

/// Remove the socket, drop (and clear) every session, and end.
async fn shut_down(agent: &Agent) -> Result<()> {
    let _ = std::fs::remove_file(&agent.place.socket);
    agent.state.lock().await.forget(None);
    Ok(())
}

/// Serve one connection until it closes, is idle too long, or says something wrong.
async fn connection(agent: &Agent, stream: UnixStream, id: u64, pid: u32) {
    let (mut read, mut write) = stream.into_split();
    let mut lines = Lines::new();
    loop {
        // A connection obtaining a session (at its prompt) may be quiet for long.
        let leased = agent
            .state
            .lock()
            .await
            .leases
            .values()
            .any(|(c, _)| *c == id);
        let wait = if leased {
            LEASE_TIMEOUT
        } else {
            REQUEST_TIMEOUT
        };
        let end = match tokio::time::timeout(wait, lines.next(&mut read)).await {
            Ok(Ok(Some(end))) => end,
            // Closed, too long, too slow: the connection ends, the agent goes on.
            Ok(Ok(None) | Err(_)) | Err(_) => break,
        };
        let (answer, stop) = answer(agent, lines.line(end), id, pid, &mut write).await;
        lines.consume(end);
        let mut out = line(answer);
        let sent = tokio::time::timeout(REQUEST_TIMEOUT, write.write_all(&out)).await;
        out.zeroize();
        if stop {
            let _ = write.shutdown().await;
            agent.stop.notify_one();
            break;
        }
        if !matches!(sent, Ok(Ok(()))) {
            break;
        }
    }
}

/// The lines of one connection, read straight into one buffer of MAX_LINE bytes that is
/// never reallocated and is cleared as it is used and when dropped: a session handed over
/// leaves no copy in freed memory (a growing buffer leaves one at each reallocation).
struct Lines {
    buf: Vec<u8>,
    filled: usize,
}

impl Lines {
    fn new() -> Lines {
        Lines {
            buf: vec![0; MAX_LINE],
            filled: 0,
        }
    }

    /// Where the next line ends (its newline), reading as needed: None at the end of input,
    /// an error for a line longer than MAX_LINE.
    async fn next(
        &mut self,
        r: &mut tokio::net::unix::OwnedReadHalf,
    ) -> std::io::Result<Option<usize>> {
        loop {
            if let Some(end) = self.buf[..self.filled].iter().position(|&b| b == b'\n') {
                return Ok(Some(end));
            }
            if self.filled == self.buf.len() {
                return Err(std::io::Error::new(ErrorKind::InvalidData, "line too long"));
            }
            let n = r.read(&mut self.buf[self.filled..]).await?;
            if n == 0 {
                return Ok(None);
            }
            self.filled += n;
        }
    }

    fn line(&self, end: usize) -> &[u8] {
        &self.buf[..end]
    }

    /// Drop the line that ends at `end` and its newline, clearing its bytes.
    fn consume(&mut self, end: usize) {
        let rest = self.filled - (end + 1);
        self.buf.copy_within(end + 1..self.filled, 0);
        self.buf[rest..self.filled].zeroize();
        self.filled = rest;
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

/// The answer to one line, and whether the agent stops after sending it.
async fn answer(
    agent: &Agent,
    buf: &[u8],
    id: u64,
    pid: u32,
    write: &mut tokio::net::unix::OwnedWriteHalf,
) -> (Answer, bool) {
    let error = |message: &str| Answer::Error {
        message: message.to_owned(),
    };
    let Ok(version) = serde_json::from_slice::<VersionOnly>(buf) else {
        return (
            error("not a request: one JSON object per line, with \"v\""),
            false,
        );
    };
    if version.v != PROTOCOL {
        return (
            Answer::Version {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                pid: std::process::id(),
            },
            false,
        );
    }
    let ask = match serde_json::from_slice::<Message<Ask>>(buf) {
        Ok(message) => message.body,
        Err(_) => return (error("not a request this agent knows"), false),
    };
    match ask {
        Ask::Hello => (
            Answer::Hello {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                pid: std::process::id(),
            },
            false,
        ),
        Ask::Get { key, left } => (get(agent, key, left, id, pid, write).await, false),
        Ask::Put { key, session, via } => {
            if let Some(why) = session.unlike_sts() {
                return (
                    error(&format!("not a session STS could have sent: {why}")),
                    false,
                );
            }
            let session = session.into_session();
            let mut state = agent.state.lock().await;
            state.expire();
            state.leases.remove(&key);
            agent.changed.notify_waiters();
            // `forget` came while this session was being obtained: it is not kept.
            let forgotten = state
                .forgotten
                .iter()
                .position(|(c, k)| *c == id && *k == key);
            if let Some(at) = forgotten {
                state.forgotten.swap_remove(at);
                return (Answer::Done, false);
            }
            if session.expiration <= time::now() {
                return (error("the session has expired"), false);
            }
            state.held.retain(|h| h.key != key);
            if state.held.len() >= MAX_SESSIONS {
                return (error("the agent holds as many sessions as it may"), false);
            }
            lock_secret(&session);
            state.held.push(Held { key, session, via });
            (Answer::Done, false)
        }
        Ask::Status => {
            let mut state = agent.state.lock().await;
            state.expire();
            let sessions = state.held.iter().map(info).collect();
            (
                Answer::Status(Status {
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    pid: std::process::id(),
                    started: agent.started,
                    idle_exit: agent.idle_exit.as_secs(),
                    memory_locked: agent.memory_locked,
                    sessions,
                }),
                false,
            )
        }
        Ask::Forget { profile } => {
            let (count, obtaining) = agent.state.lock().await.forget(profile.as_deref());
            (Answer::Forgot { count, obtaining }, false)
        }
        Ask::Stop => {
            // Gone before the answer: once `stop` returns, no client finds it.
            let _ = std::fs::remove_file(&agent.place.socket);
            agent.state.lock().await.forget(None);
            (Answer::Done, true)
        }
    }
}

/// What `status` shows of a session held: never a secret.
fn info(h: &Held) -> SessionInfo {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    h.key.hash(&mut hasher);
    let file = |name: &str| {
        h.key
            .scope
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .filter(|path| !path.is_empty())
            .map(str::to_owned)
    };
    SessionInfo {
        // 8 hex digits: enough to tell the few sessions of one profile apart.
        id: format!("{:08x}", hasher.finish() >> 32),
        config: file("config="),
        credentials: file("credentials="),
        profile: h.key.profile.clone(),
        source: h.key.source.clone(),
        serial: h.key.serial.clone(),
        role: h.key.role.clone(),
        account: h.key.account.clone(),
        region: h.key.region.clone(),
        expiration: h.session.expiration,
        via: h.via,
    }
}

/// The session kept under `key` with more than `left` seconds left; else the asker obtains
/// it, unless another connection is obtaining it already: then wait for that one (telling
/// the asker so), at most LEASE_TIMEOUT.
async fn get(
    agent: &Agent,
    key: Key,
    left: u64,
    id: u64,
    pid: u32,
    write: &mut tokio::net::unix::OwnedWriteHalf,
) -> Answer {
    let left = Duration::from_secs(left);
    let until = Instant::now() + LEASE_TIMEOUT;
    let mut told = false;
    loop {
        let changed = agent.changed.notified();
        {
            let mut state = agent.state.lock().await;
            state.expire();
            let now = time::now();
            if let Some(h) = state
                .held
                .iter()
                .find(|h| h.key == key && lasts(&h.session, now, left))
            {
                return Answer::Session {
                    session: (&h.session).into(),
                    via: h.via,
                };
            }
            match state.leases.get(&key) {
                Some((conn, _)) if *conn == id => return Answer::Miss,
                Some((_, holder)) if Instant::now() < until => {
                    if !told {
                        told = true;
                        let mut out = line(Answer::Wait { pid: *holder });
                        drop(state);
                        let sent = write.write_all(&out).await;
                        out.zeroize();
                        if sent.is_err() {
                            return Answer::Miss;
                        }
                    }
                }
                _ => {
                    state.leases.insert(key, (id, pid));
                    return Answer::Miss;
                }
            }
        }
        let _ = tokio::time::timeout_at(until.into(), changed).await;
    }
}

/// Whether memory can be locked here: one page, tried at start.
fn memory_lock_works() -> bool {
    let probe = vec![0u8; 64];
    lock_bytes(&probe)
}

/// Keep the pages of a session's secrets out of swap (best effort: see memory_lock_works).
/// Pages are never unlocked: another secret may share them, and the locked total stays a
/// few pages.
fn lock_secret(session: &Session) {
    lock_bytes(session.secret_access_key.expose().as_bytes());
    lock_bytes(session.session_token.expose().as_bytes());
}

fn lock_bytes(bytes: &[u8]) -> bool {
    crate::sys::harden::lock(bytes)
}
