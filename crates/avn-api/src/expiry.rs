//! Services that expire: the expiry is a service tag, so it survives any machine and any client.
//!
//! Tag `avn_expires_at`, value the instant in UTC, RFC 3339 to the second
//! (`2026-11-22T10:00:00Z`). The key is lower-case letters and underscores only and the value
//! under 64 characters, within the rules of Aiven's tag API. The CLI writes it (`--expires-in`)
//! and reads it (`avn service prune`); the local control plane terminates what has expired.

use std::collections::BTreeMap;

use jiff::Timestamp;

/// The tag that holds a service's expiry.
pub const TAG: &str = "avn_expires_at";

/// The tag's value for an instant: UTC to the second.
pub fn format(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A service's expiry, if its tags carry a readable one.
pub fn of(tags: &BTreeMap<String, String>) -> Option<Timestamp> {
    tags.get(TAG).and_then(|v| crate::time::parse(v))
}
