//! The file that ties the CLI to a local control plane: `$AIVEN_CONFIG_DIR/avn-local.json`,
//! `{"url", "data_dir", "project"}`, written by `avn local up` and removed by `avn local down`.
//! While it exists, commands that are given no `--url`/`AIVEN_WEB_URL` talk to the local control
//! plane with its own token (an Aiven token in the credentials file is kept, and not sent
//! there). The control plane's own data directory is `avn_local::LocalDir`'s alone.

use std::path::Path;
use std::path::PathBuf;

use serde::Deserialize;
use serde::Serialize;

use crate::config::write_atomic;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Active {
    pub url: String,
    pub data_dir: PathBuf,
    pub project: String,
}

pub fn active_path(config_dir: &Path) -> PathBuf {
    config_dir.join("avn-local.json")
}

pub fn active(config_dir: &Path) -> Option<Active> {
    serde_json::from_slice(&std::fs::read(active_path(config_dir)).ok()?).ok()
}

pub fn write_active(config_dir: &Path, a: &Active) -> anyhow::Result<()> {
    write_atomic(&active_path(config_dir), serde_json::to_string_pretty(a)?.as_bytes(), 0o600)
}

/// Whether a process with this pid is alive (and not a zombie).
pub fn alive(pid: u32) -> bool {
    avn_local::process_alive(pid as i32)
}
