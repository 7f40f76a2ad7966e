//! Durable state in SQLite (WAL journal, synchronous=FULL): projects, services, backups and
//! integrations. Every change is one transaction, so a `kill -9` leaves a consistent state that
//! the next start reconciles with the processes and directories it finds.

use std::path::Path;

use rusqlite::params;
use rusqlite::Connection;
use rusqlite::OptionalExtension;
use serde_json::Map;
use serde_json::Value;

use crate::model::ForkOrigin;
use crate::model::Op;
use crate::model::State;

mod inventory;
pub use inventory::PoolRec;

/// One service as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRec {
    /// Instance id: the name of its directory, unique over the server's lifetime.
    pub id: String,
    pub project: String,
    pub name: String,
    pub plan: String,
    pub state: State,
    pub powered: bool,
    pub port: u16,
    pub password: String,
    pub user_config: Map<String, Value>,
    pub termination_protection: bool,
    pub create_time: String,
    pub update_time: String,
    /// Operation in progress, or the failure of the last one.
    pub op: Option<Op>,
    /// For forks: where the data comes from.
    pub fork: Option<ForkOrigin>,
    pub tags: std::collections::BTreeMap<String, String>,
    /// `pg`, `mysql` or `valkey`: which engine runs it (fixed at creation).
    pub service_type: String,
}

impl ServiceRec {
    /// The state of its one node, as `node_states[].state` shows it.
    pub fn node_state(&self) -> &'static str {
        match (self.state, self.op) {
            (_, Some(Op::Failed | Op::StartFailed)) => "unknown",
            (State::Running, _) => "running",
            (State::PowerOff, _) => "leaving",
            (_, Some(Op::Fork)) => "syncing_data",
            _ => "setting_up_vm",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackupRec {
    pub service_id: String,
    pub backup_name: String,
    /// When the backup finished (its consistency point is at or before this instant).
    pub backup_time: String,
    pub data_size: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntegrationRec {
    pub id: String,
    pub project: String,
    pub integration_type: String,
    pub source_project: String,
    pub source_service: Option<String>,
    pub dest_project: String,
    pub dest_service: Option<String>,
    pub user_config: Map<String, Value>,
}

pub struct Store {
    conn: Connection,
    /// A copy of the whole store, rewritten after every change ([`Store::save_copy`]).
    copy: std::path::PathBuf,
    saved_changes: u64,
}

/// Where the copy of the store at `path` lives: `state.db` → `state.db.copy`.
pub fn copy_path(path: &Path) -> std::path::PathBuf {
    std::path::PathBuf::from(format!("{}.copy", path.display()))
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS projects (name TEXT PRIMARY KEY, create_time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS services (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, name TEXT NOT NULL, plan TEXT NOT NULL,
    state TEXT NOT NULL, powered INTEGER NOT NULL, port INTEGER NOT NULL, password TEXT NOT NULL,
    user_config TEXT NOT NULL, termination_protection INTEGER NOT NULL,
    create_time TEXT NOT NULL, update_time TEXT NOT NULL, op TEXT, fork TEXT, tags TEXT NOT NULL DEFAULT '{}',
    service_type TEXT NOT NULL DEFAULT 'pg',
    UNIQUE (project, name));
CREATE TABLE IF NOT EXISTS backups (
    service_id TEXT NOT NULL, backup_name TEXT NOT NULL, backup_time TEXT NOT NULL, data_size INTEGER NOT NULL,
    PRIMARY KEY (service_id, backup_name));
CREATE TABLE IF NOT EXISTS integrations (
    id TEXT PRIMARY KEY, project TEXT NOT NULL, integration_type TEXT NOT NULL,
    source_project TEXT NOT NULL, source_service TEXT, dest_project TEXT NOT NULL, dest_service TEXT,
    user_config TEXT NOT NULL);
";

fn json_map(s: String) -> Map<String, Value> {
    serde_json::from_str(&s).unwrap_or_default()
}

impl Store {
    /// Open (or create) the store. It holds service passwords, so the database and its WAL and
    /// shared-memory files are private to the control plane's user (0600).
    pub fn open(path: &Path) -> rusqlite::Result<Store> {
        {
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path);
        }
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(inventory::SCHEMA)?;
        // Stores written before there was more than one engine hold only PostgreSQL services.
        let has_type: bool =
            conn.prepare("SELECT 1 FROM pragma_table_info('services') WHERE name = 'service_type'")?.exists([])?;
        if !has_type {
            conn.execute_batch("ALTER TABLE services ADD COLUMN service_type TEXT NOT NULL DEFAULT 'pg'")?;
        }
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let p = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
            let _ = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600));
        }
        let copy = copy_path(path);
        let mut store = Store { conn, copy, saved_changes: 0 };
        store.save_copy()?;
        Ok(store)
    }

    /// After a change, rewrite the copy of the store (`state.db.copy`) that survives the loss of
    /// the main file: written whole to a temporary name with `VACUUM INTO`, then renamed. To
    /// recover, stop the server and copy it over `state.db`.
    pub fn save_copy(&mut self) -> rusqlite::Result<()> {
        let changes = self.conn.total_changes();
        if changes == self.saved_changes && self.copy.exists() {
            return Ok(());
        }
        let tmp = self.copy.with_extension("copy.tmp");
        let _ = std::fs::remove_file(&tmp);
        self.conn.execute("VACUUM INTO ?1", [tmp.to_string_lossy()])?;
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600));
        // VACUUM INTO does not promise to sync what it wrote: synced here, before the rename.
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        avn_util::crashsafe::persist(&tmp, &self.copy)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        self.saved_changes = changes;
        Ok(())
    }

    pub fn projects(&self) -> rusqlite::Result<Vec<String>> {
        let mut st = self.conn.prepare("SELECT name FROM projects ORDER BY name")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect()
    }

    pub fn project_exists(&self, name: &str) -> rusqlite::Result<bool> {
        Ok(self.conn.query_row("SELECT 1 FROM projects WHERE name = ?1", [name], |_| Ok(())).optional()?.is_some())
    }

    /// Create a project; false when it already existed.
    pub fn create_project(&self, name: &str, now: &str) -> rusqlite::Result<bool> {
        Ok(self.conn.execute("INSERT OR IGNORE INTO projects (name, create_time) VALUES (?1, ?2)", [name, now])? == 1)
    }

    fn row_to_service(r: &rusqlite::Row<'_>) -> rusqlite::Result<ServiceRec> {
        Ok(ServiceRec {
            id: r.get(0)?,
            project: r.get(1)?,
            name: r.get(2)?,
            plan: r.get(3)?,
            state: r.get(4)?,
            powered: r.get(5)?,
            port: r.get(6)?,
            password: r.get(7)?,
            user_config: json_map(r.get(8)?),
            termination_protection: r.get(9)?,
            create_time: r.get(10)?,
            update_time: r.get(11)?,
            op: r.get(12)?,
            fork: r.get(13)?,
            tags: serde_json::from_str(&r.get::<_, String>(14)?).unwrap_or_default(),
            service_type: r.get(15)?,
        })
    }

    const COLUMNS: &'static str = "id, project, name, plan, state, powered, port, password, user_config, \
        termination_protection, create_time, update_time, op, fork, tags, service_type";

    pub fn services(&self, project: Option<&str>) -> rusqlite::Result<Vec<ServiceRec>> {
        let sql =
            format!("SELECT {} FROM services WHERE (?1 IS NULL OR project = ?1) ORDER BY project, name", Self::COLUMNS);
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map([project], Self::row_to_service)?;
        rows.collect()
    }

    pub fn service(&self, project: &str, name: &str) -> rusqlite::Result<Option<ServiceRec>> {
        let sql = format!("SELECT {} FROM services WHERE project = ?1 AND name = ?2", Self::COLUMNS);
        self.conn.query_row(&sql, [project, name], Self::row_to_service).optional()
    }

    pub fn service_by_id(&self, id: &str) -> rusqlite::Result<Option<ServiceRec>> {
        let sql = format!("SELECT {} FROM services WHERE id = ?1", Self::COLUMNS);
        self.conn.query_row(&sql, [id], Self::row_to_service).optional()
    }

    /// Insert a new service; false when the name is taken in the project.
    pub fn insert_service(&self, s: &ServiceRec) -> rusqlite::Result<bool> {
        let n = self.conn.execute(
            &format!("INSERT OR IGNORE INTO services ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)", Self::COLUMNS),
            params![
                s.id,
                s.project,
                s.name,
                s.plan,
                s.state,
                s.powered,
                s.port,
                s.password,
                Value::Object(s.user_config.clone()).to_string(),
                s.termination_protection,
                s.create_time,
                s.update_time,
                s.op,
                s.fork,
                serde_json::to_string(&s.tags).unwrap_or_else(|_| "{}".into()),
                s.service_type,
            ],
        )?;
        Ok(n == 1)
    }

    /// Change a service's administrator password (and nothing else).
    pub fn set_admin_password(&self, id: &str, password: &str) -> rusqlite::Result<()> {
        self.conn.execute("UPDATE services SET password = ?2 WHERE id = ?1", params![id, password])?;
        Ok(())
    }

    /// Write a service's row back, all but its tags: those change only through [`Store::set_tags`],
    /// so an update that read the row earlier never undoes a tag change made meanwhile.
    pub fn update_service(&self, s: &ServiceRec) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE services SET plan = ?2, state = ?3, powered = ?4, port = ?5, user_config = ?6, \
             termination_protection = ?7, update_time = ?8, op = ?9 WHERE id = ?1",
            params![
                s.id,
                s.plan,
                s.state,
                s.powered,
                s.port,
                Value::Object(s.user_config.clone()).to_string(),
                s.termination_protection,
                s.update_time,
                s.op,
            ],
        )?;
        Ok(())
    }

    /// Replace a service's tags (and nothing else).
    pub fn set_tags(&self, id: &str, tags: &std::collections::BTreeMap<String, String>) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE services SET tags = ?2 WHERE id = ?1",
            params![id, serde_json::to_string(tags).unwrap_or_else(|_| "{}".into())],
        )?;
        Ok(())
    }

    /// Remove a service with its backups and integrations.
    pub fn delete_service(&mut self, id: &str) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        if let Some((project, name)) = tx
            .query_row("SELECT project, name FROM services WHERE id = ?1", [id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .optional()?
        {
            tx.execute(
                "DELETE FROM integrations WHERE (source_project = ?1 AND source_service = ?2) OR (dest_project = ?1 AND dest_service = ?2)",
                [&project, &name],
            )?;
        }
        tx.execute("DELETE FROM backups WHERE service_id = ?1", [id])?;
        Self::delete_inventory(&tx, id)?;
        tx.execute("DELETE FROM services WHERE id = ?1", [id])?;
        tx.commit()
    }

    pub fn backups(&self, service_id: &str) -> rusqlite::Result<Vec<BackupRec>> {
        let mut st = self.conn.prepare(
            "SELECT service_id, backup_name, backup_time, data_size FROM backups WHERE service_id = ?1 ORDER BY backup_time",
        )?;
        let rows = st.query_map([service_id], |r| {
            Ok(BackupRec {
                service_id: r.get(0)?,
                backup_name: r.get(1)?,
                backup_time: r.get(2)?,
                data_size: r.get::<_, i64>(3)? as u64,
            })
        })?;
        let mut list = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        // Oldest first by instant: texts with and without fractions do not sort as times.
        list.sort_by_key(|b| avn_api::time::parse(&b.backup_time));
        Ok(list)
    }

    pub fn add_backup(&self, b: &BackupRec) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO backups (service_id, backup_name, backup_time, data_size) VALUES (?1, ?2, ?3, ?4)",
            params![b.service_id, b.backup_name, b.backup_time, b.data_size as i64],
        )?;
        Ok(())
    }

    pub fn delete_backup(&self, service_id: &str, name: &str) -> rusqlite::Result<()> {
        self.conn.execute("DELETE FROM backups WHERE service_id = ?1 AND backup_name = ?2", [service_id, name])?;
        Ok(())
    }

    pub fn integrations(&self, project: &str, service: &str) -> rusqlite::Result<Vec<IntegrationRec>> {
        let mut st = self.conn.prepare(
            "SELECT id, project, integration_type, source_project, source_service, dest_project, dest_service, user_config \
             FROM integrations WHERE (source_project = ?1 AND source_service = ?2) OR (dest_project = ?1 AND dest_service = ?2) ORDER BY id",
        )?;
        let rows = st.query_map([project, service], |r| {
            Ok(IntegrationRec {
                id: r.get(0)?,
                project: r.get(1)?,
                integration_type: r.get(2)?,
                source_project: r.get(3)?,
                source_service: r.get(4)?,
                dest_project: r.get(5)?,
                dest_service: r.get(6)?,
                user_config: json_map(r.get(7)?),
            })
        })?;
        rows.collect()
    }

    pub fn add_integration(&self, i: &IntegrationRec) -> rusqlite::Result<()> {
        self.conn.execute(
            "INSERT INTO integrations (id, project, integration_type, source_project, source_service, dest_project, dest_service, user_config) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                i.id,
                i.project,
                i.integration_type,
                i.source_project,
                i.source_service,
                i.dest_project,
                i.dest_service,
                Value::Object(i.user_config.clone()).to_string()
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
