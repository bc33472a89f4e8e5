//! `mfa-env agent start|stop|status|forget|run`.

use std::fmt::Write as _;
use std::time::Duration;

use crate::agent::{self, Found, Status};
use crate::cli::AgentAction;
use crate::cmd::{say, write_stdout};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::{duration, time};

pub fn run(action: &AgentAction, env: &Env) -> Result<()> {
    match action {
        AgentAction::Start { idle_exit } => start(env, *idle_exit),
        AgentAction::Stop => stop(env),
        AgentAction::Status { json } => status(env, *json),
        AgentAction::Forget { profile } => forget(env, profile.as_deref()),
        AgentAction::Run { idle_exit, detach } => {
            agent::daemon::run(agent::place(env)?, *idle_exit, *detach, say)
        }
    }
}

fn start(env: &Env, idle_exit: Duration) -> Result<()> {
    let (client, started) = agent::ensure_started(env, Some(idle_exit), say)?;
    let socket = client.place().socket.display();
    if started {
        say(&format!(
            "agent started (pid {}) at {socket}: it keeps sessions in memory only",
            client.pid()
        ));
    } else {
        say(&format!(
            "an agent already runs (pid {}) at {socket}",
            client.pid()
        ));
    }
    Ok(())
}

/// The agent, or why there is none to ask.
fn agent(env: &Env) -> Result<agent::Client> {
    match agent::find(env, say) {
        Found::Agent(client) => Ok(client),
        Found::Unusable(e) | Found::Stuck(e) => Err(e),
        Found::None | Found::Dead(_) => {
            let place = agent::place(env)?;
            Err(Error::new(format!(
                "no agent answers at {} (from {})",
                place.socket.display(),
                place.from
            ))
            .hint("start one with `mfa-env agent start`")
            .status(1))
        }
    }
}

fn stop(env: &Env) -> Result<()> {
    match agent::find(env, say) {
        Found::Agent(mut client) => {
            client.stop()?;
            say(&format!(
                "agent stopped (pid {}); the sessions it held are gone",
                client.pid()
            ));
            Ok(())
        }
        Found::Stuck(e) => {
            let place = agent::place(env)?;
            let pid = agent::end_stuck(&place).map_err(|why| {
                Error::new(format!("{}; and it cannot be ended: {why}", e.message()))
                    .hint("end the agent's process yourself (`pgrep -f 'mfa-env agent run'`), then `mfa-env agent start`")
            })?;
            say(&format!(
                "agent stopped (pid {pid}, which did not answer); the sessions it held are gone"
            ));
            Ok(())
        }
        Found::Unusable(e) => Err(e),
        Found::None | Found::Dead(_) => {
            say("no agent runs: nothing to stop");
            Ok(())
        }
    }
}

fn forget(env: &Env, profile: Option<&str>) -> Result<()> {
    let mut client = agent(env)?;
    let (count, obtaining) = client.forget(profile)?;
    let mut what = match count {
        1 => "1 session".to_owned(),
        n => format!("{n} sessions"),
    };
    if let Some(p) = profile {
        what = format!("{what} of {p}");
    }
    match obtaining {
        0 => {}
        1 => what.push_str(", and will not keep the one being obtained now"),
        n => what.push_str(&format!(", and will not keep the {n} being obtained now")),
    }
    match profile {
        None => say(&format!("the agent forgot {what}: it holds nothing")),
        Some(_) if count + obtaining > 0 => say(&format!("the agent forgot {what}")),
        // A name it holds nothing of is most likely a typo: say what it holds.
        Some(p) => return Err(nothing_of(p, &client.status()?)),
    }
    Ok(())
}

/// `forget PROFILE` of a profile the agent holds no session of: the profiles it holds, and
/// the one meant, if one is close.
fn nothing_of(profile: &str, status: &Status) -> Error {
    let mut held: Vec<&str> = status
        .sessions
        .iter()
        .flat_map(|s| [s.profile.as_str(), s.source.as_str()])
        .collect();
    held.sort_unstable();
    held.dedup();
    let hint = match crate::profile::closest(profile, &held) {
        _ if held.is_empty() => "it holds no session at all".to_owned(),
        Some(near) => format!(
            "did you mean '{near}'? It holds sessions of {}",
            held.join(", ")
        ),
        None => format!("it holds sessions of {}", held.join(", ")),
    };
    // (Every line of an error is shown with control characters escaped.)
    Error::new(format!(
        "the agent holds no session of '{profile}': nothing forgotten"
    ))
    .hint(hint)
    .status(1)
}

fn status(env: &Env, json: bool) -> Result<()> {
    let mut client = agent(env)?;
    let status = client.status()?;
    let socket = client.place().socket.display().to_string();
    let text = if json {
        json_text(&status, &socket)
    } else {
        table(&status, &socket)
    };
    write_stdout(&text)
}

fn json_text(status: &Status, socket: &str) -> String {
    let now = time::now();
    let sessions: Vec<serde_json::Value> = status
        .sessions
        .iter()
        .map(|s| {
            serde_json::json!({
                "id": s.id,
                "config_file": s.config,
                "credentials_file": s.credentials,
                "profile": s.profile,
                "source_profile": s.source,
                "mfa_serial": s.serial,
                "role_arn": s.role,
                "account": s.account,
                "region": s.region,
                "expiration": time::rfc3339(s.expiration),
                "seconds_left": (s.expiration - now).max(0),
                "code_from": s.via,
            })
        })
        .collect();
    let value = serde_json::json!({
        "pid": status.pid,
        "version": status.version,
        "socket": socket,
        "started": time::rfc3339(status.started),
        "idle_exit_seconds": status.idle_exit,
        "memory_locked": status.memory_locked,
        "sessions": sessions,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn table(status: &Status, socket: &str) -> String {
    let now = time::now();
    let mut out = format!(
        "agent pid {} (mfa-env {}) at {socket}, up {}\n",
        status.pid,
        status.version,
        duration::human(Duration::from_secs(
            u64::try_from(now - status.started).unwrap_or(0)
        ))
    );
    if !status.memory_locked {
        out.push_str("memory not locked: sessions could be swapped out (RLIMIT_MEMLOCK)\n");
    }
    if status.sessions.is_empty() {
        let _ = writeln!(
            out,
            "no sessions; exits after {} idle",
            duration::human(Duration::from_secs(status.idle_exit))
        );
        return out;
    }
    // Two sessions of one profile (from two config files, say): the config file tells them
    // apart, and the id always does.
    let shared = status.sessions.iter().enumerate().any(|(i, s)| {
        status.sessions[..i]
            .iter()
            .any(|other| other.profile == s.profile)
    });
    let rows: Vec<Vec<String>> = status
        .sessions
        .iter()
        .map(|s| {
            let mut row = vec![
                s.id.clone(),
                crate::error::printable(&s.profile),
                s.serial
                    .as_deref()
                    .map_or("-".into(), crate::error::printable),
                s.role
                    .as_deref()
                    .map_or("-".into(), crate::error::printable),
                time::clock(s.expiration, now),
                duration::human(Duration::from_secs(
                    u64::try_from(s.expiration - now).unwrap_or(0),
                )),
                s.via.to_string(),
            ];
            if shared {
                row.push(
                    s.config
                        .as_deref()
                        .map_or("-".into(), crate::error::printable),
                );
            }
            row
        })
        .collect();
    let mut head = vec![
        "ID",
        "PROFILE",
        "MFA DEVICE",
        "ROLE",
        "EXPIRES",
        "LEFT",
        "CODE FROM",
    ];
    if shared {
        head.push("CONFIG");
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([head[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let head: Vec<String> = head.into_iter().map(str::to_owned).collect();
    for row in std::iter::once(head).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}
