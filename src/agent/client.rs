//! The client side: find the agent, ask it, start it.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use zeroize::Zeroize;

use super::path::{Place, check_dir, is_own_socket, place};
use super::protocol::{Answer, Ask, Message, PROTOCOL, Status, VersionOnly, Wire, line};
use super::{ANSWER_TIMEOUT, IDLE_EXIT, MAX_LINE, REQUEST_TIMEOUT, WAIT_TIMEOUT};
use crate::duration;
use crate::env::Env;
use crate::error::{Error, Reason, Result};
use crate::session::{Keep, Key, Via};
use crate::sts::Session;

/// A connection to the agent, which checked to be the user's own.
pub struct Client {
    stream: UnixStream,
    place: Place,
    pid: u32,
    /// What went wrong, said once; after it the client asks nothing more.
    broken: bool,
    /// Lines said to the person (on stderr), through the caller.
    say: fn(&str),
    /// When the connection was last used, and how many sessions this client is obtaining (the
    /// agent keeps a quiet connection open REQUEST_TIMEOUT, or longer while it has those).
    used: Instant,
    leases: usize,
    /// How the code of the session the last `get` gave was had.
    via: Option<Via>,
}

/// What to do about an agent that does not answer.
const RESTART: &str = "`mfa-env agent stop` and `mfa-env agent start` start a new one (its sessions are lost); --no-agent goes without";

/// What is at the socket.
pub enum Found {
    /// No agent: no socket.
    None,
    /// A dead agent's socket (nothing listens): the next `agent start` replaces it.
    Dead(Place),
    Agent(Client),
    /// An agent that takes no connection or does not answer (stopped, stuck): what to do.
    Stuck(Error),
    /// Something that is not an agent of this version, or not the user's: what to do.
    Unusable(Error),
}

/// How long a client spends connecting to the agent, then waiting for its hello, before it
/// goes on without it: within a second in all.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const HELLO_TIMEOUT: Duration = Duration::from_millis(400);

/// The agent at the place `env` names, if one answers there within CONNECT_TIMEOUT and
/// HELLO_TIMEOUT.
pub fn find(env: &Env, say: fn(&str)) -> Found {
    let place = match place(env) {
        Ok(place) => place,
        Err(e) => return Found::Unusable(e),
    };
    connect(place, say)
}

fn connect(place: Place, say: fn(&str)) -> Found {
    // Nothing there is the common case: no agent, and no time spent.
    if std::fs::symlink_metadata(&place.socket).is_err() {
        return Found::None;
    }
    if let Err(e) = check_dir(place.dir(), false) {
        return Found::Unusable(e);
    }
    if !is_own_socket(&place.socket) {
        return Found::Unusable(
            Error::new(format!(
                "{} is not a socket of yours: not asking it for sessions",
                place.socket.display()
            ))
            .hint("remove it, or set MFA_ENV_AGENT_SOCK to another path"),
        );
    }
    let stream = match connect_within(&place.socket, CONNECT_TIMEOUT) {
        Ok(stream) => stream,
        Err(e) if e.kind() == ErrorKind::WouldBlock => {
            return Found::Stuck(
                Error::new(format!(
                    "the agent at {} takes no connection within {} ms: it is stopped or stuck",
                    place.socket.display(),
                    CONNECT_TIMEOUT.as_millis()
                ))
                .hint(RESTART),
            );
        }
        // A socket file with no agent behind it: a dead agent's.
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => return Found::Dead(place),
        Err(e) if e.kind() == ErrorKind::NotFound => return Found::None,
        Err(e) => {
            return Found::Unusable(Error::new(format!(
                "cannot connect to the agent at {}: {e}",
                place.socket.display()
            )));
        }
    };
    // The peer must be the user's own process, whoever could reach the file.
    let own = rustix::process::getuid().as_raw();
    match super::peer(std::os::fd::AsFd::as_fd(&stream)) {
        Ok((uid, _)) if uid == own => {}
        Ok((uid, _)) => {
            return Found::Unusable(
                Error::new(format!(
                    "the process behind {} runs as uid {uid}, not as you (uid {own}): not asking it for sessions",
                    place.socket.display(),
                ))
                .hint("remove the socket, or set MFA_ENV_AGENT_SOCK to a path of your own"),
            );
        }
        Err(e) => {
            return Found::Unusable(Error::new(format!(
                "cannot tell who runs the agent at {}: {e}",
                place.socket.display()
            )));
        }
    }
    let _ = stream.set_write_timeout(Some(ANSWER_TIMEOUT));
    let mut client = Client {
        stream,
        place,
        pid: 0,
        broken: false,
        say,
        used: Instant::now(),
        leases: 0,
        via: None,
    };
    match client.ask::<Answer>(&Ask::Hello, HELLO_TIMEOUT) {
        Ok(Answer::Hello { pid, .. }) => {
            client.pid = pid;
            Found::Agent(client)
        }
        Ok(other) => Found::Unusable(client.unexpected(&other)),
        Err(e) if e.is(Reason::AgentLost) => Found::Stuck(e),
        Err(e) => Found::Unusable(e),
    }
}

/// Connect to the socket at `path`, waiting at most `timeout` (WouldBlock past it). A connect
/// to a listener whose queue is full (an agent stopped or stuck while clients kept coming)
/// waits until it accepts, bounded only by the socket's send timeout: set before connecting.
fn connect_within(path: &std::path::Path, timeout: Duration) -> std::io::Result<UnixStream> {
    use rustix::net::{SocketAddrUnix, sockopt};
    let fd = crate::sys::socket::unix_stream()?;
    sockopt::set_socket_timeout(&fd, sockopt::Timeout::Send, Some(timeout))?;
    rustix::net::connect(&fd, &SocketAddrUnix::new(path)?)?;
    Ok(UnixStream::from(fd))
}

impl Client {
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn place(&self) -> &Place {
        &self.place
    }

    /// A new connection in place of this one, which the agent may have closed (a process that
    /// lives long, such as `exec --server`, asks now and then).
    fn reconnect(&mut self) -> bool {
        match connect(self.place.clone(), self.say) {
            Found::Agent(fresh) => {
                self.stream = fresh.stream;
                self.pid = fresh.pid;
                self.used = Instant::now();
                self.leases = 0;
                true
            }
            _ => false,
        }
    }

    /// Before a request: a connection quiet for longer than the agent keeps one is renewed.
    fn fresh(&mut self) {
        if self.leases == 0 && self.used.elapsed() > REQUEST_TIMEOUT / 2 {
            self.reconnect();
        }
    }

    /// Send `ask`, read the answer within `timeout`.
    fn ask<T: DeserializeOwned>(&mut self, ask: &Ask, timeout: Duration) -> Result<T> {
        self.used = Instant::now();
        let mut out = line(ask);
        let sent = self.stream.write_all(&out);
        out.zeroize();
        sent.map_err(|e| self.lost(&e.to_string()))?;
        self.read(timeout)
    }

    /// The next answer, within `timeout`.
    fn read<T: DeserializeOwned>(&mut self, timeout: Duration) -> Result<T> {
        // Room for the longest line: a session is not left behind in a block a growing
        // buffer frees.
        let mut buf = Vec::with_capacity(MAX_LINE + 4096);
        let got = read_line(&mut self.stream, &mut buf, timeout);
        let answer = got.map_err(|e| self.lost(&e)).and_then(|()| {
            let version: VersionOnly = serde_json::from_slice(&buf)
                .map_err(|_| self.lost("it answered something that is not an agent's answer"))?;
            if version.v != PROTOCOL {
                return Err(self.other_version(&buf, version.v));
            }
            serde_json::from_slice::<Message<T>>(&buf)
                .map(|m| m.body)
                .map_err(|_| self.lost("it answered something this version cannot read"))
        });
        buf.zeroize();
        answer
    }

    fn lost(&self, why: &str) -> Error {
        Error::new(format!(
            "the agent at {} did not answer: {why}",
            self.place.socket.display()
        ))
        .hint(RESTART)
        .because(Reason::AgentLost)
    }

    fn other_version(&self, buf: &[u8], v: u32) -> Error {
        let theirs: Option<Message<Answer>> = serde_json::from_slice(buf).ok();
        let (version, pid) = match theirs.map(|m| m.body) {
            Some(Answer::Version { version, pid }) => (version, pid.to_string()),
            _ => ("another version".to_owned(), "its pid".to_owned()),
        };
        Error::new(format!(
            "the agent at {} is mfa-env {version} (protocol {v}); this is mfa-env {} (protocol {PROTOCOL}): not using it",
            self.place.socket.display(),
            env!("CARGO_PKG_VERSION")
        ))
        .hint(format!(
            "stop it with that version's `mfa-env agent stop` (or `kill {pid}`; its sessions are lost), or set MFA_ENV_AGENT_SOCK to another path for this version"
        ))
    }

    fn unexpected(&self, answer: &Answer) -> Error {
        let what = match answer {
            Answer::Error { message } => crate::error::printable(message),
            _ => "an answer it should not give".to_owned(),
        };
        self.lost(&what)
    }

    /// What the agent holds.
    pub fn status(&mut self) -> Result<Status> {
        match self.ask(&Ask::Status, ANSWER_TIMEOUT)? {
            Answer::Status(status) => Ok(status),
            other => Err(self.unexpected(&other)),
        }
    }

    /// Drop every session, or `profile`'s: how many were dropped, and how many being obtained
    /// now will not be kept.
    pub fn forget(&mut self, profile: Option<&str>) -> Result<(usize, usize)> {
        let ask = Ask::Forget {
            profile: profile.map(str::to_owned),
        };
        match self.ask(&ask, ANSWER_TIMEOUT)? {
            Answer::Forgot { count, obtaining } => Ok((count, obtaining)),
            other => Err(self.unexpected(&other)),
        }
    }

    /// Stop the agent: once this returns, its socket is gone and it holds nothing.
    pub fn stop(&mut self) -> Result<()> {
        match self.ask(&Ask::Stop, ANSWER_TIMEOUT)? {
            Answer::Done => Ok(()),
            other => Err(self.unexpected(&other)),
        }
    }

    fn failed(&mut self, e: &Error) {
        if !self.broken {
            self.broken = true;
            (self.say)(&format!("{}; going on without it", e.message()));
            if let Some(hint) = e.hint_text() {
                (self.say)(hint);
            }
        }
    }
}

impl Keep for Client {
    fn get(&mut self, key: &Key, left: Duration) -> Option<Session> {
        if self.broken {
            return None;
        }
        self.fresh();
        let ask = Ask::Get {
            key: key.clone(),
            left: left.as_secs(),
        };
        let mut answer = self.ask::<Answer>(&ask, ANSWER_TIMEOUT);
        let mut waited = None;
        if let Ok(Answer::Wait { pid }) = answer {
            let who = process(pid);
            (self.say)(&format!(
                "waiting for {who}, which is getting the {} session (Ctrl-C to stop)",
                key.profile
            ));
            waited = Some(who);
            answer = self.read(WAIT_TIMEOUT);
        }
        if let (Some(who), Ok(Answer::Miss)) = (waited, &answer) {
            (self.say)(&format!(
                "{who} did not get the {} session (it failed, or is still at its prompt): getting it here",
                key.profile
            ));
        }
        match answer {
            Ok(Answer::Session { session, via }) => match session.unlike_sts() {
                None => {
                    self.via = Some(via);
                    Some(session.into_session())
                }
                Some(why) => {
                    let e = self.lost(&format!("it gave a session STS could not have sent: {why}"));
                    self.failed(&e);
                    None
                }
            },
            Ok(Answer::Miss) => {
                self.leases += 1;
                None
            }
            Ok(other) => {
                let e = self.unexpected(&other);
                self.failed(&e);
                None
            }
            Err(e) => {
                self.failed(&e);
                None
            }
        }
    }

    fn via(&self) -> Option<Via> {
        self.via
    }

    fn put(&mut self, key: &Key, session: &Session, via: Via) {
        if self.broken {
            return;
        }
        self.fresh();
        let ask = Ask::Put {
            key: key.clone(),
            session: Wire::from(session),
            via,
        };
        let mut answer = self.ask::<Answer>(&ask, ANSWER_TIMEOUT);
        // A long wait at the prompt outlasts the agent's patience with a quiet connection:
        // the session is handed over on a new one.
        if answer.is_err() && self.reconnect() {
            answer = self.ask::<Answer>(&ask, ANSWER_TIMEOUT);
        }
        self.leases = self.leases.saturating_sub(1);
        let why = match answer {
            Ok(Answer::Done) => return,
            Ok(Answer::Error { message }) => crate::error::printable(&message),
            Ok(_) => "it gave an answer it should not give".to_owned(),
            Err(e) => e.message().to_owned(),
        };
        // This session works; only later processes will need a code of their own.
        self.broken = true;
        (self.say)(&format!(
            "the agent did not keep the {} session ({why}): other processes will ask for a code",
            key.profile
        ));
    }
}

/// A process the agent names by its pid: 0 is one in a pid namespace the agent cannot see.
fn process(pid: u32) -> String {
    if pid == 0 {
        "another process (in another pid namespace)".to_owned()
    } else {
        format!("process {pid}")
    }
}

/// Read one line into `buf` (without its newline) within `timeout`: at most MAX_LINE bytes.
fn read_line(
    stream: &mut UnixStream,
    buf: &mut Vec<u8>,
    timeout: Duration,
) -> std::result::Result<(), String> {
    let deadline = Instant::now() + timeout;
    let mut chunk = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            chunk.zeroize();
            return Err(format!("no answer within {} ms", timeout.as_millis()));
        }
        let _ = stream.set_read_timeout(Some(left));
        let n = match stream.read(&mut chunk) {
            Ok(0) => {
                chunk.zeroize();
                return Err("it closed the connection".to_owned());
            }
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(e) => {
                chunk.zeroize();
                return Err(e.to_string());
            }
        };
        if let Some(end) = chunk[..n].iter().position(|&b| b == b'\n') {
            buf.extend_from_slice(&chunk[..end]);
            chunk.zeroize();
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_LINE {
            chunk.zeroize();
            return Err("its answer is too long".to_owned());
        }
    }
}

/// Start the agent unless one answers at the place `env` names, and return once it answers:
/// its pid, and whether it was started now.
pub fn ensure_started(
    env: &Env,
    idle_exit: Option<Duration>,
    say: fn(&str),
) -> Result<(Client, bool)> {
    let place = place(env)?;
    check_dir(place.dir(), true)?;
    match connect(place.clone(), say) {
        Found::Agent(client) => return Ok((client, false)),
        Found::Unusable(e) | Found::Stuck(e) => return Err(e),
        Found::None | Found::Dead(_) => {}
    }
    let exe = std::env::current_exe().map_err(|e| {
        Error::new(format!(
            "cannot tell where mfa-env is to start the agent: {e}"
        ))
    })?;
    let mut command = Command::new(exe);
    // Nothing of the caller's environment: a shell's exported session or keys have no
    // business in the agent's memory.
    command
        .env_clear()
        .args(["agent", "run", "--detach", "--idle-exit"])
        .arg(duration::human(idle_exit.unwrap_or(IDLE_EXIT)))
        .env("MFA_ENV_AGENT_SOCK", &place.socket)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        // Until it answers: what it says about starting (an error, a warning) comes here,
        // then it closes this pipe and keeps nothing of the caller's.
        .stderr(Stdio::piped())
        .current_dir("/");
    // SAFETY: between fork and exec, only system calls that touch no memory: see
    // `keep_no_inherited_files`.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(|| {
            keep_no_inherited_files();
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| Error::new(format!("cannot start the agent: {e}")))?;
    let mut said = String::new();
    if let Some(mut err) = child.stderr.take() {
        // Bounded: the agent closes it once it listens, or dies; either takes milliseconds.
        let waiting = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = (&mut err).take(64 * 1024).read_to_string(&mut text);
            text
        });
        let deadline = Instant::now() + Duration::from_secs(5);
        while !waiting.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if waiting.is_finished() {
            said = waiting.join().unwrap_or_default();
        }
    }
    for line in said.lines() {
        eprintln!("{line}");
    }
    // The agent goes on alone; its exit, if it failed, is reaped here.
    let exited = child.try_wait().ok().flatten();
    match connect(place.clone(), say) {
        Found::Agent(client) => Ok((client, true)),
        Found::Unusable(e) | Found::Stuck(e) => Err(e),
        Found::None | Found::Dead(_) => Err(Error::new(match exited {
            Some(status) => format!("the agent did not start ({status})"),
            None => format!(
                "the agent did not answer at {} after starting",
                place.socket.display()
            ),
        })
        .hint("run `mfa-env agent run` to see it start in the foreground")),
    }
}

/// In the agent's child before exec: every descriptor past stderr closed at exec. The agent
/// lives for hours; a file its starter left open across exec (a `$(...)`'s pipe on fd 3, a
/// terminal) would stay open as long, and whoever waits for that pipe's end (a shell's
/// start-up) would wait as long. ssh-agent closes them too (`closefrom`). Marked, not closed:
/// std's pipe that reports a failed exec is among them.
fn keep_no_inherited_files() {
    crate::sys::fd::close_inherited_on_exec();
}

/// End the agent at `place` that no longer answers (stopped, stuck): its pid is in the lock
/// file it holds, and the process must be the user's own `mfa-env agent run`. SIGTERM (with
/// SIGCONT, which a stopped process needs to act on it), then SIGKILL after 2 s; a socket it
/// could not remove is removed. Its pid, or why it cannot be ended.
pub fn end_stuck(place: &Place) -> std::result::Result<u32, String> {
    use rustix::process::{Pid, Signal, kill_process};
    let text = std::fs::read_to_string(place.lock())
        .map_err(|e| format!("cannot read its pid from {}: {e}", place.lock().display()))?;
    let raw: i32 = text
        .trim()
        .parse()
        .map_err(|_| format!("{} holds no pid", place.lock().display()))?;
    let pid =
        Pid::from_raw(raw).ok_or_else(|| format!("{} holds no pid", place.lock().display()))?;
    let own = rustix::process::getuid().as_raw();
    let is_agent = crate::sys::proc::seen(raw).is_some_and(|seen| {
        seen.uid == own
            && seen
                .args
                .windows(b"agent\0run".len())
                .any(|w| w == b"agent\0run")
    });
    if !is_agent {
        return Err(format!("process {raw} is not an agent of yours"));
    }
    let gone = |limit: Duration| {
        let until = Instant::now() + limit;
        loop {
            if crate::sys::proc::seen(raw).is_none() {
                return true;
            }
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let _ = kill_process(pid, Signal::TERM);
    let _ = kill_process(pid, Signal::CONT);
    if !gone(Duration::from_secs(2)) {
        let _ = kill_process(pid, Signal::KILL);
        if !gone(Duration::from_secs(1)) {
            return Err(format!("process {raw} did not end"));
        }
    }
    if is_own_socket(&place.socket) {
        let _ = std::fs::remove_file(&place.socket);
    }
    Ok(raw.unsigned_abs())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_process_in_another_pid_namespace_is_named_without_a_pid() {
        assert_eq!(super::process(4242), "process 4242");
        assert_eq!(
            super::process(0),
            "another process (in another pid namespace)"
        );
    }
}
