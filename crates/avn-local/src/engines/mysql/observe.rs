//! The server's error log as log entries, and its current sessions (`service logs`,
//! `service current-queries`).

use mysql_async::prelude::Queryable;
use serde_json::Map;
use serde_json::Value;

use super::sql;
use super::MysqlError;
use crate::engines::postgres::observe::Entry;
use crate::engines::Layout;

/// The error log's lines as entries (`2026-12-06 16:47:22 0 [Note] …`; the server runs without a
/// time zone in its environment, in UTC); a line without a time takes the time before it.
pub fn entries(text: &[u8]) -> Vec<Entry> {
    let mut all = crate::engines::postgres::observe::entries_by(text, |s| {
        let head = s.get(..19).filter(|h| h.parse::<jiff::civil::DateTime>().is_ok())?;
        Some((format!("{}.000000", head.replace(' ', "T")), s[19..].trim_start()))
    });
    // Said at every start, and harmless.
    all.retain(|e| !e.msg.contains("Could not increase number of max_open_files"));
    all
}

/// One row of the process list: id, user, host, database, command, seconds, state, statement.
type Session = (u64, String, Option<String>, Option<String>, String, i64, Option<String>, Option<String>);

/// Current sessions of application users, the longest-running first.
pub async fn activity(layout: &Layout, limit: i64) -> Result<Vec<Map<String, Value>>, MysqlError> {
    let mut c = sql::admin(layout).await?;
    let rows: Vec<Session> = c
        .exec(
            "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, INFO FROM information_schema.PROCESSLIST \
             WHERE USER NOT IN ('avn_admin', 'avn_repl', 'system user', 'event_scheduler') AND ID <> CONNECTION_ID() \
             ORDER BY TIME DESC LIMIT ?",
            (limit,),
        )
        .await?;
    c.disconnect().await?;
    Ok(rows
        .into_iter()
        .map(|(id, user, host, db, command, time, state, info)| {
            let mut m = Map::new();
            m.insert("id".into(), id.into());
            m.insert("user".into(), user.into());
            m.insert("host".into(), host.map(Value::from).unwrap_or(Value::Null));
            m.insert("db".into(), db.map(Value::from).unwrap_or(Value::Null));
            m.insert("command".into(), command.into());
            m.insert("query_duration".into(), (time as f64).into());
            m.insert("state".into(), state.map(Value::from).unwrap_or(Value::Null));
            m.insert("query".into(), info.map(Value::from).unwrap_or(Value::Null));
            m
        })
        .collect())
}

/// Columns of `events_statements_summary_by_digest` that `service queries` shows, as Aiven names
/// them, and whether each is a time (picoseconds in the table, milliseconds in Aiven's answer).
const DIGEST_COLUMNS: [(&str, bool); 29] = [
    ("schema_name", false),
    ("digest", false),
    ("digest_text", false),
    ("count_star", false),
    ("sum_timer_wait", true),
    ("min_timer_wait", true),
    ("avg_timer_wait", true),
    ("max_timer_wait", true),
    ("sum_lock_time", true),
    ("sum_errors", false),
    ("sum_warnings", false),
    ("sum_rows_affected", false),
    ("sum_rows_sent", false),
    ("sum_rows_examined", false),
    ("sum_created_tmp_disk_tables", false),
    ("sum_created_tmp_tables", false),
    ("sum_select_full_join", false),
    ("sum_select_full_range_join", false),
    ("sum_select_range", false),
    ("sum_select_range_check", false),
    ("sum_select_scan", false),
    ("sum_sort_merge_passes", false),
    ("sum_sort_range", false),
    ("sum_sort_rows", false),
    ("sum_sort_scan", false),
    ("sum_no_index_used", false),
    ("sum_no_good_index_used", false),
    ("first_seen", false),
    ("last_seen", false),
];

/// Statement statistics by digest, the most frequent first (`service queries`), without the
/// control plane's own statements (its accounts are not measured: see
/// `sql::unmeasured_accounts`). MariaDB has no latency quantiles nor query samples (MySQL 8's
/// `quantile_*` and `query_sample_*`): those keys are absent.
pub async fn query_stats(layout: &Layout, limit: i64) -> Result<Vec<Map<String, Value>>, MysqlError> {
    let mut c = sql::admin(layout).await?;
    // FIRST_SEEN and LAST_SEEN are shown in the session's time zone: UTC, as printed.
    c.query_drop("SET SESSION time_zone = '+00:00'").await?;
    let on: Option<i64> = c.query_first("SELECT @@performance_schema").await?;
    if on != Some(1) {
        c.disconnect().await?;
        return Err(MysqlError::Tool(
            "query statistics start at the service's next start (power it off and on once): \
             its server started without performance_schema"
                .into(),
        ));
    }
    let cols: Vec<String> = DIGEST_COLUMNS
        .iter()
        .map(|(name, _)| match *name {
            "first_seen" | "last_seen" => {
                format!("DATE_FORMAT({}, '%Y-%m-%dT%H:%i:%s.%fZ')", name.to_uppercase())
            }
            n => format!("CAST({} AS CHAR)", n.to_uppercase()),
        })
        .collect();
    let sql = format!(
        "SELECT {} FROM performance_schema.events_statements_summary_by_digest \
         WHERE DIGEST IS NOT NULL ORDER BY COUNT_STAR DESC LIMIT ?",
        cols.join(", ")
    );
    let rows: Vec<mysql_async::Row> = c.exec(sql, (limit,)).await?;
    c.disconnect().await?;
    Ok(rows.iter().map(digest_row).collect())
}

fn digest_row(row: &mysql_async::Row) -> Map<String, Value> {
    let mut m = Map::new();
    for (i, (name, is_time)) in DIGEST_COLUMNS.iter().enumerate() {
        let text: Option<String> = row.get_opt(i).and_then(Result::ok).flatten();
        let v = match text {
            None => Value::Null,
            Some(t) if *is_time => t.parse::<f64>().map(|ps| Value::from(ps / 1e9)).unwrap_or(Value::Null),
            Some(t) if !matches!(*name, "schema_name" | "digest" | "digest_text" | "first_seen" | "last_seen") => {
                t.parse::<u64>().map(Value::from).unwrap_or(Value::String(t))
            }
            Some(t) => Value::String(t),
        };
        m.insert((*name).into(), v);
    }
    m
}

#[cfg(test)]
mod tests {
    #[test]
    fn error_log_lines_become_entries() {
        let log = b"2026-12-06 16:47:22 0 [Note] Starting MariaDB\n  continued\n2026-12-06 16:47:23 0 [Warning] Could not increase number of max_open_files to more than 20000\npartial";
        let e = super::entries(log);
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].time, "2026-12-06T16:47:22.000000");
        assert_eq!(e[0].msg, "0 [Note] Starting MariaDB");
        assert_eq!(e[1].time, e[0].time);
    }
}
