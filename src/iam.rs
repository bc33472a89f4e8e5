//! IAM: ListMFADevices, for `setup` (`devices`: who the keys belong to, from STS, then what
//! IAM lists for that user); ListAccessKeys, for the key's age (`doctor`); CreateAccessKey and
//! DeleteAccessKey, for `rotate`, signed with an MFA session (GetSessionToken's credentials
//! may call IAM only with the MFA context).
//!
//! Built from the STS client's settings (`sts::sdk_config`: explicit keys, region, endpoint,
//! timeouts, retries) on the same ring-based HTTP client. IAM is global: its calls go to the partition's one endpoint and are
//! signed for the partition's IAM region, whatever region the profile uses.

use aws_sdk_iam::config::http::HttpResponse;
use aws_sdk_iam::config::{Credentials, Region};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::StatusType;

use crate::error::Result;
use crate::profile::{Endpoint, LongTermKeys};
use crate::secret::Secret;
use crate::sts::{self, OPERATION_TIMEOUT, Signer, Sts};

/// Pages read at most; a user has at most 8 MFA devices.
const MAX_PAGES: usize = 10;

pub struct Iam {
    client: aws_sdk_iam::Client,
    secret: Secret,
    /// The session token, when a session signs.
    token: Option<Secret>,
    configured: Endpoint,
    /// Where calls go, for messages.
    endpoint: String,
}

/// The region IAM's calls are signed for in the partition of `region`.
fn iam_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "cn-north-1"
    } else if region.starts_with("us-gov-") {
        "us-gov-west-1"
    } else if region.starts_with("us-isob-") {
        "us-isob-east-1"
    } else if region.starts_with("us-iso-") {
        "us-iso-east-1"
    } else {
        "us-east-1"
    }
}

impl Iam {
    pub fn new(keys: &LongTermKeys, region: &str, configured: &Endpoint) -> Result<Iam> {
        Iam::signed_by(&Signer::from(keys), region, configured)
    }

    /// IAM with calls signed by `signer`: long-term keys, or a session (an MFA session for
    /// what IAM allows only with MFA).
    pub fn signed_by(signer: &Signer, region: &str, configured: &Endpoint) -> Result<Iam> {
        let signing_region = iam_region(region);
        let endpoint = sts::url_of(configured, "IAM", signing_region, |fips, dual_stack| {
            use aws_sdk_iam::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
            let params = Params::builder()
                .region(signing_region)
                .use_fips(fips)
                .use_dual_stack(dual_stack)
                .build()
                .map_err(|e| e.to_string())?;
            sts::rules_url(DefaultResolver::new().resolve_endpoint(&params))
        })?;
        let credentials = Credentials::new(
            &signer.access_key_id,
            signer.secret_access_key.expose(),
            signer.session_token.as_ref().map(|t| t.expose().to_owned()),
            None,
            "mfa-env",
        );
        let config = sts::sdk_config(
            credentials,
            Region::from_static(signing_region),
            sts::http_client(configured.url.as_deref()),
            configured,
        );
        Ok(Iam {
            client: aws_sdk_iam::Client::new(&config),
            secret: signer.secret_access_key.clone(),
            token: signer.session_token.clone(),
            configured: configured.clone(),
            endpoint,
        })
    }

    /// The line that names an endpoint other than AWS's own, for the command to print before
    /// the first call.
    pub fn notice(&self) -> Option<String> {
        self.configured.notice("IAM", &self.endpoint)
    }

    /// The serial numbers (ARNs) of `user`'s MFA devices; without a user, the caller's.
    /// The error is one line that says why, for the person to read before typing the ARN.
    pub async fn list_mfa_devices(&self, user: Option<&str>) -> Result<Vec<String>, String> {
        let mut serials = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let call = self
                .client
                .list_mfa_devices()
                .set_user_name(user.map(str::to_owned))
                .set_marker(marker.take())
                .send();
            let page = call
                .await
                .map_err(|err| self.describe("ListMFADevices", &err))?;
            serials.extend(
                page.mfa_devices()
                    .iter()
                    .map(|d| d.serial_number().to_owned()),
            );
            match page.marker() {
                Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        Ok(serials)
    }

    /// The access keys of `user` (without a user, the caller's), oldest first.
    pub async fn list_access_keys(&self, user: Option<&str>) -> Result<Vec<AccessKey>, String> {
        let mut keys = Vec::new();
        let mut marker: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let call = self
                .client
                .list_access_keys()
                .set_user_name(user.map(str::to_owned))
                .set_marker(marker.take())
                .send();
            let page = call
                .await
                .map_err(|err| self.describe("ListAccessKeys", &err))?;
            keys.extend(page.access_key_metadata().iter().map(|k| AccessKey {
                id: k.access_key_id().unwrap_or_default().to_owned(),
                active: k.status() == Some(&StatusType::Active),
                created: k.create_date().map(|d| d.secs()),
            }));
            match page.marker() {
                Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        keys.sort_by_key(|k| k.created);
        Ok(keys)
    }

    /// A new access key for `user` (without a user, the caller). Its id and secret are checked
    /// to be what IAM sends (`A-Z0-9` ids, a base64-like secret): they go into a file as they
    /// are. An answer that is not is an error: the key is named so that it can be deleted.
    pub async fn create_access_key(&self, user: Option<&str>) -> Result<NewKey, String> {
        let call = self
            .client
            .create_access_key()
            .set_user_name(user.map(str::to_owned))
            .send();
        let out = call
            .await
            .map_err(|err| self.describe("CreateAccessKey", &err))?;
        let Some(key) = out.access_key() else {
            return Err("IAM answered CreateAccessKey without a key".to_owned());
        };
        let id = key.access_key_id().to_owned();
        let secret = Secret::new(key.secret_access_key());
        let id_ok = (16..=128).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        let secret_ok = (1..=1024).contains(&secret.expose().len())
            && secret
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b));
        Ok(NewKey {
            id,
            secret,
            well_formed: id_ok && secret_ok,
        })
    }

    /// Delete the access key `id` of `user` (without a user, the caller's).
    pub async fn delete_access_key(&self, user: Option<&str>, id: &str) -> Result<(), String> {
        let call = self
            .client
            .delete_access_key()
            .set_user_name(user.map(str::to_owned))
            .access_key_id(id)
            .send();
        call.await
            .map(|_| ())
            .map_err(|err| self.describe("DeleteAccessKey", &err))
    }

    fn describe<E>(&self, action: &str, err: &SdkError<E, HttpResponse>) -> String
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let endpoint = &self.endpoint;
        let text = match err {
            SdkError::ServiceError(service) => {
                let (code, message) = match sts::error_code(service) {
                    Some((code, message)) => (Some(code), message),
                    None => (None, String::new()),
                };
                let message = message.trim();
                match code.as_deref() {
                    Some(code @ "AccessDenied") => {
                        format!("IAM denied {action} ({code}: {message})")
                    }
                    Some(code @ "NoSuchEntity") => {
                        format!("IAM does not know the user or key ({code}: {message})")
                    }
                    Some(code) => format!("IAM refused {action} ({code}: {message})"),
                    None => format!(
                        "IAM at {endpoint} sent an answer that is not an IAM response (HTTP {})",
                        service.raw().status().as_u16()
                    ),
                }
            }
            SdkError::TimeoutError(_) => format!(
                "no answer from IAM at {endpoint} within {}s",
                OPERATION_TIMEOUT.as_secs()
            ),
            SdkError::DispatchFailure(_) => {
                format!("cannot reach IAM at {endpoint}: {}", sts::root_cause(err))
            }
            _ => format!("{action} failed: {}", sts::chain(err)),
        };
        let text = self.secret.redact_from(&text);
        match &self.token {
            Some(token) => token.redact_from(&text),
            None => text,
        }
    }
}

/// How old an access key may be before mfa-env warns: CIS AWS Foundations asks for rotation
/// every 90 days.
pub const MAX_KEY_AGE_DAYS: i64 = 90;

/// When IAM created `keys`' access key (ListAccessKeys for the caller, signed with the key
/// itself); the error is one line that says why IAM did not tell.
pub async fn key_created(
    keys: &LongTermKeys,
    region: &str,
    endpoint: &Endpoint,
) -> std::result::Result<i64, String> {
    let iam = Iam::new(keys, region, endpoint).map_err(|e| e.message().to_owned())?;
    let listed = iam.list_access_keys(None).await?;
    listed
        .iter()
        .find(|k| k.id == keys.access_key_id)
        .and_then(|k| k.created)
        .ok_or_else(|| format!("IAM lists no creation date for {}", keys.access_key_id))
}

/// One of a user's access keys, as ListAccessKeys shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    /// Active, else inactive (it signs nothing).
    pub active: bool,
    /// When IAM created it, in seconds since the epoch.
    pub created: Option<i64>,
}

/// A key CreateAccessKey made.
#[derive(Debug)]
pub struct NewKey {
    pub id: String,
    pub secret: Secret,
    /// Its id and secret are in the alphabet IAM uses; a key that is not is not stored.
    pub well_formed: bool,
}

/// The MFA devices of the user whose keys a profile holds.
#[derive(Debug, Clone)]
pub struct Devices {
    /// Whose the keys are (GetCallerIdentity): `arn:aws:iam::123456789012:user/alice`.
    pub arn: String,
    /// The IAM user in `arn`; None for the account's root user, who lists its own devices.
    pub user: Option<String>,
    /// The serials IAM lists for the user, or why it lists none (one line, for the person to
    /// read before typing the ARN).
    pub serials: std::result::Result<Vec<String>, String>,
}

/// Where the calls of `devices` go: STS in the profile's region, IAM at its global endpoint.
pub struct Lookup<'a> {
    keys: &'a LongTermKeys,
    region: &'a str,
    sts: Sts,
    iam: &'a Endpoint,
}

impl<'a> Lookup<'a> {
    /// Fails, before any call, when the STS endpoint cannot be used.
    pub fn new(
        keys: &'a LongTermKeys,
        region: &'a str,
        sts: &Endpoint,
        iam: &'a Endpoint,
    ) -> Result<Lookup<'a>> {
        Ok(Lookup {
            keys,
            region,
            sts: Sts::new(region, sts)?,
            iam,
        })
    }

    /// Who the keys belong to (STS GetCallerIdentity), then that user's MFA devices (IAM
    /// ListMFADevices). `notice` gets the line that names an endpoint other than AWS's own,
    /// before the first call to it, for the command to show.
    pub async fn devices(&self, notice: &mut (dyn FnMut(String) + Send)) -> Result<Devices> {
        if let Some(line) = self.sts.notice() {
            notice(line);
        }
        let identity = self
            .sts
            .get_caller_identity(&Signer::from(self.keys))
            .await?;
        let user = user_name(&identity.arn).map(str::to_owned);
        let iam = Iam::new(self.keys, self.region, self.iam)?;
        if let Some(line) = iam.notice() {
            notice(line);
        }
        let serials = iam.list_mfa_devices(user.as_deref()).await;
        Ok(Devices {
            arn: identity.arn,
            user,
            serials,
        })
    }
}

/// The user name in an IAM user's ARN (`arn:aws:iam::123456789012:user/path/alice` -> alice);
/// `None` for any other identity (the account's root user lists its own devices).
pub fn user_name(arn: &str) -> Option<&str> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let path = resource.strip_prefix("user/")?;
    path.rsplit('/').next().filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_from_arns() {
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/alice"),
            Some("alice")
        );
        assert_eq!(
            user_name("arn:aws:iam::123456789012:user/division/team/bob"),
            Some("bob")
        );
        assert_eq!(
            user_name("arn:aws-cn:iam::123456789012:user/a.b@c"),
            Some("a.b@c")
        );
        assert_eq!(user_name("arn:aws:iam::123456789012:root"), None);
        assert_eq!(
            user_name("arn:aws:sts::123456789012:assumed-role/r/s"),
            None
        );
        assert_eq!(user_name("nonsense"), None);
    }

    #[test]
    fn aws_iam_endpoints_as_the_sdk_builds_them() {
        let keys = LongTermKeys {
            profile: "dev".into(),
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: Secret::new("secret"),
            from: crate::profile::KeyFrom::Lines,
        };
        let url = |region: &str, fips: bool, dual_stack: bool| {
            let endpoint = Endpoint {
                fips,
                dual_stack,
                ..Endpoint::default()
            };
            Iam::new(&keys, region, &endpoint).unwrap().endpoint
        };
        assert_eq!(url("eu-west-1", false, false), "https://iam.amazonaws.com");
        assert_eq!(
            url("eu-west-1", true, false),
            "https://iam-fips.amazonaws.com"
        );
        assert_eq!(url("eu-west-1", false, true), "https://iam.global.api.aws");
        assert_eq!(
            url("cn-northwest-1", false, false),
            "https://iam.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn iam_regions_by_partition() {
        assert_eq!(iam_region("eu-west-1"), "us-east-1");
        assert_eq!(iam_region("cn-northwest-1"), "cn-north-1");
        assert_eq!(iam_region("us-gov-east-1"), "us-gov-west-1");
        assert_eq!(iam_region("us-iso-west-1"), "us-iso-east-1");
        assert_eq!(iam_region("us-isob-east-1"), "us-isob-east-1");
    }
}
