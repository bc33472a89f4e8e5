//! The profile names a Tab press offers for PROFILE, read from the files at each press. Below
//! the command line, which names this as PROFILE's completer: `cli.rs` imports no command.

use clap_complete::engine::CompletionCandidate;

use crate::env::Env;
use crate::profile::Profiles;
use crate::profile::listing::marks;

/// Profile names, with their marks (mfa, role) as the description. A Tab press must never
/// print an error: unreadable files complete nothing.
pub fn profiles() -> Vec<CompletionCandidate> {
    let Ok(profiles) = Profiles::load(&Env::real()) else {
        return Vec::new();
    };
    let rows = profiles.rows();
    rows.iter()
        .map(|row| {
            let marks = marks(row, &rows).join(", ");
            let candidate = CompletionCandidate::new(row.name);
            if marks.is_empty() {
                candidate
            } else {
                candidate.help(Some(marks.into()))
            }
        })
        .collect()
}
