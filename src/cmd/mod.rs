//! One module per subcommand, and what several of them share: no command imports another.

pub mod agent;
pub mod bare;
pub mod completions;
pub mod console;
pub mod doctor;
pub mod exec;
pub mod export;
pub mod init;
pub mod keys;
pub mod list;
pub mod rotate;
pub mod setup;
pub mod status;
pub mod unset;

use std::future::Future;
use std::io::Write;
use std::sync::OnceLock;
use std::time::Duration;

use crate::cli::{CODE_FROM_STDIN, ExportArgs, MfaProcessArgs};
use crate::dialog::{ASKPASS, Asker, Prompt};
use crate::env::Env;
use crate::error::{Error, Reason, Result};
use crate::profile::{Key, Overrides, Profiles};
use crate::prompt::Prompter;
use crate::session::{self, Asked, CodeFrom, Note, Question, Request, Via};
use crate::shell::Shell;
use crate::{duration, time};

/// Write the shell code in one piece. A closed stdout (`mfa-env dev | head -0`) is a quiet
/// failure: nothing can be said on a pipe nobody reads.
pub fn write_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Error::quiet()),
        Err(e) => Err(Error::new(format!("cannot write to stdout: {e}"))),
    }
}

/// Run a call of the async core (STS, IAM, a session) to its end on this thread: the one-shot
/// commands' way in. One current-thread runtime serves the whole run, so that calls made one
/// after another (setup's) share their connections.
pub fn block_on<F: Future>(future: F) -> Result<F::Output> {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = match RUNTIME.get() {
        Some(runtime) => runtime,
        None => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::new(format!("cannot start the network runtime: {e}")))?;
            RUNTIME.get_or_init(|| runtime)
        }
    };
    Ok(runtime.block_on(future))
}

/// Say something to the person on stderr, prefixed like every other line we print there.
pub fn say(text: &str) {
    let _ = writeln!(
        std::io::stderr().lock(),
        "mfa-env: {}",
        crate::error::printable(text)
    );
}

/// The profile named on the command line of export or exec.
pub fn profile_name(args: &ExportArgs) -> Result<&str> {
    args.profile
        .as_deref()
        .ok_or_else(|| Error::new("no profile given").hint("name one: mfa-env PROFILE"))
}

/// The line that ends a new session's export or exec: until when it lasts.
pub fn say_valid_until(name: &str, expiration: i64) {
    let now = time::now();
    say(&format!(
        "{name} session valid until {} ({})",
        time::clock(expiration, now),
        duration::human(Duration::from_secs(
            u64::try_from(expiration - now).unwrap_or(0)
        ))
    ));
}

/// The shell that evaluates the output: the one the shell function from `mfa-env init` names
/// (_MFA_ENV_EVAL), else the parent process (the shell running `$(...)` or `| source`) by its
/// program, then by its name, else $SHELL, else bash (see `Shell::detect`).
pub fn detect_shell(env: &Env) -> Shell {
    if let Some(shell) = env.get(EVAL_VAR).and_then(Shell::from_process_name) {
        return shell;
    }
    let parent = std::os::unix::process::parent_id();
    let program = crate::sys::proc::program(parent);
    let name = crate::sys::proc::name(parent);
    Shell::detect(program.as_deref(), name.as_deref(), env.get("SHELL"))
}

/// Set by the shell function from `mfa-env init` when it will evaluate stdout: the shell's name.
pub const EVAL_VAR: &str = "_MFA_ENV_EVAL";

/// The request that export's and exec's command line makes, for codes asked with `ask`.
pub fn request<'p>(
    args: &ExportArgs,
    profiles: &Profiles,
    ask: &'p mut session::Ask,
    env: &Env,
) -> Result<Request<'p>> {
    let asked = Asked {
        profile: profile_name(args)?,
        overrides: Overrides {
            region: args.region.as_deref(),
            serial_number: args.serial_number.as_deref(),
            role_arn: args.role_arn.as_deref(),
            external_id: args.external_id.as_deref(),
            role_session_name: args.role_session_name.as_deref(),
        },
        duration: args.duration,
        force: args.force,
        min_ttl: args.min_ttl,
    };
    Request::new(
        profiles,
        &asked,
        code_from(args.code.as_deref(), &args.mfa_process, ask)?,
        env,
    )
}

/// Where the command line says the code comes from: --code (`-`: a line of stdin, read now),
/// --mfa-process (else the profile's mfa_process), else `ask`.
pub fn code_from<'p>(
    code: Option<&str>,
    args: &MfaProcessArgs,
    ask: &'p mut session::Ask,
) -> Result<CodeFrom<'p>> {
    let timeout = Duration::from_secs(args.mfa_process_timeout);
    let code = match code {
        Some(CODE_FROM_STDIN) => Some(crate::prompt::code_from_stdin(timeout)?),
        code => code.map(str::to_owned),
    };
    Ok(CodeFrom {
        code,
        mfa_process: args.mfa_process.clone(),
        mfa_process_timeout: timeout,
        ask,
        used: None,
    })
}

/// Where the codes of a command are asked for, as the command line and the profile say: the
/// terminal (/dev/tty); where there is none, the program MFA_ENV_ASKPASS names, else the
/// desktop's dialog. `mfa_prompt` (or --prompt) forces one of the three.
pub struct Prompting {
    forced: Option<Prompt>,
    timeout: Duration,
    askpass: Option<Asker>,
    desktop: std::result::Result<Asker, String>,
    /// The program that ran mfa-env (an IDE's helper, python3 for botocore), for the dialog.
    asked_by: Option<String>,
}

/// What asks once the first question is asked: the terminal, or a program.
enum Chosen {
    Terminal(Prompter),
    Program(Asker),
}

impl Prompting {
    /// For `profile` (when the files have it), with the command line's `args`.
    pub fn new(
        args: &MfaProcessArgs,
        profiles: &Profiles,
        profile: &str,
        env: &Env,
    ) -> Result<Prompting> {
        let found = profiles.find(profile);
        let key = |key: Key| found.as_ref().and_then(|p| p.get(key)).map(str::trim);
        let forced = match (&args.prompt, key(Key::MfaPrompt)) {
            (Some(given), _) => Prompt::parse(given),
            (None, Some(value)) => Some(Prompt::parse(value).ok_or_else(|| {
                Error::new(format!(
                    "profile '{profile}': mfa_prompt = {value:?} is not one of {}",
                    Prompt::NAMES.join(", ")
                ))
                .hint("write mfa_prompt = terminal, dialog or askpass, or leave it out: the terminal, else askpass, else the dialog")
            })?),
            (None, None) => None,
        };
        let timeout = match (args.prompt_timeout, key(Key::MfaPromptTimeout)) {
            (Some(seconds), _) => Duration::from_secs(seconds),
            (None, Some(value)) => value
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=3600).contains(s))
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    Error::new(format!(
                        "profile '{profile}': mfa_prompt_timeout = {value:?} is not a number of seconds from 1 to 3600"
                    ))
                    .hint("write mfa_prompt_timeout = 60, or leave it out (60 s)")
                })?,
            (None, None) => crate::dialog::TIMEOUT,
        };
        let parent = std::os::unix::process::parent_id();
        Ok(Prompting {
            forced,
            timeout,
            askpass: Asker::askpass(env),
            desktop: Asker::desktop(env),
            asked_by: crate::sys::proc::name(parent).map(|name| format!("{name} (pid {parent})")),
        })
    }

    /// What asks for a code here, as `doctor` says it (`terminal`: whether there is one).
    pub fn describe(&self, terminal: bool) -> String {
        let program = |asker: &Option<Asker>| asker.as_ref().map(Asker::describe);
        let askpass = program(&self.askpass);
        let desktop = self.desktop.as_ref().map(Asker::describe);
        match self.forced {
            Some(Prompt::Terminal) => "the terminal (mfa_prompt or --prompt says so)".to_owned(),
            Some(Prompt::Askpass) => askpass.map_or_else(
                || format!("nothing: mfa_prompt = askpass, and {ASKPASS} is not set"),
                |a| format!("{a} (mfa_prompt or --prompt says so)"),
            ),
            Some(Prompt::Dialog) => match desktop {
                Ok(d) => format!("{d} (mfa_prompt or --prompt says so)"),
                Err(why) => format!("nothing: mfa_prompt = dialog, and {why}"),
            },
            None if terminal => {
                let then = askpass.or_else(|| desktop.ok());
                match then {
                    Some(other) => format!("the terminal; without one, {other}"),
                    None => {
                        "the terminal; without one, nothing (no MFA_ENV_ASKPASS, no desktop dialog)"
                            .to_owned()
                    }
                }
            }
            None => match (askpass, desktop) {
                (Some(a), _) => a,
                (None, Ok(d)) => d,
                (None, Err(why)) => format!(
                    "nothing: no terminal, {ASKPASS} is not set, and no desktop dialog ({why})"
                ),
            },
        }
    }

    /// The asking itself: what asks is chosen at the first question and kept.
    pub fn asker(self) -> impl FnMut(&Question) -> Result<(String, Via)> + Send {
        let mut chosen: Option<Chosen> = None;
        move |q: &Question| {
            let chosen = match &mut chosen {
                Some(chosen) => chosen,
                None => chosen.insert(self.choose()?),
            };
            match chosen {
                Chosen::Terminal(prompter) => prompter.code(q.text).map(|c| (c, Via::Terminal)),
                Chosen::Program(asker) => {
                    let via = if asker.is_askpass() {
                        Via::Askpass
                    } else {
                        Via::Dialog
                    };
                    asker
                        .code(q.text, q.rejected, self.asked_by.as_deref(), self.timeout)
                        .map(|c| (c, via))
                }
            }
        }
    }

    fn choose(&self) -> Result<Chosen> {
        let hint = format!(
            "pass --code 123456 (or --code - on stdin), set mfa_process in the profile, set {ASKPASS} to a program that prints the code, or run it on a desktop (zenity or kdialog with DISPLAY set, osascript on macOS)"
        );
        match self.forced {
            Some(Prompt::Terminal) => Ok(Chosen::Terminal(Prompter::open()?)),
            Some(Prompt::Askpass) => self.askpass.clone().map(Chosen::Program).ok_or_else(|| {
                Error::new(format!(
                    "mfa_prompt (or --prompt) is askpass, and {ASKPASS} is not set"
                ))
                .hint(format!("set {ASKPASS} to a program that prints the code, as SSH_ASKPASS does"))
                .because(Reason::NoCode)
            }),
            Some(Prompt::Dialog) => self.desktop.clone().map(Chosen::Program).map_err(|why| {
                Error::new(format!(
                    "mfa_prompt (or --prompt) is dialog, and there is no desktop dialog: {why}"
                ))
                .hint("install zenity or kdialog and run it on the desktop, or choose another mfa_prompt")
                .because(Reason::NoCode)
            }),
            None => match Prompter::open() {
                Ok(prompter) => Ok(Chosen::Terminal(prompter)),
                Err(no_terminal) => {
                    if let Some(askpass) = &self.askpass {
                        return Ok(Chosen::Program(askpass.clone()));
                    }
                    match &self.desktop {
                        Ok(desktop) => Ok(Chosen::Program(desktop.clone())),
                        Err(why) => Err(Error::new(format!(
                            "{}, {ASKPASS} is not set, and there is no desktop dialog: {why}",
                            no_terminal.message()
                        ))
                        .hint(hint)
                        .because(Reason::NoCode)),
                    }
                }
            },
        }
    }
}

/// The agent, when one answers at the socket (and --no-agent is not given); what was found
/// instead is said when it matters (a dead agent's socket, a stuck agent, another version).
pub fn reach_agent(no_agent: bool, env: &Env) -> Option<crate::agent::Client> {
    use crate::agent::Found;
    if no_agent {
        return None;
    }
    match crate::agent::find(env, say) {
        Found::Agent(agent) => Some(agent),
        Found::None => None,
        Found::Dead(place) => {
            say(&format!(
                "no agent at {}: the socket is a dead agent's; going on without it",
                place.socket.display()
            ));
            say("`mfa-env agent start` starts a new one");
            None
        }
        Found::Unusable(e) | Found::Stuck(e) => {
            say(&format!("{}; going on without it", e.message()));
            if let Some(hint) = e.hint_text() {
                say(hint);
            }
            None
        }
    }
}

/// A session for `req`: from the agent when one answers (and --no-agent is not given), which
/// keeps what is obtained for the next process, and a role from the MFA session this shell
/// holds (`Request::held_mfa`); else obtained for this process alone.
pub fn obtain(req: &mut Request, no_agent: bool, env: &Env) -> Result<crate::sts::Session> {
    let agent = reach_agent(no_agent, env);
    let held = req.held_mfa(env);
    if agent.is_none() && held.is_none() {
        return block_on(req.obtain(env, &mut note))?;
    }
    let mut keep = session::WithMemory::with_held(agent, held);
    let mut notes = notes_once();
    let (session, origin) = block_on(req.obtain_kept(env, &mut notes, &mut keep))??;
    if let Some(n) = session::origin_note(origin) {
        let kept = n == Note::Kept;
        note(n);
        if kept {
            say_if_longer(req, &session);
        }
    }
    Ok(session)
}

/// A kept session handed out for a request that asked for a shorter one (`-d 1h` while the
/// agent holds a 12-hour session): served, since a shorter one would cost a code, and said.
fn say_if_longer(req: &Request, session: &crate::sts::Session) {
    let Some(asked) = req.duration.or(req.resolved.duration) else {
        return;
    };
    let left = u64::try_from(session.expiration - time::now()).unwrap_or(0);
    // A minute for the clocks: a session obtained for this length just now is not longer.
    if left <= asked.as_secs() + 60 {
        return;
    }
    let asked = duration::human(asked);
    say(&format!(
        "it lasts {} more, longer than the {asked} asked for; --no-agent gets one of {asked} (with a code)",
        duration::human(Duration::from_secs(left))
    ));
}

/// Notes shown on stderr, each endpoint named once: a role from the kept MFA session may make
/// two calls to the same endpoint (GetSessionToken, AssumeRole), each named, and setup calls
/// STS, then IAM, then STS again for --verify.
pub fn notes_once() -> impl FnMut(Note) + Send {
    let mut named: Vec<String> = Vec::new();
    move |n: Note| {
        if let Note::Endpoint(line) = &n {
            if named.contains(line) {
                return;
            }
            named.push(line.clone());
        }
        note(n);
    }
}

/// Show a note of the session core on stderr; why a code is asked again on the terminal too,
/// where the question is, when stderr is not that terminal (credential_process).
pub fn note(note: Note) {
    let text = note.to_string();
    if matches!(note, Note::CodeRejected { .. }) {
        crate::prompt::tell_the_terminal(&text);
    }
    say(&text);
}

/// `2026-01-02 (400 days ago)`.
pub fn created_when(created: i64, now: i64) -> String {
    let days = (now - created).max(0) / 86_400;
    let date = crate::time::rfc3339(created);
    let date = date.get(..10).unwrap_or(&date);
    match days {
        0 => format!("{date} (today)"),
        1 => format!("{date} (1 day ago)"),
        n => format!("{date} ({n} days ago)"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_in_days() {
        let created = 1_767_323_045; // 2026-01-02T03:04:05Z
        assert_eq!(
            super::created_when(created, created + 5),
            "2026-01-02 (today)"
        );
        assert_eq!(
            super::created_when(created, created + 86_400),
            "2026-01-02 (1 day ago)"
        );
        assert_eq!(
            super::created_when(created, created + 91 * 86_400 + 7),
            "2026-01-02 (91 days ago)"
        );
    }

    /// A function here never has the name of a command's module: `cmd::agent` was both.
    #[test]
    fn no_shared_function_is_named_as_a_command() {
        let text = include_str!("mod.rs");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let modules: Vec<&str> = code
            .lines()
            .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
            .collect();
        assert!(modules.contains(&"agent"), "{modules:?}");
        for name in modules {
            assert!(
                !code.contains(&format!("fn {name}(")),
                "cmd::{name} is a module and a function"
            );
        }
    }
}
