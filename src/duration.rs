//! Session lengths as people write them (`12h`, `90m`, `1h30m`, `3600s`, `3600`) and as we show them.

use std::time::Duration;

/// Parse `12h`, `90m`, `3600s`, `1h30m`, `2d` or plain seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("'{text}' is too long a duration"));
    }
    let mut total: u64 = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad(text));
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad(text))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = match &rest[..unit_len] {
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hr" | "hrs" => 3600,
            "d" => 86_400,
            _ => return Err(bad(text)),
        };
        rest = &rest[unit_len..];
        total = number
            .checked_mul(unit)
            .and_then(|s| total.checked_add(s))
            .ok_or_else(|| format!("'{text}' is too long a duration"))?;
    }
    Ok(Duration::from_secs(total))
}

fn bad(text: &str) -> String {
    format!("'{text}' is not a duration; write it like 12h, 90m, 1h30m, 3600s or 3600")
}

/// A length for people: `12h`, `1h30m`, `42m`, `59s`; rounded to the minute above one minute.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        return format!("{secs}s");
    }
    // Rounded to the nearest minute without `secs + 30`, which overflows for the largest
    // `--duration` that parses (found by the fuzz target).
    let minutes = secs / 60 + u64::from(secs % 60 >= 30);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// Check a requested length against what an STS call accepts.
pub fn check_range(d: Duration, min: Duration, max: Duration, call: &str) -> Result<(), String> {
    if d < min || d > max {
        return Err(format!(
            "{call} accepts a duration from {} to {}; {} was asked",
            human(min),
            human(max),
            human(d)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_people_write() {
        for (text, secs) in [
            ("12h", 43_200),
            ("90m", 5400),
            ("3600s", 3600),
            ("3600", 3600),
            ("1h30m", 5400),
            (" 15m ", 900),
            ("1d", 86_400),
            ("36h", 129_600),
        ] {
            assert_eq!(parse(text), Ok(Duration::from_secs(secs)), "{text}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_duration() {
        for text in [
            "",
            "h",
            "12x",
            "-5m",
            "1.5h",
            "12 h",
            "m12",
            "99999999999999999999",
        ] {
            assert!(parse(text).is_err(), "{text:?} parsed");
        }
        assert!(parse("99999999999999999h").is_err());
    }

    #[test]
    fn human_lengths() {
        assert_eq!(human(Duration::from_secs(43_200)), "12h");
        assert_eq!(human(Duration::from_secs(43_199)), "12h");
        assert_eq!(human(Duration::from_secs(5400)), "1h30m");
        assert_eq!(human(Duration::from_secs(2520)), "42m");
        assert_eq!(human(Duration::from_secs(59)), "59s");
        assert_eq!(human(Duration::from_secs(89)), "1m");
        assert_eq!(human(Duration::from_secs(90)), "2m");
        assert_eq!(human(Duration::from_secs(u64::MAX)), "5124095576030431h");
    }

    #[test]
    fn range() {
        let (min, max) = (Duration::from_secs(900), Duration::from_secs(129_600));
        assert!(check_range(Duration::from_secs(900), min, max, "x").is_ok());
        assert!(check_range(Duration::from_secs(899), min, max, "x").is_err());
        assert!(check_range(Duration::from_secs(129_601), min, max, "x").is_err());
    }
}
