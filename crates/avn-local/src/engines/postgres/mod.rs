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
//!   archive/            WAL archive (archive_command copies completed segments here)
//!   base/<backup>/      plain-format base backups (pg_basebackup -Fp -X stream)
//!   run/                unix socket directory
//!   postgres.log        server log
//! ```
//!
//! When the control plane runs as root, every PostgreSQL tool runs as the `postgres` user; as an
//! ordinary user, they run as that user. Servers are spawned directly (no pg_ctl) in their own
//! process group, so the control plane owns and reaps them.

pub mod cluster;
pub mod conf;
pub mod copy;
pub mod layout;
pub mod process;
pub mod sql;
