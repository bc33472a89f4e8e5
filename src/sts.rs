//! The only code that talks to AWS. Everything async lives here, behind blocking calls.
//!
//! The client is built by hand, not by aws-config's loader: the loader would take credentials
//! from the environment, ignore `mfa_serial`, and call IMDS when a profile lacks a region.
//! Here the keys, the region and the endpoint are exactly what the caller passes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents, SharedHttpClient,
};
use aws_sdk_sts::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

use crate::error::{Error, Result};
use crate::profile::LongTermKeys;
use crate::secret::Secret;

/// Time to open a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);
/// Time one attempt may take, connection included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time the whole call may take, retries and back-off included: the bound on any wait.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(15);
/// Attempts in all, for throttling, 5xx answers and dropped connections.
pub const MAX_ATTEMPTS: u32 = 3;

const NOT_STS_HINT: &str = "check that the endpoint URL (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, endpoint_url) points at STS, and any proxy in between";

/// Temporary credentials from STS.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Secret,
    /// Seconds since the Unix epoch, whole seconds.
    pub expiration: i64,
}

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// STS rejected the one-time code; a new code may succeed.
    CodeRejected(Error),
    /// Anything else; asking again would not help.
    Failed(Error),
}

pub struct Sts {
    client: aws_sdk_sts::Client,
    runtime: tokio::runtime::Runtime,
    access_key_id: String,
    secret: Secret,
    /// Where calls go, for messages.
    endpoint: String,
}

impl Sts {
    pub fn new(keys: &LongTermKeys, region: &str, endpoint_url: Option<&str>) -> Result<Sts> {
        if let Some(url) = endpoint_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(Error::new(format!(
                "the STS endpoint '{url}' is not an http:// or https:// URL"
            ))
            .hint("fix AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL or the profile's endpoint_url"));
        }
        let runtime = runtime()?;
        let credentials = Credentials::new(
            &keys.access_key_id,
            keys.secret_access_key.expose(),
            None,
            None,
            "mfa-env",
        );
        let mut config = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .credentials_provider(credentials)
            .http_client(http_client())
            .timeout_config(timeouts())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
        if let Some(url) = endpoint_url {
            config = config.endpoint_url(url);
        }
        let endpoint = endpoint_url.map_or_else(
            || format!("https://sts.{region}.amazonaws.com"),
            str::to_owned,
        );
        Ok(Sts {
            client: aws_sdk_sts::Client::from_conf(config.build()),
            runtime,
            access_key_id: keys.access_key_id.clone(),
            secret: keys.secret_access_key.clone(),
            endpoint,
        })
    }

    /// GetSessionToken with an MFA code.
    pub fn get_session_token(
        &self,
        serial_number: &str,
        code: &str,
        duration: Duration,
    ) -> Result<Session, CallError> {
        let call = self
            .client
            .get_session_token()
            .serial_number(serial_number)
            .token_code(code)
            .duration_seconds(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX))
            .send();
        match self.runtime.block_on(call) {
            Ok(out) => self.session(out.credentials(), "GetSessionToken"),
            Err(err) => Err(self.explain("GetSessionToken", &err)),
        }
    }

    fn session(
        &self,
        creds: Option<&aws_sdk_sts::types::Credentials>,
        action: &str,
    ) -> Result<Session, CallError> {
        let creds = creds.ok_or_else(|| {
            CallError::Failed(Error::new(format!(
                "STS at {} answered {action} without credentials",
                self.endpoint
            )))
        })?;
        Ok(Session {
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: Secret::new(creds.secret_access_key()),
            session_token: Secret::new(creds.session_token()),
            expiration: creds.expiration().secs(),
        })
    }

    /// Turn an SDK error into what happened and what to do.
    fn explain<E>(&self, action: &str, err: &SdkError<E, HttpResponse>) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let endpoint = &self.endpoint;
        let chain = |e: &dyn std::error::Error| self.secret.redact_from(&chain(e));
        let error = match err {
            SdkError::ServiceError(service) => {
                let e = service.err();
                let Some(code) = e.code() else {
                    // No error code: the body was not an STS answer (a proxy's or a captive
                    // portal's page, or a server that is not STS).
                    return CallError::Failed(Error::new(format!(
                        "STS at {endpoint} sent an answer that is not an STS response (HTTP {})",
                        service.raw().status().as_u16()
                    ))
                    .hint(NOT_STS_HINT));
                };
                let message = self.secret.redact_from(e.message().unwrap_or("").trim());
                return self.explain_service(action, code, &message);
            }
            SdkError::TimeoutError(_) => Error::new(format!(
                "no answer from STS at {endpoint} within {}s ({MAX_ATTEMPTS} attempts)",
                OPERATION_TIMEOUT.as_secs()
            ))
            .hint("check your network connection, proxy or VPN, and the region or endpoint URL"),
            SdkError::DispatchFailure(failure) => {
                // The innermost cause says it best ("Connection refused (os error 111)");
                // the layers above it only name the HTTP stack's parts.
                let cause = self.secret.redact_from(&root_cause(err));
                let what = if failure.is_timeout() {
                    format!("timed out connecting to STS at {endpoint}")
                } else {
                    format!("cannot reach STS at {endpoint}: {cause}")
                };
                Error::new(what).hint(
                    "check your network connection, proxy or VPN, and the region or endpoint URL (AWS_ENDPOINT_URL_STS, endpoint_url)",
                )
            }
            SdkError::ResponseError(_) => Error::new(format!(
                "STS at {endpoint} sent an answer that is not an STS response: {}",
                chain(err)
            ))
            .hint(NOT_STS_HINT),
            SdkError::ConstructionFailure(_) => {
                Error::new(format!("cannot build the {action} request: {}", chain(err)))
                    .hint("check the region and the endpoint URL")
            }
            _ => Error::new(format!("{action} failed: {}", chain(err))),
        };
        CallError::Failed(error)
    }

    fn explain_service(&self, action: &str, code: &str, message: &str) -> CallError {
        let key = &self.access_key_id;
        let said = if message.is_empty() {
            code.to_owned()
        } else {
            format!("{code}: {message}")
        };
        let failed = |what: String, hint: &str| CallError::Failed(Error::new(what).hint(hint));
        match code {
            "AccessDenied" if message.contains("MultiFactorAuthentication") => {
                if message.contains("serial") {
                    failed(
                        format!("STS could not check the code against this MFA device ({said})"),
                        "check that mfa_serial is the ARN of an MFA device assigned to this IAM user (IAM console > Users > Security credentials)",
                    )
                } else {
                    CallError::CodeRejected(
                        Error::new(format!("STS rejected the MFA code ({said})")).hint(
                            "a code works once and only while it is shown; wait for the next code",
                        ),
                    )
                }
            }
            "AccessDenied" => failed(
                format!("STS denied {action} ({said})"),
                &format!("the identity's IAM policy must allow sts:{action}"),
            ),
            "InvalidClientTokenId" => failed(
                format!("AWS does not know the access key {key} ({said})"),
                "the key is wrong, deleted or deactivated: create a new key in the IAM console and store it with `aws configure --profile NAME`",
            ),
            "SignatureDoesNotMatch" if message.contains("expired") => clock_skew(&said),
            "SignatureDoesNotMatch" => failed(
                format!("the secret access key does not belong to access key {key} ({said})"),
                "re-enter the secret with `aws configure --profile NAME`; copy it without spaces",
            ),
            "RequestExpired" | "RequestTimeTooSkewed" | "InvalidSignatureException" => {
                clock_skew(&said)
            }
            "ExpiredToken" | "InvalidToken" => failed(
                format!("STS refused the credentials as session credentials ({said})"),
                "GetSessionToken and AssumeRole with MFA need an IAM user's long-term keys (AKIA...)",
            ),
            "RegionDisabledException" => failed(
                format!("STS is not activated in this region ({said})"),
                "activate the region in IAM > Account settings, or pick another with --region",
            ),
            "Throttling" | "ThrottlingException" | "RequestLimitExceeded" => failed(
                format!("STS is throttling requests ({said}), even after {MAX_ATTEMPTS} attempts"),
                "wait a minute and try again",
            ),
            _ => failed(
                format!("STS refused {action} ({said})"),
                "the message above is STS's own; check the profile's keys, mfa_serial and duration",
            ),
        }
    }
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
    pub fn get_caller_identity(&self) -> Result<Identity> {
        self.probe().identity
    }

    /// GetCallerIdentity, also noting whether STS answered at all and its clock.
    pub fn probe(&self) -> Probe {
        let seen = DateHeader::default();
        let call = self
            .client
            .get_caller_identity()
            .customize()
            .interceptor(seen.clone())
            .send();
        let identity = match self.runtime.block_on(call) {
            Ok(out) => Ok(Identity {
                arn: out.arn().unwrap_or_default().to_owned(),
                account: out.account().unwrap_or_default().to_owned(),
            }),
            Err(err) => Err(match self.explain("GetCallerIdentity", &err) {
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

/// The network runtime behind the blocking calls.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the network runtime: {e}")))
}

/// The HTTP client of every AWS call: rustls with ring, one TLS stack for STS and IAM.
pub(crate) fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The bounds on every AWS call.
pub(crate) fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

fn clock_skew(said: &str) -> CallError {
    CallError::Failed(
        Error::new(format!("STS says this computer's clock is wrong ({said})"))
            .hint("set the clock right (enable NTP: `timedatectl set-ntp true`), then try again"),
    )
}

pub(crate) fn root_cause(err: &dyn std::error::Error) -> String {
    let mut last = err;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// An error and its causes, joined, as one line.
pub(crate) fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
