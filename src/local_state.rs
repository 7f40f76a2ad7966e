//! Files that tie the CLI to a local control plane.
//!
//! - `<data-dir>/server.json`: `{"pid", "url"}` of the running server, written by `avn local serve`.
//! - `$AIVEN_CONFIG_DIR/avn-local.json`: `{"url", "data_dir", "project"}`, written by
//!   `avn local up` and removed by `avn local down`. While it exists, commands that are given no
//!   `--url`/`AIVEN_WEB_URL` talk to the local control plane with its own token (an Aiven token
//!   in the credentials file is kept, and not sent there).

use std::path::Path;
use std::path::PathBuf;

use serde::Deserialize;
use serde::Serialize;

use crate::config::write_atomic;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerInfo {
    pub pid: u32,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Active {
    pub url: String,
    pub data_dir: PathBuf,
    pub project: String,
}

pub fn server_info(data_dir: &Path) -> Option<ServerInfo> {
    serde_json::from_slice(&std::fs::read(data_dir.join("server.json")).ok()?).ok()
}

pub fn write_server_info(data_dir: &Path, info: &ServerInfo) -> anyhow::Result<()> {
    write_atomic(&data_dir.join("server.json"), serde_json::to_string(info)?.as_bytes(), 0o600)
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

pub fn token(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(data_dir.join("token")).ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// Whether a process with this pid is alive (and not a zombie).
pub fn alive(pid: u32) -> bool {
    avn_local::process_alive(pid as i32)
}
