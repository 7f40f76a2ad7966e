//! `avn local`: an Aiven-compatible control plane that runs each service as a real PostgreSQL
//! cluster on this machine, with real base backups, WAL archiving, forks and point-in-time
//! recovery.
//!
//! Owns the HTTP server (`routes`, answering with `avn_api` types), the durable state
//! (`store`, `model`), the service operations (`ops`, `reconcile`) and the PostgreSQL engine
//! (`engines::postgres`). From the workspace it uses `avn-api` only; it never imports clap,
//! comfy-table or indicatif and never prints: it logs through `tracing`.
//!
//! Data directory layout:
//!
//! ```text
//! <data-dir>/
//!   token          API token (0600), generated at first start
//!   state.db       SQLite state (projects, services, backups, integrations)
//!   server.json    pid and URL of the running server (written by `serve`)
//!   server.log     log of a background server (`avn local up`)
//!   instances/     one directory per service (see `engines::postgres`), or a symlink to a
//!                  directory the `postgres` user can reach when running as root
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod catalog;
mod engines;
mod error;
mod manager;
mod model;
mod ops;
mod random;
mod reconcile;
mod routes;
mod store;
pub mod tls;

pub use engines::postgres::process::Pg;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Pg(#[from] engines::postgres::process::ClusterError),
    #[error("state store {path}: {source}")]
    Store { path: PathBuf, source: rusqlite::Error },
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("refusing to listen on {0}: the local control plane binds to loopback only")]
    NotLoopback(SocketAddr),
    #[error(
        "the state store {} is missing or empty, but {} holds service data; refusing to start so that nothing is \
         removed. To recover, stop any server on this directory and copy {} (a copy written after every change) \
         over {}, then start again",
        db.display(), instances.display(), copy.display(), db.display()
    )]
    StateLost { db: PathBuf, instances: PathBuf, copy: PathBuf },
    #[error("another avn local server already runs on {} (it holds server.lock)", .0.display())]
    AlreadyRunning(PathBuf),
    #[error("the local CA: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("start-up reconciliation: {0}")]
    Reconcile(#[from] error::OpError),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |source| Error::Io { context, source }
}

/// What `serve` needs.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub data_dir: PathBuf,
    /// How often running services with backups get a new base backup.
    pub backup_interval: Duration,
}

/// Read the API token, generating it (0600) at first start.
pub fn ensure_token(data_dir: &Path) -> Result<String, Error> {
    let path = data_dir.join("token");
    if let Ok(t) = std::fs::read_to_string(&path) {
        if !t.trim().is_empty() {
            return Ok(t.trim().to_string());
        }
    }
    create_private_dir(data_dir)?;
    let token = format!("avnlocal-{}", random::random_string(40));
    avn_util::crashsafe::write(&path, token.as_bytes(), 0o600).map_err(io("cannot write the token"))?;
    Ok(token)
}

fn create_private_dir(p: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    use std::os::unix::fs::PermissionsExt;
    if p.is_dir() {
        // 0700 also when it already existed (wider, say 0755): it holds the token and the data.
        let mode = std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0o700);
        if mode & 0o077 != 0 && mode != 0o711 {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700))
                .map_err(io(format!("cannot make {} private", p.display())))?;
        }
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)
        .map_err(io(format!("cannot create {}", p.display())))
}

/// A state store that is missing or empty next to instance directories means the state was
/// lost, not that there is nothing: refuse to start (start-up reconciliation would otherwise see
/// every instance as unknown) and say how to recover.
fn check_state(db: &Path, instances: &Path) -> Result<(), Error> {
    let lost = std::fs::metadata(db).map(|m| m.len() == 0).unwrap_or(true);
    let has_instances = std::fs::read_dir(instances).map(|mut rd| rd.next().is_some()).unwrap_or(false);
    if lost && has_instances {
        return Err(Error::StateLost {
            db: db.to_path_buf(),
            instances: instances.to_path_buf(),
            copy: store::copy_path(db),
        });
    }
    Ok(())
}

/// Where instance directories live. When the server user differs from ours (root running
/// PostgreSQL as `postgres`), every directory above the instances must be traversable by it;
/// if one is not (root's home is 0700), the instances live under `/var/lib/avn-local/<hash>`
/// and `<data-dir>/instances` points there.
fn instances_dir(pg: &Pg, data_dir: &Path) -> Result<PathBuf, Error> {
    let link = data_dir.join("instances");
    if let Ok(target) = std::fs::read_link(&link) {
        std::fs::create_dir_all(&target).map_err(io(format!("cannot create {}", target.display())))?;
        return Ok(target);
    }
    let Some((uid, gid)) = pg.run_as else {
        std::fs::create_dir_all(&link).map_err(io(format!("cannot create {}", link.display())))?;
        return Ok(link);
    };
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::fs::PermissionsExt;
    // Our own data dir: make it traversable (not listable) by others.
    let _ = std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o711));
    let reachable = data_dir.ancestors().all(|a| match std::fs::metadata(a) {
        Ok(md) => {
            let mode = md.mode();
            mode & 0o001 != 0
                || (md.uid() == uid.as_raw() && mode & 0o100 != 0)
                || (md.gid() == gid.as_raw() && mode & 0o010 != 0)
        }
        Err(_) => false,
    });
    if reachable {
        std::fs::create_dir_all(&link).map_err(io(format!("cannot create {}", link.display())))?;
        std::fs::set_permissions(&link, std::fs::Permissions::from_mode(0o711)).map_err(io("chmod instances"))?;
        return Ok(link);
    }
    let canonical = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let hash = canonical
        .to_string_lossy()
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    let target = PathBuf::from("/var/lib/avn-local").join(format!("{hash:016x}"));
    std::fs::create_dir_all(&target).map_err(io(format!("cannot create {}", target.display())))?;
    for d in [Path::new("/var/lib/avn-local"), target.as_path()] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o711)).map_err(io("chmod instances"))?;
    }
    std::os::unix::fs::symlink(&target, &link).map_err(io(format!("cannot link {}", link.display())))?;
    Ok(target)
}

/// Run the control plane on `listener` until `shutdown` resolves; then stop every cluster.
pub async fn serve(
    listener: tokio::net::TcpListener,
    cfg: ServeConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let addr: SocketAddr = listener.local_addr().map_err(io("listener"))?;
    if !addr.ip().is_loopback() {
        return Err(Error::NotLoopback(addr));
    }
    let pg = Pg::discover()?;
    create_private_dir(&cfg.data_dir)?;
    let token = ensure_token(&cfg.data_dir)?;
    let db = cfg.data_dir.join("state.db");
    let instances = instances_dir(&pg, &cfg.data_dir)?;
    check_state(&db, &instances)?;
    let store = store::Store::open(&db).map_err(|source| Error::Store { path: db.clone(), source })?;
    let ca = tls::Authority::load_or_create(&cfg.data_dir)?;
    let m = Arc::new(manager::Manager::new(engines::Engine::Postgres(pg), ca, instances, store, cfg.backup_interval));
    reconcile::reconcile(&m).await?;
    tokio::spawn(ops::backup_scheduler(m.clone()));
    tokio::spawn(ops::watchdog(m.clone()));
    tokio::spawn(ops::expiry_reaper(m.clone()));
    let state = routes::AppState { manager: m.clone(), token: Arc::new(token) };
    let app = routes::router(state);
    tracing::info!("avn local control plane listening on http://{addr}");
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(io("server"))?;
    tracing::info!("stopping every cluster");
    for (_, mut r) in m.all_running() {
        r.stop().await;
    }
    Ok(())
}

/// Stop clusters left running without a server (after a `kill -9` of the server).
pub async fn stop_orphans(data_dir: &Path) -> usize {
    let mut stopped = 0;
    let Ok(rd) = std::fs::read_dir(data_dir.join("instances")) else {
        return 0;
    };
    for e in rd.flatten() {
        if let Some(mut r) = engines::postgres::process::Running::adopt(&e.path().join("data")) {
            r.stop().await;
            stopped += 1;
        }
    }
    stopped
}

/// The directory the instances really live in (it may be a symlink target).
/// The exclusive lock one server holds on its data directory for as long as it runs
/// (`<data-dir>/server.lock`, flock). Dropping it releases the lock; so does the process's end.
pub struct DataDirLock {
    _lock: nix::fcntl::Flock<std::fs::File>,
}

fn lock_file(data_dir: &Path) -> PathBuf {
    data_dir.join("server.lock")
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
pub fn lock_data_dir(data_dir: &Path) -> Result<DataDirLock, Error> {
    create_private_dir(data_dir)?;
    try_lock(data_dir)?.ok_or_else(|| Error::AlreadyRunning(data_dir.to_path_buf()))
}

/// Whether a server holds the lock of `data_dir` now.
pub fn is_locked(data_dir: &Path) -> bool {
    matches!(try_lock(data_dir), Ok(None))
}

/// Whether process `pid` is the server of `data_dir`: it holds the directory's lock file open,
/// and the lock is taken. Anything else named by a stale `server.json` is never signalled.
pub fn is_server_of(pid: u32, data_dir: &Path) -> bool {
    if matches!(try_lock(data_dir), Ok(Some(_))) {
        return false; // nobody holds the lock: no server runs here
    }
    let want = std::fs::canonicalize(lock_file(data_dir)).unwrap_or_else(|_| lock_file(data_dir));
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|rd| rd.flatten().any(|fd| std::fs::read_link(fd.path()).is_ok_and(|target| target == want)))
        .unwrap_or(false)
}

pub fn instances_location(data_dir: &Path) -> PathBuf {
    let link = data_dir.join("instances");
    std::fs::read_link(&link).unwrap_or(link)
}

/// Where instance directories that belong to no known service are moved aside at start-up
/// (`instances-orphaned/` beside the instances): the control plane never removes them itself.
pub fn orphaned_location(data_dir: &Path) -> PathBuf {
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
pub fn orphans(data_dir: &Path) -> Vec<Orphan> {
    let Ok(rd) = std::fs::read_dir(orphaned_location(data_dir)) else { return vec![] };
    let mut out: Vec<Orphan> = rd
        .flatten()
        .map(|e| {
            let path = e.path();
            let in_use = engines::postgres::process::live_postmaster(&path.join("data")).is_some();
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
pub fn copy_method(data_dir: &Path) -> Option<(&'static str, &'static str)> {
    let dir = instances_location(data_dir);
    if !dir.is_dir() {
        return None;
    }
    let m = engines::postgres::copy::detect(&dir);
    Some((if m == engines::postgres::copy::Method::Reflink { "reflink" } else { "copy" }, m.describe()))
}

/// Whether a process is alive (and not a zombie waiting to be reaped).
/// Open a log file for appending, private (0600) from its creation.
pub fn private_log(path: &Path) -> std::io::Result<std::fs::File> {
    engines::postgres::process::private_log(path)
}

pub fn process_alive(pid: i32) -> bool {
    engines::postgres::process::process_alive(pid)
}
