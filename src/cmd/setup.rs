//! `mfa-env setup PROFILE`: find the MFA device of the profile's user and write its ARN as
//! `mfa_serial` into the config file, changing no other byte; `--verify` then proves it works.

use std::time::Duration;

use crate::chain;
use crate::cli::SetupArgs;
use crate::cmd::export::{prompt_text, with_code};
use crate::cmd::{announce, say};
use crate::config_edit::{self, Edit};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::iam::{self, Iam};
use crate::mfa_process;
use crate::profile::{self, Endpoint, LongTermKeys, Profiles};
use crate::prompt::Prompter;
use crate::sts::{Signer, Sts};
use aws_config::profile::Profile;

/// The session --verify opens and drops at once: GetSessionToken's shortest.
const VERIFY_DURATION: Duration = Duration::from_secs(15 * 60);

pub fn run(args: &SetupArgs, env: &Env) -> Result<()> {
    let name = args.profile.as_str();
    let profiles = Profiles::load(env)?;
    let profile = profiles.get(name)?;
    // A role profile signs with the keys at the end of its source_profile chain.
    let chain = chain::follow(&profiles, name)?;
    let chain: Vec<&Profile> = chain
        .iter()
        .map(|n| profiles.get(n))
        .collect::<Result<_>>()?;
    let holder = chain.last().expect("never empty");
    let keys = profile::long_term_keys(holder, &profiles)?;
    let region = profile::region(args.region.as_deref(), &chain, env)?;
    let sts = Sts::new(
        &region,
        &profile::endpoint(&profiles, profile, env, "sts", "STS")?,
    )?;
    if args.serial_number.is_none() || args.verify {
        announce(sts.notice());
    }
    let signer = Signer::from(&keys);

    let serial = match &args.serial_number {
        Some(serial) => profile::check_serial(serial)?.to_owned(),
        None => {
            let iam_endpoint = profile::endpoint(&profiles, profile, env, "iam", "IAM")?;
            find_device(name, &keys, &region, &iam_endpoint, &sts, &signer)?
        }
    };

    write(&profiles, name, &serial, args.dry_run)?;

    if args.verify {
        let code = mfa_process::code_before_prompt(
            args.code.as_deref(),
            &args.mfa_process,
            name,
            profile.get("mfa_process"),
            env,
        )?;
        // The session proves the device and the keys work together; it is dropped unseen.
        with_code(code.as_deref(), &prompt_text(name, &serial), |code| {
            sts.get_session_token(&signer, &serial, code, VERIFY_DURATION)
        })?;
        say(&format!(
            "verified: STS accepted a code from {serial}; `eval \"$(mfa-env {name})\"` will work"
        ));
    }
    Ok(())
}

/// Ask IAM for the user's devices and let the person choose; when IAM cannot tell, ask for
/// the ARN.
fn find_device(
    name: &str,
    keys: &LongTermKeys,
    region: &str,
    iam_endpoint: &Endpoint,
    sts: &Sts,
    signer: &Signer,
) -> Result<String> {
    let identity = sts.get_caller_identity(signer)?;
    say(&format!(
        "the keys of profile '{name}' belong to {}",
        identity.arn
    ));
    let user = iam::user_name(&identity.arn);
    let iam = Iam::new(keys, region, iam_endpoint)?;
    announce(iam.notice());
    let listed = iam.list_mfa_devices(user);
    let hint = "or give the ARN with --serial-number ARN";
    match listed {
        Ok(serials) if serials.len() == 1 => {
            let serial = &serials[0];
            let prompter = Prompter::open_for(
                "a confirmation",
                &format!("to use it, pass --serial-number {serial}"),
            )?;
            if prompter.confirm(&format!("Use the MFA device {serial}?"))? {
                return Ok(profile::check_serial(serial)?.to_owned());
            }
            ask_arn(&prompter)
        }
        Ok(serials) if !serials.is_empty() => {
            let prompter = Prompter::open_for(
                "a choice of MFA device",
                &format!("pass one with --serial-number: {}", serials.join(", ")),
            )?;
            let picked = prompter.select(
                &format!(
                    "{} has {} MFA devices; use",
                    user.unwrap_or(name),
                    serials.len()
                ),
                &serials,
            )?;
            Ok(profile::check_serial(&serials[picked])?.to_owned())
        }
        Ok(_) => {
            say(&format!(
                "IAM lists no MFA device for {}: assign one in the IAM console > Users > Security credentials first, then enter its ARN",
                user.unwrap_or("these keys")
            ));
            ask_arn(&Prompter::open_for("the MFA device's ARN", hint)?)
        }
        Err(why) => {
            say(&format!("cannot list the MFA devices: {why}"));
            ask_arn(&Prompter::open_for("the MFA device's ARN", hint)?)
        }
    }
}

fn ask_arn(prompter: &Prompter) -> Result<String> {
    say("the ARN is in the IAM console > Users > Security credentials > Assigned MFA device");
    prompter.text("MFA device ARN (arn:aws:iam::ACCOUNT:mfa/NAME)", |text| {
        profile::check_serial(text)
            .err()
            .map(|_| "that is not arn:PARTITION:iam::12 DIGITS:mfa/NAME".to_owned())
    })
}

/// Write `mfa_serial = serial` into the profile's section (or show it, for a dry run).
fn write(profiles: &Profiles, name: &str, serial: &str, dry_run: bool) -> Result<()> {
    let path = &profiles.config.path;
    // The bytes as they are on disk now (a byte-order mark is kept as it was).
    let raw = match std::fs::read(path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(Error::new(format!("cannot read {}: {e}", path.display()))
                .hint("check the file's permissions"));
        }
    };
    let (bom, body) = match raw.strip_prefix("\u{feff}".as_bytes()) {
        Some(body) => ("\u{feff}", body),
        None => ("", &raw[..]),
    };
    let text = std::str::from_utf8(body)
        .ok()
        .filter(|text| *text == profiles.config.contents.as_deref().unwrap_or_default());
    let Some(text) = text else {
        return Err(Error::new(format!(
            "{} changed while mfa-env was reading it",
            path.display()
        ))
        .hint("run setup again"));
    };
    let edit = config_edit::set(text, name, "mfa_serial", serial);
    let place = format!("{} in {}", edit.section, path.display());
    if edit.unchanged {
        say(&format!(
            "{place} already has {}; nothing to change",
            edit.line
        ));
        return Ok(());
    }
    check(profiles, name, serial, &edit)?;
    if dry_run {
        say(&format!("would change {place} (dry run: nothing written):"));
    } else {
        let mut bytes = bom.as_bytes().to_vec();
        bytes.extend_from_slice(edit.text.as_bytes());
        config_edit::write_atomic(path, &bytes)?;
        let what = if edit.created_section {
            "added the section"
        } else {
            "changed"
        };
        say(&format!("{what} {place}:"));
    }
    for old in &edit.replaced {
        say(&format!("- {old}"));
    }
    say(&format!("+ {}", edit.line));
    Ok(())
}

/// Before anything is written: the AWS SDK's own parser must read the new file and find
/// exactly this mfa_serial in the profile.
fn check(profiles: &Profiles, name: &str, serial: &str, edit: &Edit) -> Result<()> {
    let after = profiles.with_config(edit.text.clone()).map_err(|e| {
        Error::new(format!(
            "the edited config file would not parse ({}); nothing was written",
            e.message()
        ))
        .hint("please report this as a bug of mfa-env, with the file's layout (not its keys)")
    })?;
    let now = after.get(name)?.get("mfa_serial");
    if now == Some(serial) {
        return Ok(());
    }
    Err(Error::new(format!(
        "profile '{name}' would still read mfa_serial = {} after the change: {} sets it too, and that file wins",
        now.unwrap_or("(nothing)"),
        profiles.credentials.path.display()
    ))
    .hint(format!(
        "remove the mfa_serial line from [{name}] in {}, then run setup again",
        profiles.credentials.path.display()
    )))
}
