//! The data directory of `avn local`, known to this crate alone: the CLI's `avn local
//! up/down/status/gc/serve` reach it through [`LocalDir`], never by file names.
//!
//! ```text
//! <data-dir>/
//!   token          API token (0600), generated at first start
//!   state.db       SQLite state (projects, services, backups, integrations); state.db.copy
//!   server.json    pid and URL of the running server (written by `serve`)
//!   server.lock    held (flock) by the one server of this directory while it runs
//!   server.log     log of a background server (`avn local up`)
//!   ca/            the local CA, which signs every server's certificate
//!   instances/     one directory per service (see `engines`), or a symlink to a directory the
//!                  server user can reach when running as root
//!   instances-orphaned/  directories start-up found without a service, moved aside
//! ```

use std::path::Path;
use std::path::PathBuf;

use serde::Deserialize;
use serde::Serialize;

use crate::io;
use crate::Error;

const TOKEN: &str = "token";
const SERVER: &str = "server.json";
const LOCK: &str = "server.lock";
const LOG: &str = "server.log";
pub(crate) const STATE: &str = "state.db";
pub(crate) const INSTANCES: &str = "instances";

/// The record a running server leaves: its pid and URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerRecord {
    pub pid: u32,
    pub url: String,
}

/// One data directory of `avn local`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: impl Into<PathBuf>) -> LocalDir {
        LocalDir { root: root.into() }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The running server's record, if one was written (it may be stale: see [`Self::is_server_of`]).
    pub fn server(&self) -> Option<ServerRecord> {
        serde_json::from_slice(&std::fs::read(self.root.join(SERVER)).ok()?).ok()
    }

    /// Record the server running here (crash-safely, 0600).
    pub fn write_server(&self, record: &ServerRecord) -> Result<(), Error> {
        let path = self.root.join(SERVER);
        let text =
            serde_json::to_vec(record).map_err(|e| Error::Io { context: "server record".into(), source: e.into() })?;
        avn_util::crashsafe::write(&path, &text, 0o600).map_err(io(format!("cannot write {}", path.display())))
    }

    /// Remove the server's record, if it is the record of process `pid` (or of any, with None).
    pub fn forget_server(&self, pid: Option<u32>) {
        if pid.is_none() || self.server().is_some_and(|r| Some(r.pid) == pid) {
            let _ = std::fs::remove_file(self.root.join(SERVER));
        }
    }

    /// The API token, if one was generated.
    pub fn token(&self) -> Option<String> {
        let t = std::fs::read_to_string(self.root.join(TOKEN)).ok()?;
        Some(t.trim().to_string()).filter(|t| !t.is_empty())
    }

    /// The API token, generated (0600) at first use.
    pub fn ensure_token(&self) -> Result<String, Error> {
        if let Some(t) = self.token() {
            return Ok(t);
        }
        crate::create_private_dir(&self.root)?;
        let token = format!("avnlocal-{}", crate::random::random_string(40));
        avn_util::crashsafe::write(&self.root.join(TOKEN), token.as_bytes(), 0o600)
            .map_err(io("cannot write the token"))?;
        Ok(token)
    }

    /// Where a background server (`avn local up`) logs.
    pub fn log_path(&self) -> PathBuf {
        self.root.join(LOG)
    }

    /// Where the instances live (the target, when `instances` is a symlink).
    pub fn instances(&self) -> PathBuf {
        instances_location(&self.root)
    }

    /// Where start-up moves instance directories that belong to no known service.
    pub fn orphaned(&self) -> PathBuf {
        orphaned_location(&self.root)
    }

    /// What is in [`Self::orphaned`], oldest name first.
    pub fn orphans(&self) -> Vec<Orphan> {
        orphans(&self.root)
    }

    /// How forks and backups copy data where the instances live: ("reflink" | "copy", a
    /// description); None when the instances directory does not exist yet.
    pub fn copy_method(&self) -> Option<(&'static str, &'static str)> {
        copy_method(&self.root)
    }

    /// Take this directory's lock, or fail with [`Error::AlreadyRunning`]: one server per data
    /// directory, so two never fight over the same servers.
    pub fn lock(&self) -> Result<DataDirLock, Error> {
        lock_data_dir(&self.root)
    }

    /// Whether a server holds the lock now.
    pub fn is_locked(&self) -> bool {
        is_locked(&self.root)
    }

    /// Whether process `pid` is this directory's server: it holds the lock file open, and the
    /// lock is taken. Anything else named by a stale `server.json` is never signalled.
    pub fn is_server_of(&self, pid: u32) -> bool {
        is_server_of(pid, &self.root)
    }

    /// Stop servers left running without a control plane (after a `kill -9` of it); how many.
    pub async fn stop_orphans(&self) -> usize {
        stop_orphans(&self.root).await
    }

    /// The pid of the live server process listening on `port`, if one of the instances runs it.
    pub fn server_pid_for_port(&self, port: u16) -> Option<u32> {
        let rd = std::fs::read_dir(self.instances()).ok()?;
        rd.flatten().find_map(|e| {
            let (pid, listens) = crate::engines::recorded_server(&e.path())?;
            (listens == port && crate::process_alive(pid as i32)).then_some(pid)
        })
    }
}

/// Stop clusters left running without a server (after a `kill -9` of the server).
async fn stop_orphans(data_dir: &Path) -> usize {
    let mut stopped = 0;
    let Ok(rd) = std::fs::read_dir(data_dir.join(INSTANCES)) else {
        return 0;
    };
    for e in rd.flatten() {
        if let Some(mut r) = crate::engines::adopt_pooler_at(&e.path()) {
            r.stop().await;
        }
        for mut r in crate::engines::mysql::standby::adopt_all_at(&e.path()) {
            r.stop().await;
        }
        if let Some(mut r) = crate::engines::adopt_any(&e.path()) {
            r.stop().await;
            stopped += 1;
        }
    }
    stopped
}

/// The exclusive lock one server holds on its data directory for as long as it runs
/// (`<data-dir>/server.lock`, flock). Dropping it releases the lock; so does the process's end.
pub struct DataDirLock {
    _lock: nix::fcntl::Flock<std::fs::File>,
}

fn lock_file(data_dir: &Path) -> PathBuf {
    data_dir.join(LOCK)
}

fn try_lock(data_dir: &Path) -> Result<Option<DataDirLock>, Error> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = lock_file(data_dir);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(io(format!("cannot open {}", path.display())))?;
    match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(DataDirLock { _lock: lock })),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, e)) => Err(Error::Io { context: format!("cannot lock {}", path.display()), source: e.into() }),
    }
}

/// Take the data directory's lock, or fail with [`Error::AlreadyRunning`]: one server per data
/// directory, so two never fight over the same clusters.
fn lock_data_dir(data_dir: &Path) -> Result<DataDirLock, Error> {
    crate::create_private_dir(data_dir)?;
    try_lock(data_dir)?.ok_or_else(|| Error::AlreadyRunning(data_dir.to_path_buf()))
}

/// Whether a server holds the lock of `data_dir` now.
fn is_locked(data_dir: &Path) -> bool {
    matches!(try_lock(data_dir), Ok(None))
}

/// Whether process `pid` is the server of `data_dir`: it holds the directory's lock file open,
/// and the lock is taken. Anything else named by a stale `server.json` is never signalled.
fn is_server_of(pid: u32, data_dir: &Path) -> bool {
    if matches!(try_lock(data_dir), Ok(Some(_))) {
        return false; // nobody holds the lock: no server runs here
    }
    let want = std::fs::canonicalize(lock_file(data_dir)).unwrap_or_else(|_| lock_file(data_dir));
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| rd.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == want)))
        .unwrap_or(false)
}

/// The directory the instances really live in (it may be a symlink target).
pub(crate) fn instances_location(data_dir: &Path) -> PathBuf {
    let link = data_dir.join(INSTANCES);
    std::fs::read_link(&link).unwrap_or(link)
}

/// Where instance directories that belong to no known service are moved aside at start-up
/// (`instances-orphaned/` beside the instances): the control plane never removes them itself.
fn orphaned_location(data_dir: &Path) -> PathBuf {
    orphaned_dir(&instances_location(data_dir))
}

/// `orphaned_location`, from the instances directory.
pub(crate) fn orphaned_dir(instances: &Path) -> PathBuf {
    let name = instances.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    instances.with_file_name(format!("{name}-orphaned"))
}

/// One directory moved aside to [`orphaned_location`].
#[derive(Debug, Clone)]
pub struct Orphan {
    pub path: PathBuf,
    /// Disk it takes (allocated blocks; a file linked twice counts once).
    pub bytes: u64,
    /// A live PostgreSQL server runs from it (never removed then).
    pub in_use: bool,
}

/// What is in [`orphaned_location`], oldest name first.
fn orphans(data_dir: &Path) -> Vec<Orphan> {
    let Ok(rd) = std::fs::read_dir(orphaned_location(data_dir)) else { return vec![] };
    let mut out: Vec<Orphan> = rd
        .flatten()
        .map(|e| {
            let path = e.path();
            let in_use = crate::engines::serves_from(&path);
            Orphan { bytes: disk_usage(&path), path, in_use }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Allocated bytes under `root`, each inode once, without following links.
fn disk_usage(root: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut seen = std::collections::HashSet::new();
    let mut total = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(m) = std::fs::symlink_metadata(&p) else { continue };
        if seen.insert((m.dev(), m.ino())) {
            total += m.blocks() * 512;
        }
        if m.is_dir() {
            stack.extend(std::fs::read_dir(&p).into_iter().flatten().flatten().map(|e| e.path()));
        }
    }
    total
}

/// How forks and backups copy data where the instances live: ("reflink" | "copy", a description).
/// Detected by cloning a scratch file there; None when the directory does not exist yet.
fn copy_method(data_dir: &Path) -> Option<(&'static str, &'static str)> {
    let dir = instances_location(data_dir);
    if !dir.is_dir() {
        return None;
    }
    let m = crate::engines::copy::detect(&dir);
    Some((if m == crate::engines::copy::Method::Reflink { "reflink" } else { "copy" }, m.describe()))
}
