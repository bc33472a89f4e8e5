//! The program that opens a URL in the person's default browser, when $BROWSER names none.
//!
//! - macOS: `open URL` (LaunchServices: the default browser, a running one reused).
//! - Linux, FreeBSD and the other systems with a freedesktop.org desktop: `xdg-open URL`
//!   (xdg-utils: the desktop's default browser, else $BROWSER's, else a list of known ones).

/// The default opener's program; the URL is its one argument.
pub fn default_opener() -> &'static str {
    if cfg!(target_vendor = "apple") {
        "open"
    } else {
        "xdg-open"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_opener_is_the_systems() {
        let expected = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        assert_eq!(super::default_opener(), expected);
    }
}
