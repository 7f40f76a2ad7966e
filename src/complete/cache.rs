//! Completion candidates fetched from the API, kept for a minute.
//!
//! One file per (API URL, project, kind, argument) in `<cache dir>/completion/`, mode 0600 in a
//! 0700 directory, written atomically. A file holds names and descriptions only, never a token.
//! Anything unreadable counts as missing: the cache can be deleted at any time.

use std::path::PathBuf;
use std::time::Duration;
use std::time::SystemTime;
use std::time::UNIX_EPOCH;

use serde::Deserialize;
use serde::Serialize;

use super::engine::Candidate;

/// How long fetched candidates are used without asking the API again.
pub const FRESH_FOR: Duration = Duration::from_secs(60);
/// How long after starting a background refresh for a key no other one starts.
pub const REFRESH_PAUSE: Duration = Duration::from_secs(20);

/// What a cache file is about. Two keys never share a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub url: String,
    pub project: String,
    /// `services`, `projects`, `plans`, `clouds` or `backups`.
    pub kind: &'static str,
    /// The service type of plans, the service of backups, else empty.
    pub arg: String,
}

impl Key {
    fn text(&self) -> String {
        format!("{}\n{}\n{}\n{}", self.kind, self.url, self.project, self.arg)
    }

    fn file_name(&self) -> String {
        format!("{}-{:016x}.json", self.kind, fnv1a(self.text().as_bytes()))
    }
}

/// FNV-1a: a file name that stays the same across builds (std's hasher may not).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    /// Milliseconds since the UNIX epoch.
    fetched_ms: u64,
    items: Vec<(String, String)>,
}

/// Candidates read from the cache, and whether they are recent enough to use as they are.
pub struct Cached {
    pub items: Vec<Candidate>,
    pub fresh: bool,
}

pub struct Cache {
    pub dir: PathBuf,
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl Cache {
    /// The cache in the user's cache directory.
    pub fn user() -> Cache {
        Cache { dir: crate::dirs::cache_dir().join("completion") }
    }

    pub fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(key.file_name())
    }

    pub fn get(&self, key: &Key) -> Option<Cached> {
        let entry: Entry = serde_json::from_slice(&std::fs::read(self.path(key)).ok()?).ok()?;
        if entry.key != key.text() {
            return None;
        }
        let age = now_ms().checked_sub(entry.fetched_ms);
        let fresh = age.is_some_and(|a| a < FRESH_FOR.as_millis() as u64);
        let items = entry.items.into_iter().map(|(value, help)| Candidate { value, help }).collect();
        Some(Cached { items, fresh })
    }

    /// Keep `items` for `key`; a failure to write only means asking the API next time.
    pub fn put(&self, key: &Key, items: &[Candidate]) {
        let entry = Entry {
            key: key.text(),
            fetched_ms: now_ms(),
            items: items.iter().map(|c| (c.value.clone(), c.help.clone())).collect(),
        };
        if let Ok(bytes) = serde_json::to_vec(&entry) {
            let _ = crate::config::write_atomic(&self.path(key), &bytes, 0o600);
        }
    }

    /// Whether to start a background refresh for `key`: not when one started in the last
    /// [`REFRESH_PAUSE`] (a dead API and a user pressing Tab do not start a process each time).
    pub fn claim_refresh(&self, key: &Key) -> bool {
        let marker = self.dir.join(format!("{}.refresh", key.file_name()));
        let recent = std::fs::metadata(&marker)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age < REFRESH_PAUSE));
        !recent && crate::config::write_atomic(&marker, b"", 0o600).is_ok()
    }

    /// Drop what is kept for `key` (after a command changed it).
    pub fn forget(&self, key: &Key) {
        let _ = std::fs::remove_file(self.path(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kind: &'static str, project: &str) -> Key {
        Key { url: "https://api.aiven.io".into(), project: project.into(), kind, arg: String::new() }
    }

    #[test]
    fn round_trip_is_fresh_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache { dir: dir.path().join("completion") };
        let k = key("services", "p1");
        assert!(cache.get(&k).is_none());
        cache.put(&k, &[Candidate::new("db1", "pg RUNNING")]);
        let got = cache.get(&k).unwrap();
        assert!(got.fresh);
        assert_eq!(got.items, vec![Candidate::new("db1", "pg RUNNING")]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&cache.path(&k)), 0o600);
            assert_eq!(mode(&cache.dir), 0o700);
        }
        // another project, kind or URL is another file
        assert!(cache.get(&key("services", "p2")).is_none());
        assert!(cache.get(&key("projects", "p1")).is_none());
        cache.forget(&k);
        assert!(cache.get(&k).is_none());
    }

    #[test]
    fn entries_older_than_a_minute_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache { dir: dir.path().to_path_buf() };
        let k = key("clouds", "");
        for (age_ms, fresh) in [(59_000, true), (61_000, false)] {
            let entry =
                Entry { key: k.text(), fetched_ms: now_ms() - age_ms, items: vec![("local".into(), "".into())] };
            std::fs::write(cache.path(&k), serde_json::to_vec(&entry).unwrap()).unwrap();
            let got = cache.get(&k).unwrap();
            assert_eq!(got.fresh, fresh, "{age_ms}");
            assert_eq!(got.items[0].value, "local");
        }
        // a clock that went backwards does not make an entry fresh forever
        let entry = Entry { key: k.text(), fetched_ms: now_ms() + 3_600_000, items: vec![] };
        std::fs::write(cache.path(&k), serde_json::to_vec(&entry).unwrap()).unwrap();
        assert!(!cache.get(&k).unwrap().fresh);
    }

    #[test]
    fn a_damaged_file_counts_as_missing() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache { dir: dir.path().to_path_buf() };
        let k = key("services", "p");
        std::fs::write(cache.path(&k), b"{not json").unwrap();
        assert!(cache.get(&k).is_none());
    }
}
