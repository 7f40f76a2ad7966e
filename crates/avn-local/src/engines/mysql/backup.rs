//! Base backups with `mariadb-backup`: taken into a work directory, prepared (so a restore is a
//! copy and a start), then packed like PostgreSQL's (zstd blobs shared with the previous backup
//! where a file is unchanged, checked on restore). Its `backup_label` records the binary log
//! position and GTID the backup is consistent at, which point-in-time recovery replays from.

use std::path::Path;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use serde::Deserialize;
use serde::Serialize;

use super::server;
use super::Maria;
use super::MysqlError;
use crate::engines::postgres::basebackup::COPY_THREADS;
use crate::engines::postgres::packed;
use crate::engines::Layout;

/// Where a backup is consistent: from `xtrabackup_binlog_info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Label {
    pub binlog_file: String,
    pub binlog_pos: u64,
    #[serde(default)]
    pub gtid: String,
}

impl Label {
    /// Parse `xtrabackup_binlog_info` (`binlog.000003\t379\t0-10-1654`).
    pub fn parse_info(text: &str) -> Option<Label> {
        let mut f = text.split_whitespace();
        let binlog_file = f.next()?.to_string();
        let binlog_pos = f.next()?.parse().ok()?;
        let gtid = f.next().unwrap_or_default().to_string();
        Some(Label { binlog_file, binlog_pos, gtid })
    }

    /// The label of a packed backup.
    pub fn read(backup: &Path) -> Result<Label, MysqlError> {
        let text = std::fs::read(backup.join("backup_label"))?;
        serde_json::from_slice(&text).map_err(|e| MysqlError::BadBackup(backup.display().to_string(), e.to_string()))
    }
}

pub fn work_dir(layout: &Layout) -> std::path::PathBuf {
    layout.root.join("backup-work")
}

/// `mariadb-backup --backup` of the running server into `target` (which must not exist), then
/// `--prepare`: a consistent data directory. Logs in through the socket as the control plane's
/// operating-system user (no password anywhere). Returns the label.
pub async fn backup_prepared(maria: &Maria, layout: &Layout, target: &Path) -> Result<Label, MysqlError> {
    let os_user = server::os_user();
    let target_arg = format!("--target-dir={}", target.display());
    maria
        .run(
            "mariadb-backup",
            &[
                "--no-defaults",
                "--backup",
                &format!("--socket={}", server::socket(layout).display()),
                &format!("--user={os_user}"),
                &format!("--datadir={}", layout.data().display()),
                &target_arg,
            ],
        )
        .await?;
    let info = std::fs::read_to_string(target.join("xtrabackup_binlog_info"))
        .map_err(|e| MysqlError::BadBackup(target.display().to_string(), format!("xtrabackup_binlog_info: {e}")))?;
    let label = Label::parse_info(&info).ok_or_else(|| {
        MysqlError::BadBackup(target.display().to_string(), format!("xtrabackup_binlog_info {info:?}"))
    })?;
    maria.run("mariadb-backup", &["--no-defaults", "--prepare", &target_arg]).await?;
    Ok(label)
}

/// Take base backup `name`, packed beside `previous`; returns the bytes it restores to.
pub async fn base_backup(
    maria: &Maria,
    layout: &Layout,
    name: &str,
    previous: Option<&str>,
) -> Result<u64, MysqlError> {
    let work = work_dir(layout);
    crate::engines::layout::remove_tree(&work).await;
    let label = backup_prepared(maria, layout, &work).await?;
    let dest = layout.base().join(format!("{name}.partial"));
    crate::engines::layout::remove_tree(&dest).await;
    let prev = previous.map(|p| layout.backup(p)).filter(|p| packed::is_packed(p));
    let (w, d) = (work.clone(), dest.clone());
    let label_bytes = serde_json::to_vec(&label).map_err(std::io::Error::other)?;
    let stats = tokio::task::spawn_blocking(move || {
        let files = packed::pack_files(&w, &d, prev.as_deref(), COPY_THREADS, crate::engines::copy::all, false)?;
        packed::finish(&d, files, &label_bytes, &[])
    })
    .await??;
    avn_util::crashsafe::sync_dir(&dest)?;
    std::fs::rename(&dest, layout.backup(name))?;
    avn_util::crashsafe::sync_dir(&layout.base())?;
    crate::engines::layout::remove_tree(&work).await;
    Ok(stats.raw)
}

/// Restore packed backup `backup` into `dest` (a new data directory), counting bytes in `copied`.
pub async fn restore(backup: &Path, dest: &Path, copied: &Arc<AtomicU64>) -> Result<(), MysqlError> {
    let (from, to, c) = (backup.to_path_buf(), dest.to_path_buf(), copied.clone());
    tokio::task::spawn_blocking(move || packed::restore(&from, &to, &c, COPY_THREADS)).await??;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_binlog_position_is_read_from_the_backup() {
        let l = super::Label::parse_info("binlog.000003\t379\t0-10-1654\n").unwrap();
        assert_eq!((l.binlog_file.as_str(), l.binlog_pos, l.gtid.as_str()), ("binlog.000003", 379, "0-10-1654"));
        let l = super::Label::parse_info("binlog.000001\t329\n").unwrap();
        assert_eq!(l.gtid, "");
        assert!(super::Label::parse_info("").is_none());
    }
}
