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
    Pg(#[from] engines::postgres::process::PgError),
    #[error("state store {path}: {source}")]
    Store { path: PathBuf, source: rusqlite::Error },
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("refusing to listen on {0}: the local control plane binds to loopback only")]
    NotLoopback(SocketAddr),
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
    let tmp = data_dir.join(".token.tmp");
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(format!("cannot write {}", tmp.display())))?;
        f.write_all(token.as_bytes()).map_err(io("cannot write the token"))?;
        f.sync_all().map_err(io("cannot write the token"))?;
    }
    std::fs::rename(&tmp, &path).map_err(io("cannot write the token"))?;
    Ok(token)
}

fn create_private_dir(p: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt;
    if p.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(p)
        .map_err(io(format!("cannot create {}", p.display())))
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
    let store = store::Store::open(&db).map_err(|source| Error::Store { path: db.clone(), source })?;
    let instances = instances_dir(&pg, &cfg.data_dir)?;
    let ca = tls::Authority::load_or_create(&cfg.data_dir)?;
    let m = Arc::new(manager::Manager::new(pg, ca, instances, store, cfg.backup_interval));
    reconcile::reconcile(&m).await?;
    tokio::spawn(ops::backup_scheduler(m.clone()));
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
pub fn instances_location(data_dir: &Path) -> PathBuf {
    let link = data_dir.join("instances");
    std::fs::read_link(&link).unwrap_or(link)
}

/// Whether a process is alive (and not a zombie waiting to be reaped).
pub fn process_alive(pid: i32) -> bool {
    engines::postgres::process::process_alive(pid)
}
