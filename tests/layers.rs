//! The house's rules of ARCHITECTURE.md, read from the source: what a layer may import.

use std::path::Path;

/// The leaves (ARCHITECTURE.md, "Leaves, which import nothing above them").
const LEAVES: &[&str] = &[
    "hardening",
    "env",
    "error",
    "secret",
    "time",
    "duration",
    "shell",
    "format",
];

/// The modules `file` names as `crate::NAME`, its unit tests aside.
fn imports(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(file);
    let code = std::fs::read_to_string(&path).unwrap();
    let code = code.split("#[cfg(test)]").next().unwrap();
    let mut names: Vec<String> = code
        .split("crate::")
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn leaves_import_only_leaves_and_format_and_shell_one_way() {
    for leaf in LEAVES {
        for name in imports(&format!("{leaf}.rs")) {
            assert!(
                LEAVES.contains(&name.as_str()),
                "src/{leaf}.rs imports crate::{name}, which is not a leaf"
            );
        }
    }
    // Among the leaves, one way: format renders the shells, so shell knows nothing of format.
    assert!(imports("format.rs").contains(&"shell".to_owned()));
    assert_eq!(imports("shell.rs"), ["error"], "src/shell.rs imports");
}

/// A command that needs a session asks the session core (ARCHITECTURE.md, "A new command"):
/// setup looks the devices up through iam.rs and verifies through a `session::Request`, and
/// never calls STS itself.
#[test]
fn setup_calls_sts_only_through_the_service_and_session_layers() {
    let names = imports("cmd/setup.rs");
    assert!(
        !names.contains(&"sts".to_owned()),
        "src/cmd/setup.rs imports crate::sts"
    );
    assert!(names.contains(&"iam".to_owned()) && names.contains(&"session".to_owned()));
}
