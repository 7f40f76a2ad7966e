//! The PostgreSQL actions of a rename, each idempotent: stop and restore writes, count rows.

use std::collections::BTreeMap;

use postgres_protocol::escape::escape_identifier;
use tokio_postgres::error::SqlState;

use super::error::StepError;
use crate::pg::ConnInfo;
use crate::pg::PgError;

/// The statement that makes `db` default to read-only transactions, or clears that default.
fn read_only_default(db: &str, on: bool) -> String {
    let db = escape_identifier(db);
    if on {
        format!("ALTER DATABASE {db} SET default_transaction_read_only = on")
    } else {
        format!("ALTER DATABASE {db} RESET default_transaction_read_only")
    }
}

/// Databases that take connections, and whether the admin user can change each one's defaults.
pub async fn databases(conn: &ConnInfo) -> Result<Vec<(String, bool)>, PgError> {
    let c = conn.connect().await?;
    let rows = c
        .query(
            "SELECT datname::text, (pg_get_userbyid(datdba) = current_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) \
             FROM pg_database WHERE datallowconn AND NOT datistemplate AND datname NOT IN ('postgres', '_aiven') ORDER BY datname",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Make every database default to read-only transactions, end other sessions so clients
/// reconnect read-only, and prove that a write in a fresh session fails.
pub async fn stop_writes(conn: &ConnInfo, dbs: &[String]) -> Result<usize, StepError> {
    let info = conn;
    let c = info.connect().await?;
    // A session-level setting beats the database default, so this session can undo it later.
    c.batch_execute("SET default_transaction_read_only = off").await.map_err(PgError::from)?;
    for db in dbs {
        c.batch_execute(&read_only_default(db, true))
            .await
            .map_err(|e| StepError::MakeReadOnly { db: db.clone(), source: e.into() })?;
    }
    let ended = end_other_sessions(&c).await?;
    for db in dbs {
        prove_read_only(&info.with_dbname(db), db).await?;
    }
    Ok(ended)
}

async fn prove_read_only(info: &ConnInfo, db: &str) -> Result<(), StepError> {
    let c = info.connect().await?;
    match c.batch_execute("CREATE TABLE avn_rename_write_probe (x int)").await {
        Err(e) if e.code() == Some(&SqlState::READ_ONLY_SQL_TRANSACTION) => Ok(()),
        Err(e) => Err(StepError::Probe { db: db.to_string(), source: e.into() }),
        Ok(()) => {
            let _ = c.batch_execute("DROP TABLE avn_rename_write_probe").await;
            Err(StepError::StillWritable { db: db.to_string() })
        }
    }
}

/// Clear the read-only defaults and prove a write succeeds in a fresh session.
pub async fn open_writes(conn: &ConnInfo, dbs: &[String]) -> Result<(), StepError> {
    let info = conn;
    let c = info.connect().await?;
    c.batch_execute("SET default_transaction_read_only = off").await.map_err(PgError::from)?;
    for db in dbs {
        c.batch_execute(&read_only_default(db, false))
            .await
            .map_err(|e| StepError::RestoreWrites { db: db.clone(), source: e.into() })?;
    }
    for db in dbs {
        let c = info.with_dbname(db).connect().await?;
        c.batch_execute("CREATE TABLE avn_rename_write_probe (x int); DROP TABLE avn_rename_write_probe")
            .await
            .map_err(|e| StepError::StillReadOnly { db: db.clone(), source: e.into() })?;
    }
    Ok(())
}

/// Databases whose own default (not a role's) makes transactions read-only: what a stop-writes
/// step made, or found made.
pub async fn read_only_defaults(conn: &ConnInfo) -> Result<Vec<String>, PgError> {
    let c = conn.connect().await?;
    let rows = c
        .query(
            "SELECT DISTINCT d.datname::text FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, \
             unnest(s.setconfig) AS cfg WHERE s.setrole = 0 \
             AND lower(split_part(cfg, '=', 1)) = 'default_transaction_read_only' \
             AND lower(split_part(cfg, '=', 2)) IN ('on', 'true', 'yes', '1') ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// End every other client session (idle-in-transaction ones included); returns how many.
/// Sessions of superusers are the platform's own (Aiven's management, avn local's control plane),
/// never the service's clients, and cannot be ended by its administrator: they are left alone
/// (ending them failed the step whenever one was open at that moment).
pub(super) async fn end_other_sessions(c: &tokio_postgres::Client) -> Result<usize, StepError> {
    let row = c
        .query_one(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity a \
             WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' AND datname IS NOT NULL \
             AND NOT coalesce((SELECT rolsuper FROM pg_roles r WHERE r.oid = a.usesysid), false)",
            &[],
        )
        .await
        .map_err(|e| StepError::EndSessions(e.into()))?;
    Ok(row.get::<_, i64>(0) as usize)
}

/// Role-level settings that can re-enable writes after the database defaults are read-only
/// (`ALTER ROLE r [IN DATABASE d] SET default_transaction_read_only = off`): a role setting beats
/// the database one. Each as `role in database: setting`.
pub async fn read_only_overrides(conn: &ConnInfo) -> Result<Vec<String>, PgError> {
    let c = conn.connect().await?;
    let rows = c
        .query(
            "SELECT coalesce(r.rolname::text, 'every role'), coalesce(d.datname::text, 'every database'), cfg \
             FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole \
             LEFT JOIN pg_database d ON d.oid = s.setdatabase, unnest(s.setconfig) AS cfg \
             WHERE s.setrole <> 0 AND lower(split_part(cfg, '=', 1)) = 'default_transaction_read_only' \
             AND lower(split_part(cfg, '=', 2)) NOT IN ('on', 'true', 'yes', '1') ORDER BY 1, 2",
            &[],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| format!("{} in {}: {}", r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, String>(2)))
        .collect())
}

/// User tables of the connected database: schema, name, and whether this user may read it.
async fn tables(c: &tokio_postgres::Client) -> Result<Vec<(String, String, bool)>, PgError> {
    let rows = c
        .query(
            "SELECT n.nspname::text, c.relname::text, has_table_privilege(c.oid, 'SELECT') \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
             AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' ORDER BY 1, 2",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

/// What OLD holds, seen from the outside, cheaply: every connectable database (the maintenance
/// database `postgres` included), every role, and in each database every table, user and
/// catalog alike, with its storage file (a TRUNCATE, VACUUM FULL or CLUSTER gives it a new one)
/// and how many rows were ever inserted, updated and deleted in it, plus each sequence's last
/// value. Catalog tables cover what is not table data: DDL, large objects (`pg_largeobject`),
/// comments, roles and grants. Taken once writes are stopped (right after the fence) and again
/// just before OLD is deleted, each time after ending every other client session (a session
/// flushes its counts when it ends): a write that reached OLD in between changes it, so OLD is
/// kept. Left out: what the server changes by itself (`pg_statistic`, which ANALYZE rewrites),
/// temporary tables (a read-only session may create them), the rename's own fence table, and
/// the platform's `_aiven` database. Keyed `db`, `db.schema.table`, `db.seq.schema.name` and
/// `role name`.
pub async fn fingerprint(conn: &ConnInfo) -> Result<BTreeMap<String, String>, StepError> {
    let c = conn.connect().await?;
    // Sessions that could still hold unflushed counts: end them (the admin's own stays).
    c.batch_execute("SET default_transaction_read_only = off").await.map_err(PgError::from)?;
    end_other_sessions(&c).await?;
    // pg_terminate_backend only signals: wait (a bounded while) until they are gone, so their
    // counts are flushed before they are read.
    let (bounded, every) = (std::time::Duration::from_secs(5), std::time::Duration::from_millis(100));
    let ended = avn_util::wait::until("other sessions to end", bounded, every, || async {
        let left = c
            .query_one(
                "SELECT count(*) FROM pg_stat_activity a WHERE pid <> pg_backend_pid() AND backend_type = 'client backend' \
                 AND datname IS NOT NULL AND NOT coalesce((SELECT rolsuper FROM pg_roles r WHERE r.oid = a.usesysid), false)",
                &[],
            )
            .await;
        match left {
            Ok(row) => (row.get::<_, i64>(0) == 0).then_some(Ok(())),
            Err(e) => Some(Err(PgError::from(e))),
        }
    });
    // Still there after the bounded wait: the fingerprint is read anyway, as before.
    if let Ok(r) = ended.await {
        r?;
    }
    let mut out = BTreeMap::new();
    for r in c
        .query(
            "SELECT rolname::text, concat_ws(',', rolsuper, rolcanlogin, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolconnlimit, rolvaliduntil) FROM pg_roles",
            &[],
        )
        .await
        .map_err(PgError::from)?
    {
        out.insert(format!("role {}", r.get::<_, String>(0)), r.get::<_, String>(1));
    }
    let dbs: Vec<String> = c
        .query("SELECT datname::text FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1", &[])
        .await
        .map_err(PgError::from)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let (fence_schema, fence_table) = super::fence::TABLE.split_once('.').expect("schema.table");
    for db in &dbs {
        out.insert(db.clone(), "database".to_string());
        // A database the admin cannot enter is left out of the tables, not of the list; so is
        // the platform's own (Aiven's `_aiven`), which it writes to as it likes.
        if db == "_aiven" {
            continue;
        }
        let Ok(dc) = conn.with_dbname(db).connect().await else { continue };
        let rows = dc
            .query(
                "SELECT s.schemaname::text, s.relname::text, coalesce(pg_relation_filenode(s.relid)::text, '-'), \
                 (s.n_tup_ins || '/' || s.n_tup_upd || '/' || s.n_tup_del) \
                 FROM pg_stat_all_tables s \
                 WHERE s.schemaname NOT LIKE 'pg\\_temp\\_%' AND s.schemaname NOT LIKE 'pg\\_toast\\_temp\\_%' \
                 AND s.relname NOT IN ('pg_statistic', 'pg_statistic_ext_data') \
                 AND NOT (s.schemaname = $1 AND s.relname = $2) ORDER BY 1, 2",
                &[&fence_schema, &fence_table],
            )
            .await
            .map_err(PgError::from)?;
        for r in rows {
            let (schema, table, file, counts): (String, String, String, String) =
                (r.get(0), r.get(1), r.get(2), r.get(3));
            out.insert(format!("{db}.{schema}.{table}"), format!("file {file}, ins/upd/del {counts}"));
        }
        let seqs = dc
            .query(
                "SELECT schemaname::text, sequencename::text, coalesce(last_value::text, '-') FROM pg_sequences \
                 WHERE schemaname NOT LIKE 'pg\\_temp\\_%'",
                &[],
            )
            .await
            .map_err(PgError::from)?;
        for r in seqs {
            let (schema, name, last): (String, String, String) = (r.get(0), r.get(1), r.get(2));
            out.insert(format!("{db}.seq.{schema}.{name}"), format!("last value {last}"));
        }
    }
    Ok(out)
}

/// How two fingerprints differ, for a person: what appeared, went, or changed.
pub fn fingerprint_changes(before: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = vec![];
    for (k, v) in now {
        match before.get(k) {
            None => out.push(format!("{k} is new")),
            Some(b) if b != v => out.push(format!("{k} changed ({b} -> {v})")),
            _ => {}
        }
    }
    out.extend(before.keys().filter(|k| !now.contains_key(*k)).map(|k| format!("{k} is gone")));
    out
}

/// Unlogged tables that hold rows, keyed `db.schema.table`: their contents are not in WAL, so a
/// fork (on Aiven as here) has them empty.
pub async fn unlogged_with_rows(conn: &ConnInfo, dbs: &[String]) -> Result<Vec<String>, StepError> {
    let mut out = vec![];
    for db in dbs {
        let c = conn.with_dbname(db).connect().await?;
        let rows = c
            .query(
                "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relpersistence = 'u' AND c.relkind IN ('r', 'p') ORDER BY 1, 2",
                &[],
            )
            .await
            .map_err(PgError::from)?;
        for r in rows {
            let (schema, table): (String, String) = (r.get(0), r.get(1));
            let key = format!("{db}.{schema}.{table}");
            let sql =
                format!("SELECT EXISTS (SELECT 1 FROM {}.{})", escape_identifier(&schema), escape_identifier(&table));
            let any: bool = c
                .query_one(&sql, &[])
                .await
                .map_err(|e| StepError::Count { table: key.clone(), source: e.into() })?
                .get(0);
            if any {
                out.push(key);
            }
        }
    }
    Ok(out)
}

/// An order-independent checksum of every table the user can read, keyed `db.schema.table`: the
/// row count and the sum of a 64-bit hash of each row's text. It reads every row once. Returns the
/// checksums and the tables that could not be read.
pub async fn checksums(conn: &ConnInfo, dbs: &[String]) -> Result<(BTreeMap<String, String>, Vec<String>), StepError> {
    let info = conn;
    let (mut out, mut unreadable) = (BTreeMap::new(), vec![]);
    for db in dbs {
        let c = info.with_dbname(db).connect().await?;
        for (schema, table, readable) in tables(&c).await? {
            let key = format!("{db}.{schema}.{table}");
            if !readable {
                unreadable.push(key);
                continue;
            }
            let sql = format!(
                "SELECT count(*)::text || ':' || \
                 coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0)::text FROM {}.{} AS t",
                escape_identifier(&schema),
                escape_identifier(&table)
            );
            let row =
                c.query_one(&sql, &[]).await.map_err(|e| StepError::Count { table: key.clone(), source: e.into() })?;
            out.insert(key, row.get::<_, String>(0));
        }
    }
    Ok((out, unreadable))
}

/// User tables the admin may not read, keyed `db.schema.table`: verify cannot count them.
pub async fn unreadable_tables(conn: &ConnInfo, dbs: &[String]) -> Result<Vec<String>, StepError> {
    let mut out = vec![];
    for db in dbs {
        let c = conn.with_dbname(db).connect().await?;
        for (schema, table, readable) in tables(&c).await? {
            if !readable {
                out.push(format!("{db}.{schema}.{table}"));
            }
        }
    }
    Ok(out)
}

/// Exact row counts of every user table the admin may read, keyed `db.schema.table`.
pub async fn row_counts(conn: &ConnInfo, dbs: &[String]) -> Result<BTreeMap<String, i64>, StepError> {
    let info = conn;
    let mut out = BTreeMap::new();
    for db in dbs {
        let c = info.with_dbname(db).connect().await?;
        for (schema, table, _) in tables(&c).await?.into_iter().filter(|t| t.2) {
            let sql = format!("SELECT count(*) FROM {}.{}", escape_identifier(&schema), escape_identifier(&table));
            let row = c
                .query_one(&sql, &[])
                .await
                .map_err(|e| StepError::Count { table: format!("{db}.{schema}.{table}"), source: e.into() })?;
            out.insert(format!("{db}.{schema}.{table}"), row.get::<_, i64>(0));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_quoted_as_identifiers() {
        assert_eq!(read_only_default("app", true), "ALTER DATABASE \"app\" SET default_transaction_read_only = on");
        assert_eq!(
            read_only_default("we\"ird; DROP TABLE x", false),
            "ALTER DATABASE \"we\"\"ird; DROP TABLE x\" RESET default_transaction_read_only"
        );
    }
}
