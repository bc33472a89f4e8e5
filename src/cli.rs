//! The whole command-line surface. Help text is in the doc comments; logic lives elsewhere.

use std::ffi::OsString;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use clap_complete::engine::ArgValueCandidates;

use crate::format::Format;
use crate::shell::Shell;

const EXAMPLES: &str = "\
Examples:
  eval \"$(mfa-env dev)\"                   bash, zsh: ask for the code, export the session
  mfa-env dev | source                    fish
  eval \"$(mfa-env dev --code 123456)\"     the code on the command line
  eval \"$(mfa-env dev -d 8h)\"             an 8-hour session
  mfa-env export list                     a profile named like a subcommand
  mfa-env exec dev -- terraform plan      run one command with the session
  eval \"$(mfa-env init bash)\"             in ~/.bashrc: then `mfa-env dev` alone exports

mfa-env reads the profile from ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE and
AWS_SHARED_CREDENTIALS_FILE): its aws_access_key_id, aws_secret_access_key, mfa_serial, region
and duration_seconds. It writes nothing to disk: the session lives only in the shell that
evaluates the output.";

/// Export an MFA-authenticated AWS session into the current shell, and write nothing to disk.
///
/// Prints shell statements on stdout for `eval`; everything else goes to stderr.
#[derive(Debug, Parser)]
#[command(
    name = "mfa-env",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub export: ExportArgs,

    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Export a session (what `mfa-env PROFILE` does); reaches a profile named like a subcommand
    #[command(after_help = EXAMPLES)]
    Export {
        #[command(flatten)]
        args: ExportArgs,
        #[command(flatten)]
        format: FormatArg,
    },

    /// Run a command with the session in its environment (no shell, nothing exported)
    ///
    /// AWS_PROFILE and AWS_DEFAULT_PROFILE are removed from its environment; its exit status
    /// is mfa-env's. A session this shell already holds for the profile is used as it is.
    #[command(after_help = "Example:\n  mfa-env exec dev -- terraform plan -out 'my plan'")]
    Exec(ExecArgs),

    /// Show this shell's session, from its environment alone; exit 1 when there is none
    Status(StatusArgs),

    /// Print the statements that remove every variable export sets
    #[command(visible_alias = "clear")]
    Unset {
        #[command(flatten)]
        format: FormatArg,
    },

    /// List the profiles of ~/.aws/config and ~/.aws/credentials, marking MFA devices and roles
    List {
        /// One JSON array of objects instead of text
        #[arg(long)]
        json: bool,
    },

    /// Print the shell integration: a function that makes `mfa-env PROFILE` export by itself
    #[command(after_help = INIT_HELP)]
    Init {
        #[arg(value_enum, value_name = "SHELL")]
        shell: Shell,
    },

    /// Print the completion script for a shell (profile names complete too)
    #[command(after_help = COMPLETIONS_HELP)]
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: CompletionShell,
    },
}

const INIT_HELP: &str = "\
Add to the shell's start-up file:
  bash  ~/.bashrc                   eval \"$(mfa-env init bash)\"
  zsh   ~/.zshrc                    eval \"$(mfa-env init zsh)\"
  fish  ~/.config/fish/config.fish  mfa-env init fish | source
  pwsh  $PROFILE                    mfa-env init powershell | Out-String | Invoke-Expression";

const COMPLETIONS_HELP: &str = "\
Load them from the shell's start-up file:
  bash  ~/.bashrc                   eval \"$(mfa-env completions bash)\"
  zsh   ~/.zshrc, after compinit    eval \"$(mfa-env completions zsh)\"
  fish  ~/.config/fish/completions/mfa-env.fish   (mfa-env completions fish > that file)
  pwsh  $PROFILE                    mfa-env completions powershell | Out-String | Invoke-Expression
  elvish ~/.config/elvish/rc.elv    eval (mfa-env completions elvish | slurp)";

/// What export prints.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct FormatArg {
    /// What to print: shell statements for bash, zsh, fish or powershell (pwsh), or json,
    /// dotenv, or process (credential_process JSON)
    /// [default: the shell: the parent process, else $SHELL, else bash]
    #[arg(
        short = 'f',
        long = "format",
        short_alias = 's',
        visible_alias = "shell",
        value_enum,
        value_name = "FORMAT"
    )]
    pub format: Option<Format>,
}

#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub args: ExportArgs,

    /// The command and its arguments, passed unchanged
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "COMMAND",
        num_args = 1..
    )]
    pub command: Vec<OsString>,
}

#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// A short segment for the prompt, such as `dev 42m`, or nothing without a session
    #[arg(long, conflicts_with = "json")]
    pub prompt: bool,

    /// One JSON object for scripts
    #[arg(long)]
    pub json: bool,
}

/// The shells clap_complete writes completions for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
    Elvish,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The profile, as named in ~/.aws/config or ~/.aws/credentials (`default` works when named)
    #[arg(
        required = true,
        value_name = "PROFILE",
        add = ArgValueCandidates::new(crate::cmd::completions::profiles)
    )]
    pub profile: Option<String>,

    /// The one-time code from the MFA device; without it mfa-env asks on the terminal
    #[arg(short, long, visible_alias = "mfa-token", value_name = "CODE", value_parser = parse_code)]
    pub code: Option<String>,

    /// How long the session lasts: 12h, 90m, 1h30m, 3600s or seconds, from 15m to 36h
    /// [default: the profile's duration_seconds, else 12h]
    #[arg(short, long, value_name = "DURATION", value_parser = crate::duration::parse)]
    pub duration: Option<Duration>,

    /// The region whose STS endpoint is called and that the session exports
    /// [default: the profile's region, AWS_REGION, AWS_DEFAULT_REGION, us-east-1]
    #[arg(short, long, value_name = "REGION")]
    pub region: Option<String>,

    /// The MFA device's ARN, instead of the profile's mfa_serial
    #[arg(long, value_name = "ARN")]
    pub serial_number: Option<String>,

    /// Open a new session even when this shell holds one for the profile
    #[arg(long)]
    pub force: bool,

    /// A session this shell holds is kept while it has more than this left
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = crate::duration::parse)]
    pub min_ttl: Duration,
}

fn parse_code(text: &str) -> Result<String, String> {
    crate::prompt::normalize_code(text).ok_or_else(|| "the MFA code is 6 digits".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn shorthand_and_subcommand_reach_the_same_arguments() {
        let cli = Cli::try_parse_from(["mfa-env", "dev", "-c", "123 456"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.export.profile.as_deref(), Some("dev"));
        assert_eq!(cli.export.code.as_deref(), Some("123456"));
        let cli =
            Cli::try_parse_from(["mfa-env", "export", "export", "--mfa-token", "123456"]).unwrap();
        let Some(Command::Export { args, .. }) = cli.command else {
            panic!("not export")
        };
        assert_eq!(args.profile.as_deref(), Some("export"));
        assert!(Cli::try_parse_from(["mfa-env"]).is_err());
        assert!(Cli::try_parse_from(["mfa-env", "export"]).is_err());
        assert!(Cli::try_parse_from(["mfa-env", "dev", "-c", "12345"]).is_err());
        let cli = Cli::try_parse_from(["mfa-env", "dev", "-s", "pwsh", "-d", "90m"]).unwrap();
        assert_eq!(cli.format.format, Some(Format::Powershell));
        assert_eq!(cli.export.duration, Some(Duration::from_secs(5400)));
        assert_eq!(cli.export.min_ttl, Duration::from_secs(600));
        assert!(!cli.export.force);
    }

    #[test]
    fn format_and_its_shell_aliases_are_one_option() {
        for args in [
            ["mfa-env", "dev", "--format", "json"],
            ["mfa-env", "dev", "--shell", "json"],
            ["mfa-env", "dev", "-f", "json"],
            ["mfa-env", "dev", "-s", "json"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.format.format, Some(Format::Json), "{args:?}");
        }
        assert!(Cli::try_parse_from(["mfa-env", "dev", "-f", "json", "-s", "bash"]).is_err());
        let cli = Cli::try_parse_from(["mfa-env", "export", "dev", "--format", "process"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Export {
                format: FormatArg {
                    format: Some(Format::Process)
                },
                ..
            })
        ));
    }

    #[test]
    fn exec_keeps_the_command_and_its_arguments_as_given() {
        for args in [
            &[
                "mfa-env",
                "exec",
                "dev",
                "--",
                "sh",
                "-c",
                "echo \"$1\"",
                "--",
                "a b",
            ][..],
            &[
                "mfa-env",
                "exec",
                "dev",
                "sh",
                "-c",
                "echo \"$1\"",
                "--",
                "a b",
            ][..],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            let Some(Command::Exec(exec)) = cli.command else {
                panic!("not exec")
            };
            assert_eq!(exec.args.profile.as_deref(), Some("dev"));
            assert_eq!(exec.command, ["sh", "-c", "echo \"$1\"", "--", "a b"]);
        }
        let cli = Cli::try_parse_from(["mfa-env", "exec", "dev", "-c", "123456", "--force", "env"])
            .unwrap();
        let Some(Command::Exec(exec)) = cli.command else {
            panic!("not exec")
        };
        assert_eq!(exec.args.code.as_deref(), Some("123456"));
        assert!(exec.args.force);
        assert_eq!(exec.command, ["env"]);
        assert!(Cli::try_parse_from(["mfa-env", "exec", "dev"]).is_err());
        assert!(
            Cli::try_parse_from(["mfa-env", "exec", "dev", "--format", "json", "env"]).is_err()
        );
    }

    #[test]
    fn clear_is_unset() {
        let cli = Cli::try_parse_from(["mfa-env", "clear", "-s", "fish"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Unset {
                format: FormatArg {
                    format: Some(Format::Fish)
                }
            })
        ));
    }
}
