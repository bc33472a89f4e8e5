//! Opening a URL in the person's browser: $BROWSER as xdg-utils reads it, else the system's
//! opener (`sys::browser`: `open` on macOS, `xdg-open` elsewhere).
//!
//! $BROWSER is a colon-separated list of commands, tried in order until one works. Each is
//! split into words at white space (no shell runs); a word with `%s` gets the URL in its
//! place, else the URL is the last argument. The URL is in the browser's arguments, as with
//! every tool that opens one (aws-vault login, granted, xdg-open): other local users can read
//! it there while the program runs.
//!
//! The command reads /dev/null, its output goes nowhere (stdout carries only what mfa-env
//! prints, and a browser's chatter is not for the person), and it runs in a process group of
//! its own, so that a Ctrl-C at the terminal does not close the browser. An opener that ends
//! within `WAIT` tells whether it worked by its exit status; a browser started directly keeps
//! running, is left to run, and counts as opened.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::env::Env;
use crate::error::{Error, Result};
use crate::secret::Secret;

/// How long a command is waited for before a browser still running counts as opened.
pub const WAIT: Duration = Duration::from_secs(5);
/// How often it is checked meanwhile.
const POLL: Duration = Duration::from_millis(20);

/// The commands to try, each as words with `%s` where the URL goes (appended when absent).
pub fn commands(env: &Env) -> Vec<Vec<String>> {
    let from_env: Vec<Vec<String>> = env
        .get("BROWSER")
        .unwrap_or_default()
        .split(':')
        .map(|entry| entry.split_whitespace().map(str::to_owned).collect())
        .filter(|words: &Vec<String>| !words.is_empty())
        .collect();
    if from_env.is_empty() {
        vec![vec![crate::sys::browser::default_opener().to_owned()]]
    } else {
        from_env
    }
}

/// The words of `command` with the URL in place.
fn with_url(command: &[String], url: &str) -> Vec<String> {
    let mut words: Vec<String> = command.iter().map(|w| w.replace("%s", url)).collect();
    if !command.iter().any(|w| w.contains("%s")) {
        words.push(url.to_owned());
    }
    words
}

/// Open `url` with the first command that works; the program that did, for the person.
pub fn open(url: &Secret, env: &Env) -> Result<String> {
    let mut failures = Vec::new();
    for command in commands(env) {
        let program = command[0].clone();
        match run(&with_url(&command, url.expose())) {
            Ok(()) => return Ok(program),
            Err(why) => failures.push(format!("`{program}` {why}")),
        }
    }
    Err(
        Error::new(format!("no browser opened: {}", failures.join("; ")))
            .hint("set BROWSER to your browser's command (BROWSER=firefox), or pass --print and open the URL yourself"),
    )
}

/// Start one command and wait at most `WAIT` for it: Ok when it exits 0 or is still running.
/// The error says why without the URL (a credential).
fn run(words: &[String]) -> std::result::Result<(), String> {
    let mut child = Command::new(&words[0])
        .args(&words[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "was not found".to_owned(),
            _ => format!("could not start ({e})"),
        })?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("failed ({status})")),
            Ok(None) if start.elapsed() >= WAIT => return Ok(()),
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => return Err(format!("could not be waited for ({e})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(browser: &str) -> Env {
        Env::from_pairs([("BROWSER", browser)])
    }

    #[test]
    fn browser_is_a_list_of_commands_with_the_url_in_place_or_last() {
        let list = commands(&env("firefox --new-window:  :chromium --app=%s --x"));
        assert_eq!(
            list,
            [
                vec!["firefox".to_owned(), "--new-window".to_owned()],
                vec![
                    "chromium".to_owned(),
                    "--app=%s".to_owned(),
                    "--x".to_owned()
                ]
            ]
        );
        assert_eq!(
            with_url(&list[0], "https://u.test/?a=1&b=2"),
            ["firefox", "--new-window", "https://u.test/?a=1&b=2"]
        );
        assert_eq!(
            with_url(&list[1], "https://u.test/"),
            ["chromium", "--app=https://u.test/", "--x"]
        );
        let none = commands(&Env::from_pairs([("HOME", "/h")]));
        assert_eq!(
            none,
            [vec![crate::sys::browser::default_opener().to_owned()]]
        );
        assert_eq!(commands(&env(" : ")), none);
    }

    #[test]
    fn the_first_command_that_works_opens_and_failures_never_show_the_url() {
        let url = Secret::new("https://signin.test/federation?SigninToken=SECRETTOKEN");
        assert_eq!(
            open(&url, &env("/nonexistent/browser:false:true")).unwrap(),
            "true"
        );
        let e = open(&url, &env("/nonexistent/browser:false")).unwrap_err();
        let text = format!("{} {}", e.message(), e.hint_text().unwrap_or_default());
        assert!(
            text.contains("`/nonexistent/browser` was not found"),
            "{text}"
        );
        assert!(text.contains("`false` failed"), "{text}");
        assert!(!text.contains("SECRETTOKEN"), "{text}");
    }

    #[test]
    fn a_browser_still_running_counts_as_opened_and_is_left_running() {
        let start = Instant::now();
        // `sleep 6 1` sleeps 7 seconds, past the wait (a real URL is no number for sleep).
        open(&Secret::new("1"), &env("sleep 6 %s")).unwrap();
        let waited = start.elapsed();
        assert!(
            waited >= WAIT && waited < WAIT + Duration::from_secs(3),
            "{waited:?}"
        );
    }
}
