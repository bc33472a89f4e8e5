//! Arbitrary config and credentials files through our preprocessing (`dedent_properties`),
//! aws-config's parser and our `resolve` of every profile: never a panic, and every error
//! prints as `mfa-env:` lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::Env;
use mfa_env::profile::{Overrides, Profiles, dedent_properties, resolve};

fuzz_target!(|input: (&str, &str, &str)| {
    let (config, credentials, name) = input;
    let dedented = dedent_properties(config);
    // Only indentation goes: the lines and everything else on them stay.
    assert_eq!(dedented.lines().count(), config.lines().count());
    let squeeze = |s: &str| {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '\t'))
            .collect::<String>()
    };
    assert_eq!(squeeze(&dedented), squeeze(config));
    assert_eq!(dedent_properties(&dedented), dedented);
    // A file without indented lines comes back as it is, not copied.
    if !config.lines().any(|l| l.starts_with([' ', '\t'])) {
        assert!(matches!(dedented, std::borrow::Cow::Borrowed(t) if t == config));
    }

    let profiles = match Profiles::from_texts(config, credentials) {
        Ok(p) => p,
        Err(e) => {
            assert!(e.to_string().lines().all(|l| l.starts_with("mfa-env: ")));
            return;
        }
    };
    let env = Env::from_pairs([("USER", name)]);
    let names: Vec<String> = profiles.names().iter().map(|s| s.to_string()).collect();
    for n in names.iter().map(String::as_str).chain([name]) {
        match resolve(&profiles, n, &env, &Overrides::default()) {
            Ok(r) => assert!(mfa_env::profile::is_region(&r.region)),
            Err(e) => assert!(e.to_string().lines().all(|l| l.starts_with("mfa-env: "))),
        }
    }
});
