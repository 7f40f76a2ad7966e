//! `avn local`: an Aiven-compatible control plane that runs each service as a real database
//! server on this machine (PostgreSQL today), with real base backups, continuous archiving,
//! forks and point-in-time recovery. It uses `avn-api` (the wire types) and `avn-util` from the
//! workspace; it never imports clap, comfy-table or indicatif and never prints: it logs through
//! `tracing`.
//!
//! The layout, from the request to the server process:
//!
//! ```text
//! routes/      HTTP: one handler per endpoint, answers built from avn_api types (views), and
//!              the one mapping of errors to statuses and Aiven's error body (routes/error.rs)
//! ops/         service operations: validate, register, run in the background (create, fork,
//!              lifecycle, backups, integrations), the watchdog and the expiry reaper; they
//!              speak to servers only through the engine seam and return domain errors
//! reconcile.rs start-up after a crash: adopt, redo, start or stop what the store says
//! manager.rs   shared state: engine, store, running servers, progress, locks, held sources
//! engines/     the engine seam (engines/mod.rs: what each operation needs, and what
//!              PostgreSQL, MariaDB and redis-server do for it), engine-neutral helpers
//!              (running.rs: server processes; copy.rs: cloning and copying trees; layout.rs:
//!              an instance's directory) and engines/postgres/
//! store/       the SQLite state (model.rs: its enums); catalog.rs: plans, and checks against
//!              the engine's schema
//! local_dir.rs the data directory (LocalDir), the only code that knows its file names
//! tls.rs       the local CA; error.rs: OpError and Refusal
//! ```

use std::net::SocketAddr;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

mod catalog;
mod engines;
mod error;
mod local_dir;
mod manager;
mod model;
mod ops;
mod random;
mod reconcile;
mod routes;
mod store;
pub mod tls;

pub use engines::postgres::process::Pg;
pub use local_dir::DataDirLock;
pub use local_dir::LocalDir;
pub use local_dir::Orphan;
pub use local_dir::ServerRecord;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The PostgreSQL installation (not found, or unusable).
    #[error(transparent)]
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

pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
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

pub(crate) fn create_private_dir(p: &Path) -> Result<(), Error> {
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
pub(crate) fn instances_dir(pg: &Pg, data_dir: &Path) -> Result<PathBuf, Error> {
    let link = data_dir.join(local_dir::INSTANCES);
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
    let token = LocalDir::new(&cfg.data_dir).ensure_token()?;
    let db = cfg.data_dir.join(local_dir::STATE);
    let instances = instances_dir(&pg, &cfg.data_dir)?;
    check_state(&db, &instances)?;
    let store = store::Store::open(&db).map_err(|source| Error::Store { path: db.clone(), source })?;
    let ca = tls::Authority::load_or_create(&cfg.data_dir)?;
    let mut engines = vec![engines::Engine::Postgres(pg)];
    let mut missing = vec![];
    match engines::mysql::Maria::discover() {
        Ok(maria) => engines.push(engines::Engine::Mysql(maria)),
        Err(e) => {
            tracing::info!("mysql services are not available here: {e}");
            missing.push(("mysql", e.to_string()));
        }
    }
    match engines::valkey::Redis::discover() {
        Ok(redis) => engines.push(engines::Engine::Valkey(redis)),
        Err(e) => {
            tracing::info!("valkey services are not available here: {e}");
            missing.push(("valkey", e.to_string()));
        }
    }
    let m = Arc::new(manager::Manager::new(engines, missing, ca, instances, store, cfg.backup_interval));
    reconcile::reconcile(&m).await?;
    tokio::spawn(ops::backup_scheduler(m.clone()));
    tokio::spawn(ops::watchdog(m.clone()));
    tokio::spawn(ops::expiry_reaper(m.clone()));
    let started = Arc::new(manager::now());
    let state = routes::AppState { manager: m.clone(), token: Arc::new(token), started };
    let app = routes::router(state);
    tracing::info!("avn local control plane listening on http://{addr}");
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(io("server"))?;
    tracing::info!("stopping every cluster");
    m.begin_shutdown();
    // Poolers first: their clients go before the servers they pool for.
    for (_, mut r) in m.all_poolers() {
        r.stop().await;
    }
    // Standbys before the primaries they replicate from: those registered, and any other still
    // running under an instance (one a build had just started).
    for mut r in m.all_standbys() {
        r.stop().await;
    }
    for inst in std::fs::read_dir(&m.instances).into_iter().flatten().flatten() {
        for mut r in engines::mysql::standby::adopt_all_at(&inst.path()) {
            r.stop().await;
        }
    }
    for (_, mut r) in m.all_running() {
        r.stop().await;
    }
    // One started just before the watchdog saw the shutdown.
    for (_, mut r) in m.all_poolers() {
        r.stop().await;
    }
    Ok(())
}

/// Open a log file for appending, private (0600) from its creation.
pub fn private_log(path: &Path) -> std::io::Result<std::fs::File> {
    crate::engines::running::private_log(path)
}

/// Whether a process is alive (and not a zombie waiting to be reaped).
pub fn process_alive(pid: i32) -> bool {
    crate::engines::running::process_alive(pid)
}
