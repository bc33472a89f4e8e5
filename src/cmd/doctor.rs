//! `mfa-env doctor PROFILE`: a checklist on stderr, each line passed or failed with the fix.
//!
//! The checks run in the order a session is built, and a check that needs what an earlier
//! one failed to provide is skipped (and the run fails anyway). The network calls need no MFA
//! code: GetCallerIdentity shows that STS answers, its Date header shows the clock's error,
//! and its answer shows that the keys are valid; then IAM's ListAccessKeys, where IAM allows
//! it without MFA, shows the key's age. No secret is printed.

use std::path::Path;
use std::time::Instant;

use clap::Parser;

use crate::cli::{Cli, Command, DoctorArgs, ExportArgs};
use crate::cmd::{Prompting, block_on, created_when, request, say};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::iam::{self, Iam, MAX_KEY_AGE_DAYS};
use crate::profile::{self, Chain, Key, Profile, Profiles};
use crate::session::{Question, Request, Via};
use crate::sts::{Probe, Signer, Sts};
use crate::{duration, mfa_process, time};

/// How far the clock may be from STS's: SigV4 signatures are valid for 5 minutes.
const MAX_SKEW_SECS: i64 = 5 * 60;

/// Variables that make some tools use a profile instead of the exported session.
const SHADOWING: &[&str] = &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"];

#[derive(Default)]
struct Report {
    passed: usize,
    /// Passed, with something to know: they do not fail the run.
    warned: usize,
    failed: usize,
    skipped: usize,
}

impl Report {
    fn pass(&mut self, what: &str) {
        self.passed += 1;
        say(&format!("pass  {what}"));
    }

    fn warn(&mut self, what: &str, fix: &str) {
        self.warned += 1;
        say(&format!("warn  {what}"));
        say(&format!("      fix: {fix}"));
    }

    fn fail(&mut self, what: &str, fix: &str) {
        self.failed += 1;
        say(&format!("FAIL  {what}"));
        say(&format!("      fix: {fix}"));
    }

    fn fail_with(&mut self, err: &Error, fallback: &str) {
        self.fail(err.message(), err.hint_text().unwrap_or(fallback));
    }

    /// Something to know that is no check: it neither passes nor fails.
    fn info(&mut self, what: &str) {
        say(&format!("info  {what}"));
    }

    fn skip(&mut self, what: &str, why: &str) {
        self.skipped += 1;
        say(&format!("skip  {what}: {why}"));
    }

    fn check<T>(
        &mut self,
        result: Result<T>,
        fallback: &str,
        pass: impl FnOnce(&T) -> String,
    ) -> Option<T> {
        match result {
            Ok(value) => {
                self.pass(&pass(&value));
                Some(value)
            }
            Err(err) => {
                self.fail_with(&err, fallback);
                None
            }
        }
    }
}

pub fn run(args: &DoctorArgs, env: &Env) -> Result<()> {
    let name = args.profile.as_str();
    let mut report = Report::default();
    say(&format!("checking profile '{name}'"));
    checks(&mut report, args, env);
    environment(&mut report, env);
    let total = report.passed + report.warned + report.failed + report.skipped;
    if report.failed == 0 && report.skipped == 0 {
        let warned = match report.warned {
            0 => String::new(),
            1 => ", 1 with a warning".to_owned(),
            n => format!(", {n} with warnings"),
        };
        say(&format!("all {total} checks passed{warned}"));
        return Ok(());
    }
    let skipped = if report.skipped > 0 {
        format!(", {} skipped", report.skipped)
    } else {
        String::new()
    };
    Err(Error::new(format!(
        "{} of {total} checks failed{skipped}",
        report.failed
    ))
    .hint(format!(
        "fix the first failure, then run `mfa-env doctor {name}` again"
    )))
}

/// The checks after the profile's, in order: those from `NETWORK` on need STS's endpoint, and
/// those from `ANSWER` on an answer from it.
const AFTER_PROFILE: &[&str] = &[
    "long-term keys",
    "mfa_serial",
    "region and endpoint",
    "the session export asks for",
    "STS reachable",
    "clock",
    "keys valid",
];
const SESSION: usize = 3;
const NETWORK: usize = 4;
const ANSWER: usize = 5;

fn checks(report: &mut Report, args: &DoctorArgs, env: &Env) {
    let named = args.profile.as_str();
    let skip_all = |report: &mut Report, from: &[&str], why: &str| {
        for what in from {
            report.skip(what, why);
        }
    };

    // The files: one line either way, and one failure when neither is there.
    let profiles = match Profiles::load(env) {
        Ok(p) if !p.config.exists() && !p.credentials.exists() => {
            report.fail(
                &format!(
                    "no AWS config files: {} and {} do not exist",
                    p.config.path.display(),
                    p.credentials.path.display()
                ),
                &format!("create the profile with `aws configure --profile {named}`, or set AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"),
            );
            None
        }
        loaded => report.check(loaded, "fix the file", |p| {
            format!(
                "files read: {}, {}",
                shown(&p.config.path, p.config.exists()),
                shown(&p.credentials.path, p.credentials.exists())
            )
        }),
    };
    let Some(profiles) = profiles else {
        report.skip("profile", "the files cannot be read");
        return skip_all(report, AFTER_PROFILE, "the files cannot be read");
    };

    // The profile, and where its keys come from.
    let Some(profile) = report.check(profiles.get(named), "check the name", |_| {
        format!("profile '{named}' found")
    }) else {
        return skip_all(report, AFTER_PROFILE, "no such profile");
    };
    // What export is asked for: this profile, or what its credential_process asks mfa-env.
    let export = match export_args(&profile, args, env) {
        Ok((export, None)) => export,
        Ok((export, Some(command))) => {
            let target = export.profile.as_deref().unwrap_or_default();
            report.pass(&format!(
                "credential_process `{command}`: checking profile '{target}', as that command would export it"
            ));
            export
        }
        Err(err) => {
            report.fail_with(&err, "");
            return skip_all(report, AFTER_PROFILE, "mfa-env cannot export the profile");
        }
    };
    let name = export.profile.as_deref().unwrap_or(named);
    let profile = if name == named {
        profile
    } else {
        let Some(profile) = report.check(profiles.get(name), "fix credential_process", |_| {
            format!("profile '{name}' found")
        }) else {
            return skip_all(report, AFTER_PROFILE, "no such profile");
        };
        profile
    };
    let is_role = profile.get(Key::RoleArn).is_some() || export.role_arn.is_some();
    let chain = if is_role {
        report.check(
            Chain::follow(&profiles, name),
            "fix source_profile",
            |chain| format!("role chain {}", chain.names().join(" -> ")),
        )
    } else {
        // A profile that assumes no role is a chain of one, which cannot break.
        Chain::follow(&profiles, name).ok()
    };
    let keys = match &chain {
        Some(chain) => {
            let holder = chain.holder().name();
            report.check(
                chain
                    .key_source()
                    .and_then(|source| crate::keys::from_source(source, env)),
                &format!("add them with `aws configure --profile {holder}`, or `mfa-env keys add {holder}`"),
                |keys| {
                    let from = match &keys.from {
                        profile::KeyFrom::Lines => "long-term keys in".to_owned(),
                        profile::KeyFrom::Keyring => {
                            format!("long-term key in {} for", crate::keys::keyring_name())
                        }
                        profile::KeyFrom::Process { command, session_token: None } => {
                            format!("long-term key from credential_process `{command}` of")
                        }
                        profile::KeyFrom::Process { command, session_token: Some(_) } => {
                            format!("a session (for roles only) from credential_process `{command}` of")
                        }
                    };
                    format!(
                        "{from} profile '{holder}' (access key {})",
                        keys.access_key_id
                    )
                },
            )
        }
        None => {
            report.skip("long-term keys", "the role chain is broken");
            None
        }
    };

    // The MFA device, found as export finds it (a role takes its source's), and the command
    // that gives its codes. A broken chain has no device to find: its failure says why.
    let setup = format!("run `mfa-env setup {name}`: it finds the device and writes it");
    match chain.as_ref().map(|chain| (chain, chain.serial())) {
        None => report.skip("mfa_serial", "the role chain is broken"),
        Some(_) if export.serial_number.is_some() => {
            let serial = export.serial_number.as_deref().unwrap_or_default();
            report.check(profile::check_serial(serial), "", |s| {
                format!("mfa_serial {s} (from --serial-number)")
            });
        }
        Some((chain, Some(serial))) => {
            let from = chain
                .serial_from(serial)
                .map(|holder| format!(" (from profile '{holder}')"))
                .unwrap_or_default();
            report.check(profile::check_serial(serial), "", |s| {
                format!("mfa_serial {s}{from}")
            });
        }
        // A role whose trust policy does not ask for MFA is assumed without a code.
        Some((_, None)) if is_role => report.warn(
            &format!("no mfa_serial in profile '{name}' or along its source_profile chain: the role is assumed without MFA"),
            &format!("if the role's trust policy requires MFA, {setup}"),
        ),
        Some((_, None)) => report.fail(&format!("profile '{name}' has no mfa_serial"), &setup),
    }
    let given = export.mfa_process.mfa_process.as_deref();
    if let Some(command) = given.or(profile.get(Key::MfaProcess)) {
        report.check(program(command, env), "", |path| {
            format!("mfa_process `{command}` runs {path}")
        });
    }
    // Where a code would be asked for, as export would choose: the terminal, else askpass,
    // else the desktop's dialog (or what mfa_prompt forces).
    match Prompting::new(&export.mfa_process, &profiles, name, env) {
        Ok(prompting) => {
            let terminal = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/tty")
                .is_ok();
            // Said, not counted: without a terminal, --code or mfa_process still serve.
            say(&format!(
                "note  MFA code asked on {}",
                prompting.describe(terminal)
            ));
        }
        Err(e) => report.fail_with(&e, ""),
    }

    // Where the call goes. A broken chain has no profiles whose region counts.
    let along = chain.as_ref().map_or(&[][..], |chain| &chain.profiles);
    let region = report.check(
        profile::region(export.region.as_deref(), along, env),
        "",
        |region| format!("region {region}"),
    );
    let endpoint = profile::endpoint(&profile, env, "sts", "STS");
    let Some(region) = region else {
        report.skip("STS endpoint", "needs the region");
        return skip_all(report, &AFTER_PROFILE[SESSION..], "needs the region");
    };
    let sts = endpoint.and_then(|endpoint| Sts::new(&region, &endpoint));
    let Some(sts) = report.check(sts, "", |sts| match sts.configured_by() {
        Some(from) => format!("STS endpoint {} (from {from})", sts.endpoint()),
        None => format!("STS endpoint {}", sts.endpoint()),
    }) else {
        return skip_all(report, &AFTER_PROFILE[SESSION..], "needs an STS endpoint");
    };

    // Everything export refuses before it asks for a code, by export's own code: the request
    // its command line makes (the whole role chain, session names, duration_seconds).
    if report.failed > 0 {
        report.skip(AFTER_PROFILE[SESSION], "needs the checks above");
    } else {
        let mut no_code =
            |_: &Question| -> Result<(String, Via)> { Err(Error::new("doctor asks for no code")) };
        let session = request(&export, &profiles, &mut no_code, env).and_then(|req| planned(&req));
        report.check(session, "", String::clone);
    }
    let Some(keys) = keys else {
        return skip_all(report, &AFTER_PROFILE[NETWORK..], "needs the keys");
    };

    // The network: one GetCallerIdentity.
    let start = Instant::now();
    let probe = block_on(sts.probe(&Signer::from(&keys))).unwrap_or_else(|err| Probe {
        answered: false,
        server_time: None,
        identity: Err(err),
    });
    let elapsed = start.elapsed();
    if !probe.answered {
        let err = probe
            .identity
            .err()
            .unwrap_or_else(|| Error::new("no answer from STS"));
        report.fail_with(&err, "check the network, proxy or VPN");
        return skip_all(report, &AFTER_PROFILE[ANSWER..], "needs an answer from STS");
    }
    report.pass(&format!(
        "STS at {} answered in {} ms",
        sts.endpoint(),
        elapsed.as_millis()
    ));
    match probe.server_time {
        Some(server) => {
            let skew = time::now() - server;
            let off = format!(
                "{} {}",
                human_secs(skew.abs()),
                if skew >= 0 { "ahead" } else { "behind" }
            );
            if skew.abs() <= MAX_SKEW_SECS {
                report.pass(&format!("clock within 5 minutes of STS's ({off})"));
            } else {
                report.fail(
                    &format!("this computer's clock is {off} of STS's: AWS refuses requests signed more than 5 minutes off"),
                    "set the clock right: enable NTP with `timedatectl set-ntp true`",
                );
            }
        }
        None => report.fail(
            "STS sent no readable Date header to compare the clock with",
            "check that the endpoint is STS and not a proxy's page",
        ),
    }
    let Some(identity) = report.check(probe.identity, "", |id| {
        format!(
            "keys valid: they belong to {} (account {})",
            id.arn, id.account
        )
    }) else {
        return;
    };
    key_age(report, &keys, &identity.arn, &region, &sts, &profile, env);
}

/// The access key's age, from IAM (ListAccessKeys, signed with the key itself), and a warning
/// past `MAX_KEY_AGE_DAYS`. IAM may refuse it without MFA (a policy that asks for MFA): then
/// an `info` line says so and nothing fails. IAM is not asked when STS's endpoint is
/// configured and IAM's is not: the key would go to AWS's IAM while STS is elsewhere (a local
/// STS, the tests').
fn key_age(
    report: &mut Report,
    keys: &profile::LongTermKeys,
    arn: &str,
    region: &str,
    sts: &Sts,
    profile: &Profile,
    env: &Env,
) {
    let id = &keys.access_key_id;
    let holder = &keys.profile;
    let endpoint = match profile::endpoint(profile, env, "iam", "IAM") {
        Ok(endpoint) => endpoint,
        Err(e) => return report.info(&format!("access key age not asked: {}", e.message())),
    };
    if sts.configured_by().is_some() && endpoint.url.is_none() {
        return report.info(
            "access key age not asked: STS is at a configured endpoint, IAM at AWS's own (set AWS_ENDPOINT_URL_IAM too)",
        );
    }
    let listed = Iam::new(keys, region, &endpoint).map_err(|e| e.message().to_owned());
    let listed = listed.and_then(|iam| {
        block_on(iam.list_access_keys(iam::user_name(arn))).map_err(|e| e.message().to_owned())?
    });
    let keys = match listed {
        Ok(keys) => keys,
        Err(why) => {
            return report.info(&format!(
                "access key age unknown: {why} (IAM may allow it only with MFA)"
            ));
        }
    };
    let Some(created) = keys.iter().find(|k| &k.id == id).and_then(|k| k.created) else {
        return report.info(&format!(
            "access key age unknown: IAM lists no creation date for {id}"
        ));
    };
    let now = time::now();
    let days = (now - created).max(0) / 86_400;
    let when = created_when(created, now);
    if days > MAX_KEY_AGE_DAYS {
        report.warn(
            &format!("access key {id} was created {when}: rotate keys every {MAX_KEY_AGE_DAYS} days (CIS AWS Foundations)"),
            &format!("`mfa-env rotate {holder}` replaces it, with one MFA code"),
        );
    } else {
        report.pass(&format!("access key {id} created {when}"));
    }
}

/// What export would be asked for to check `profile`: the profile itself (with doctor's
/// --region), or, when its credential_process runs mfa-env, that command line (also returned),
/// parsed as mfa-env parses it: it must print `--format process`, the one form the AWS tools
/// read.
fn export_args<'a>(
    profile: &Profile<'a>,
    args: &DoctorArgs,
    env: &Env,
) -> Result<(ExportArgs, Option<&'a str>)> {
    // mfa-env's own `keys print` line gives the profile's key: the profile itself is checked.
    let process = profile
        .get(Key::CredentialProcess)
        .filter(|command| crate::keys::own_profile(command).is_none())
        .and_then(|command| {
            let words = mfa_process::split(command, mfa_process::home_str(&env.home())).ok()?;
            let program = Path::new(words.first()?).file_name()?;
            (program == "mfa-env").then_some((command, words))
        });
    let (words, command) = match process {
        Some((command, words)) => (words, Some(command)),
        None => (
            ["mfa-env", "export", "--", profile.name()]
                .map(str::to_owned)
                .to_vec(),
            None,
        ),
    };
    let shown = command.unwrap_or_default();
    let fix = format!(
        "write it as `credential_process = mfa-env --format process PROFILE`, PROFILE being the one with the keys or role (not '{}')",
        profile.name()
    );
    let (mut export, format) = match Cli::try_parse_from(&words) {
        Ok(Cli {
            command: None,
            export,
            format,
        })
        | Ok(Cli {
            command:
                Some(Command::Export {
                    args: export,
                    format,
                }),
            ..
        }) => (export, format.format),
        Ok(_) => {
            return Err(Error::new(format!(
                "credential_process `{shown}` runs mfa-env, but not to export a session"
            ))
            .hint(fix));
        }
        Err(e) => {
            let text = e.to_string();
            let why = text.lines().next().unwrap_or_default();
            return Err(Error::new(format!(
                "credential_process `{shown}` is not a command line mfa-env accepts: {}",
                why.trim_start_matches("error: ")
            ))
            .hint(fix));
        }
    };
    if command.is_some() && format != Some(Format::Process) {
        let what = format.map_or("shell statements", Format::name);
        return Err(Error::new(format!(
            "credential_process `{shown}` prints {what}: the AWS tools read only credential_process JSON"
        ))
        .hint(format!("add --format process: {fix}")));
    }
    if command.is_some() && export.profile.as_deref() == Some(profile.name()) {
        return Err(Error::new(format!(
            "credential_process `{shown}` asks mfa-env for profile '{}' itself, whose keys are what credential_process should give",
            profile.name()
        ))
        .hint(fix));
    }
    if args.region.is_some() {
        export.region = args.region.clone();
    }
    Ok((export, command))
}

/// The pass line for the session `req` asks for.
fn planned(req: &Request) -> Result<String> {
    let length = duration::human(req.length()?);
    let r = &req.resolved;
    let mfa = |serial: Option<&str>| match serial {
        Some(serial) => format!("with a code from {serial}"),
        None => "without MFA".to_owned(),
    };
    Ok(match r.roles.as_slice() {
        [] => format!(
            "export asks for a {length} session with GetSessionToken, {}",
            mfa(r.mfa_serial.as_deref())
        ),
        roles => format!(
            "export asks for a {length} session of {}, {}",
            roles
                .iter()
                .map(|role| role.arn.as_str())
                .collect::<Vec<_>>()
                .join(" then "),
            mfa(r.mfa_role().map(|(_, serial)| serial))
        ),
    })
}

/// The environment the session would be exported into.
fn environment(report: &mut Report, env: &Env) {
    let set: Vec<String> = SHADOWING
        .iter()
        .filter_map(|var| env.get(var).map(|v| format!("{var}={v}")))
        .collect();
    // Export removes them from the shell it sets up, so they do not stop a session; but
    // every new shell gets them again, and there a tool would use the profile.
    if set.is_empty() {
        report.pass("no AWS_PROFILE or AWS_DEFAULT_PROFILE in the environment");
    } else {
        report.warn(
            &format!(
                "{} set: export removes it from the shell it sets up, but other shells keep it, and tools there use that profile",
                set.join(" and ")
            ),
            "remove it from your shell's startup files if you set it there",
        );
    }
}

fn shown(path: &Path, exists: bool) -> String {
    if exists {
        path.display().to_string()
    } else {
        format!("{} (missing)", path.display())
    }
}

/// `90 s`, `12 min 3 s`, `2 h 5 min`.
fn human_secs(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

/// Where mfa_process's program is: its words must split, and the program must be found.
fn program(command: &str, env: &Env) -> Result<String> {
    let home = env.home();
    let words = mfa_process::split(command, mfa_process::home_str(&home)).map_err(|why| {
        Error::new(format!("mfa_process `{command}` cannot run: {why}"))
            .hint("write it as a plain command line; for pipes or variables use: sh -c '...'")
    })?;
    let program = &words[0];
    let runnable = |path: &Path| {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    let found = if program.contains('/') {
        runnable(Path::new(program)).then(|| program.clone())
    } else {
        env.get("PATH")
            .unwrap_or_default()
            .split(':')
            .find_map(|dir| {
                let path = Path::new(if dir.is_empty() { "." } else { dir }).join(program);
                runnable(&path).then(|| path.display().to_string())
            })
    };
    found.ok_or_else(|| {
        Error::new(format!(
            "mfa_process `{command}`: the program '{program}' is not found"
        ))
        .hint("install it, or give its full path in mfa_process")
    })
}
