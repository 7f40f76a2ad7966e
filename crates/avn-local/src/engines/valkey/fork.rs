//! A Caching fork: the named backup (or the newest, chosen when the fork was accepted) restored
//! into a new server: its RDB and ACL file copied into the fork's directory, then the server
//! started on them. There is no point-in-time recovery (refused before anything is created).

use std::sync::Arc;

use super::backup;
use super::engine;
use super::server;
use super::Redis;
use crate::engines::layout::remove_tree;
use crate::engines::Layout;
use crate::error::OpError;
use crate::manager::Manager;
use crate::model::ForkOrigin;
use crate::store::ServiceRec;

/// Room a fork needs: the newest backup's RDB and ACL file, plus what the server writes.
pub fn needs_bytes(m: &Manager, source: &ServiceRec) -> u64 {
    let newest = m.store(|s| s.backups(&source.id)).ok().and_then(|b| b.last().cloned());
    let rdb = newest.map(|b| crate::engines::layout::dir_size(&m.layout(&source.id).backup(&b.backup_name)));
    rdb.unwrap_or_else(|| crate::engines::layout::dir_size(&m.layout(&source.id).data())) + (16 << 20)
}

/// Fork `origin`'s backup into `rec`'s instance and start it.
pub async fn fork(redis: &Redis, m: &Arc<Manager>, rec: &ServiceRec, origin: &ForkOrigin) -> Result<(), OpError> {
    let src = m.layout(&origin.source_id);
    let name = match &origin.backup {
        Some(b) => b.clone(),
        None => m
            .store(|s| s.backups(&origin.source_id))?
            .last()
            .map(|b| b.backup_name.clone())
            .ok_or(OpError::SourceGone)?,
    };
    let from = src.backup(&name);
    if !from.join("backup_label").exists() {
        return Err(OpError::SourceGone);
    }
    let label = backup::Label::read(&from)?;
    let layout = m.layout(&rec.id);
    // A fork redone after a crash of the control plane: its server may still run from the
    // directory about to be removed.
    crate::engines::running::kill_leftovers(&layout.root).await;
    remove_tree(&layout.root).await;
    redis.make_dirs(&layout)?;
    // The control plane's own user gets a password of the fork's own (`acl::ensure_admin`).
    let internal = crate::random::random_string(32);
    avn_util::crashsafe::write(&server::admin_password_file(&layout), internal.as_bytes(), 0o600)?;
    let total = label.rdb_bytes.max(1) as i64;
    m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, 0, total);
    tracing::info!(fork = %rec.name, backup = %name, bytes = label.rdb_bytes, "restoring snapshot");
    restore_files(&from, &layout).await?;
    // A snapshot taken while a rename kept writes stopped: the fork is a new service, and its
    // users get back the rules they had before the stop.
    if let Ok(before) = std::fs::read(from.join(backup::WRITES_STOPPED)) {
        let before: std::collections::BTreeMap<String, String> = serde_json::from_slice(&before)
            .map_err(|e| super::ValkeyError::BadBackup(name.clone(), format!("{}: {e}", backup::WRITES_STOPPED)))?;
        super::acl::restore_rules_in_file(&layout, &before)?;
    }
    m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, total, total);
    m.report(&rec.id, "finalize", None, 0, 1, 1);
    engine::start(redis, m, rec, rec.port, true).await?;
    Ok(())
}

/// Copy a backup's RDB and ACL file into a new instance's directory (as `.partial`, then renamed).
async fn restore_files(from: &std::path::Path, layout: &Layout) -> Result<(), OpError> {
    let (from, data) = (from.to_path_buf(), layout.data());
    tokio::task::spawn_blocking(move || -> Result<(), super::ValkeyError> {
        for file in [server::RDB_FILE, server::ACL_FILE] {
            let partial = data.join(format!("{file}.partial"));
            backup::copy_synced(&from.join(file), &partial)?;
            std::fs::rename(&partial, data.join(file))?;
        }
        avn_util::crashsafe::sync_dir(&data)?;
        Ok(())
    })
    .await
    .map_err(super::ValkeyError::from)??;
    Ok(())
}
