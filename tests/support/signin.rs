//! A test federation endpoint on 127.0.0.1, as AWS's sign-in endpoint behaves for the console:
//! `getSigninToken` answers a token only for the role sessions it is told STS issued
//! (AssumeRole's key, secret and token), refuses an IAM user's MFA session (GetSessionToken's)
//! with AWS's message, and refuses `SessionDuration` (role chaining); `Action=login` with a
//! token it issued redirects to the Destination; every other path is a console page, served
//! and recorded.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use super::Creds;
use super::sts::{Request, form_decode};

/// What AWS answers for an IAM user's own session (99designs/aws-vault#1191).
pub const REFUSED_GET_SESSION_TOKEN: &str =
    "Only federation tokens or assume role tokens may be used for federated login";
/// The tokens it hands out start with this (a marker: never on stderr).
pub const TOKEN_PREFIX: &str = "SigninTokenMarker";

#[derive(Default)]
struct State {
    accepts: Vec<Creds>,
    refuses: Vec<Creds>,
    issued: Vec<String>,
    requests: Vec<Request>,
}

pub struct Federation {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl Federation {
    /// An endpoint that takes the role sessions `accepts` and refuses the MFA sessions
    /// `refuses` as AWS does.
    pub fn start(accepts: &[Creds], refuses: &[Creds]) -> Federation {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            accepts: accepts.to_vec(),
            refuses: refuses.to_vec(),
            ..State::default()
        }));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        Federation { base, state }
    }

    /// MFA_ENV_SIGNIN_URL's value.
    pub fn url(&self) -> String {
        format!("{}/federation", self.base)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// The requests with this Action.
    pub fn actions(&self, action: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/federation") && r.action() == action)
            .collect()
    }

    /// The console pages requested (paths other than /federation), in order.
    pub fn pages(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| !r.path.starts_with("/federation"))
            .map(|r| r.path)
            .collect()
    }

    /// The sign-in tokens handed out.
    pub fn issued(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while let Some(request) = read(&mut reader) {
        state.lock().unwrap().requests.push(request.clone());
        let (status, headers, body) = answer(&request, state);
        let head = format!(
            "HTTP/1.1 {status} {}\r\n{headers}Content-Length: {}\r\n\r\n",
            if status < 400 { "OK" } else { "Error" },
            body.len()
        );
        if out
            .write_all(head.as_bytes())
            .and_then(|()| out.write_all(body.as_bytes()))
            .and_then(|()| out.flush())
            .is_err()
        {
            return;
        }
    }
}

fn answer(request: &Request, state: &Mutex<State>) -> (u16, String, String) {
    let text = |s: &str| "Content-Type: text/plain\r\n".to_owned() + s;
    if !request.path.starts_with("/federation") {
        let page = format!(
            "<!DOCTYPE html><html><head><title>console</title></head><body><h1 id=\"page\">console page {}</h1></body></html>",
            request.path.replace('<', "&lt;")
        );
        return (200, "Content-Type: text/html\r\n".into(), page);
    }
    match request.action() {
        "getSigninToken" => {
            if request.param("SessionDuration").is_some() {
                return (400, text(""), "Invalid credentials parameter".into());
            }
            let Some(session) = request
                .param("Session")
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            else {
                return (400, text(""), "Invalid Session parameter".into());
            };
            let field = |k: &str| session.get(k).and_then(|v| v.as_str()).unwrap_or("");
            let same = |c: &Creds| {
                c.access_key_id == field("sessionId")
                    && c.secret_access_key == field("sessionKey")
                    && c.session_token == field("sessionToken")
            };
            let mut state = state.lock().unwrap();
            if state.refuses.iter().any(same) {
                return (400, text(""), REFUSED_GET_SESSION_TOKEN.into());
            }
            if !state.accepts.iter().any(same) {
                return (400, text(""), "Invalid credentials".into());
            }
            let token = format!("{TOKEN_PREFIX}{:04}-x_y", state.issued.len() + 1);
            state.issued.push(token.clone());
            let body = serde_json::json!({ "SigninToken": token }).to_string();
            (200, "Content-Type: application/json\r\n".into(), body)
        }
        "login" => {
            let state = state.lock().unwrap();
            let token = request.param("SigninToken").unwrap_or("");
            let destination = request.param("Destination").unwrap_or("");
            if !state.issued.iter().any(|t| t == token) || destination.is_empty() {
                return (400, text(""), "Invalid SigninToken".into());
            }
            (302, format!("Location: {destination}\r\n"), String::new())
        }
        _ => (400, text(""), "unknown Action".into()),
    }
}

/// A GET (or any request; its body is ignored), its query as the parameters.
fn read(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut words = line.split_whitespace();
    let method = words.next()?.to_owned();
    let path = words.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let params = form_decode(path.split_once('?').map(|(_, q)| q).unwrap_or(""));
    Some(Request {
        method,
        path,
        headers,
        params,
    })
}
