//! Where a service's calls go: configured endpoints, FIPS and dual-stack, and the rule that
//! plain http goes only to this computer.

use super::{Key, Profile};
use crate::env::Env;
use crate::error::{Error, Result};

/// The variable that lets a configured endpoint be plain http to a host other than this
/// computer.
pub const ALLOW_HTTP: &str = "MFA_ENV_ALLOW_HTTP";

/// Where one service's calls go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoint {
    /// A configured URL, checked: http:// or https://, and plain http only to this computer
    /// unless MFA_ENV_ALLOW_HTTP allows it.
    pub url: Option<String>,
    /// AWS's FIPS endpoint (AWS_USE_FIPS_ENDPOINT, use_fips_endpoint); never with a URL.
    pub fips: bool,
    /// AWS's dual-stack (IPv6) endpoint (AWS_USE_DUALSTACK_ENDPOINT, use_dualstack_endpoint);
    /// never with a URL.
    pub dual_stack: bool,
    /// Where the URL, or FIPS and dual-stack, were set, for the line that names the endpoint;
    /// None for AWS's own endpoint.
    pub from: Option<String>,
}

impl Endpoint {
    /// The line that names an endpoint other than AWS's own (`url`, where the calls go), and
    /// where it was set.
    pub fn notice(&self, service: &str, url: &str) -> Option<String> {
        let from = self.from.as_deref()?;
        Some(format!("using {service} endpoint {url} (from {from})"))
    }
}

/// Where a service's calls go: a configured endpoint, in the order AWS documents
/// (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile's `[services]` section, the
/// profile's `endpoint_url`; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
/// ignore_configured_endpoint_urls turns all of them off), else AWS's own, in its FIPS or
/// dual-stack form when AWS_USE_FIPS_ENDPOINT / use_fips_endpoint or
/// AWS_USE_DUALSTACK_ENDPOINT / use_dualstack_endpoint ask for it.
///
/// A configured endpoint receives the access key id, the signature and the MFA code, and what
/// it answers is exported: plain http is refused unless it goes to this computer, or
/// MFA_ENV_ALLOW_HTTP=1 allows it (a local emulator on another host, such as LocalStack in
/// docker compose).
pub fn endpoint(profile: &Profile, env: &Env, service: &str, env_suffix: &str) -> Result<Endpoint> {
    let ignore = env
        .get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
        .or_else(|| profile.get(Key::IgnoreConfiguredEndpointUrls))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    // FIPS and dual-stack, as the SDKs read them: the variable, else the named profile's key.
    let fips = flag(profile, env, "AWS_USE_FIPS_ENDPOINT", Key::UseFipsEndpoint)?;
    let dual_stack = flag(
        profile,
        env,
        "AWS_USE_DUALSTACK_ENDPOINT",
        Key::UseDualstackEndpoint,
    )?;
    let variants = || {
        let from: Vec<&str> = [&fips, &dual_stack]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        Endpoint {
            url: None,
            fips: fips.is_some(),
            dual_stack: dual_stack.is_some(),
            from: (!from.is_empty()).then(|| from.join(" and ")),
        }
    };
    if ignore {
        return Ok(variants());
    }
    let variable = format!("AWS_ENDPOINT_URL_{env_suffix}");
    let configured = env
        .get(&variable)
        .map(|url| (url, variable.clone()))
        .or_else(|| {
            env.get("AWS_ENDPOINT_URL")
                .map(|url| (url, "AWS_ENDPOINT_URL".to_owned()))
        })
        .or_else(|| {
            let url = profile.service_setting(service, "endpoint_url")?;
            let section = profile.get(Key::Services).unwrap_or_default();
            Some((
                url,
                format!("the {service} endpoint_url of [services {section}]"),
            ))
        })
        .or_else(|| {
            let url = profile.get(Key::EndpointUrl).filter(|v| !v.is_empty())?;
            Some((url, format!("endpoint_url of profile '{}'", profile.name())))
        });
    let Some((url, from)) = configured else {
        return Ok(variants());
    };
    let url = url.trim();
    let service_name = env_suffix;
    // FIPS and dual-stack are variants of AWS's own endpoint. The AWS SDKs' endpoint rules
    // refuse them with a configured one (botocore drops them silently): refused, so that a
    // person who asked for FIPS never gets an endpoint that may not be.
    if let Some(setting) = fips.as_ref().or(dual_stack.as_ref()) {
        return Err(Error::new(format!(
            "{setting} asks for AWS's own {service_name} endpoint in its FIPS or dual-stack form, and {from} sets the endpoint {url}; the AWS SDKs refuse the two together"
        ))
        .hint("remove one: a configured endpoint is used as it is (or set AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true to use AWS's)"));
    }
    let parsed = url
        .parse::<http::Uri>()
        .ok()
        .filter(|uri| uri.host().is_some());
    let plain = url.starts_with("http://");
    let host = match parsed {
        Some(uri) if plain || url.starts_with("https://") => {
            uri.host().unwrap_or_default().to_owned()
        }
        _ => {
            return Err(Error::new(format!(
                "the {service_name} endpoint '{url}' is not an http:// or https:// URL"
            ))
            .hint(format!("fix it where it is set: {from}")));
        }
    };
    let from = if plain && !is_loopback(&host) {
        if !env
            .get(ALLOW_HTTP)
            .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
        {
            return Err(Error::new(format!(
                "the {service_name} endpoint {url} (from {from}) is plain http to another computer: the access key id, the signature and the MFA code would cross the network unencrypted, and any answer would be believed"
            ))
            .hint(format!(
                "use https://; for a local emulator on another host (LocalStack in docker compose), set {ALLOW_HTTP}=1"
            )));
        }
        format!("{from}; plain http, allowed by {ALLOW_HTTP}")
    } else {
        from
    };
    Ok(Endpoint {
        url: Some(url.to_owned()),
        fips: false,
        dual_stack: false,
        from: Some(from),
    })
}

/// A true/false setting, as the SDKs read it: the variable, else the profile's key (`true`
/// or `false`, in any case). Where it was set when true; None when false or unset. Any other
/// value is refused: the SDKs ignore it with a warning, and a person who wrote
/// AWS_USE_FIPS_ENDPOINT=1 asked for FIPS.
fn flag(profile: &Profile, env: &Env, variable: &str, key: Key) -> Result<Option<String>> {
    let key_name = key.name();
    let (value, from) = match env.get(variable) {
        Some(value) => (value, format!("{variable}={}", value.trim())),
        None => match profile.get(key) {
            Some(value) => (
                value,
                format!(
                    "{key_name} = {} in profile '{}'",
                    value.trim(),
                    profile.name()
                ),
            ),
            None => return Ok(None),
        },
    };
    match value.trim() {
        v if v.eq_ignore_ascii_case("true") => Ok(Some(from)),
        v if v.eq_ignore_ascii_case("false") => Ok(None),
        _ => Err(
            Error::new(format!("{from} is neither true nor false")).hint(format!(
                "set {variable} or {key_name} to true or false, as the AWS tools read them"
            )),
        ),
    }
}

/// The partition of a region, by its prefix, as the SDKs' partition rules match it: the
/// session core keys sessions by it, the console picks its sign-in endpoint by it.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eusc-") {
        "aws-eusc"
    } else {
        "aws"
    }
}

/// Whether a URL (http:// or https://) names this computer, as `is_loopback` reads its host.
pub fn is_local_url(url: &str) -> bool {
    url.parse::<http::Uri>()
        .ok()
        .and_then(|uri| uri.host().map(is_loopback))
        .unwrap_or(false)
}

/// Whether a URL's host is this computer: `localhost` (by name, as botocore takes it: names
/// are not resolved here), 127.0.0.0/8, or ::1 (also as ::ffff:127.x.x.x).
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return v6.parse::<std::net::Ipv6Addr>().is_ok_and(|ip| {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    }
    host.parse::<std::net::Ipv4Addr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::Profiles;

    fn profiles(config: &str, credentials: &str) -> Profiles {
        Profiles::from_texts(config, credentials).unwrap()
    }

    #[test]
    fn plain_http_only_to_this_computer_unless_allowed() {
        let p = profiles(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n",
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        );
        let endpoint = |url: &str, allow: Option<&str>| {
            let mut pairs = vec![("AWS_ENDPOINT_URL_STS", url)];
            pairs.extend(allow.map(|v| (ALLOW_HTTP, v)));
            let profile = p.get("dev").unwrap();
            endpoint(&profile, &Env::from_pairs(pairs), "sts", "STS")
        };
        for local in [
            "http://127.0.0.1:4566",
            "http://127.9.8.7",
            "http://localhost:4566/",
            "http://LOCALHOST",
            "http://[::1]:4566",
            "http://[::ffff:127.0.0.1]:4566",
            "https://sts.example.com",
            "https://10.0.0.1:8443",
        ] {
            let e = endpoint(local, None).unwrap();
            assert_eq!(e.url.as_deref(), Some(local));
            assert_eq!(e.from.as_deref(), Some("AWS_ENDPOINT_URL_STS"));
        }
        for remote in [
            "http://sts.example.com",
            "http://10.0.0.1:4566",
            "http://localstack:4566",
            "http://127.0.0.1@evil.example",
            "http://localhost.evil.example",
            "http://[::2]",
            "http://128.0.0.1",
            "http://0.0.0.0",
        ] {
            let err = endpoint(remote, None).unwrap_err().to_string();
            assert!(
                err.contains(&format!(
                    "the STS endpoint {remote} (from AWS_ENDPOINT_URL_STS) is plain http to another computer"
                )) && err.contains("set MFA_ENV_ALLOW_HTTP=1"),
                "{err}"
            );
            assert!(endpoint(remote, Some("0")).is_err(), "{remote}");
            let allowed = endpoint(remote, Some("1")).unwrap();
            assert_eq!(
                allowed.notice("STS", remote).unwrap(),
                format!(
                    "using STS endpoint {remote} (from AWS_ENDPOINT_URL_STS; plain http, allowed by MFA_ENV_ALLOW_HTTP)"
                )
            );
        }
        for not_url in [
            "localhost:4566",
            "sts.example.com",
            "ftp://x",
            "http://",
            "HTTP://x",
        ] {
            let err = endpoint(not_url, Some("1")).unwrap_err().to_string();
            assert!(
                err.contains("is not an http:// or https:// URL")
                    && err.contains("fix it where it is set: AWS_ENDPOINT_URL_STS"),
                "{err}"
            );
        }
    }

    #[test]
    fn urls_on_this_computer() {
        for local in [
            "http://127.0.0.1:4566",
            "https://127.9.8.7/",
            "http://LOCALHOST",
            "https://localhost:8443",
            "http://[::1]:4566",
            "http://[::ffff:127.0.0.1]",
        ] {
            assert!(is_local_url(local), "{local}");
        }
        for remote in [
            "https://sts.eu-west-1.amazonaws.com",
            "http://127.0.0.1@evil.example",
            "http://localhost.evil.example",
            "http://10.0.0.1",
            "http://0.0.0.0",
            "not a url",
        ] {
            assert!(!is_local_url(remote), "{remote}");
        }
    }

    #[test]
    fn fips_and_dual_stack_as_the_sdks_read_them() {
        let p = profiles(
            "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nuse_fips_endpoint = TRUE\n[profile plain]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\nuse_dualstack_endpoint = yes\n",
            "[dev]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n[plain]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = secret\n",
        );
        let endpoint = |name: &str, env: &[(&str, &str)]| {
            let env = Env::from_pairs(env.iter().copied());
            endpoint(&p.get(name).unwrap(), &env, "sts", "STS")
        };
        let e = endpoint("dev", &[]).unwrap();
        assert_eq!((e.url, e.fips, e.dual_stack), (None, true, false));
        assert_eq!(
            e.from.as_deref(),
            Some("use_fips_endpoint = TRUE in profile 'dev'")
        );
        // The variable first, even when it says false.
        let e = endpoint("dev", &[("AWS_USE_FIPS_ENDPOINT", "false")]).unwrap();
        assert_eq!(e, Endpoint::default());
        let e = endpoint(
            "dev",
            &[
                ("AWS_USE_DUALSTACK_ENDPOINT", "true"),
                ("AWS_USE_FIPS_ENDPOINT", "true"),
            ],
        )
        .unwrap();
        assert!(e.fips && e.dual_stack);
        assert_eq!(
            e.from.as_deref(),
            Some("AWS_USE_FIPS_ENDPOINT=true and AWS_USE_DUALSTACK_ENDPOINT=true")
        );
        // Neither true nor false: refused, not ignored.
        let err = endpoint("plain", &[]).unwrap_err().to_string();
        assert!(
            err.contains(
                "use_dualstack_endpoint = yes in profile 'plain' is neither true nor false"
            ),
            "{err}"
        );
        let err = endpoint("dev", &[("AWS_USE_FIPS_ENDPOINT", "1")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("AWS_USE_FIPS_ENDPOINT=1 is neither true nor false"),
            "{err}"
        );
        // With a configured endpoint: refused, as the SDKs' endpoint rules refuse it.
        let err = endpoint("dev", &[("AWS_ENDPOINT_URL", "https://vpce.example")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("use_fips_endpoint = TRUE in profile 'dev' asks for AWS's own STS endpoint in its FIPS or dual-stack form, and AWS_ENDPOINT_URL sets the endpoint https://vpce.example"),
            "{err}"
        );
        // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS leaves AWS's, in its FIPS form.
        let e = endpoint(
            "dev",
            &[
                ("AWS_ENDPOINT_URL", "https://vpce.example"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ],
        )
        .unwrap();
        assert_eq!((e.url, e.fips), (None, true));
    }
}
