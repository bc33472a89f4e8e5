//! `mfa-env completions SHELL`, and the answers to Tab presses.
//!
//! clap_complete's dynamic completion: the script a shell loads is small and calls mfa-env
//! back at each Tab press with `_MFA_ENV_COMPLETE` set, so profile names come from the config
//! files as they are at that moment. Everything else (subcommands, options, formats) comes from
//! the same clap definition that parses the command line.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::CompleteEnv;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Shells, Zsh};

use crate::cli::{Cli, CompletionShell};
use crate::cmd::write_stdout;
use crate::error::Result;

/// The variable that turns a run into a completion request. Not clap's default `COMPLETE`:
/// a variable of that common name left in someone's environment would hijack every run.
pub const VAR: &str = "_MFA_ENV_COMPLETE";
const BIN: &str = "mfa-env";

/// Answer a completion request and exit, if this run is one.
pub fn complete_if_asked() {
    CompleteEnv::with_factory(command)
        .var(VAR)
        .bin(BIN)
        .completer(BIN)
        .shells(Shells(&[
            &Bash,
            &Elvish,
            &Fish,
            &Powershell,
            &Zsh,
            &Tcsh,
            &Xonsh,
        ]))
        .complete();
}

/// tcsh has no completion in clap_complete: its `complete` builtin runs a command in
/// backquotes and offers the words it prints. The command gets the line as tcsh has it so far
/// (`$COMMAND_LINE`) in one argument, split here; a line that ends in a space completes a new
/// word. tcsh itself keeps the candidates that begin with the word typed.
struct Tcsh;

impl EnvCompleter for Tcsh {
    fn name(&self) -> &'static str {
        "tcsh"
    }
    fn is(&self, name: &str) -> bool {
        name == "tcsh" || name == "csh"
    }
    fn write_registration(
        &self,
        var: &str,
        _name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        // `env` runs the program, not the alias from `mfa-env init tcsh`.
        writeln!(
            buf,
            "complete {bin} 'p,*,`env {var}=tcsh {completer} -- \"${{COMMAND_LINE}}\"`,'"
        )
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let line = args
            .first()
            .map(|a| a.to_string_lossy())
            .unwrap_or_default();
        let mut words: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        if words.is_empty() || line.ends_with(char::is_whitespace) {
            words.push(OsString::new());
        }
        let index = words.len() - 1;
        for candidate in clap_complete::engine::complete(cmd, words, index, current_dir)? {
            writeln!(buf, "{}", candidate.get_value().to_string_lossy())?;
        }
        Ok(())
    }
}

/// xonsh has no completion in clap_complete: a Python completer for the command `mfa-env`,
/// added before xonsh's own, asks the words before the cursor and the word at it, as fish's
/// protocol does, and offers each candidate with its description.
struct Xonsh;

impl EnvCompleter for Xonsh {
    fn name(&self) -> &'static str {
        "xonsh"
    }
    fn is(&self, name: &str) -> bool {
        name == "xonsh"
    }
    fn write_registration(
        &self,
        var: &str,
        _name: &str,
        bin: &str,
        completer: &str,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        let script = XONSH_REGISTRATION
            .replace("VAR", var)
            .replace("BIN", bin)
            .replace("COMPLETER", completer);
        buf.write_all(script.as_bytes())
    }
    fn write_complete(
        &self,
        cmd: &mut clap::Command,
        args: Vec<OsString>,
        current_dir: Option<&Path>,
        buf: &mut dyn Write,
    ) -> std::io::Result<()> {
        Fish.write_complete(cmd, args, current_dir, buf)
    }
}

/// Loaded by `execx($(mfa-env completions xonsh))`: names that cannot clash (one function,
/// removed from the namespace once registered).
const XONSH_REGISTRATION: &str = r#"def _mfa_env_completer_register():
    import subprocess
    from xonsh.built_ins import XSH
    from xonsh.completers.completer import add_one_completer
    from xonsh.completers.tools import RichCompletion, contextual_command_completer_for

    @contextual_command_completer_for("BIN")
    def complete(command):
        words = [arg.value for arg in command.args[: command.arg_index]] + [command.prefix]
        env = XSH.env.detype()
        env["VAR"] = "xonsh"
        try:
            out = subprocess.run(
                ["COMPLETER", "--", *words],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                timeout=10,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        found = set()
        for line in out.splitlines():
            value, _, help = line.partition("	")
            if value:
                found.add(RichCompletion(value, description=help, append_space=True))
        return found

    add_one_completer("BIN", complete, "start")


_mfa_env_completer_register()
del _mfa_env_completer_register
"#;

/// The command line as completion sees it. clap_complete offers one word per subcommand, the
/// first in sort order of its name and visible aliases: an empty word offered `clear` and
/// never `unset`, the name the docs use. Here `clear` is a hidden alias, which still completes
/// once its first letters are typed; `--help` keeps showing it.
fn command() -> clap::Command {
    Cli::command().mut_subcommand("unset", |unset| unset.visible_alias(None).alias("clear"))
}

/// The script that registers completion in `shell`. It calls `mfa-env` by name, found on PATH
/// (or the function from `mfa-env init`, which passes completion requests straight through).
///
/// nushell's are static, from clap_complete_nushell: `extern` declarations of every
/// subcommand and option (clap_complete has no dynamic completion for nushell), so profile
/// names do not complete there.
pub fn script(shell: CompletionShell) -> String {
    let completer: &dyn EnvCompleter = match shell {
        CompletionShell::Bash => &Bash,
        CompletionShell::Zsh => &Zsh,
        CompletionShell::Fish => &Fish,
        CompletionShell::Powershell => &Powershell,
        CompletionShell::Elvish => &Elvish,
        CompletionShell::Tcsh => &Tcsh,
        CompletionShell::Xonsh => &Xonsh,
        CompletionShell::Nushell => {
            let mut buf = Vec::new();
            clap_complete::generate(
                clap_complete_nushell::Nushell,
                &mut command(),
                BIN,
                &mut buf,
            );
            return String::from_utf8(buf).expect("the scripts are UTF-8");
        }
    };
    let mut buf = Vec::new();
    completer
        .write_registration(VAR, BIN, BIN, BIN, &mut buf)
        .expect("writing to a Vec cannot fail");
    String::from_utf8(buf).expect("the scripts are UTF-8")
}

pub fn run(shell: CompletionShell) -> Result<()> {
    write_stdout(&script(shell))
}
