//! A small STS on 127.0.0.1: awsQuery form POSTs in, XML out, every request recorded.
//!
//! It answers GetSessionToken, AssumeRole and GetCallerIdentity as AWS does, or with a
//! queued reply (an error, a fault, a hang) for the next request. IAM speaks the same
//! protocol, so it also answers IAM's ListMFADevices (Version 2010-05-08) and can stand for
//! both endpoints. Every answer carries a Date header, from a clock that can be set off.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Temporary credentials the server hands out. An empty expiration is computed as AWS does:
/// now plus the DurationSeconds asked (default 12h for GetSessionToken, 1h for AssumeRole).
#[derive(Debug, Clone)]
pub struct Creds {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: String,
}

impl Default for Creds {
    fn default() -> Self {
        Creds {
            access_key_id: "ASIATESTSESSIONKEY01".into(),
            secret_access_key: "sessionSecret/with+slash=".into(),
            session_token: "FwoGZXIvYXdzEBYaDH+token/value==".into(),
            expiration: String::new(),
        }
    }
}

impl Creds {
    /// Fixed values, for exact output, with the expiration fixed when called: 15 minutes from
    /// now, within what any call asks for (mfa-env refuses a later one, as STS never grants
    /// more than was asked).
    pub fn fixed() -> Creds {
        Creds {
            expiration: in_minutes(15),
            ..Creds::default()
        }
    }
}

/// An expiration `minutes` from now, in whole seconds as STS writes it.
pub fn in_minutes(minutes: i64) -> String {
    mfa_env::time::rfc3339(mfa_env::time::now() + minutes * 60)
}

#[derive(Debug, Clone)]
pub enum Reply {
    /// The action's normal answer with these credentials.
    Creds(Creds),
    /// An awsQuery XML error.
    Error {
        status: u16,
        code: String,
        message: String,
    },
    /// Any status and body.
    Raw { status: u16, body: String },
    /// Read the request and never answer.
    Hang,
    /// Read the request and close the connection without a byte.
    Close,
    /// Send the head and half the body of the normal answer, then reset the connection
    /// (SO_LINGER 0, so the close sends RST), as a dropped VPN or a crashing proxy does.
    Reset,
    /// Answer after a delay.
    Delay(Duration, Box<Reply>),
}

impl Reply {
    pub fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::Error {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn code_rejected() -> Reply {
        Reply::error(
            403,
            "AccessDenied",
            "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
        )
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub params: BTreeMap<String, String>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn action(&self) -> &str {
        self.param("Action").unwrap_or("")
    }

    /// The SigV4 credential scope: (access key, date, region, service).
    pub fn scope(&self) -> Option<(String, String, String, String)> {
        let auth = self.header("authorization")?;
        let cred = auth.split("Credential=").nth(1)?.split(',').next()?;
        let parts: Vec<&str> = cred.split('/').collect();
        match parts[..] {
            [key, date, region, service, "aws4_request"] => Some((
                key.to_owned(),
                date.to_owned(),
                region.to_owned(),
                service.to_owned(),
            )),
            _ => None,
        }
    }

    pub fn access_key(&self) -> String {
        self.scope().map(|s| s.0).unwrap_or_default()
    }

    /// An AssumeRole call signed with the session of `creds` (its key and token, not the
    /// long-term key), with no code: what a role assumed from an MFA session kept or held is.
    /// Returns the DurationSeconds asked, which STS allows up to an hour for such a call.
    #[track_caller]
    pub fn assert_assumed_with(&self, creds: &Creds) -> u64 {
        assert_eq!(self.action(), "AssumeRole");
        assert_eq!(self.access_key(), creds.access_key_id);
        assert_eq!(
            self.header("x-amz-security-token"),
            Some(creds.session_token.as_str())
        );
        assert_eq!(self.param("TokenCode"), None);
        assert_eq!(self.param("SerialNumber"), None);
        let asked: u64 = self.param("DurationSeconds").unwrap().parse().unwrap();
        assert!(asked <= 3600, "{asked}");
        asked
    }
}

#[derive(Default)]
struct State {
    queue: VecDeque<Reply>,
    requests: Vec<Request>,
    default: Option<Reply>,
    world: World,
}

/// What the normal answers say.
#[derive(Clone)]
struct World {
    /// GetCallerIdentity's Arn.
    identity: String,
    /// ListMFADevices' serial numbers.
    devices: Vec<String>,
    /// Seconds the Date header is ahead of this computer's clock.
    clock_offset: i64,
    /// Seconds AssumeRole's normal answers last, whatever was asked, each with keys of its
    /// own (`ASIAROLESESSION00001`, then 2, ...): a renewal shows as new keys.
    role_lifetime: Option<i64>,
    /// AssumeRole requests so far, this one included.
    assumed: usize,
    /// What AssumeRole's normal answers hand out instead of the reply's credentials.
    role_creds: Option<Creds>,
}

impl Default for World {
    fn default() -> Self {
        World {
            identity: "arn:aws:iam::123456789012:user/alice".into(),
            devices: Vec::new(),
            clock_offset: 0,
            role_lifetime: None,
            assumed: 0,
            role_creds: None,
        }
    }
}

pub struct StsServer {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl StsServer {
    pub fn start() -> StsServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = Arc::clone(&state);
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let state = Arc::clone(&shared);
                thread::spawn(move || serve(stream, &state));
            }
        });
        StsServer { url, state }
    }

    /// The reply to the next request (queued replies are used in order).
    pub fn reply(&self, reply: Reply) -> &Self {
        self.state.lock().unwrap().queue.push_back(reply);
        self
    }

    /// The reply once the queue is empty (instead of the action's normal answer).
    pub fn always(&self, reply: Reply) -> &Self {
        self.state.lock().unwrap().default = Some(reply);
        self
    }

    /// The ARN GetCallerIdentity answers with.
    pub fn identity(&self, arn: &str) -> &Self {
        self.state.lock().unwrap().world.identity = arn.into();
        self
    }

    /// The serial numbers ListMFADevices answers with.
    pub fn devices(&self, serials: &[&str]) -> &Self {
        self.state.lock().unwrap().world.devices = serials.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Put the server's clock (its Date header) this many seconds ahead.
    pub fn clock_offset(&self, secs: i64) -> &Self {
        self.state.lock().unwrap().world.clock_offset = secs;
        self
    }

    /// Role sessions that last `secs` seconds, each with keys of its own (see `World`).
    pub fn short_roles(&self, secs: i64) -> &Self {
        self.state.lock().unwrap().world.role_lifetime = Some(secs);
        self
    }

    /// AssumeRole's normal answers hand out `creds` (GetSessionToken's stay the reply's): a
    /// role session then differs from the MFA session it was assumed from.
    pub fn role_creds(&self, creds: Creds) -> &Self {
        self.state.lock().unwrap().world.role_creds = Some(creds);
        self
    }

    /// The requests of one action.
    pub fn calls(&self, action: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.action() == action)
            .count()
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    #[track_caller]
    pub fn only_request(&self) -> Request {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected one request, got {requests:#?}");
        requests.into_iter().next().unwrap()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        let (reply, world) = {
            let mut state = state.lock().unwrap();
            state.requests.push(request.clone());
            state.world.assumed = (state.requests.iter())
                .filter(|r| r.action() == "AssumeRole")
                .count();
            let reply = state
                .queue
                .pop_front()
                .or_else(|| state.default.clone())
                .unwrap_or_else(|| Reply::Creds(Creds::default()));
            (reply, state.world.clone())
        };
        if !answer(&mut writer, &request, &world, reply) {
            return;
        }
    }
}

/// Write the reply; false when the connection must end.
fn answer(out: &mut TcpStream, request: &Request, world: &World, reply: Reply) -> bool {
    let (status, body) = match reply {
        Reply::Creds(creds) => (200, success(request, world, &creds)),
        Reply::Error {
            status,
            code,
            message,
        } => (status, error_xml(namespace(request), &code, &message)),
        Reply::Raw { status, body } => (status, body),
        Reply::Hang => {
            thread::sleep(Duration::from_secs(120));
            return false;
        }
        Reply::Close => return false,
        Reply::Reset => {
            let body = success(request, world, &Creds::default());
            let head = head(200, body.len(), world);
            let _ = out
                .write_all(head.as_bytes())
                .and_then(|()| out.write_all(&body.as_bytes()[..body.len() / 2]))
                .and_then(|()| out.flush());
            reset_on_close(out);
            return false;
        }
        Reply::Delay(d, reply) => {
            thread::sleep(d);
            return answer(out, request, world, *reply);
        }
    };
    out.write_all(head(status, body.len(), world).as_bytes())
        .and_then(|()| out.write_all(body.as_bytes()))
        .is_ok()
}

fn head(status: u16, length: usize, world: &World) -> String {
    format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/xml\r\nContent-Length: {length}\r\nDate: {}\r\nx-amzn-RequestId: 4e1b5a3e-0000-4000-8000-000000000000\r\n\r\n",
        if status == 200 { "OK" } else { "Error" },
        http_date(mfa_env::time::now() + world.clock_offset)
    )
}

/// Make the last close of this socket send RST instead of FIN.
fn reset_on_close(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a correctly sized option value.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            std::ptr::addr_of!(linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "SO_LINGER: {}", std::io::Error::last_os_error());
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
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
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let params = form_decode(&String::from_utf8_lossy(&body));
    Some(Request {
        method,
        path,
        headers,
        params,
    })
}

pub fn form_decode(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Raw CR would be normalised away by any XML parser, and other control characters
            // are not allowed raw in XML (the SDK's parser refuses them): a server sends them
            // as references, which the SDK decodes.
            c if c.is_control() && c != '\n' && c != '\t' => {
                out.push_str(&format!("&#x{:x};", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out
}

fn credentials_xml(c: &Creds, request: &Request) -> String {
    let expiration = if c.expiration.is_empty() {
        let default = if request.action() == "AssumeRole" {
            3600
        } else {
            43_200
        };
        let secs: i64 = request
            .param("DurationSeconds")
            .and_then(|d| d.parse().ok())
            .unwrap_or(default);
        mfa_env::time::rfc3339(mfa_env::time::now() + secs)
    } else {
        c.expiration.clone()
    };
    format!(
        "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
        xml_escape(&c.access_key_id),
        xml_escape(&c.secret_access_key),
        xml_escape(&c.session_token),
        xml_escape(&expiration)
    )
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`, as HTTP servers write dates.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = mfa_env::time::rfc3339(secs);
    let month: usize = t[5..7].parse().unwrap();
    format!(
        "{}, {} {} {} {} GMT",
        DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize],
        &t[8..10],
        MONTHS[month - 1],
        &t[..4],
        &t[11..19]
    )
}

/// The XML namespace of the service the request is for.
fn namespace(request: &Request) -> &'static str {
    if request.param("Version") == Some("2010-05-08") {
        "https://iam.amazonaws.com/doc/2010-05-08/"
    } else {
        "https://sts.amazonaws.com/doc/2011-06-15/"
    }
}

fn success(request: &Request, world: &World, creds: &Creds) -> String {
    let action = request.action();
    let result = match action {
        "AssumeRole" => {
            let numbered;
            let creds = world.role_creds.as_ref().unwrap_or(creds);
            let creds = match world.role_lifetime {
                Some(secs) => {
                    numbered = Creds {
                        access_key_id: format!("ASIAROLESESSION{:05}", world.assumed),
                        expiration: mfa_env::time::rfc3339(mfa_env::time::now() + secs),
                        ..creds.clone()
                    };
                    &numbered
                }
                None => creds,
            };
            let role = request.param("RoleArn").unwrap_or("");
            let session = request.param("RoleSessionName").unwrap_or("");
            let assumed =
                role.replacen(":iam:", ":sts:", 1)
                    .replacen(":role/", ":assumed-role/", 1);
            format!(
                "{}<AssumedRoleUser><AssumedRoleId>AROATEST:{}</AssumedRoleId><Arn>{}/{}</Arn></AssumedRoleUser>",
                credentials_xml(creds, request),
                xml_escape(session),
                xml_escape(&assumed),
                xml_escape(session)
            )
        }
        "GetFederationToken" => {
            let name = request.param("Name").unwrap_or("");
            format!(
                "{}<FederatedUser><FederatedUserId>123456789012:{}</FederatedUserId><Arn>arn:aws:sts::123456789012:federated-user/{}</Arn></FederatedUser><PackedPolicySize>6</PackedPolicySize>",
                credentials_xml(creds, request),
                xml_escape(name),
                xml_escape(name)
            )
        }
        "GetCallerIdentity" => format!(
            "<Arn>{}</Arn><UserId>AIDATEST</UserId><Account>123456789012</Account>",
            xml_escape(&world.identity)
        ),
        "ListMFADevices" => {
            let user = request.param("UserName").unwrap_or("alice");
            let members: String = world
                .devices
                .iter()
                .map(|serial| {
                    format!(
                        "<member><UserName>{}</UserName><SerialNumber>{}</SerialNumber><EnableDate>2026-01-02T03:04:05Z</EnableDate></member>",
                        xml_escape(user),
                        xml_escape(serial)
                    )
                })
                .collect();
            format!("<IsTruncated>false</IsTruncated><MFADevices>{members}</MFADevices>")
        }
        _ => credentials_xml(creds, request),
    };
    let ns = namespace(request);
    format!(
        "<{action}Response xmlns=\"{ns}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>4e1b5a3e-0000-4000-8000-000000000000</RequestId></ResponseMetadata></{action}Response>"
    )
}

pub fn error_xml(ns: &str, code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{ns}\"><Error><Type>Sender</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>4e1b5a3e-0000-4000-8000-000000000000</RequestId></ErrorResponse>",
        xml_escape(code),
        xml_escape(message)
    )
}
