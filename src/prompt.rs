//! Asking for the MFA code on the controlling terminal.
//!
//! The prompt never touches stdout: stdout is the shell code that `eval "$(...)"` captures.
//! /dev/tty is opened for reading and for writing, so the prompt works inside `$(...)` and
//! with stdin, stdout and stderr all redirected.
//!
//! Every question and menu item goes through `error::printable`: they name serial numbers and
//! user names that IAM sent, and a terminal escape in them must be shown, not obeyed.
//!
//! While a question waits, the terminal is in raw mode (no echo, keys one by one). However the
//! question ends, the terminal is left as it was: an answer, Ctrl-C, Ctrl-D, and SIGINT,
//! SIGTERM, SIGHUP or SIGQUIT sent by another process, which end it at once (`Ending`).

use std::fs::OpenOptions;
use std::io;
use std::os::fd::{AsFd, AsRawFd};

use console::{Key, Term};
use dialoguer::theme::SimpleTheme;
use dialoguer::{Confirm, Select};

use crate::error::{Error, Reason, Result, printable};

/// What to do when the code cannot be asked for.
pub const CODE_HINT: &str = "pass the code with --code 123456, or with --code - on stdin";

/// What an ending of a question says was left undone, after `cancelled; `.
pub const NOTHING_EXPORTED: &str = "nothing was exported";
pub const NOTHING_WRITTEN: &str = "nothing was written";

pub struct Prompter {
    term: Term,
    /// What is said when a signal ends a question: `nothing was exported`.
    nothing: &'static str,
}

impl Prompter {
    /// The controlling terminal, or an error that says to pass the code another way.
    pub fn open() -> Result<Prompter> {
        Prompter::open_for("the MFA code", CODE_HINT)
            .map(Prompter::exporting)
            .map_err(|e| e.because(Reason::NoCode))
    }

    /// For questions before an export: cancelled, they say `nothing was exported`.
    pub fn exporting(self) -> Prompter {
        Prompter {
            nothing: NOTHING_EXPORTED,
            ..self
        }
    }

    /// The controlling terminal to ask for `what` (setup's questions), or an error with `hint`.
    pub fn open_for(what: &str, hint: &str) -> Result<Prompter> {
        let open = || OpenOptions::new().read(true).write(true).open("/dev/tty");
        let (read, write) = match (open(), open()) {
            (Ok(r), Ok(w)) => (r, w),
            (Err(e), _) | (_, Err(e)) => {
                return Err(Error::new(format!(
                    "no terminal to ask for {what} on (/dev/tty: {e})"
                ))
                .hint(hint));
            }
        };
        Ok(Prompter {
            term: Term::read_write_pair(read, write),
            nothing: NOTHING_WRITTEN,
        })
    }

    /// Ask until the answer is six digits; spaces anywhere are ignored ("123 456").
    pub fn code(&self, prompt: &str) -> Result<String> {
        let answer = self.line(prompt, |text| {
            normalize_code(text)
                .is_none()
                .then(|| "the code is 6 digits".to_owned())
        });
        let answer = answer.map_err(|e| match e.kind() {
            io::ErrorKind::Interrupted | io::ErrorKind::UnexpectedEof => Error::cancelled(),
            _ => Error::new(format!("cannot read the MFA code from the terminal: {e}"))
                .hint(CODE_HINT)
                .because(Reason::NoCode),
        })?;
        normalize_code(&answer).ok_or_else(|| Error::new("the code is 6 digits"))
    }

    /// Yes or no, `yes` when Enter alone is pressed.
    pub fn confirm(&self, prompt: &str) -> Result<bool> {
        let answer = self.asking(|| {
            Confirm::with_theme(&SimpleTheme)
                .with_prompt(printable(prompt))
                .default(true)
                .interact_on(&self.term)
                .map_err(|dialoguer::Error::IO(e)| e)
        });
        self.finish(answer)
    }

    /// One of `items`, picked with the arrow keys; its index.
    pub fn select(&self, prompt: &str, items: &[String]) -> Result<usize> {
        let answer = self.asking(|| {
            Select::with_theme(&SimpleTheme)
                .with_prompt(printable(prompt))
                .items(items.iter().map(|item| printable(item)))
                .default(0)
                .interact_on(&self.term)
                .map_err(|dialoguer::Error::IO(e)| e)
        });
        self.finish(answer)
    }

    /// A line of text that `valid` accepts (it returns why not).
    pub fn text(&self, prompt: &str, valid: impl Fn(&str) -> Option<String>) -> Result<String> {
        let answer = self.line(prompt, |text| valid(text.trim()));
        self.finish(answer).map(|text| text.trim().to_owned())
    }

    /// A secret that `valid` accepts, typed with nothing shown (no echo, no stars).
    pub fn secret(
        &self,
        prompt: &str,
        valid: impl Fn(&str) -> Option<String>,
    ) -> Result<crate::secret::Secret> {
        let answer = self.read_line(prompt, |text| valid(text.trim()), true);
        self.finish(answer)
            .map(|text| crate::secret::Secret::new(text.trim()))
    }

    /// The answer of a question; the cursor shown again (a menu hides it).
    fn finish<T>(&self, answer: io::Result<T>) -> Result<T> {
        let _ = self.term.show_cursor();
        answer.map_err(|e| match e.kind() {
            io::ErrorKind::Interrupted | io::ErrorKind::UnexpectedEof
                if self.nothing == NOTHING_EXPORTED =>
            {
                Error::cancelled()
            }
            io::ErrorKind::Interrupted | io::ErrorKind::UnexpectedEof => {
                Error::cancelled_nothing_written()
            }
            _ => Error::new(format!("cannot read the answer from the terminal: {e}")),
        })
    }

    /// `prompt: ` and a line typed after it, asked again (after the line that says why) until
    /// `valid` accepts it. Ctrl-D ends it as end of input does, Ctrl-C as SIGINT does; Ctrl-U
    /// clears what was typed.
    fn line(&self, prompt: &str, valid: impl Fn(&str) -> Option<String>) -> io::Result<String> {
        self.read_line(prompt, valid, false)
            .map(|typed| typed.as_str().to_owned())
    }

    /// `line`, what is typed shown or not (`hidden`); cleared from memory when dropped.
    fn read_line(
        &self,
        prompt: &str,
        valid: impl Fn(&str) -> Option<String>,
        hidden: bool,
    ) -> io::Result<zeroize::Zeroizing<String>> {
        let term = &self.term;
        let prompt = format!("{}: ", printable(prompt));
        self.asking(|| {
            loop {
                term.write_str(&prompt)?;
                term.flush()?;
                // Room made first: a secret typed is not left in memory freed as it grows.
                let mut typed = zeroize::Zeroizing::new(String::with_capacity(1024));
                loop {
                    match term.read_key()? {
                        Key::Enter => break,
                        Key::Char('\x04') => {
                            term.write_line("")?;
                            return Err(io::ErrorKind::UnexpectedEof.into());
                        }
                        Key::Char('\x15') => {
                            if !hidden {
                                term.clear_chars(console::measure_text_width(&typed))?;
                            }
                            typed.clear();
                        }
                        Key::Backspace => {
                            if let Some(c) = typed.pop()
                                && !hidden
                            {
                                term.clear_chars(console::measure_text_width(&c.to_string()))?;
                            }
                        }
                        Key::Char(c) if !c.is_control() => {
                            if typed.len() + c.len_utf8() <= typed.capacity() {
                                typed.push(c);
                            }
                            if !hidden {
                                term.write_str(&c.to_string())?;
                            }
                        }
                        _ => {}
                    }
                    term.flush()?;
                }
                term.write_line("")?;
                match valid(&typed) {
                    None => return Ok(typed),
                    Some(why) => term.write_line(&format!("mfa-env: {}", printable(&why)))?,
                }
            }
        })
    }

    /// Ask with `ask`, the terminal put back however it ends (see `Ending`).
    fn asking<T>(&self, ask: impl FnOnce() -> io::Result<T>) -> io::Result<T> {
        let ending = Ending::start(self.term.as_raw_fd(), self.nothing);
        let answer = ask();
        drop(ending);
        answer
    }
}

/// Say `text` on the terminal where the questions are, when stderr does not reach it: a line
/// that goes with a question (why a code is asked again) must be seen there. As
/// credential_process, stderr is read by the AWS CLI, which shows it only once mfa-env fails.
pub fn tell_the_terminal(text: &str) {
    use std::io::Write;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let Ok(mut tty) = OpenOptions::new().write(true).open("/dev/tty") else {
        return;
    };
    let stderr = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata());
    let terminal = tty.metadata();
    if let (Ok(stderr), Ok(terminal)) = (stderr, terminal)
        && stderr.file_type().is_char_device()
        && stderr.rdev() == terminal.rdev()
    {
        return;
    }
    let _ = writeln!(tty, "mfa-env: {}", printable(text));
}

/// While a question is asked, SIGINT, SIGTERM, SIGHUP and SIGQUIT end the process at once,
/// as they would without it, but the terminal first gets back the modes it had before the
/// question (raw mode turns echo off: a shell left so shows nothing typed), its line is ended
/// and its cursor shown, and stderr says what happened. Ctrl-C arrives here too: in raw mode
/// the key is read, and console raises SIGINT for it.
///
/// The handler only calls what a signal handler may (tcsetattr, write, sigaction, raise);
/// what it needs is set before it is installed.
struct Ending {
    before: [libc::sigaction; ENDINGS.len()],
}

const ENDINGS: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// What the handler reads: the terminal, its modes before the question, and what was not done.
#[allow(unsafe_code)]
mod ending_state {
    use std::cell::UnsafeCell;
    use std::sync::atomic::{AtomicI32, AtomicPtr, AtomicUsize};

    pub static TTY: AtomicI32 = AtomicI32::new(-1);
    pub static NOTHING: AtomicPtr<u8> = AtomicPtr::new(std::ptr::null_mut());
    pub static NOTHING_LEN: AtomicUsize = AtomicUsize::new(0);

    /// The terminal's modes before the question: written before the handler is installed,
    /// read only by it.
    pub struct Modes(pub UnsafeCell<std::mem::MaybeUninit<libc::termios>>);
    // SAFETY: written only while no handler that reads it is installed (see `Ending::start`).
    unsafe impl Sync for Modes {}
    pub static MODES: Modes = Modes(UnsafeCell::new(std::mem::MaybeUninit::uninit()));
}

/// The line that says why a question ended, for `signal`: `cancelled; nothing was exported`.
fn ended_by(signal: libc::c_int) -> &'static str {
    match signal {
        libc::SIGINT => "cancelled",
        libc::SIGTERM => "cancelled by SIGTERM",
        libc::SIGHUP => "cancelled by SIGHUP (the terminal went away)",
        _ => "cancelled by SIGQUIT",
    }
}

#[allow(unsafe_code)]
impl Ending {
    fn start(tty: libc::c_int, nothing: &'static str) -> Ending {
        use ending_state::*;
        use std::sync::atomic::Ordering::SeqCst;
        // SAFETY: MODES is written while no handler of ours is installed (a question is
        // asked on one thread, one at a time); tcgetattr fills it or fails, and then the
        // handler is told no terminal (-1) and leaves the modes alone.
        let have_modes = unsafe { libc::tcgetattr(tty, (*MODES.0.get()).as_mut_ptr()) } == 0;
        if have_modes {
            // The mode console reads each key in (raw, output as it was), for the whole
            // question: console puts back after each key the mode it found, and in the
            // terminal's own mode a key typed between two reads would be echoed by the
            // terminal, a secret's too (as OpenSSH's readpassphrase, echo is off before the
            // prompt is written).
            // SAFETY: MODES was just filled by tcgetattr; `reading` is a copy of it.
            unsafe {
                let before = (*MODES.0.get()).assume_init();
                let mut reading = before;
                libc::cfmakeraw(&mut reading);
                reading.c_oflag = before.c_oflag;
                libc::tcsetattr(tty, libc::TCSADRAIN, &reading);
            }
        }
        TTY.store(if have_modes { tty } else { -1 }, SeqCst);
        NOTHING.store(nothing.as_ptr().cast_mut(), SeqCst);
        NOTHING_LEN.store(nothing.len(), SeqCst);
        // SAFETY: sigaction with a zeroed struct, an emptied then filled mask, and a handler
        // that is an extern "C" fn of the right type; the previous actions are kept to be put
        // back.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_ending as extern "C" fn(libc::c_int) as libc::sighandler_t;
            libc::sigemptyset(&mut action.sa_mask);
            for signal in ENDINGS {
                libc::sigaddset(&mut action.sa_mask, signal);
            }
            let mut before: [libc::sigaction; ENDINGS.len()] = std::mem::zeroed();
            for (signal, before) in ENDINGS.iter().zip(before.iter_mut()) {
                libc::sigaction(*signal, std::ptr::null(), before);
                // An ignored signal stays ignored (`nohup`, a background job's SIGINT).
                if before.sa_sigaction != libc::SIG_IGN {
                    libc::sigaction(*signal, &action, std::ptr::null_mut());
                }
            }
            Ending { before }
        }
    }
}

#[allow(unsafe_code)]
impl Drop for Ending {
    fn drop(&mut self) {
        use std::sync::atomic::Ordering::SeqCst;
        let tty = ending_state::TTY.load(SeqCst);
        if tty >= 0 {
            // SAFETY: MODES was filled by tcgetattr before TTY was set to the terminal.
            unsafe {
                libc::tcsetattr(
                    tty,
                    libc::TCSADRAIN,
                    (*ending_state::MODES.0.get()).as_ptr(),
                )
            };
        }
        // SAFETY: puts back the actions saved in `start`.
        for (signal, before) in ENDINGS.iter().zip(self.before.iter()) {
            unsafe {
                libc::sigaction(*signal, before, std::ptr::null_mut());
            }
        }
        ending_state::TTY.store(-1, SeqCst);
    }
}

/// The signal handler of `Ending`.
#[allow(unsafe_code)]
extern "C" fn on_ending(signal: libc::c_int) {
    use ending_state::*;
    use std::sync::atomic::Ordering::SeqCst;
    let write = |fd: libc::c_int, bytes: &[u8]| {
        // SAFETY: write(2) of a valid buffer; its result does not matter (a terminal gone).
        unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    };
    let tty = TTY.load(SeqCst);
    if tty >= 0 {
        // SAFETY: MODES was filled by tcgetattr before TTY was set to the terminal.
        unsafe { libc::tcsetattr(tty, libc::TCSANOW, (*MODES.0.get()).as_ptr()) };
        write(tty, b"\n\x1b[?25h");
    }
    // SAFETY: NOTHING and NOTHING_LEN hold a &'static str, set before the handler was.
    let nothing =
        unsafe { std::slice::from_raw_parts(NOTHING.load(SeqCst), NOTHING_LEN.load(SeqCst)) };
    for part in [
        b"mfa-env: ",
        ended_by(signal).as_bytes(),
        b"; ",
        nothing,
        b"\n",
    ] {
        write(libc::STDERR_FILENO, part);
    }
    // The default action of each, then this one again: it ends the process once the handler
    // returns (the signals are held back until then), as it would have without the question.
    // SAFETY: sigaction with a zeroed struct (SIG_DFL, an empty mask) and raise are
    // async-signal-safe.
    unsafe {
        let default: libc::sigaction = std::mem::zeroed();
        for ending in ENDINGS {
            libc::sigaction(ending, &default, std::ptr::null_mut());
        }
        libc::raise(signal);
    }
}

/// `--code -`: the code from one line of stdin, which must come within `timeout`. The line
/// is read byte by byte, so that what follows it is left for the command `exec` runs.
#[allow(unsafe_code)]
pub fn code_from_stdin(timeout: std::time::Duration) -> Result<String> {
    use std::io::IsTerminal;
    use std::time::Instant;
    /// Longer than any line that holds a code and spaces.
    const MAX: usize = 64;
    let hint = "send the code and a newline: `printf '%s\\n' 123456 | mfa-env PROFILE --code -`";
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(
            Error::new("--code -: stdin is a terminal, not the code sent by a program")
                .hint("leave out --code and mfa-env asks for the code on the terminal"),
        );
    }
    let fd = stdin.as_fd().as_raw_fd();
    let deadline = Instant::now() + timeout;
    let mut line = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: poll on one valid pollfd.
        let ready = unsafe { libc::poll(&mut poll, 1, ms) };
        if ready < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::new(format!("--code -: cannot read stdin: {e}")));
        }
        if ready == 0 {
            return Err(Error::new(format!(
                "--code -: no code on stdin within {} s",
                timeout.as_secs()
            ))
            .hint("send it sooner, or give more time with --mfa-process-timeout SECONDS"));
        }
        let mut byte = [0u8; 1];
        // SAFETY: read(2) of at most one byte into a one-byte buffer.
        match unsafe { libc::read(fd, byte.as_mut_ptr().cast(), 1) } {
            0 => break,
            1 if byte[0] == b'\n' => break,
            1 => line.push(byte[0]),
            _ => {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(Error::new(format!("--code -: cannot read stdin: {e}")));
            }
        }
        if line.len() > MAX {
            break;
        }
    }
    // What stdin held is not shown: it may be a secret sent to the wrong place.
    std::str::from_utf8(&line)
        .ok()
        .and_then(normalize_code)
        .ok_or_else(|| {
            let what = match line.len() {
                0 => "nothing".to_owned(),
                n if n > MAX => format!("more than {MAX} bytes"),
                n => format!("a line of {n} bytes"),
            };
            Error::new(format!("--code -: stdin held {what}, not a 6-digit code")).hint(hint)
        })
}

/// Six ASCII digits, with any whitespace removed; None for anything else.
pub fn normalize_code(text: &str) -> Option<String> {
    let code: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(normalize_code(" 123456\n").as_deref(), Some("123456"));
        assert_eq!(normalize_code("123 456").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12345a", "", "١٢٣٤٥٦"] {
            assert_eq!(normalize_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_signal_says_what_ctrl_c_and_end_of_input_say() {
        let said = format!("{}; {NOTHING_EXPORTED}", ended_by(libc::SIGINT));
        assert_eq!(said, Error::cancelled().message());
        let said = format!("{}; {NOTHING_WRITTEN}", ended_by(libc::SIGINT));
        assert_eq!(said, Error::cancelled_nothing_written().message());
    }

    /// The terminal's modes on `fd`.
    #[allow(unsafe_code)]
    fn modes(fd: libc::c_int) -> libc::termios {
        // SAFETY: tcgetattr fills the zeroed struct or fails, which the assert catches.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0);
        t
    }

    #[test]
    #[allow(unsafe_code)]
    fn a_question_keeps_echo_off_from_before_its_prompt_until_it_ends() {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty with out-pointers to two ints and no name, modes or size.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                // *const on Linux, *mut on macOS: a null *mut is both.
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, 0);
        let before = modes(slave);
        assert_ne!(before.c_lflag & libc::ECHO, 0, "a new terminal echoes");
        let ending = Ending::start(slave, NOTHING_EXPORTED);
        // Between two keys console reads, the terminal is in the mode it reads in: nothing
        // typed then is echoed by the terminal, and output is as it was.
        let asking = modes(slave);
        assert_eq!(asking.c_lflag & (libc::ECHO | libc::ICANON | libc::ISIG), 0);
        assert_eq!(asking.c_oflag, before.c_oflag);
        drop(ending);
        let after = modes(slave);
        assert_eq!(
            (after.c_lflag, after.c_iflag, after.c_oflag),
            (before.c_lflag, before.c_iflag, before.c_oflag)
        );
        // SAFETY: the two descriptors openpty gave, closed once.
        unsafe {
            libc::close(slave);
            libc::close(master);
        }
    }
}
