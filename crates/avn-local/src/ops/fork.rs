//! Forks: restore the source's newest suitable base backup, replay its WAL archive up to the
//! target (or everything archived), then promote.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::START_TIMEOUT;
use crate::engines::postgres::archive;
use crate::engines::postgres::cluster;
use crate::engines::postgres::cluster::Recovery;
use crate::engines::postgres::copy;
use crate::engines::postgres::layout::remove_tree;
use crate::engines::postgres::layout::size_of;
use crate::engines::postgres::packed;
use crate::engines::postgres::process::PgError;
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

/// Room a fork of `source` needs on the disk of the instances, and what is free there, in bytes:
/// a copy of the source's data directory (its restored size, whether copied online or restored
/// from a backup; next to nothing where extents are shared by reflinks), plus 64 MiB for its WAL
/// and start-up. Checked before a fork is accepted, so that a fork (or a rename's, before it
/// stops writes) is refused up front rather than failing with the disk full, next to the running
/// services. `AVN_LOCAL_FORK_SPACE_CHECK=off` turns the check off (tests of a disk that fills up
/// during a fork).
pub fn space(m: &Manager, source: &ServiceRec) -> Option<(u64, u64)> {
    if std::env::var("AVN_LOCAL_FORK_SPACE_CHECK").is_ok_and(|v| v == "off") {
        return None;
    }
    let layout = m.layout(&source.id);
    let fs = nix::sys::statvfs::statvfs(&m.instances).ok()?;
    let free = fs.blocks_available() as u64 * fs.fragment_size() as u64;
    let copy = match copy::detect(&m.instances) {
        copy::Method::Reflink => 0,
        copy::Method::Copy => crate::engines::postgres::layout::dir_size(&layout.data()),
    };
    Some((copy + (64 << 20), free))
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
    copy: impl std::future::Future<Output = Result<(), PgError>>,
    copied: &Arc<AtomicU64>,
    total: u64,
) -> Result<(), PgError> {
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

/// Run a registered fork; the source's backups are held (not rotated) meanwhile.
pub async fn run(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), OpError> {
    let fork = rec.fork.as_ref().ok_or(OpError::NoForkOrigin)?;
    // Held since the fork was accepted; again after a restart (idempotent).
    m.hold(&fork.source_id, &rec.id);
    let result = fork_from(m, rec, fork).await;
    m.release(&fork.source_id, &rec.id);
    result
}

async fn fork_from(m: &Arc<Manager>, rec: &ServiceRec, fork: &ForkOrigin) -> Result<(), OpError> {
    let target = fork.target;
    // The source may have been deleted since the fork was accepted: its data is kept for us.
    let source = m.store(|s| s.service_by_id(&fork.source_id))?;
    let src = m.layout(&fork.source_id);
    if !src.root.exists() {
        return Err(OpError::SourceGone);
    }
    let layout = m.layout(&rec.id);
    // Where a fork's time goes, in the log (bench/fork.py prints it).
    let t0 = std::time::Instant::now();
    let step = |what: &str| tracing::info!(fork = %rec.name, step = what, secs = format!("{:.2}", t0.elapsed().as_secs_f64()), "fork profile");
    remove_tree(&layout.root).await;
    cluster::make_dirs(&m.pg, &layout)?;
    let partial = layout.root.join("data.partial");
    // 1. Every commit up to now must be in the source's archive. A fork to the latest
    // transaction of a running source whose WAL since its last base backup outweighs a good part
    // of its data (a bulk load, say) starts from an online copy of the source instead of that
    // backup: copying beats replaying. All of it under the source's operation lock, so a delete
    // of the source waits until this is done.
    let mut end_lsn = None;
    let mut copied_online = None;
    if let Some(source) = source.as_ref().filter(|s| m.running(&s.id).is_some()) {
        let lock = m.op_lock(&source.id);
        let _guard = lock.lock().await;
        if m.running(&source.id).is_some() {
            cluster::ensure_archived(&src, source.port, Duration::from_secs(60)).await?;
            end_lsn = cluster::current_lsn(&src, source.port).await.ok();
            step("source_archived");
            let since_backup = fork
                .backup
                .as_ref()
                .and_then(|b| cluster::backup_start(&src.backup(b)))
                .zip(end_lsn)
                .map(|((start, _), end)| end.saturating_sub(start));
            let data_size = size_of(&src.data()).await.saturating_sub(size_of(&src.data().join("pg_wal")).await);
            let packed_backup = fork.backup.as_ref().is_some_and(|b| packed::is_packed(&src.backup(b)));
            let threshold = online_copy_threshold(data_size, packed_backup);
            let online = target.is_none() && since_backup.is_none_or(|w| w > threshold);
            if online {
                tracing::info!(fork = %rec.name, source = %fork.source_service, ?since_backup, data_size, "forking from an online copy");
                let copied = Arc::new(AtomicU64::new(0));
                let copy = cluster::online_copy(
                    &m.pg,
                    &src,
                    source.port,
                    &partial,
                    cluster::OnlineCopy::Clone,
                    &copied,
                    &step,
                );
                report_copy(m, &rec.id, copy, &copied, data_size).await?;
                step("online_copy_done");
                copied_online = Some(());
            }
        }
    }
    let start_lsn = if copied_online.is_some() {
        cluster::backup_start(&partial).map(|(l, _)| l).unwrap_or(0) as i64
    } else {
        // 2. The base backup chosen at acceptance (or, for forks accepted before that was
        // recorded, the newest that ended at or before the target), then, should it turn out
        // damaged, each older one that still covers the target (the archive keeps the WAL from
        // the oldest kept backup on, and the fork holds the source's backups meanwhile).
        let covering: Vec<String> = m
            .store(|s| s.backups(&fork.source_id))?
            .iter()
            .rev()
            .filter(|b| target.is_none_or(|t| avn_api::time::parse(&b.backup_time).is_some_and(|bt| bt <= t)))
            .map(|b| b.backup_name.clone())
            .collect();
        let candidates: Vec<String> = match &fork.backup {
            Some(name) => std::iter::once(name.clone())
                .chain(covering.iter().skip_while(|b| *b != name).skip(1).cloned())
                .collect(),
            None => covering,
        };
        let mut damaged: Vec<(String, String)> = vec![];
        let mut from = None;
        for chosen in candidates.iter().filter(|b| src.backup(b).exists()) {
            if let Some((bad, why)) = damaged.last() {
                tracing::warn!(fork = %rec.name, source = %fork.source_service, damaged = %bad, backup = %chosen, "base backup {bad} cannot be restored ({why}); falling back to the older backup {chosen}, which also covers the target");
            } else {
                tracing::info!(fork = %rec.name, source = %fork.source_service, backup = %chosen, ?target, "forking from a base backup");
            }
            // 3. Restore it (unpacked, or cloned where the filesystem can), reporting bytes.
            let candidate = src.backup(chosen);
            let packed = packed::is_packed(&candidate);
            let total = if packed { cluster::backup_size(&candidate) } else { size_of(&candidate).await };
            let copied = Arc::new(AtomicU64::new(0));
            let (f, t, c) = (candidate.clone(), partial.clone(), copied.clone());
            let copy = async move {
                tokio::task::spawn_blocking(move || match packed {
                    true => packed::restore(&f, &t, &c, cluster::COPY_THREADS),
                    false => copy::copy_tree(&f, &t, copy::all, &c, cluster::COPY_THREADS),
                })
                .await
                .map_err(|e| PgError::Io(std::io::Error::other(e)))?
                .map_err(PgError::Io)
            };
            match report_copy(m, &rec.id, copy, &copied, total).await {
                Ok(()) => {
                    from = Some(candidate);
                    break;
                }
                // A full disk is no damage: an older backup would not fit either.
                Err(PgError::Io(e)) if !disk_full(&e) => {
                    damaged.push((chosen.clone(), e.to_string()));
                    remove_tree(&partial).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let Some(from) = from else {
            return Err(match damaged.pop() {
                Some((bad, why)) => OpError::Pg(PgError::Io(std::io::Error::other(format!(
                    "no base backup that covers the target could be restored; the last one tried, {bad}: {why}"
                )))),
                None => OpError::NoBackupBeforeTarget,
            });
        };
        if let Some((bad, _)) = damaged.first() {
            tracing::warn!(fork = %rec.name, "restored from an older base backup than {bad}, which is damaged");
        }
        step("base_backup_copied");
        // 3b. WAL from before the source's newest backup is compressed: decompress what this
        // restore may read into our staging directory. Under the source's operation lock, so no
        // compression starts meanwhile (and none starts later: the fork holds the source).
        let (start, first_segment) = cluster::backup_start(&from).unwrap_or((0, String::new()));
        if !first_segment.is_empty() {
            let lock = m.op_lock(&fork.source_id);
            let _guard = lock.lock().await;
            let owner =
                m.pg.run_as
                    .map(|(u, g)| (u.as_raw(), g.as_raw()))
                    .unwrap_or_else(|| (nix::unistd::getuid().as_raw(), nix::unistd::getgid().as_raw()));
            let (a, s) = (src.archive(), layout.staging());
            let staged = tokio::task::spawn_blocking(move || archive::stage(&a, &first_segment, &s, owner))
                .await
                .map_err(|e| PgError::Io(std::io::Error::other(e)))?
                .map_err(PgError::Io)?;
            if staged > 0 {
                tracing::info!(fork = %rec.name, staged, "compressed WAL segments decompressed for the restore");
                step("wal_staged");
            }
        }
        start as i64
    };
    std::fs::rename(&partial, layout.data())?;
    // 4. Configure recovery and start.
    let recovery = Recovery {
        restore_from: src.archive(),
        staging: layout.staging(),
        // PostgreSQL reads the wire's ISO 8601 form as a timestamptz.
        target_time: target.map(avn_api::time::format_offset),
    };
    cluster::write_user_conf(&m.pg, &layout, &rec.user_config)?;
    cluster::write_instance_conf(&m.pg, &layout, &m.ca, rec.port, true, Some(&recovery))?;
    std::fs::write(layout.data().join("recovery.signal"), b"")?;
    m.pg.chown(&layout.data().join("recovery.signal"))?;
    let max_lsn = end_lsn.map(|l| l as i64).unwrap_or(start_lsn);
    m.report(&rec.id, "stream", Some("wal_lsn"), start_lsn, start_lsn, max_lsn);
    let running = m.pg.spawn(&layout)?;
    m.set_running(&rec.id, Some(running.clone()));
    cluster::wait_ready(&layout, rec.port, &running, START_TIMEOUT).await?;
    step("started");
    // 5. Replay until promoted.
    let deadline = std::time::Instant::now() + Duration::from_secs(3600);
    loop {
        if !running.is_alive() {
            return Err(PgError::Exited { during: "recovery", log: cluster::log_tail(&layout) }.into());
        }
        match cluster::replay_lsn(&layout, rec.port).await {
            Ok(None) => break,
            Ok(Some(lsn)) => {
                m.report(&rec.id, "stream", Some("wal_lsn"), start_lsn, lsn as i64, max_lsn.max(lsn as i64))
            }
            Err(_) if std::time::Instant::now() < deadline => {}
            Err(e) => return Err(e.into()),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // 6. Never RUNNING with less than was asked for: a fork to the latest transaction must reach
    // what the source had archived when the fork started (a recovery target that is not reached
    // already stops PostgreSQL with "recovery ended before configured recovery target").
    if let (Some(end), None) = (end_lsn, target) {
        let reached = cluster::current_lsn(&layout, rec.port).await?;
        if reached < end {
            return Err(OpError::ShortRecovery { reached, wanted: end });
        }
    }
    step("replayed_and_promoted");
    m.report(&rec.id, "finalize", None, 0, 1, 1);
    // 7. Promoted: forget the source's archive; archive into our own; from now on every write is
    // synced, and what the restore wrote unsynced is made durable before the fork is RUNNING.
    cluster::write_instance_conf(&m.pg, &layout, &m.ca, rec.port, true, None)?;
    cluster::make_durable(&layout, rec.port).await?;
    remove_tree(&layout.staging()).await;
    step("durable");
    Ok(())
}
