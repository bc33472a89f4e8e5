//! Profile names: the set the AWS SDKs read, and the name a typo was likely meant to be.

use super::ini::is_valid_name;

/// Why a name is not read, and a name that would be.
pub(super) fn invalid_name(name: &str) -> String {
    let renamed: String = name
        .chars()
        .map(|c| {
            if is_valid_name(c.encode_utf8(&mut [0; 4])) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let example = if renamed.chars().any(|c| c.is_ascii_alphanumeric()) {
        format!(", such as '{renamed}'")
    } else {
        String::new()
    };
    format!(
        "'{name}' is not a valid profile name for the AWS SDKs, which take only letters, digits and _-/.%@:+; rename the profile in both files{example}"
    )
}

/// The closest name by edit distance, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let (best, distance) = names
        .iter()
        .map(|n| (*n, edit_distance(&name.to_lowercase(), &n.to_lowercase())))
        .min_by_key(|(_, d)| *d)?;
    let limit = (name.chars().count() / 3).max(2);
    (distance <= limit).then_some(best)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names() {
        let names = ["default", "dev", "prod-admin"];
        assert_eq!(closest("dve", &names), Some("dev"));
        assert_eq!(closest("prod-admn", &names), Some("prod-admin"));
        assert_eq!(closest("staging", &names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
