//! Writes the man pages, generated from the command line's definition (`mfa_env::cli::Cli`)
//! with clap_mangen, into `man/`: `cargo run -q --example man`. One page for `mfa-env` and one
//! per subcommand (`mfa-env-export.1`, `mfa-env-agent-start.1`, ...), as git does; hidden
//! subcommands get none. Pages that no command makes any more are removed. `tests/man.rs` fails
//! when the committed pages differ from what this makes.

use std::path::Path;

/// Every page: its file name and its text.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd =
        <mfa_env::cli::Cli as clap::CommandFactory>::command().disable_help_subcommand(true);
    // Builds the full names (`mfa-env-agent-start`) the page titles and cross-references use.
    cmd.build();
    let mut pages = Vec::new();
    collect(cmd, &mut pages);
    pages.sort();
    pages
}

fn collect(cmd: clap::Command, pages: &mut Vec<(String, Vec<u8>)>) {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub.clone(), pages);
    }
    let man = clap_mangen::Man::new(cmd).manual("mfa-env manual");
    let mut text = Vec::new();
    man.render(&mut text)
        .expect("rendering into memory cannot fail");
    pages.push((man.get_filename(), text));
}

#[allow(dead_code)] // tests/man.rs reaches `pages` alone.
fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    std::fs::create_dir_all(&dir)?;
    let pages = pages();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".1") && !pages.iter().any(|(n, _)| *n == name) {
            std::fs::remove_file(&path)?;
        }
    }
    for (name, text) in &pages {
        std::fs::write(dir.join(name), text)?;
    }
    eprintln!("man: {} pages in {}", pages.len(), dir.display());
    Ok(())
}
