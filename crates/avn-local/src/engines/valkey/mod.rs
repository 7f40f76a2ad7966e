//! Real redis-server 7.0 servers for Caching (`valkey`) services, one per service. Debian 12 has
//! no Valkey; Valkey forked from Redis 7.2 and speaks the same protocol, and the service says which
//! server runs it (its type description, `metadata`).
//!
//! On-disk layout of one instance (`<instances>/<id>/`):
//!
//! ```text
//! <id>/                 0711, owned by the control plane's user
//!   redis.conf          every setting the server runs with (rewritten at each start)
//!   admin.pw            0600: the password of `avn_admin`, the control plane's own ACL user (its
//!                       line in the ACL file is written again from this before each start; a
//!                       fork gets a password of its own)
//!   redis.log           the server's log
//!   data/               the server's directory: `dump.rdb`, `users.acl` (owned by its user)
//!   base/<backup>/      backups: the RDB snapshot, the ACL file and `backup_label` (and, when taken
//!                       while a rename kept writes stopped, the users' rules from before)
//!   run/                socket, pid file, TLS certificate and key (owned by the server's user)
//!   writes-stopped      while a rename keeps writes stopped: each user's ACL rules before
//! ```
//!
//! As root, the server runs as the `redis` user. It listens with TLS only (`--port 0`), on
//! 127.0.0.1, and on a unix socket only its user and the control plane reach. Users are ACL users
//! kept in the service's `aclfile` (ACL users are not in the RDB): the `default` user has the
//! service's password; `avn_admin` is the control plane's, hidden from the service's users.
//! Service users may not run what would let them take the server from the control plane (`ACL`
//! changes, `CONFIG SET`, `DEBUG`, `SHUTDOWN`, replication, modules), as on Aiven.

pub mod acl;
pub mod backup;
pub mod cmd;
pub mod engine;
pub mod fork;
pub mod schema;
pub mod server;

pub use server::Redis;

/// A failure of redis-server or a session with it.
#[derive(Debug, thiserror::Error)]
pub enum ValkeyError {
    #[error("redis-server not found: {0}")]
    NotInstalled(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("redis-server: {0}")]
    Server(#[from] redis::RedisError),
    #[error("cannot start redis-server: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("redis-server exited during {during}: {log}")]
    Exited { during: &'static str, log: String },
    #[error("redis-server did not accept connections within {0:?}")]
    NotReady(std::time::Duration),
    #[error("TLS certificate: {0}")]
    Tls(String),
    #[error("a worker thread failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("backup {0}: {1}")]
    BadBackup(String, String),
    #[error("{0}")]
    Refused(String),
    /// What Caching services do not have (SQL sessions, databases): a bad request.
    #[error("{0}")]
    NotApplicable(String),
}
