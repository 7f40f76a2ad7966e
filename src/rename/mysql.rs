//! A rename of a MySQL service on avn local: writes stopped and the fence row committed by the
//! control plane (`avn_api::writes`; `avnadmin` cannot set `read_only`), then what is read with
//! the service's own login over TLS: the fingerprint, row counts and checksums, and the fence on
//! NEW.

use std::collections::BTreeMap;

use mysql_async::prelude::Queryable;

use crate::mysql::MyConn;
use crate::mysql::MyError;

/// Databases of the server itself, never compared.
const SYSTEM_DBS: &str = "'information_schema', 'mysql', 'performance_schema', 'sys'";

/// What OLD holds, to tell whether it changed after it was verified: its binary log's GTID
/// position (every committed transaction moves it; rotating the log does not).
pub async fn fingerprint(conn: &MyConn) -> Result<BTreeMap<String, String>, MyError> {
    let mut c = conn.connect().await?;
    let pos: Option<String> = c.query_first("SELECT @@global.gtid_binlog_pos").await?;
    let _ = c.disconnect().await;
    Ok([("gtid_binlog_pos".to_string(), pos.unwrap_or_default())].into_iter().collect())
}

/// The service's base tables (`db.table`), the fence table left out.
async fn tables(c: &mut mysql_async::Conn) -> Result<Vec<(String, String)>, MyError> {
    Ok(c.query(format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' \
         AND TABLE_SCHEMA NOT IN ({SYSTEM_DBS}) \
         AND NOT (TABLE_SCHEMA = 'defaultdb' AND TABLE_NAME = 'avn_rename_fence') ORDER BY 1, 2"
    ))
    .await?)
}

fn quoted(db: &str, table: &str) -> String {
    format!("`{}`.`{}`", db.replace('`', "``"), table.replace('`', "``"))
}

/// Exact row counts of every base table.
pub async fn row_counts(conn: &MyConn) -> Result<BTreeMap<String, i64>, MyError> {
    let mut c = conn.connect().await?;
    let mut out = BTreeMap::new();
    for (db, t) in tables(&mut c).await? {
        let n: Option<i64> = c.query_first(format!("SELECT COUNT(*) FROM {}", quoted(&db, &t))).await?;
        out.insert(format!("{db}.{t}"), n.unwrap_or(0));
    }
    let _ = c.disconnect().await;
    Ok(out)
}

/// `CHECKSUM TABLE` of every base table.
pub async fn checksums(conn: &MyConn) -> Result<BTreeMap<String, String>, MyError> {
    let mut c = conn.connect().await?;
    let mut out = BTreeMap::new();
    for (db, t) in tables(&mut c).await? {
        let row: Option<(String, Option<u64>)> = c.query_first(format!("CHECKSUM TABLE {}", quoted(&db, &t))).await?;
        let sum = row.and_then(|(_, s)| s).map(|s| s.to_string()).unwrap_or_else(|| "none".into());
        out.insert(format!("{db}.{t}"), sum);
    }
    let _ = c.disconnect().await;
    Ok(out)
}

/// Whether the server holds the fence row `id`.
pub async fn fence_holds(conn: &MyConn, id: &str) -> Result<bool, MyError> {
    let mut c = conn.connect().await?;
    let q = format!("SELECT COUNT(*) FROM {} WHERE id = ?", avn_api::writes::MYSQL_FENCE_TABLE);
    let n: Result<Option<i64>, mysql_async::Error> = c.exec_first(q, (id,)).await;
    let _ = c.disconnect().await;
    match n {
        Ok(n) => Ok(n.unwrap_or(0) > 0),
        // No such table (1146): no fence.
        Err(mysql_async::Error::Server(e)) if e.code == 1146 => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Drop the fence table from a server that takes writes (NEW).
pub async fn fence_remove(conn: &MyConn) -> Result<(), MyError> {
    let mut c = conn.connect().await?;
    c.query_drop(format!("DROP TABLE IF EXISTS {}", avn_api::writes::MYSQL_FENCE_TABLE)).await?;
    let _ = c.disconnect().await;
    Ok(())
}

/// Prove that the service's own login can no longer write: an insert must fail with
/// `ER_OPTION_PREVENTS_STATEMENT` (1290, read-only). Returns the server's refusal.
pub async fn write_fails(conn: &MyConn) -> Result<Result<String, String>, MyError> {
    let mut c = conn.connect().await?;
    let r = c
        .query_drop(format!(
            "INSERT INTO {} VALUES ('avn-write-probe', UTC_TIMESTAMP(6))",
            avn_api::writes::MYSQL_FENCE_TABLE
        ))
        .await;
    let _ = c.disconnect().await;
    Ok(match r {
        Err(mysql_async::Error::Server(e)) if e.code == 1290 => Ok(e.message),
        Err(e) => Err(e.to_string()),
        Ok(()) => Err("the write succeeded".into()),
    })
}
