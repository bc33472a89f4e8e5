//! `mfa-env doctor PROFILE`: a checklist on stderr, each line passed or failed with the fix.
//!
//! The checks run in the order a session is built, and a check that needs what an earlier
//! one failed to provide is skipped (and the run fails anyway). The only network call is
//! GetCallerIdentity, which needs no MFA code: it shows that STS answers, its Date header
//! shows the clock's error, and its answer shows that the keys are valid. No secret is printed.

use std::path::Path;
use std::time::Instant;

use crate::chain;
use crate::cli::DoctorArgs;
use crate::cmd::say;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::mfa_process;
use crate::profile::{self, Profiles};
use crate::sts::{Signer, Sts};
use crate::time;

/// How far the clock may be from STS's: SigV4 signatures are valid for 5 minutes.
const MAX_SKEW_SECS: i64 = 5 * 60;

/// Variables that make some tools use a profile instead of the exported session.
const SHADOWING: &[&str] = &["AWS_PROFILE", "AWS_DEFAULT_PROFILE"];

#[derive(Default)]
struct Report {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Report {
    fn pass(&mut self, what: &str) {
        self.passed += 1;
        say(&format!("pass  {what}"));
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
    let total = report.passed + report.failed + report.skipped;
    if report.failed == 0 && report.skipped == 0 {
        say(&format!("all {total} checks passed"));
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

    // The files.
    let Some(profiles) = report.check(Profiles::load(env), "fix the file", |p| {
        format!(
            "files read: {}, {}",
            shown(&p.config.path, p.config.exists()),
            shown(&p.credentials.path, p.credentials.exists())
        )
    }) else {
        report.skip("profile", "the files cannot be read");
        return skip_all(report, AFTER_PROFILE, "the files cannot be read");
    };
    if !profiles.config.exists() && !profiles.credentials.exists() {
        report.fail(
            "neither AWS config file exists",
            &format!("create the profile with `aws configure --profile {name}`, or set AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE"),
        );
        report.skip("profile", "no files");
        return skip_all(report, AFTER_PROFILE, "no files");
    }

    // The profile, and where its keys come from.
    let Some(profile) = report.check(profiles.get(name), "check the name", |_| {
        format!("profile '{name}' found")
    }) else {
        return skip_all(report, AFTER_PROFILE, "no such profile");
    };
    let chain = if profile.get("role_arn").is_some() {
        report.check(
            chain::follow(&profiles, name),
            "fix source_profile",
            |chain| format!("role chain {}", chain.join(" -> ")),
        )
    } else {
        Some(vec![name.to_owned()])
    };
    // The profiles whose region counts, from the named one along the chain.
    let chain_profiles: Vec<_> = chain
        .iter()
        .flatten()
        .filter_map(|n| profiles.get(n).ok())
        .collect();
    let holder = chain.as_ref().and_then(|chain| chain.last().cloned());
    let keys = match holder {
        Some(holder) => {
            let keys = profiles
                .get(&holder)
                .and_then(|p| profile::long_term_keys(p, &profiles));
            report.check(
                keys,
                "add them with `aws configure --profile NAME`",
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

    // The MFA device, and the command that gives its codes.
    match profile.get("mfa_serial") {
        Some(serial) => {
            report.check(profile::check_serial(serial), "", |s| {
                format!("mfa_serial {s}")
            });
        }
        None => report.fail(
            &format!("profile '{name}' has no mfa_serial"),
            &format!("run `mfa-env setup {name}`: it finds the device and writes it"),
        ),
    }
    if let Some(command) = profile.get("mfa_process") {
        report.check(program(command, env), "", |path| {
            format!("mfa_process `{command}` runs {path}")
        });
    }

    // Where the call goes.
    let region = report.check(
        profile::region(args.region.as_deref(), &chain_profiles, env),
        "",
        |region| format!("region {region}"),
    );
    let endpoint = profile::endpoint(&profiles, profile, env, "sts", "STS");
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
    let probe = sts.probe(&Signer::from(&keys));
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
    if set.is_empty() {
        report.pass("no AWS_PROFILE or AWS_DEFAULT_PROFILE in the environment");
    } else {
        report.fail(
            &format!(
                "{} set: tools that see it may use that profile instead of an exported session",
                set.join(" and ")
            ),
            "`unset AWS_PROFILE AWS_DEFAULT_PROFILE`, and remove them from your shell's startup files",
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
    let words = mfa_process::split(command, env.get("HOME")).map_err(|why| {
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
