//! The engine seam: what the service operations (`ops`, `reconcile`, the watchdog) need from the
//! database server behind a service, in one place. `ops` speaks only to [`Engine`]; each engine
//! module (`postgres` today) knows its server's tools, files and SQL.
//!
//! [`Engine`] is an enum over engines rather than a trait object: each operation is one `match`,
//! async without boxing, and adding an engine is a new variant whose missing arms the compiler
//! lists. The types the operations see are engine-neutral: a [`Running`] server process (in its
//! own process group, owned and reaped by the control plane), an [`Layout`] instance directory,
//! [`EngineError`], and the service record itself.
//!
//! # What each engine does per operation
//!
//! All three engines are built; MariaDB 10.11 and redis-server 7.0 were measured on this machine
//! first (`shared/reference/local-mysql.md`, `local-valkey.md`). Where an engine has none of an
//! operation, its arm says what it does instead.
//!
//! | operation | PostgreSQL 15 (`postgres`) | MariaDB 10.11 (`mysql`) | redis-server 7.0 (`valkey`) |
//! |---|---|---|---|
//! | [`Engine::prepare`]: a new service's data | `initdb`, `avn-user.conf` | `mariadb-install-db --no-defaults`, admin through the socket | the directories, and an `aclfile` with `default` (the service's password) and `avn_admin` (the control plane's own), hashed |
//! | [`Engine::start`]: start, health | `postgres -D`, TLS from the project CA; ready when a connection succeeds | `mariadbd --defaults-file=<instance>/my.cnf --user=mysql`, TLS, `require_secure_transport`, its own `tmpdir`, an `init-file` that restores the control plane's accounts; ready when its own administrator logs in through the socket, watching the child for exit | `redis-server <instance>/redis.conf` as the `redis` user: TLS only (`port 0`, `tls-port`), a unix socket for the control plane, the `aclfile`; ready when `avn_admin`'s `PING` answers (not `-LOADING`) |
//! | stop ([`Running::stop`]: a signal, a wait, a stronger signal) | SIGINT (fast shutdown), then SIGQUIT, then SIGKILL | SIGTERM (up to 2 s with a dirty buffer pool), then SIGKILL | SIGTERM (a snapshot first when persistence is on), then SIGKILL |
//! | [`Engine::bootstrap`]: the admin user and default database | `CREATE ROLE avnadmin`, `CREATE DATABASE defaultdb` | `avn_admin@localhost` (through the tools' socket login, SQL on stdin), `CREATE USER avnadmin` (no `SUPER`, `READ_ONLY ADMIN`, `RELOAD` or `BINLOG ADMIN`), `CREATE DATABASE defaultdb` | nothing: the `aclfile` made by `prepare` has the users |
//! | [`Engine::base_backup`] | online copy between `pg_backup_start/stop`, packed or cloned | `mariadb-backup --backup` then `--prepare`, packed like PostgreSQL's; binlog file, position and GTID from `xtrabackup_binlog_info` in its `backup_label` | `BGSAVE` as `avn_admin`, waited for; the RDB and the `aclfile` (and a rename's saved rules) copied, synced, renamed into `base/<name>/` |
//! | continuous archive, [`Engine::changes_since`] | `archive_command` copies WAL segments; WAL bytes since the backup's start LSN | the keeper copies binlogs as they close, crash-safely, and keeps a clock of binlog positions (`mysql::binlog`); binlog bytes since the backup's position | none: snapshots only, and no change count |
//! | [`Engine::trim_archive`]: retention | `pg_archivecleanup` before the oldest kept backup; cold WAL compressed | binlogs before the oldest kept backup's file; `binlog_retention_period` | nothing to trim |
//! | recovery window ([`crate::manager::Manager::pitr_window`]) | first backup .. now | first backup .. now (whole seconds) | none: named backups only (`recovery_basebackup_name`, or the newest, which `ops::create` resolves for every engine); `recovery_target_time` refused |
//! | [`Engine::flush_archive`], [`Engine::after_stop`]: everything committed archived | switch WAL, wait for the archiver | `FLUSH BINARY LOGS`, archive the closed file; after a stop, the last file and a final clock tick | nothing: the server saves a snapshot as it stops when persistence is on |
//! | [`Engine::restore`]: to the latest, an instant, a backup | online copy or packed restore, `restore_command`, `recovery_target_time`, promote, make durable | latest: `mariadb-backup` of the running source into the fork; an instant: the packed backup restored, then the archived binary logs staged as its relay log up to the clock's position for the target and applied by its own replication SQL thread (socket only, relaxed, then a clean shutdown) | the named backup's RDB and `aclfile` into the new directory, users given back their rules from before a rename's stop when taken during one; no instant |
//! | stop writes / open writes (renames; done by the CLI over the service's own protocol, `src/rename/fence.rs`) | `ALTER SYSTEM SET default_transaction_read_only`, reload, terminate sessions | by the control plane (`ops::writes`, `avn_api::writes`: avnadmin lacks `READ_ONLY ADMIN`): `SET GLOBAL read_only=ON` kept in the option file, `KILL CONNECTION`, the fence row | by the control plane (`ops::writes`): every user loses the `@write` commands (saved to the `aclfile`, the rules from before kept in `writes-stopped`), `CLIENT KILL USER`, the fence key `avn:rename-fence` |
//! | [`Engine::fork_needs_bytes`]: disk a fork needs | the data directory (nothing where reflinks share extents), plus 64 MiB | the datadir, plus the binlogs replayed | the newest backup, plus 16 MiB |
//! | [`Engine::refresh_adopted`]: a server adopted after a restart, brought up to date | TLS turned on and reloaded | `require_secure_transport` set at run time | nothing (its configuration is read at start) |
//! | [`Engine::needs_restart`]: options that need one | `max_connections` | `innodb_buffer_pool_size` and the like | none (`CONFIG SET` applies all; the number of databases is create-only) |
//! | [`Engine::inventory`]: list users and databases | `pg_roles` (login), `pg_database` | `mysql.global_priv`, `SHOW DATABASES` | `ACL USERS` (the control plane's own left out); no databases |
//! | [`Engine::create_user`], [`Engine::set_password`], [`Engine::delete_user`] | `CREATE ROLE … LOGIN PASSWORD`, `ALTER ROLE … PASSWORD`, `DROP ROLE` | `CREATE USER … IDENTIFIED BY` (`mysql_native_password`), `ALTER USER`, `DROP USER` | `ACL SETUSER name reset on >password` with the `access_control` rules and the restrictions every user has, `resetpass`, `ACL DELUSER`, each then `ACL SAVE` to the `aclfile` |
//! | [`Engine::create_database`], [`Engine::delete_database`] | `CREATE DATABASE … OWNER avnadmin`, `DROP DATABASE` | `CREATE DATABASE`, `DROP DATABASE` | none (numbered databases only): an empty list, creating refused |
//! | connection pools ([`Engine::has_pools`], [`Engine::configure_pooler`], [`Engine::start_pooler`], [`Engine::reload_pooler`], [`adopt_pooler_at`]) | PgBouncer per service: `pgbouncer.ini` and a 0600 `userlist.txt`, SIGHUP to reload, its pid file to adopt | none (Aiven's MySQL has no pools): refused | none: refused |
//! | [`Engine::log_entries`], [`Engine::activity`], [`Engine::query_stats`] | `postgres.log` lines with byte offsets; `pg_stat_activity`; `pg_stat_statements` (preloaded) | the error log; `information_schema.processlist`; `performance_schema.events_statements_summary_by_digest` | the `logfile`; no SQL sessions or statement statistics (refused with a reason) |
//! | connection URI ([`Engine::uri`]) | `postgres://avnadmin:…@127.0.0.1:P/defaultdb?sslmode=require` | `mysql://avnadmin:…@127.0.0.1:P/defaultdb?ssl-mode=REQUIRED` | `rediss://default:…@127.0.0.1:P` |
//! | [`Engine::user_config_schema`]: the `-c` options and their limits | `pg_version`, `pg.*` (`engines/postgres/schema.rs`) | `mysql_version`, `mysql.*` | `valkey_persistence`, `valkey_maxmemory_policy`, `valkey_timeout`, `valkey_lfu_*`, `valkey_notify_keyspace_events`, `valkey_number_of_databases` |
//! | [`Engine::apply_config`]: `-c` options applied | `pg.*` into `avn-user.conf`, reload, restart for `max_connections` | `mysql.*` as `SET GLOBAL` and in the option file | `valkey_*` as `CONFIG SET` and in the configuration file |
//! | log lines ([`Layout::log`]) | `postgres.log` (failures quote its last errors) | the `--log-error` file | the `logfile` |
//! | child processes ([`Engine::adopt`]; [`Engine::prepare`] stops a crashed try's leftovers) | the postmaster (`postmaster.pid`) and its process group | `mariadbd` (its `--pid-file`) | `redis-server` (its pid file; matched by its working directory, as it rewrites its command line) |

use std::sync::Arc;

use serde_json::Map;
use serde_json::Value;

use crate::error::OpError;
use crate::manager::Manager;
use crate::model::ForkOrigin;
use crate::store::ServiceRec;

pub mod copy;
pub mod layout;
pub mod mysql;
pub mod postgres;
pub mod running;
#[cfg(test)]
mod tests;
pub mod valkey;

pub use layout::Layout;
pub use running::Running;

/// A server still running from the instance directory `root`, whatever its engine (found after
/// a restart of the control plane, or by `avn local down` after a `kill -9` of it).
pub fn adopt_any(root: &std::path::Path) -> Option<Running> {
    postgres::running::adopt(&Layout::at(root).data())
        .or_else(|| mysql::server::adopt(&Layout::at(root)))
        .or_else(|| valkey::server::adopt(&Layout::at(root)))
}

/// A connection pooler still running from the instance directory `root`, whatever its engine.
pub fn adopt_pooler_at(root: &std::path::Path) -> Option<Running> {
    postgres::bouncer::adopt_at(root)
}

/// The pid and port of the server the instance directory `root` records, whatever its engine
/// (the pid may be stale).
pub fn recorded_server(root: &std::path::Path) -> Option<(u32, u16)> {
    postgres::running::postmaster_port(&Layout::at(root).data())
        .or_else(|| mysql::server::recorded(&Layout::at(root)))
        .or_else(|| valkey::server::recorded(&Layout::at(root)))
}

/// Whether a live server runs from the instance directory `root`.
pub fn serves_from(root: &std::path::Path) -> bool {
    postgres::running::live_postmaster(&Layout::at(root).data()).is_some()
        || mysql::server::live_pid(&Layout::at(root)).is_some()
        || valkey::server::live_pid(&Layout::at(root)).is_some()
}

/// A service's connection URI for its administrator on `127.0.0.1` (`SCHEME://USER:…@127.0.0.1:PORT/DB?TLS_KEY=TLS_VALUE`,
/// user and password percent-encoded) and its parameters, as `service_uri_params` lists them.
pub fn admin_uri(
    scheme: &str,
    user: &str,
    db: &str,
    tls: (&str, &str),
    rec: &ServiceRec,
) -> (String, Map<String, Value>) {
    let host = "127.0.0.1";
    let uri = format!(
        "{scheme}://{user}:{}@{host}:{}/{db}?{}={}",
        avn_api::names::uri_userinfo(&rec.password),
        rec.port,
        tls.0,
        tls.1
    );
    let params = [
        ("dbname", db.to_string()),
        ("host", host.to_string()),
        ("password", rec.password.clone()),
        ("port", rec.port.to_string()),
        (tls.0, tls.1.to_string()),
        ("user", user.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::String(v)))
    .collect();
    (uri, params)
}

/// A failure of an engine's server or tools.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Postgres(#[from] postgres::ClusterError),
    #[error(transparent)]
    Mysql(#[from] mysql::MysqlError),
    #[error(transparent)]
    Valkey(#[from] valkey::ValkeyError),
}

impl From<valkey::ValkeyError> for OpError {
    fn from(e: valkey::ValkeyError) -> Self {
        OpError::Engine(e.into())
    }
}

impl From<mysql::MysqlError> for OpError {
    fn from(e: mysql::MysqlError) -> Self {
        OpError::Engine(e.into())
    }
}

impl From<postgres::ClusterError> for OpError {
    fn from(e: postgres::ClusterError) -> Self {
        OpError::Engine(e.into())
    }
}

/// The server behind a service type.
pub enum Engine {
    /// PostgreSQL, from the installation found at start-up.
    Postgres(postgres::Pg),
    /// MySQL, served by MariaDB (Debian has no MySQL server).
    Mysql(mysql::Maria),
    /// Caching (`valkey`), served by redis-server 7.0 (Debian has no Valkey).
    Valkey(valkey::Redis),
}

impl Engine {
    /// The service type it serves (`pg`).
    pub fn service_type(&self) -> &'static str {
        match self {
            Engine::Postgres(_) => "pg",
            Engine::Mysql(_) => "mysql",
            Engine::Valkey(_) => "valkey",
        }
    }

    /// The server's name, for messages (`PostgreSQL`).
    pub fn server_name(&self) -> &'static str {
        match self {
            Engine::Postgres(_) => "PostgreSQL",
            Engine::Mysql(_) => "MariaDB",
            Engine::Valkey(_) => "redis-server",
        }
    }

    /// The service type's description, as the API's service types list it.
    pub fn description(&self) -> String {
        match self {
            Engine::Postgres(_) => "PostgreSQL - Object-Relational Database Management System (runs on this machine)".into(),
            Engine::Mysql(maria) => format!(
                "MySQL - Relational Database Management System (runs MariaDB {} on this machine, which speaks the MySQL protocol)",
                maria.version
            ),
            Engine::Valkey(redis) => format!(
                "Caching - In-memory data store (runs redis-server {} on this machine, which speaks the Valkey protocol)",
                redis.version
            ),
        }
    }

    /// The service's administrator (`avnadmin`).
    pub fn admin(&self) -> &'static str {
        match self {
            Engine::Postgres(_) => postgres::cluster::ADMIN,
            Engine::Mysql(_) => mysql::sql::ADMIN,
            Engine::Valkey(_) => valkey::acl::ADMIN,
        }
    }

    /// How service users authenticate, as the service object's `users[].authentication` says.
    pub fn authentication(&self) -> Option<&'static str> {
        match self {
            Engine::Postgres(_) => Some("scram-sha-256"),
            Engine::Mysql(_) => Some("mysql_native_password"),
            Engine::Valkey(_) => None,
        }
    }

    /// `connection_info` of the service object.
    pub fn connection_info(&self, uri: String, params: Map<String, Value>) -> avn_api::ConnectionInfo {
        match self {
            Engine::Postgres(_) => avn_api::ConnectionInfo {
                pg: Some(vec![uri]),
                pg_params: Some(vec![params]),
                pg_standby: Some(vec![]),
                pg_syncing: Some(vec![]),
                extra: Map::new(),
            },
            Engine::Mysql(_) => avn_api::ConnectionInfo {
                extra: [
                    ("mysql".to_string(), Value::from(vec![uri])),
                    ("mysql_params".to_string(), Value::from(vec![Value::Object(params)])),
                    ("mysql_standby".to_string(), Value::Array(vec![])),
                ]
                .into_iter()
                .collect(),
                ..Default::default()
            },
            Engine::Valkey(_) => avn_api::ConnectionInfo {
                extra: [
                    ("valkey".to_string(), Value::from(vec![uri])),
                    ("valkey_params".to_string(), Value::from(vec![Value::Object(params)])),
                    ("valkey_slave".to_string(), Value::Array(vec![])),
                ]
                .into_iter()
                .collect(),
                ..Default::default()
            },
        }
    }

    /// `metadata` of the service object: the version that runs.
    pub fn metadata(&self) -> Map<String, Value> {
        match self {
            Engine::Postgres(pg) => [("pg_version".to_string(), Value::String(pg.major.clone()))].into_iter().collect(),
            Engine::Mysql(maria) => [
                ("mysql_version".to_string(), Value::String(format!("{}-MariaDB", maria.version))),
                ("server".to_string(), Value::String(format!("MariaDB {}", maria.version))),
            ]
            .into_iter()
            .collect(),
            Engine::Valkey(redis) => [
                ("redis_version".to_string(), Value::String(redis.version.clone())),
                ("server".to_string(), Value::String(format!("redis-server {}", redis.version))),
            ]
            .into_iter()
            .collect(),
        }
    }

    /// The schema of the user_config options this engine honours (`-c`), with their limits.
    pub fn user_config_schema(&self) -> Value {
        match self {
            Engine::Postgres(pg) => postgres::schema::user_config_schema(&pg.major),
            Engine::Mysql(_) => mysql::schema::user_config_schema(),
            Engine::Valkey(_) => valkey::schema::user_config_schema(),
        }
    }

    /// The server's major version, as the API reports it (`15`).
    pub fn version(&self) -> &str {
        match self {
            Engine::Postgres(pg) => &pg.major,
            Engine::Mysql(maria) => &maria.major,
            Engine::Valkey(redis) => &redis.major,
        }
    }

    /// Build a new service's data in an empty instance directory (whatever a crashed earlier try
    /// left there is stopped and removed first), with the service's settings.
    pub async fn prepare(&self, m: &Manager, rec: &ServiceRec) -> Result<(), OpError> {
        match self {
            Engine::Postgres(pg) => Ok(postgres::engine::prepare(pg, &m.layout(&rec.id), rec).await?),
            Engine::Mysql(maria) => Ok(mysql::engine::prepare(maria, &m.layout(&rec.id)).await?),
            Engine::Valkey(redis) => Ok(valkey::engine::prepare(redis, &m.layout(&rec.id), rec).await?),
        }
    }

    /// Configure the instance for `port` (with continuous archiving when `archive`), start the
    /// server and wait until it accepts connections. The server is registered as running as
    /// soon as it is spawned, so a failed start can be stopped.
    pub async fn start(&self, m: &Manager, rec: &ServiceRec, port: u16, archive: bool) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(pg) => Ok(postgres::engine::start(pg, m, rec, port, archive).await?),
            Engine::Mysql(maria) => Ok(mysql::engine::start(maria, m, rec, port).await?),
            Engine::Valkey(redis) => Ok(valkey::engine::start(redis, m, rec, port, false).await?),
        }
    }

    /// Create the administrator (with the service's password) and the default database.
    pub async fn bootstrap(&self, m: &Manager, rec: &ServiceRec, port: u16) -> Result<(), OpError> {
        match self {
            Engine::Postgres(_) => Ok(postgres::cluster::create_admin(&m.layout(&rec.id), port, &rec.password).await?),
            Engine::Mysql(maria) => Ok(mysql::engine::bootstrap(maria, m, rec).await?),
            // The ACL file made in `prepare` has the users: `default` with the service's password.
            Engine::Valkey(_) => Ok(()),
        }
    }

    /// A server of this instance still running from before a restart of the control plane.
    pub fn adopt(&self, layout: &Layout) -> Option<Running> {
        match self {
            Engine::Postgres(_) => postgres::running::adopt(&layout.data()),
            Engine::Mysql(_) => mysql::server::adopt(layout),
            Engine::Valkey(_) => valkey::server::adopt(layout),
        }
    }

    /// After adopting a server started by an older avn local: bring its configuration up to date
    /// (TLS) without a restart.
    pub async fn refresh_adopted(&self, m: &Manager, rec: &ServiceRec) -> Result<bool, EngineError> {
        match self {
            Engine::Postgres(pg) => Ok(postgres::engine::refresh_adopted(pg, m, rec).await?),
            Engine::Mysql(_) => Ok(mysql::engine::refresh_adopted(m, rec).await?),
            Engine::Valkey(_) => Ok(false),
        }
    }

    /// Take a base backup named `name` (sharing what is unchanged with `previous`); returns the
    /// bytes it restores to.
    pub async fn base_backup(
        &self,
        m: &Manager,
        rec: &ServiceRec,
        name: &str,
        previous: Option<&str>,
    ) -> Result<u64, EngineError> {
        match self {
            Engine::Postgres(pg) => {
                Ok(postgres::basebackup::base_backup(pg, &m.layout(&rec.id), rec.port, name, previous).await?)
            }
            Engine::Mysql(maria) => Ok(mysql::backup::base_backup(maria, &m.layout(&rec.id), name, previous).await?),
            Engine::Valkey(redis) => Ok(valkey::backup::base_backup(&m.layout(&rec.id), &redis.version, name).await?),
        }
    }

    /// Bytes of changes written since backup `backup` began (what a restore from it replays).
    pub async fn changes_since(&self, m: &Manager, rec: &ServiceRec, backup: &str) -> Option<u64> {
        match self {
            Engine::Postgres(_) => postgres::engine::changes_since(&m.layout(&rec.id), rec.port, backup).await,
            Engine::Mysql(_) => mysql::engine::changes_since(&m.layout(&rec.id), backup).await,
            Engine::Valkey(_) => None,
        }
    }

    /// Retention of the continuous archive once `oldest_kept` is the oldest backup and `newest`
    /// the newest: drop what no kept backup needs, compress what only restores to before the
    /// newest need (while `go_on()` says so). Failures are logged: the archive only grows.
    pub async fn trim_archive(
        &self,
        m: &Arc<Manager>,
        rec: &ServiceRec,
        oldest_kept: Option<&str>,
        newest: &str,
        go_on: impl Fn() -> bool + Send + 'static,
    ) {
        match self {
            Engine::Postgres(pg) => postgres::engine::trim_archive(pg, m, rec, oldest_kept, newest, go_on).await,
            Engine::Mysql(_) => mysql::engine::trim_archive(m, rec, oldest_kept).await,
            Engine::Valkey(_) => {}
        }
    }

    /// After the server stopped (a power-off): what the archive needs from the stopped server.
    pub async fn after_stop(&self, m: &Manager, rec: &ServiceRec) {
        match self {
            Engine::Postgres(_) | Engine::Valkey(_) => {}
            Engine::Mysql(_) => {
                if crate::catalog::keeps_backups(&rec.plan) {
                    let layout = m.layout(&rec.id);
                    let sealed = tokio::task::spawn_blocking(move || mysql::binlog::seal(&layout)).await;
                    if let Ok(Err(e)) | Err(e) = sealed.map_err(std::io::Error::other) {
                        tracing::warn!(service = %rec.name, "archiving the last binary log after the stop: {e}");
                    }
                }
            }
        }
    }

    /// Make a running service's standby nodes what its plan says (see `mysql::standby`); the
    /// caller holds the service's operation lock.
    pub async fn tend_standbys(&self, m: &Arc<Manager>, rec: &ServiceRec) {
        match self {
            Engine::Postgres(_) | Engine::Valkey(_) => {}
            Engine::Mysql(maria) => mysql::standby::tend(maria, m, rec).await,
        }
    }

    /// Stop a service's standby nodes (before its primary stops).
    pub async fn stop_standbys(&self, m: &Manager, rec: &ServiceRec) {
        match self {
            Engine::Postgres(_) | Engine::Valkey(_) => {}
            Engine::Mysql(_) => mysql::standby::stop_all(m, &rec.id).await,
        }
    }

    /// Make sure everything committed so far is in the continuous archive (before a power-off).
    pub async fn flush_archive(&self, m: &Manager, rec: &ServiceRec) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(_) => {
                Ok(postgres::wal::ensure_archived(&m.layout(&rec.id), rec.port, std::time::Duration::from_secs(60))
                    .await?)
            }
            Engine::Mysql(_) => Ok(mysql::binlog::flush(&m.layout(&rec.id)).await.map(|_| ())?),
            // Snapshots only: the server saves one as it stops, when persistence is on.
            Engine::Valkey(_) => Ok(()),
        }
    }

    /// Restore a fork into its own instance directory: from its source's backups and archive (or
    /// a copy of the running source), to the latest transaction, an instant or a named backup,
    /// then start it, durable, ready to be RUNNING.
    pub async fn restore(&self, m: &Arc<Manager>, rec: &ServiceRec, fork: &ForkOrigin) -> Result<(), OpError> {
        match self {
            Engine::Postgres(pg) => postgres::fork::fork(pg, m, rec, fork).await,
            Engine::Mysql(maria) => mysql::fork::fork(maria, m, rec, fork).await,
            Engine::Valkey(redis) => valkey::fork::fork(redis, m, rec, fork).await,
        }
    }

    /// Bytes of disk a fork of `source` needs on the instances' filesystem.
    pub fn fork_needs_bytes(&self, m: &Manager, source: &ServiceRec) -> u64 {
        match self {
            Engine::Postgres(_) => postgres::fork::needs_bytes(m, source),
            Engine::Mysql(_) => mysql::fork::needs_bytes(m, source),
            Engine::Valkey(_) => valkey::fork::needs_bytes(m, source),
        }
    }

    /// Databases and login users of a running service.
    pub async fn inventory(&self, m: &Manager, rec: &ServiceRec) -> Result<(Vec<String>, Vec<String>), EngineError> {
        match self {
            Engine::Postgres(_) => Ok(postgres::cluster::inventory(&m.layout(&rec.id), rec.port).await?),
            Engine::Mysql(_) => Ok(mysql::sql::inventory(&m.layout(&rec.id)).await?),
            Engine::Valkey(_) => Ok(valkey::engine::inventory(&m.layout(&rec.id)).await?),
        }
    }

    /// Create a login user with `password` (`user-create`); `access`: a Caching user's rules
    /// (checked by the caller with [`valkey::acl::rules`]).
    pub async fn create_user(
        &self,
        m: &Manager,
        rec: &ServiceRec,
        user: &str,
        password: &str,
        access: &[String],
    ) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(_) => {
                Ok(postgres::cluster::create_user(&m.layout(&rec.id), rec.port, user, password).await?)
            }
            Engine::Mysql(_) => Ok(mysql::sql::create_user(&m.layout(&rec.id), user, password, false).await?),
            Engine::Valkey(_) => Ok(valkey::acl::set_user(&m.layout(&rec.id), user, password, access, false).await?),
        }
    }

    /// Give a user a new password; the old one stops working (`user-password-reset`).
    pub async fn set_password(
        &self,
        m: &Manager,
        rec: &ServiceRec,
        user: &str,
        password: &str,
    ) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(_) => {
                Ok(postgres::cluster::set_password(&m.layout(&rec.id), rec.port, user, password).await?)
            }
            Engine::Mysql(_) => Ok(mysql::sql::set_password(&m.layout(&rec.id), user, password).await?),
            Engine::Valkey(_) => Ok(valkey::acl::set_password(&m.layout(&rec.id), user, password).await?),
        }
    }

    /// Let a user open replication connections (`access_control.pg_allow_replication`).
    pub async fn allow_replication(&self, m: &Manager, rec: &ServiceRec, user: &str) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(_) => Ok(postgres::cluster::allow_replication(&m.layout(&rec.id), rec.port, user).await?),
            // Their users hold REPLICATION SLAVE already.
            Engine::Mysql(_) | Engine::Valkey(_) => Ok(()),
        }
    }

    /// Delete a user (`user-delete`).
    pub async fn delete_user(&self, m: &Manager, rec: &ServiceRec, user: &str) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(_) => Ok(postgres::cluster::delete_user(&m.layout(&rec.id), rec.port, user).await?),
            Engine::Mysql(_) => Ok(mysql::sql::delete_user(&m.layout(&rec.id), user).await?),
            Engine::Valkey(_) => Ok(valkey::acl::delete_user(&m.layout(&rec.id), user).await?),
        }
    }

    /// Create a database owned by the administrator, with the locale given (`database-create`).
    pub async fn create_database(
        &self,
        m: &Manager,
        rec: &ServiceRec,
        name: &str,
        lc_collate: Option<&str>,
        lc_ctype: Option<&str>,
    ) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(_) => {
                Ok(postgres::cluster::create_database(&m.layout(&rec.id), rec.port, name, lc_collate, lc_ctype).await?)
            }
            Engine::Mysql(_) => Ok(mysql::sql::create_database(&m.layout(&rec.id), name).await?),
            Engine::Valkey(_) => Err(valkey::engine::no_databases().into()),
        }
    }

    /// The databases, with their collation and character type (`database-list`).
    pub async fn databases(&self, m: &Manager, rec: &ServiceRec) -> Result<Vec<(String, String, String)>, EngineError> {
        match self {
            Engine::Postgres(_) => Ok(postgres::cluster::databases(&m.layout(&rec.id), rec.port).await?),
            Engine::Mysql(_) => Ok(mysql::sql::databases(&m.layout(&rec.id)).await?),
            Engine::Valkey(_) => Ok(vec![]),
        }
    }

    /// Delete a database (`database-delete`).
    pub async fn delete_database(&self, m: &Manager, rec: &ServiceRec, name: &str) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(_) => Ok(postgres::cluster::delete_database(&m.layout(&rec.id), rec.port, name).await?),
            Engine::Mysql(_) => Ok(mysql::sql::delete_database(&m.layout(&rec.id), name).await?),
            Engine::Valkey(_) => Err(valkey::engine::no_databases().into()),
        }
    }

    /// The server's log as entries (`service logs`), read off the async threads.
    pub async fn log_entries(&self, m: &Manager, rec: &ServiceRec) -> Vec<postgres::observe::Entry> {
        match self {
            Engine::Postgres(_) => {
                let path = m.layout(&rec.id).log();
                tokio::task::spawn_blocking(move || {
                    postgres::observe::entries(&std::fs::read(path).unwrap_or_default())
                })
                .await
                .unwrap_or_default()
            }
            Engine::Mysql(_) => {
                let path = mysql::server::log(&m.layout(&rec.id));
                tokio::task::spawn_blocking(move || mysql::observe::entries(&std::fs::read(path).unwrap_or_default()))
                    .await
                    .unwrap_or_default()
            }
            Engine::Valkey(_) => {
                let path = valkey::server::log(&m.layout(&rec.id));
                tokio::task::spawn_blocking(move || valkey::engine::entries(&std::fs::read(path).unwrap_or_default()))
                    .await
                    .unwrap_or_default()
            }
        }
    }

    /// The server's log unit, as Aiven's log entries name it.
    pub fn log_unit(&self) -> String {
        match self {
            Engine::Postgres(pg) => format!("postgresql-{}.service", pg.major),
            Engine::Mysql(_) => "mysql.service".into(),
            Engine::Valkey(_) => "redis-server.service".into(),
        }
    }

    /// Current connections and their queries (`service current-queries`).
    pub async fn activity(
        &self,
        m: &Manager,
        rec: &ServiceRec,
        limit: i64,
    ) -> Result<Vec<Map<String, Value>>, EngineError> {
        match self {
            Engine::Postgres(_) => Ok(postgres::observe::activity(&m.layout(&rec.id), rec.port, limit).await?),
            Engine::Mysql(_) => Ok(mysql::observe::activity(&m.layout(&rec.id), limit).await?),
            Engine::Valkey(_) => Err(valkey::engine::no_queries().into()),
        }
    }

    /// Query statistics (`service queries`).
    pub async fn query_stats(
        &self,
        m: &Manager,
        rec: &ServiceRec,
        limit: i64,
    ) -> Result<Vec<Map<String, Value>>, EngineError> {
        match self {
            Engine::Postgres(_) => Ok(postgres::observe::query_stats(&m.layout(&rec.id), rec.port, limit).await?),
            Engine::Mysql(_) => Ok(mysql::observe::query_stats(&m.layout(&rec.id), limit).await?),
            Engine::Valkey(_) => Err(valkey::engine::no_queries().into()),
        }
    }

    /// Whether the service type has connection pools (PgBouncer, for PostgreSQL).
    pub fn has_pools(&self) -> bool {
        match self {
            Engine::Postgres(_) => true,
            Engine::Mysql(_) | Engine::Valkey(_) => false,
        }
    }

    /// Write the pooler's configuration: `pools` on `port`, for the users of `passwords`.
    pub fn configure_pooler(
        &self,
        m: &Manager,
        rec: &ServiceRec,
        port: u16,
        pools: &[crate::store::PoolRec],
        passwords: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(pg) => {
                Ok(postgres::bouncer::configure(pg, &m.layout(&rec.id), rec.port, port, pools, passwords)?)
            }
            Engine::Mysql(_) | Engine::Valkey(_) => Ok(()),
        }
    }

    /// Start the pooler on its written configuration and wait until it listens on `port`. It
    /// is registered as soon as it is spawned, so a failed start can be stopped.
    pub async fn start_pooler(&self, m: &Manager, rec: &ServiceRec, port: u16) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(pg) => {
                let layout = m.layout(&rec.id);
                let running = postgres::bouncer::spawn(pg, &layout).await?;
                m.set_pooler(&rec.id, Some(running.clone()));
                Ok(postgres::bouncer::wait_listening(&layout, port, &running).await?)
            }
            Engine::Mysql(_) | Engine::Valkey(_) => Ok(()),
        }
    }

    /// Make a running pooler read its configuration again.
    pub fn reload_pooler(&self, running: &Running) {
        match self {
            Engine::Postgres(_) => postgres::bouncer::reload(running),
            Engine::Mysql(_) | Engine::Valkey(_) => {}
        }
    }

    /// The service's connection URI and its parameters, for the administrator.
    pub fn uri(&self, rec: &ServiceRec) -> (String, Map<String, Value>) {
        match self {
            Engine::Postgres(_) => postgres::engine::uri(rec),
            Engine::Mysql(_) => mysql::engine::uri(rec),
            Engine::Valkey(_) => valkey::engine::uri(rec),
        }
    }

    /// Whether changing the engine option `key` (as in `-c pg.KEY=…`) needs a restart.
    pub fn needs_restart(&self, key: &str) -> bool {
        match self {
            Engine::Postgres(_) => key == "max_connections",
            Engine::Mysql(_) | Engine::Valkey(_) => false,
        }
    }

    /// Write the service's options (`user_config`) where the server reads them; `reload`: also
    /// make a running server read them now.
    pub async fn apply_config(&self, m: &Manager, rec: &ServiceRec, reload: bool) -> Result<(), EngineError> {
        match self {
            Engine::Postgres(pg) => Ok(postgres::engine::apply_config(pg, &m.layout(&rec.id), rec, reload).await?),
            Engine::Mysql(_) => Ok(mysql::engine::apply_config(&m.layout(&rec.id), rec, reload).await?),
            Engine::Valkey(_) => Ok(valkey::engine::apply_config(&m.layout(&rec.id), rec, reload).await?),
        }
    }

    /// Before a power-off: a Caching server with persistence saves a snapshot now, waited for; one
    /// that cannot (a full disk) would lose the writes since its last snapshot when stopped, so
    /// the power-off is refused.
    pub async fn before_power_off(&self, m: &Manager, rec: &ServiceRec) -> Result<(), OpError> {
        match self {
            Engine::Valkey(_) if valkey::server::persistent(&rec.user_config) => {
                valkey::cmd::snapshot(&m.layout(&rec.id)).await.map_err(|e| {
                    crate::error::Refusal::conflict(format!(
                        "Service '{}' cannot save a snapshot now ({e}): powered off, it would lose the writes since its last snapshot. Free disk space where avn local keeps its services, then try again",
                        rec.name
                    ))
                })
            }
            _ => Ok(()),
        }
    }

    /// Whether forks restore to an instant (`recovery_target_time`); else from named backups only.
    pub fn has_pitr(&self) -> bool {
        !matches!(self, Engine::Valkey(_))
    }

    /// Why this service keeps no backups and cannot be forked, beyond its plan (a Caching service
    /// with persistence off).
    pub fn no_backups_reason(&self, rec: &ServiceRec) -> Option<String> {
        match self {
            Engine::Valkey(_) if !valkey::server::persistent(&rec.user_config) => Some(format!(
                "Service '{}' has valkey_persistence 'off': it keeps no backups and can't be forked (set -c valkey_persistence=rdb, then wait for its first backup)",
                rec.name
            )),
            _ => None,
        }
    }

    /// Each user's `access_control`, for the engines that have one (Caching's ACL rules).
    pub async fn access_controls(&self, m: &Manager, rec: &ServiceRec) -> Option<Map<String, Value>> {
        match self {
            Engine::Valkey(_) => valkey::engine::access_controls(&m.layout(&rec.id)).await.ok(),
            _ => None,
        }
    }

    /// Replace a Caching user's rules, its password kept (`set-access-control`).
    pub async fn set_access_control(
        &self,
        m: &Manager,
        rec: &ServiceRec,
        user: &str,
        rules: &[String],
    ) -> Result<(), EngineError> {
        match self {
            Engine::Valkey(_) => Ok(valkey::acl::set_user(&m.layout(&rec.id), user, "", rules, true).await?),
            _ => Err(valkey::ValkeyError::NotApplicable(
                "set-access-control applies to Caching (Valkey) services only".into(),
            )
            .into()),
        }
    }
}
