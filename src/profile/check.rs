//! The checks of what a profile names: role and MFA device ARNs, and region names.

use crate::error::{Error, Result};

/// A role's ARN; `from` says where it was written (`role_arn of profile 'x'`).
pub fn check_role_arn(arn: &str, from: &str) -> Result<()> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let ok = matches!(parts[..], ["arn", partition, "iam", "", account, resource]
        if !partition.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.len() > "role/".len()
            && resource.starts_with("role/"));
    if ok {
        return Ok(());
    }
    // A role's name alone (`--role-arn Admin`): STS takes only the full ARN, and the name
    // says what it would be.
    let role = arn
        .rsplit(['/', ':'])
        .next()
        .filter(|name| !name.is_empty() && !arn.starts_with("arn:"))
        .unwrap_or("NAME");
    Err(Error::new(format!(
        "'{arn}' ({from}) is not a role ARN: STS needs the role's full ARN"
    ))
    .hint(format!(
        "it looks like arn:aws:iam::123456789012:role/{role} (IAM console > Roles > the role > ARN)"
    )))
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
        && !partition.is_empty()
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && resource.strip_prefix("mfa/").is_some_and(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-/".contains(&b))
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
