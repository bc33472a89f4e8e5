//! What macOS's shells read: `/bin/bash` is bash 3.2 (Apple ships no later one) and `/bin/sh` is
//! that bash in POSIX mode, so the bash and sh scripts, and every statement mfa-env prints for
//! bash, zsh and sh, must keep to what bash 3.2 and POSIX sh have.
//!
//! No bash 3.2 can be installed on the Linux test machines, so the test that holds the scripts
//! to it is a lint: every bash feature added after 3.2 that could slip into a script, by name
//! and with the version that brought it, searched for in the committed scripts and in what the
//! binary prints (comments left out). The POSIX-sh script and the sh statements are also held
//! to POSIX (no bashisms, which `bash --posix` would accept and dash would not), and run in
//! `bash --posix` started as `sh`, as macOS's `/bin/sh` runs, beside dash (`tests/init.rs`,
//! `tests/shells.rs`). On macOS, a test runs them in `/bin/bash` and `/bin/sh` themselves.
//!
//! `completions/mfa-env.bash` (clap_complete's script) is sourced by bash-completion, which on
//! macOS comes with Homebrew's bash 5, but also by people who keep `/bin/bash`: it probes for
//! what bash 3.2 lacks (`compopt`, `complete -o nosort`) and must keep doing so: those lines are
//! allowed by their exact text, and any other use of a later feature fails.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::init::{dump, keep_status, load_init};
use crate::shells::{assert_session, expected, hostile};
use crate::support::shells::{Sh, on_path};
use crate::support::*;

/// A bash feature that bash 3.2 lacks: its name, the bash version that added it, and an
/// extended regular expression (POSIX classes only: grep -E of GNU and of macOS) that finds it.
struct Feature {
    name: &'static str,
    since: &'static str,
    pattern: &'static str,
}

/// A command word at the start of a line or after an operator.
macro_rules! word {
    ($w:literal) => {
        concat!("(^|[;&|({`[:space:]])", $w, "([[:space:];)]|$)")
    };
}

/// The options of `declare`, `typeset`, `local` and `readonly` that name an
/// attribute added after bash 3.2: the option letter anywhere in a cluster.
macro_rules! attribute {
    ($letter:literal) => {
        concat!(
            "(^|[;&|({[:space:]])(declare|typeset|local|readonly)([[:space:]]+[-+][A-Za-z]+)*[[:space:]]+[-+][A-Za-z]*",
            $letter
        )
    };
}

/// A variable bash sets, mentioned anywhere.
macro_rules! variable {
    ($name:literal) => {
        concat!("(^|[^A-Za-z0-9_])", $name, "([^A-Za-z0-9_]|$)")
    };
}

/// A `shopt` option.
macro_rules! shopt {
    ($name:literal) => {
        concat!(
            "shopt[[:space:]]+-[su][[:space:]]+([A-Za-z_0-9]+[[:space:]]+)*",
            $name
        )
    };
}

const BASH4: &[Feature] = &[
    Feature {
        name: "case modification ${x,,} ${x,} ${x^^} ${x^}",
        since: "bash 4.0",
        pattern: r"\$\{[#!]?([A-Za-z_][A-Za-z0-9_]*|[0-9@*])(\[[^]]*\])?(\^|,)",
    },
    Feature {
        name: "transformations ${x@Q} ${x@E} ${x@P} ${x@A} ${x@a} ${x@U} ${x@u} ${x@L} ${x@K}",
        since: "bash 4.4 (U, u, L: 5.1; k: 5.2)",
        pattern: r"\$\{[^}]*@[QEPAaUuLKk]\}",
    },
    Feature {
        name: "associative arrays (declare -A, local -A; and so ${!x[@]} on one)",
        since: "bash 4.0",
        pattern: attribute!("A"),
    },
    Feature {
        name: "global declarations (declare -g)",
        since: "bash 4.2",
        pattern: attribute!("g"),
    },
    Feature {
        name: "namerefs (declare -n, local -n)",
        since: "bash 4.3",
        pattern: attribute!("n"),
    },
    Feature {
        name: "case attributes (declare -l, declare -u)",
        since: "bash 4.0",
        pattern: attribute!("[lu]"),
    },
    Feature {
        name: "local - (options local to a function)",
        since: "bash 4.4",
        pattern: r"(^|[;&|({[:space:]])local[[:space:]]+-([[:space:];]|$)",
    },
    Feature {
        name: "mapfile",
        since: "bash 4.0",
        pattern: word!("mapfile"),
    },
    Feature {
        name: "readarray",
        since: "bash 4.0",
        pattern: word!("readarray"),
    },
    Feature {
        name: "coproc",
        since: "bash 4.0",
        pattern: word!("coproc"),
    },
    Feature {
        name: "|& (stderr into a pipe)",
        since: "bash 4.0",
        pattern: r"\|&",
    },
    Feature {
        name: "&>> (append stdout and stderr)",
        since: "bash 4.0",
        pattern: r"&>>",
    },
    Feature {
        name: ";& and ;;& (case fall-through)",
        since: "bash 4.0",
        pattern: r";;?&([[:space:]]|$)",
    },
    Feature {
        name: "** (shopt -s globstar)",
        since: "bash 4.0",
        pattern: shopt!("globstar"),
    },
    Feature {
        name: "shopt -s autocd, checkjobs, dirspell",
        since: "bash 4.0",
        pattern: shopt!("(autocd|checkjobs|dirspell)"),
    },
    Feature {
        name: "shopt -s lastpipe, direxpand",
        since: "bash 4.2",
        pattern: shopt!("(lastpipe|direxpand)"),
    },
    Feature {
        name: "shopt -s globasciiranges",
        since: "bash 4.3",
        pattern: shopt!("globasciiranges"),
    },
    Feature {
        name: "shopt -s inherit_errexit",
        since: "bash 4.4",
        pattern: shopt!("inherit_errexit"),
    },
    Feature {
        name: "shopt -s localvar_inherit, localvar_unset, assoc_expand_once",
        since: "bash 5.0",
        pattern: shopt!("(localvar_inherit|localvar_unset|assoc_expand_once)"),
    },
    Feature {
        name: "shopt -s patsub_replacement",
        since: "bash 5.2",
        pattern: shopt!("patsub_replacement"),
    },
    Feature {
        name: "negative array subscripts ${x[-1]}, x[-1]=",
        since: "bash 4.3",
        pattern: r"(\$\{[A-Za-z_][A-Za-z0-9_]*\[-[0-9$]|[A-Za-z_][A-Za-z0-9_]*\[-[0-9]+\]=)",
    },
    Feature {
        name: "negative substring lengths ${x:1:-1}",
        since: "bash 4.2",
        pattern: r"\$\{[A-Za-z_][A-Za-z0-9_]*:[^}:]*:[[:space:]]*-",
    },
    Feature {
        name: "printf -v into an array element",
        since: "bash 4.1",
        pattern: r#"printf[[:space:]]+-v[[:space:]]+['"]?[A-Za-z_][A-Za-z0-9_]*\["#,
    },
    Feature {
        name: "printf %(...)T (times)",
        since: "bash 4.2",
        pattern: r"%(-?[0-9]*)?\([^)]*\)T",
    },
    Feature {
        name: "$BASHPID",
        since: "bash 4.0",
        pattern: variable!("BASHPID"),
    },
    Feature {
        name: "$BASH_XTRACEFD",
        since: "bash 4.1",
        pattern: variable!("BASH_XTRACEFD"),
    },
    Feature {
        name: "$EPOCHSECONDS, $EPOCHREALTIME, $BASH_ARGV0",
        since: "bash 5.0",
        pattern: variable!("(EPOCHSECONDS|EPOCHREALTIME|BASH_ARGV0)"),
    },
    Feature {
        name: "$SRANDOM",
        since: "bash 5.1",
        pattern: variable!("SRANDOM"),
    },
    Feature {
        name: "$READLINE_LINE, $READLINE_POINT (bind -x)",
        since: "bash 4.0",
        pattern: variable!("(READLINE_LINE|READLINE_POINT)"),
    },
    Feature {
        name: "wait -n (-f, -p: 5.1)",
        since: "bash 4.3",
        pattern: r"(^|[;&|({[:space:]])wait([[:space:]]+-[A-Za-z]+)*[[:space:]]+-[A-Za-z]*[nfp]",
    },
    Feature {
        name: "read -i (-N: 4.1)",
        since: "bash 4.0",
        pattern: r"(^|[;&|({[:space:]])read([[:space:]]+-[A-Za-z]+)*[[:space:]]+-[A-Za-z]*[iN]",
    },
    Feature {
        name: "[[ -v name ]], test -v, [[ -R name ]]",
        since: "bash 4.2 (-R: 4.3)",
        pattern: r"(\[\[|\[|test)[[:space:]]+(![[:space:]]+)?-[vR][[:space:]]",
    },
    Feature {
        name: "{fd}> (a descriptor in a variable)",
        since: "bash 4.1",
        pattern: r"(^|[^$])\{[A-Za-z_][A-Za-z0-9_]*\}(<>|<&|>&|>>|<|>)",
    },
    Feature {
        name: r"$'\u...' (Unicode escapes)",
        since: "bash 4.2",
        pattern: r"\$'([^']|\\')*\\[uU][0-9A-Fa-f]",
    },
    Feature {
        name: "compopt",
        since: "bash 4.0",
        pattern: word!("compopt"),
    },
    Feature {
        name: "complete -o nosort",
        since: "bash 4.4",
        pattern: r"-o[[:space:]]+nosort",
    },
    Feature {
        name: "complete -D, -E (-I: 5.0)",
        since: "bash 4.1",
        pattern: r"(^|[;&|({[:space:]])complete([[:space:]]+[^;&|]*)?[[:space:]]-[A-Za-z]*[DEI]([[:space:]]|$)",
    },
];

/// What POSIX sh lacks and bash in POSIX mode still takes (so `bash --posix` would not find
/// it, and dash, Debian's and Ubuntu's sh, would fail on it).
const BASHISMS: &[Feature] = &[
    Feature {
        name: "[[ ]]",
        since: "not POSIX sh",
        pattern: r"\[\[",
    },
    Feature {
        name: "function NAME",
        since: "not POSIX sh",
        pattern: word!("function"),
    },
    Feature {
        name: "local",
        since: "not POSIX sh",
        pattern: word!("local"),
    },
    Feature {
        name: "declare, typeset, let, source, shopt",
        since: "not POSIX sh",
        pattern: word!("(declare|typeset|let|source|shopt)"),
    },
    Feature {
        name: "$'...' quoting",
        since: "not POSIX sh before its 2024 edition",
        pattern: r"\$'",
    },
    Feature {
        name: "arrays x=(...), ${x[...]}",
        since: "not POSIX sh",
        pattern: r"([A-Za-z_][A-Za-z0-9_]*=\(|\$\{[#!]?[A-Za-z_][A-Za-z0-9_]*\[)",
    },
    Feature {
        name: "substrings ${x:1:2} and substitutions ${x/a/b}",
        since: "not POSIX sh",
        pattern: r"\$\{[A-Za-z_][A-Za-z0-9_]*(:[^-=?+}]|/)",
    },
    Feature {
        name: "process substitution <(...) >(...), here-strings <<<, &>",
        since: "not POSIX sh",
        pattern: r"([<>]\(|<<<|&>)",
    },
    Feature {
        name: "(( )) and == in [ ]",
        since: "not POSIX sh",
        pattern: r"(^|[;&|[:space:]])\(\(|\[[[:space:]][^]]*[[:space:]]==[[:space:]]",
    },
];

/// A line of a script that uses a later feature on purpose, behind a probe that bash 3.2 fails.
struct Allowed {
    file: &'static str,
    line: &'static str,
    why: &'static str,
}

const ALLOWED: &[Allowed] = &[
    Allowed {
        file: "completions/mfa-env.bash",
        line: "if compopt +o nospace 2> /dev/null; then",
        why: "the probe: compopt fails in bash 3.2 and the else branch runs",
    },
    Allowed {
        file: "completions/mfa-env.bash",
        line: "compopt -o nospace",
        why: "reached only when the probe above succeeded (_CLAP_COMPLETE_SPACE=false)",
    },
    Allowed {
        file: "completions/mfa-env.bash",
        line: "complete -o nospace -o bashdefault -o nosort -F _clap_complete_mfa_env mfa-env",
        why: "in the branch for BASH_VERSINFO 4.4 and later",
    },
];

/// The text without its comments (a `#` at the start of a line or after a blank; that is all
/// these scripts use), each line with its number.
fn code_lines(text: &str) -> String {
    text.lines()
        .map(|line| {
            let cut = line
                .char_indices()
                .find(|&(i, c)| {
                    c == '#' && (i == 0 || line[..i].ends_with(|p: char| p.is_whitespace()))
                })
                .map_or(line.len(), |(i, _)| i);
            format!("{}\n", &line[..cut])
        })
        .collect()
}

/// Every use in `text` of a feature of `rules`, as `what:LINE: feature (since): the line`,
/// found with grep -E (the line's text trimmed, allowed lines of `what` left out).
fn findings(what: &str, text: &str, rules: &[Feature]) -> Vec<String> {
    let code = code_lines(text);
    let mut found = Vec::new();
    for feature in rules {
        let mut grep = Command::new("grep")
            .args(["-nE", "--", feature.pattern])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("grep");
        use std::io::Write;
        grep.stdin
            .take()
            .unwrap()
            .write_all(code.as_bytes())
            .unwrap();
        let out = grep.wait_with_output().unwrap();
        assert!(
            out.status.code().is_some_and(|c| c < 2),
            "grep -E {:?}: {}",
            feature.pattern,
            String::from_utf8_lossy(&out.stderr)
        );
        for hit in String::from_utf8(out.stdout).unwrap().lines() {
            let (number, line) = hit.split_once(':').unwrap();
            let line = line.trim();
            if ALLOWED.iter().any(|a| a.file == what && a.line == line) {
                continue;
            }
            found.push(format!(
                "{what}:{number}: {} ({}): {line}",
                feature.name, feature.since
            ));
        }
    }
    found
}

fn committed(path: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// What the binary prints for `args` (it must succeed).
fn printed(test: &Test, args: &[&str]) -> String {
    let out = test.run_with(args);
    assert!(out.status.success(), "mfa-env {args:?}: {}", out.stderr);
    out.stdout
}

/// Each text that bash 3.2 or macOS's /bin/sh reads, with the rules it is held to.
fn texts() -> Vec<(String, String, &'static [&'static [Feature]])> {
    const BASH: &[&[Feature]] = &[BASH4];
    const SH: &[&[Feature]] = &[BASH4, BASHISMS];
    let server = StsServer::start();
    server.always(Reply::Creds(hostile()));
    let test = Test::dev(&server);
    let mut texts: Vec<(String, String, &[&[Feature]])> = vec![
        (
            "shell/mfa-env.sh".into(),
            committed("shell/mfa-env.sh"),
            BASH,
        ),
        (
            "shell/mfa-env.posix.sh".into(),
            committed("shell/mfa-env.posix.sh"),
            SH,
        ),
        (
            "completions/mfa-env.bash".into(),
            committed("completions/mfa-env.bash"),
            BASH,
        ),
        // The first thing a macOS machine runs, in whatever bash it has.
        ("scripts/test".into(), committed("scripts/test"), BASH),
        // The release workflow runs it on macOS runners too.
        ("scripts/dist".into(), committed("scripts/dist"), BASH),
        // What a person copies into ~/.bashrc or ~/.bash_profile.
        (
            "docs/shell-integration.md's bash prompt segment".into(),
            crate::status::docs_block("# bash, ~/.bashrc\n"),
            BASH,
        ),
    ];
    for shell in ["bash", "zsh", "sh"] {
        let rules = if shell == "sh" { SH } else { BASH };
        let run = |args: &[&str]| printed(&test, args);
        texts.push((
            format!("`mfa-env init {shell}`"),
            run(&["init", shell]),
            rules,
        ));
        texts.push((
            format!("`mfa-env dev --shell {shell}`"),
            run(&["dev", "--code", "123456", "--shell", shell]),
            rules,
        ));
        texts.push((
            format!("`mfa-env unset --shell {shell}`"),
            run(&["unset", "--shell", shell]),
            rules,
        ));
    }
    texts.push((
        "completions/mfa-env.bash".into(),
        printed(&test, &["completions", "bash"]),
        BASH,
    ));
    texts
}

#[test]
fn the_scripts_and_statements_use_nothing_bash_3_2_or_posix_sh_lacks() {
    // An allowance whose line is gone allows nothing: drop it.
    for allowed in ALLOWED {
        assert!(
            committed(allowed.file)
                .lines()
                .any(|line| line.trim() == allowed.line),
            "{} no longer has `{}` ({}): remove it from ALLOWED",
            allowed.file,
            allowed.line,
            allowed.why
        );
    }
    let mut found = Vec::new();
    for (what, text, rules) in texts() {
        assert!(!text.trim().is_empty(), "{what} is empty");
        for rules in rules {
            found.extend(findings(&what, &text, rules));
        }
    }
    assert!(
        found.is_empty(),
        "macOS's /bin/bash is bash 3.2 and its /bin/sh is that bash in POSIX mode; these lines \
         use what they lack:\n{}",
        found.join("\n")
    );
}

/// The lint finds what it names: each feature in a line of its own, and none in a comment.
#[test]
fn the_lint_finds_each_feature_it_names() {
    let samples = [
        ("${x,,}", "case modification"),
        ("\"${1^}\"", "case modification"),
        ("echo \"${x@Q}\"", "transformations"),
        ("declare -A seen", "associative arrays"),
        ("local -rA seen", "associative arrays"),
        ("declare -g x=1", "global declarations"),
        ("local -n ref=x", "namerefs"),
        ("typeset -l lower", "case attributes"),
        ("local -", "local -"),
        ("mapfile -t lines < f", "mapfile"),
        ("x=1; readarray lines", "readarray"),
        ("coproc cat", "coproc"),
        ("a |& b", "|&"),
        ("a &>> log", "&>>"),
        ("  x) a ;;&", ";& and ;;&"),
        ("shopt -s globstar", "globstar"),
        ("shopt -s nullglob lastpipe", "lastpipe"),
        ("echo \"${a[-1]}\"", "negative array subscripts"),
        ("a[-1]=x", "negative array subscripts"),
        ("echo \"${x:1:-1}\"", "negative substring"),
        ("printf -v 'a[1]' %s x", "printf -v"),
        ("printf '%(%s)T' -1", "printf %(...)T"),
        ("echo $BASHPID", "$BASHPID"),
        ("t=$EPOCHSECONDS", "$EPOCHSECONDS"),
        ("echo ${SRANDOM}", "$SRANDOM"),
        ("wait -n", "wait -n"),
        ("read -ei x v", "read -i"),
        ("[[ -v x ]] && echo", "-v name"),
        ("exec {fd}>/dev/null", "{fd}>"),
        ("echo $'\\u00e9'", "Unicode escapes"),
        ("compopt -o nospace", "compopt"),
        ("complete -o nosort -F f x", "nosort"),
        ("complete -D -F f", "complete -D"),
    ];
    for (line, name) in samples {
        let found = findings("sample", line, BASH4);
        assert!(
            found.iter().any(|f| f.contains(name)),
            "{line:?}: {found:?}"
        );
        assert_eq!(
            findings("sample", &format!("true # {line}\n# {line}"), BASH4),
            Vec::<String>::new()
        );
    }
    // What bash 3.2 has is not flagged.
    let old = "f() { local a=\"${1-}\" b; b=(\"$@\"); echo \"${#b[@]}\" \"${!b[@]}\" \"${a%/*}\" \"${a:-x}\" \"$((1 + 2))\"; [[ $a =~ ^x ]] && : &> /dev/null; printf -v a %s x; a+=(y); }";
    assert_eq!(findings("sample", old, BASH4), Vec::<String>::new());
    for (line, name) in [
        ("[[ -n $x ]]", "[[ ]]"),
        ("function f {", "function"),
        ("f() { local x; }", "local"),
        ("echo $'a'", "$'...'"),
        ("a=(1 2)", "arrays"),
        ("echo \"${x:1:2}\"", "substrings"),
        ("echo \"${x/a/b}\"", "substrings"),
        ("cat <(true)", "process substitution"),
        ("[ \"$a\" == b ]", "=="),
    ] {
        let found = findings("sample", line, BASHISMS);
        assert!(
            found.iter().any(|f| f.contains(name)),
            "{line:?}: {found:?}"
        );
    }
    let posix = "_f() { [ -n \"${1-}\" ] && set -- \"${1%/*}\" \"${2:-x}\" \"${3:=y}\" \"${#1}\"; eval \"$1\"; }";
    assert_eq!(findings("sample", posix, BASHISMS), Vec::<String>::new());
}

/// bash in POSIX mode, started as `sh` (as macOS's /bin/sh runs it): it reads no start-up file.
fn bash_as_sh(script: &str) -> Command {
    use std::os::unix::process::CommandExt;
    let bash = on_path("bash").expect("bash: run scripts/test, which installs it");
    let mut cmd = Command::new(bash);
    cmd.arg0("sh").args(["--posix", "-c", script]);
    cmd
}

/// The POSIX-sh function and the sh statements in `cmd`, a POSIX-mode bash: the function
/// exports the session and removes it again, and `eval "$(mfa-env ...)"` of the statements
/// exports the same.
fn the_sh_function_and_statements_work_in(shell: &dyn Fn(&str) -> Command) {
    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    let want = expected(&creds, "eu-west-1", "dev");

    let script = [
        load_init(Sh::Dash),
        "export AWS_PROFILE=old AWS_SECURITY_TOKEN=old\n",
        "mfa-env dev --code 123456\n",
        &keep_status(Sh::Dash, "RC"),
        &dump(Sh::Dash),
    ]
    .concat();
    let run = Test::dev(&server).shell_command(shell(&script));
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.env.get("RC").map(String::as_str), Some("0"));
    assert!(
        run.stderr.starts_with("mfa-env: dev session valid until"),
        "{}",
        run.stderr
    );
    assert_session(Sh::Dash, &run.env, &want);

    let script = [
        load_init(Sh::Dash),
        "mfa-env dev --code 123456\n",
        "mfa-env unset\n",
        &keep_status(Sh::Dash, "RC"),
        &dump(Sh::Dash),
    ]
    .concat();
    let run = Test::dev(&server).shell_command(shell(&script));
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.env.get("RC").map(String::as_str), Some("0"));
    for name in want.keys() {
        assert!(!run.env.contains_key(*name), "kept {name}");
    }

    let script = "eval \"$(\"$MFA_ENV\" dev --code 123456 --shell sh)\" && env -0";
    let run = Test::dev(&server)
        .env("AWS_PROFILE", "old")
        .shell_command(shell(script));
    assert!(run.status.success(), "{}", run.stderr);
    assert_session(Sh::Dash, &run.env, &want);
}

#[test]
fn the_sh_function_and_statements_work_in_bash_posix_mode() {
    // The syntax check first: a POSIX-mode parse of the committed script.
    use std::os::unix::process::CommandExt;
    let out = Command::new(on_path("bash").expect("bash"))
        .arg0("sh")
        .args(["--posix", "-n"])
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("shell/mfa-env.posix.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    the_sh_function_and_statements_work_in(&bash_as_sh);
}

/// macOS's own /bin/bash (3.2) and /bin/sh, whatever bash Homebrew put first on PATH.
#[cfg(target_os = "macos")]
#[test]
fn macos_bin_bash_and_bin_sh_run_the_function_and_the_statements() {
    let version = Command::new("/bin/bash")
        .args(["-c", "echo \"$BASH_VERSION\""])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    assert!(version.starts_with("3.2"), "/bin/bash is {version}");

    let bin_sh = |script: &str| {
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", script]);
        cmd
    };
    the_sh_function_and_statements_work_in(&bin_sh);

    let server = StsServer::start();
    let creds = hostile();
    server.always(Reply::Creds(creds.clone()));
    let script = [
        load_init(Sh::Bash),
        "export AWS_PROFILE=old\n",
        "mfa-env dev --code 123456\n",
        &keep_status(Sh::Bash, "RC"),
        "eval \"$(mfa-env unset)\"\n",
        "export AFTER_UNSET=\"${MFA_ENV_PROFILE-gone}\"\n",
        "eval \"$(mfa-env dev --code 123456)\"\n",
        "eval \"$(mfa-env completions bash)\"\n",
        "complete -p mfa-env >/dev/null\n",
        &dump(Sh::Bash),
    ]
    .concat();
    let mut cmd = Command::new("/bin/bash");
    cmd.args(["--noprofile", "--norc", "-c", &script]);
    let run = Test::dev(&server).shell_command(cmd);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.env.get("RC").map(String::as_str), Some("0"));
    assert_eq!(run.env.get("AFTER_UNSET").map(String::as_str), Some("gone"));
    assert_session(Sh::Bash, &run.env, &expected(&creds, "eu-west-1", "dev"));
}
