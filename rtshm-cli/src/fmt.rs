//! Text output: durations, dates and hex, by hand (no formatting dependencies); JSON is
//! `serde_json`'s.

use std::fmt::Write as _;
use std::time::Duration;

use rtshm::liveness::WriterStatus;

/// A duration for people: `850 us`, `12.3 ms`, `4.2 s`, `3 min`, `5 h`.
pub(crate) fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1e-3 {
        format!("{} us", d.as_micros())
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.0} h", s / 3600.0)
    }
}

/// A byte count for people: `512 B`, `64.0 kB`, `12.5 MB`, `3.2 GB` (decimal units).
#[cfg_attr(not(feature = "record"), allow(dead_code))]
pub(crate) fn bytes(n: u64) -> String {
    let x = n as f64;
    if x < 1e3 {
        format!("{n} B")
    } else if x < 1e6 {
        format!("{:.1} kB", x / 1e3)
    } else if x < 1e9 {
        format!("{:.1} MB", x / 1e6)
    } else {
        format!("{:.1} GB", x / 1e9)
    }
}

/// `CLOCK_REALTIME` nanoseconds as UTC, ISO 8601: `2026-11-25T10:31:02Z`.
pub(crate) fn utc(ns: u64) -> String {
    let secs = ns / 1_000_000_000;
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Year, month, day of `days` since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (era * 400 + yoe + u64::from(m <= 2), m, d)
}

/// The one-word writer status: `alive`, `stale`, `dead`, `unknown`, `unowned`.
pub(crate) fn status_word(s: &WriterStatus) -> &'static str {
    match s {
        WriterStatus::Alive { .. } => "alive",
        WriterStatus::Stale { .. } => "stale",
        WriterStatus::Dead => "dead",
        WriterStatus::Unowned => "unowned",
        _ => "unknown",
    }
}

/// The heartbeat age of a live or stale writer.
pub(crate) fn heartbeat_age(s: &WriterStatus) -> Option<Duration> {
    match s {
        WriterStatus::Alive { age }
        | WriterStatus::Stale { age }
        | WriterStatus::Unknown { age } => Some(*age),
        _ => None,
    }
}

/// Lowercase hex, no separators.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// An `xxd`-like dump of at most `limit` bytes (0: all), 16 per line, indented by `indent`.
pub(crate) fn hex_dump(bytes: &[u8], limit: usize, indent: &str) -> String {
    let shown = if limit == 0 {
        bytes.len()
    } else {
        limit.min(bytes.len())
    };
    let mut out = String::new();
    for (i, line) in bytes[..shown].chunks(16).enumerate() {
        let _ = write!(out, "{indent}{:08x}  ", i * 16);
        for (j, b) in line.iter().enumerate() {
            let sep = if j == 8 { " " } else { "" };
            let _ = write!(out, "{sep}{b:02x} ");
        }
        let pad = (16 - line.len()) * 3 + usize::from(line.len() <= 8);
        out.push_str(&" ".repeat(pad));
        out.push('|');
        out.extend(line.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
    if shown < bytes.len() {
        let _ = writeln!(
            out,
            "{indent}... {} more bytes (--bytes 0 shows all)",
            bytes.len() - shown
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_iso() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400 * 1_000_000_000), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_795_000_000 * 1_000_000_000), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(Duration::from_micros(850)), "850 us");
        assert_eq!(duration(Duration::from_micros(12_300)), "12.3 ms");
        assert_eq!(duration(Duration::from_millis(4_200)), "4.2 s");
        assert_eq!(duration(Duration::from_secs(180)), "3 min");
    }

    #[test]
    fn hex_dumps_align_and_truncate() {
        let d = hex_dump(b"ABCDEFGHIJKLMNOPQ", 0, "");
        assert_eq!(
            d,
            "00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50 |ABCDEFGHIJKLMNOP|\n\
             00000010  51                                               |Q|\n"
        );
        assert!(hex_dump(&[0; 40], 16, "").contains("24 more bytes"));
    }
}
