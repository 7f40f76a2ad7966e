//! Durations (`--timeout`) and point-in-time targets (`--pitr`, `--recovery-target-time`).
//!
//! Target forms: RFC 3339 with `Z` or an offset; `YYYY-MM-DD HH:MM:SS[.ffffff]` without a zone,
//! taken as UTC (as the Aiven API does); relative `-90m`, `2h ago`, `1d3h ago`; `@UNIX_SECONDS`;
//! and `latest`/`now` for no target (the latest transaction).

use std::time::Duration;

use jiff::civil;
use jiff::Timestamp;

pub use avn_cli::parse::parse_duration;
use avn_cli::parse::parse_span;

/// A resolved recovery target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// No target: restore to the latest transaction.
    Latest,
    At {
        instant: Timestamp,
        /// The input had no zone and was taken as UTC.
        assumed_utc: bool,
    },
}

/// Parse a target relative to `now`. Rejects instants in the future.
pub fn parse_target(input: &str, now: Timestamp) -> Result<Target, String> {
    let s = input.trim();
    let lower = s.to_ascii_lowercase();
    if lower == "latest" || lower == "now" {
        return Ok(Target::Latest);
    }
    let (instant, assumed_utc) = if let Some(secs) = s.strip_prefix('@') {
        let secs: i64 =
            secs.parse().map_err(|_| format!("invalid time '{input}': '@' must be followed by UNIX seconds"))?;
        (Timestamp::from_second(secs).map_err(|e| format!("invalid time '{input}': {e}"))?, false)
    } else if lower.starts_with('-') || lower.ends_with("ago") {
        // `-90m` and `90m ago` are both in the past: jiff reads either as a negative span.
        let back = parse_span(&lower)
            .filter(|d| d.is_negative())
            .ok_or_else(|| format!("invalid relative time '{input}': use forms like -90m, 2h ago, 1d3h ago"))?;
        (now.checked_add(back).map_err(|e| format!("invalid time '{input}': {e}"))?, false)
    } else if let Ok(ts) = s.parse::<Timestamp>() {
        (ts, false)
    } else if let Ok(dt) = s.parse::<civil::DateTime>() {
        if has_zone_suffix(s) {
            return Err(bad_time(input));
        }
        let ts = dt.to_zoned(jiff::tz::TimeZone::UTC).map_err(|e| format!("invalid time '{input}': {e}"))?.timestamp();
        (ts, true)
    } else {
        return Err(bad_time(input));
    };
    if instant > now {
        return Err(format!(
            "{} is in the future (now is {}): a fork can only restore the past",
            avn_api::time::format_zulu(instant),
            avn_api::time::format_zulu(now)
        ));
    }
    Ok(Target::At { instant, assumed_utc })
}

fn bad_time(input: &str) -> String {
    format!(
        "invalid time '{input}': use RFC 3339 (2026-01-02T03:04:05Z, or with +02:00), \
         'YYYY-MM-DD HH:MM:SS' (UTC), relative (-90m, 2h ago, 1d3h ago), @UNIX_SECONDS, or latest"
    )
}

fn has_zone_suffix(s: &str) -> bool {
    s.ends_with(['Z', 'z']) || s.contains('[')
}

/// `1d 3h`, `48m 12s`, `5s`: the largest two units of a duration.
pub fn humanize(d: Duration) -> String {
    let secs = d.as_secs();
    let parts = [(secs / 86400, "d"), ((secs % 86400) / 3600, "h"), ((secs % 3600) / 60, "m"), (secs % 60, "s")];
    let shown: Vec<String> = parts
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if shown.is_empty() {
        "0s".into()
    } else {
        shown.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-21T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("300").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("1h 5m 2s").unwrap(), Duration::from_secs(3902));
        assert_eq!(parse_duration("2.5").unwrap(), Duration::from_millis(2500));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("-5").is_err());
        assert!(parse_duration("m").is_err());
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(2 * 86400));
        assert_eq!(parse_duration("1w").unwrap(), Duration::from_secs(7 * 86400));
        assert_eq!(parse_duration("90 secs").unwrap(), Duration::from_secs(90));
        // Out of range or nonsense: a clean error, never a panic.
        for bad in ["1e20", "1e30", "inf", "NaN", "-90m", "2h ago", "99999999999999999999h", "2 months", "1y"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("1e20").unwrap_err().contains("100 years"));
    }

    #[test]
    fn target_forms() {
        let at = |s: &str| match parse_target(s, now()).unwrap() {
            Target::At { instant, .. } => avn_api::time::format_offset(instant),
            Target::Latest => "latest".into(),
        };
        assert_eq!(at("2026-11-21T10:00:00Z"), "2026-11-21T10:00:00+00:00");
        assert_eq!(at("2026-11-21T12:00:00+02:00"), "2026-11-21T10:00:00+00:00");
        assert_eq!(at("2026-11-21 10:00:00"), "2026-11-21T10:00:00+00:00");
        assert_eq!(at("2026-11-21 10:00:00.123456"), "2026-11-21T10:00:00.123456+00:00");
        assert_eq!(at("2023-01-20 11:38:49.926085+00:00"), "2023-01-20T11:38:49.926085+00:00");
        assert_eq!(at("-90m"), "2026-11-21T10:30:00+00:00");
        assert_eq!(at("2h ago"), "2026-11-21T10:00:00+00:00");
        assert_eq!(at("1d3h ago"), "2026-11-20T09:00:00+00:00");
        assert_eq!(at("@1700000000"), "2023-11-14T22:13:20+00:00");
        assert_eq!(at("latest"), "latest");
        assert_eq!(at("NOW"), "latest");
        assert!(avn_api::time::format_offset("2026-11-21T10:00:00.999999Z".parse().unwrap()).len() <= 32);
    }

    #[test]
    fn zoneless_is_flagged_as_utc() {
        assert_eq!(
            parse_target("2026-11-21 10:00:00", now()).unwrap(),
            Target::At { instant: "2026-11-21T10:00:00Z".parse().unwrap(), assumed_utc: true }
        );
    }

    #[test]
    fn future_and_garbage_are_rejected() {
        assert!(parse_target("2026-11-22T00:00:00Z", now()).unwrap_err().contains("future"));
        assert!(parse_target("yesterday", now()).unwrap_err().contains("RFC 3339"));
        assert!(parse_target("-5q", now()).is_err());
        for bad in ["-99999999999999999999h", "1e20 ago", "@99999999999999999999", "@-999999999999999", "-1y", "5m"] {
            assert!(parse_target(bad, now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn humanized() {
        assert_eq!(humanize(Duration::from_secs(3 * 86400 + 5 * 3600 + 7)), "3d 5h");
        assert_eq!(humanize(Duration::from_secs(125)), "2m 5s");
        assert_eq!(humanize(Duration::from_secs(0)), "0s");
    }
}
