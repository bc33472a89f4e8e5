//! What an answer must be to be exported: credentials that STS could have sent, for as long
//! as was asked. Anything else is refused before a line is printed.

use std::time::Duration;

use super::explain::{Context, NOT_STS_HINT};
use super::{CallError, EXPIRATION_SKEW, Session, Sts};
use crate::error::Error;
use crate::secret::Secret;

impl Sts {
    /// The credentials of an answer, if they are what STS sends for a call that asked for
    /// `asked`.
    pub(super) fn session(
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
}

/// The longest access key id: IAM's own limit.
pub const MAX_KEY_ID: usize = 128;
/// The longest secret access key: STS's are 40 characters.
pub const MAX_SECRET: usize = 1024;
/// The longest session token: STS's are a few KiB, session tags and policies included. A
/// longer value would be exported whole, and a shell whose environment holds a variable
/// over 128 KiB (Linux's MAX_ARG_STRLEN) can start no program ("argument list too long").
pub const MAX_TOKEN: usize = 16 * 1024;

/// Why a credential field is not what STS sends, if it is not: access key ids are capital
/// letters and digits (AKIA..., ASIA...); secrets and session tokens are base64, base64url or
/// JWT text; none is longer than its bound above. The value itself is never part of the
/// answer (it may be a secret).
pub(crate) fn unlike_sts(field: &str, value: &str) -> Option<&'static str> {
    let key_id = field == "AccessKeyId";
    let (max, too_long) = match field {
        "AccessKeyId" => (
            MAX_KEY_ID,
            "is longer than 128 characters, IAM's limit for key ids",
        ),
        "SecretAccessKey" => (
            MAX_SECRET,
            "is longer than 1 KiB, where STS's secrets are 40 characters",
        ),
        _ => (
            MAX_TOKEN,
            "is longer than 16 KiB, where STS's tokens are a few KiB",
        ),
    };
    if value.len() > max {
        return Some(too_long);
    }
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

#[cfg(test)]
mod tests {
    use super::unlike_sts;

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
        // Lengths: up to each bound, not beyond.
        for (field, max) in [
            ("AccessKeyId", super::MAX_KEY_ID),
            ("SecretAccessKey", super::MAX_SECRET),
            ("SessionToken", super::MAX_TOKEN),
        ] {
            assert_eq!(unlike_sts(field, &"A".repeat(max)), None, "{field}");
            let why = unlike_sts(field, &"A".repeat(max + 1)).unwrap();
            assert!(why.starts_with("is longer than"), "{field}: {why}");
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
}
