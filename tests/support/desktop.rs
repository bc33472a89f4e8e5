//! A desktop for the dialog tests: a real X server (Xvfb) of the test's own, on the display
//! number it picks itself (`-displayfd`, so that tests running at once never share one), and
//! xdotool to answer the dialogs on it as a person would. Xvfb, zenity and xdotool come from
//! scripts/test; a missing one fails the test.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An X server, killed when dropped.
pub struct Desktop {
    server: Child,
    /// `:N`
    pub display: String,
}

fn missing(program: &str, e: std::io::Error) -> ! {
    panic!("{program} cannot run ({e}): run scripts/test, which installs xvfb, zenity and xdotool")
}

impl Desktop {
    pub fn start() -> Desktop {
        let mut server = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| missing("Xvfb", e));
        // Xvfb writes the display's number and a newline on the descriptor once it serves.
        let mut out = server.stdout.take().unwrap();
        let mut number = Vec::new();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            number.push(byte[0]);
        }
        let number = String::from_utf8(number).unwrap();
        assert!(!number.is_empty(), "Xvfb said no display number");
        Desktop {
            server,
            display: format!(":{number}"),
        }
    }

    fn xdotool(&self, args: &[&str]) -> std::process::Output {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| missing("xdotool", e))
    }

    /// The windows named `title` now.
    pub fn windows(&self, title: &str) -> Vec<String> {
        let out = self.xdotool(&["search", "--name", title]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The window named `title`, once one is shown (within `limit`).
    #[track_caller]
    pub fn wait_window(&self, title: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            if let Some(window) = self.windows(title).into_iter().next() {
                return window;
            }
            assert!(
                start.elapsed() < limit,
                "no window named {title:?} within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Type `text` into the dialog named `title` and press Return, as FACTS.md's recipe does.
    #[track_caller]
    pub fn answer(&self, title: &str, text: &str) {
        let window = self.wait_window(title, Duration::from_secs(20));
        self.focus(&window);
        let out = self.xdotool(&["type", "--delay", "20", text]);
        assert!(out.status.success(), "xdotool type: {out:?}");
        let out = self.xdotool(&["key", "Return"]);
        assert!(out.status.success(), "xdotool key: {out:?}");
        self.wait_closed(title, &window);
    }

    /// Press Escape in the dialog named `title`: its Cancel.
    #[track_caller]
    pub fn cancel(&self, title: &str) {
        let window = self.wait_window(title, Duration::from_secs(20));
        self.focus(&window);
        let out = self.xdotool(&["key", "Escape"]);
        assert!(out.status.success(), "xdotool key: {out:?}");
        self.wait_closed(title, &window);
    }

    fn focus(&self, window: &str) {
        // Mapped and focused: a dialog just created may not take keys yet.
        let out = self.xdotool(&["windowactivate", "--sync", window]);
        if !out.status.success() {
            // No window manager: focus it directly.
            let out = self.xdotool(&["windowfocus", "--sync", window]);
            assert!(out.status.success(), "xdotool windowfocus: {out:?}");
        }
    }

    /// Wait for `window` to be gone, so that the next dialog is not taken for it.
    #[track_caller]
    fn wait_closed(&self, title: &str, window: &str) {
        let start = Instant::now();
        while self.windows(title).iter().any(|w| w == window) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the dialog stays open"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}
