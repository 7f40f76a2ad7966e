//! Services that expire, as the CLI sets and shows them. The tag itself (`avn_expires_at`) and
//! its format are `avn_api::expiry`'s, shared with the local control plane.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;

use crate::error::CliError;

pub use avn_api::expiry::format;
pub use avn_api::expiry::TAG;

/// `--expires-in` / `--expires-at`, resolved against `now`: None when neither is given. The
/// instant must be in the future.
pub fn resolve(
    expires_in: Option<&str>,
    expires_at: Option<&str>,
    now: Timestamp,
) -> Result<Option<Timestamp>, CliError> {
    let at = match (expires_in, expires_at) {
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(CliError::usage("--expires-in and --expires-at both given").hint("give one of them"));
        }
        (Some(d), None) => {
            let d = crate::time::parse_duration(d).map_err(|e| CliError::usage(format!("--expires-in: {e}")))?;
            if d < Duration::from_secs(60) {
                return Err(CliError::usage("--expires-in must be at least a minute")
                    .hint("a service that expires sooner would be pruned before it is ready"));
            }
            let span = jiff::SignedDuration::try_from(d).map_err(|e| CliError::usage(format!("--expires-in: {e}")))?;
            now.checked_add(span).map_err(|e| CliError::usage(format!("--expires-in: {e}")))?
        }
        (None, Some(t)) if t.contains('[') => {
            return Err(CliError::usage(format!("--expires-at {t}: time zone names are not read"))
                .hint("give the instant with Z or an offset, e.g. 2026-11-22T10:00:00-05:00"));
        }
        (None, Some(t)) => avn_api::time::parse(t).ok_or_else(|| {
            CliError::usage(format!("--expires-at: cannot read '{t}' as a time"))
                .hint("write it as 2026-11-22T10:00:00Z, with an offset, or as UTC without a zone")
        })?,
    };
    if at <= now {
        return Err(CliError::usage(format!("the expiry {} is not in the future", format(at)))
            .hint("give a later --expires-at, or --expires-in 1d"));
    }
    Ok(Some(at))
}

/// A service's expiry, if its tags carry a readable one.
pub fn of(tags: Option<&BTreeMap<String, String>>) -> Option<Timestamp> {
    tags.and_then(avn_api::expiry::of)
}

/// `2026-11-22T10:00:00Z (in 23h 59m)` or `... (expired 5m ago)`.
pub fn describe(at: Timestamp, now: Timestamp) -> String {
    let left = at.duration_since(now);
    let span = Duration::try_from(left.abs()).unwrap_or_default();
    if left.is_negative() || left.is_zero() {
        format!("{} (expired {} ago)", format(at), crate::time::humanize(span))
    } else {
        format!("{} (in {})", format(at), crate::time::humanize(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-21T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn resolves_durations_and_instants_in_the_future_only() {
        assert_eq!(resolve(None, None, now()).unwrap(), None);
        assert_eq!(format(resolve(Some("1d"), None, now()).unwrap().unwrap()), "2026-11-22T10:00:00Z");
        assert_eq!(format(resolve(Some("90m"), None, now()).unwrap().unwrap()), "2026-11-21T11:30:00Z");
        assert_eq!(
            format(resolve(None, Some("2026-11-21T12:00:00+01:00"), now()).unwrap().unwrap()),
            "2026-11-21T11:00:00Z"
        );
        assert_eq!(format(resolve(None, Some("2026-11-21 12:00:00"), now()).unwrap().unwrap()), "2026-11-21T12:00:00Z");
        for (i, a) in [(Some("1d"), Some("2026-11-22T00:00:00Z")), (Some("10s"), None), (Some("soon"), None)] {
            assert!(resolve(i, a, now()).is_err(), "{i:?} {a:?}");
        }
        assert!(resolve(None, Some("2026-11-21T09:00:00Z"), now()).is_err(), "in the past");
        assert!(resolve(None, Some("tomorrow"), now()).is_err());
        assert!(resolve(None, Some("2026-11-22T10:00:00[America/New_York]"), now()).is_err());
    }

    #[test]
    fn reads_and_describes_the_tag() {
        let tags: BTreeMap<String, String> = [(TAG.to_string(), "2026-11-21T12:30:00Z".to_string())].into();
        let at = of(Some(&tags)).unwrap();
        assert_eq!(describe(at, now()), "2026-11-21T12:30:00Z (in 2h 30m)");
        assert_eq!(describe(now(), at), "2026-11-21T10:00:00Z (expired 2h 30m ago)");
        assert_eq!(of(None), None);
        let bad: BTreeMap<String, String> = [(TAG.to_string(), "never".to_string())].into();
        assert_eq!(of(Some(&bad)), None);
    }
}
