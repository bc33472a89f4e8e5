//! The container credentials endpoint that `exec --server` serves to its command: a small
//! HTTP/1.1 server on 127.0.0.1, as the AWS SDKs read one in a container
//! (AWS_CONTAINER_CREDENTIALS_FULL_URI with AWS_CONTAINER_AUTHORIZATION_TOKEN).
//!
//! `GET /` with the token in the Authorization header answers
//! `{"AccessKeyId","SecretAccessKey","Token","Expiration","AccountId"}`; everything else is a
//! JSON error `{"code","message"}` with a 4xx or 5xx status, which is how the SDKs read
//! errors. Any local process can connect, so nothing a client sends is trusted: a request's
//! head is read within `READ_TIMEOUT` and `MAX_HEAD` bytes, and every answer closes its
//! connection. Connections that have not shown the token cannot keep the command waiting:
//! every connection is accepted at once, a request without the token is refused as soon as its
//! head is read, and when `MAX_UNPROVEN` such connections are open the oldest is closed for the
//! newest (the command's own request is read within milliseconds of its connecting). Those with
//! the token are served `MAX_CONNECTIONS` at a time.
//!
//! What is served comes from the caller (`serve`'s `credentials`), one request at a time:
//! requests that come while it works wait for it, and then get what it kept.

use std::collections::VecDeque;
use std::future::Future;
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, oneshot};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::sts::Session;

/// The most a request's line and headers may take (an SDK's is under 1 KiB).
pub const MAX_HEAD: usize = 8 * 1024;
/// Time a client has to send its request's head (an SDK sends it at once; botocore gives up
/// after 2 s itself): short, so that idle connections cannot hold the places long.
pub const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Connections with the token served at once; more wait until one ends.
pub const MAX_CONNECTIONS: usize = 64;
/// Connections open before their token is seen; the oldest is closed for a new one beyond
/// it. Far below the usual limit of 1024 open files, which the STS client needs some of.
pub const MAX_UNPROVEN: usize = 512;
/// Connections the kernel queues until they are accepted (at most net.core.somaxconn).
const BACKLOG: i32 = 2 * MAX_UNPROVEN as i32;
/// Time an answer may take to be written, and what a client sent beyond the head to be read
/// and dropped before the connection closes (so that the close does not reset the answer).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(1);
const MAX_DRAIN: usize = 64 * 1024;
/// Random bytes in the token: the SDKs send it as it is, so it is written in hex.
const TOKEN_BYTES: usize = 32;

/// The token a client must send in the Authorization header. It lives in this process's
/// memory and the command's environment, never in a file.
pub struct Token(Secret);

impl Token {
    /// A new token of `TOKEN_BYTES` bytes from the kernel's random source.
    pub fn new() -> Result<Token> {
        let mut bytes = Zeroizing::new([0u8; TOKEN_BYTES]);
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut bytes[..]))
            .map_err(|e| Error::new(format!("cannot read random bytes from /dev/urandom: {e}")))?;
        let mut hex = String::with_capacity(2 * TOKEN_BYTES);
        for b in bytes.iter() {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 15)]));
        }
        Ok(Token(Secret::new(hex)))
    }

    /// The value for AWS_CONTAINER_AUTHORIZATION_TOKEN.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Whether `given` is the token, in time that does not depend on where they differ.
    fn matches(&self, given: &[u8]) -> bool {
        let own = self.0.expose().as_bytes();
        own.len() == given.len() && own.iter().zip(given).fold(0, |d, (a, b)| d | (a ^ b)) == 0
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// What the endpoint answers a client with the token: credentials, or why there are none.
pub type Answer = std::result::Result<Credentials, Error>;

/// Credentials to serve, and the account they act in where it is known.
pub struct Credentials {
    pub session: Session,
    pub account: Option<String>,
}

/// One answer: its status, and the body (credentials are in it: cleared when dropped).
struct Reply {
    status: u16,
    body: Zeroizing<Vec<u8>>,
    allow: bool,
}

impl Reply {
    fn error(status: u16, code: &str, message: &str) -> Reply {
        let body = serde_json::json!({ "code": code, "message": message }).to_string();
        Reply {
            status,
            body: Zeroizing::new(body.into_bytes()),
            allow: status == 405,
        }
    }

    fn from_answer(answer: Answer) -> Reply {
        let c = match answer {
            Ok(c) => c,
            Err(e) => {
                let message = match e.hint_text() {
                    Some(hint) => format!("{}; {hint}", e.message()),
                    None => e.message().to_owned(),
                };
                return Reply::error(503, "CredentialsUnavailable", &message);
            }
        };
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Body<'a> {
            access_key_id: &'a str,
            secret_access_key: &'a str,
            token: &'a str,
            expiration: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            account_id: Option<&'a str>,
        }
        let s = &c.session;
        let expiration = crate::time::rfc3339(s.expiration);
        let body = Body {
            access_key_id: &s.access_key_id,
            secret_access_key: s.secret_access_key.expose(),
            token: s.session_token.expose(),
            expiration: &expiration,
            account_id: c.account.as_deref(),
        };
        // Room for the whole body at once: a buffer that grew would leave copies of the
        // secret in the memory it freed.
        let room = 256 + s.secret_access_key.expose().len() + s.session_token.expose().len() * 2;
        let mut out = Zeroizing::new(Vec::with_capacity(room));
        match serde_json::to_writer(&mut *out, &body) {
            Ok(()) => Reply {
                status: 200,
                body: out,
                allow: false,
            },
            Err(e) => Reply::error(
                500,
                "InternalError",
                &format!("cannot write the answer: {e}"),
            ),
        }
    }

    fn head(&self) -> String {
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            408 => "Request Timeout",
            431 => "Request Header Fields Too Large",
            503 => "Service Unavailable",
            _ => "Internal Server Error",
        };
        format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}Cache-Control: no-store\r\nConnection: close\r\n\r\n",
            self.status,
            self.body.len(),
            if self.allow { "Allow: GET\r\n" } else { "" }
        )
    }
}

/// Serve on `listener` until `until` is ready; then refuse every request (403, the command
/// has ended) until `after` is done too, and return `until`'s output; the listener is closed
/// then. `credentials` is called for each client with the token that asks for them, one call
/// at a time.
pub async fn serve<T>(
    listener: std::net::TcpListener,
    token: Token,
    until: impl Future<Output = T>,
    after: impl Future<Output = ()>,
    mut credentials: impl AsyncFnMut() -> Answer,
) -> Result<T> {
    // Room in the kernel's queue for a burst of connections (std listens with 128): a
    // connection it has no room for is retried by the client only after a second.
    let listener = rustix::net::listen(&listener, BACKLOG)
        .map_err(std::io::Error::from)
        .and_then(|()| listener.set_nonblocking(true))
        .and_then(|()| TcpListener::from_std(listener))
        .map_err(|e| Error::new(format!("cannot serve on 127.0.0.1: {e}")))?;
    let token = Arc::new(token);
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let unproven = Arc::new(Unproven::default());
    let (asks, mut asked) = mpsc::channel::<oneshot::Sender<Reply>>(MAX_CONNECTIONS);
    let (mut until, mut after) = (std::pin::pin!(until), std::pin::pin!(after));
    let mut ended = None;
    loop {
        tokio::select! {
            biased;
            value = &mut until, if ended.is_none() => ended = Some(value),
            () = &mut after, if ended.is_some() => {
                if let Some(value) = ended.take() {
                    return Ok(value);
                }
            }
            Some(reply) = asked.recv() => {
                let answer = match ended {
                    None => Reply::from_answer(credentials().await),
                    Some(_) => Reply::error(
                        403,
                        "CommandEnded",
                        "the command has ended: mfa-env serves no more credentials",
                    ),
                };
                let _ = reply.send(answer);
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let ticket = Unproven::enter(&unproven);
                    let (token, asks) = (Arc::clone(&token), asks.clone());
                    let permits = Arc::clone(&permits);
                    tokio::spawn(connection(stream, token, asks, ticket, permits));
                }
                // A failed accept is that client's (gone already), or no file can be opened:
                // then the oldest unproven connection makes room (its task closes it when it
                // runs), or, with none to close, a pause keeps this from spinning.
                Err(e) if out_of_files(&e) => {
                    if unproven.evict_oldest() {
                        tokio::task::yield_now().await;
                    } else {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
                Err(_) => {}
            }
        }
    }
}

/// Whether accept failed for want of a file or memory, not for the client's sake.
fn out_of_files(e: &std::io::Error) -> bool {
    let full = [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM];
    e.raw_os_error().is_some_and(|n| full.contains(&n))
}

/// The connections that have not shown the token yet, oldest first, each with what closes it.
#[derive(Default)]
struct Unproven(Mutex<(u64, VecDeque<Place>)>);

/// A connection's number, and the sender whose drop closes it.
type Place = (u64, oneshot::Sender<()>);

/// A connection's place among the unproven: `evicted` is ready when it must close; dropped, it
/// leaves (the token shown, or the connection ended).
struct Ticket {
    id: u64,
    evicted: oneshot::Receiver<()>,
    unproven: Arc<Unproven>,
}

impl Unproven {
    /// A place for a new connection, the oldest closed when all are taken.
    fn enter(unproven: &Arc<Unproven>) -> Ticket {
        let (close, evicted) = oneshot::channel();
        let mut guard = unproven.0.lock().unwrap_or_else(PoisonError::into_inner);
        let (next, queue) = &mut *guard;
        while queue.len() >= MAX_UNPROVEN {
            // Dropping the sender makes the receiver ready: the task closes its connection.
            queue.pop_front();
        }
        let id = *next;
        *next += 1;
        queue.push_back((id, close));
        Ticket {
            id,
            evicted,
            unproven: Arc::clone(unproven),
        }
    }

    /// Close the oldest: whether there was one.
    fn evict_oldest(&self) -> bool {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        guard.1.pop_front().is_some()
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .len()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut guard = (self.unproven.0.lock()).unwrap_or_else(PoisonError::into_inner);
        guard.1.retain(|(id, _)| *id != self.id);
    }
}

/// One client: its request, and the one answer to it. Until it shows the token, it may be
/// closed for a newer connection (`ticket`); with the token, it waits for one of `permits`.
async fn connection(
    mut stream: TcpStream,
    token: Arc<Token>,
    asks: mpsc::Sender<oneshot::Sender<Reply>>,
    mut ticket: Ticket,
    permits: Arc<Semaphore>,
) {
    let unproven = async {
        match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
            Err(_) => Some(Err(Reply::error(
                408,
                "RequestTimeout",
                "the request did not come in time",
            ))),
            Ok(Head::Closed) => None,
            Ok(Head::TooLarge) => Some(Err(Reply::error(
                431,
                "RequestHeaderFieldsTooLarge",
                &format!("the request's head is over {MAX_HEAD} bytes"),
            ))),
            Ok(Head::Read(head)) => Some(check(&head, &token)),
        }
    };
    let checked = tokio::select! {
        _ = &mut ticket.evicted => return,
        checked = unproven => checked,
    };
    match checked {
        None => {}
        // Refused at once; closed for a newer connection if need be while it is answered.
        Some(Err(reply)) => {
            tokio::select! {
                _ = &mut ticket.evicted => {}
                () = answer(&mut stream, reply) => {}
            }
        }
        Some(Ok(())) => {
            drop(ticket);
            let Ok(_permit) = permits.acquire().await else {
                return;
            };
            let (reply, answered) = oneshot::channel();
            let reply = match asks.send(reply).await {
                Ok(()) => answered.await.unwrap_or_else(|_| ending()),
                Err(_) => ending(),
            };
            answer(&mut stream, reply).await;
        }
    }
}

/// Write `reply`, then read and drop what the client sent beyond the head, so that closing
/// does not reset the answer.
async fn answer(stream: &mut TcpStream, reply: Reply) {
    let _ = tokio::time::timeout(WRITE_TIMEOUT, async {
        stream.write_all(reply.head().as_bytes()).await?;
        stream.write_all(&reply.body).await?;
        stream.shutdown().await
    })
    .await;
    drop(reply);
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        let mut buf = [0u8; 4096];
        let mut read = 0;
        while read < MAX_DRAIN {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    })
    .await;
}

fn ending() -> Reply {
    Reply::error(503, "Ending", "mfa-env is ending: the command has ended")
}

enum Head {
    Read(Zeroizing<Vec<u8>>),
    TooLarge,
    Closed,
}

/// The request line and headers, up to the empty line.
async fn read_head(stream: &mut TcpStream) -> Head {
    // The head holds the token: cleared when dropped, and never grown past its room.
    let mut head = Zeroizing::new(Vec::with_capacity(MAX_HEAD));
    let mut buf = Zeroizing::new([0u8; 1024]);
    loop {
        let n = match stream.read(&mut buf[..]).await {
            Ok(0) | Err(_) => return Head::Closed,
            Ok(n) => n,
        };
        let start = head.len().saturating_sub(3);
        if head.len() + n > MAX_HEAD {
            return Head::TooLarge;
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = end_of_head(&head[start..]) {
            head.truncate(start + end);
            return Head::Read(head);
        }
    }
}

/// Where the head ends in `bytes` (after its empty line), CRLF or bare LF.
fn end_of_head(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find_map(|i| {
        let rest = &bytes[i..];
        if rest.starts_with(b"\r\n\r\n") {
            Some(i + 4)
        } else if rest.starts_with(b"\n\n") {
            Some(i + 2)
        } else if rest.starts_with(b"\n\r\n") {
            Some(i + 3)
        } else {
            None
        }
    })
}

/// Whether the request asks for the credentials as it must: the token, then `GET /`.
fn check(head: &[u8], token: &Token) -> std::result::Result<(), Reply> {
    let bad = |why: &str| Reply::error(400, "BadRequest", why);
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let request_line = lines.next().unwrap_or_default();
    let mut words = request_line.split(|b| *b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return Err(bad("the request line is not METHOD TARGET HTTP/1.1"));
    };
    if !version.starts_with(b"HTTP/1.") {
        return Err(bad("only HTTP/1.0 and HTTP/1.1 are served"));
    }
    let mut authorization = None;
    for line in lines.take_while(|line| !line.is_empty()) {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return Err(bad("a header line has no colon"));
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|b| b.is_ascii_graphic()) {
            return Err(bad("a header's name is not a token"));
        }
        if name.eq_ignore_ascii_case(b"authorization") {
            if authorization.is_some() {
                return Err(bad("more than one Authorization header"));
            }
            authorization = Some(value.trim_ascii());
        }
    }
    if !authorization.is_some_and(|given| token.matches(given)) {
        return Err(Reply::error(
            403,
            "AccessDenied",
            "the Authorization header is not the token in AWS_CONTAINER_AUTHORIZATION_TOKEN",
        ));
    }
    if method != b"GET" {
        return Err(Reply::error(405, "MethodNotAllowed", "only GET is served"));
    }
    if target != b"/" {
        return Err(Reply::error(
            404,
            "NotFound",
            "the credentials are at / only",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> Token {
        Token(Secret::new(
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ))
    }

    fn status(head: &str) -> u16 {
        match check(head.as_bytes(), &token()) {
            Ok(()) => 200,
            Err(reply) => reply.status,
        }
    }

    #[test]
    fn only_get_of_the_root_with_the_token_is_served() {
        let t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        for (head, want) in [
            (
                format!("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: {t}\r\n\r\n"),
                200,
            ),
            (format!("GET / HTTP/1.0\nauthorization:   {t}  \n\n"), 200),
            (
                format!("POST / HTTP/1.1\r\nAuthorization: {t}\r\n\r\n"),
                405,
            ),
            (
                format!("GET /x HTTP/1.1\r\nAuthorization: {t}\r\n\r\n"),
                404,
            ),
            (
                format!("GET /?a HTTP/1.1\r\nAuthorization: {t}\r\n\r\n"),
                404,
            ),
            ("GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(), 403),
            (
                format!("GET / HTTP/1.1\r\nAuthorization: {}\r\n\r\n", &t[1..]),
                403,
            ),
            (
                format!("GET / HTTP/1.1\r\nAuthorization: {t}x\r\n\r\n"),
                403,
            ),
            (
                format!("GET / HTTP/1.1\r\nAuthorization: Bearer {t}\r\n\r\n"),
                403,
            ),
            // The token does not open the other methods before it is checked.
            ("DELETE /x HTTP/1.1\r\n\r\n".to_owned(), 403),
            (
                format!("GET / HTTP/1.1\r\nAuthorization: {t}\r\nAuthorization: {t}\r\n\r\n"),
                400,
            ),
            (format!("GET / HTTP/2.0\r\nAuthorization: {t}\r\n\r\n"), 400),
            (
                format!("GET  / HTTP/1.1\r\nAuthorization: {t}\r\n\r\n"),
                400,
            ),
            (format!("GET / HTTP/1.1\r\nAuthorization {t}\r\n\r\n"), 400),
            ("\r\n\r\n".to_owned(), 400),
            ("\u{0}\u{ff}".to_owned(), 400),
        ] {
            assert_eq!(status(&head), want, "{head:?}");
        }
    }

    #[test]
    fn the_oldest_unproven_connection_is_closed_for_a_new_one() {
        use tokio::sync::oneshot::error::TryRecvError;
        let unproven = Arc::new(Unproven::default());
        let mut tickets: Vec<Ticket> = (0..MAX_UNPROVEN)
            .map(|_| Unproven::enter(&unproven))
            .collect();
        assert!((tickets.iter_mut()).all(|t| t.evicted.try_recv() == Err(TryRecvError::Empty)));
        let mut newest = Unproven::enter(&unproven);
        assert_eq!(unproven.len(), MAX_UNPROVEN);
        assert_eq!(tickets[0].evicted.try_recv(), Err(TryRecvError::Closed));
        assert_eq!(tickets[1].evicted.try_recv(), Err(TryRecvError::Empty));
        assert_eq!(newest.evicted.try_recv(), Err(TryRecvError::Empty));
        // One that shows the token leaves: the next new one closes nobody.
        tickets.truncate(2);
        drop(tickets.pop());
        let _another = Unproven::enter(&unproven);
        assert_eq!(unproven.len(), 2);
        assert_eq!(newest.evicted.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn the_head_ends_at_its_empty_line() {
        assert_eq!(end_of_head(b"GET / HTTP/1.1\r\n\r\nbody"), Some(18));
        assert_eq!(end_of_head(b"GET / HTTP/1.1\n\nbody"), Some(16));
        assert_eq!(end_of_head(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }

    #[test]
    fn tokens_are_new_hex_and_compared_whole() {
        let (a, b) = (Token::new().unwrap(), Token::new().unwrap());
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
        assert!(a.matches(a.expose().as_bytes()));
        assert!(!a.matches(b.expose().as_bytes()));
        assert!(!a.matches(&a.expose().as_bytes()[..63]));
        assert!(!a.matches(b""));
    }

    #[test]
    fn credentials_answer_as_the_sdks_read_them() {
        let session = Session {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("s\"ecret"),
            session_token: Secret::new("to/ken=="),
            expiration: 1_800_000_000,
        };
        let reply = Reply::from_answer(Ok(Credentials {
            session,
            account: Some("123456789012".into()),
        }));
        assert_eq!(reply.status, 200);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "AccessKeyId": "ASIAEXAMPLE",
                "SecretAccessKey": "s\"ecret",
                "Token": "to/ken==",
                "Expiration": "2027-01-15T08:00:00Z",
                "AccountId": "123456789012",
            })
        );
        assert!(
            reply
                .head()
                .contains(&format!("Content-Length: {}\r\n", reply.body.len()))
        );
        let reply = Reply::from_answer(Err(Error::new("STS is down").hint("try later")));
        assert_eq!(reply.status, 503);
        let body: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["message"], "STS is down; try later");
        assert_eq!(body["code"], "CredentialsUnavailable");
    }
}
