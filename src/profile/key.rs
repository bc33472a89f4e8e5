//! The keys of a profile that mfa-env reads, named once.
//!
//! Every read of a profile goes through a [`Key`], never a free string: the lean scan knows
//! the whole set, and leaves to aws-config a file where one of these keys has a value it
//! would have to guess (one spread over several lines). A new key mfa-env reads is a new
//! variant here, and nothing else in the reading changes.

/// A key of a profile that mfa-env reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    // What a listing shows, and how a chain is followed.
    RoleArn,
    MfaSerial,
    SourceProfile,
    Region,
    AccessKeyId,
    SecretAccessKey,
    // The rest of a session.
    SessionToken,
    ExternalId,
    RoleSessionName,
    DurationSeconds,
    MfaProcess,
    MfaPrompt,
    MfaPromptTimeout,
    // Where the calls go.
    EndpointUrl,
    Services,
    IgnoreConfiguredEndpointUrls,
    UseFipsEndpoint,
    UseDualstackEndpoint,
    // Credentials that come another way, which mfa-env names when it refuses them.
    CredentialSource,
    CredentialProcess,
    SsoSession,
    SsoStartUrl,
    WebIdentityTokenFile,
    /// `aws login`'s session (botocore's login provider).
    LoginSession,
}

impl Key {
    pub const ALL: [Key; 24] = [
        Key::RoleArn,
        Key::MfaSerial,
        Key::SourceProfile,
        Key::Region,
        Key::AccessKeyId,
        Key::SecretAccessKey,
        Key::SessionToken,
        Key::ExternalId,
        Key::RoleSessionName,
        Key::DurationSeconds,
        Key::MfaProcess,
        Key::MfaPrompt,
        Key::MfaPromptTimeout,
        Key::EndpointUrl,
        Key::Services,
        Key::IgnoreConfiguredEndpointUrls,
        Key::UseFipsEndpoint,
        Key::UseDualstackEndpoint,
        Key::CredentialSource,
        Key::CredentialProcess,
        Key::SsoSession,
        Key::SsoStartUrl,
        Key::WebIdentityTokenFile,
        Key::LoginSession,
    ];

    /// The keys a listing shows of every profile: the scan records their values as it reads
    /// (the others are read from a section's lines when asked for).
    pub const LISTED: [Key; 6] = [
        Key::RoleArn,
        Key::MfaSerial,
        Key::SourceProfile,
        Key::Region,
        Key::AccessKeyId,
        Key::SecretAccessKey,
    ];

    /// The key's name in the files (aws-config compares keys without ASCII case).
    pub fn name(self) -> &'static str {
        match self {
            Key::RoleArn => "role_arn",
            Key::MfaSerial => "mfa_serial",
            Key::SourceProfile => "source_profile",
            Key::Region => "region",
            Key::AccessKeyId => "aws_access_key_id",
            Key::SecretAccessKey => "aws_secret_access_key",
            Key::SessionToken => "aws_session_token",
            Key::ExternalId => "external_id",
            Key::RoleSessionName => "role_session_name",
            Key::DurationSeconds => "duration_seconds",
            Key::MfaProcess => "mfa_process",
            Key::MfaPrompt => "mfa_prompt",
            Key::MfaPromptTimeout => "mfa_prompt_timeout",
            Key::EndpointUrl => "endpoint_url",
            Key::Services => "services",
            Key::IgnoreConfiguredEndpointUrls => "ignore_configured_endpoint_urls",
            Key::UseFipsEndpoint => "use_fips_endpoint",
            Key::UseDualstackEndpoint => "use_dualstack_endpoint",
            Key::CredentialSource => "credential_source",
            Key::CredentialProcess => "credential_process",
            Key::SsoSession => "sso_session",
            Key::SsoStartUrl => "sso_start_url",
            Key::WebIdentityTokenFile => "web_identity_token_file",
            Key::LoginSession => "login_session",
        }
    }

    /// The key a line of a file names, as aws-config compares them (without ASCII case).
    pub fn named(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|key| key.is(name))
    }

    /// Whether a line's key is this one (as written, the usual case, or in another case).
    pub fn is(self, name: &str) -> bool {
        let own = self.name();
        name == own || name.eq_ignore_ascii_case(own)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_once_by_its_name() {
        for (i, key) in Key::ALL.into_iter().enumerate() {
            assert_eq!(key as usize, i, "{key:?}: ALL is in the enum's order");
            assert_eq!(Key::named(key.name()), Some(key));
            assert_eq!(Key::named(&key.name().to_uppercase()), Some(key));
            assert!(super::super::is_valid_name(key.name()));
        }
        assert_eq!(Key::named("output"), None);
        assert_eq!(Key::named("région"), None);
    }
}
