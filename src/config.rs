//! The official client's two JSON files, read and written compatibly.
//!
//! `aiven-client.json` holds `default_project`; `aiven-credentials.json` holds `auth_token` and
//! `user_email`. Keys this tool does not know are kept. Writes go to a temporary file in the same
//! directory (mode 0600) that is then renamed over the target; the directory is made 0700.

use std::fs;
use std::path::Path;
use std::path::PathBuf;

use anyhow::Context as _;
use serde_json::Map;
use serde_json::Value;

/// A JSON object file. A missing file reads as an empty object.
#[derive(Debug, Default, Clone)]
pub struct JsonFile {
    pub path: PathBuf,
    pub data: Map<String, Value>,
}

impl JsonFile {
    pub fn load(path: &Path) -> anyhow::Result<JsonFile> {
        let data = match fs::read(path) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Map::new(),
            Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(m)) => m,
                Ok(_) => anyhow::bail!("{} does not hold a JSON object", path.display()),
                Err(e) => anyhow::bail!("{} is not valid JSON: {e}", path.display()),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Map::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(JsonFile { path: path.to_path_buf(), data })
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
    }

    /// Write the file atomically with mode 0600. `pretty` uses the official client's layout for
    /// the client config (sorted keys, indent 4); otherwise one line, as for credentials.
    pub fn save(&self, pretty: bool) -> anyhow::Result<()> {
        let text = if pretty {
            crate::output::json::to_pretty(&Value::Object(self.data.clone()))
        } else {
            format!("{}\n", Value::Object(self.data.clone()))
        };
        write_atomic(&self.path, text.as_bytes(), 0o600)
    }
}

/// Replace `path` with `bytes` crash-safely (`avn_util::crashsafe`), creating the parent
/// directory with mode 0700 if needed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    avn_util::crashsafe::write(path, bytes, mode).with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create directory {}", dir.display()))
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_keeps_unknown_keys_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("aiven-client.json");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, r#"{"other": {"x": 1}, "default_project": "a"}"#).unwrap();
        let mut f = JsonFile::load(&path).unwrap();
        f.data.insert("default_project".into(), "b".into());
        f.save(true).unwrap();
        let back: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(back["other"]["x"], 1);
        assert_eq!(back["default_project"], "b");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }

    #[test]
    fn new_directory_is_0700() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new").join("creds.json");
        write_atomic(&path, b"{}", 0o600).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let m = fs::metadata(path.parent().unwrap()).unwrap().permissions().mode();
            assert_eq!(m & 0o777, 0o700);
        }
    }
}
