//! The only code that talks to AWS. Everything async lives here, behind blocking calls.
//!
//! The client is built by hand, not by aws-config's loader: the loader would take credentials
//! from the environment, ignore `mfa_serial`, and call IMDS when a profile lacks a region.
//! Here the keys, the region and the endpoint are exactly what the caller passes.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents, SharedHttpClient,
};
use aws_sdk_sts::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{SharedHttpConnector, http_client_fn};
use aws_smithy_runtime_api::client::result::ServiceError;
use aws_types::SdkConfig;
use aws_types::sdk_config::SharedCredentialsProvider;

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

const NETWORK_HINT: &str = "check your network connection, proxy or VPN, and the region or endpoint URL (AWS_ENDPOINT_URL_STS, endpoint_url)";
const NOT_STS_HINT: &str = "check that the endpoint URL (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, endpoint_url) points at STS, and any proxy in between";

/// Credentials that sign a call: an IAM user's keys, or a session from an earlier call.
#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// The profile that holds long-term keys, for the fix a message names.
    pub profile: Option<String>,
}

impl From<&LongTermKeys> for Signer {
    fn from(keys: &LongTermKeys) -> Self {
        Signer {
            access_key_id: keys.access_key_id.clone(),
            secret_access_key: keys.secret_access_key.clone(),
            session_token: None,
            profile: Some(keys.profile.clone()),
        }
    }
}

impl From<&Session> for Signer {
    fn from(s: &Session) -> Self {
        Signer {
            access_key_id: s.access_key_id.clone(),
            secret_access_key: s.secret_access_key.clone(),
            session_token: Some(s.session_token.clone()),
            profile: None,
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
    runtime: tokio::runtime::Runtime,
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
            runtime: runtime()?,
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
    pub fn get_session_token(
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
        match self.runtime.block_on(call) {
            Ok(out) => self.session(out.credentials(), &context, duration),
            Err(err) => Err(self.explain(&context, &err)),
        }
    }

    /// AssumeRole, with MFA when `req.mfa` is set. A call with a `deadline` (the second and
    /// later of a role chain) ends by it: the calls of a chain share one bound, so that a chain
    /// of N roles cannot take N times as long as one call.
    pub fn assume_role(
        &self,
        signer: &Signer,
        req: &AssumeRole,
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
                // The timer is made inside the runtime, which drives it.
                let send = call.send();
                self.runtime
                    .block_on(async { tokio::time::timeout(left, send).await })
            }
            None => Ok(self.runtime.block_on(call.send())),
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

    /// The credentials of an answer, if they are what STS sends for a call that asked for
    /// `asked`.
    fn session(
        &self,
        creds: Option<&aws_sdk_sts::types::Credentials>,
        context: &Context,
        asked: Duration,
    ) -> Result<Session, CallError> {
        let creds = creds.ok_or_else(|| {
            CallError::Failed(Error::new(format!(
                "STS at {} answered {} without credentials",
                self.endpoint, context.action
            )))
        })?;
        // Only what STS sends is exported: a value that could not come from STS (a quote,
        // a `;`, a space, a NUL) is refused before anything is printed, so a shell detected
        // wrongly can never read a value as code (the quoters are exact for any value, but
        // only for the shell they quote for).
        let fields = [
            ("AccessKeyId", creds.access_key_id()),
            ("SecretAccessKey", creds.secret_access_key()),
            ("SessionToken", creds.session_token()),
        ];
        for (field, value) in fields {
            if let Some(why) = unlike_sts(field, value) {
                return Err(CallError::Failed(
                    Error::new(format!(
                        "STS at {} answered {} with a {field} that {why}; nothing was exported",
                        self.endpoint, context.action
                    ))
                    .hint(NOT_STS_HINT),
                ));
            }
        }
        // An expiration in the past is an answer we cannot use: the SDK reads a missing or
        // unreadable <Expiration> as 1970, and a clock far ahead makes a real one look past.
        let expiration = creds.expiration().secs();
        let now = crate::time::now();
        if expiration <= now {
            return Err(CallError::Failed(
                Error::new(format!(
                    "STS at {} answered {} with credentials that expire at {}, which is already past; nothing was exported",
                    self.endpoint,
                    context.action,
                    crate::time::rfc3339(expiration)
                ))
                .hint("check this computer's clock (enable NTP), and that the endpoint URL (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, endpoint_url) points at STS"),
            ));
        }
        // Nor one that lasts longer than asked: STS never grants more, and a far-off
        // expiration (2099) would be exported, and believed by every tool that reads it.
        let latest = now.saturating_add_unsigned((asked + EXPIRATION_SKEW).as_secs());
        if expiration > latest {
            return Err(CallError::Failed(
                Error::new(format!(
                    "STS at {} answered {} with credentials that expire at {}, later than the {} asked for; nothing was exported",
                    self.endpoint,
                    context.action,
                    crate::time::rfc3339(expiration),
                    crate::duration::human(asked)
                ))
                .hint("check that the endpoint URL (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, endpoint_url) points at STS, and this computer's clock (enable NTP)"),
            ));
        }
        Ok(Session {
            access_key_id: creds.access_key_id().to_owned(),
            secret_access_key: Secret::new(creds.secret_access_key()),
            session_token: Secret::new(creds.session_token()),
            expiration,
        })
    }

    /// Turn an SDK error into what happened and what to do.
    fn explain<E>(&self, context: &Context, err: &SdkError<E, HttpResponse>) -> CallError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let endpoint = &self.endpoint;
        let action = context.action;
        let redact = |text: &str| context.signer.redact(text);
        let error = match err {
            SdkError::ServiceError(service) => {
                let (code, message) = match error_code(service) {
                    Some(found) => found,
                    None => {
                        // The body was not an STS answer: a proxy's or a captive portal's
                        // page, or a server that is not STS.
                        return CallError::Failed(
                            Error::new(format!(
                                "STS at {endpoint} sent an answer that is not an STS response (HTTP {})",
                                service.raw().status().as_u16()
                            ))
                            .hint(NOT_STS_HINT),
                        );
                    }
                };
                let message = redact(message.trim());
                let status = service.raw().status().as_u16();
                // A 5xx was already retried; STS's own words ("InternalFailure") are no advice.
                if status >= 500 && !is_throttling(&code) {
                    let said = if message.is_empty() {
                        code
                    } else {
                        format!("{code}: {message}")
                    };
                    return CallError::Failed(
                        Error::new(format!(
                            "STS failed {action} with a server error (HTTP {status}, {said}) on {MAX_ATTEMPTS} attempts"
                        ))
                        .hint("the fault is on AWS's side or a proxy's: try again in a minute; if it persists, check the AWS Health Dashboard and any proxy"),
                    );
                }
                return explain_service(context, &code, &message);
            }
            SdkError::TimeoutError(_) => Error::new(format!(
                "no answer from STS at {endpoint} within {}s ({MAX_ATTEMPTS} attempts)",
                OPERATION_TIMEOUT.as_secs()
            ))
            .hint("check your network connection, proxy or VPN, and the region or endpoint URL"),
            SdkError::DispatchFailure(failure) => {
                let what = if failure.is_timeout() {
                    format!("timed out connecting to STS at {endpoint}")
                } else {
                    // The innermost cause says it best ("Connection refused (os error 111)");
                    // the layers above it only name the HTTP stack's parts.
                    format!(
                        "cannot reach STS at {endpoint}: {}",
                        redact(&root_cause(err))
                    )
                };
                Error::new(what).hint(NETWORK_HINT)
            }
            // The answer began and the connection broke (reset, closed early): the network's
            // fault, not the endpoint's, and already retried.
            SdkError::ResponseError(_) if io_cause(err).is_some() => Error::new(format!(
                "the connection to STS at {endpoint} broke while reading the answer ({MAX_ATTEMPTS} attempts): {}",
                io_cause(err).map(|e| redact(&e.to_string())).unwrap_or_default()
            ))
            .hint(NETWORK_HINT),
            SdkError::ResponseError(_) => Error::new(format!(
                "STS at {endpoint} sent an answer that is not an STS response: {}",
                redact(&chain(err))
            ))
            .hint(NOT_STS_HINT),
            SdkError::ConstructionFailure(_) => Error::new(format!(
                "cannot build the {action} request: {}",
                redact(&chain(err))
            ))
            .hint("check the region and the endpoint URL"),
            _ => Error::new(format!("{action} failed: {}", redact(&chain(err)))),
        };
        CallError::Failed(error)
    }
}

/// The HTTP client: rustls with ring, and the proxy from HTTPS_PROXY, HTTP_PROXY, ALL_PROXY
/// and NO_PROXY as the AWS CLI honours them. One connector serves every call (their settings
/// are the same), so a role chain reuses its connection.
///
/// A plain-http endpoint (a local STS) needs no TLS: loading the system's root certificates
/// is 88% of the instructions of a run against one (measured with callgrind), so it is skipped.
pub(crate) fn http_client(endpoint_url: Option<&str>) -> SharedHttpClient {
    let tls = endpoint_url.is_none_or(|url| url.starts_with("https://"));
    let connector: Mutex<Option<SharedHttpConnector>> = Mutex::new(None);
    http_client_fn(move |settings, components| {
        let mut cached = connector.lock().unwrap_or_else(PoisonError::into_inner);
        cached
            .get_or_insert_with(|| {
                let mut builder = Connector::builder()
                    .connector_settings(settings.clone())
                    .proxy_config(ProxyConfig::from_env());
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

/// What a failed call was, for its message.
struct Context<'a> {
    action: &'static str,
    signer: &'a Signer,
    role: Option<&'a AssumeRole<'a>>,
}

/// Why a credential field is not what STS sends, if it is not: access key ids are capital
/// letters and digits (AKIA..., ASIA...); secrets and session tokens are base64, base64url or
/// JWT text. The value itself is never part of the answer (it may be a secret).
fn unlike_sts(field: &str, value: &str) -> Option<&'static str> {
    let key_id = field == "AccessKeyId";
    let allowed = |b: u8| {
        if key_id {
            b.is_ascii_uppercase() || b.is_ascii_digit()
        } else {
            b.is_ascii_alphanumeric() || b"+/=._-".contains(&b)
        }
    };
    if value.is_empty() {
        Some("is empty")
    } else if value.bytes().all(allowed) {
        None
    } else if key_id {
        Some("holds characters other than A-Z and 0-9, the only ones STS uses in key ids")
    } else {
        Some(
            "holds characters other than letters, digits and +/=._-, the only ones STS uses in secrets and tokens",
        )
    }
}

fn seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

fn explain_service(context: &Context, code: &str, message: &str) -> CallError {
    let action = context.action;
    let key = &context.signer.access_key_id;
    let said = if message.is_empty() {
        code.to_owned()
    } else {
        format!("{code}: {message}")
    };
    let failed = |what: String, hint: &str| CallError::Failed(Error::new(what).hint(hint));
    let configure = match &context.signer.profile {
        Some(profile) => format!("`aws configure --profile {profile}`"),
        None => "`aws configure`".to_owned(),
    };
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
        "AccessDenied" => match context.role {
            Some(role) => not_authorized_to_assume(role, message, &said),
            None => failed(
                format!("STS denied {action} ({said})"),
                &format!("the identity's IAM policy must allow sts:{action}"),
            ),
        },
        "InvalidClientTokenId" if context.signer.session_token.is_some() => failed(
            format!("STS refused the session from the previous role ({said})"),
            "check each role_arn along the source_profile chain",
        ),
        "InvalidClientTokenId" => failed(
            format!("AWS does not know the access key {key} ({said})"),
            &format!(
                "the key is wrong, deleted or deactivated: create a new key in the IAM console and store it with {configure}"
            ),
        ),
        "SignatureDoesNotMatch" if message.contains("expired") => clock_skew(&said),
        "SignatureDoesNotMatch" => failed(
            format!("the secret access key does not belong to access key {key} ({said})"),
            &format!("re-enter the secret with {configure}; copy it without spaces"),
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
        _ if is_throttling(code) => failed(
            format!("STS is throttling requests ({said}), even after {MAX_ATTEMPTS} attempts"),
            "wait a minute and try again",
        ),
        "ValidationError" if message.contains("MaxSessionDuration") => {
            let role = context.role.map_or("", |r| r.role_arn);
            failed(
                format!("the session asked for is longer than role {role} allows ({said})"),
                "ask for less with --duration (or duration_seconds), or raise the role's maximum session duration (IAM console > Roles > the role > Maximum session duration)",
            )
        }
        "ValidationError" if message.contains("chaining") => failed(
            format!("a role assumed from another role's session lasts at most 1 hour ({said})"),
            "ask for 1h or less with --duration",
        ),
        _ => failed(
            format!("STS refused {action} ({said})"),
            "the message above is STS's own; check the profile's keys, mfa_serial and duration",
        ),
    }
}

/// AccessDenied on AssumeRole: name the role and the calling identity, and the likely cause.
fn not_authorized_to_assume(role: &AssumeRole, message: &str, said: &str) -> CallError {
    // "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole ..."
    let identity = message
        .strip_prefix("User: ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("this identity");
    let hint = if role.mfa.is_none() {
        "the role's trust policy probably requires MFA: add `mfa_serial = arn:aws:iam::ACCOUNT:mfa/NAME` to the role profile or its source_profile".to_owned()
    } else if role.external_id.is_some() {
        format!(
            "check external_id, and that the role's trust policy allows {identity} with MFA; the identity's policy must allow sts:AssumeRole on the role"
        )
    } else {
        format!(
            "the role's trust policy must allow {identity} (with MFA, and an external_id if it asks for one), and the identity's policy must allow sts:AssumeRole on the role"
        )
    };
    CallError::Failed(
        Error::new(format!(
            "{identity} is not authorized to assume role {} ({said})",
            role.role_arn
        ))
        .hint(hint),
    )
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
    pub fn get_caller_identity(&self, signer: &Signer) -> Result<Identity> {
        self.probe(signer).identity
    }

    /// GetCallerIdentity, also noting whether STS answered at all and its clock.
    pub fn probe(&self, signer: &Signer) -> Probe {
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
        let identity = match self.runtime.block_on(call) {
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

/// The network runtime behind the blocking calls.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(format!("cannot start the network runtime: {e}")))
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

fn clock_skew(said: &str) -> CallError {
    CallError::Failed(
        Error::new(format!("STS says this computer's clock is wrong ({said})"))
            .hint("set the clock right (enable NTP: `timedatectl set-ntp true`), then try again"),
    )
}

/// An awsQuery error's code and message: the SDK's, else read from the body. Some
/// implementations (moto, LocalStack) wrap the error in <Errors>, where the SDK's parser finds
/// no code. None when the body is no AWS error at all.
pub(crate) fn error_code<E: ProvideErrorMetadata>(
    service: &ServiceError<E, HttpResponse>,
) -> Option<(String, String)> {
    let e = service.err();
    match e.code() {
        Some(code) => Some((code.to_owned(), e.message().unwrap_or("").to_owned())),
        None => service
            .raw()
            .body()
            .bytes()
            .map(String::from_utf8_lossy)
            .and_then(|body| error_from_xml(body.as_ref())),
    }
}

/// The first `<Code>` and `<Message>` of an XML error body.
pub fn error_from_xml(body: &str) -> Option<(String, String)> {
    let element = |name: &str| -> Option<String> {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = start + body[start..].find(&format!("</{name}>"))?;
        Some(
            body[start..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        )
    };
    let code = element("Code").filter(|c| !c.is_empty() && c.len() < 100)?;
    Some((code, element("Message").unwrap_or_default()))
}

fn is_throttling(code: &str) -> bool {
    matches!(
        code,
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded"
    )
}

/// The I/O error somewhere among the causes, if any.
fn io_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        next = e.source();
    }
    None
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

#[cfg(test)]
mod tests {
    use super::{Secret, Session, Signer, Sts, error_from_xml, unlike_sts};
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

    #[test]
    fn only_what_sts_sends_is_accepted() {
        let field = |value: &str| unlike_sts("SecretAccessKey", value);
        assert_eq!(unlike_sts("AccessKeyId", "ASIA0123456789ABCDEF"), None);
        assert_eq!(field("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY="), None);
        assert_eq!(field("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-_x"), None);
        assert_eq!(unlike_sts("SessionToken", "-=+/._"), None);
        for bad in ["asia0123", "ASIA-1", "ASIA 1", "ASIAÉ", ""] {
            assert!(unlike_sts("AccessKeyId", bad).is_some(), "{bad:?}");
        }
        for bad in [
            "';touch X;#",
            "a b",
            "a\nb",
            "a\0b",
            "$(id)",
            "`id`",
            "é",
            "a\\",
            "",
        ] {
            assert!(field(bad).is_some(), "{bad:?}");
            assert!(unlike_sts("SessionToken", bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn debug_of_signers_and_sessions_shows_no_secret() {
        let session = Session {
            access_key_id: "ASIAKEY".into(),
            secret_access_key: Secret::new("session-secret-value"),
            session_token: Secret::new("session-token-value"),
            expiration: 0,
        };
        let signer = Signer::from(&session);
        let shown = format!("{session:?} {session:#?} {signer:?} {signer:#?}");
        assert!(shown.contains("ASIAKEY"), "{shown}");
        assert!(!shown.contains("session-secret-value") && !shown.contains("session-token-value"));
        assert_eq!(
            signer.redact("echo session-secret-value and session-token-value"),
            "echo <redacted> and <redacted>"
        );
    }

    #[test]
    fn error_codes_from_wrapped_error_bodies() {
        let moto = "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>InvalidClientTokenId</Code><Message>The security token &amp; more</Message></Error></Errors></ErrorResponse>";
        assert_eq!(
            error_from_xml(moto),
            Some((
                "InvalidClientTokenId".into(),
                "The security token & more".into()
            ))
        );
        assert_eq!(error_from_xml("<html>portal</html>"), None);
        assert_eq!(error_from_xml("<Code></Code>"), None);
    }
}
