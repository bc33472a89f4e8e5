//! The man pages in `man/` are what `cargo run -q --example man` makes from the command line's
//! definition: a change to src/cli.rs without regenerating them fails here.

use std::path::Path;

#[path = "../examples/man.rs"]
mod generate;

const REGENERATE: &str = "run `cargo run -q --example man` and commit man/";

#[test]
fn man_pages_are_generated_from_the_cli_and_committed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    let pages = generate::pages();
    let mut committed: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; {REGENERATE}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".1"))
        .collect();
    committed.sort();
    let made: Vec<String> = pages.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(committed, made, "the set of pages differs: {REGENERATE}");
    for (name, text) in &pages {
        let on_disk = std::fs::read(dir.join(name)).unwrap();
        assert!(on_disk == *text, "man/{name} is stale: {REGENERATE}");
    }
    // The main page names every subcommand's page, and each page its options.
    let main = String::from_utf8(
        pages
            .iter()
            .find(|(n, _)| n == "mfa-env.1")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    for sub in [
        "export",
        "exec",
        "status",
        "unset",
        "list",
        "init",
        "agent",
        "completions",
        "setup",
        "doctor",
    ] {
        assert!(
            main.contains(&format!("mfa\\-env\\-{sub}(1)")),
            "mfa-env.1 lacks {sub}: {main}"
        );
    }
    let export = String::from_utf8(
        pages
            .iter()
            .find(|(n, _)| n == "mfa-env-export.1")
            .unwrap()
            .1
            .clone(),
    )
    .unwrap();
    assert!(export.contains("\\-\\-role\\-arn"), "{export}");
}
