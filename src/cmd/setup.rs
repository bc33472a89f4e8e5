//! `mfa-env setup PROFILE`: find the MFA device of the profile's user and write its ARN as
//! `mfa_serial` into the config file, changing no other byte; `--verify` then proves it works.

use std::time::Duration;

use crate::cli::SetupArgs;
use crate::cmd::{Prompting, block_on, code_from, notes_once, say};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::iam::Lookup;
use crate::profile::edit::Edit;
use crate::profile::{self, Chain, Key, Overrides, Profiles};
use crate::prompt::Prompter;
use crate::session::{Asked, Note, Notes, Request};

/// The session --verify opens and drops at once: the shortest STS gives.
const VERIFY_DURATION: Duration = Duration::from_secs(15 * 60);

pub fn run(args: &SetupArgs, env: &Env) -> Result<()> {
    let name = args.profile.as_str();
    let profiles = Profiles::load(env)?;
    // A role profile signs with the keys at the end of its source_profile chain.
    let chain = Chain::follow(&profiles, name)?;
    let keys = crate::keys::from_source(chain.key_source()?, env)?;
    if keys.session_token().is_some() {
        return Err(Error::new(format!(
            "the credential_process of profile '{}' gives a session, and setup asks IAM with the IAM user's long-term key",
            chain.holder().name()
        ))
        .hint("pass --serial-number ARN to write the device without asking IAM, or write mfa_serial by hand"));
    }
    let region = chain.region(args.region.as_deref(), env)?;
    let iam_endpoint = chain.endpoint(env, "iam", "IAM")?;
    let lookup = Lookup::new(
        &keys,
        &region,
        &chain.endpoint(env, "sts", "STS")?,
        &iam_endpoint,
    )?;
    let iam = Devices {
        name,
        holder: &keys.profile,
        lookup,
    };
    // Each endpoint other than AWS's own is named once, before its first call.
    let mut notes = notes_once();

    // The device a session uses now: the profile's own, or (for a role) its source's.
    let current = chain.serial().map(str::trim);
    let serial = match &args.serial_number {
        Some(serial) => profile::check_serial(serial)?.to_owned(),
        None => match find_device(&iam, current, args.dry_run, &mut notes)? {
            Some(serial) => serial,
            // A dry run that would have asked: it said what it would ask.
            None => return Ok(()),
        },
    };

    let from = chain.serial_from(&serial);
    if let Some(from) = from.filter(|_| current == Some(&serial)) {
        say(&format!(
            "profile '{name}' uses {serial} already, the mfa_serial of profile '{from}': it is set, nothing to change"
        ));
    } else {
        let edit = edit(&profiles, name, &serial)?;
        if !edit.1.unchanged && args.serial_number.is_some() {
            check_listed(&iam, &serial, &mut notes);
        }
        write(&profiles, &edit, args.dry_run)?;
    }

    if args.verify {
        // The session export would open, with this device and the shortest length: it
        // proves that the device, the keys (and a role's trust policy) work together, and it
        // is dropped unseen.
        let mut ask = Prompting::new(&args.mfa_process, &profiles, name, env)?.asker();
        let asked = Asked {
            profile: name,
            overrides: Overrides {
                region: args.region.as_deref(),
                serial_number: Some(&serial),
                ..Overrides::default()
            },
            duration: Some(VERIFY_DURATION),
            force: true,
            min_ttl: Duration::ZERO,
        };
        let code = code_from(args.code.as_deref(), &args.mfa_process, &mut ask)?;
        let mut req = Request::new(&profiles, &asked, code, env)?;
        block_on(req.obtain(env, &mut notes))??;
        say(&format!(
            "verified: STS accepted a code from {serial}; `eval \"$(mfa-env {name})\"` will work"
        ));
    }
    Ok(())
}

/// What asking for the user's MFA devices takes.
struct Devices<'a> {
    name: &'a str,
    /// The profile that holds the keys.
    holder: &'a str,
    lookup: Lookup<'a>,
}

/// The IAM user the keys belong to (None for the root user), and the serials IAM lists for
/// it, or why it lists none.
type Listed = (Option<String>, std::result::Result<Vec<String>, String>);

impl Devices<'_> {
    fn list(&self, notes: &mut Notes) -> Result<Listed> {
        let found = block_on(self.lookup.devices(&mut |line| notes(Note::Endpoint(line))))??;
        say(&format!(
            "the keys of profile '{}' belong to {}",
            self.holder, found.arn
        ));
        Ok((found.user, found.serials))
    }
}

/// `--serial-number` names a device of the user's, or the user hears it. It is written all
/// the same: the person typed it, and IAM's list may lag behind a device just assigned;
/// `--verify` is the proof either way. A check that cannot be made is said, and no more.
fn check_listed(iam: &Devices, serial: &str, notes: &mut Notes) {
    let listed = iam.list(notes).map_err(|e| e.message().to_owned());
    let (user, serials) = match listed {
        Ok((user, Ok(serials))) => (user, serials),
        Ok((_, Err(why))) | Err(why) => {
            say(&format!(
                "cannot check that {serial} is one of your MFA devices: {why}"
            ));
            return;
        }
    };
    if serials.iter().any(|s| s == serial) {
        return;
    }
    let user = user.as_deref().unwrap_or("these keys' user");
    let has = if serials.is_empty() {
        "none".to_owned()
    } else {
        serials.join(", ")
    };
    say(&format!(
        "warning: {serial} is not one of {user}'s MFA devices (IAM lists: {has}); STS accepts codes only from the user's own devices"
    ));
    say(&format!(
        "check the ARN; `mfa-env setup {}` without --serial-number offers the listed ones, and --verify tries a code",
        iam.name
    ));
}

/// Ask IAM for the user's devices and let the person choose; when IAM cannot tell, ask for
/// the ARN. A device the profile has already, when IAM lists it, is kept without a question.
/// A dry run asks nothing: where a run would ask, it says so and gives `None`.
fn find_device(
    iam: &Devices,
    current: Option<&str>,
    dry_run: bool,
    notes: &mut Notes,
) -> Result<Option<String>> {
    let name = iam.name;
    let (user, listed) = iam.list(notes)?;
    let user = user.as_deref();
    let hint = "or give the ARN with --serial-number ARN";
    if let Ok(serials) = &listed
        && let Some(current) = current.filter(|c| serials.iter().any(|s| s == c))
    {
        if serials.len() > 1 {
            say(&format!(
                "{} has {} MFA devices ({}); to use another, pass --serial-number ARN",
                user.unwrap_or(name),
                serials.len(),
                serials.join(", ")
            ));
        }
        return Ok(Some(current.to_owned()));
    }
    if dry_run {
        let question = match &listed {
            Ok(serials) if serials.len() == 1 => {
                return Ok(Some(profile::check_serial(&serials[0])?.to_owned()));
            }
            Ok(serials) if !serials.is_empty() => format!(
                "which of {}'s MFA devices to use: {}",
                user.unwrap_or(name),
                serials.join(", ")
            ),
            Ok(_) => format!(
                "for the ARN: IAM lists no MFA device for {}",
                user.unwrap_or("these keys")
            ),
            Err(why) => format!("for the ARN: cannot list the MFA devices ({why})"),
        };
        say(&format!(
            "dry run: a run without --dry-run would ask {question}; nothing written"
        ));
        return Ok(None);
    }
    match listed {
        Ok(serials) if serials.len() == 1 => {
            let serial = &serials[0];
            let prompter = Prompter::open_for(
                "a confirmation",
                &format!("to use it, pass --serial-number {serial}"),
            )?;
            if prompter.confirm(&format!("Use the MFA device {serial}?"))? {
                return Ok(Some(profile::check_serial(serial)?.to_owned()));
            }
            ask_arn(&prompter).map(Some)
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
            Ok(Some(profile::check_serial(&serials[picked])?.to_owned()))
        }
        Ok(_) => {
            say(&format!(
                "IAM lists no MFA device for {}: assign one in the IAM console > Users > Security credentials first, then enter its ARN",
                user.unwrap_or("these keys")
            ));
            ask_arn(&Prompter::open_for("the MFA device's ARN", hint)?).map(Some)
        }
        Err(why) => {
            say(&format!("cannot list the MFA devices: {why}"));
            ask_arn(&Prompter::open_for("the MFA device's ARN", hint)?).map(Some)
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

/// The edit that sets `mfa_serial = serial` in the profile's section, checked.
fn edit(profiles: &Profiles, name: &str, serial: &str) -> Result<(&'static str, Edit)> {
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
    // The same text as read, once read as the AWS CLI reads indented keys.
    let text = std::str::from_utf8(body).ok().filter(|text| {
        profile::dedent_properties(text) == profiles.config.contents.as_deref().unwrap_or_default()
    });
    let Some(text) = text else {
        return Err(Error::new(format!(
            "{} changed while mfa-env was reading it",
            path.display()
        ))
        .hint("run setup again"));
    };
    let edit = profile::edit::set(text, name, "mfa_serial", serial);
    if !edit.unchanged {
        check(profiles, name, serial, &edit)?;
    }
    Ok((bom, edit))
}

/// Write the edit, after the byte-order mark the file starts with (or show it, for a dry
/// run).
fn write(profiles: &Profiles, (bom, edit): &(&str, Edit), dry_run: bool) -> Result<()> {
    let path = &profiles.config.path;
    let place = format!("{} in {}", edit.section, path.display());
    if edit.unchanged {
        say(&format!(
            "{place} already has {}: it is set, nothing to change",
            edit.line
        ));
        return Ok(());
    }
    if dry_run {
        say(&format!("would change {place} (dry run: nothing written):"));
    } else {
        let mut bytes = bom.as_bytes().to_vec();
        bytes.extend_from_slice(edit.text.as_bytes());
        profile::edit::write_atomic(path, &bytes)?;
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
    let now = after.get(name)?.get(Key::MfaSerial);
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
