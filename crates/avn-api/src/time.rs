//! Timestamps on the wire, the one formatter and parser for the workspace.
//!
//! The API prints times as RFC 3339 in UTC (`2026-11-21T05:20:38.123456Z`) and accepts
//! `recovery_target_time` with an offset (`2026-11-21T05:20:38+00:00`), as the official client
//! sends it. Older responses sometimes carry a naive `YYYY-MM-DD HH:MM:SS`, which means UTC.

use jiff::civil;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// `2026-11-21T05:20:38Z`, with microseconds when not whole: responses, and what people read.
pub fn format_zulu(ts: Timestamp) -> String {
    format(ts, "Z")
}

/// `2026-11-21T05:20:38+00:00`: request bodies (`recovery_target_time`), at most 32 characters.
pub fn format_offset(ts: Timestamp) -> String {
    format(ts, "+00:00")
}

/// The one formatter: UTC, microseconds only when they are not zero, then `zone`.
fn format(ts: Timestamp, zone: &str) -> String {
    let micros = ts.subsec_microsecond();
    let base = ts.to_zoned(TimeZone::UTC).datetime().strftime("%Y-%m-%dT%H:%M:%S").to_string();
    let fraction = if micros == 0 { String::new() } else { format!(".{micros:06}") };
    format!("{base}{fraction}{zone}")
}

/// Read a time the API sent: RFC 3339 with a zone, or naive (taken as UTC). None when unreadable.
pub fn parse(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    s.parse::<Timestamp>().ok().or_else(|| {
        s.parse::<civil::DateTime>()
            .ok()
            .filter(|_| !s.ends_with(['Z', 'z']))
            .and_then(|dt| dt.to_zoned(TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_reads_back() {
        let t: Timestamp = "2026-11-21T05:20:38.123456Z".parse().unwrap();
        assert_eq!(format_zulu(t), "2026-11-21T05:20:38.123456Z");
        assert_eq!(format_offset(t), "2026-11-21T05:20:38.123456+00:00");
        let whole: Timestamp = "2026-11-21T07:20:38+02:00".parse().unwrap();
        assert_eq!(format_zulu(whole), "2026-11-21T05:20:38Z");
        assert!(format_offset(t).len() <= 32);
        assert_eq!(parse(&format_zulu(t)), Some(t));
        assert_eq!(parse(&format_offset(t)), Some(t));
        assert_eq!(parse("2026-11-21 05:20:38.123456"), Some(t));
        assert_eq!(parse("2026-11-21T05:20:38.123456z"), Some(t));
        assert_eq!(parse("yesterday"), None);
    }
}
