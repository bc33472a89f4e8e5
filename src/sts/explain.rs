//! What a failed call means, and what to do about it: the SDK's errors, STS's error codes
//! and the bodies of answers that are not STS's, turned into one line that says what happened
//! and one that says what to do. Nothing here makes a call.

use aws_sdk_sts::config::http::HttpResponse;
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::result::ServiceError;

use super::{AssumeRole, CallError, MAX_ATTEMPTS, OPERATION_TIMEOUT, Signer, Signing, Sts};
use crate::error::{Error, Reason};

pub(super) const NETWORK_HINT: &str = "check your network connection, proxy or VPN, and the region or endpoint URL (AWS_ENDPOINT_URL_STS, endpoint_url)";
pub(super) const NOT_STS_HINT: &str = "check that the endpoint URL (AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL, endpoint_url) points at STS, and any proxy in between";

/// What a failed call was, for its message.
pub(super) struct Context<'a> {
    pub action: &'static str,
    pub signer: &'a Signer,
    pub role: Option<&'a AssumeRole<'a>>,
}

impl Sts {
    /// Turn an SDK error into what happened and what to do.
    pub(super) fn explain<E>(&self, context: &Context, err: &SdkError<E, HttpResponse>) -> CallError
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

fn explain_service(context: &Context, code: &str, message: &str) -> CallError {
    let action = context.action;
    let key = &context.signer.access_key_id;
    let said = if message.is_empty() {
        code.to_owned()
    } else {
        format!("{code}: {message}")
    };
    let failed = |what: String, hint: &str| CallError::Failed(Error::new(what).hint(hint));
    let what = &context.signer.what;
    let configure = match what {
        Signing::Keys(profile) => format!("`aws configure --profile {profile}`"),
        _ => "`aws configure`".to_owned(),
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
            Some(role) => not_authorized_to_assume(role, what, message, &said),
            None => failed(
                format!("STS denied {action} ({said})"),
                &format!("the identity's IAM policy must allow sts:{action}"),
            ),
        },
        "InvalidClientTokenId" | "ExpiredToken" | "InvalidToken"
            if !matches!(what, Signing::Keys(_)) =>
        {
            refused_session(what, &said)
        }
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

/// A session that signed the call refused as no session STS knows (now): the MFA session
/// mfa-env holds, or a role's on the way along a chain.
fn refused_session(what: &Signing, said: &str) -> CallError {
    let (what, hint) = match what {
        Signing::MfaSession(profile) => (
            format!("the MFA session of profile {profile}"),
            format!(
                "it has expired or was revoked (a deactivated or deleted key ends its sessions): check profile {profile}'s key in the IAM console, then get a new session with a code (`mfa-env {profile} --force`, `mfa-env agent forget {profile}`)"
            ),
        ),
        Signing::Role(arn) => (
            format!("the session of role {arn}, assumed on the way"),
            "check each role_arn along the source_profile chain".to_owned(),
        ),
        Signing::Keys(profile) => (
            format!("the keys of profile {profile}"),
            "check the profile's keys".to_owned(),
        ),
    };
    CallError::Failed(Error::new(format!("STS refused {what} ({said})")).hint(hint))
}

/// AccessDenied on AssumeRole: name the role and the calling identity, and the likely cause,
/// which depends on what signed the call and whether it gave a code.
fn not_authorized_to_assume(
    role: &AssumeRole,
    what: &Signing,
    message: &str,
    said: &str,
) -> CallError {
    // "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole ..."
    let identity = message
        .strip_prefix("User: ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("this identity");
    let hint = if let Signing::Role(previous) = what {
        // A role's session carries no MFA context, whatever the chain's first call gave.
        format!(
            "the role's trust policy must allow role {previous}, whose session assumes it; that session carries no MFA, so a trust policy that requires MFA refuses it (assume the role from the IAM user's profile instead: source_profile naming the profile with the keys)"
        )
    } else if let Signing::MfaSession(profile) = what {
        format!(
            "the role was assumed with the MFA session of profile {profile}, which carries MFA: the role's trust policy must allow {identity}, its aws:MultiFactorAuthAge (counted from that session's code) must allow the session's age, and the identity's policy must allow sts:AssumeRole on the role"
        )
    } else if role.mfa.is_none() {
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
        .hint(hint)
        .because(Reason::RoleRefused),
    )
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
    use super::error_from_xml;

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
