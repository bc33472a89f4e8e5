//! The few D-Bus calls the Secret Service needs (`keyring`), spoken directly: a Unix socket
//! to the session bus, EXTERNAL authentication, and method calls with their arguments
//! marshalled by signature. Blocking, every read and write bounded by the call's deadline.
//! No crate: zbus did the same, but added 1.2 MB to a 5.1 MB binary and 30 s to a build.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

/// The largest message read: a Secret Service answer is a few KiB.
const MAX_MESSAGE: usize = 1 << 20;

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// No bus to connect to (why).
    NoBus(String),
    /// The bus or the service answered with this D-Bus error (name, message).
    Error(String, String),
    /// No answer in time, a broken connection, or an answer that is not D-Bus.
    Failed(String),
}

/// A value read from a message.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(u64),
    Str(String),
    Bytes(Zeroizing<Vec<u8>>),
    Array(Vec<Value>),
    Dict(Vec<(Value, Value)>),
    Struct(Vec<Value>),
    Variant(Box<Value>),
}

impl Value {
    pub fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Variant(v) => v.str(),
            _ => None,
        }
    }
    pub fn int(&self) -> Option<u64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Variant(v) => v.int(),
            _ => None,
        }
    }
    pub fn bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Variant(v) => v.bool(),
            _ => None,
        }
    }
    pub fn items(&self) -> &[Value] {
        match self {
            Value::Array(items) | Value::Struct(items) => items,
            Value::Variant(v) => v.items(),
            _ => &[],
        }
    }
    pub fn pairs(&self) -> &[(Value, Value)] {
        match self {
            Value::Dict(pairs) => pairs,
            Value::Variant(v) => v.pairs(),
            _ => &[],
        }
    }
}

/// An argument to marshal.
pub enum Arg<'a> {
    Str(&'a str),
    Path(&'a str),
    Bool(bool),
    /// A variant holding a string.
    VarStr(&'a str),
    /// a{ss}
    StrDict(&'a [(&'a str, &'a str)]),
    /// A variant holding an a{ss}.
    VarStrDict(&'a [(&'a str, &'a str)]),
    /// a{sv} of the above.
    Props(&'a [(&'a str, Arg<'a>)]),
    /// (oayays): a Secret Service secret.
    Secret {
        session: &'a str,
        value: &'a [u8],
        content_type: &'a str,
    },
}

impl Arg<'_> {
    fn signature(&self, out: &mut String) {
        match self {
            Arg::Str(_) => out.push('s'),
            Arg::Path(_) => out.push('o'),
            Arg::Bool(_) => out.push('b'),
            Arg::VarStr(_) | Arg::VarStrDict(_) => out.push('v'),
            Arg::StrDict(_) => out.push_str("a{ss}"),
            Arg::Props(_) => out.push_str("a{sv}"),
            Arg::Secret { .. } => out.push_str("(oayays)"),
        }
    }
}

/// Bytes being written, aligned from the message's start.
struct Writer {
    b: Zeroizing<Vec<u8>>,
}

impl Writer {
    fn pad(&mut self, align: usize) {
        while !self.b.len().is_multiple_of(align) {
            self.b.push(0);
        }
    }
    fn u32(&mut self, n: u32) {
        self.pad(4);
        self.b.extend_from_slice(&n.to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.u32(u32::try_from(s.len()).unwrap_or(u32::MAX));
        self.b.extend_from_slice(s.as_bytes());
        self.b.push(0);
    }
    fn sig(&mut self, s: &str) {
        self.b.push(u8::try_from(s.len()).unwrap_or(u8::MAX));
        self.b.extend_from_slice(s.as_bytes());
        self.b.push(0);
    }
    /// An array whose elements align to `align`, written by `f`.
    fn array(&mut self, align: usize, f: impl FnOnce(&mut Writer)) {
        self.pad(4);
        let at = self.b.len();
        self.b.extend_from_slice(&[0; 4]);
        self.pad(align);
        let start = self.b.len();
        f(self);
        let n = u32::try_from(self.b.len() - start).unwrap_or(u32::MAX);
        self.b[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }
    fn bytes(&mut self, bytes: &[u8]) {
        self.array(1, |w| w.b.extend_from_slice(bytes));
    }
    fn str_dict(&mut self, pairs: &[(&str, &str)]) {
        self.array(8, |w| {
            for (k, v) in pairs {
                w.pad(8);
                w.str(k);
                w.str(v);
            }
        });
    }
    fn arg(&mut self, arg: &Arg) {
        match arg {
            Arg::Str(s) | Arg::Path(s) => self.str(s),
            Arg::Bool(b) => self.u32(u32::from(*b)),
            Arg::VarStr(s) => {
                self.sig("s");
                self.str(s);
            }
            Arg::StrDict(pairs) => self.str_dict(pairs),
            Arg::VarStrDict(pairs) => {
                self.sig("a{ss}");
                self.str_dict(pairs);
            }
            Arg::Props(props) => self.array(8, |w| {
                for (k, v) in props.iter() {
                    w.pad(8);
                    w.str(k);
                    w.arg(v);
                }
            }),
            Arg::Secret {
                session,
                value,
                content_type,
            } => {
                self.pad(8);
                self.str(session);
                self.bytes(&[]);
                self.bytes(value);
                self.str(content_type);
            }
        }
    }
}

/// Bytes being read by signature, aligned from the start (a message's body starts aligned
/// to 8, so the body's offsets align as the message's do).
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
    big: bool,
}

fn bad() -> CallError {
    CallError::Failed("an answer that is not valid D-Bus".into())
}

/// The alignment of the type that starts `sig`.
fn align_of(code: u8) -> usize {
    match code {
        b'y' | b'g' | b'v' => 1,
        b'n' | b'q' => 2,
        b'x' | b't' | b'd' | b'(' | b'{' => 8,
        _ => 4,
    }
}

/// The length of the one complete type that starts `sig`.
fn one_type(sig: &[u8]) -> Result<usize, CallError> {
    match sig.first().ok_or_else(bad)? {
        b'a' => Ok(1 + one_type(&sig[1..])?),
        open @ (b'(' | b'{') => {
            let close = if *open == b'(' { b')' } else { b'}' };
            let mut n = 1;
            while *sig.get(n).ok_or_else(bad)? != close {
                n += one_type(&sig[n..])?;
            }
            Ok(n + 1)
        }
        _ => Ok(1),
    }
}

impl Reader<'_> {
    fn pad(&mut self, align: usize) -> Result<(), CallError> {
        self.at = self.at.div_ceil(align) * align;
        if self.at > self.b.len() {
            return Err(bad());
        }
        Ok(())
    }
    fn take(&mut self, n: usize) -> Result<&[u8], CallError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or_else(bad)?;
        let bytes = &self.b[self.at..end];
        self.at = end;
        Ok(bytes)
    }
    fn uint(&mut self, n: usize) -> Result<u64, CallError> {
        self.pad(n)?;
        let big = self.big;
        let bytes = self.take(n)?;
        let mut v = 0u64;
        for i in 0..n {
            let byte = if big { bytes[i] } else { bytes[n - 1 - i] };
            v = (v << 8) | u64::from(byte);
        }
        Ok(v)
    }
    fn text(&mut self, len: usize) -> Result<String, CallError> {
        let bytes = self.take(len + 1)?;
        String::from_utf8(bytes[..len].to_vec()).map_err(|_| bad())
    }
    /// Every value of `sig`, in order.
    fn values(&mut self, sig: &[u8]) -> Result<Vec<Value>, CallError> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < sig.len() {
            let n = one_type(&sig[i..])?;
            out.push(self.value(&sig[i..i + n])?);
            i += n;
        }
        Ok(out)
    }
    /// One value of the complete type `sig`.
    fn value(&mut self, sig: &[u8]) -> Result<Value, CallError> {
        Ok(match sig[0] {
            b'y' => Value::Int(self.uint(1)?),
            b'b' => Value::Bool(self.uint(4)? != 0),
            b'n' | b'q' => Value::Int(self.uint(2)?),
            b'i' | b'u' | b'h' => Value::Int(self.uint(4)?),
            b'x' | b't' | b'd' => Value::Int(self.uint(8)?),
            b's' | b'o' => {
                let len = usize::try_from(self.uint(4)?).map_err(|_| bad())?;
                Value::Str(self.text(len)?)
            }
            b'g' => {
                let len = usize::from(self.take(1)?[0]);
                Value::Str(self.text(len)?)
            }
            b'v' => {
                let len = usize::from(self.take(1)?[0]);
                let inner = self.text(len)?;
                let inner = inner.as_bytes();
                if inner.is_empty() || one_type(inner)? != inner.len() {
                    return Err(bad());
                }
                Value::Variant(Box::new(self.value(inner)?))
            }
            b'a' => {
                let len = usize::try_from(self.uint(4)?).map_err(|_| bad())?;
                let elem = &sig[1..];
                self.pad(align_of(elem[0]))?;
                let end = self
                    .at
                    .checked_add(len)
                    .filter(|e| *e <= self.b.len())
                    .ok_or_else(bad)?;
                if elem[0] == b'y' {
                    let bytes = self.take(len)?;
                    let mut kept = Zeroizing::new(Vec::with_capacity(bytes.len()));
                    kept.extend_from_slice(bytes);
                    return Ok(Value::Bytes(kept));
                }
                if elem[0] == b'{' {
                    let mut pairs = Vec::new();
                    while self.at < end {
                        self.pad(8)?;
                        let inner = &elem[1..elem.len() - 1];
                        let k = one_type(inner)?;
                        let key = self.value(&inner[..k])?;
                        let val = self.value(&inner[k..])?;
                        pairs.push((key, val));
                    }
                    return Ok(Value::Dict(pairs));
                }
                let mut items = Vec::new();
                while self.at < end {
                    items.push(self.value(elem)?);
                }
                Value::Array(items)
            }
            b'(' => {
                self.pad(8)?;
                Value::Struct(self.values(&sig[1..sig.len() - 1])?)
            }
            _ => return Err(bad()),
        })
    }
}

/// A connection to the session bus.
pub struct Bus {
    sock: UnixStream,
    serial: u32,
    /// No call goes past this.
    deadline: Instant,
    call_timeout: Duration,
}

/// Where the session bus is: DBUS_SESSION_BUS_ADDRESS's first `unix:` address, else
/// `$XDG_RUNTIME_DIR/bus`.
fn connect() -> Result<UnixStream, CallError> {
    let Some(address) = std::env::var_os("DBUS_SESSION_BUS_ADDRESS") else {
        let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR") else {
            return Err(CallError::NoBus(
                "neither DBUS_SESSION_BUS_ADDRESS nor XDG_RUNTIME_DIR is set".into(),
            ));
        };
        let path = std::path::Path::new(&dir).join("bus");
        return UnixStream::connect(&path)
            .map_err(|e| CallError::NoBus(format!("{}: {e}", path.display())));
    };
    let address = address.to_string_lossy().into_owned();
    let mut why = format!("DBUS_SESSION_BUS_ADDRESS={address} names no unix: address");
    for one in address.split(';') {
        let Some(rest) = one.strip_prefix("unix:") else {
            continue;
        };
        for pair in rest.split(',') {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = unescape(value);
            let tried = match key {
                "path" => UnixStream::connect(&value),
                "abstract" => super::socket::connect_abstract(&value),
                _ => continue,
            };
            match tried {
                Ok(sock) => return Ok(sock),
                Err(e) => why = format!("{key}={value}: {e}"),
            }
        }
    }
    Err(CallError::NoBus(why))
}

/// A D-Bus address value: `%XX` escapes undone.
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = value.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Bus {
    /// Connect, authenticate as this uid and say Hello, within `call_timeout`; no call of
    /// this connection goes past `total` from now.
    pub fn session(call_timeout: Duration, total: Duration) -> Result<Bus, CallError> {
        let sock = connect()?;
        let mut bus = Bus {
            sock,
            serial: 0,
            deadline: Instant::now() + total,
            call_timeout,
        };
        let until = bus.call_deadline();
        let uid = rustix::process::getuid().as_raw().to_string();
        let hex: String = uid.bytes().map(|b| format!("{b:02x}")).collect();
        bus.write_all(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes(), until)?;
        let line = bus.read_line(until)?;
        if !line.starts_with("OK ") {
            return Err(CallError::Failed(format!(
                "the session D-Bus refused to authenticate ({})",
                line.trim()
            )));
        }
        bus.write_all(b"BEGIN\r\n", until)?;
        bus.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "Hello",
            &[],
        )?;
        Ok(bus)
    }

    fn call_deadline(&self) -> Instant {
        (Instant::now() + self.call_timeout).min(self.deadline)
    }

    fn timed_out(&self) -> CallError {
        CallError::Failed(format!("no answer within {}s", self.call_timeout.as_secs()))
    }

    fn left(&self, until: Instant) -> Result<Duration, CallError> {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(self.timed_out());
        }
        Ok(left)
    }

    fn write_all(&mut self, mut bytes: &[u8], until: Instant) -> Result<(), CallError> {
        while !bytes.is_empty() {
            let left = self.left(until)?;
            self.sock.set_write_timeout(Some(left)).map_err(io)?;
            match self.sock.write(bytes) {
                Ok(0) => return Err(CallError::Failed("the bus closed the connection".into())),
                Ok(n) => bytes = &bytes[n..],
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return Err(self.timed_out()),
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8], until: Instant) -> Result<(), CallError> {
        let mut at = 0;
        while at < buf.len() {
            let left = self.left(until)?;
            self.sock.set_read_timeout(Some(left)).map_err(io)?;
            match self.sock.read(&mut buf[at..]) {
                Ok(0) => return Err(CallError::Failed("the bus closed the connection".into())),
                Ok(n) => at += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => return Err(self.timed_out()),
                Err(e) => return Err(io(e)),
            }
        }
        Ok(())
    }

    /// One line of the authentication, byte by byte (what follows is not read).
    fn read_line(&mut self, until: Instant) -> Result<String, CallError> {
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            if line.len() > 512 {
                return Err(bad());
            }
            let mut byte = [0];
            self.read_exact(&mut byte, until)?;
            line.push(byte[0]);
        }
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// Call `member` and return the values of its answer.
    pub fn call(
        &mut self,
        dest: &str,
        path: &str,
        iface: &str,
        member: &str,
        args: &[Arg],
    ) -> Result<Vec<Value>, CallError> {
        let until = self.call_deadline();
        self.serial += 1;
        let serial = self.serial;
        let mut signature = String::new();
        for arg in args {
            arg.signature(&mut signature);
        }
        let mut body = Writer {
            b: Zeroizing::new(Vec::with_capacity(8192)),
        };
        for arg in args {
            body.arg(arg);
        }
        let mut msg = Writer {
            b: Zeroizing::new(Vec::with_capacity(body.b.len() + 512)),
        };
        msg.b.extend_from_slice(&[b'l', 1, 0, 1]);
        msg.u32(u32::try_from(body.b.len()).unwrap_or(u32::MAX));
        msg.u32(serial);
        msg.array(8, |w| {
            let mut field = |code: u8, sig: &str, value: &str| {
                w.pad(8);
                w.b.push(code);
                w.sig(sig);
                if sig == "g" {
                    w.sig(value);
                } else {
                    w.str(value);
                }
            };
            field(1, "o", path);
            field(2, "s", iface);
            field(3, "s", member);
            field(6, "s", dest);
            if !signature.is_empty() {
                field(8, "g", &signature);
            }
        });
        msg.pad(8);
        msg.b.extend_from_slice(&body.b);
        self.write_all(&msg.b, until)?;
        loop {
            let (kind, reply_to, error, sig, body) = self.read_message(until)?;
            if reply_to != Some(serial) {
                continue;
            }
            let mut reader = Reader {
                b: &body.0,
                at: 0,
                big: body.1,
            };
            let values = reader.values(sig.as_bytes())?;
            return match kind {
                2 => Ok(values),
                3 => Err(CallError::Error(
                    error.unwrap_or_default(),
                    values
                        .first()
                        .and_then(Value::str)
                        .unwrap_or_default()
                        .to_owned(),
                )),
                _ => Err(bad()),
            };
        }
    }

    /// One message: its type, the serial it answers, its error name, signature and body
    /// (with whether it is big-endian).
    #[allow(clippy::type_complexity)]
    fn read_message(
        &mut self,
        until: Instant,
    ) -> Result<
        (
            u8,
            Option<u32>,
            Option<String>,
            String,
            (Zeroizing<Vec<u8>>, bool),
        ),
        CallError,
    > {
        let mut fixed = [0u8; 16];
        self.read_exact(&mut fixed, until)?;
        let big = match fixed[0] {
            b'l' => false,
            b'B' => true,
            _ => return Err(bad()),
        };
        let word = |at: usize| {
            let b = [fixed[at], fixed[at + 1], fixed[at + 2], fixed[at + 3]];
            usize::try_from(if big {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            })
            .unwrap_or(usize::MAX)
        };
        let (body_len, fields_len) = (word(4), word(12));
        if body_len > MAX_MESSAGE || fields_len > MAX_MESSAGE {
            return Err(bad());
        }
        // The fields array, padded to 8 from the message's start.
        let padded = (16 + fields_len).div_ceil(8) * 8 - 16;
        let mut rest = Zeroizing::new(vec![0u8; padded + body_len]);
        self.read_exact(&mut rest, until)?;
        // Read where it is in the message, so that it aligns as there.
        let mut header = fixed.to_vec();
        header.extend_from_slice(&rest[..fields_len]);
        let mut fields = Reader {
            b: &header,
            at: 12,
            big,
        };
        let mut reply_to = None;
        let mut error = None;
        let mut sig = String::new();
        if let Value::Array(entries) = fields.value(b"a(yv)")? {
            for entry in entries {
                let items = entry.items();
                let (Some(code), Some(value)) = (items.first().and_then(Value::int), items.get(1))
                else {
                    continue;
                };
                match code {
                    4 => error = value.str().map(str::to_owned),
                    5 => reply_to = value.int().and_then(|n| u32::try_from(n).ok()),
                    8 => sig = value.str().unwrap_or_default().to_owned(),
                    _ => {}
                }
            }
        }
        let body = Zeroizing::new(rest[padded..].to_vec());
        Ok((fixed[1], reply_to, error, sig, (body, big)))
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

fn io(e: std::io::Error) -> CallError {
    CallError::Failed(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_back_as_written() {
        let mut w = Writer {
            b: Zeroizing::new(Vec::new()),
        };
        let props = [
            ("a", Arg::VarStr("x")),
            ("b", Arg::VarStrDict(&[("k", "v"), ("k2", "v2")])),
        ];
        for arg in [
            Arg::Str("hello"),
            Arg::Props(&props),
            Arg::Secret {
                session: "/s/1",
                value: b"secret",
                content_type: "text/plain",
            },
            Arg::Bool(true),
        ] {
            w.arg(&arg);
        }
        let mut r = Reader {
            b: &w.b,
            at: 0,
            big: false,
        };
        let values = r.values(b"sa{sv}(oayays)b").unwrap();
        assert_eq!(values[0].str(), Some("hello"));
        let pairs = values[1].pairs();
        assert_eq!(pairs[0].0.str(), Some("a"));
        assert_eq!(pairs[0].1.str(), Some("x"));
        assert_eq!(pairs[1].1.pairs()[1].1.str(), Some("v2"));
        let secret = values[2].items();
        assert_eq!(secret[0].str(), Some("/s/1"));
        assert_eq!(secret[2], Value::Bytes(Zeroizing::new(b"secret".to_vec())));
        assert_eq!(values[3].bool(), Some(true));
        assert_eq!(r.at, w.b.len());
        // Truncated or malformed: an error, never a panic.
        for cut in 0..w.b.len() {
            let mut r = Reader {
                b: &w.b[..cut],
                at: 0,
                big: false,
            };
            let _ = r.values(b"sa{sv}(oayays)b");
        }
        assert_eq!(unescape("/tmp/a%2cb"), "/tmp/a,b");
    }
}
