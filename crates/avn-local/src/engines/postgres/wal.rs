//! Positions in the write-ahead log, and what waits on the WAL archive.
//!
//! - [`Lsn`]: a byte position in the WAL (`16/B374D848`), ordered as positions are;
//! - [`Segment`]: a WAL segment file name (`000000010000000000000002`: timeline, log, segment),
//!   ordered by position within a timeline;
//! - where a base backup starts, where a running server writes and replays, and the waits for
//!   the archiver.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use super::process::ClusterError;
use super::process::Pg;
use super::sql;
use crate::engines::Layout;
use avn_util::wait::Deadline;

/// A byte position in the WAL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Lsn(pub u64);

impl Lsn {
    /// `16/B374D848` → the position.
    pub fn parse(s: &str) -> Option<Lsn> {
        let (hi, lo) = s.split_once('/')?;
        Some(Lsn((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?))
    }

    /// Bytes from `earlier` to here (0 when `earlier` is not earlier).
    pub fn bytes_since(self, earlier: Lsn) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// A WAL segment's file name: 24 hex digits (timeline, log, segment).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment(String);

impl Segment {
    pub fn parse(name: &str) -> Option<Segment> {
        (name.len() == 24 && name.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Segment(name.to_string()))
    }

    pub fn name(&self) -> &str {
        &self.0
    }

    /// The timeline part.
    pub fn timeline(&self) -> &str {
        &self.0[..8]
    }

    /// The position part (log and segment, without the timeline): segments of every timeline
    /// compare by it.
    pub fn position(&self) -> &str {
        &self.0[8..]
    }

    /// Whether this segment is at or past `other`, on the same or a later timeline.
    pub fn reached(&self, other: &Segment) -> bool {
        self.position() >= other.position() && self.timeline() >= other.timeline()
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `START WAL LOCATION: 0/2000028 (file 000000010000000000000002)` of a base backup: where its
/// recovery starts, and the first segment it needs.
pub fn backup_start(backup_dir: &Path) -> Option<(Lsn, Segment)> {
    let label = std::fs::read_to_string(backup_dir.join("backup_label")).ok()?;
    let line = label.lines().find(|l| l.starts_with("START WAL LOCATION:"))?;
    let lsn = Lsn::parse(line.split_whitespace().nth(3)?)?;
    let file = Segment::parse(line.split("(file ").nth(1)?.trim_end_matches(')'))?;
    Some((lsn, file))
}

/// Where a running server writes.
pub async fn current_lsn(layout: &Layout, port: u16) -> Result<Lsn, ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    let row = c.query_one("SELECT pg_current_wal_lsn()::text", &[]).await?;
    let text: String = row.get(0);
    Lsn::parse(&text).ok_or(ClusterError::BadLsn(text))
}

/// During recovery: the replay position, or None once promoted.
pub async fn replay_lsn(layout: &Layout, port: u16) -> Result<Option<Lsn>, ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    let row = c.query_one("SELECT pg_is_in_recovery(), coalesce(pg_last_wal_replay_lsn()::text, '0/0')", &[]).await?;
    let in_recovery: bool = row.get(0);
    Ok(if in_recovery { Lsn::parse(&row.get::<_, String>(1)) } else { None })
}

/// Make sure every transaction committed so far is in the archive: write one transaction
/// (so a commit record follows any target in the past), switch segments, wait for the archiver.
pub async fn ensure_archived(layout: &Layout, port: u16, timeout: Duration) -> Result<(), ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    c.simple_query("SELECT txid_current()").await?;
    let row = c.query_one("SELECT pg_walfile_name(pg_switch_wal())", &[]).await?;
    let name: String = row.get(0);
    let segment = Segment::parse(&name).ok_or(ClusterError::BadLsn(name))?;
    let deadline = Deadline::after(timeout);
    loop {
        let row = c
            .query_one(
                "SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, '') FROM pg_stat_archiver",
                &[],
            )
            .await?;
        let archived: String = row.get(0);
        // History files (`.history`) are no segments.
        if Segment::parse(&archived).is_some_and(|a| a.reached(&segment)) {
            return Ok(());
        }
        if deadline.passed() {
            return Err(ClusterError::NotArchived {
                segment: segment.to_string(),
                timeout,
                archived,
                failed: row.get(1),
            });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Wait until `segment` is in the archive (archive_command renames it there once synced; older
/// segments may have been compressed since).
pub async fn wait_in_archive(layout: &Layout, segment: &Segment, timeout: Duration) -> Result<(), ClusterError> {
    let (plain, packed) = (layout.archive().join(segment.name()), layout.archive().join(format!("{segment}.zst")));
    avn_util::wait::until("a WAL segment to reach the archive", timeout, Duration::from_millis(10), || async {
        (plain.exists() || packed.exists()).then_some(())
    })
    .await
    .map_err(|_| ClusterError::NotInArchive { segment: segment.to_string(), timeout })
}

/// Remove archived WAL older than `oldest_needed`, plain or compressed.
pub async fn archive_cleanup(pg: &Pg, layout: &Layout, oldest_needed: &Segment) -> Result<(), ClusterError> {
    pg.run("pg_archivecleanup", &["-x", ".zst", &layout.archive().to_string_lossy(), oldest_needed.name()]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsns_and_segments_parse_and_order() {
        let l = Lsn::parse("16/B374D848").unwrap();
        assert_eq!(l, Lsn((0x16 << 32) | 0xB374D848));
        assert_eq!(l.to_string(), "16/B374D848");
        assert_eq!(Lsn::parse("nope"), None);
        assert!(Lsn::parse("0/2000028").unwrap() < Lsn::parse("1/0").unwrap());
        assert_eq!(Lsn(10).bytes_since(Lsn(20)), 0);
        let a = Segment::parse("000000010000000000000002").unwrap();
        let b = Segment::parse("000000020000000000000003").unwrap();
        assert!(b.reached(&a) && !a.reached(&b) && a.reached(&a));
        assert_eq!(b.position(), "0000000000000003");
        assert!(Segment::parse("00000002.history").is_none() && Segment::parse("0000000100000000000000zz").is_none());
    }
}
