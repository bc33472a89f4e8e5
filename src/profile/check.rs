//! The checks of what a profile names: role and MFA device ARNs, and region names.

use crate::error::{Error, Result};

/// The longest profile name a session is made for: its name is exported (MFA_ENV_PROFILE),
/// and one variable over 128 KiB (Linux's MAX_ARG_STRLEN) stops the shell from starting
/// programs. The AWS tools set no limit.
pub const MAX_PROFILE_NAME: usize = 1024;

/// The name of the profile a session is made for. Its characters are those the AWS SDKs read
/// (letters, digits and `_-/.%@:+`: inert in every shell), checked where it is found.
pub fn check_profile_name(name: &str) -> Result<()> {
    if name.len() <= MAX_PROFILE_NAME {
        return Ok(());
    }
    Err(Error::new(format!(
        "the profile name is {} characters long, more than the {MAX_PROFILE_NAME} a session is made for",
        name.len()
    ))
    .hint("rename the profile: its name is exported as MFA_ENV_PROFILE"))
}

/// The longest role ARN STS takes.
pub const MAX_ROLE_ARN: usize = 2048;

/// A role's ARN, as IAM makes them: `arn:PARTITION:iam::ACCOUNT:role/NAME`, or
/// `role/PATH/NAME` for a role with a path, at most 2048 characters; `from` says where it was
/// written (`role_arn of profile 'x'`). The name is IAM's: 1 to 64 letters, digits and
/// `+=,.@_-`. IAM also allows every other printable ASCII character in a path (quotes, `$`,
/// `!`, backslashes, ...), but the ARN is exported (MFA_ENV_ROLE), and those cannot be inert in
/// every shell when the output is read by another shell than the one it was written for: a
/// path is held to the characters of names and `/`.
pub fn check_role_arn(arn: &str, from: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let role = match parts[..] {
        ["arn", partition, "iam", "", account, resource]
            if is_partition(partition) && is_account(account) =>
        {
            resource.strip_prefix("role/")
        }
        _ => None,
    };
    let Some(role) = role else {
        // A role's name alone (`--role-arn Admin`): STS takes only the full ARN, and the name
        // says what it would be.
        let role = arn
            .rsplit(['/', ':'])
            .next()
            .filter(|name| !name.is_empty() && !arn.starts_with("arn:"))
            .unwrap_or("NAME");
        return Err(Error::new(format!(
            "'{arn}' ({from}) is not a role ARN: STS needs the role's full ARN"
        ))
        .hint(format!(
            "it looks like arn:aws:iam::123456789012:role/{role} (IAM console > Roles > the role > ARN)"
        )));
    };
    let (path, name) = role.rsplit_once('/').unwrap_or(("", role));
    let why = if arn.len() > MAX_ROLE_ARN {
        "is longer than 2048 characters, the most STS takes"
    } else if name.is_empty() || name.len() > 64 {
        "has no role name of 1 to 64 characters after its last /"
    } else if !name.bytes().all(iam_name_byte) {
        "has a role name with characters other than letters, digits and +=,.@_-, which IAM does not allow"
    } else if !path.bytes().all(|b| iam_name_byte(b) || b == b'/') {
        "has a path with characters other than letters, digits and +=,.@_-/, which mfa-env cannot export safely for every shell"
    } else {
        return Ok(());
    };
    Err(Error::new(format!("the role ARN '{arn}' ({from}) {why}"))
        .hint("copy the role's ARN from the IAM console > Roles > the role > ARN"))
}

/// A character IAM allows in the name of a role, user or MFA device.
fn iam_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b)
}

/// `aws`, `aws-cn`, `aws-us-gov`, `aws-iso-b`: lowercase words joined by hyphens.
fn is_partition(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// An MFA device's ARN, `arn:PARTITION:iam::ACCOUNT:mfa/NAME`, or a hardware token's serial
/// (letters and digits, such as GAHT12345678).
pub fn check_serial(serial: &str) -> Result<&str> {
    let serial = serial.trim();
    if is_mfa_arn(serial) || is_hardware_serial(serial) {
        return Ok(serial);
    }
    Err(Error::new(format!("'{serial}' is not an MFA device ARN"))
        .hint("it looks like arn:aws:iam::123456789012:mfa/alice; copy it from the IAM console > Users > Security credentials > Assigned MFA device"))
}

pub fn is_mfa_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    let [arn, partition, service, region, account, resource] = parts[..] else {
        return false;
    };
    arn == "arn"
        && is_partition(partition)
        && service == "iam"
        && region.is_empty()
        && is_account(account)
        && resource.strip_prefix("mfa/").is_some_and(|name| {
            !name.is_empty() && name.bytes().all(|b| iam_name_byte(b) || b == b'/')
        })
}

fn is_hardware_serial(s: &str) -> bool {
    (9..=256).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eu-isoe-west-1`: lowercase words joined by
/// hyphens, ending in a number.
pub fn is_region(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or_default();
    let parts: Vec<&str> = parts.collect();
    s.len() <= 32
        && first.len() >= 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts.len() >= 2
        && parts[..parts.len() - 1].iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        for ok in [
            "us-east-1",
            "eu-west-2",
            "us-gov-west-1",
            "cn-north-1",
            "eu-isoe-west-1",
            "ap-southeast-5",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-EAST-1",
            "us-east-1;id",
            "us east 1",
            "us--1",
            "-us-east-1",
            "$(id)-1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn role_arns_as_iam_makes_them() {
        for ok in [
            "arn:aws:iam::123456789012:role/Admin",
            "arn:aws-us-gov:iam::123456789012:role/a+b=c,d.e@f_g-h",
            "arn:aws:iam::123456789012:role/service-role/path.x/Name",
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123456789abcdef",
        ] {
            assert!(check_role_arn(ok, "a test").is_ok(), "{ok}");
        }
        let long_path = format!("arn:aws:iam::123456789012:role/{}/x", "p".repeat(2048));
        let long_name = format!("arn:aws:iam::123456789012:role/{}", "n".repeat(65));
        for (bad, why) in [
            (
                "arn:aws:iam::123456789012:role/$(id)",
                "has a role name with characters",
            ),
            (
                "arn:aws:iam::123456789012:role/a'b",
                "has a role name with characters",
            ),
            (
                "arn:aws:iam::123456789012:role/a b",
                "has a role name with characters",
            ),
            (
                "arn:aws:iam::123456789012:role/é",
                "has a role name with characters",
            ),
            (
                "arn:aws:iam::123456789012:role/x\u{202e}",
                "has a role name with characters",
            ),
            (
                "arn:aws:iam::123456789012:role/$(id)/x",
                "has a path with characters",
            ),
            (
                "arn:aws:iam::123456789012:role/a!b/x",
                "has a path with characters",
            ),
            (
                "arn:aws:iam::123456789012:role/a\\/x",
                "has a path with characters",
            ),
            ("arn:aws:iam::123456789012:role/path/", "has no role name"),
            (long_name.as_str(), "has no role name of 1 to 64"),
            (long_path.as_str(), "is longer than 2048 characters"),
        ] {
            let err = check_role_arn(bad, "a test").unwrap_err();
            assert!(err.message().contains(why), "{bad}: {err}");
        }
        for shape in [
            "Admin",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:iam::12345678901:role/x",
            "arn:aws:iam::123456789012:user/x",
            "arn:aws:sts::123456789012:role/x",
            "arn:AWS:iam::123456789012:role/x",
            "arn:aws:iam:us-east-1:123456789012:role/x",
        ] {
            let err = check_role_arn(shape, "a test").unwrap_err();
            assert!(
                err.message().contains("is not a role ARN")
                    || err.message().contains("has no role name"),
                "{shape}: {err}"
            );
        }
    }

    #[test]
    fn mfa_arns() {
        assert!(is_mfa_arn("arn:aws:iam::123456789012:mfa/alice"));
        assert!(is_mfa_arn(
            "arn:aws-us-gov:iam::123456789012:mfa/path/a.b@c"
        ));
        for bad in [
            "arn:aws:iam::12345678901:mfa/alice",
            "arn:aws:iam::123456789012:user/alice",
            "arn:aws:iam::123456789012:mfa/",
            "arn:aws:sts::123456789012:mfa/alice",
            "arn:aws:iam:us-east-1:123456789012:mfa/alice",
            "arn:aws:iam::123456789012:mfa/al ice",
        ] {
            assert!(!is_mfa_arn(bad), "{bad}");
        }
        assert!(check_serial("GAHT12345678").is_ok());
        assert!(check_serial("nope").is_err());
    }
}
