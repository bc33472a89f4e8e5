//! `mfa-env exec --server PROFILE -- COMMAND ARGS...`: run a long command with credentials it
//! reads from a local endpoint, as every AWS SDK reads them in a container, instead of keys in
//! its environment that no one can renew.
//!
//! The first session is obtained (the code asked) before the command starts, so that a wrong
//! profile fails with nothing started. Then mfa-env serves it on 127.0.0.1 (see `container`)
//! to the command alone, which it runs as a child and ends with (see `foreground`). For a
//! role, the MFA session is kept and the role assumed again from it, with no code, when less
//! than 15 minutes of it are left (`Request::obtain_kept`). A new code cannot be asked for
//! once the command owns the terminal: when one is needed, the endpoint answers an error and
//! says why, once, on stderr.
//!
//! What the command sees of the AWS files: an SDK's default chain reads the environment, then
//! the shared files, and only then the container endpoint. The credentials file is hidden
//! (AWS_SHARED_CREDENTIALS_FILE=/dev/null), since most users keep long-term keys under
//! [default] there. The config file stays, for its region, output and endpoint settings,
//! unless its [default] profile names credentials itself: then the command sees none
//! (AWS_CONFIG_FILE=/dev/null), and mfa-env says so. AWS_REGION and AWS_DEFAULT_REGION are the
//! profile's region.

use std::net::{Ipv4Addr, TcpListener};
use std::process::Command;

use crate::cli::{ExecArgs, ExportArgs};
use crate::cmd::{Prompting, block_on, notes_once, profile_name, request, say, say_valid_until};
use crate::container::{self, Credentials, Token};
use crate::env::Env;
use crate::error::{Error, Reason, Result};
use crate::foreground;
use crate::profile::{Key, Profiles};
use crate::session::{Keep, Note, Question, SET, UNSET, Via, WithMemory};

/// Variables the command must not see besides what export sets and unsets: another source of
/// credentials that the SDKs read before the container endpoint, or another endpoint.
const HIDDEN: [&str; 7] = [
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    // botocore's old EC2 credentials file, read before the endpoint.
    "AWS_CREDENTIAL_FILE",
    // The Java SDK v1's names of the key variables.
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
];

/// Files of long-term keys the SDKs read before the endpoint, each pointed at an empty one:
/// the shared credentials file (every SDK), boto's config (`~/.boto`, `/etc/boto.cfg`, which
/// botocore reads), and the Java SDK v1's name for the credentials file.
const EMPTIED: [&str; 3] = [
    "AWS_SHARED_CREDENTIALS_FILE",
    "BOTO_CONFIG",
    "AWS_CREDENTIAL_PROFILES_FILE",
];

/// Keys of [default] in the config file that make an SDK take credentials from the file
/// before it asks the endpoint (botocore: the assume-role, web-identity, SSO, process and
/// config-file providers; aws-config: the profile provider).
const CREDENTIAL_KEYS: [Key; 7] = [
    Key::AccessKeyId,
    Key::CredentialProcess,
    Key::RoleArn,
    Key::WebIdentityTokenFile,
    Key::SsoSession,
    Key::SsoStartUrl,
    Key::LoginSession,
];

pub fn run(exec: &ExecArgs, env: &Env) -> Result<()> {
    // It holds sessions for as long as its command runs, as the agent does.
    crate::hardening::no_attaching();
    let args = &exec.args;
    let name = profile_name(args)?;
    let (program, rest) = super::program(exec, env)?;
    let profiles = Profiles::load(env)?;
    let config_credentials = config_credentials(&profiles);
    let mut ask = Prompting::new(&args.mfa_process, &profiles, name, env)?.asker();
    let profile = name.to_owned();
    let mut refuse = move |_: &Question| -> Result<(String, Via)> { Err(no_code_now(&profile)) };
    let mut req = request(args, &profiles, &mut ask, env)?;
    drop(profiles);
    // Renewals come from what is kept, whatever the command line says of the shell's own
    // session (--force, --role-session-name): the shell's is never used here.
    req.keep = Some(args.min_ttl);
    let mut keep = keeper(env, args);
    let (session, _) = block_on(req.obtain_kept(env, &mut notes_once(), &mut *keep))??;
    req.codes_from(&mut refuse);
    req.serving = true;

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| Error::new(format!("cannot listen on 127.0.0.1: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::new(format!("cannot listen on 127.0.0.1: {e}")))?
        .port();
    let url = format!("http://127.0.0.1:{port}/");
    let token = Token::new()?;
    let id = req.identity();
    let region = id.region.unwrap_or_default().to_owned();
    let account = id.account.map(str::to_owned);

    let mut command = Command::new(&program);
    command.args(rest);
    for variable in SET.iter().chain(UNSET).chain(&HIDDEN) {
        command.env_remove(variable);
    }
    command
        .env("AWS_CONTAINER_CREDENTIALS_FULL_URI", &url)
        .env("AWS_CONTAINER_AUTHORIZATION_TOKEN", token.expose())
        .envs(EMPTIED.map(|name| (name, "/dev/null")))
        .env("AWS_REGION", &region)
        .env("AWS_DEFAULT_REGION", &region)
        // What the command runs under, as plain exec says it (`status --prompt`: `admin
        // server`); no keys, which the endpoint serves.
        .env("MFA_ENV_PROFILE", name);
    for (variable, value) in [("MFA_ENV_ROLE", id.role), ("MFA_ENV_ACCOUNT", id.account)] {
        if let Some(value) = value {
            command.env(variable, value);
        }
    }
    say_valid_until(name, session.expiration);
    if let Some(key) = config_credentials {
        command.env("AWS_CONFIG_FILE", "/dev/null");
        say(&format!(
            "[default] in the config file has {key}, which the command's AWS tools would use instead of this session: the command sees no config file"
        ));
    }
    drop(session);
    say(&format!(
        "serving the {name} session at {url} while {} runs",
        program.to_string_lossy()
    ));

    // A shell started for the user ignores SIGTERM, and ends by SIGHUP, as at a hangup.
    let death_signal = if exec.command.is_empty() {
        libc::SIGHUP
    } else {
        libc::SIGTERM
    };
    let mut running = foreground::spawn(&mut command, death_signal)
        .map_err(|e| super::cannot_run(&program, &e.to_string(), e.kind()))?;
    let mut said: Option<String> = None;
    let status = block_on(container::serve(
        listener,
        token,
        running.exited(),
        // Whatever the command left running is ended before the port is freed: it holds the
        // endpoint's address and token. Not the agent, should the command have started it
        // (an rc file's `init --agent`): it keeps every shell's sessions, starts with an empty
        // environment and never asks the endpoint for anything.
        foreground::end_leftovers(|| agent_pid(env)),
        async || {
            // The command owns the terminal: nothing more is said of sessions that work.
            let mut quiet = |_: Note| {};
            match req.obtain_kept(env, &mut quiet, &mut *keep).await {
                Ok((session, _)) => {
                    said = None;
                    Ok(Credentials {
                        session,
                        account: account.clone(),
                    })
                }
                Err(e) => {
                    // Once, however often the command asks.
                    if said.as_deref() != Some(e.message()) {
                        say(&format!(
                            "no credentials for the command's request: {}",
                            e.message()
                        ));
                        if let Some(hint) = e.hint_text() {
                            say(hint);
                        }
                        said = Some(e.message().to_owned());
                    }
                    Err(e)
                }
            }
        },
    ))??;
    drop(running);
    foreground::end_as(status);
    match status.map(foreground::shell_status) {
        Some(0) => Ok(()),
        Some(code) => Err(Error::exit(code)),
        None => Err(Error::new(format!(
            "lost the status of {}",
            program.to_string_lossy()
        ))),
    }
}

/// What keeps the sessions for `args`: the agent when one answers (one code for this command
/// and every other process of the user), with this process's memory beside it, so that the
/// command's renewals outlive an agent that stops; else this process's memory alone.
fn keeper(env: &Env, args: &ExportArgs) -> Box<dyn Keep + Send> {
    Box::new(WithMemory::new(crate::cmd::reach_agent(args.no_agent, env)))
}

/// The first key of [default] in the config file that the SDKs would take credentials from
/// before the endpoint.
fn config_credentials(profiles: &Profiles) -> Option<&'static str> {
    let default = profiles.find("default")?;
    CREDENTIAL_KEYS
        .into_iter()
        .find(|key| default.in_config(*key).is_some())
        .map(Key::name)
}

/// Why a renewal that needs a code fails: the command owns the terminal.
fn no_code_now(profile: &str) -> Error {
    Error::new(format!(
        "the {profile} session needs a new MFA code, and none can be asked for while the command runs"
    ))
    .hint("run the command again; a longer MFA session lasts longer (--duration, up to 36h without a role)")
    .because(Reason::NoCode)
}

/// The pid of the agent that answers at the place `env` names, if one does (as the agent
/// says it in its hello, over a socket whose peer is this user's).
fn agent_pid(env: &Env) -> Vec<i32> {
    match crate::agent::find(env, |_| {}) {
        crate::agent::Found::Agent(agent) => i32::try_from(agent.pid()).into_iter().collect(),
        _ => Vec::new(),
    }
}
