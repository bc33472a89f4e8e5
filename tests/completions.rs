//! Completion scripts: committed and current, and profile names completing at Tab in the real
//! bash, zsh (its completion system, driven through a pseudo-terminal by zpty) and fish.

use std::path::PathBuf;

use crate::init::load_init;
use crate::support::shells::{ALL, Sh};
use crate::support::*;

const SHELLS: [(&str, &str); 8] = [
    ("bash", "bash"),
    ("zsh", "zsh"),
    ("fish", "fish"),
    ("powershell", "ps1"),
    ("elvish", "elv"),
    ("nushell", "nu"),
    ("tcsh", "tcsh"),
    ("xonsh", "xsh"),
];

/// Profiles from both files; `dragon` is added between two Tab presses. The config is named
/// by AWS_CONFIG_FILE, outside HOME, which the tests check is left unchanged.
const CONFIG: &str = "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
                      [profile prod-admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n";
const CREDENTIALS: &str = "[dev]\naws_access_key_id = AKIAEXAMPLEDEV00001\naws_secret_access_key = x\n[default]\naws_access_key_id = AKIAEXAMPLEDEF00001\naws_secret_access_key = y\n";

fn profiles() -> Test {
    let test = Test::new().credentials(CREDENTIALS);
    let config = test.dir.path().join("aws-config");
    std::fs::write(&config, CONFIG).unwrap();
    test.env("AWS_CONFIG_FILE", &config.display().to_string())
}

#[test]
fn committed_scripts_are_what_the_binary_prints() {
    for (shell, ext) in SHELLS {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("completions/mfa-env.{ext}"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let out = Test::new().args(["completions", shell]).ok();
        assert!(
            out.stdout == committed,
            "{} is stale; regenerate the scripts with\n  for s in bash:bash zsh:zsh fish:fish powershell:ps1 elvish:elv nushell:nu tcsh:tcsh xonsh:xsh; do cargo run -q -- completions ${{s%:*}} > completions/mfa-env.${{s#*:}}; done",
            path.display()
        );
        // nushell's are static (clap_complete_nushell); the others call the binary back.
        if shell != "nushell" {
            assert!(out.stdout.contains("_MFA_ENV_COMPLETE"), "{shell}");
        }
    }
}

#[test]
fn the_binary_answers_a_completion_request_with_profile_names() {
    let out = profiles()
        .env("_MFA_ENV_COMPLETE", "fish")
        .args(["--", "mfa-env", "exec", ""])
        .ok();
    let names: Vec<&str> = out.stdout.lines().filter(|l| !l.starts_with('-')).collect();
    assert_eq!(names, ["default", "dev\tmfa", "prod-admin\trole, mfa"]);
    // An empty word offers each subcommand by its name (`clear` sorted before `unset`
    // and hid it); the alias still completes from its first letters.
    let words = |word: &str| -> Vec<String> {
        let out = profiles()
            .env("_MFA_ENV_COMPLETE", "fish")
            .args(["--", "mfa-env", word])
            .ok();
        out.stdout
            .lines()
            .map(|l| l.split('\t').next().unwrap_or("").to_owned())
            .collect()
    };
    let empty = words("");
    assert!(empty.contains(&"unset".to_owned()), "{empty:?}");
    assert!(!empty.contains(&"clear".to_owned()), "{empty:?}");
    assert_eq!(words("cl"), ["clear"]);
    assert_eq!(words("u"), ["unset"]);
    // Unreadable files complete nothing and say nothing.
    let out = Test::new()
        .config("[broken\n")
        .env("_MFA_ENV_COMPLETE", "fish")
        .args(["--", "mfa-env", "export", "d"])
        .ok();
    assert_eq!((out.stdout.as_str(), out.stderr.as_str()), ("", ""));
}

/// Shell code that loads the completions (and, with `init`, the function too), then completes
/// each line of `lines` and keeps the candidates, one a line, in the variable C1, C2, ...
fn complete_script(sh: Sh, init: bool, lines: &[&str]) -> String {
    let mut script = String::from(load_init(sh));
    if !init {
        // The binary alone: drop the function the line above defined.
        script.push_str(match sh {
            Sh::Fish => "functions -e mfa-env\n",
            _ => "unset -f mfa-env\n",
        });
    }
    script.push_str(match sh {
        Sh::Bash => "eval \"$(command mfa-env completions bash)\"\n",
        Sh::Fish => "command mfa-env completions fish | source\n",
        Sh::Zsh => unreachable!("zsh completes through zpty"),
        _ => unreachable!("bash and fish only"),
    });
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        match sh {
            Sh::Bash => {
                // As readline calls it: the words, the index of the current one, and the
                // function's arguments (command, word being completed, word before it).
                let words: Vec<&str> = line.split(' ').collect();
                let cword = words.len() - 1;
                script.push_str(&format!(
                    "COMP_WORDS=({}); COMP_CWORD={cword}; COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; COMP_TYPE=9; COMPREPLY=()\n\
                     _clap_complete_mfa_env mfa-env '{}' '{}'\n\
                     export C{n}=\"$(printf '%s\\n' \"${{COMPREPLY[@]}}\")\"\n",
                    words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" "),
                    words[cword],
                    words[cword - 1],
                ));
                if i == 0 {
                    script.push_str("printf '[profile dragon]\\n' >> \"$AWS_CONFIG_FILE\"\n");
                }
            }
            Sh::Fish => {
                script.push_str(&format!(
                    "set -gx C{n} (complete -C '{line}' | string collect)\n"
                ));
                if i == 0 {
                    script.push_str("printf '[profile dragon]\\n' >> $AWS_CONFIG_FILE\n");
                }
            }
            _ => unreachable!(),
        }
    }
    script.push_str("env -0\n");
    script
}

#[test]
fn profile_names_complete_at_tab_in_bash_and_fish_read_at_each_press() {
    let lines = [
        "mfa-env d",
        "mfa-env d",
        "mfa-env export p",
        "mfa-env exec d",
        "mfa-env e",
        "mfa-env ",
    ];
    for sh in [Sh::Bash, Sh::Fish] {
        for init in [false, true] {
            let run = profiles().shell(sh, &complete_script(sh, init, &lines));
            assert!(
                run.status.success(),
                "{} init={init}: {}",
                sh.name(),
                run.stderr
            );
            let c = |n: usize| {
                let text = run.env.get(&format!("C{n}")).cloned().unwrap_or_default();
                // fish shows the description after a tab; the value is what is typed.
                text.lines()
                    .map(|l| l.split('\t').next().unwrap_or("").to_owned())
                    .collect::<Vec<_>>()
            };
            let ctx = format!("{} init={init}: {}", sh.name(), run.stderr);
            // Subcommands and profiles both fit the shorthand's first word.
            assert_eq!(c(1), ["doctor", "default", "dev"], "{ctx}");
            // The config changed between two Tab presses: the new profile is there.
            assert_eq!(c(2), ["doctor", "default", "dev", "dragon"], "{ctx}");
            assert_eq!(c(3), ["prod-admin"], "{ctx}");
            assert_eq!(c(4), ["default", "dev", "dragon"], "{ctx}");
            assert_eq!(c(5), ["export", "exec"], "{ctx}");
            // An empty word: each subcommand by its name.
            assert!(c(6).contains(&"unset".to_owned()), "{ctx} {:?}", c(6));
            assert!(!c(6).contains(&"clear".to_owned()), "{ctx} {:?}", c(6));
        }
    }
}

/// Type `keys` into an interactive zsh that ran compinit and loaded the completions (and the
/// function from `init`), wait until the screen shows `wait_for`, and return the screen.
fn zsh_screen(test: &Test, init: bool, keys: &str, wait_for: &str) -> String {
    let setup = format!(
        "PS1='> '; autoload -Uz compinit; compinit -u -D; {}{}eval \"$(command mfa-env completions zsh)\"; echo RE''ADY",
        load_init(Sh::Zsh).trim_end(),
        if init { "; " } else { "; unset -f mfa-env; " },
    );
    let driver = r#"
zmodload zsh/zpty
zpty z 'TERM=dumb zsh -f -i'
zpty -w z "$SETUP"
zpty -r -m z out '*READY*'
zpty -n -w z "$KEYS"
zpty -r -m z screen "*$WAIT*"
zpty -n -w z $'\C-u echo EN""D\n'
zpty -r -m z rest '*END*'
print -r -- "$screen$rest" > "$SCREEN"
zpty -d z
"#;
    let screen_file = test.dir.path().join("screen");
    let script = format!(
        "export SETUP={} KEYS={} WAIT={} SCREEN={}; timeout 20 zsh -f -c {}; env -0",
        sh_quote(&setup),
        sh_quote(keys),
        sh_quote(wait_for),
        sh_quote(&screen_file.display().to_string()),
        sh_quote(driver)
    );
    let run = test.shell(Sh::Zsh, &script);
    let screen = std::fs::read_to_string(&screen_file).unwrap_or_default();
    let _ = std::fs::remove_file(&screen_file);
    assert!(
        run.status.success() && screen.contains("END"),
        "zsh never showed {wait_for:?} after {keys:?}: {}\n{screen}",
        run.stderr
    );
    screen
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn profile_names_complete_at_tab_in_zsh() {
    for init in [false, true] {
        let test = profiles();
        // One candidate: the completion system writes it into the line.
        let screen = zsh_screen(&test, init, "mfa-env exec pr\t", "prod-admin ");
        assert!(screen.contains("mfa-env exec prod-admin "), "{screen}");
        // Several: a second Tab lists them with their descriptions.
        let screen = zsh_screen(&test, init, "mfa-env de\t\t", "default");
        assert!(screen.contains("dev      -- mfa"), "{screen}");
        assert!(!screen.contains("doctor"), "{screen}");
        // Read at Tab time: a profile added now completes at once.
        std::fs::write(
            test.dir.path().join("aws-config"),
            format!("{CONFIG}[profile dragon]\n"),
        )
        .unwrap();
        let screen = zsh_screen(&test, init, "mfa-env export dr\t", "dragon ");
        assert!(screen.contains("mfa-env export dragon "), "{screen}");
    }
}

#[test]
fn every_shell_loads_its_script_without_a_word() {
    for sh in ALL {
        let load = match sh {
            Sh::Bash => "eval \"$(mfa-env completions bash)\"",
            Sh::Zsh => "autoload -Uz compinit; compinit -u -D; eval \"$(mfa-env completions zsh)\"",
            Sh::Fish => "mfa-env completions fish | source",
            _ => unreachable!("the other shells load theirs in the tests below"),
        };
        let script = format!("{}{load}\nenv -0", load_init(sh));
        let run = profiles().shell(sh, &script);
        assert!(
            run.status.success() && run.stderr.is_empty(),
            "{}: {}",
            sh.name(),
            run.stderr
        );
    }
}

#[test]
fn nushell_loads_its_completions_and_the_function_still_exports() {
    // The completions declare `extern mfa-env` and `extern "mfa-env export"`; the function
    // from init, loaded after them as the docs say, takes those names back.
    let server = StsServer::start();
    let completions = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("completions/mfa-env.nu");
    let script = format!(
        "source '{}'\n{}{}{}{}{}^env -0",
        completions.display(),
        load_init(Sh::Nu),
        "$env.AWS_PROFILE = 'old'\n",
        "mfa-env export dev --code 123456\n",
        "$env.HELD = (mfa-env status --prompt | str trim --right)\n",
        "mfa-env unset\n",
    );
    let run = Test::dev(&server).shell(Sh::Nu, &script);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(run.env.get("HELD").map(String::as_str), Some("dev 12h"));
    assert!(!run.env.contains_key("AWS_PROFILE"));
    assert!(!run.env.contains_key("AWS_ACCESS_KEY_ID"));
    // The completions alone load without a word, and leave the program (the one built, not
    // one that may be installed) callable.
    let script = format!(
        "$env.PATH = ($env.PATH | prepend ($env.MFA_ENV | path dirname))\nsource '{}'\n$env.OUT = (mfa-env list | str trim --right)\n^env -0",
        completions.display()
    );
    let run = profiles().shell(Sh::Nu, &script);
    assert_eq!(run.stderr, "");
    assert!(
        run.env.get("OUT").is_some_and(|o| o.contains("prod-admin")),
        "{:?}",
        run.env.get("OUT")
    );
}

#[test]
fn elvish_loads_its_completions_in_the_interactive_shell() {
    let test = profiles();
    let out = test.dir.path().join("out");
    crate::init::elvish_typed(
        &test,
        &[
            "use path; set paths = [(path:dir $E:MFA_ENV) $@paths]",
            "eval (mfa-env completions elvish | slurp)",
            "eval (mfa-env init elvish | slurp)",
            &format!(
                "echo (to-string (has-key $edit:completion:arg-completer mfa-env)) > {}",
                out.display()
            ),
        ],
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "$true\n");
    // The completer answers with profile names, as a Tab press asks.
    crate::init::elvish_typed(
        &test,
        &[
            "use path; set paths = [(path:dir $E:MFA_ENV) $@paths]",
            "eval (mfa-env completions elvish | slurp)",
            &format!(
                "$edit:completion:arg-completer[mfa-env] mfa-env exec d > {}",
                out.display()
            ),
        ],
    );
    let got = std::fs::read_to_string(&out).unwrap();
    assert!(got.contains("dev"), "{got}");
    assert!(got.contains("default"), "{got}");
}

/// An interactive tcsh on a pseudo-terminal that loaded the completions (and the alias from
/// `init`): Tab completes a profile or a subcommand into the line, Ctrl-D lists the candidates.
#[test]
fn profile_names_complete_at_tab_in_tcsh() {
    use crate::support::pty::{Pty, Wiring};
    for init in [false, true] {
        let test = profiles();
        let pty = Pty::open();
        let mut cmd = std::process::Command::new(Sh::Tcsh.program());
        cmd.args(["-f", "-i"]);
        let sealed = test.command();
        cmd.env_clear()
            .envs(sealed.get_envs().filter_map(|(k, v)| Some((k, v?))))
            .env("MFA_ENV", BIN)
            .env("TERM", "dumb");
        let mut child = pty.spawn(cmd, Wiring::Screen);
        let load = if init {
            "; eval \"`mfa-env init tcsh`\""
        } else {
            ""
        };
        // tcsh edits lines itself only with `edit` set, which a dumb terminal leaves unset.
        pty.send(&format!(
            "set edit; set prompt='> '; set path = ($MFA_ENV:h $path); eval \"`mfa-env completions tcsh`\"{load}; echo RE''ADY\r"
        ));
        pty.expect("READY\r\n", 1);
        // \x15 (Ctrl-U) empties the line between the presses.
        pty.send("mfa-env exec pr\t");
        pty.expect("mfa-env exec prod-admin ", 1);
        pty.send("\x15mfa-env doc\t");
        pty.expect("mfa-env doctor ", 1);
        pty.send("\x15mfa-env export de\x04");
        pty.expect("default", 1);
        let listed = pty.screen();
        let listed = listed
            .rsplit("mfa-env export de")
            .nth(1)
            .unwrap_or_default();
        assert!(listed.contains("dev"), "{listed}");
        // Read at Tab time: a profile added now completes at once.
        std::fs::write(
            test.dir.path().join("aws-config"),
            format!("{CONFIG}[profile dragon]\n"),
        )
        .unwrap();
        pty.send("\x15mfa-env exec dr\t");
        pty.expect("mfa-env exec dragon ", 1);
        pty.send("\x15exit\r");
        crate::init::exits(&mut child, &pty, "tcsh");
    }
}

/// xonsh loads the completer with `execx`, and its own completion machinery (what a Tab press
/// calls) offers the profiles and subcommands, read from the files at each press.
#[test]
fn profile_names_complete_in_xonsh() {
    for init in [false, true] {
        let test = profiles();
        let mut script = String::from("$PATH.insert(0, $MFA_ENV.rsplit('/', 1)[0])\n");
        if init {
            script.push_str("execx($(mfa-env init xonsh))\n");
        }
        script.push_str(
            "execx($(mfa-env completions xonsh))\n\
             from xonsh.completer import Completer\n\
             def _complete(line):\n\
             \x20   word = line.split(' ')[-1]\n\
             \x20   found, _ = Completer().complete(word, line, len(line) - len(word), len(line), multiline_text=line, cursor_index=len(line))\n\
             \x20   return ' '.join(sorted(str(c).strip() for c in found))\n\
             $C1 = _complete('mfa-env exec pr')\n\
             $C2 = _complete('mfa-env d')\n\
             with open($AWS_CONFIG_FILE, 'a') as f:\n\
             \x20   f.write('[profile dragon]\\n')\n\
             $C3 = _complete('mfa-env export d')\n\
             env -0\n",
        );
        let run = test.shell(Sh::Xonsh, &script);
        let ctx = format!("init={init}: {}", run.stderr);
        assert!(run.status.success() && run.stderr.is_empty(), "{ctx}");
        let c = |n: usize| run.env.get(&format!("C{n}")).cloned().unwrap_or_default();
        assert_eq!(c(1), "prod-admin", "{ctx}");
        assert_eq!(c(2), "default dev doctor", "{ctx}");
        assert_eq!(c(3), "default dev dragon", "{ctx}");
    }
}
