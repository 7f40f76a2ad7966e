//! Where a base backup starts, where a running server writes and replays, and the waits for the
//! WAL archive, in [`Lsn`]s and [`Segment`]s (`avn_api::wal`, shared with the CLI's renames).

use std::path::Path;
use std::time::Duration;

use super::process::ClusterError;
use super::process::Pg;
use super::sql;
use crate::engines::Layout;

pub use avn_api::wal::Lsn;
pub use avn_api::wal::Segment;

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
    let segment = Segment::parse(&name).ok_or(ClusterError::BadSegment(name))?;
    // What the archiver said last, for the error when it does not get there.
    let last = std::sync::Mutex::new((String::new(), String::new()));
    let every = Duration::from_millis(20);
    let reached = avn_util::wait::until("the archiver to archive the switched segment", timeout, every, || async {
        let query = "SELECT coalesce(last_archived_wal, ''), coalesce(last_failed_wal, '') FROM pg_stat_archiver";
        let row = match c.query_one(query, &[]).await {
            Ok(row) => row,
            Err(e) => return Some(Err(e)),
        };
        let (archived, failed): (String, String) = (row.get(0), row.get(1));
        // History files (`.history`) are no segments.
        let done = Segment::parse(&archived).is_some_and(|a| a.reached(&segment));
        *last.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = (archived, failed);
        done.then_some(Ok(()))
    });
    match reached.await {
        Ok(r) => Ok(r?),
        Err(_) => {
            let (archived, failed) = last.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
            Err(ClusterError::NotArchived { segment: segment.to_string(), timeout, archived, failed })
        }
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
