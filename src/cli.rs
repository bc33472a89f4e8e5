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
  eval \"$(mfa-env admin)\"                 a role profile (role_arn, source_profile)
  eval \"$(mfa-env dev --role-arn ARN)\"    a role for once, ARN as in
                                          arn:aws:iam::210987654321:role/Admin
  mfa-env export list                     a profile named like a subcommand
  mfa-env exec dev -- terraform plan      run one command with the session
  eval \"$(mfa-env init bash)\"             in ~/.bashrc: then `mfa-env dev` alone exports

mfa-env reads the profile from ~/.aws/config and ~/.aws/credentials (or AWS_CONFIG_FILE and
AWS_SHARED_CREDENTIALS_FILE): aws_access_key_id, aws_secret_access_key, mfa_serial, mfa_process,
region, duration_seconds, mfa_prompt, mfa_prompt_timeout, and for roles role_arn,
source_profile, external_id and role_session_name. It writes nothing to disk: the session lives
only in the shell that evaluates the output.

The code is asked on the terminal; where there is none (an IDE running credential_process),
the program MFA_ENV_ASKPASS names gets the question as its argument and prints the code, else
the desktop's dialog asks (zenity or kdialog with DISPLAY or WAYLAND_DISPLAY, osascript on
macOS). `mfa_prompt = terminal | dialog | askpass` or --prompt forces one.";

/// Export an MFA-authenticated AWS session into the current shell, and write nothing to disk.
///
/// Prints shell statements on stdout for `eval`, and never on a terminal; everything else goes
/// to stderr.
#[derive(Debug, Parser)]
#[command(
    name = "mfa-env",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
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
    /// AWS_PROFILE and AWS_DEFAULT_PROFILE are removed from its environment; mfa-env exits
    /// with the command's exit status. A session this shell already holds for the request is used as it is.
    /// Without a command, starts $SHELL (else /bin/sh) with the session.
    ///
    /// With --server the command gets no keys: it reads them from an endpoint on 127.0.0.1
    /// that only it knows the token of, as every AWS SDK does in a container, and a role's
    /// session is renewed there from the MFA session (one code) while the command runs.
    #[command(
        after_help = "Examples:\n  mfa-env exec dev -- terraform plan -out 'my plan'\n  mfa-env exec dev                        a shell with the session\n  mfa-env exec --server admin -- terraform apply\n                                          a long job: its role session is renewed"
    )]
    Exec(ExecArgs),

    /// Open the AWS console in the browser, signed in with a role session assumed with MFA
    ///
    /// The role is assumed from the MFA session the agent or this shell holds, with no code,
    /// else with one code; the federation endpoint exchanges the role session for a sign-in
    /// URL, which the browser gets in its arguments ($BROWSER, else the system's opener). An
    /// IAM user's own session cannot sign in to the console: a role profile (or --role-arn)
    /// is needed.
    // Not wrapped to the terminal: a command cut in two is not one to copy.
    #[command(after_help = CONSOLE_HELP, term_width = 0)]
    Console(ConsoleArgs),

    /// Show this shell's session, from its environment alone; exit 1 when there is none
    Status(StatusArgs),

    /// Print the statements that remove every variable export sets
    #[command(visible_alias = "clear")]
    Unset {
        #[command(flatten)]
        shell: ShellArg,
    },

    /// List the profiles of ~/.aws/config and ~/.aws/credentials, marking MFA devices and roles
    List {
        /// One JSON array of objects instead of text
        #[arg(long)]
        json: bool,
    },

    /// Print the shell integration: a function that makes `mfa-env PROFILE` export by itself
    // Not wrapped to the terminal: a command cut in two is not one to copy.
    #[command(after_help = INIT_HELP, term_width = 0)]
    Init {
        #[arg(value_enum, value_name = "SHELL")]
        shell: Shell,

        /// Also start the agent, unless one runs (cheap then): one MFA code for every
        /// terminal of this user
        #[arg(long)]
        agent: bool,
    },

    /// The agent: one process of yours that keeps sessions in memory only, so that one MFA
    /// code serves every terminal, role and credential_process call while it lasts
    #[command(after_help = AGENT_HELP)]
    Agent {
        #[command(subcommand)]
        action: AgentAction,
    },

    /// Print the completion script for a shell (profile names complete too)
    // Not wrapped to the terminal: a command cut in two is not one to copy.
    #[command(after_help = COMPLETIONS_HELP, term_width = 0)]
    Completions {
        #[arg(value_enum, value_name = "SHELL")]
        shell: CompletionShell,
    },

    /// Find the profile's MFA device and write its mfa_serial into the config file
    #[command(after_help = SETUP_EXAMPLES)]
    Setup(SetupArgs),
    /// Check a profile step by step and say how to fix what fails
    Doctor(DoctorArgs),

    /// Replace the profile's long-term access key with a new one, with one MFA code
    ///
    /// One MFA session (one code, or none while this shell or the agent holds one) signs every call:
    /// CreateAccessKey, then the new key is stored where the old one was and proved to work,
    /// then DeleteAccessKey of the old one. A failure at any step leaves a working key stored.
    /// A role profile rotates the key of the profile at the end of its source_profile chain.
    // Not wrapped to the terminal: a command cut in two is not one to copy.
    #[command(after_help = ROTATE_HELP, term_width = 0)]
    Rotate(RotateArgs),
    /// Long-term keys in the OS keyring instead of the credentials file: import, add, remove,
    /// list, print
    #[command(after_help = KEYS_HELP)]
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

const KEYS_HELP: &str = "\
Examples:
  mfa-env keys import dev    move [dev]'s key lines into the keyring
  mfa-env keys add dev       store a key typed on the terminal
  mfa-env keys list          where each profile's key is

A profile whose key is in the keyring has `credential_process = mfa-env keys print PROFILE` in
the credentials file: the AWS CLI and SDKs run it, and mfa-env reads the keyring directly.
Linux: the Secret Service (gnome-keyring, KeePassXC), which must be unlocked; macOS: the login
Keychain. Items: service mfa-env, username PROFILE (`secret-tool search service mfa-env`).
Other stores (1Password, pass) through credential_process: see docs/keys.md.";

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Move the profile's aws_access_key_id and aws_secret_access_key from the credentials
    /// file into the keyring, and write `credential_process = mfa-env keys print PROFILE` in
    /// their place; no other byte of the file changes
    Import(KeysProfile),
    /// Store a key for the profile in the keyring: asked on the terminal, else two lines read
    /// from stdin (the key id, then the secret); the profile gets the credential_process line
    Add(KeysProfile),
    /// Delete the profile's key from the keyring, and the profile's `mfa-env keys print` line
    Remove(KeysProfile),
    /// Every profile with a key: its masked key id, where the key is (file, keyring, process)
    /// and, for the keyring, when it was stored
    List {
        /// One JSON array instead of text
        #[arg(long)]
        json: bool,
        /// Also ask IAM when each key was created (ListAccessKeys, signed with the key itself;
        /// many policies allow it only with MFA), and warn past 90 days
        #[arg(long)]
        age: bool,
    },
    /// The profile's key from the keyring as credential_process JSON, for the AWS CLI and
    /// SDKs; refused when stdout is a terminal
    Print(KeysProfile),
}

#[derive(Debug, Clone, Args)]
pub struct KeysProfile {
    /// The profile whose key it is
    #[arg(
        value_name = "PROFILE",
        add = ArgValueCandidates::new(crate::completer::profiles)
    )]
    pub profile: String,
}

const ROTATE_HELP: &str = "\
Examples:
  mfa-env rotate dev                      ask for the code, rotate dev's key
  eval \"$(mfa-env rotate dev)\"            also drop this shell's session of the old key

stdout carries only the statements that remove this shell's session of the old key, when
the shell holds one (the function from `mfa-env init` evaluates them); sessions the agent
holds for the old key are forgotten.";

const INIT_HELP: &str = "\
Add to the shell's start-up file:
  bash    ~/.bashrc                   eval \"$(mfa-env init bash)\"
  zsh     ~/.zshrc                    eval \"$(mfa-env init zsh)\"
  sh      the file $ENV names         eval \"$(mfa-env init sh)\"
  fish    ~/.config/fish/config.fish  mfa-env init fish | source
  tcsh    ~/.tcshrc                   eval \"`mfa-env init tcsh`\"
  elvish  ~/.config/elvish/rc.elv     eval (mfa-env init elvish | slurp)
  xonsh   ~/.xonshrc                  execx($(mfa-env init xonsh))
  nu      config.nu                   mkdir ($nu.user-autoload-dirs | first)
                                      mfa-env init nu | save -f ($nu.user-autoload-dirs | first | path join mfa-env.nu)
  pwsh    $PROFILE                    mfa-env init powershell | Out-String | Invoke-Expression";

const CONSOLE_HELP: &str = "\
Examples:
  mfa-env console admin                     the console's home, in the profile's region
  mfa-env console admin s3                  the S3 console
  mfa-env console admin ec2 -r eu-west-1    EC2 in another region
  mfa-env console dev --role-arn ARN        a role for once
  mfa-env console admin --print | wl-copy   the sign-in URL, for a browser of your choice
  mfa-env console dev --federation-token    an IAM user's console WITHOUT MFA (asked by name)

The console session lasts as long as the role session (--duration; at most 1h for a role
assumed from a held MFA session). The sign-in URL signs in whoever opens it for 15 minutes.
MFA_ENV_SIGNIN_URL replaces the federation endpoint (plain http only to this computer).";

const AGENT_HELP: &str = "\
While an agent runs, `mfa-env PROFILE`, `exec` and `--format process` ask it first: the first
request for an MFA device asks for the code as always, later ones (any terminal, any role of
that user) get the session from the agent without a code. --no-agent goes without it.
Its socket: $MFA_ENV_AGENT_SOCK, else $XDG_RUNTIME_DIR/mfa-env/agent.sock, else
${TMPDIR:-/tmp}/mfa-env-UID/agent.sock. It writes no session anywhere; see SECURITY.md.";

const COMPLETIONS_HELP: &str = "\
Load them from the shell's start-up file:
  bash  ~/.bashrc                   eval \"$(mfa-env completions bash)\"
  zsh   ~/.zshrc, after compinit    eval \"$(mfa-env completions zsh)\"
  fish  ~/.config/fish/completions/mfa-env.fish   (mfa-env completions fish > that file)
  pwsh  $PROFILE                    mfa-env completions powershell | Out-String | Invoke-Expression
  elvish ~/.config/elvish/rc.elv    eval (mfa-env completions elvish | slurp)
  tcsh  ~/.tcshrc                   eval \"`mfa-env completions tcsh`\"
  xonsh ~/.xonshrc                  execx($(mfa-env completions xonsh))
  nu    config.nu                   source ($nu.default-config-dir | path join mfa-env-completions.nu)
        saved once, at the prompt:  mfa-env completions nu | save -f ($nu.default-config-dir | path join mfa-env-completions.nu)";

#[derive(Debug, Subcommand)]
pub enum AgentAction {
    /// Start the agent in the background, unless one answers; return once it answers
    Start {
        /// Exit after holding nothing, with no client, for this long
        #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = crate::duration::parse)]
        idle_exit: Duration,
    },
    /// Stop the agent: every session it holds is gone
    Stop,
    /// What the agent holds (profile, MFA device, role, expiry), never a secret; exit 1 when
    /// no agent answers
    Status {
        /// One JSON object instead of text
        #[arg(long)]
        json: bool,
    },
    /// Drop every session the agent holds, or those of one profile (and the roles assumed
    /// from its MFA session)
    Forget {
        #[arg(value_name = "PROFILE", add = ArgValueCandidates::new(crate::completer::profiles))]
        profile: Option<String>,
    },
    /// Run the agent in the foreground (for a service manager); `start` runs this detached
    Run {
        /// Exit after holding nothing, with no client, for this long
        #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = crate::duration::parse)]
        idle_exit: Duration,
        /// Leave the terminal's session and close stderr once listening (what `start` asks)
        #[arg(long, hide = true)]
        detach: bool,
    },
}

/// What export prints.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct FormatArg {
    /// What to print: shell statements for bash, zsh, sh (posix), fish, tcsh (csh), elvish,
    /// xonsh, nu (nushell) or powershell (pwsh), or json, dotenv, or process
    /// (credential_process JSON)
    /// [default: the shell of the function from `mfa-env init`, else the parent process's
    /// shell (by its program, then its name), else $SHELL's, else bash]
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

/// What unset prints: statements for a shell. The data formats have none that removes a
/// variable, so they are not offered.
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct ShellArg {
    /// The shell to print statements for: bash, zsh, sh (posix), fish, tcsh (csh), elvish,
    /// xonsh, nu (nushell) or powershell (pwsh)
    /// [default: the shell of the function from `mfa-env init`, else the parent process's
    /// shell (by its program, then its name), else $SHELL's, else bash]
    #[arg(
        short = 'f',
        long = "format",
        short_alias = 's',
        visible_alias = "shell",
        value_enum,
        value_name = "SHELL"
    )]
    pub shell: Option<Shell>,
}

#[derive(Debug, Clone, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub args: ExportArgs,

    /// Serve the session to the command from a local endpoint that renews a role's session
    /// while it runs (AWS_CONTAINER_CREDENTIALS_FULL_URI), instead of keys in its environment
    #[arg(long)]
    pub server: bool,

    /// The command and its arguments, passed unchanged [default: $SHELL, else /bin/sh]
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub args: ExportArgs,

    /// The console page of this service, by its name in the console's URLs (s3, ec2, iam,
    /// lambda, cloudformation, ...) [default: the console's home]
    #[arg(value_name = "SERVICE", conflicts_with = "destination")]
    pub service: Option<String>,

    /// The console page to open, as a URL, instead of a service's
    #[arg(long, value_name = "URL")]
    pub destination: Option<String>,

    /// Write the sign-in URL on stdout instead of opening a browser; refused when stdout is
    /// a terminal, since the URL signs in whoever has it for 15 minutes
    #[arg(long)]
    pub print: bool,

    /// With --print, write the URL even on a terminal
    #[arg(long, requires = "print")]
    pub allow_terminal: bool,

    /// For an IAM user's profile with no role: sign in with a federation token
    /// (GetFederationToken with the long-term keys), whose console session carries NO MFA and
    /// fails every policy that requires it
    #[arg(long)]
    pub federation_token: bool,
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

/// The shells `completions` writes a script for: clap_complete's, and tcsh and xonsh (mfa-env's own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "pwsh")]
    Powershell,
    Elvish,
    #[value(alias = "nu")]
    Nushell,
    // clap_complete has none for these two: cmd/completions.rs writes them.
    #[value(alias = "csh")]
    Tcsh,
    Xonsh,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// The profile, as named in ~/.aws/config or ~/.aws/credentials (`default` works when named)
    #[arg(
        required = true,
        value_name = "PROFILE",
        add = ArgValueCandidates::new(crate::completer::profiles)
    )]
    pub profile: Option<String>,

    /// The one-time code from the MFA device, or `-` to read it from stdin; without it
    /// mfa-env asks on the terminal
    ///
    /// A code on the command line can be read by every local user (/proc/PID/cmdline, `ps`)
    /// while mfa-env runs; `--code -` reads one line from stdin instead (`ykman oath accounts
    /// code --single aws | mfa-env dev --code -`), waiting at most --mfa-process-timeout.
    #[arg(short, long, visible_alias = "mfa-token", value_name = "CODE", value_parser = parse_code)]
    pub code: Option<String>,

    /// How long the session lasts: 12h, 90m, 1h30m, 3600s or seconds; 15m to 36h, or to 12h
    /// for a role [default: the profile's duration_seconds, else 12h, or 1h for a role]
    #[arg(short, long, value_name = "DURATION", value_parser = crate::duration::parse)]
    pub duration: Option<Duration>,

    /// The region whose STS endpoint is called and that the session exports
    /// [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
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

    /// Assume this role with the profile's credentials, without editing any file
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,

    /// The ExternalId the role's trust policy asks for [default: the profile's external_id]
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,

    /// The role session's name [default: the profile's role_session_name, else mfa-env-$USER]
    #[arg(long, value_name = "NAME")]
    pub role_session_name: Option<String>,

    /// Do not ask the agent, even when one runs: a code for this session alone
    #[arg(long)]
    pub no_agent: bool,

    #[command(flatten)]
    pub mfa_process: MfaProcessArgs,
}

/// Where the code comes from when it is not typed.
#[derive(Debug, Clone, Default, Args)]
pub struct MfaProcessArgs {
    /// A command that prints the MFA code, such as `ykman oath accounts code --single aws`,
    /// instead of the profile's mfa_process; split like a shell would, but no shell runs
    #[arg(long, value_name = "CMD")]
    pub mfa_process: Option<String>,

    /// How long the mfa_process command may run before it is stopped, and `--code -` waits
    /// for stdin
    #[arg(long, value_name = "SECONDS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub mfa_process_timeout: u64,

    /// Where the code is asked for, instead of the profile's mfa_prompt: only the terminal,
    /// only the desktop's dialog (zenity, kdialog, osascript), or only the MFA_ENV_ASKPASS
    /// program [default: the terminal; with none, MFA_ENV_ASKPASS, else the dialog]
    #[arg(long, value_name = "WHERE", value_parser = ["terminal", "dialog", "askpass"])]
    pub prompt: Option<String>,

    /// How long the dialog or the askpass program waits for the code, instead of the
    /// profile's mfa_prompt_timeout [default: 60]
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub prompt_timeout: Option<u64>,
}

const SETUP_EXAMPLES: &str = "\
Examples:
  mfa-env setup dev                       find the device with IAM, write mfa_serial
  mfa-env setup dev --dry-run             only show the line it would write
  mfa-env setup dev --verify              then ask for a code and prove it works
  mfa-env setup dev --serial-number ARN   write this device, ARN as in
                                          arn:aws:iam::123456789012:mfa/alice

setup writes `mfa_serial = ARN` into the profile's section of ~/.aws/config (or
AWS_CONFIG_FILE) and changes nothing else in the file.";

#[derive(Debug, Clone, Args)]
pub struct SetupArgs {
    /// The profile that holds the IAM user's long-term keys
    #[arg(
        value_name = "PROFILE",
        add = ArgValueCandidates::new(crate::completer::profiles)
    )]
    pub profile: String,

    /// The MFA device's ARN to write, instead of one chosen from IAM's list; IAM is still
    /// asked, and a device not among the user's is written with a warning
    #[arg(long, value_name = "ARN")]
    pub serial_number: Option<String>,

    /// Show the line that would be written, and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Then ask for a code and open the session `mfa-env PROFILE` would (GetSessionToken, or a
    /// role's AssumeRole) to prove the setup works (no session is printed)
    #[arg(long)]
    pub verify: bool,

    /// The one-time code for --verify, or `-` to read it from stdin (a code on the command line
    /// can be read by every local user while mfa-env runs); without it mfa-env runs
    /// mfa_process or asks
    #[arg(short, long, visible_alias = "mfa-token", value_name = "CODE", value_parser = parse_code,
          requires = "verify")]
    pub code: Option<String>,

    /// The region for STS [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    #[arg(short, long, value_name = "REGION")]
    pub region: Option<String>,

    #[command(flatten)]
    pub mfa_process: MfaProcessArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DoctorArgs {
    /// The profile to check
    #[arg(
        value_name = "PROFILE",
        add = ArgValueCandidates::new(crate::completer::profiles)
    )]
    pub profile: String,

    /// The region to check with [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    #[arg(short, long, value_name = "REGION")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct RotateArgs {
    /// The profile whose key to rotate (a role profile: the key of its source_profile chain)
    #[arg(
        value_name = "PROFILE",
        add = ArgValueCandidates::new(crate::completer::profiles)
    )]
    pub profile: String,

    /// The one-time code from the MFA device, or `-` to read it from stdin; without it
    /// mfa-env runs mfa_process or asks on the terminal
    #[arg(short, long, visible_alias = "mfa-token", value_name = "CODE", value_parser = parse_code)]
    pub code: Option<String>,

    /// The region for STS [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    #[arg(short, long, value_name = "REGION")]
    pub region: Option<String>,

    /// The MFA device's ARN, instead of the profile's mfa_serial
    #[arg(long, value_name = "ARN")]
    pub serial_number: Option<String>,

    /// Do not ask the agent for its MFA session, nor tell it to forget the old key's
    #[arg(long)]
    pub no_agent: bool,

    #[command(flatten)]
    pub mfa_process: MfaProcessArgs,
}

/// `--code`: six digits, or `-` (`CODE_FROM_STDIN`) for a code read from stdin.
fn parse_code(text: &str) -> Result<String, String> {
    if text == CODE_FROM_STDIN {
        return Ok(text.to_owned());
    }
    crate::prompt::normalize_code(text)
        .ok_or_else(|| "the MFA code is 6 digits (or - to read it from stdin)".to_owned())
}

/// The `--code` that reads the code from stdin.
pub const CODE_FROM_STDIN: &str = "-";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn help_says_how_the_format_is_chosen_and_names_every_profile_key() {
        let help = Cli::command().render_long_help().to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in [
            "[default: the shell of the function from `mfa-env init`, else the parent process's shell (by its program, then its name), else $SHELL's, else bash]",
            "mfa_serial, mfa_process, region, duration_seconds",
            "never on a terminal",
        ] {
            assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
        }
    }

    #[test]
    fn code_dash_reads_stdin_and_the_help_says_why() {
        let cli = Cli::try_parse_from(["mfa-env", "dev", "--code", "-"]).unwrap();
        assert_eq!(cli.export.code.as_deref(), Some(CODE_FROM_STDIN));
        let help = Cli::command().render_long_help().to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let needle = "A code on the command line can be read by every local user (/proc/PID/cmdline, `ps`) while mfa-env runs; `--code -` reads one line from stdin instead";
        assert!(help.contains(needle), "--help lacks {needle:?}:\n{help}");
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
        assert!(!exec.server);
        let cli =
            Cli::try_parse_from(["mfa-env", "exec", "--server", "dev", "--", "make"]).unwrap();
        let Some(Command::Exec(exec)) = cli.command else {
            panic!("not exec")
        };
        assert!(exec.server);
        assert_eq!(exec.command, ["make"]);
        // No command: the shell.
        let cli = Cli::try_parse_from(["mfa-env", "exec", "dev", "-c", "123456"]).unwrap();
        let Some(Command::Exec(exec)) = cli.command else {
            panic!("not exec")
        };
        assert!(exec.command.is_empty());
        assert!(
            Cli::try_parse_from(["mfa-env", "exec", "dev", "--format", "json", "env"]).is_err()
        );
    }

    #[test]
    fn every_shell_is_a_format_by_its_names() {
        for (name, format) in [
            ("sh", Format::Sh),
            ("posix", Format::Sh),
            ("tcsh", Format::Tcsh),
            ("csh", Format::Tcsh),
            ("elvish", Format::Elvish),
            ("xonsh", Format::Xonsh),
            ("nu", Format::Nu),
            ("nushell", Format::Nu),
        ] {
            let cli = Cli::try_parse_from(["mfa-env", "dev", "--shell", name]).unwrap();
            assert_eq!(cli.format.format, Some(format), "{name}");
        }
        for name in ["nu", "nushell"] {
            let cli = Cli::try_parse_from(["mfa-env", "completions", name]).unwrap();
            assert!(matches!(
                cli.command,
                Some(Command::Completions {
                    shell: CompletionShell::Nushell
                })
            ));
        }
    }

    #[test]
    fn clear_is_unset() {
        let cli = Cli::try_parse_from(["mfa-env", "clear", "-s", "fish"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Unset {
                shell: ShellArg {
                    shell: Some(Shell::Fish)
                }
            })
        ));
    }

    /// setup asks IAM for the user's devices with --serial-number too (to warn about a device
    /// that is not the user's): its help must not promise that no lookup is made.
    #[test]
    fn setup_help_says_the_serial_number_is_still_checked_with_iam() {
        let mut cli = Cli::command();
        let setup = cli.find_subcommand_mut("setup").unwrap();
        let help = setup.render_long_help().to_string();
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!help.contains("skip"), "{help}");
        assert!(
            help.contains(
                "IAM is still asked, and a device not among the user's is written with a warning"
            ),
            "{help}"
        );
    }

    /// `unset` prints statements: its help offers the shells, and no data format.
    #[test]
    fn unset_offers_only_shells() {
        let mut cli = Cli::command();
        let help = cli
            .find_subcommand_mut("unset")
            .unwrap()
            .render_long_help()
            .to_string();
        for format in ["json", "dotenv", "- process", "credential_process"] {
            assert!(
                !help.contains(format),
                "unset --help offers {format}:\n{help}"
            );
        }
        for shell in ["bash", "fish", "tcsh", "powershell"] {
            assert!(help.contains(shell), "unset --help lacks {shell}:\n{help}");
        }
        for format in ["json", "dotenv", "process"] {
            assert!(Cli::try_parse_from(["mfa-env", "unset", "--format", format]).is_err());
        }
    }

    #[test]
    fn mfa_process_has_a_60_second_limit_by_default() {
        let cli = Cli::try_parse_from(["mfa-env", "dev", "--mfa-process", "totp aws"]).unwrap();
        assert_eq!(
            cli.export.mfa_process.mfa_process.as_deref(),
            Some("totp aws")
        );
        assert_eq!(cli.export.mfa_process.mfa_process_timeout, 60);
        assert!(Cli::try_parse_from(["mfa-env", "dev", "--mfa-process-timeout", "0"]).is_err());
    }
}
