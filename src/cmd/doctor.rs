//! `mfa-env doctor PROFILE`: a checklist on stderr, each line passed or failed with the fix.
//!
//! The checks run in the order a session is built, and a check that needs what an earlier
//! one failed to provide is skipped (and the run fails anyway). The only network call is
//! GetCallerIdentity, which needs no MFA code: it shows that STS answers, its Date header
//! shows the clock's error, and its answer shows that the keys are valid. No secret is printed.

use std::path::Path;
use std::time::Instant;

use crate::cli::DoctorArgs;
use crate::cmd::{block_on, say};
use crate::env::Env;
use crate::error::{Error, Result};
use crate::mfa_process;
use crate::profile::{self, Chain, Key, Profiles};
use crate::sts::{Probe, Signer, Sts};
use crate::time;

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

fn checks(report: &mut Report, args: &DoctorArgs, env: &Env) {
    let name = args.profile.as_str();
    const AFTER_PROFILE: &[&str] = &[
        "long-term keys",
        "mfa_serial",
        "region and endpoint",
        "STS reachable",
        "clock",
        "keys valid",
    ];
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
                &format!("create the profile with `aws configure --profile {name}`, or set AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"),
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
    let Some(profile) = report.check(profiles.get(name), "check the name", |_| {
        format!("profile '{name}' found")
    }) else {
        return skip_all(report, AFTER_PROFILE, "no such profile");
    };
    let is_role = profile.get(Key::RoleArn).is_some();
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
                chain.keys(),
                &format!("add them with `aws configure --profile {holder}`"),
                |keys| {
                    format!(
                        "long-term keys in profile '{holder}' (access key {})",
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
    if let Some(command) = profile.get(Key::MfaProcess) {
        report.check(program(command, env), "", |path| {
            format!("mfa_process `{command}` runs {path}")
        });
    }

    // Where the call goes. A broken chain has no profiles whose region counts.
    let along = chain.as_ref().map_or(&[][..], |chain| &chain.profiles);
    let region = report.check(
        profile::region(args.region.as_deref(), along, env),
        "",
        |region| format!("region {region}"),
    );
    let endpoint = profile::endpoint(&profile, env, "sts", "STS");
    let Some(region) = region else {
        report.skip("STS endpoint", "needs the region");
        return skip_all(report, &AFTER_PROFILE[3..], "needs the region");
    };
    let sts = endpoint.and_then(|endpoint| Sts::new(&region, &endpoint));
    let Some(sts) = report.check(sts, "", |sts| match sts.configured_by() {
        Some(from) => format!("STS endpoint {} (from {from})", sts.endpoint()),
        None => format!("STS endpoint {}", sts.endpoint()),
    }) else {
        return skip_all(report, &AFTER_PROFILE[3..], "needs an STS endpoint");
    };
    let Some(keys) = keys else {
        return skip_all(report, &AFTER_PROFILE[3..], "needs the keys");
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
        return skip_all(report, &AFTER_PROFILE[4..], "needs an answer from STS");
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
    report.check(probe.identity, "", |id| {
        format!(
            "keys valid: they belong to {} (account {})",
            id.arn, id.account
        )
    });
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
