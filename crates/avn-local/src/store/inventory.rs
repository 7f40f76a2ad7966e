//! Service users' passwords and connection pools. The server keeps its roles and databases; the
//! control plane keeps what the server cannot give back: the passwords it shows in `users` (each
//! change with its time, so that a fork to an instant shows the password its copy holds), and the
//! pools PgBouncer serves.

use jiff::Timestamp;
use rusqlite::params;
use rusqlite::OptionalExtension;

use super::Store;

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS user_passwords (
    service_id TEXT NOT NULL, username TEXT NOT NULL, password TEXT NOT NULL, set_time TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS user_passwords_by_service ON user_passwords (service_id, username);
CREATE TABLE IF NOT EXISTS connection_pools (
    service_id TEXT NOT NULL, pool_name TEXT NOT NULL, database TEXT NOT NULL, username TEXT,
    pool_size INTEGER NOT NULL, pool_mode TEXT NOT NULL, PRIMARY KEY (service_id, pool_name));
CREATE TABLE IF NOT EXISTS maintenance (service_id TEXT PRIMARY KEY, dow TEXT NOT NULL, time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pool_ports (service_id TEXT PRIMARY KEY, port INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS disk_space (service_id TEXT PRIMARY KEY, mb INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fork_results (service_id TEXT PRIMARY KEY, restored_to TEXT NOT NULL, exact INTEGER NOT NULL);
";

/// One connection pool as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolRec {
    pub pool_name: String,
    pub database: String,
    /// The user PgBouncer connects as; `None`: each client's own.
    pub username: Option<String>,
    pub pool_size: u32,
    pub pool_mode: String,
}

impl Store {
    /// What a fork to an instant holds: exactly the transactions committed at or before
    /// `restored_to`, which is its target when `exact`.
    pub fn set_fork_result(&self, service_id: &str, restored_to: &str, exact: bool) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO fork_results (service_id, restored_to, exact) VALUES (?1, ?2, ?3)",
            params![service_id, restored_to, exact],
        )?;
        Ok(())
    }

    /// The disk a service was given beyond its plan's (`disk_space_mb`), if any.
    pub fn set_disk_space(&self, service_id: &str, mb: Option<u64>) -> rusqlite::Result<()> {
        match mb {
            Some(mb) => self.conn.execute(
                "INSERT OR REPLACE INTO disk_space (service_id, mb) VALUES (?1, ?2)",
                params![service_id, mb as i64],
            )?,
            None => self.conn.execute("DELETE FROM disk_space WHERE service_id = ?1", [service_id])?,
        };
        Ok(())
    }

    pub fn disk_space(&self, service_id: &str) -> rusqlite::Result<Option<u64>> {
        Ok(self
            .conn
            .query_row("SELECT mb FROM disk_space WHERE service_id = ?1", [service_id], |r| r.get::<_, i64>(0))
            .optional()?
            .map(|mb| mb as u64))
    }

    pub fn fork_result(&self, service_id: &str) -> rusqlite::Result<Option<(String, bool)>> {
        self.conn
            .query_row("SELECT restored_to, exact FROM fork_results WHERE service_id = ?1", [service_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
    }

    /// Record that `username` of a service has `password` from `set_time` on.
    pub fn record_password(
        &self,
        service_id: &str,
        username: &str,
        password: &str,
        set_time: &str,
    ) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO user_passwords (service_id, username, password, set_time) VALUES (?1, ?2, ?3, ?4)",
            params![service_id, username, password, set_time],
        )?;
        Ok(())
    }

    /// Each user's password at `at` (the last one set at or before it), or now.
    pub fn passwords(
        &self,
        service_id: &str,
        at: Option<Timestamp>,
    ) -> rusqlite::Result<std::collections::BTreeMap<String, String>> {
        let mut st = self
            .conn
            .prepare("SELECT username, password, set_time FROM user_passwords WHERE service_id = ?1 ORDER BY rowid")?;
        let rows = st.query_map([service_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut out = std::collections::BTreeMap::new();
        for row in rows {
            let (user, password, set_time) = row?;
            let before = at.is_none_or(|t| avn_api::time::parse(&set_time).is_some_and(|s| s <= t));
            if before {
                out.insert(user, password);
            }
        }
        // A deleted user's last row is empty: it has no password any more.
        out.retain(|_, p| !p.is_empty());
        Ok(out)
    }

    /// The password of one user now.
    pub fn password(&self, service_id: &str, username: &str) -> rusqlite::Result<Option<String>> {
        let p: Option<String> = self
            .conn
            .query_row(
                "SELECT password FROM user_passwords WHERE service_id = ?1 AND username = ?2 ORDER BY rowid DESC LIMIT 1",
                [service_id, username],
                |r| r.get(0),
            )
            .optional()?;
        Ok(p.filter(|p| !p.is_empty()))
    }

    /// Record that `username` was deleted at `at`: from then on it has no password (an empty row,
    /// so that a fork to an earlier instant still finds the password it had).
    pub fn forget_password(&self, service_id: &str, username: &str, at: &str) -> rusqlite::Result<()> {
        self.record_password(service_id, username, "", at)
    }

    pub fn pools(&self, service_id: &str) -> rusqlite::Result<Vec<PoolRec>> {
        let mut st = self.conn.prepare(
            "SELECT pool_name, database, username, pool_size, pool_mode FROM connection_pools WHERE service_id = ?1 ORDER BY pool_name",
        )?;
        let rows = st.query_map([service_id], |r| {
            Ok(PoolRec {
                pool_name: r.get(0)?,
                database: r.get(1)?,
                username: r.get(2)?,
                pool_size: r.get(3)?,
                pool_mode: r.get(4)?,
            })
        })?;
        rows.collect()
    }

    /// Add a pool; false when the service has one of that name.
    pub fn add_pool(&self, service_id: &str, p: &PoolRec) -> rusqlite::Result<bool> {
        let n = self.conn.execute(
            "INSERT OR IGNORE INTO connection_pools (service_id, pool_name, database, username, pool_size, pool_mode) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![service_id, p.pool_name, p.database, p.username, p.pool_size, p.pool_mode],
        )?;
        Ok(n == 1)
    }

    pub fn update_pool(&self, service_id: &str, p: &PoolRec) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE connection_pools SET database = ?3, username = ?4, pool_size = ?5, pool_mode = ?6 \
             WHERE service_id = ?1 AND pool_name = ?2",
            params![service_id, p.pool_name, p.database, p.username, p.pool_size, p.pool_mode],
        )?;
        Ok(())
    }

    pub fn delete_pool(&self, service_id: &str, pool_name: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "DELETE FROM connection_pools WHERE service_id = ?1 AND pool_name = ?2",
            [service_id, pool_name],
        )?;
        Ok(())
    }

    /// The port of a service's PgBouncer, once it has had one.
    pub fn pool_port(&self, service_id: &str) -> rusqlite::Result<Option<u16>> {
        self.conn.query_row("SELECT port FROM pool_ports WHERE service_id = ?1", [service_id], |r| r.get(0)).optional()
    }

    pub fn set_pool_port(&self, service_id: &str, port: u16) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO pool_ports (service_id, port) VALUES (?1, ?2)",
            params![service_id, port],
        )?;
        Ok(())
    }

    /// Every port given to a PgBouncer.
    pub fn pool_ports(&self) -> rusqlite::Result<Vec<u16>> {
        let mut st = self.conn.prepare("SELECT port FROM pool_ports")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect()
    }

    /// Register a new service in one transaction with its users' passwords: the administrator's
    /// for a new service; for a fork (`from`: the source and the recovery target), each user's
    /// password at the target and the source's pools. False when the name is taken.
    pub fn insert_service_with_inventory(
        &self,
        rec: &super::ServiceRec,
        admin: &str,
        from: Option<(&str, Option<Timestamp>)>,
        now: &str,
    ) -> rusqlite::Result<bool> {
        let tx = self.conn.unchecked_transaction()?;
        if !self.insert_service(rec)? {
            return Ok(false);
        }
        match from {
            None => self.record_password(&rec.id, admin, &rec.password, now)?,
            Some((source, at)) => {
                for (user, password) in self.passwords(source, at)? {
                    self.record_password(&rec.id, &user, &password, now)?;
                }
                for pool in self.pools(source)? {
                    self.add_pool(&rec.id, &pool)?;
                }
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// A service's maintenance window (day of week, `HH:MM:SS` UTC), once it was set.
    pub fn maintenance(&self, service_id: &str) -> rusqlite::Result<Option<(String, String)>> {
        self.conn
            .query_row("SELECT dow, time FROM maintenance WHERE service_id = ?1", [service_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
    }

    pub fn set_maintenance(&self, service_id: &str, dow: &str, time: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO maintenance (service_id, dow, time) VALUES (?1, ?2, ?3)",
            params![service_id, dow, time],
        )?;
        Ok(())
    }

    /// Forget a service's passwords and pools (with the service).
    pub(super) fn delete_inventory(tx: &rusqlite::Transaction<'_>, service_id: &str) -> rusqlite::Result<()> {
        tx.execute("DELETE FROM user_passwords WHERE service_id = ?1", [service_id])?;
        tx.execute("DELETE FROM connection_pools WHERE service_id = ?1", [service_id])?;
        tx.execute("DELETE FROM pool_ports WHERE service_id = ?1", [service_id])?;
        tx.execute("DELETE FROM maintenance WHERE service_id = ?1", [service_id])?;
        tx.execute("DELETE FROM fork_results WHERE service_id = ?1", [service_id])?;
        tx.execute("DELETE FROM disk_space WHERE service_id = ?1", [service_id])?;
        Ok(())
    }
}
