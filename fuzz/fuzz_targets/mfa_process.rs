//! What mfa_process reads: the command line it splits like a POSIX shell (without running
//! one) and the code it takes from the command's output. Never panics; a split line quoted
//! again word by word splits back to the same words; a code is six digits from the output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa_env::fuzzing::{last_code, split};
use mfa_env::shell::Shell;

fuzz_target!(|input: (&str, &[u8])| {
    let (line, output) = input;
    if let Ok(words) = split(line, Ok("/home/u")) {
        let again: Vec<String> = words.iter().map(|w| Shell::Bash.quote(w)).collect();
        assert_eq!(
            split(&again.join(" "), Err(String::new())).as_ref(),
            Ok(&words),
            "{line:?} -> {words:?} -> {again:?}"
        );
    }
    if let Some(code) = last_code(output) {
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
        assert!(output.windows(6).any(|w| w == code.as_bytes()));
    }
});
