//! Writing files so that a crash or a full disk never leaves a half-written one behind: the
//! bytes go to a temporary file beside the target, which is synced, renamed over the target, and
//! then the directory is synced so that the rename itself survives a power loss. Every file avn
//! (CLI and control plane) replaces in place goes through here.
//!
//! After a crash at any point, the target holds either its old content or the new one. A
//! temporary file left by a crash is named `.<name>.<pid>.tmp` and is overwritten by the next
//! write of that process id, or left for the user to see.

use std::fs::File;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::path::PathBuf;

/// Replace `path` with `bytes`, created with `mode`.
pub fn write(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write_with(path, mode, |f| f.write_all(bytes))
}

/// Replace `path` with what `fill` writes into a fresh file created with `mode` (`fill` may
/// also change its owner, with `fchown`, before it is visible).
pub fn write_with(path: &Path, mode: u32, fill: impl FnOnce(&mut File) -> std::io::Result<()>) -> std::io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let _ = std::fs::remove_file(&tmp);
        let mut f = OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        drop(f);
        persist(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Rename a complete, already synced file or directory `from` over `to`, and sync the directory
/// `to` is in, so that the rename is durable.
pub fn persist(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::rename(from, to)?;
    sync_dir(parent(to))
}

/// Sync a directory, making the names created, renamed or removed in it durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The temporary name a write of `path` uses: hidden, in the same directory (a rename never
/// crosses filesystems), unique to this process.
pub fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
    parent(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

fn parent(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn replaces_whole_with_mode_and_leaves_nothing_on_failure() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("f.json");
        std::fs::write(&p, b"old").unwrap();
        write(&p, b"new", 0o600).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        let e = write_with(&p, 0o600, |f| {
            f.write_all(b"half")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(e.is_err());
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 1, "no temporary file left");
    }
}
