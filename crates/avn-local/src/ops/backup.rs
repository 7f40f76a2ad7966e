//! Base backups: taken after create, on a schedule, and rotated beyond the plan's `max_count`
//! (never while a fork reads them); then the engine trims its continuous archive
//! (`Engine::trim_archive`).

use std::sync::Arc;
use std::time::Duration;

use crate::catalog;
use crate::error::OpError;
use crate::manager::now;
use crate::manager::Manager;
use crate::model::State;
use crate::store::BackupRec;

/// Take a base backup now and rotate old ones beyond the plan's `max_count`.
pub async fn take_backup(m: &Arc<Manager>, id: &str) -> Result<BackupRec, OpError> {
    let rec = m.store(|s| s.service_by_id(id))?.ok_or(OpError::ServiceGone)?;
    if let Some(why) = m.engine_of(&rec)?.no_backups_reason(&rec) {
        return Err(crate::error::Refusal::invalid(why));
    }
    let layout = m.layout(id);
    let ts = jiff::Timestamp::now();
    let name = format!(
        "backup-{}{:06}z",
        ts.to_zoned(jiff::tz::TimeZone::UTC).datetime().strftime("%Y%m%dt%H%M%S"),
        ts.subsec_microsecond()
    );
    let previous = m.store(|s| s.backups(id))?.last().map(|b| b.backup_name.clone());
    let size = m.engine_of(&rec)?.base_backup(m, &rec, &name, previous.as_deref()).await?;
    let b = BackupRec { service_id: id.to_string(), backup_name: name, backup_time: now(), data_size: size };
    m.store(|s| s.add_backup(&b))?;
    let max = catalog::plan(&rec.plan, 1).map(|p| p.backup_config.max_count as usize).unwrap_or(1).max(1);
    if !m.is_held(id) {
        let all = m.store(|s| s.backups(id))?;
        if all.len() > max {
            for old in &all[..all.len() - max] {
                m.store(|s| s.delete_backup(id, &old.backup_name))?;
                crate::engines::layout::remove_tree(&layout.backup(&old.backup_name)).await;
            }
        }
        // The archive from the oldest kept backup on stays; only point-in-time forks to before
        // the newest read older WAL, which is compressed. A fork accepted meanwhile holds the
        // archive, and the rest waits for the next backup; forks stage what they need under the
        // operation lock this runs under.
        let oldest_kept = (all.len() > max).then(|| all[all.len() - max].backup_name.as_str());
        let (m2, id2) = (m.clone(), id.to_string());
        m.engine_of(&rec)?.trim_archive(m, &rec, oldest_kept, &b.backup_name, move || !m2.is_held(&id2)).await;
    }
    Ok(b)
}

/// A base backup is also due when the WAL written since the last one passes half the data (and
/// at least 256 MiB), so a point-in-time fork never replays much more than that;
/// `AVN_LOCAL_BACKUP_WAL_MB` sets it for tests.
fn wal_trigger(data_size: u64) -> u64 {
    match std::env::var("AVN_LOCAL_BACKUP_WAL_MB").ok().and_then(|v| v.parse::<u64>().ok()) {
        Some(mb) => mb << 20,
        None => (256 << 20).max(data_size / 2),
    }
}

/// Changes written since `last` began, and the data size they are measured against.
async fn wal_since(m: &Arc<Manager>, rec: &crate::store::ServiceRec, last: &str) -> Option<(u64, u64)> {
    let changed = m.engine_of(rec).ok()?.changes_since(m, rec, last).await?;
    let size = m.store(|s| s.backups(&rec.id)).ok()?.last().map(|b| b.data_size).unwrap_or(0);
    Some((changed, size))
}

/// Take scheduled base backups of running services whose plan keeps them: every backup
/// interval, and sooner when much WAL was written since the last one.
pub async fn backup_scheduler(m: Arc<Manager>) {
    loop {
        tokio::time::sleep(m.backup_interval.min(Duration::from_secs(5)).max(Duration::from_millis(500))).await;
        let Ok(services) = m.store(|s| s.services(None)) else {
            continue;
        };
        for rec in services {
            if rec.state != State::Running || rec.op.is_some() || !catalog::keeps_backups(&rec.plan) {
                continue;
            }
            if m.engine_of(&rec).map(|e| e.no_backups_reason(&rec).is_some()).unwrap_or(true) {
                continue;
            }
            let newest = m.store(|s| s.backups(&rec.id)).ok().and_then(|b| b.last().cloned());
            let last = newest.as_ref().and_then(|b| avn_api::time::parse(&b.backup_time));
            let mut due = last.is_none_or(|t| {
                jiff::Timestamp::now().duration_since(t)
                    >= jiff::SignedDuration::try_from(m.backup_interval).unwrap_or_default()
            });
            if !due {
                if let Some((wal, size)) = match &newest {
                    Some(b) => wal_since(&m, &rec, &b.backup_name).await,
                    None => None,
                } {
                    due = wal > wal_trigger(size);
                    if due {
                        tracing::info!(service = %rec.name, wal, size, "base backup: much WAL since the last one");
                    }
                }
            }
            if due {
                let lock = m.op_lock(&rec.id);
                let _g = lock.lock().await;
                if let Err(e) = take_backup(&m, &rec.id).await {
                    tracing::warn!("scheduled backup of {}: {e}", rec.name);
                }
            }
        }
    }
}
