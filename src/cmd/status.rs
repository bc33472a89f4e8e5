//! `mfa-env status`: this shell's session, from its environment alone.
//!
//! No config file and no network: `status --prompt` runs at every prompt.

use std::time::Duration;

use crate::cli::StatusArgs;
use crate::cmd::write_stdout;
use crate::duration::human;
use crate::env::Env;
use crate::error::{Error, Result, printable};
use crate::format::json_string;
use crate::session::{Held, NoSession, mask};
use crate::time;

pub fn run(args: &StatusArgs, env: &Env) -> Result<()> {
    let now = time::now();
    let held = Held::read(env);
    if let Err(NoSession::Missing) = held
        && let Some(served) = Served::read(env)
    {
        return write_stdout(&served.show(args));
    }
    if args.prompt {
        // Something to show, or nothing and status 1; never a message in the prompt.
        return match held {
            Ok(held) => write_stdout(&format!("{}\n", prompt(&held, now))),
            Err(_) => Err(Error::quiet()),
        };
    }
    let held = match held {
        Ok(held) => held,
        Err(NoSession::Missing) => return Err(Error::new(
            "no mfa-env session in this shell (MFA_ENV_PROFILE, AWS_ACCESS_KEY_ID, MFA_ENV_ACCESS_KEY_ID or AWS_CREDENTIAL_EXPIRATION is not set)",
        )
        .hint("open one with `eval \"$(mfa-env PROFILE)\"` (`mfa-env PROFILE | source` in fish)")),
        Err(NoSession::Replaced) => return Err(Error::new(format!(
            "this shell's {} session was replaced: AWS_ACCESS_KEY_ID is no longer the key mfa-env exported (MFA_ENV_ACCESS_KEY_ID)",
            env.get("MFA_ENV_PROFILE").unwrap_or_default()
        ))
        .hint("open a new one with `eval \"$(mfa-env PROFILE)\"`, or `mfa-env unset` to remove what is left of it")),
    };
    let left = held.left(now);
    if args.json {
        // Expired or not, the same object: scripts read `expired` rather than a message.
        let opt = |v: Option<&str>| v.map_or_else(|| "null".to_owned(), json_string);
        return write_stdout(&format!(
            "{{\"profile\":{},\"role\":{},\"account\":{},\"access_key_id\":{},\"region\":{},\"expiration\":{},\"seconds_left\":{},\"expired\":{}}}\n",
            json_string(held.id.profile),
            opt(held.id.role),
            opt(held.id.account),
            json_string(&mask(held.access_key_id)),
            opt(held.id.region),
            json_string(&time::rfc3339(held.expiration)),
            left.max(0),
            left <= 0,
        ));
    }
    if left <= 0 {
        return Err(Error::new(format!(
            "the {} session in this shell expired at {} ({} ago)",
            held.id.profile,
            time::clock(held.expiration, now),
            human(secs(-left))
        ))
        .hint(format!("open a new one: mfa-env {}", held.id.profile)));
    }
    write_stdout(&format!(
        "profile     {}\nrole        {}\naccount     {}\naccess key  {}\nregion      {}\nexpires     {} ({}, {} left)\n",
        printable(held.id.profile),
        printable(held.id.role.unwrap_or("-")),
        printable(held.id.account.unwrap_or("-")),
        printable(&mask(held.access_key_id)),
        printable(held.id.region.unwrap_or("-")),
        time::rfc3339(held.expiration),
        time::clock(held.expiration, now),
        human(secs(left))
    ))
}

/// The command of `exec --server` (or what it runs): the profile it runs under, its keys
/// served by that mfa-env, which renews them while the command runs.
struct Served<'a> {
    profile: &'a str,
    role: Option<&'a str>,
    account: Option<&'a str>,
    region: Option<&'a str>,
    url: &'a str,
}

impl<'a> Served<'a> {
    /// MFA_ENV_PROFILE and the endpoint's address, and no keys in the environment.
    fn read(env: &'a Env) -> Option<Served<'a>> {
        if env.get("AWS_ACCESS_KEY_ID").is_some() {
            return None;
        }
        Some(Served {
            profile: env.get("MFA_ENV_PROFILE")?,
            role: env.get("MFA_ENV_ROLE"),
            account: env.get("MFA_ENV_ACCOUNT"),
            region: env.get("AWS_REGION"),
            // The address exec --server gives, never a container's.
            url: env
                .get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
                .filter(|url| url.starts_with("http://127.0.0.1:"))?,
        })
    }

    /// `admin server` for the prompt; else what `status` shows of a held session, with no
    /// key and no expiry (the endpoint renews them).
    fn show(&self, args: &StatusArgs) -> String {
        let opt = |v: Option<&str>| v.map_or_else(|| "null".to_owned(), json_string);
        if args.prompt {
            format!("{} server\n", printable(self.profile))
        } else if args.json {
            format!(
                "{{\"profile\":{},\"role\":{},\"account\":{},\"access_key_id\":null,\"region\":{},\"expiration\":null,\"seconds_left\":null,\"expired\":false,\"server\":{}}}\n",
                json_string(self.profile),
                opt(self.role),
                opt(self.account),
                opt(self.region),
                json_string(self.url),
            )
        } else {
            format!(
                "profile     {}\nrole        {}\naccount     {}\naccess key  -\nregion      {}\nexpires     served at {} by exec --server, renewed while its command runs\n",
                printable(self.profile),
                printable(self.role.unwrap_or("-")),
                printable(self.account.unwrap_or("-")),
                printable(self.region.unwrap_or("-")),
                printable(self.url),
            )
        }
    }
}

/// `dev 42m`, `dev 11h58m`, or `dev expired`.
fn prompt(held: &Held, now: i64) -> String {
    let left = held.left(now);
    let profile = printable(held.id.profile);
    if left > 0 {
        format!("{profile} {}", human(secs(left)))
    } else {
        format!("{profile} expired")
    }
}

fn secs(s: i64) -> Duration {
    Duration::from_secs(u64::try_from(s).unwrap_or(0))
}
