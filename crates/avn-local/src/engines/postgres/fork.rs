//! A PostgreSQL fork: a copy of the running source or a restore of its base backup, staging of
//! the compressed WAL it needs, recovery to the target (or everything archived), promotion, and
//! making it durable. `ops::fork` runs it through the engine seam.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::archive;
use super::basebackup;
use super::cluster;
use super::cluster::Recovery;
use super::packed;
use super::process::ClusterError;
use super::process::Pg;
use super::wal;
use super::wal::Lsn;
use crate::engines::copy;
use crate::engines::layout::remove_tree;
use crate::engines::layout::size_of;
use crate::engines::Layout;
use crate::error::OpError;
use crate::manager::Manager;
use crate::model::ForkOrigin;
use crate::store::ServiceRec;

/// A fork to the latest transaction of a running source copies the source as it runs when the
/// WAL since the base backup it would restore passes this. From a packed backup, always: a copy
/// runs at page-cache speed, unpacking does not. From a clone (reflinks), once replaying would
/// cost about as much as copying: a quarter of the data, at least 256 MiB.
/// `AVN_LOCAL_ONLINE_COPY_WAL_MB` sets it for tests, in both cases.
fn online_copy_threshold(data_size: u64, packed_backup: bool) -> u64 {
    match std::env::var("AVN_LOCAL_ONLINE_COPY_WAL_MB").ok().and_then(|v| v.parse::<u64>().ok()) {
        Some(mb) => mb << 20,
        None if packed_backup => 0,
        None => (256 << 20).max(data_size / 4),
    }
}

/// Room a fork of `source` needs on the disk of the instances, in bytes: a copy of the source's
/// data directory (its restored size, whether copied online or restored from a backup; next to
/// nothing where extents are shared by reflinks), plus 64 MiB for its WAL and start-up.
pub fn needs_bytes(m: &Manager, source: &ServiceRec) -> u64 {
    let copy = match copy::detect(&m.instances) {
        copy::Method::Reflink => 0,
        copy::Method::Copy => crate::engines::layout::dir_size(&m.layout(&source.id).data()),
    };
    copy + (64 << 20)
}

/// Whether an I/O error is a full disk (or quota): not a sign of a damaged backup.
fn disk_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(nix::libc::ENOSPC | nix::libc::EDQUOT))
        || e.to_string().contains("No space left on device")
}

/// Drive a copy while reporting its bytes as the `basebackup` phase.
async fn report_copy(
    m: &Arc<Manager>,
    id: &str,
    copy: impl std::future::Future<Output = Result<(), ClusterError>>,
    copied: &Arc<AtomicU64>,
    total: u64,
) -> Result<(), ClusterError> {
    let total = total.max(1) as i64;
    m.report(id, "basebackup", Some("bytes_uncompressed"), 0, 0, total);
    tokio::pin!(copy);
    loop {
        tokio::select! {
            r = &mut copy => { r?; break; }
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                let now = (copied.load(Ordering::Relaxed) as i64).min(total);
                m.report(id, "basebackup", Some("bytes_uncompressed"), 0, now, total);
            }
        }
    }
    m.report(id, "basebackup", Some("bytes_uncompressed"), 0, total, total);
    Ok(())
}

/// How long a fork may take to start, and to replay.
const START_TIMEOUT: Duration = Duration::from_secs(120);
const REPLAY_TIMEOUT: Duration = Duration::from_secs(3600);

/// One fork in progress: the source's and the fork's instances, and its profile clock.
struct Fork<'a> {
    pg: &'a Pg,
    m: &'a Arc<Manager>,
    rec: &'a ServiceRec,
    origin: &'a ForkOrigin,
    src: Layout,
    layout: Layout,
    partial: std::path::PathBuf,
    t0: std::time::Instant,
}

impl Fork<'_> {
    /// Where a fork's time goes, in the log (bench/fork.py prints it).
    fn step(&self, what: &str) {
        let secs = format!("{:.2}", self.t0.elapsed().as_secs_f64());
        tracing::info!(fork = %self.rec.name, step = what, secs, "fork profile");
    }
}

/// Fork `origin`'s source into `rec`'s instance, to `origin.target` (None: the latest
/// transaction), and start it, durable.
pub async fn fork(pg: &Pg, m: &Arc<Manager>, rec: &ServiceRec, origin: &ForkOrigin) -> Result<(), OpError> {
    // The source may have been deleted since the fork was accepted: its data is kept for us.
    let source = m.store(|s| s.service_by_id(&origin.source_id))?;
    let src = m.layout(&origin.source_id);
    if !src.root.exists() {
        return Err(OpError::SourceGone);
    }
    let layout = m.layout(&rec.id);
    let partial = layout.root.join("data.partial");
    let f = Fork { pg, m, rec, origin, src, layout, partial, t0: std::time::Instant::now() };
    remove_tree(&f.layout.root).await;
    cluster::make_dirs(pg, &f.layout)?;
    // 1. Every commit up to now must be in the source's archive; a copy of the running source
    // where that beats replaying.
    let (end_lsn, copied_online) = match source.as_ref().filter(|s| m.running(&s.id).is_some()) {
        Some(source) => archive_and_maybe_copy(&f, source).await?,
        None => (None, false),
    };
    let start_lsn = if copied_online {
        wal::backup_start(&f.partial).map(|(l, _)| l).unwrap_or_default()
    } else {
        // 2-3. Or the chosen base backup (or an older one, should it be damaged), restored.
        let from = restore_a_backup(&f).await?;
        f.step("base_backup_copied");
        stage_cold_wal(&f, &from).await?
    };
    std::fs::rename(&f.partial, f.layout.data())?;
    // 4-5. Recover to the target and promote.
    let running = start_recovery(&f, start_lsn, end_lsn).await?;
    replay_until_promoted(&f, &running, start_lsn, end_lsn).await?;
    // 6. Never RUNNING with less than was asked for: a fork to the latest transaction must reach
    // what the source had archived when the fork started (a recovery target that is not reached
    // already stops PostgreSQL with "recovery ended before configured recovery target").
    if let (Some(end), None) = (end_lsn, origin.target) {
        let reached = wal::current_lsn(&f.layout, rec.port).await?;
        if reached < end {
            return Err(OpError::ShortRecovery { reached: reached.to_string(), wanted: end.to_string() });
        }
    }
    f.step("replayed_and_promoted");
    m.report(&rec.id, "finalize", None, 0, 1, 1);
    // 7. Promoted: forget the source's archive; archive into our own; from now on every write is
    // synced, and what the restore wrote unsynced is made durable before the fork is RUNNING.
    cluster::write_instance_conf(pg, &f.layout, &m.ca, rec.port, true, None)?;
    basebackup::make_durable(&f.layout, rec.port).await?;
    remove_tree(&f.layout.staging()).await;
    f.step("durable");
    Ok(())
}

/// Under the source's operation lock (so a delete of the source waits): make sure every commit
/// up to now is archived, and note where the source is. A fork to the latest transaction of a
/// running source whose WAL since its last base backup outweighs a good part of its data (a bulk
/// load, say) starts from an online copy of the source instead of that backup: copying beats
/// replaying. Returns the source's position and whether it was copied.
async fn archive_and_maybe_copy(f: &Fork<'_>, source: &ServiceRec) -> Result<(Option<Lsn>, bool), OpError> {
    let (m, origin) = (f.m, f.origin);
    let lock = m.op_lock(&source.id);
    let _guard = lock.lock().await;
    if m.running(&source.id).is_none() {
        return Ok((None, false));
    }
    wal::ensure_archived(&f.src, source.port, Duration::from_secs(60)).await?;
    let end_lsn = wal::current_lsn(&f.src, source.port).await.ok();
    f.step("source_archived");
    let since_backup = origin
        .backup
        .as_ref()
        .and_then(|b| wal::backup_start(&f.src.backup(b)))
        .zip(end_lsn)
        .map(|((start, _), end)| end.bytes_since(start));
    let data_size = size_of(&f.src.data()).await.saturating_sub(size_of(&f.src.data().join("pg_wal")).await);
    let packed_backup = origin.backup.as_ref().is_some_and(|b| packed::is_packed(&f.src.backup(b)));
    let threshold = online_copy_threshold(data_size, packed_backup);
    if origin.target.is_some() || since_backup.is_some_and(|w| w <= threshold) {
        return Ok((end_lsn, false));
    }
    tracing::info!(fork = %f.rec.name, source = %origin.source_service, ?since_backup, data_size, "forking from an online copy");
    let copied = Arc::new(AtomicU64::new(0));
    let how = basebackup::OnlineCopy::Clone;
    let step = |what: &str| f.step(what);
    let copy = basebackup::online_copy(f.pg, &f.src, source.port, &f.partial, how, &copied, &step);
    report_copy(m, &f.rec.id, copy, &copied, data_size).await?;
    f.step("online_copy_done");
    Ok((end_lsn, true))
}

/// The base backups to try, best first: the one chosen at acceptance (or, for forks accepted
/// before that was recorded, the newest that ended at or before the target), then each older
/// one that still covers the target (the archive keeps the WAL from the oldest kept backup on,
/// and the fork holds the source's backups meanwhile).
fn candidates(f: &Fork<'_>) -> Result<Vec<String>, OpError> {
    let target = f.origin.target;
    let covering: Vec<String> =
        f.m.store(|s| s.backups(&f.origin.source_id))?
            .iter()
            .rev()
            .filter(|b| target.is_none_or(|t| avn_api::time::parse(&b.backup_time).is_some_and(|bt| bt <= t)))
            .map(|b| b.backup_name.clone())
            .collect();
    Ok(match &f.origin.backup {
        Some(name) => {
            std::iter::once(name.clone()).chain(covering.iter().skip_while(|b| *b != name).skip(1).cloned()).collect()
        }
        None => covering,
    })
}

/// Restore the first candidate backup that can be restored into the fork's partial data
/// directory (unpacked, or cloned where the filesystem can), reporting bytes; returns it.
async fn restore_a_backup(f: &Fork<'_>) -> Result<std::path::PathBuf, OpError> {
    let mut damaged: Vec<(String, String)> = vec![];
    for chosen in candidates(f)?.iter().filter(|b| f.src.backup(b).exists()) {
        if let Some((bad, why)) = damaged.last() {
            tracing::warn!(fork = %f.rec.name, source = %f.origin.source_service, damaged = %bad, backup = %chosen, "base backup {bad} cannot be restored ({why}); falling back to the older backup {chosen}, which also covers the target");
        } else {
            tracing::info!(fork = %f.rec.name, source = %f.origin.source_service, backup = %chosen, target = ?f.origin.target, "forking from a base backup");
        }
        let candidate = f.src.backup(chosen);
        match restore_one(f, &candidate).await {
            Ok(()) => {
                if let Some((bad, _)) = damaged.first() {
                    tracing::warn!(fork = %f.rec.name, "restored from an older base backup than {bad}, which is damaged");
                }
                return Ok(candidate);
            }
            // A full disk is no damage: an older backup would not fit either.
            Err(ClusterError::Io(e)) if !disk_full(&e) => {
                damaged.push((chosen.clone(), e.to_string()));
                remove_tree(&f.partial).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(match damaged.pop() {
        Some((backup, why)) => OpError::NoBackupRestorable { backup, why },
        None => OpError::NoBackupBeforeTarget,
    })
}

async fn restore_one(f: &Fork<'_>, candidate: &std::path::Path) -> Result<(), ClusterError> {
    let packed = packed::is_packed(candidate);
    let total = if packed { basebackup::backup_size(candidate) } else { size_of(candidate).await };
    let copied = Arc::new(AtomicU64::new(0));
    let (from, to, c) = (candidate.to_path_buf(), f.partial.clone(), copied.clone());
    let copy = async move {
        tokio::task::spawn_blocking(move || match packed {
            true => packed::restore(&from, &to, &c, basebackup::COPY_THREADS),
            false => copy::copy_tree(&from, &to, copy::all, &c, basebackup::COPY_THREADS),
        })
        .await
        // A restore that panicked counts as a damaged backup: the next older one is tried.
        .map_err(|e| ClusterError::Io(std::io::Error::other(e)))?
        .map_err(ClusterError::Io)
    };
    report_copy(f.m, &f.rec.id, copy, &copied, total).await
}

/// WAL from before the source's newest backup is compressed: decompress what this restore may
/// read into the fork's staging directory. Under the source's operation lock, so no compression
/// starts meanwhile (and none starts later: the fork holds the source). Returns where the
/// restored backup starts.
async fn stage_cold_wal(f: &Fork<'_>, from: &std::path::Path) -> Result<Lsn, OpError> {
    let Some((start, first_segment)) = wal::backup_start(from) else { return Ok(Lsn::default()) };
    let lock = f.m.op_lock(&f.origin.source_id);
    let _guard = lock.lock().await;
    let owner =
        f.pg.run_as
            .map(|(u, g)| (u.as_raw(), g.as_raw()))
            .unwrap_or_else(|| (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw()));
    let (a, s) = (f.src.archive(), f.layout.staging());
    let staged = tokio::task::spawn_blocking(move || archive::stage(&a, &first_segment, &s, owner))
        .await
        .map_err(ClusterError::Join)?
        .map_err(ClusterError::Archive)?;
    if staged > 0 {
        tracing::info!(fork = %f.rec.name, staged, "compressed WAL segments decompressed for the restore");
        f.step("wal_staged");
    }
    Ok(start)
}

/// Configure recovery from the source's archive (to the target, if any) and start.
async fn start_recovery(
    f: &Fork<'_>,
    start_lsn: Lsn,
    end_lsn: Option<Lsn>,
) -> Result<super::process::Running, OpError> {
    let (m, rec, layout) = (f.m, f.rec, &f.layout);
    let recovery = Recovery {
        restore_from: f.src.archive(),
        staging: layout.staging(),
        // PostgreSQL reads the wire's ISO 8601 form as a timestamptz.
        target_time: f.origin.target.map(avn_api::time::format_offset),
    };
    cluster::write_user_conf(f.pg, layout, &rec.user_config)?;
    cluster::write_instance_conf(f.pg, layout, &m.ca, rec.port, true, Some(&recovery))?;
    std::fs::write(layout.data().join("recovery.signal"), b"")?;
    f.pg.chown(&layout.data().join("recovery.signal"))?;
    let max_lsn = end_lsn.unwrap_or(start_lsn);
    m.report(&rec.id, "stream", Some("wal_lsn"), lsn(start_lsn), lsn(start_lsn), lsn(max_lsn));
    let running = f.pg.spawn(layout)?;
    m.set_running(&rec.id, Some(running.clone()));
    cluster::wait_ready(layout, rec.port, &running, START_TIMEOUT).await?;
    f.step("started");
    Ok(running)
}

/// Report replay progress until the server is promoted.
async fn replay_until_promoted(
    f: &Fork<'_>,
    running: &super::process::Running,
    start_lsn: Lsn,
    end_lsn: Option<Lsn>,
) -> Result<(), OpError> {
    let (m, rec) = (f.m, f.rec);
    let max_lsn = end_lsn.unwrap_or(start_lsn);
    let deadline = avn_util::wait::Deadline::after(REPLAY_TIMEOUT);
    loop {
        if !running.is_alive() {
            return Err(ClusterError::Exited { during: "recovery", log: cluster::log_tail(&f.layout) }.into());
        }
        match wal::replay_lsn(&f.layout, rec.port).await {
            Ok(None) => return Ok(()),
            Ok(Some(at)) => m.report(&rec.id, "stream", Some("wal_lsn"), lsn(start_lsn), lsn(at), lsn(max_lsn.max(at))),
            Err(_) if !deadline.passed() => {}
            Err(e) => return Err(e.into()),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A position as a progress value.
fn lsn(l: Lsn) -> i64 {
    l.0 as i64
}
