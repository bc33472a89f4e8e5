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
use crate::held::{Held, mask};
use crate::time;

pub fn run(args: &StatusArgs, env: &Env) -> Result<()> {
    let now = time::now();
    let held = Held::from_env(env);
    if args.prompt {
        // Something to show, or nothing and status 1; never a message in the prompt.
        return match held {
            Some(held) => write_stdout(&format!("{}\n", prompt(&held, now))),
            None => Err(Error::quiet()),
        };
    }
    let Some(held) = held else {
        return Err(Error::new(
            "no mfa-env session in this shell (MFA_ENV_PROFILE, AWS_ACCESS_KEY_ID or AWS_CREDENTIAL_EXPIRATION is not set)",
        )
        .hint("open one with `eval \"$(mfa-env PROFILE)\"` (`mfa-env PROFILE | source` in fish)"));
    };
    let left = held.left(now);
    if left <= 0 {
        return Err(Error::new(format!(
            "the {} session in this shell expired at {} ({} ago)",
            held.profile,
            time::clock(held.expiration, now),
            human(secs(-left))
        ))
        .hint(format!("open a new one: mfa-env {}", held.profile)));
    }
    let text = if args.json {
        format!(
            "{{\"profile\":{},\"access_key_id\":{},\"region\":{},\"expiration\":{},\"seconds_left\":{left}}}\n",
            json_string(held.profile),
            json_string(&mask(held.access_key_id)),
            held.region.map_or_else(|| "null".to_owned(), json_string),
            json_string(&time::rfc3339(held.expiration)),
        )
    } else {
        format!(
            "profile     {}\naccess key  {}\nregion      {}\nexpires     {} ({}, {} left)\n",
            printable(held.profile),
            printable(&mask(held.access_key_id)),
            printable(held.region.unwrap_or("-")),
            time::rfc3339(held.expiration),
            time::clock(held.expiration, now),
            human(secs(left))
        )
    };
    write_stdout(&text)
}

/// `dev 42m`, `dev 11h58m`, or `dev expired`.
fn prompt(held: &Held, now: i64) -> String {
    let left = held.left(now);
    let profile = printable(held.profile);
    if left > 0 {
        format!("{profile} {}", human(secs(left)))
    } else {
        format!("{profile} expired")
    }
}

fn secs(s: i64) -> Duration {
    Duration::from_secs(u64::try_from(s).unwrap_or(0))
}
