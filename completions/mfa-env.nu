module completions {

  def "nu-complete mfa-env prompt" [] {
    [ "terminal" "dialog" "askpass" ]
  }

  def "nu-complete mfa-env format" [] {
    [ "bash" "zsh" "sh" "fish" "tcsh" "elvish" "xonsh" "nu" "powershell" "json" "dotenv" "process" ]
  }

  # Export an MFA-authenticated AWS session into the current shell, and write nothing to disk
  export extern mfa-env [
    --code(-c): string        # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env asks on the terminal
    --mfa-token: string       # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env asks on the terminal
    --duration(-d): string    # How long the session lasts: 12h, 90m, 1h30m, 3600s or seconds; 15m to 36h, or to 12h for a role [default: the profile's duration_seconds, else 12h, or 1h for a role]
    --region(-r): string      # The region whose STS endpoint is called and that the session exports [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    --serial-number: string   # The MFA device's ARN, instead of the profile's mfa_serial
    --force                   # Open a new session even when this shell holds one for the profile
    --min-ttl: string         # A session this shell holds is kept while it has more than this left
    --role-arn: string        # Assume this role with the profile's credentials, without editing any file
    --external-id: string     # The ExternalId the role's trust policy asks for [default: the profile's external_id]
    --role-session-name: string # The role session's name [default: the profile's role_session_name, else mfa-env-$USER]
    --no-agent                # Do not ask the agent, even when one runs: a code for this session alone
    --mfa-process: string     # A command that prints the MFA code, such as `ykman oath accounts code --single aws`, instead of the profile's mfa_process; split like a shell would, but no shell runs
    --mfa-process-timeout: string # How long the mfa_process command may run before it is stopped, and `--code -` waits for stdin
    --prompt: string@"nu-complete mfa-env prompt" # Where the code is asked for, instead of the profile's mfa_prompt: only the terminal, only the desktop's dialog (zenity, kdialog, osascript), or only the MFA_ENV_ASKPASS program [default: the terminal; with none, MFA_ENV_ASKPASS, else the dialog]
    --prompt-timeout: string  # How long the dialog or the askpass program waits for the code, instead of the profile's mfa_prompt_timeout [default: 60]
    --format(-f): string@"nu-complete mfa-env format" # What to print: shell statements for bash, zsh, sh (posix), fish, tcsh (csh), elvish, xonsh, nu (nushell) or powershell (pwsh), or json, dotenv, or process (credential_process JSON) [default: the shell of the function from `mfa-env init`, else the parent process's shell (by its program, then its name), else $SHELL's, else bash]
    --shell: string@"nu-complete mfa-env format" # What to print: shell statements for bash, zsh, sh (posix), fish, tcsh (csh), elvish, xonsh, nu (nushell) or powershell (pwsh), or json, dotenv, or process (credential_process JSON) [default: the shell of the function from `mfa-env init`, else the parent process's shell (by its program, then its name), else $SHELL's, else bash]
    --help(-h)                # Print help (see more with '--help')
    --version(-V)             # Print version
    profile: string           # The profile, as named in ~/.aws/config or ~/.aws/credentials (`default` works when named)
  ]

  def "nu-complete mfa-env export prompt" [] {
    [ "terminal" "dialog" "askpass" ]
  }

  def "nu-complete mfa-env export format" [] {
    [ "bash" "zsh" "sh" "fish" "tcsh" "elvish" "xonsh" "nu" "powershell" "json" "dotenv" "process" ]
  }

  # Export a session (what `mfa-env PROFILE` does); reaches a profile named like a subcommand
  export extern "mfa-env export" [
    --code(-c): string        # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env asks on the terminal
    --mfa-token: string       # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env asks on the terminal
    --duration(-d): string    # How long the session lasts: 12h, 90m, 1h30m, 3600s or seconds; 15m to 36h, or to 12h for a role [default: the profile's duration_seconds, else 12h, or 1h for a role]
    --region(-r): string      # The region whose STS endpoint is called and that the session exports [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    --serial-number: string   # The MFA device's ARN, instead of the profile's mfa_serial
    --force                   # Open a new session even when this shell holds one for the profile
    --min-ttl: string         # A session this shell holds is kept while it has more than this left
    --role-arn: string        # Assume this role with the profile's credentials, without editing any file
    --external-id: string     # The ExternalId the role's trust policy asks for [default: the profile's external_id]
    --role-session-name: string # The role session's name [default: the profile's role_session_name, else mfa-env-$USER]
    --no-agent                # Do not ask the agent, even when one runs: a code for this session alone
    --mfa-process: string     # A command that prints the MFA code, such as `ykman oath accounts code --single aws`, instead of the profile's mfa_process; split like a shell would, but no shell runs
    --mfa-process-timeout: string # How long the mfa_process command may run before it is stopped, and `--code -` waits for stdin
    --prompt: string@"nu-complete mfa-env export prompt" # Where the code is asked for, instead of the profile's mfa_prompt: only the terminal, only the desktop's dialog (zenity, kdialog, osascript), or only the MFA_ENV_ASKPASS program [default: the terminal; with none, MFA_ENV_ASKPASS, else the dialog]
    --prompt-timeout: string  # How long the dialog or the askpass program waits for the code, instead of the profile's mfa_prompt_timeout [default: 60]
    --format(-f): string@"nu-complete mfa-env export format" # What to print: shell statements for bash, zsh, sh (posix), fish, tcsh (csh), elvish, xonsh, nu (nushell) or powershell (pwsh), or json, dotenv, or process (credential_process JSON) [default: the shell of the function from `mfa-env init`, else the parent process's shell (by its program, then its name), else $SHELL's, else bash]
    --shell: string@"nu-complete mfa-env export format" # What to print: shell statements for bash, zsh, sh (posix), fish, tcsh (csh), elvish, xonsh, nu (nushell) or powershell (pwsh), or json, dotenv, or process (credential_process JSON) [default: the shell of the function from `mfa-env init`, else the parent process's shell (by its program, then its name), else $SHELL's, else bash]
    --help(-h)                # Print help (see more with '--help')
    profile: string           # The profile, as named in ~/.aws/config or ~/.aws/credentials (`default` works when named)
  ]

  def "nu-complete mfa-env exec prompt" [] {
    [ "terminal" "dialog" "askpass" ]
  }

  # Run a command with the session in its environment (no shell, nothing exported)
  export extern "mfa-env exec" [
    --code(-c): string        # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env asks on the terminal
    --mfa-token: string       # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env asks on the terminal
    --duration(-d): string    # How long the session lasts: 12h, 90m, 1h30m, 3600s or seconds; 15m to 36h, or to 12h for a role [default: the profile's duration_seconds, else 12h, or 1h for a role]
    --region(-r): string      # The region whose STS endpoint is called and that the session exports [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    --serial-number: string   # The MFA device's ARN, instead of the profile's mfa_serial
    --force                   # Open a new session even when this shell holds one for the profile
    --min-ttl: string         # A session this shell holds is kept while it has more than this left
    --role-arn: string        # Assume this role with the profile's credentials, without editing any file
    --external-id: string     # The ExternalId the role's trust policy asks for [default: the profile's external_id]
    --role-session-name: string # The role session's name [default: the profile's role_session_name, else mfa-env-$USER]
    --no-agent                # Do not ask the agent, even when one runs: a code for this session alone
    --mfa-process: string     # A command that prints the MFA code, such as `ykman oath accounts code --single aws`, instead of the profile's mfa_process; split like a shell would, but no shell runs
    --mfa-process-timeout: string # How long the mfa_process command may run before it is stopped, and `--code -` waits for stdin
    --prompt: string@"nu-complete mfa-env exec prompt" # Where the code is asked for, instead of the profile's mfa_prompt: only the terminal, only the desktop's dialog (zenity, kdialog, osascript), or only the MFA_ENV_ASKPASS program [default: the terminal; with none, MFA_ENV_ASKPASS, else the dialog]
    --prompt-timeout: string  # How long the dialog or the askpass program waits for the code, instead of the profile's mfa_prompt_timeout [default: 60]
    --server                  # Serve the session to the command from a local endpoint that renews a role's session while it runs (AWS_CONTAINER_CREDENTIALS_FULL_URI), instead of keys in its environment
    --help(-h)                # Print help (see more with '--help')
    profile: string           # The profile, as named in ~/.aws/config or ~/.aws/credentials (`default` works when named)
    ...command: string        # The command and its arguments, passed unchanged [default: $SHELL, else /bin/sh]
  ]

  def "nu-complete mfa-env console prompt" [] {
    [ "terminal" "dialog" "askpass" ]
  }

  # Open the AWS console in the browser, signed in with a role session assumed with MFA
  export extern "mfa-env console" [
    --code(-c): string        # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env asks on the terminal
    --mfa-token: string       # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env asks on the terminal
    --duration(-d): string    # How long the session lasts: 12h, 90m, 1h30m, 3600s or seconds; 15m to 36h, or to 12h for a role [default: the profile's duration_seconds, else 12h, or 1h for a role]
    --region(-r): string      # The region whose STS endpoint is called and that the session exports [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    --serial-number: string   # The MFA device's ARN, instead of the profile's mfa_serial
    --force                   # Open a new session even when this shell holds one for the profile
    --min-ttl: string         # A session this shell holds is kept while it has more than this left
    --role-arn: string        # Assume this role with the profile's credentials, without editing any file
    --external-id: string     # The ExternalId the role's trust policy asks for [default: the profile's external_id]
    --role-session-name: string # The role session's name [default: the profile's role_session_name, else mfa-env-$USER]
    --no-agent                # Do not ask the agent, even when one runs: a code for this session alone
    --mfa-process: string     # A command that prints the MFA code, such as `ykman oath accounts code --single aws`, instead of the profile's mfa_process; split like a shell would, but no shell runs
    --mfa-process-timeout: string # How long the mfa_process command may run before it is stopped, and `--code -` waits for stdin
    --prompt: string@"nu-complete mfa-env console prompt" # Where the code is asked for, instead of the profile's mfa_prompt: only the terminal, only the desktop's dialog (zenity, kdialog, osascript), or only the MFA_ENV_ASKPASS program [default: the terminal; with none, MFA_ENV_ASKPASS, else the dialog]
    --prompt-timeout: string  # How long the dialog or the askpass program waits for the code, instead of the profile's mfa_prompt_timeout [default: 60]
    --destination: string     # The console page to open, as a URL, instead of a service's
    --print                   # Write the sign-in URL on stdout instead of opening a browser; refused when stdout is a terminal, since the URL signs in whoever has it for 15 minutes
    --allow-terminal          # With --print, write the URL even on a terminal
    --federation-token        # For an IAM user's profile with no role: sign in with a federation token (GetFederationToken with the long-term keys), whose console session carries NO MFA and fails every policy that requires it
    --help(-h)                # Print help (see more with '--help')
    profile: string           # The profile, as named in ~/.aws/config or ~/.aws/credentials (`default` works when named)
    service?: string          # The console page of this service, by its name in the console's URLs (s3, ec2, iam, lambda, cloudformation, ...) [default: the console's home]
  ]

  # Show this shell's session, from its environment alone; exit 1 when there is none
  export extern "mfa-env status" [
    --prompt                  # A short segment for the prompt, such as `dev 42m`, or nothing without a session
    --json                    # One JSON object for scripts
    --help(-h)                # Print help
  ]

  # List the profiles of ~/.aws/config and ~/.aws/credentials, marking MFA devices and roles
  export extern "mfa-env list" [
    --json                    # One JSON array of objects instead of text
    --help(-h)                # Print help
  ]

  def "nu-complete mfa-env init shell" [] {
    [ "bash" "zsh" "sh" "fish" "tcsh" "elvish" "xonsh" "nu" "powershell" ]
  }

  # Print the shell integration: a function that makes `mfa-env PROFILE` export by itself
  export extern "mfa-env init" [
    --agent                   # Also start the agent, unless one runs (cheap then): one MFA code for every terminal of this user
    --help(-h)                # Print help (see more with '--help')
    shell: string@"nu-complete mfa-env init shell"
  ]

  # The agent: one process of yours that keeps sessions in memory only, so that one MFA code serves every terminal, role and credential_process call while it lasts
  export extern "mfa-env agent" [
    --help(-h)                # Print help
  ]

  # Start the agent in the background, unless one answers; return once it answers
  export extern "mfa-env agent start" [
    --idle-exit: string       # Exit after holding nothing, with no client, for this long
    --help(-h)                # Print help
  ]

  # Stop the agent: every session it holds is gone
  export extern "mfa-env agent stop" [
    --help(-h)                # Print help
  ]

  # What the agent holds (profile, MFA device, role, expiry), never a secret; exit 1 when no agent answers
  export extern "mfa-env agent status" [
    --json                    # One JSON object instead of text
    --help(-h)                # Print help
  ]

  # Drop every session the agent holds, or those of one profile (and the roles assumed from its MFA session)
  export extern "mfa-env agent forget" [
    --help(-h)                # Print help
    profile?: string
  ]

  # Run the agent in the foreground (for a service manager); `start` runs this detached
  export extern "mfa-env agent run" [
    --idle-exit: string       # Exit after holding nothing, with no client, for this long
    --detach                  # Leave the terminal's session and close stderr once listening (what `start` asks)
    --help(-h)                # Print help
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "mfa-env agent help" [
  ]

  # Start the agent in the background, unless one answers; return once it answers
  export extern "mfa-env agent help start" [
  ]

  # Stop the agent: every session it holds is gone
  export extern "mfa-env agent help stop" [
  ]

  # What the agent holds (profile, MFA device, role, expiry), never a secret; exit 1 when no agent answers
  export extern "mfa-env agent help status" [
  ]

  # Drop every session the agent holds, or those of one profile (and the roles assumed from its MFA session)
  export extern "mfa-env agent help forget" [
  ]

  # Run the agent in the foreground (for a service manager); `start` runs this detached
  export extern "mfa-env agent help run" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "mfa-env agent help help" [
  ]

  def "nu-complete mfa-env completions shell" [] {
    [ "bash" "zsh" "fish" "powershell" "elvish" "nushell" "tcsh" "xonsh" ]
  }

  # Print the completion script for a shell (profile names complete too)
  export extern "mfa-env completions" [
    --help(-h)                # Print help
    shell: string@"nu-complete mfa-env completions shell"
  ]

  def "nu-complete mfa-env setup prompt" [] {
    [ "terminal" "dialog" "askpass" ]
  }

  # Find the profile's MFA device and write its mfa_serial into the config file
  export extern "mfa-env setup" [
    --serial-number: string   # The MFA device's ARN to write, instead of one chosen from IAM's list; IAM is still asked, and a device not among the user's is written with a warning
    --dry-run                 # Show the line that would be written, and write nothing
    --verify                  # Then ask for a code and open the session `mfa-env PROFILE` would (GetSessionToken, or a role's AssumeRole) to prove the setup works (no session is printed)
    --code(-c): string        # The one-time code for --verify, or `-` to read it from stdin (a code on the command line can be read by every local user while mfa-env runs); without it mfa-env runs mfa_process or asks
    --mfa-token: string       # The one-time code for --verify, or `-` to read it from stdin (a code on the command line can be read by every local user while mfa-env runs); without it mfa-env runs mfa_process or asks
    --region(-r): string      # The region for STS [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    --mfa-process: string     # A command that prints the MFA code, such as `ykman oath accounts code --single aws`, instead of the profile's mfa_process; split like a shell would, but no shell runs
    --mfa-process-timeout: string # How long the mfa_process command may run before it is stopped, and `--code -` waits for stdin
    --prompt: string@"nu-complete mfa-env setup prompt" # Where the code is asked for, instead of the profile's mfa_prompt: only the terminal, only the desktop's dialog (zenity, kdialog, osascript), or only the MFA_ENV_ASKPASS program [default: the terminal; with none, MFA_ENV_ASKPASS, else the dialog]
    --prompt-timeout: string  # How long the dialog or the askpass program waits for the code, instead of the profile's mfa_prompt_timeout [default: 60]
    --help(-h)                # Print help
    profile: string           # The profile that holds the IAM user's long-term keys
  ]

  # Check a profile step by step and say how to fix what fails
  export extern "mfa-env doctor" [
    --region(-r): string      # The region to check with [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    --help(-h)                # Print help
    profile: string           # The profile to check
  ]

  def "nu-complete mfa-env rotate prompt" [] {
    [ "terminal" "dialog" "askpass" ]
  }

  # Replace the profile's long-term access key with a new one, with one MFA code
  export extern "mfa-env rotate" [
    --code(-c): string        # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env runs mfa_process or asks on the terminal
    --mfa-token: string       # The one-time code from the MFA device, or `-` to read it from stdin; without it mfa-env runs mfa_process or asks on the terminal
    --region(-r): string      # The region for STS [default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1]
    --serial-number: string   # The MFA device's ARN, instead of the profile's mfa_serial
    --no-agent                # Do not ask the agent for its MFA session, nor tell it to forget the old key's
    --mfa-process: string     # A command that prints the MFA code, such as `ykman oath accounts code --single aws`, instead of the profile's mfa_process; split like a shell would, but no shell runs
    --mfa-process-timeout: string # How long the mfa_process command may run before it is stopped, and `--code -` waits for stdin
    --prompt: string@"nu-complete mfa-env rotate prompt" # Where the code is asked for, instead of the profile's mfa_prompt: only the terminal, only the desktop's dialog (zenity, kdialog, osascript), or only the MFA_ENV_ASKPASS program [default: the terminal; with none, MFA_ENV_ASKPASS, else the dialog]
    --prompt-timeout: string  # How long the dialog or the askpass program waits for the code, instead of the profile's mfa_prompt_timeout [default: 60]
    --help(-h)                # Print help (see more with '--help')
    profile: string           # The profile whose key to rotate (a role profile: the key of its source_profile chain)
  ]

  # Long-term keys in the OS keyring instead of the credentials file: import, add, remove, list, print
  export extern "mfa-env keys" [
    --help(-h)                # Print help
  ]

  # Move the profile's aws_access_key_id and aws_secret_access_key from the credentials file into the keyring, and write `credential_process = mfa-env keys print PROFILE` in their place; no other byte of the file changes
  export extern "mfa-env keys import" [
    --help(-h)                # Print help
    profile: string           # The profile whose key it is
  ]

  # Store a key for the profile in the keyring: asked on the terminal, else two lines read from stdin (the key id, then the secret); the profile gets the credential_process line
  export extern "mfa-env keys add" [
    --help(-h)                # Print help
    profile: string           # The profile whose key it is
  ]

  # Delete the profile's key from the keyring, and the profile's `mfa-env keys print` line
  export extern "mfa-env keys remove" [
    --help(-h)                # Print help
    profile: string           # The profile whose key it is
  ]

  # Every profile with a key: its masked key id, where the key is (file, keyring, process) and, for the keyring, when it was stored
  export extern "mfa-env keys list" [
    --json                    # One JSON array instead of text
    --age                     # Also ask IAM when each key was created (ListAccessKeys, signed with the key itself; many policies allow it only with MFA), and warn past 90 days
    --help(-h)                # Print help
  ]

  # The profile's key from the keyring as credential_process JSON, for the AWS CLI and SDKs; refused when stdout is a terminal
  export extern "mfa-env keys print" [
    --help(-h)                # Print help
    profile: string           # The profile whose key it is
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "mfa-env keys help" [
  ]

  # Move the profile's aws_access_key_id and aws_secret_access_key from the credentials file into the keyring, and write `credential_process = mfa-env keys print PROFILE` in their place; no other byte of the file changes
  export extern "mfa-env keys help import" [
  ]

  # Store a key for the profile in the keyring: asked on the terminal, else two lines read from stdin (the key id, then the secret); the profile gets the credential_process line
  export extern "mfa-env keys help add" [
  ]

  # Delete the profile's key from the keyring, and the profile's `mfa-env keys print` line
  export extern "mfa-env keys help remove" [
  ]

  # Every profile with a key: its masked key id, where the key is (file, keyring, process) and, for the keyring, when it was stored
  export extern "mfa-env keys help list" [
  ]

  # The profile's key from the keyring as credential_process JSON, for the AWS CLI and SDKs; refused when stdout is a terminal
  export extern "mfa-env keys help print" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "mfa-env keys help help" [
  ]

  def "nu-complete mfa-env unset shell" [] {
    [ "bash" "zsh" "sh" "fish" "tcsh" "elvish" "xonsh" "nu" "powershell" ]
  }

  # Print the statements that remove every variable export sets
  export extern "mfa-env unset" [
    --format(-f): string@"nu-complete mfa-env unset shell" # The shell to print statements for: bash, zsh, sh (posix), fish, tcsh (csh), elvish, xonsh, nu (nushell) or powershell (pwsh) [default: the shell of the function from `mfa-env init`, else the parent process's shell (by its program, then its name), else $SHELL's, else bash]
    --shell: string@"nu-complete mfa-env unset shell" # The shell to print statements for: bash, zsh, sh (posix), fish, tcsh (csh), elvish, xonsh, nu (nushell) or powershell (pwsh) [default: the shell of the function from `mfa-env init`, else the parent process's shell (by its program, then its name), else $SHELL's, else bash]
    --help(-h)                # Print help (see more with '--help')
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "mfa-env help" [
  ]

  # Export a session (what `mfa-env PROFILE` does); reaches a profile named like a subcommand
  export extern "mfa-env help export" [
  ]

  # Run a command with the session in its environment (no shell, nothing exported)
  export extern "mfa-env help exec" [
  ]

  # Open the AWS console in the browser, signed in with a role session assumed with MFA
  export extern "mfa-env help console" [
  ]

  # Show this shell's session, from its environment alone; exit 1 when there is none
  export extern "mfa-env help status" [
  ]

  # List the profiles of ~/.aws/config and ~/.aws/credentials, marking MFA devices and roles
  export extern "mfa-env help list" [
  ]

  # Print the shell integration: a function that makes `mfa-env PROFILE` export by itself
  export extern "mfa-env help init" [
  ]

  # The agent: one process of yours that keeps sessions in memory only, so that one MFA code serves every terminal, role and credential_process call while it lasts
  export extern "mfa-env help agent" [
  ]

  # Start the agent in the background, unless one answers; return once it answers
  export extern "mfa-env help agent start" [
  ]

  # Stop the agent: every session it holds is gone
  export extern "mfa-env help agent stop" [
  ]

  # What the agent holds (profile, MFA device, role, expiry), never a secret; exit 1 when no agent answers
  export extern "mfa-env help agent status" [
  ]

  # Drop every session the agent holds, or those of one profile (and the roles assumed from its MFA session)
  export extern "mfa-env help agent forget" [
  ]

  # Run the agent in the foreground (for a service manager); `start` runs this detached
  export extern "mfa-env help agent run" [
  ]

  # Print the completion script for a shell (profile names complete too)
  export extern "mfa-env help completions" [
  ]

  # Find the profile's MFA device and write its mfa_serial into the config file
  export extern "mfa-env help setup" [
  ]

  # Check a profile step by step and say how to fix what fails
  export extern "mfa-env help doctor" [
  ]

  # Replace the profile's long-term access key with a new one, with one MFA code
  export extern "mfa-env help rotate" [
  ]

  # Long-term keys in the OS keyring instead of the credentials file: import, add, remove, list, print
  export extern "mfa-env help keys" [
  ]

  # Move the profile's aws_access_key_id and aws_secret_access_key from the credentials file into the keyring, and write `credential_process = mfa-env keys print PROFILE` in their place; no other byte of the file changes
  export extern "mfa-env help keys import" [
  ]

  # Store a key for the profile in the keyring: asked on the terminal, else two lines read from stdin (the key id, then the secret); the profile gets the credential_process line
  export extern "mfa-env help keys add" [
  ]

  # Delete the profile's key from the keyring, and the profile's `mfa-env keys print` line
  export extern "mfa-env help keys remove" [
  ]

  # Every profile with a key: its masked key id, where the key is (file, keyring, process) and, for the keyring, when it was stored
  export extern "mfa-env help keys list" [
  ]

  # The profile's key from the keyring as credential_process JSON, for the AWS CLI and SDKs; refused when stdout is a terminal
  export extern "mfa-env help keys print" [
  ]

  # Print the statements that remove every variable export sets
  export extern "mfa-env help unset" [
  ]

  # Print this message or the help of the given subcommand(s)
  export extern "mfa-env help help" [
  ]

}

export use completions *
