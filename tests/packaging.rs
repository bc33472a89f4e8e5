//! The install channels, the parts of them that are cheap to check on every test run: the
//! Homebrew formula and what `scripts/dist --formula` and `--sums` make of it, the release
//! workflow, the crate's packaged file list, the licence files and the README's Install lines.
//! The artifacts themselves are built and installed into a minimal Debian by
//! `scripts/dist --check` (.ci/run), minutes rather than seconds.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::shells::on_path;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// The archives scripts/dist and the release workflow make: Linux's here, macOS's on its runners.
const TARGETS: [&str; 4] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "aarch64-apple-darwin",
    "x86_64-apple-darwin",
];

#[track_caller]
fn ruby_c(path: &Path) {
    let ruby = on_path("ruby").expect("ruby: run scripts/test, which installs it");
    let out = Command::new(ruby).arg("-c").arg(path).output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Syntax OK"),
        "ruby -c {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn dist(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(repo().join("scripts/dist"))
        .args(args)
        .env("DIST_DIR", dir)
        .output()
        .unwrap()
}

fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_owned()
}

#[test]
fn the_homebrew_formula_is_ruby_and_installs_the_archive_of_each_mac() {
    ruby_c(&repo().join("packaging/homebrew/mfa-env.rb"));
    let formula = read("packaging/homebrew/mfa-env.rb");
    for target in TARGETS {
        let url = format!(
            "url \"https://github.com/mfa-env/mfa-env/releases/download/v#{{version}}/mfa-env-#{{version}}-{target}.tar.gz\""
        );
        assert!(formula.contains(&url), "the formula has no {url}");
    }
    assert!(formula.contains(&format!("version \"{}\"", version())));
    for line in [
        "on_macos do",
        "on_arm do",
        "on_intel do",
        "bin.install \"mfa-env\"",
        "bash_completion.install \"completions/mfa-env.bash\" => \"mfa-env\"",
        "zsh_completion.install \"completions/mfa-env.zsh\" => \"_mfa-env\"",
        "fish_completion.install \"completions/mfa-env.fish\"",
        "man1.install Dir[\"man/*.1\"]",
        "test do",
        "shell_output(\"#{bin}/mfa-env --version\")",
        "shell_output(\"#{bin}/mfa-env init zsh\")",
    ] {
        assert!(
            formula.lines().any(|l| l.contains(line)),
            "the formula lacks {line}"
        );
    }
}

/// What the release job runs after collecting the archives: the formula gets each archive's
/// sha256, then SHA256SUMS covers every file, in sha256sum's own format with bare names.
#[test]
fn scripts_dist_writes_the_formulas_sums_and_sha256sums() {
    let dir = tempfile::tempdir().unwrap();
    for (i, target) in TARGETS.iter().enumerate() {
        let name = format!("mfa-env-{}-{target}.tar.gz", version());
        std::fs::write(dir.path().join(name), format!("archive {i}\n")).unwrap();
    }
    std::fs::write(dir.path().join("mfa-env_0.1.0-1_amd64.deb"), "deb\n").unwrap();
    let out = dist(dir.path(), &["--formula"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = dir.path().join("mfa-env.rb");
    ruby_c(&written);
    let formula = std::fs::read_to_string(&written).unwrap();
    for target in TARGETS {
        let archive = dir
            .path()
            .join(format!("mfa-env-{}-{target}.tar.gz", version()));
        let sum = sha256_of(&archive);
        // The sha256 line right after the url that names this archive.
        let mut lines = formula.lines();
        lines.find(|l| l.contains(&format!("-{target}.tar.gz\"")));
        assert_eq!(
            lines.next().map(str::trim),
            Some(format!("sha256 \"{sum}\"").as_str()),
            "{target}: {formula}"
        );
    }
    assert!(!formula.contains(&"0".repeat(64)), "{formula}");

    let out = dist(dir.path(), &["--sums"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sums = std::fs::read_to_string(dir.path().join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 6, "{sums}");
    for line in sums.lines() {
        let (sum, name) = line.split_once("  ").unwrap();
        assert!(!name.contains('/'), "{line}");
        assert_eq!(sum, sha256_of(&dir.path().join(name)), "{line}");
    }
    let check = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // An archive the formula names but the folder lacks: it says which, and writes nothing.
    let dir = tempfile::tempdir().unwrap();
    let out = dist(dir.path(), &["--formula"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("aarch64-apple-darwin.tar.gz"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("mfa-env.rb").exists());
}

/// The release workflow parses as YAML (PyYAML, which the tests' venv has through moto) and
/// calls scripts/dist in each job, the macOS ones for both Mac targets.
#[test]
fn the_release_workflow_is_yaml_and_calls_scripts_dist() {
    let script = r#"
import json, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
# YAML 1.1 reads the key `on` as true.
d["on"] = d.pop(True, d.get("on"))
print(json.dumps(d))
"#;
    let out = Command::new(crate::support::python())
        .args(["-c", script])
        .arg(repo().join(".github/workflows/release.yml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wf: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(wf["on"]["push"]["tags"], serde_json::json!(["v*"]));
    let runs = |job: &str| -> Vec<String> {
        wf["jobs"][job]["steps"]
            .as_array()
            .unwrap_or_else(|| panic!("no job {job}"))
            .iter()
            .filter_map(|s| s["run"].as_str().map(str::to_owned))
            .collect()
    };
    let uses = |job: &str| -> Vec<String> {
        wf["jobs"][job]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["uses"].as_str().map(str::to_owned))
            .collect()
    };
    assert!(runs("linux").contains(&"scripts/dist".to_owned()));
    assert_eq!(wf["jobs"]["linux"]["runs-on"], "ubuntu-latest");
    assert_eq!(wf["jobs"]["macos"]["runs-on"], "macos-latest");
    assert_eq!(
        wf["jobs"]["macos"]["strategy"]["matrix"]["target"],
        serde_json::json!(["aarch64-apple-darwin", "x86_64-apple-darwin"])
    );
    assert!(runs("macos").contains(&"scripts/dist --target ${{ matrix.target }}".to_owned()));
    assert_eq!(
        wf["jobs"]["release"]["needs"],
        serde_json::json!(["linux", "macos"])
    );
    let release = runs("release");
    let at = |cmd: &str| {
        release
            .iter()
            .position(|r| r == cmd)
            .unwrap_or_else(|| panic!("no {cmd}"))
    };
    // The formula first (it is attached too), then the sums over everything.
    assert!(at("scripts/dist --formula") < at("scripts/dist --sums"));
    assert!(
        uses("release")
            .iter()
            .any(|u| u.starts_with("actions/attest-build-provenance@"))
    );
    let perms = &wf["jobs"]["release"]["permissions"];
    assert_eq!(
        (perms["id-token"].as_str(), perms["attestations"].as_str()),
        (Some("write"), Some("write"))
    );
    assert!(release.iter().any(|r| r.starts_with("gh release create")));
}

/// `cargo package` builds from the packaged files alone: every file the code embeds is in the
/// package (scripts/dist --check builds it; this lists it in a second).
#[test]
fn the_crate_packages_every_file_the_binary_embeds() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "package",
            "--locked",
            "--list",
            "--allow-dirty",
            "--offline",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    let listed: Vec<&str> = listed.lines().collect();
    let mut embedded = Vec::new();
    let mut dirs = vec![repo().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for piece in text
                .split("include_str!(\"")
                .skip(1)
                .chain(text.split("include_bytes!(\"").skip(1))
            {
                let target = piece.split('"').next().unwrap();
                let file = path.parent().unwrap().join(target);
                let file = file
                    .canonicalize()
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                embedded.push(
                    file.strip_prefix(repo())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    assert!(
        embedded.iter().any(|f| f == "shell/mfa-env.sh"),
        "{embedded:?}"
    );
    for file in &embedded {
        assert!(
            listed.contains(&file.as_str()),
            "the package lacks {file}, which the code embeds"
        );
    }
    for file in ["LICENSE-MIT", "LICENSE-APACHE", "README.md", "Cargo.lock"] {
        assert!(listed.contains(&file), "the package lacks {file}");
    }
    // The fuzz workspace stays out.
    assert!(!listed.iter().any(|f| f.starts_with("fuzz/")), "{listed:?}");
}

#[test]
fn the_licence_files_are_the_two_of_cargo_toml() {
    let manifest = read("Cargo.toml");
    for line in [
        "license = \"MIT OR Apache-2.0\"",
        "repository = \"https://github.com/mfa-env/mfa-env\"",
        "homepage = \"https://github.com/mfa-env/mfa-env#readme\"",
        "documentation = \"https://docs.rs/mfa-env\"",
    ] {
        assert!(
            manifest.lines().any(|l| l == line),
            "Cargo.toml lacks {line}"
        );
    }
    let mit = read("LICENSE-MIT");
    assert!(mit.starts_with("MIT License\n\nCopyright (c) the mfa-env contributors\n"));
    assert!(mit.contains("THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND"));
    let apache = read("LICENSE-APACHE");
    assert!(
        apache.contains("Apache License\n                           Version 2.0, January 2004")
    );
    assert!(apache.contains("END OF TERMS AND CONDITIONS"));
}

/// One Install line per system, naming the artifacts scripts/dist makes.
#[test]
fn the_readme_installs_on_every_system() {
    let readme = read("README.md");
    let install = readme
        .split("\n## Install\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README.md has an Install section");
    for needle in [
        "brew install mfa-env/tap/mfa-env",
        "mfa-env_${V}-1_amd64.deb",
        "sudo dpkg -i mfa-env_${V}-1_amd64.deb",
        "T=x86_64-unknown-linux-musl;",
        "$U/mfa-env-$V-$T.tar.gz -fLO $U/SHA256SUMS && sha256sum -c --ignore-missing SHA256SUMS &&",
        "sha256sum -c",
        "cargo install --locked mfa-env",
        "cargo install --locked --path .",
        "man mfa-env",
    ] {
        assert!(
            install.contains(needle),
            "the Install section lacks {needle}"
        );
    }
}
