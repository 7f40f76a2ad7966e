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

/// Where bash-completion looks for a user's completion scripts, on every platform:
/// `$BASH_COMPLETION_USER_DIR/completions`, else `${XDG_DATA_HOME:-~/.local/share}/bash-completion/completions`.
pub fn bash_completion_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("BASH_COMPLETION_USER_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("completions");
    }
    var_dir_or_home("XDG_DATA_HOME", ".local/share").join("bash-completion").join("completions")
}

/// A directory of the user's own zsh functions, for `fpath`: `~/.zfunc`.
pub fn zsh_function_dir() -> PathBuf {
    home_dir().join(".zfunc")
}

/// Where fish loads a user's completions from: `${XDG_CONFIG_HOME:-~/.config}/fish/completions`.
pub fn fish_completion_dir() -> PathBuf {
    var_dir_or_home("XDG_CONFIG_HOME", ".config").join("fish").join("completions")
}

/// A directory named by an environment variable as shells read it (an absolute path), else
/// `default` under the home directory.
fn var_dir_or_home(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).filter(|p| p.is_absolute()).unwrap_or_else(|| home_dir().join(default))
}

/// `path` with the home directory written as `~`, for messages and rc-file lines.
pub fn tilde(path: &std::path::Path) -> String {
    match path.strip_prefix(home_dir()) {
        Ok(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    }
}

/// bash's startup file for interactive shells: `~/.bashrc`.
pub fn bashrc() -> PathBuf {
    home_dir().join(".bashrc")
}

/// zsh's startup file for interactive shells: `${ZDOTDIR:-~}/.zshrc`.
pub fn zshrc() -> PathBuf {
    var_dir_or_home("ZDOTDIR", "").join(".zshrc")
}
