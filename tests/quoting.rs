//! Quoting by property: thousands of generated values, each rendered by `Shell::render` and
//! evaluated by the REAL bash, zsh and fish (as `eval "$(...)"` and `... | source` do), then
//! read back byte for byte.
//!
//! Values cover all of Unicode except NUL (an environment variable cannot hold one; mfa-env
//! refuses such a value before rendering, see `hostile.rs`), with extra weight on what shells
//! give meaning to: quotes of every kind, backslashes (a trailing one too), `$`, backticks,
//! `!`, newlines, ASCII control characters, fish's private-use range, and very long values.
//! All cases of a batch go through one shell process, so CASES per shell and locale take
//! about a second. On a mismatch the failing value is shrunk, one value per shell run, and
//! reported with the seed that reproduces the batch (MFA_ENV_QUOTING_SEED).
//!
//! PowerShell cannot be installed on this machine (no Debian package): its quoter is checked
//! against its documented tokenizer rule, by a table and by property, without a shell.

use std::process::{Command, Stdio};

use mfa_env::format::Format;
use mfa_env::shell::Shell;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::support::moto::Moto;
use crate::support::shells::{EVERY, Sh};

/// Cases per shell and locale in every run (CI included); MFA_ENV_QUOTING_CASES asks for more.
const CASES: usize = 5000;

fn cases() -> usize {
    std::env::var("MFA_ENV_QUOTING_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .map_or(CASES, |n: usize| n.max(CASES))
}

/// Characters a shell gives meaning to, or that have broken quoters before.
const NASTY: &[char] = &[
    '\'',
    '"',
    '\\',
    '$',
    '`',
    '!',
    '\n',
    '\r',
    '\t',
    ' ',
    '*',
    '?',
    '[',
    ']',
    '{',
    '}',
    '(',
    ')',
    ';',
    '&',
    '|',
    '<',
    '>',
    '#',
    '~',
    '%',
    '^',
    '=',
    ',',
    '-',
    ':',
    '@',
    '+',
    '/',
    '\u{1}',
    '\u{1b}',
    '\u{7f}',
    '\u{85}',
    '\u{a0}',
    '\u{2018}',
    '\u{2019}',
    '\u{201a}',
    '\u{201b}',
    '\u{201c}',
    '\u{2028}',
    '\u{feff}',
    '\u{f600}',
    '\u{f6ff}',
    '\u{fffd}',
    '\u{ffff}',
    '\u{10ffff}',
    'é',
    '日',
    '🙂',
];

fn value() -> BoxedStrategy<String> {
    let ch = prop_oneof![
        4 => prop::sample::select(NASTY),
        3 => any::<char>(),
        2 => (0x20u8..0x7f).prop_map(char::from),
        1 => (0x01u8..0x20).prop_map(char::from),
    ]
    // NUL cannot be in an environment variable; mfa-env refuses it (tested in hostile.rs).
    .prop_map(|c| if c == '\0' { '\u{1}' } else { c });
    let short = prop::collection::vec(ch, 0..40).prop_map(String::from_iter);
    prop_oneof![
        100 => short.clone(),
        // Long values: a generated piece repeated (a tree per character of a 20,000-character
        // value would make generation, not the shells, the slow part).
        1 => (short, 100..2000usize).prop_map(|(s, n)| s.repeat(n)),
    ]
    .boxed()
}

/// The values a shell is given: all of them, but for tcsh, which takes no newline and only
/// ASCII (`Shell::refuses`); there each other character becomes an ASCII one, often a nasty
/// one, so that the batch still weighs on what tcsh gives meaning to.
fn value_for(sh: Sh) -> BoxedStrategy<String> {
    if sh != Sh::Tcsh {
        return value();
    }
    const TCSH_NASTY: &[u8] = b"'\\\"!$`\r\t *?[]{}();&|<>#~%^=:@/-";
    value()
        .prop_map(|v| {
            v.chars()
                .map(|c| {
                    if c.is_ascii() && c != '\n' {
                        c
                    } else {
                        let i = u32::from(c) as usize;
                        char::from(TCSH_NASTY[i % TCSH_NASTY.len()])
                    }
                })
                .collect()
        })
        .boxed()
}

/// What mfa-env would print in `format`, for variables V0..Vn holding `values`.
fn render(format: impl Into<Format>, values: &[String]) -> String {
    let names: Vec<String> = (0..values.len()).map(|i| format!("V{i}")).collect();
    let set: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(values.iter().map(String::as_str))
        .collect();
    format.into().render(&set, &[]).unwrap()
}

/// A generator seeded with `seed`, so a failing batch can be made again.
fn runner(seed: &[u8; 32]) -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, seed),
    )
}

/// Evaluate mfa-env's code for `values` in the real shell, and compare what it holds.
fn eval_in(sh: Sh, locale: &str, values: &[String]) -> Result<(), String> {
    eval_code(sh, locale, &render(sh.shell(), values), values)
}

/// Evaluate `code` as users do (`Shell::evaluate`: `eval "$(...)"`, `| source`, ...), then
/// print each of V0..Vn and compare with `values`.
fn eval_code(sh: Sh, locale: &str, code_text: &str, values: &[String]) -> Result<(), String> {
    run_and_compare(sh, locale, code_text, values, |code| {
        sh.shell().evaluate(&format!("cat '{}'", code.display()))
    })
}

/// Evaluate `code` through the shell function from `mfa-env init` (the committed script),
/// with a program named mfa-env on PATH that prints `code`, as the binary would.
fn eval_through_function(sh: Sh, locale: &str, values: &[String]) -> Result<(), String> {
    let code_text = render(sh.shell(), values);
    run_and_compare(sh, locale, &code_text, values, |code| {
        use std::os::unix::fs::PermissionsExt;
        let bin = code.with_file_name("bin");
        std::fs::create_dir(&bin).unwrap();
        let fake = bin.join("mfa-env");
        std::fs::write(&fake, format!("#!/bin/sh\nexec cat '{}'\n", code.display())).unwrap();
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        let script = |ext: &str| format!("{}/shell/mfa-env.{ext}", env!("CARGO_MANIFEST_DIR"));
        let bin = bin.display();
        match sh {
            Sh::Bash | Sh::Zsh => {
                format!("PATH='{bin}':$PATH; . '{}' && mfa-env dev", script("sh"))
            }
            // The alias takes effect from the next line on.
            Sh::Dash => format!(
                "PATH='{bin}':$PATH; . '{}'\nmfa-env dev",
                script("posix.sh")
            ),
            Sh::Fish => format!(
                "set -gx PATH '{bin}' $PATH; source '{}'; and mfa-env dev",
                script("fish")
            ),
            Sh::Tcsh => format!(
                "set path = ('{bin}' $path); eval \"`cat '{}'`\"\nmfa-env dev",
                script("tcsh")
            ),
            Sh::Xonsh => format!(
                "$PATH.insert(0, '{bin}')\nexecx($(cat '{}'))\nmfa-env dev",
                script("xsh")
            ),
            Sh::Nu => format!(
                "$env.PATH = ($env.PATH | prepend '{bin}'); source '{}'; mfa-env dev",
                script("nu")
            ),
            Sh::Elvish => unreachable!("elvish's function is for the interactive shell"),
        }
    })
}

/// Run `evaluate(code file)` in the real shell, then print each of V0..Vn, each followed by
/// NUL (by a newline in tcsh, whose values hold none), and compare with `values`.
fn run_and_compare(
    sh: Sh,
    locale: &str,
    code_text: &str,
    values: &[String],
    evaluate: impl FnOnce(&std::path::Path) -> String,
) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code");
    let dump = dir.path().join("dump");
    std::fs::write(&code, code_text).unwrap();
    let n = values.len();
    // The dump is a file: 5000 lines in one argument would pass the kernel's 128 KiB limit.
    let lines: String = (0..n)
        .map(|i| match sh {
            Sh::Fish => format!("printf '%s\\0' $V{i}\n"),
            Sh::Bash | Sh::Zsh | Sh::Dash => format!("printf '%s\\0' \"$V{i}\"\n"),
            // The builtin: an exec'd printf could not take a 200,000-byte argument.
            Sh::Tcsh => format!("printenv V{i}\n"),
            Sh::Elvish => format!("print (get-env V{i})\"\\x00\"\n"),
            Sh::Xonsh | Sh::Nu => String::new(),
        })
        .collect();
    std::fs::write(&dump, lines).unwrap();
    let dump = dump.display();
    let read_back = match sh {
        Sh::Bash | Sh::Zsh | Sh::Dash => format!(". '{dump}'"),
        Sh::Fish | Sh::Tcsh => format!("source '{dump}'"),
        Sh::Elvish => format!("eval (slurp < '{dump}')"),
        Sh::Xonsh => format!(
            "import sys\nfor i in range({n}):\n    _ = sys.stdout.buffer.write(__xonsh__.env['V%d' % i].encode('utf-8') + b'\\0')\n"
        ),
        // One pass over the environment: `$env | get` per name copies it each time.
        Sh::Nu => format!(
            "$env | select ...(0..<{n} | each {{|i| $\"V($i)\" }}) | values | each {{|v| $v + (char nul) }} | str join | print -n"
        ),
    };
    let script = sh.then(&evaluate(&code), &read_back);
    let out = sh
        .command(&script)
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("LANG", locale)
        .env("LC_ALL", locale)
        // xonsh runs dircolors for LS_COLORS, which fails once the environment is very large.
        .env("LS_COLORS", "")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !stderr.is_empty() {
        return Err(format!("status {:?}, stderr:\n{stderr}", out.status));
    }
    let end = if sh == Sh::Tcsh { b'\n' } else { 0 };
    let got: Vec<&[u8]> = out.stdout.split(|b| *b == end).collect();
    // The output ends with the separator, so the split ends with an empty piece.
    if got.len() != values.len() + 1 || got.last() != Some(&&b""[..]) {
        return Err(format!(
            "{} values read back for {}",
            got.len() - 1,
            values.len()
        ));
    }
    for (i, (want, got)) in values.iter().zip(&got).enumerate() {
        if want.as_bytes() != *got {
            return Err(format!(
                "V{i}: want {want:?}, got {:?}",
                String::from_utf8_lossy(got)
            ));
        }
    }
    Ok(())
}

/// The first value of `trees` that fails `check` on its own, shrunk to a smallest failing
/// value.
fn shrink(
    sh: Sh,
    check: impl Fn(&[String]) -> Result<(), String>,
    trees: &mut [impl ValueTree<Value = String>],
) -> String {
    let Some((tree, first)) = trees
        .iter_mut()
        .find_map(|t| check(&[t.current()]).err().map(|e| (t, e)))
    else {
        return "no single value fails alone: the values interfere".into();
    };
    // proptest's own shrinking loop: simplify while it still fails, step back when it passes.
    let mut smallest = tree.current();
    let mut steps = 0;
    let mut more = tree.simplify();
    while more && steps < 1000 {
        steps += 1;
        let candidate = tree.current();
        more = if check(std::slice::from_ref(&candidate)).is_err() {
            smallest = candidate;
            tree.simplify()
        } else {
            tree.complicate()
        };
    }
    let value = smallest;
    // A shell that fails a value once and not again (a crash, a warning on stderr) is a
    // failure too: said with what it said the first time.
    let why = check(std::slice::from_ref(&value))
        .err()
        .unwrap_or_else(|| format!("it failed once and then passed; the first failure: {first}"));
    format!(
        "smallest failing value: {value:?}\n{why}\ncode:\n{}",
        render(sh.shell(), std::slice::from_ref(&value))
    )
}

fn seed() -> [u8; 32] {
    let text = std::env::var("MFA_ENV_QUOTING_SEED").unwrap_or_else(|_| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("{nanos:032x}")
    });
    let mut seed = [0; 32];
    for (i, b) in text.bytes().take(32).enumerate() {
        seed[i] = b;
    }
    seed
}

/// Evaluates a batch of values one way and says how they arrived.
type Check = dyn Fn(&[String]) -> Result<(), String>;

/// A batch of generated values, in a UTF-8 locale (as people use) and in the C locale (as
/// scripts and cron often run), then through the function from `mfa-env init`.
#[track_caller]
fn values_arrive_exactly(sh: Sh) {
    let seed = seed();
    let mut runner = runner(&seed);
    let strategy = value_for(sh);
    let mut trees: Vec<_> = (0..cases())
        .map(|_| strategy.new_tree(&mut runner).unwrap())
        .collect();
    let values: Vec<String> = trees.iter().map(ValueTree::current).collect();
    let mut checks: Vec<(&str, Box<Check>)> = vec![
        (
            "C.UTF-8",
            Box::new(move |v: &[String]| eval_in(sh, "C.UTF-8", v)),
        ),
        ("C", Box::new(move |v: &[String]| eval_in(sh, "C", v))),
    ];
    // elvish's function lives in the interactive shell: init.rs runs it there.
    if sh != Sh::Elvish {
        checks.push((
            "C.UTF-8, through the function from `mfa-env init`",
            Box::new(move |v: &[String]| eval_through_function(sh, "C.UTF-8", v)),
        ));
    }
    // tcsh's setenv takes time in proportion to the variables already set: 5000 in one shell
    // take 7 s, 25 shells of 200 a few tenths.
    let batch = if sh == Sh::Tcsh { 200 } else { values.len() };
    for (how, check) in checks {
        let failure = values.chunks(batch).find_map(|chunk| {
            let e = check(chunk).err()?;
            // xonsh's `$(...)` now and then hands execx only part of a long output when the
            // machine is loaded (seen in two CI runs: a string cut mid-way, a SyntaxError, and
            // the same batch read exactly when run again). A batch that fails twice counts.
            if sh == Sh::Xonsh && check(chunk).is_ok() {
                let first = e.lines().next().unwrap_or_default();
                eprintln!(
                    "xonsh ({how}) failed once and read every value the second time: {first}"
                );
                return None;
            }
            Some(e)
        });
        if let Some(e) = failure {
            panic!(
                "{} ({how}) read a value differently: {e}\n{}\nreproduce with MFA_ENV_QUOTING_SEED={}",
                sh.name(),
                shrink(sh, check, &mut trees),
                String::from_utf8_lossy(&seed)
            );
        }
    }
}

#[test]
fn generated_values_arrive_exactly_in_bash() {
    values_arrive_exactly(Sh::Bash);
}

#[test]
fn generated_values_arrive_exactly_in_zsh() {
    values_arrive_exactly(Sh::Zsh);
}

#[test]
fn generated_values_arrive_exactly_in_dash() {
    values_arrive_exactly(Sh::Dash);
}

#[test]
fn generated_values_arrive_exactly_in_fish() {
    values_arrive_exactly(Sh::Fish);
}

#[test]
fn generated_values_arrive_exactly_in_tcsh() {
    values_arrive_exactly(Sh::Tcsh);
}

#[test]
fn generated_values_arrive_exactly_in_elvish() {
    values_arrive_exactly(Sh::Elvish);
}

#[test]
fn generated_values_arrive_exactly_in_xonsh() {
    values_arrive_exactly(Sh::Xonsh);
}

#[test]
fn generated_values_arrive_exactly_in_nushell() {
    values_arrive_exactly(Sh::Nu);
}

#[test]
fn tcsh_refuses_exactly_what_it_cannot_receive() {
    // Through eval "`...`" a newline arrives as a space; in the C locale, bytes of non-ASCII
    // characters shift once the output is longer than one read. Both are refused by the
    // quoter; everything else arrives (the property above).
    for (value, refused) in [
        ("a\nb", true),
        ("é", true),
        ("\u{2028}", true),
        ("a\rb\t!'\\", false),
    ] {
        assert_eq!(Shell::Tcsh.refuses(value).is_some(), refused, "{value:?}");
    }
    // What tcsh would make of them, to show the refusals are needed.
    let newline = ["a\nb".to_owned()];
    let code = "setenv V0 'a\\\nb';\n";
    assert!(eval_code(Sh::Tcsh, "C.UTF-8", code, &newline).is_err());
    let long = ["é".repeat(5000)];
    let code = format!("setenv V0 '{}';\n", long[0]);
    assert!(eval_code(Sh::Tcsh, "C.UTF-8", &code, &long).is_ok());
    assert!(eval_code(Sh::Tcsh, "C", &code, &long).is_err());
}

#[test]
fn very_long_values_arrive_exactly_in_every_shell() {
    let values = vec![
        "\\".repeat(200_001),
        "'".repeat(100_000),
        format!("{}\\", "a'b\\c\"d$e`f!g\n".repeat(20_000)),
        "日本🙂".repeat(50_000),
    ];
    // tcsh takes ASCII without newlines: the same lengths in its alphabet.
    let tcsh = vec![
        "\\".repeat(200_001),
        "'".repeat(100_000),
        format!("{}\\", "a'b\\c\"d$e`f!g\t".repeat(20_000)),
        "!~^#".repeat(50_000),
    ];
    for sh in EVERY {
        let values = if sh == Sh::Tcsh { &tcsh } else { &values };
        eval_in(sh, "C.UTF-8", values).unwrap_or_else(|e| panic!("{}: {e}", sh.name()));
    }
}

#[test]
fn the_harness_sees_a_wrong_value() {
    // The check must be able to fail: code from the wrong quoter is caught.
    let values = ["a\\\\b".to_owned()];
    let bash_code = Shell::Bash.render(&[("V0", &values[0])], &[]).unwrap();
    assert!(eval_code(Sh::Fish, "C", &bash_code, &values).is_err());
    let values = ["it's".to_owned()];
    let fish_code = Shell::Fish.render(&[("V0", &values[0])], &[]).unwrap();
    assert!(eval_code(Sh::Bash, "C", &fish_code, &values).is_err());
    assert!(eval_code(Sh::Zsh, "C", &fish_code, &values).is_err());
    assert!(eval_in(Sh::Fish, "C", &values).is_ok());
    // tcsh expands `!` inside single quotes; elvish reads `\\` as two characters.
    let values = ["a!b\\c".to_owned()];
    let posix = values
        .iter()
        .map(|v| format!("setenv V0 '{v}';\n"))
        .collect::<String>();
    assert!(eval_code(Sh::Tcsh, "C", &posix, &values).is_err());
    let xonsh_code = Shell::Xonsh.render(&[("V0", &values[0])], &[]).unwrap();
    let elvish_code = xonsh_code.replace("$V0 = ", "set-env V0 ");
    assert!(eval_code(Sh::Elvish, "C", &elvish_code, &values).is_err());
    for sh in [Sh::Tcsh, Sh::Elvish, Sh::Xonsh, Sh::Nu, Sh::Dash] {
        assert!(eval_in(sh, "C", &values).is_ok(), "{}", sh.name());
    }
}

#[test]
fn generated_values_arrive_exactly_through_python_dotenv_and_json() {
    // The data formats' quoters, by the same property, read by their real readers in one
    // Python process: python-dotenv (as `--format dotenv` is read) and Python's json (as
    // `--format json` and `--format process` are). `$` is left out for dotenv: python-dotenv
    // keeps compose's `\$` as two characters, on purpose (src/format.rs says why).
    let seed = seed();
    let mut runner = runner(&seed);
    let values: Vec<String> = (0..cases())
        .map(|_| {
            value()
                .new_tree(&mut runner)
                .unwrap()
                .current()
                .replace('$', "%")
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (dotenv, json) = (dir.path().join("env"), dir.path().join("json"));
    std::fs::write(&dotenv, render(Format::Dotenv, &values)).unwrap();
    std::fs::write(&json, render(Format::Json, &values)).unwrap();
    let script = "import json, sys, dotenv\n\
                  d = dotenv.dotenv_values(sys.argv[1])\n\
                  j = json.load(open(sys.argv[2], encoding='utf-8'))\n\
                  n = int(sys.argv[3])\n\
                  out = [[d.get('V%d' % i) for i in range(n)], [j.get('V%d' % i) for i in range(n)]]\n\
                  sys.stdout.write(json.dumps(out))\n";
    let out = Command::new(Moto::python_path())
        .args(["-c", script])
        .arg(&dotenv)
        .arg(&json)
        .arg(values.len().to_string())
        .env("PYTHONIOENCODING", "utf-8")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: [Vec<Option<String>>; 2] = serde_json::from_slice(&out.stdout).unwrap();
    for (reader, got) in ["python-dotenv", "json"].iter().zip(&read) {
        assert_eq!(got.len(), values.len());
        for (i, (want, got)) in values.iter().zip(got).enumerate() {
            assert_eq!(
                got.as_deref(),
                Some(want.as_str()),
                "{reader} read V{i} differently; reproduce with MFA_ENV_QUOTING_SEED={}",
                String::from_utf8_lossy(&seed)
            );
        }
    }
}

/// PowerShell's tokenizer inside a single-quoted string (ScanStringLiteral): a single-quote
/// character (U+0027, U+2018..U+201B) followed by another one stands for the second; alone, it
/// ends the string. None if `word` is not exactly one such string.
fn powershell_unquote(word: &str) -> Option<String> {
    let is_quote = |c: char| matches!(c, '\'' | '\u{2018}'..='\u{201b}');
    let mut chars = word.chars().peekable();
    if !chars.next().is_some_and(is_quote) {
        return None;
    }
    let mut out = String::new();
    while let Some(c) = chars.next() {
        if is_quote(c) {
            match chars.peek() {
                Some(&next) if is_quote(next) => {
                    out.push(next);
                    chars.next();
                }
                // The closing quote must be the last character of the word.
                _ => return chars.next().is_none().then_some(out),
            }
        } else {
            out.push(c);
        }
    }
    None
}

#[test]
fn powershell_quoting_table() {
    // (value, what Shell::Powershell writes); PowerShell gives `$`, the backtick and `"` no
    // meaning inside single quotes.
    let table = [
        ("", "''"),
        ("it's", "'it''s'"),
        ("''", "''''''"),
        ("$Env:HOME `n \"x\"", "'$Env:HOME `n \"x\"'"),
        ("trail\\", "'trail\\'"),
        (
            "\u{2018}\u{2019}\u{201a}\u{201b}",
            "'\u{2018}\u{2018}\u{2019}\u{2019}\u{201a}\u{201a}\u{201b}\u{201b}'",
        ),
        ("\u{201c}x\u{201d}", "'\u{201c}x\u{201d}'"),
        ("a\nb", "'a\nb'"),
    ];
    for (value, quoted) in table {
        assert_eq!(Shell::Powershell.quote(value), quoted, "{value:?}");
        assert_eq!(powershell_unquote(quoted).as_deref(), Some(value));
    }
    assert_eq!(powershell_unquote("'a'b'"), None);
}

proptest! {
    #![proptest_config(Config { cases: 5000, ..Config::default() })]

    #[test]
    fn powershell_quoting_round_trips(v in value()) {
        prop_assert_eq!(powershell_unquote(&Shell::Powershell.quote(&v)), Some(v));
    }
}
