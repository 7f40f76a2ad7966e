//! Real MariaDB 10.11 servers for `mysql` services, one per service. Debian has no MySQL server;
//! MariaDB speaks the MySQL protocol, and the service says which server runs it (its type
//! description, `metadata`, `service versions`).
//!
//! On-disk layout of one instance (`<instances>/<id>/`):
//!
//! ```text
//! <id>/                 0711, owned by the control plane's user
//!   my.cnf              every setting the server runs with (rewritten at each start)
//!   admin.pw            0600: the password of avn_admin@localhost, the control plane's own
//!                       administrator (socket only; a fork carries the account, so this too)
//!   mariadb.log         the server's error log
//!   data/               datadir (owned by the server's user, 0700)
//!   binlog/             the server's binary logs (binlog.NNNNNN, binlog.index)
//!   archive/            closed binary logs, copied as they close (crash-safe); point-in-time
//!                       recovery replays them
//!   base/<backup>/      base backups: `mariadb-backup` output, prepared, then packed (zstd blobs
//!                       shared with the previous backup where unchanged); `backup_label` holds
//!                       the binary log position the backup is consistent at
//!   backup-work/        a backup being taken (removed when it is packed)
//!   run/                socket, pid file, TLS certificate and key (owned by the server's user)
//! ```
//!
//! As root, the server drops to the `mysql` user (`--user=mysql`); the tools run as the control
//! plane's user. Servers are spawned directly in their own process group, so the control plane
//! owns and reaps them.
//!
//! A *keeper* task runs beside each server: it archives each binary log as it closes, and keeps
//! a clock of binary log positions (`binlog.rs`), so that point-in-time recovery can cut the log
//! at the last transaction committed at or before its target (binary log events carry whole
//! seconds only).

pub mod backup;
pub mod binlog;
pub mod engine;
pub mod fork;
pub mod observe;
pub mod schema;
pub mod server;
pub mod sql;
pub mod standby;

pub use server::Maria;

/// A failure of MariaDB or its tools.
#[derive(Debug, thiserror::Error)]
pub enum MysqlError {
    #[error("MariaDB not found: {0}")]
    NotInstalled(String),
    #[error("{0}")]
    Tool(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("{}", crate::error::chain(.0))]
    Sql(#[from] mysql_async::Error),
    #[error("cannot start mariadbd: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("mariadbd exited during {during}: {log}")]
    Exited { during: &'static str, log: String },
    #[error("mariadbd did not accept connections within {0:?}")]
    NotReady(std::time::Duration),
    #[error("TLS certificate: {0}")]
    Tls(String),
    #[error("a worker thread failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("base backup {0}: {1}")]
    BadBackup(String, String),
    #[error("binary log {0} is missing from the archive; the fork cannot replay past it")]
    MissingBinlog(String),
}

impl MysqlError {
    /// The server's error number, if the server reported this.
    pub fn server_code(&self) -> Option<u16> {
        match self {
            MysqlError::Sql(mysql_async::Error::Server(e)) => Some(e.code),
            _ => None,
        }
    }
}
