//! `mfa-env completions SHELL`, and the answers to Tab presses.
//!
//! clap_complete's dynamic completion: the script a shell loads is small and calls mfa-env
//! back at each Tab press with `_MFA_ENV_COMPLETE` set, so profile names come from the config
//! files as they are at that moment. Everything else (subcommands, options, formats) comes from
//! the same clap definition that parses the command line.

use clap::CommandFactory;
use clap_complete::CompleteEnv;
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

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
        .complete();
}

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
