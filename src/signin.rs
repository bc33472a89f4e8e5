//! The AWS console's federation endpoint: a role session's credentials exchanged for a sign-in
//! token (`getSigninToken`), and the login URL built from it (`Action=login`). Network code,
//! beside `sts/` and `iam.rs`, on the same HTTP settings: rustls with ring, the proxy from the
//! environment (never for this computer), a connect timeout, a read timeout and one bound on
//! the whole call.
//!
//! What AWS documents ("Enable custom identity broker access to the AWS console", IAM User
//! Guide): the endpoint is `https://REGION.signin.aws.amazon.com/federation` (us-east-1's is
//! `https://signin.aws.amazon.com/federation`, the default); it takes `Action=getSigninToken`
//! and `Session`, the JSON `{"sessionId","sessionKey","sessionToken"}` of AssumeRole (or
//! GetFederationToken) credentials, and answers `{"SigninToken": ...}`; the browser then opens
//! the same endpoint with `Action=login`, `Issuer`, `Destination` and `SigninToken`, a URL good
//! for 15 minutes. `SessionDuration` is optional and is never sent here: the role sessions
//! mfa-env opens from a held MFA session are role chaining (AssumeRole with temporary
//! credentials), for which the page says the federation call fails when a duration is asked,
//! and without it the console session lasts as long as the role session.

use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;

use crate::env::Env;
use crate::error::{Error, Result};
use crate::profile::{ALLOW_HTTP, is_local_url, partition};
use crate::secret::Secret;
use crate::sts::{ATTEMPT_TIMEOUT, CONNECT_TIMEOUT, OPERATION_TIMEOUT, Session};

/// The variable that replaces the federation endpoint (tests, emulators).
pub const SIGNIN_URL_VAR: &str = "MFA_ENV_SIGNIN_URL";
/// What the login URL names as the issuer: the console's "sign in again" link goes there.
pub const ISSUER: &str = "mfa-env";
/// An answer beyond this is not a sign-in token.
const MAX_ANSWER: usize = 64 * 1024;

/// The federation endpoint of one partition, or the one MFA_ENV_SIGNIN_URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Federation {
    /// `https://signin.aws.amazon.com/federation`, or the configured URL.
    pub url: String,
    /// Where the URL was set; None for AWS's own.
    pub from: Option<String>,
}

impl Federation {
    /// The endpoint for a session of `region`: MFA_ENV_SIGNIN_URL (plain http only to this
    /// computer, unless MFA_ENV_ALLOW_HTTP allows it), else the partition's.
    pub fn for_region(region: &str, env: &Env) -> Result<Federation> {
        if let Some(url) = env.get(SIGNIN_URL_VAR).map(str::trim) {
            check_url(url, SIGNIN_URL_VAR, env)?;
            return Ok(Federation {
                url: url.to_owned(),
                from: Some(SIGNIN_URL_VAR.to_owned()),
            });
        }
        let url = match partition(region) {
            "aws" if region == "us-east-1" => "https://signin.aws.amazon.com/federation".to_owned(),
            "aws" => format!("https://{region}.signin.aws.amazon.com/federation"),
            "aws-cn" => "https://signin.amazonaws.cn/federation".to_owned(),
            "aws-us-gov" => "https://signin.amazonaws-us-gov.com/federation".to_owned(),
            other => {
                return Err(Error::new(format!(
                    "mfa-env knows no console sign-in endpoint for {region} (partition {other})"
                ))
                .hint(format!(
                    "set {SIGNIN_URL_VAR} to the partition's federation endpoint (https://.../federation)"
                )));
            }
        };
        Ok(Federation { url, from: None })
    }

    /// The line that names an endpoint other than AWS's own.
    pub fn notice(&self) -> Option<String> {
        let from = self.from.as_deref()?;
        Some(format!(
            "using the sign-in endpoint {} (from {from})",
            self.url
        ))
    }

    /// The sign-in token for a role session's credentials.
    pub async fn signin_token(&self, session: &Session) -> Result<Secret> {
        let json = serde_json::json!({
            "sessionId": session.access_key_id,
            "sessionKey": session.secret_access_key.expose(),
            "sessionToken": session.session_token.expose(),
        })
        .to_string();
        let json = Secret::new(json);
        let url = Secret::new(format!(
            "{}{}Action=getSigninToken&Session={}",
            self.url,
            query_joint(&self.url),
            form_encode(json.expose())
        ));
        let redact = |text: &str| {
            let text = session.secret_access_key.redact_from(text);
            session.session_token.redact_from(&text)
        };
        let answer = tokio::time::timeout(OPERATION_TIMEOUT, self.get(&url)).await;
        let (status, body) = match answer {
            Ok(Ok(answer)) => answer,
            Ok(Err(Failed::TimedOut)) => {
                return Err(Error::new(format!(
                    "no answer from the sign-in endpoint {} within {}s",
                    self.url,
                    ATTEMPT_TIMEOUT.as_secs()
                ))
                .hint("check the network (and HTTPS_PROXY), then try again; the role session itself was opened"));
            }
            Ok(Err(Failed::Other(e))) => {
                return Err(Error::new(format!(
                    "cannot reach the sign-in endpoint {}: {}",
                    self.url,
                    redact(&e)
                ))
                .hint("check the network (and HTTPS_PROXY); the role session itself was opened"));
            }
            Err(_) => {
                return Err(Error::new(format!(
                    "no answer from the sign-in endpoint {} within {}s",
                    self.url,
                    OPERATION_TIMEOUT.as_secs()
                ))
                .hint("check the network (and HTTPS_PROXY), then try again"));
            }
        };
        let text = String::from_utf8_lossy(&body);
        if status == 200
            && let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(token) = value.get("SigninToken").and_then(|t| t.as_str())
            && !token.is_empty()
            && token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Ok(Secret::new(token));
        }
        // What the endpoint says, kept short and printable; it never holds the token (there
        // is none), and the session's secret and token are taken out in case it echoes them.
        let said: String = redact(text.trim())
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        let said = if said.is_empty() {
            String::new()
        } else {
            format!(": {said}")
        };
        Err(Error::new(format!(
            "the sign-in endpoint {} refused the role session (HTTP {status}){said}",
            self.url
        ))
        .hint("the console takes role sessions (AssumeRole) only; check that the role's session is still valid"))
    }

    /// One GET with a body of at most MAX_ANSWER: (status, body), or why it failed (without
    /// the URL, which holds the session's secret).
    async fn get(&self, url: &Secret) -> std::result::Result<(u16, Vec<u8>), Failed> {
        let request = http::Request::builder()
            .method("GET")
            .uri(url.expose())
            .header("accept", "application/json")
            .header("user-agent", concat!("mfa-env/", env!("CARGO_PKG_VERSION")))
            .body(SdkBody::empty())
            .map_err(|_| Failed::Other("its URL is not valid".to_owned()))?;
        let request = HttpRequest::try_from(request)
            .map_err(|_| Failed::Other("its URL is not valid".to_owned()))?;
        let response = connector(&self.url).call(request).await.map_err(|e| {
            if e.is_timeout() {
                Failed::TimedOut
            } else {
                Failed::Other(crate::sts::root_cause(&e))
            }
        })?;
        let status = response.status().as_u16();
        let mut stream = ByteStream::new(response.into_body());
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Failed::Other(crate::sts::root_cause(&e)))?;
            body.extend_from_slice(&chunk);
            if body.len() > MAX_ANSWER {
                return Err(Failed::Other(format!(
                    "it answered more than {MAX_ANSWER} bytes"
                )));
            }
        }
        Ok((status, body))
    }

    /// The URL the browser opens: the endpoint with `Action=login`, the issuer, the
    /// destination and the token.
    pub fn login_url(&self, destination: &str, token: &Secret) -> Secret {
        Secret::new(format!(
            "{}{}Action=login&Issuer={}&Destination={}&SigninToken={}",
            self.url,
            query_joint(&self.url),
            form_encode(ISSUER),
            form_encode(destination),
            form_encode(token.expose())
        ))
    }
}

/// Why the one GET failed, without the URL (which holds the session's secret).
enum Failed {
    /// No answer within the read timeout.
    TimedOut,
    Other(String),
}

/// The connector for one call: as STS's (`sts::http_client`), with a read timeout of its own
/// since no SDK operation bounds it here.
fn connector(url: &str) -> Connector {
    let settings = HttpConnectorSettings::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(ATTEMPT_TIMEOUT)
        .build();
    let builder = Connector::builder()
        .connector_settings(settings)
        .proxy_config(if is_local_url(url) {
            ProxyConfig::disabled()
        } else {
            ProxyConfig::from_env()
        });
    if url.starts_with("https://") {
        builder
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build()
    } else {
        builder.build_http()
    }
}

/// The console page a session of `region` opens on: `service`'s (`s3` ->
/// `https://console.aws.amazon.com/s3/home?region=REGION`), else the console's home, on the
/// partition's console host.
pub fn console_page(region: &str, service: Option<&str>) -> Result<String> {
    let host = match partition(region) {
        "aws" => "console.aws.amazon.com",
        "aws-cn" => "console.amazonaws.cn",
        "aws-us-gov" => "console.amazonaws-us-gov.com",
        other => {
            return Err(Error::new(format!(
                "mfa-env knows no console address for {region} (partition {other})"
            ))
            .hint("pass the page to open with --destination URL"));
        }
    };
    let path = match service {
        None => "console".to_owned(),
        Some(name) => {
            let name = name.to_ascii_lowercase();
            let valid = name.starts_with(|c: char| c.is_ascii_alphanumeric())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && name.len() <= 64;
            if !valid {
                return Err(Error::new(format!(
                    "'{}' is not a console service name (such as s3, ec2, iam, lambda)",
                    crate::error::printable(&name)
                ))
                .hint("name the service as the console's URLs do, or pass the page with --destination URL"));
            }
            name
        }
    };
    Ok(format!("https://{host}/{path}/home?region={region}"))
}

/// `?` before the first parameter, `&` when the URL has a query already.
fn query_joint(url: &str) -> &'static str {
    if url.contains('?') { "&" } else { "?" }
}

/// A URL (`what` says where it was set) as the plain-http rule of STS endpoints allows it:
/// http:// or https://, plain http only to this computer unless MFA_ENV_ALLOW_HTTP allows it.
pub fn check_url(url: &str, what: &str, env: &Env) -> Result<()> {
    let parsed = url
        .parse::<http::Uri>()
        .ok()
        .filter(|uri| uri.host().is_some());
    let plain = url.starts_with("http://");
    if parsed.is_none() || !(plain || url.starts_with("https://")) {
        return Err(
            Error::new(format!("{what} '{url}' is not an http:// or https:// URL"))
                .hint(format!("fix {what}")),
        );
    }
    let allowed = env
        .get(ALLOW_HTTP)
        .is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    if plain && !is_local_url(url) && !allowed {
        return Err(Error::new(format!(
            "{what} {url} is plain http to another computer: the role session's keys and the sign-in token would cross the network unencrypted"
        ))
        .hint(format!(
            "use https://; for a local emulator on another host, set {ALLOW_HTTP}=1"
        )));
    }
    Ok(())
}

/// `application/x-www-form-urlencoded`, as Python's `quote_plus` writes it: letters, digits
/// and `-._~` as they are, space as `+`, every other byte as `%XX`.
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn each_partition_has_its_endpoint_and_regions_their_own() {
        let url = |region: &str| Federation::for_region(region, &env(&[])).unwrap().url;
        assert_eq!(url("us-east-1"), "https://signin.aws.amazon.com/federation");
        assert_eq!(
            url("eu-west-1"),
            "https://eu-west-1.signin.aws.amazon.com/federation"
        );
        assert_eq!(url("cn-north-1"), "https://signin.amazonaws.cn/federation");
        assert_eq!(
            url("us-gov-west-1"),
            "https://signin.amazonaws-us-gov.com/federation"
        );
        let e = Federation::for_region("us-iso-east-1", &env(&[])).unwrap_err();
        assert!(e.message().contains("aws-iso"), "{}", e.message());
        assert!(
            Federation::for_region("eu-west-1", &env(&[]))
                .unwrap()
                .notice()
                .is_none()
        );
    }

    #[test]
    fn the_variable_replaces_it_under_the_plain_http_rule() {
        let local = env(&[(SIGNIN_URL_VAR, "http://127.0.0.1:8080/federation")]);
        let f = Federation::for_region("eu-west-1", &local).unwrap();
        assert_eq!(f.url, "http://127.0.0.1:8080/federation");
        assert_eq!(
            f.notice().unwrap(),
            "using the sign-in endpoint http://127.0.0.1:8080/federation (from MFA_ENV_SIGNIN_URL)"
        );
        let remote = env(&[(SIGNIN_URL_VAR, "http://signin.example.com/federation")]);
        let e = Federation::for_region("eu-west-1", &remote).unwrap_err();
        assert!(e.message().contains("plain http"), "{}", e.message());
        let allowed = env(&[
            (SIGNIN_URL_VAR, "http://signin.example.com/federation"),
            (ALLOW_HTTP, "1"),
        ]);
        assert!(Federation::for_region("eu-west-1", &allowed).is_ok());
        let bad = env(&[(SIGNIN_URL_VAR, "ftp://127.0.0.1/federation")]);
        assert!(Federation::for_region("eu-west-1", &bad).is_err());
    }

    #[test]
    fn services_open_on_the_partitions_console() {
        let page = |region: &str, service| console_page(region, service).unwrap();
        assert_eq!(
            page("eu-west-1", Some("s3")),
            "https://console.aws.amazon.com/s3/home?region=eu-west-1"
        );
        assert_eq!(
            page("us-east-1", None),
            "https://console.aws.amazon.com/console/home?region=us-east-1"
        );
        assert_eq!(
            page("cn-northwest-1", Some("EC2")),
            "https://console.amazonaws.cn/ec2/home?region=cn-northwest-1"
        );
        assert_eq!(
            page("us-gov-east-1", Some("iam")),
            "https://console.amazonaws-us-gov.com/iam/home?region=us-gov-east-1"
        );
        for bad in ["s3/../x", "", "-s3", "s3?x=1", "ec2 home"] {
            assert!(console_page("eu-west-1", Some(bad)).is_err(), "{bad}");
        }
        assert!(console_page("us-iso-east-1", None).is_err());
    }

    #[test]
    fn form_encoding_is_quote_plus() {
        assert_eq!(
            form_encode(r#"{"a": "b/c+d=="}"#),
            "%7B%22a%22%3A+%22b%2Fc%2Bd%3D%3D%22%7D"
        );
        assert_eq!(
            form_encode("https://x.test/s3/home?region=eu-west-1"),
            "https%3A%2F%2Fx.test%2Fs3%2Fhome%3Fregion%3Deu-west-1"
        );
    }

    #[test]
    fn the_login_url_has_the_issuer_destination_and_token() {
        let f = Federation {
            url: "https://signin.aws.amazon.com/federation".into(),
            from: None,
        };
        let url = f.login_url(
            "https://console.aws.amazon.com/s3/home?region=eu-west-1",
            &Secret::new("tok-en_1"),
        );
        assert_eq!(
            url.expose(),
            "https://signin.aws.amazon.com/federation?Action=login&Issuer=mfa-env&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2Fhome%3Fregion%3Deu-west-1&SigninToken=tok-en_1"
        );
    }
}
