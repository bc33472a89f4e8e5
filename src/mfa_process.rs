//! Codes from a device or a password manager: the profile's `mfa_process` or `--mfa-process`.
//!
//! The command line is split into words as a POSIX shell would split it (quotes, backslashes,
//! `~`), but no shell runs: pipes, redirections and `$` expansions are refused with a hint,
//! instead of being passed on as arguments that would fail in a puzzling way. The command
//! reads /dev/null, its stderr goes to ours (a YubiKey asks for a touch there), its stdout is
//! captured, it may ask on the terminal (/dev/tty), it ends with mfa-env (see `child`), and it
//! has a time limit after which its whole process group is killed. The code is the last run of
//! exactly six digits in what it printed; the output itself is never shown, since a password
//! manager may print more than the code.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::env::Env;
use crate::error::{Error, Result};

/// Output beyond this is not kept: a code is a few bytes, and a runaway command must not fill
/// memory.
const MAX_OUTPUT: usize = 1 << 20;
/// How often the child is checked while it runs.
const POLL: Duration = Duration::from_millis(10);

/// A command ready to run for a code: its words split, not yet started.
#[derive(Debug)]
pub struct Prepared {
    program: Command,
    /// The program's name, as the command line gives it.
    name: String,
    /// The command line as written, for messages.
    shown: String,
    origin: String,
    timeout: Duration,
}

/// Make `command` ready to run (`origin` says what named it, for messages). The caller says
/// what the wait is for (`Prepared::shown`: it may wait for a touch, a PIN or a passphrase)
/// before `Prepared::code` starts it: once it has the terminal, a write from mfa-env could
/// stop it (`stty tostop`).
pub fn prepare(command: &str, origin: &str, timeout: Duration, env: &Env) -> Result<Prepared> {
    let shown = command.trim();
    let home = env.home();
    let words = split(command, home_str(&home)).map_err(|why| {
        Error::new(format!("cannot run {origin} `{shown}`: {why}"))
            .hint("write it as a plain command line; for pipes or variables use: sh -c '...'")
    })?;
    Ok(Prepared {
        program: program(&words, Stdio::null()),
        name: words[0].clone(),
        shown: shown.to_owned(),
        origin: origin.to_owned(),
        timeout,
    })
}

impl Prepared {
    /// The command line, as written.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Run it, and the code it printed within its time. Call it on the thread that waits for
    /// it: see `child`.
    pub fn code(self) -> Result<String> {
        let Prepared {
            mut program,
            name,
            shown,
            origin,
            timeout,
        } = self;
        let output = run(&mut program, timeout, |e| {
            Error::new(format!("cannot run {origin} `{shown}`: '{name}': {e}")).hint(spawn_hint(&e))
        })?;
        let (status, stdout) = output.ok_or_else(|| {
            Error::new(format!(
                "{origin} `{shown}` printed no code within {}s and was stopped",
                timeout.as_secs()
            ))
            .hint("if it waits for a touch, a PIN or an unlock, answer it in time; --mfa-process-timeout SECONDS gives it longer")
        })?;
        if !status.success() {
            return Err(
                Error::new(format!("{origin} `{shown}` failed ({})", describe(status)))
                    .hint("its own message, if any, is above; run it by hand to see what it needs"),
            );
        }
        last_code(&stdout).ok_or_else(|| {
            Error::new(format!("{origin} `{shown}` printed no 6-digit code")).hint(
                "the command must print the current code (such as 123456) on its standard output",
            )
        })
    }
}

/// The command `words` name (split by `split`), as a command mfa-env runs for a secret is
/// started: `stdin` as the caller says, stdout piped for `collect`, stderr the user's, and the
/// user's own core-dump limit back (mfa-env's own is 0).
pub fn program(words: &[String], stdin: Stdio) -> Command {
    let mut program = Command::new(&words[0]);
    program
        .args(&words[1..])
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    // SAFETY: runs in the child between fork and exec, where only async-signal-safe calls
    // are allowed: setrlimit is one system call, and reads a value set at start.
    #[allow(unsafe_code)]
    unsafe {
        program.pre_exec(crate::hardening::user_core_limit_back);
    }
    program
}

/// What to do when a program cannot be started (`e`).
pub fn spawn_hint(e: &std::io::Error) -> &'static str {
    if e.kind() == std::io::ErrorKind::NotFound {
        "install it, or give its full path"
    } else {
        "check the program's path and permissions"
    }
}

/// Run `program` (its stdout piped) as a command for a code is run: no shell, in its own
/// process group, given the terminal if mfa-env has it, ended with mfa-env (see `child`), and
/// stopped with what it started once `timeout` is over. Its exit status and what it printed
/// (at most MAX_OUTPUT), or None when it was stopped; `cannot_start` says why it did not
/// start. Call it on the thread that waits for it: see `child`. The askpass program and the
/// desktop's dialog (`dialog.rs`) are run this way too.
pub fn run(
    program: &mut Command,
    timeout: Duration,
    cannot_start: impl FnOnce(std::io::Error) -> Error,
) -> Result<Option<(ExitStatus, Vec<u8>)>> {
    let (mut child, guard) = crate::child::spawn(program).map_err(cannot_start)?;
    let deadline = Instant::now() + timeout;
    let output = collect(&mut child, deadline, MAX_OUTPUT);
    guard.finish(output.as_ref().map(|(status, _)| *status))?;
    Ok(output)
}

/// Wait for the child and its output until `deadline`; on time-out kill its process group.
/// At most `max` bytes of output and one more are kept (so that the caller can tell output
/// beyond its limit from output at it).
pub(crate) fn collect(
    child: &mut Child,
    deadline: Instant,
    max: usize,
) -> Option<(ExitStatus, Vec<u8>)> {
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        // Room for a credential_process answer from the start: a secret is not left behind in
        // memory freed as the buffer grows.
        let mut kept = Vec::with_capacity((max + 1).min(1 << 16));
        let mut buf = [0; 8192];
        // Read to the end even past the limit, so that the command never blocks on a full pipe.
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            let room = (max + 1).saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
        zeroize::Zeroize::zeroize(&mut buf);
        let _ = send.send(kept);
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(POLL),
            Ok(None) | Err(_) => break None,
        }
    };
    let stop = |child: &mut Child| {
        let pid = rustix::process::Pid::from_child(child);
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
        let _ = child.kill();
        let _ = child.wait();
    };
    let Some(status) = status else {
        stop(child);
        return None;
    };
    // A process it left behind may still hold the pipe open: it gets the rest of the time,
    // then it is stopped and what was printed so far counts.
    let output = receive
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .or_else(|_| {
            stop(child);
            receive.recv_timeout(Duration::from_secs(1))
        })
        .unwrap_or_default();
    Some((status, output))
}

/// How a program ended, for messages: `exit status 2`, `killed by signal 9`.
pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    }
}

/// The last run of exactly six ASCII digits (a longer run of digits is not a code).
pub fn last_code(output: &[u8]) -> Option<String> {
    let mut found = None;
    let mut i = 0;
    while i < output.len() {
        if output[i].is_ascii_digit() {
            let start = i;
            while i < output.len() && output[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                found = Some(start..i);
            }
        } else {
            i += 1;
        }
    }
    found.map(|r| String::from_utf8_lossy(&output[r]).into_owned())
}

/// The home directory for `split`, or why there is none.
pub(crate) fn home_str(
    home: &std::result::Result<PathBuf, String>,
) -> std::result::Result<&str, String> {
    match home {
        Ok(path) => path
            .to_str()
            .ok_or_else(|| format!("the home directory {} is not UTF-8", path.display())),
        Err(why) => Err(why.clone()),
    }
}

/// Split a command line into words as a POSIX shell does, without running one: whitespace
/// separates words; `'...'` is literal; in `"..."` a backslash escapes only `$`, `` ` ``, `"`,
/// `\` and a newline; outside quotes a backslash escapes any character; an unquoted `~` or
/// `~/` at the start of a word is the home directory (`Env::home`, or why there is none); an
/// unquoted `#` at the start of a word begins a comment. What only a shell could do is
/// refused: unquoted `|&;<>()`, `$` and backticks.
pub fn split(
    line: &str,
    home: std::result::Result<&str, String>,
) -> std::result::Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether a word has begun: `''` is an empty word, plain whitespace is none.
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '#' if !in_word => break,
            '~' if !in_word && matches!(chars.peek(), None | Some(' ' | '\t' | '\n' | '/')) => {
                let home = home
                    .as_ref()
                    .map_err(|why| format!("`~` is the home directory, and {why}"))?;
                word.push_str(home);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("a single quote (') is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some('\n') => {}
                            Some(c @ ('$' | '`' | '"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("a double quote (\") is not closed".into()),
                        },
                        Some(c @ ('$' | '`')) => {
                            return Err(format!("'{c}' inside double quotes needs a shell"));
                        }
                        Some(c) => word.push(c),
                        None => return Err("a double quote (\") is not closed".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') => {}
                Some(c) => {
                    word.push(c);
                    in_word = true;
                }
                None => return Err("it ends with a backslash".into()),
            },
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' => {
                return Err(format!("'{c}' needs a shell, and mfa-env runs none"));
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    if words.is_empty() {
        return Err("it is empty".into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_as_a_shell_does() {
        let ok: &[(&str, &[&str])] = &[
            (
                "ykman oath accounts code --single aws",
                &["ykman", "oath", "accounts", "code", "--single", "aws"],
            ),
            ("  a\t b \n c  ", &["a", "b", "c"]),
            ("a 'b c' d", &["a", "b c", "d"]),
            ("'it''s'", &["its"]),
            (r"'a\b'", &[r"a\b"]),
            (r#""a \"b\" \$ \` \\ \n""#, &[r#"a "b" $ ` \ \n"#]),
            (r"a\ b c", &["a b", "c"]),
            (r"a\'b", &["a'b"]),
            ("a \\\nb", &["a", "b"]),
            ("a'b'\"c\"d", &["abcd"]),
            ("x '' \"\"", &["x", "", ""]),
            ("pass otp 'aws/prod #1'", &["pass", "otp", "aws/prod #1"]),
            ("totp aws # my yubikey", &["totp", "aws"]),
            ("a#b", &["a#b"]),
            (
                "~/bin/totp ~ a~b '~/x' \\~",
                &["/home/me/bin/totp", "/home/me", "a~b", "~/x", "~"],
            ),
            (
                "op item get 'Ünïcode ✓'",
                &["op", "item", "get", "Ünïcode ✓"],
            ),
            ("'$HOME' \"a|b\" a\\|b", &["$HOME", "a|b", "a|b"]),
        ];
        for (line, words) in ok {
            assert_eq!(split(line, Ok("/home/me")).unwrap(), *words, "{line:?}");
        }
        for (bad, why) in [
            ("", "empty"),
            ("   ", "empty"),
            ("# only a comment", "empty"),
            ("a 'b", "single quote"),
            ("a \"b", "double quote"),
            ("a \"b\\", "double quote"),
            ("a\\", "backslash"),
            ("op read x | tr -d ' '", "'|'"),
            ("a; b", "';'"),
            ("a && b", "'&'"),
            ("a > f", "'>'"),
            ("a < f", "'<'"),
            ("$(totp)", "'$'"),
            ("totp $SERIAL", "'$'"),
            ("totp \"$SERIAL\"", "'$'"),
            ("`totp`", "'`'"),
            ("(totp)", "'('"),
        ] {
            let err = split(bad, Ok("/h")).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
        let no_home = split(
            "~/x",
            Err("HOME is 'x', which is not an absolute path".into()),
        );
        assert!(no_home.unwrap_err().contains("HOME is 'x'"));
    }

    #[test]
    fn the_code_is_the_last_run_of_exactly_six_digits() {
        for (output, code) in [
            ("123456\n", Some("123456")),
            ("123456", Some("123456")),
            ("Touch your key...\nCode: 654321\r\n", Some("654321")),
            ("aws 111111 then 222222 done", Some("222222")),
            ("account 123456789012: 333333", Some("333333")),
            ("333333 then 1234567", Some("333333")),
            ("12345 1234567 000000", Some("000000")),
            ("x999999y", Some("999999")),
            ("", None),
            ("12345", None),
            ("1234567", None),
            ("no code", None),
            ("١٢٣٤٥٦", None),
        ] {
            assert_eq!(last_code(output.as_bytes()).as_deref(), code, "{output:?}");
        }
    }
}
