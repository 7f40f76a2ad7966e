//! Where files live. The only module that asks the platform for directories.

use std::path::PathBuf;

use crate::env_vars;

/// `$AIVEN_CONFIG_DIR`, else `~/.config/aiven` (the official client's directory on every platform).
pub fn config_dir() -> PathBuf {
    if let Some(d) = env_vars::get(env_vars::AIVEN_CONFIG_DIR) {
        return PathBuf::from(d);
    }
    home_dir().join(".config").join("aiven")
}

fn home_dir() -> PathBuf {
    directories::BaseDirs::new()
        .map(|b| b.home_dir().to_path_buf())
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Data of the local control plane: `$AVN_LOCAL_DIR`, else the platform data directory
/// (`~/.local/share/avn/local` on Linux).
pub fn local_data_dir() -> PathBuf {
    if let Some(d) = env_vars::get(env_vars::AVN_LOCAL_DIR) {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("", "", "avn")
        .map(|p| p.data_dir().join("local"))
        .unwrap_or_else(|| home_dir().join(".local/share/avn/local"))
}

/// avn's own data (rename journals): `$AVN_DATA_DIR`, else the platform data directory
/// (`~/.local/share/avn` on Linux).
pub fn data_dir() -> PathBuf {
    if let Some(d) = env_vars::get(env_vars::AVN_DATA_DIR) {
        return PathBuf::from(d);
    }
    directories::ProjectDirs::from("", "", "avn")
        .map(|p| p.data_dir().to_path_buf())
        .unwrap_or_else(|| home_dir().join(".local/share/avn"))
}

/// Caches that can be deleted at any time (completion candidates): the platform cache directory
/// (`$XDG_CACHE_HOME/avn`, else `~/.cache/avn` on Linux).
pub fn cache_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "avn")
        .map(|p| p.cache_dir().to_path_buf())
        .unwrap_or_else(|| home_dir().join(".cache/avn"))
}
