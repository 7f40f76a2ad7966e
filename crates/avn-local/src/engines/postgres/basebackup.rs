//! Base backups and online copies of a running cluster: between `pg_backup_start` and
//! `pg_backup_stop`, cloned where the filesystem shares extents, packed elsewhere; and making a
//! restored copy durable.

use std::path::Path;
use std::time::Duration;

use super::process::ClusterError;
use super::process::Pg;
use super::sql;
use super::wal;
use super::wal::Segment;
use crate::engines::Layout;

/// Take a base backup into `base/<name>` (through `<name>.partial`); returns the bytes it restores
/// to. Packed backups share files identical to the previous backup's (`previous`).
pub async fn base_backup(
    pg: &Pg,
    layout: &Layout,
    port: u16,
    name: &str,
    previous: Option<&str>,
) -> Result<u64, ClusterError> {
    let partial = layout.base().join(format!("{name}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    // A backup is an online copy of the data directory (between pg_backup_start and
    // pg_backup_stop), which holds no WAL of its own: the archive keeps what it needs (from its
    // start, as for every backup), and the copy waits until that is archived. Where files can be
    // cloned (XFS, btrfs), it is a clone that shares every unchanged extent; elsewhere it is
    // packed (compressed, files unchanged since the previous backup shared), read straight from
    // the data directory at a background priority, so no plain copy is ever written.
    let how = match crate::engines::copy::detect(&layout.base()) {
        crate::engines::copy::Method::Reflink => OnlineCopy::Clone,
        crate::engines::copy::Method::Copy => {
            OnlineCopy::Pack { previous: previous.map(|p| layout.backup(p)).filter(|p| p.exists()) }
        }
    };
    let copied = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    // No time limit around the copy: it runs on blocking threads that a timeout would not stop
    // (they would go on writing into a directory being removed), and a large service takes long
    // to pack. The wait for the archive has its own limit.
    let r = online_copy(pg, layout, port, &partial, how, &copied, &|_| {}).await;
    // On disk before it is recorded: a crash never leaves a listed backup half written.
    if let Err(e) = match r {
        Ok(()) => sync_filesystem(&partial).await,
        e => e,
    } {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    // The rename on disk before the backup is recorded (rotation then deletes older ones).
    avn_util::crashsafe::persist(&partial, &layout.backup(name))?;
    Ok(backup_size(&layout.backup(name)))
}

/// The bytes a base backup restores to (its `data_size`).
pub fn backup_size(dir: &Path) -> u64 {
    if super::packed::is_packed(dir) {
        super::packed::raw_size(dir).unwrap_or(0)
    } else {
        crate::engines::layout::dir_size(dir)
    }
}

/// What an online copy of a running cluster leaves out: the server's own runtime files, WAL (the
/// copy replays it from the archive), replication slots and temporary statistics.
fn online_copy_keeps(rel: &Path) -> bool {
    const SKIP_FILES: [&str; 5] =
        ["postmaster.pid", "postmaster.opts", "backup_label", "recovery.signal", "standby.signal"];
    const EMPTY_DIRS: [&str; 4] = ["pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem"];
    if SKIP_FILES.iter().any(|f| rel == Path::new(f)) {
        return false;
    }
    !EMPTY_DIRS.iter().any(|d| rel.starts_with(d) && rel != Path::new(d))
}

/// How [`online_copy`] copies.
pub enum OnlineCopy {
    /// Files as they are (cloned where the filesystem can): a data directory ready to start.
    Clone,
    /// A packed backup, sharing unchanged files with `previous`.
    Pack { previous: Option<std::path::PathBuf> },
}

/// Copy a running cluster into `dest` (which must not exist) as a base backup would: between
/// `pg_backup_start` and `pg_backup_stop`, which leaves the `backup_label` recovery starts from
/// and waits until the WAL it needs is archived. The source keeps serving meanwhile.
pub async fn online_copy(
    pg: &Pg,
    layout: &Layout,
    port: u16,
    dest: &Path,
    how: OnlineCopy,
    copied: &std::sync::Arc<std::sync::atomic::AtomicU64>,
    step: &(dyn Fn(&str) + Send + Sync),
) -> Result<(), ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    c.simple_query("SELECT pg_backup_start('avn local', true)").await?;
    step("checkpointed");
    let (from, to, counter) = (layout.data(), dest.to_path_buf(), copied.clone());
    let copy = tokio::task::spawn_blocking(move || match how {
        OnlineCopy::Clone => {
            crate::engines::copy::copy_tree(&from, &to, online_copy_keeps, &counter, COPY_THREADS)?;
            std::fs::create_dir_all(to.join("pg_wal/archive_status")).map(|()| None)
        }
        OnlineCopy::Pack { previous } => {
            super::packed::pack_files(&from, &to, previous.as_deref(), PACK_THREADS, online_copy_keeps, true).map(Some)
        }
    })
    .await
    .map_err(|e| ClusterError::Io(std::io::Error::other(e)))?;
    step("copied");
    // Stopped in any case (a failed copy is removed by the caller); the session ending would
    // abort the backup too. PostgreSQL's own wait for the archive polls once a second; the archive
    // is ours, so wait for the last segment the copy needs to land there instead.
    let row = c.query_one("SELECT labelfile, spcmapfile, pg_walfile_name(lsn) FROM pg_backup_stop(false)", &[]).await?;
    let packed = copy?;
    let last: String = row.get(2);
    let last = Segment::parse(&last).ok_or(ClusterError::BadSegment(last))?;
    wal::wait_in_archive(layout, &last, BACKUP_STOP_TIMEOUT).await?;
    step("archived");
    let label: String = row.get(0);
    let spcmap: String = row.get(1);
    if let Some(files) = packed {
        let dest = dest.to_path_buf();
        let stats = tokio::task::spawn_blocking(move || {
            let mut extra: Vec<(&str, &[u8])> = vec![("backup_label", label.as_bytes())];
            if !spcmap.is_empty() {
                extra.push(("tablespace_map", spcmap.as_bytes()));
            }
            super::packed::finish(&dest, files, label.as_bytes(), &extra)
        })
        .await
        .map_err(|e| ClusterError::Io(std::io::Error::other(e)))??;
        tracing::info!(raw = stats.raw, written = stats.written, shared = stats.shared, "base backup packed");
        return Ok(());
    }
    // What this adds belongs to the server user, private like the rest.
    pg.chown(&dest.join("pg_wal/archive_status"))?;
    super::cluster::write_owned_mode(pg, &dest.join("backup_label"), &label, 0o600)?;
    if !spcmap.is_empty() {
        super::cluster::write_owned_mode(pg, &dest.join("tablespace_map"), &spcmap, 0o600)?;
    }
    Ok(())
}

/// Flush everything written to the filesystem `path` is on (syncfs), off the async threads.
async fn sync_filesystem(path: &Path) -> Result<(), ClusterError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let dir = std::fs::File::open(&path)?;
        nix::unistd::syncfs(&dir).map_err(std::io::Error::from)
    })
    .await
    .map_err(|e| ClusterError::Io(std::io::Error::other(e)))??;
    Ok(())
}

/// After a restore that ran with `fsync = off`: turn fsync on (the instance configuration must
/// already be rewritten without recovery), checkpoint, then sync the whole filesystem the data
/// directory is on, so every page written while fsync was off is durable, and every later write
/// is synced as usual.
pub async fn make_durable(layout: &Layout, port: u16) -> Result<(), ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    c.simple_query("SELECT pg_reload_conf()").await?;
    let on = avn_util::wait::until("fsync to be on", Duration::from_secs(30), Duration::from_millis(20), || async {
        match c.query_one("SELECT current_setting('fsync')", &[]).await {
            Ok(row) => (row.get::<_, String>(0) == "on").then_some(Ok(())),
            Err(e) => Some(Err(e)),
        }
    });
    on.await.map_err(|_| ClusterError::FsyncStayedOff)??;
    c.simple_query("CHECKPOINT").await?;
    sync_filesystem(&layout.data()).await
}

/// The longest an online copy waits for the archive to receive the last WAL segment it needs.
const BACKUP_STOP_TIMEOUT: Duration = Duration::from_secs(600);

/// Files copied at once: enough to keep a disk busy, few enough for a 2-core machine.
pub const COPY_THREADS: usize = 4;

/// Files packed at once: a backup is background work and leaves the service a core.
const PACK_THREADS: usize = 2;
