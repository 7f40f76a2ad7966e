//! Backups of a Caching service: an RDB snapshot (`BGSAVE`, waited for) copied with the ACL file
//! (ACL users are not in the RDB) into `base/<name>/`, crash-safely: written as `<name>.partial`,
//! synced, then renamed.

use std::path::Path;

use serde::Deserialize;
use serde::Serialize;

use super::cmd;
use super::server;
use super::ValkeyError;
use crate::engines::Layout;

/// In a backup taken while writes were stopped: each user's ACL rules from before the stop.
pub const WRITES_STOPPED: &str = "writes-stopped";

/// What a backup holds, beside its files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    /// Bytes of the RDB file.
    pub rdb_bytes: u64,
    /// The server's version that wrote it.
    #[serde(default)]
    pub server: String,
}

impl Label {
    pub fn read(backup: &Path) -> Result<Label, ValkeyError> {
        let text = std::fs::read(backup.join("backup_label"))?;
        serde_json::from_slice(&text).map_err(|e| ValkeyError::BadBackup(backup.display().to_string(), e.to_string()))
    }
}

/// Take backup `name`: a snapshot now, then a copy of it and of the ACL file. Returns the RDB's
/// bytes.
pub async fn base_backup(layout: &Layout, version: &str, name: &str) -> Result<u64, ValkeyError> {
    cmd::snapshot(layout).await?;
    let dest = layout.base().join(format!("{name}.partial"));
    crate::engines::layout::remove_tree(&dest).await;
    let (l, d, v) = (layout.clone(), dest.clone(), version.to_string());
    let copied = tokio::task::spawn_blocking(move || -> Result<u64, ValkeyError> {
        std::fs::create_dir_all(&d)?;
        // The snapshot just taken: a later one (a save point) replaces the file by a rename, and
        // is as good.
        let rdb = copy_synced(&server::rdb_file(&l), &d.join(server::RDB_FILE))?;
        copy_synced(&server::acl_file(&l), &d.join(server::ACL_FILE))?;
        // Taken while a rename keeps writes stopped: the users' rules from before the stop, which
        // a fork (a new service) gets back.
        match copy_synced(&server::writes_stopped_marker(&l), &d.join(WRITES_STOPPED)) {
            Err(ValkeyError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => drop(other?),
        }
        let label = Label { rdb_bytes: rdb, server: format!("redis-server {v}") };
        avn_util::crashsafe::write(
            &d.join("backup_label"),
            &serde_json::to_vec(&label).map_err(std::io::Error::other)?,
            0o600,
        )?;
        avn_util::crashsafe::sync_dir(&d)?;
        Ok(rdb)
    })
    .await?;
    let size = match copied {
        Ok(size) => size,
        Err(e) => {
            crate::engines::layout::remove_tree(&dest).await;
            return Err(e);
        }
    };
    std::fs::rename(&dest, layout.backup(name))?;
    avn_util::crashsafe::sync_dir(&layout.base())?;
    Ok(size)
}

/// Copy a file and sync the copy (0600); returns its bytes.
pub fn copy_synced(from: &Path, to: &Path) -> Result<u64, ValkeyError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut src = super::server::open_regular(from)?;
    let _ = std::fs::remove_file(to);
    let mut dst = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(to)?;
    let n = std::io::copy(&mut src, &mut dst)?;
    dst.sync_all()?;
    Ok(n)
}
