//! The only code that talks to STS, and the HTTP settings IAM shares. Every call is an
//! `async fn` that runs on the caller's tokio runtime: nothing here starts a runtime or
//! blocks on one (a one-shot command blocks on its own, see `cmd::block_on`), and nothing
//! here prints; what went wrong comes back as an error (`explain.rs`).
//!
//! The client is built by hand, not by aws-config's loader: the loader would take credentials
//! from the environment, ignore `mfa_serial`, and call IMDS when a profile lacks a region.
//! Here the keys, the region and the endpoint are exactly what the caller passes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents, SharedHttpClient,
};
use aws_sdk_sts::error::BoxError;
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{SharedHttpConnector, http_client_fn};
use aws_types::SdkConfig;
use aws_types::sdk_config::SharedCredentialsProvider;

mod answer;
mod explain;

pub(crate) use answer::unlike_sts;
pub use explain::error_from_xml;
use explain::{Context, NETWORK_HINT};
pub(crate) use explain::{chain, error_code, root_cause};

use crate::error::{Error, Result};
use crate::profile::{Endpoint, LongTermKeys};
use crate::secret::Secret;

/// Time to open a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// Time one attempt may take, connection included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time the whole call may take, retries and back-off included: the bound on any wait.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts in all, for throttling, 5xx answers and dropped connections.
pub const MAX_ATTEMPTS: u32 = 3;
/// How much later than the duration asked credentials may expire. STS accepts a request
/// signed up to 5 minutes off its own clock, so the two clocks can differ by that much while
/// the answer is genuine; any more is an answer that is not STS's.
pub const EXPIRATION_SKEW: Duration = Duration::from_secs(5 * 60);

/// Credentials that sign a call: an IAM user's keys, or a session from an earlier call.
#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// What the credentials are, for what a refusal means and the fix a message names.
    pub what: Signing,
}

/// What signs a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    /// An IAM user's long-term keys, from this profile.
    Keys(String),
    /// The IAM user's own MFA session (GetSessionToken's) of this profile: its code was given
    /// earlier, and the session carries the MFA context.
    MfaSession(String),
    /// The session of this role, assumed on the way along a chain: it carries no MFA context.
    Role(String),
}

impl From<&LongTermKeys> for Signer {
    fn from(keys: &LongTermKeys) -> Self {
        Signer {
            access_key_id: keys.access_key_id.clone(),
            secret_access_key: keys.secret_access_key.clone(),
            session_token: keys.session_token().cloned(),
            what: Signing::Keys(keys.profile.clone()),
        }
    }
}

impl Signer {
    /// A session's credentials, which are `what`.
    pub fn session(s: &Session, what: Signing) -> Self {
        Signer {
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.clone(),
            session_token: Some(s.session_token.clone()),
            what,
        }
    }
}

impl Signer {
    fn redact(&self, text: &str) -> String {
        let text = self.secret_access_key.redact_from(text);
        match &self.session_token {
            Some(token) => token.redact_from(&text),
            None => text,
        }
    }
}

/// Temporary credentials from STS.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Seconds since the Unix epoch, whole seconds.
    pub expiration: i64,
}

/// The parameters of one AssumeRole call.
#[derive(Debug, Clone, Copy)]
pub struct AssumeRole<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    /// The MFA device's serial and the code.
    pub mfa: Option<(&'a str, &'a str)>,
    pub duration: Duration,
}

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// STS rejected the one-time code; a new code may succeed.
    CodeRejected(Error),
    /// Anything else; asking again would not help.
    Failed(Error),
}

/// STS in one region, at one endpoint; each call says which credentials sign it.
pub struct Sts {
    http: SharedHttpClient,
    region: String,
    configured: Endpoint,
    /// Where calls go, for messages.
    endpoint: String,
}

impl Sts {
    pub fn new(region: &str, endpoint: &Endpoint) -> Result<Sts> {
        let url = url_of(endpoint, "STS", region, |fips, dual_stack| {
            use aws_sdk_sts::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
            let params = Params::builder()
                .region(region)
                .use_fips(fips)
                .use_dual_stack(dual_stack)
                .use_global_endpoint(false)
                .build()
                .map_err(|e| e.to_string())?;
            rules_url(DefaultResolver::new().resolve_endpoint(&params))
        })?;
        Ok(Sts {
            http: http_client(endpoint.url.as_deref()),
            region: region.to_owned(),
            configured: endpoint.clone(),
            endpoint: url,
        })
    }

    /// The line that names an endpoint other than AWS's own, for the command to print before
    /// the first call.
    pub fn notice(&self) -> Option<String> {
        self.configured.notice("STS", &self.endpoint)
    }

    /// Where the endpoint was configured; None for AWS's own.
    pub fn configured_by(&self) -> Option<&str> {
        self.configured.from.as_deref()
    }

    fn client(&self, signer: &Signer) -> aws_sdk_sts::Client {
        let credentials = Credentials::new(
            &signer.access_key_id,
            signer.secret_access_key.expose(),
            signer.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "mfa-env",
        );
        aws_sdk_sts::Client::new(&sdk_config(
            credentials,
            Region::new(self.region.clone()),
            self.http.clone(),
            &self.configured,
        ))
    }

    /// GetSessionToken with an MFA code.
    pub async fn get_session_token(
        &self,
        signer: &Signer,
        serial_number: &str,
        code: &str,
        duration: Duration,
    ) -> Result<Session, CallError> {
        let call = self
            .client(signer)
            .get_session_token()
            .serial_number(serial_number)
            .token_code(code)
            .duration_seconds(seconds(duration))
            .send();
        let context = Context {
            action: "GetSessionToken",
            signer,
            role: None,
        };
        match call.await {
            Ok(out) => self.session(out.credentials(), &context, duration),
            Err(err) => Err(self.explain(&context, &err)),
        }
    }

    /// AssumeRole, with MFA when `req.mfa` is set. A call with a `deadline` (the second and
    /// later of a role chain) ends by it: the calls of a chain share one bound, so that a chain
    /// of N roles cannot take N times as long as one call.
    pub async fn assume_role(
        &self,
        signer: &Signer,
        req: &AssumeRole<'_>,
        deadline: Option<Instant>,
    ) -> Result<Session, CallError> {
        let mut call = self
            .client(signer)
            .assume_role()
            .role_arn(req.role_arn)
            .role_session_name(req.session_name)
            .duration_seconds(seconds(req.duration))
            .set_external_id(req.external_id.map(str::to_owned));
        if let Some((serial, code)) = req.mfa {
            call = call.serial_number(serial).token_code(code);
        }
        let context = Context {
            action: "AssumeRole",
            signer,
            role: Some(req),
        };
        let answer = match deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                tokio::time::timeout(left, call.send()).await
            }
            None => Ok(call.send().await),
        };
        match answer {
            Ok(Ok(out)) => self.session(out.credentials(), &context, req.duration),
            Ok(Err(err)) => Err(self.explain(&context, &err)),
            Err(_) => Err(CallError::Failed(
                Error::new(format!(
                    "no answer from STS at {} to AssumeRole {} within {}s, the time all the calls of a role chain may take",
                    self.endpoint,
                    req.role_arn,
                    OPERATION_TIMEOUT.as_secs()
                ))
                .hint(NETWORK_HINT),
            )),
        }
    }
}

/// The HTTP client: rustls with ring, and the proxy from HTTPS_PROXY, HTTP_PROXY, ALL_PROXY
/// and NO_PROXY as the AWS CLI honours them. One connector serves every call (their settings
/// are the same), so a role chain reuses its connection.
///
/// An endpoint on this computer is never reached through a proxy, whatever NO_PROXY says (the
/// SDKs' convention for localhost): plain http is allowed there because it never leaves this
/// computer, and a proxy would carry the code, the key id and the signature in clear to
/// wherever it runs. Plain http to another host exists only where MFA_ENV_ALLOW_HTTP allowed it
/// (`profile::endpoint`), so only then does a plain-http request reach a proxy.
///
/// A plain-http endpoint (a local STS) needs no TLS: loading the system's root certificates
/// is 88% of the instructions of a run against one (measured with callgrind), so it is skipped.
pub(crate) fn http_client(endpoint_url: Option<&str>) -> SharedHttpClient {
    let tls = endpoint_url.is_none_or(|url| url.starts_with("https://"));
    let local = endpoint_url.is_some_and(crate::profile::is_local_url);
    let connector: Mutex<Option<SharedHttpConnector>> = Mutex::new(None);
    http_client_fn(move |settings, components| {
        let mut cached = connector.lock().unwrap_or_else(PoisonError::into_inner);
        cached
            .get_or_insert_with(|| {
                let mut builder = Connector::builder()
                    .connector_settings(settings.clone())
                    .proxy_config(if local {
                        ProxyConfig::disabled()
                    } else {
                        ProxyConfig::from_env()
                    });
                builder.set_sleep_impl(components.sleep_impl());
                SharedHttpConnector::new(if tls {
                    builder
                        .tls_provider(Provider::Rustls(CryptoMode::Ring))
                        .build()
                } else {
                    builder.build_http()
                })
            })
            .clone()
    })
}

fn seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

/// Who a pair of keys belongs to.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `arn:aws:iam::123456789012:user/alice`
    pub arn: String,
    pub account: String,
}

/// What a GetCallerIdentity call showed about the connection, for `doctor`.
#[derive(Debug)]
pub struct Probe {
    /// Whether any HTTP answer came back (an error answer counts).
    pub answered: bool,
    /// The answer's Date header, in seconds since the epoch, when it had a readable one.
    pub server_time: Option<i64>,
    pub identity: Result<Identity>,
}

impl Sts {
    /// Where the calls go: the configured endpoint or the regional one.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// GetCallerIdentity: who the keys belong to. It needs no MFA and no permission.
    pub async fn get_caller_identity(&self, signer: &Signer) -> Result<Identity> {
        self.probe(signer).await.identity
    }

    /// GetCallerIdentity, also noting whether STS answered at all and its clock.
    pub async fn probe(&self, signer: &Signer) -> Probe {
        let seen = DateHeader::default();
        let call = self
            .client(signer)
            .get_caller_identity()
            .customize()
            .interceptor(seen.clone())
            .send();
        let context = Context {
            action: "GetCallerIdentity",
            signer,
            role: None,
        };
        let identity = match call.await {
            Ok(out) => Ok(Identity {
                arn: out.arn().unwrap_or_default().to_owned(),
                account: out.account().unwrap_or_default().to_owned(),
            }),
            Err(err) => Err(match self.explain(&context, &err) {
                CallError::CodeRejected(e) | CallError::Failed(e) => e,
            }),
        };
        let date = seen.0.lock().map(|d| d.clone()).unwrap_or_default();
        Probe {
            answered: date.is_some(),
            server_time: date.flatten().and_then(|text| {
                aws_sdk_sts::primitives::DateTime::from_str(
                    &text,
                    aws_sdk_sts::primitives::DateTimeFormat::HttpDate,
                )
                .ok()
                .map(|t| t.secs())
            }),
            identity,
        }
    }
}

/// Notes the Date header of the last HTTP answer: `Some(None)` when an answer had none.
#[derive(Debug, Default, Clone)]
struct DateHeader(Arc<Mutex<Option<Option<String>>>>);

impl Intercept for DateHeader {
    fn name(&self) -> &'static str {
        "mfa-env date header"
    }

    fn read_after_transmit(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> std::result::Result<(), BoxError> {
        let date = context.response().headers().get("date").map(str::to_owned);
        if let Ok(mut seen) = self.0.lock() {
            *seen = Some(date);
        }
        Ok(())
    }
}

/// The settings of every AWS client (STS, and IAM for `setup`): exactly these keys, region
/// and endpoint, nothing from the environment; the bounds on every call; standard retries.
pub(crate) fn sdk_config(
    credentials: Credentials,
    region: Region,
    http: SharedHttpClient,
    endpoint: &Endpoint,
) -> SdkConfig {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    let mut config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(http)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .use_fips(endpoint.fips)
        .use_dual_stack(endpoint.dual_stack);
    config.set_endpoint_url(endpoint.url.clone());
    config.build()
}

/// Where calls go: the configured URL, else AWS's own endpoint for `region` as the service's
/// endpoint rules build it, the FIPS and dual-stack forms included (`rules(fips, dual_stack)`
/// runs the service's resolver, the one its client uses).
pub(crate) fn url_of(
    endpoint: &Endpoint,
    service: &str,
    region: &str,
    rules: impl FnOnce(bool, bool) -> std::result::Result<String, String>,
) -> Result<String> {
    if let Some(url) = &endpoint.url {
        return Ok(url.clone());
    }
    rules(endpoint.fips, endpoint.dual_stack).map_err(|why| {
        let from = endpoint.from.as_deref().unwrap_or("the region");
        Error::new(format!(
            "AWS has no {service} endpoint for {region} as {from} asks ({why})"
        ))
        .hint("pick another region with --region, or turn the FIPS or dual-stack setting off")
    })
}

/// The URL an endpoint resolver answered; its rules answer at once.
pub(crate) fn rules_url(
    resolved: aws_sdk_sts::config::endpoint::EndpointFuture<'_>,
) -> std::result::Result<String, String> {
    match crate::profile::ready(resolved) {
        Some(Ok(endpoint)) => Ok(endpoint.url().to_owned()),
        Some(Err(why)) => Err(why.to_string()),
        None => Err("the endpoint rules did not answer".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Secret, Session, Signer, Signing, Sts};
    use crate::profile::Endpoint;

    #[test]
    fn aws_endpoints_as_the_sdk_builds_them() {
        let url = |region: &str, fips: bool, dual_stack: bool| {
            let endpoint = Endpoint {
                fips,
                dual_stack,
                from: Some("a test".into()),
                ..Endpoint::default()
            };
            Sts::new(region, &endpoint).map(|sts| sts.endpoint().to_owned())
        };
        let cases = [
            (
                "eu-west-1",
                false,
                false,
                "https://sts.eu-west-1.amazonaws.com",
            ),
            (
                "us-east-1",
                true,
                false,
                "https://sts-fips.us-east-1.amazonaws.com",
            ),
            ("us-east-1", false, true, "https://sts.us-east-1.api.aws"),
            (
                "us-east-1",
                true,
                true,
                "https://sts-fips.us-east-1.api.aws",
            ),
            (
                "cn-north-1",
                false,
                false,
                "https://sts.cn-north-1.amazonaws.com.cn",
            ),
            (
                "us-gov-west-1",
                true,
                false,
                "https://sts.us-gov-west-1.amazonaws.com",
            ),
        ];
        for (region, fips, dual_stack, want) in cases {
            assert_eq!(
                url(region, fips, dual_stack).unwrap(),
                want,
                "{region} {fips} {dual_stack}"
            );
        }
        // A configured URL is used as it is.
        let configured = Endpoint {
            url: Some("http://127.0.0.1:4566".into()),
            ..Endpoint::default()
        };
        assert_eq!(
            Sts::new("eu-west-1", &configured).unwrap().endpoint(),
            "http://127.0.0.1:4566"
        );
    }

    /// A call runs on the caller's runtime: a long-running process (the agent) calls STS from
    /// inside its own, where a runtime started here would panic. Its futures are Send, so the
    /// agent may run them on any of its threads.
    #[test]
    fn calls_run_on_the_callers_runtime() {
        fn send<T: Send>(_: &T) {}
        let closed = Endpoint {
            url: Some("http://127.0.0.1:1".into()),
            from: Some("a test".into()),
            ..Endpoint::default()
        };
        let sts = Sts::new("eu-west-1", &closed).unwrap();
        let signer = Signer {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: Secret::new("secret"),
            session_token: None,
            what: Signing::Keys("dev".into()),
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = runtime.block_on(async {
            let call = sts.get_caller_identity(&signer);
            send(&call);
            call.await.unwrap_err()
        });
        assert!(
            err.message()
                .starts_with("cannot reach STS at http://127.0.0.1:1: "),
            "{err}"
        );
        send(&sts.get_session_token(
            &signer,
            "serial",
            "123456",
            std::time::Duration::from_secs(900),
        ));
    }

    #[test]
    fn debug_of_signers_and_sessions_shows_no_secret() {
        let session = Session {
            access_key_id: "ASIAKEY".into(),
            secret_access_key: Secret::new("session-secret-value"),
            session_token: Secret::new("session-token-value"),
            expiration: 0,
        };
        let signer = Signer::session(&session, Signing::MfaSession("dev".into()));
        let shown = format!("{session:?} {session:#?} {signer:?} {signer:#?}");
        assert!(shown.contains("ASIAKEY"), "{shown}");
        assert!(!shown.contains("session-secret-value") && !shown.contains("session-token-value"));
        assert_eq!(
            signer.redact("echo session-secret-value and session-token-value"),
            "echo <redacted> and <redacted>"
        );
    }
}
