//! Arbitrary config and credentials files through the lean scan of `list` and completion:
//! wherever it reads both files itself, aws-config's merged reading (the one `export` uses)
//! has the same profile names and the same values of the keys a listing shows.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::profile::listing::{LISTED, Listing};
use mfa_env::profile::Profiles;

fuzz_target!(|input: (&str, &str)| {
    let (config, credentials) = input;
    let Ok(listing) = Listing::from_texts(config, credentials) else {
        return;
    };
    if !listing.scanned() {
        return;
    }
    let merged = Profiles::from_texts(config, credentials)
        .expect("aws-config reads what the scan reads");
    let rows = listing.rows();
    let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    assert_eq!(names, merged.names());
    for row in &rows {
        let profile = merged.get(row.name).expect("a listed name");
        for key in LISTED {
            assert_eq!(row.get(key), profile.get(key), "{}.{key:?}", row.name);
        }
    }
});
