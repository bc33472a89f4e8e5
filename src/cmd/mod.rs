//! One module per subcommand.

pub mod completions;
pub mod doctor;
pub mod exec;
pub mod export;
pub mod init;
pub mod list;
pub mod setup;
pub mod status;
pub mod unset;

use std::io::Write;

use crate::error::{Error, Result};

/// Write the shell code in one piece. A closed stdout (`mfa-env dev | head -0`) is a quiet
/// failure: nothing can be said on a pipe nobody reads.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::quiet()),
        Err(e) => Err(Error::new(format!("cannot write to stdout: {e}"))),
    }
}

/// Name an endpoint other than AWS's own (the line from `Sts::notice` or `Iam::notice`)
/// before the first call to it: what is sent there, and what it answers, matters.
pub fn announce(notice: Option<String>) {
    if let Some(notice) = notice {
        say(&notice);
    }
}

/// Say something to the person on stderr, prefixed like every other line we print there.
pub fn say(text: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "mfa-env: {}",
        crate::error::printable(text)
    );
}
