//! Paths of one instance (see the module doc of `engines::postgres`).

use std::path::Path;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn new(instances: &Path, id: &str) -> Layout {
        Layout { root: instances.join(id) }
    }
    /// The instance whose directory is `root`.
    pub fn at(root: &Path) -> Layout {
        Layout { root: root.to_path_buf() }
    }
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }
    pub fn archive(&self) -> PathBuf {
        self.root.join("archive")
    }
    pub fn base(&self) -> PathBuf {
        self.root.join("base")
    }
    pub fn backup(&self, name: &str) -> PathBuf {
        self.base().join(name)
    }
    /// A fork's decompressed copies of the compressed archive segments it restores from.
    pub fn staging(&self) -> PathBuf {
        self.root.join("wal-staged")
    }
    pub fn run(&self) -> PathBuf {
        self.root.join("run")
    }
    pub fn log(&self) -> PathBuf {
        self.root.join("postgres.log")
    }
    pub fn instance_conf(&self) -> PathBuf {
        self.data().join("avn-instance.conf")
    }
    pub fn user_conf(&self) -> PathBuf {
        self.data().join("avn-user.conf")
    }
}

/// [`dir_size`] off the async threads: a walk of a large tree must not stall the server.
pub async fn size_of(p: &Path) -> u64 {
    let p = p.to_path_buf();
    tokio::task::spawn_blocking(move || dir_size(&p)).await.unwrap_or(0)
}

/// Remove a tree off the async threads (a large one takes seconds); a missing tree is fine.
pub async fn remove_tree(p: &Path) {
    let p = p.to_path_buf();
    let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(p)).await;
}

/// Total size in bytes of the files under a directory (0 when missing).
pub fn dir_size(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else {
        return 0;
    };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
            _ => 0,
        })
        .sum()
}
