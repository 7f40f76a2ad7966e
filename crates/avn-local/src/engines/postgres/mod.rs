//! Real PostgreSQL clusters, one per service.
//!
//! On-disk layout of one instance (`<instances>/<id>/`, `<id>` unique per service):
//!
//! ```text
//! <id>/                 0711, owned by the control plane's user
//!   data/               PGDATA (owned by the server uid, 0700)
//!     avn-instance.conf   port, sockets, archiving, recovery targets (rewritten by us)
//!     avn-user.conf       the service's pg.* user_config
//!     postgresql.auto.conf  ALTER SYSTEM (kept, copied into forks with the data)
//!   archive/            WAL archive (archive_command copies completed segments here;
//!                       segments older than the newest base backup are compressed, NAME.zst)
//!   base/<backup>/      base backups: packed (avn-backup.json, zstd blobs shared with the
//!                       previous backup where unchanged), or online clones where the
//!                       filesystem has reflinks
//!   wal-staged/         (forks, while they restore) compressed segments they need, decompressed
//!   run/                unix socket directory
//!   postgres.log        server log
//! ```
//!
//! When the control plane runs as root, every PostgreSQL tool runs as the `postgres` user; as an
//! ordinary user, they run as that user. Servers are spawned directly (no pg_ctl) in their own
//! process group, so the control plane owns and reaps them.

pub mod archive;
pub mod basebackup;
pub mod bouncer;
pub mod cluster;
pub mod compress;
pub mod conf;
pub mod engine;
pub mod fork;
pub mod observe;
pub mod packed;
pub mod process;
pub mod running;
pub mod schema;
pub mod sql;
pub mod wal;

pub use process::ClusterError;
pub use process::Pg;
