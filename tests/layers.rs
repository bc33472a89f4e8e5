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
    "sys",
];

/// The modules `file` names as `crate::NAME`, its unit tests aside; a module that is a
/// folder (`sys`) is every file in it.
fn imports(file: &str) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let folder = src.join(file.trim_end_matches(".rs"));
    let files: Vec<_> = if folder.is_dir() {
        std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect()
    } else {
        vec![src.join(file)]
    };
    let mut names: Vec<String> = files
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .flat_map(|code| {
            let code = code.split("#[cfg(test)]").next().unwrap().to_owned();
            code.split("crate::")
                .skip(1)
                .map(|rest| {
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What differs between the systems is in `src/sys/` alone (ARCHITECTURE.md): no other file
/// names a system, or a call that only some systems have.
#[test]
fn only_src_sys_names_a_system() {
    const SYSTEM_ONLY: &[&str] = &[
        "target_os",
        "target_vendor",
        "SO_PEERCRED",
        "socket_peercred",
        "getpeereid",
        "LOCAL_PEER",
        "close_range",
        "SocketFlags::CLOEXEC",
        "SO_NOSIGPIPE",
        "set_dumpable_behavior",
        "DumpableBehavior",
        "PT_DENY_ATTACH",
        "procctl",
    ];
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("src/sys") {
                continue;
            }
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let code = std::fs::read_to_string(&path).unwrap();
                for name in SYSTEM_ONLY {
                    if code.contains(name) {
                        found.push(format!("{} names {name}", path.display()));
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    assert!(found.is_empty(), "{found:#?}");
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
