//! UTC timestamps in RFC 3339 (`2026-11-24T07:49:20Z`), to write and to read back; and
//! times for a person to read, in the local time zone.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// `2026-11-24T07:49:20Z`.
pub fn rfc3339(secs: i64) -> String {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `secs` on the local clock, for a person: `16:49 JST` when it is within a day of `now`,
/// else `2026-11-25 16:49 JST`. The zone is the C library's: TZ (a zone name or a POSIX
/// string such as `JST-9`), else /etc/localtime, else UTC. Variables stay UTC (`rfc3339`).
pub fn clock(secs: i64, now: i64) -> String {
    let (offset, zone) = local_zone(secs).unwrap_or((0, String::new()));
    clock_in(secs, now, offset, &zone)
}

/// [`clock`] in a zone `offset` seconds east of UTC, called `zone`. A zone with no name of
/// letters (`-03`, `+0530`, or none) is shown by its offset: `UTC-03:00`.
fn clock_in(secs: i64, now: i64, offset: i64, zone: &str) -> String {
    let full = rfc3339(secs + offset);
    let named = (2..=6).contains(&zone.len()) && zone.bytes().all(|b| b.is_ascii_alphabetic());
    let zone = if named {
        zone.to_owned()
    } else if offset == 0 {
        "UTC".to_owned()
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.abs();
        format!("UTC{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60)
    };
    if (secs - now).abs() < 86_400 {
        format!("{} {zone}", &full[11..16])
    } else {
        format!("{} {} {zone}", &full[..10], &full[11..16])
    }
}

/// The local zone's offset east of UTC at `secs`, and its abbreviation, from `localtime_r`.
///
/// The C library rather than a time-zone crate or a TZif reader of our own: it already
/// handles TZ names, POSIX TZ strings and /etc/localtime exactly as every other program on
/// the machine, at no cost in size. It costs one read of the zone file (about 20 µs here)
/// and runs only where a time is shown; `status --prompt` shows none.
#[allow(unsafe_code)]
// time_t and long are i64 here, i32 on 32-bit targets: the conversions are for those.
#[allow(clippy::useless_conversion)]
// The libc crate marks musl's time_t deprecated (it follows musl 1.2's 64-bit time_t in a later
// release, libc#1848); the value is converted with a check either way.
#[allow(deprecated)]
fn local_zone(secs: i64) -> Option<(i64, String)> {
    let time: libc::time_t = secs.try_into().ok()?;
    // SAFETY: tm is plain data, zeroed; localtime_r writes only into it (and the library's
    // own zone state, initialised from TZ on first use; mfa-env never changes its own
    // environment). tm_zone is null or points at a NUL-terminated name the library keeps for
    // the life of the process; it is copied at once.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&time, &mut tm).is_null() {
            return None;
        }
        let zone = if tm.tm_zone.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(tm.tm_zone)
                .to_string_lossy()
                .into_owned()
        };
        Some((i64::from(tm.tm_gmtoff), zone))
    }
}

/// Read `2026-11-24T07:49:20Z`, with optional fractional seconds and a `Z` or `+00:00`
/// offset (any offset is applied). Fractions are dropped.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=days_in_month(y, mo)).contains(&d) {
        return None;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !matches!(rb[0], b'+' | b'-') || rb[3] != b':' {
                return None;
            }
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            let sign = if rb[0] == b'-' { -1 } else { 1 };
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s - offset)
}

/// February 30 is not a date; without this check it read as March 2 (found by fuzzing).
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's algorithms for the proleptic Gregorian calendar.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_506_560), "2026-11-24T07:49:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        for secs in [0, 1, 86_399, 951_782_400, 1_795_506_560, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&rfc3339(secs)), Some(secs));
        }
    }

    #[test]
    fn leap_days() {
        assert!(parse_rfc3339("2024-02-29T00:00:00Z").is_some());
        assert!(parse_rfc3339("2000-02-29T00:00:00Z").is_some());
        assert!(parse_rfc3339("2026-12-31T23:59:59Z").is_some());
    }

    #[test]
    fn reads_what_servers_send() {
        assert_eq!(
            parse_rfc3339("2026-11-24T07:49:20.294698Z"),
            Some(1_795_506_560)
        );
        assert_eq!(
            parse_rfc3339("2026-11-24T08:49:20+01:00"),
            Some(1_795_506_560)
        );
        for bad in [
            "",
            "2026-11-24",
            "2026-13-24T07:49:20Z",
            "2026-11-24T07:49:20",
            "2026-11-24T07:49:20.Z",
            "x026-11-24T07:49:20Z",
            "9918-02-30T07:24:03Z",
            "2026-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn clocks() {
        let t = 1_795_506_560; // 2026-11-24T07:49:20Z
        assert_eq!(clock_in(t, t - 3600, 0, "UTC"), "07:49 UTC");
        assert_eq!(clock_in(t, t - 30 * 3600, 0, "UTC"), "2026-11-24 07:49 UTC");
        assert_eq!(clock_in(t, t, 9 * 3600, "JST"), "16:49 JST");
        // The local date, which may be another day than UTC's.
        assert_eq!(
            clock_in(t, t - 30 * 3600, -10 * 3600, "HST"),
            "2026-11-23 21:49 HST"
        );
        // A zone without a name of letters is shown by its offset.
        assert_eq!(clock_in(t, t, 5 * 3600 + 1800, "+0530"), "13:19 UTC+05:30");
        assert_eq!(clock_in(t, t, -3 * 3600, "-03"), "04:49 UTC-03:00");
        assert_eq!(clock_in(t, t, 0, ""), "07:49 UTC");
    }
}
