//! What `service logs`, `current-queries` and `queries` read: the server's log as Aiven's log
//! entries, `pg_stat_activity`, and `pg_stat_statements`.

use serde_json::Map;
use serde_json::Value;

use super::process::ClusterError;
use super::sql;
use crate::engines::Layout;

/// One log entry, at byte `start..end` of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub start: u64,
    pub end: u64,
    /// UTC, microseconds, no zone (as Aiven's entries).
    pub time: String,
    pub msg: String,
}

/// The log's lines as entries (`2026-12-06 14:05:19.777 UTC [25993] LOG:  …`, PostgreSQL's
/// default prefix); a line without a time (a continuation, a tool's output) takes the time of the
/// entry before it.
pub fn entries(text: &[u8]) -> Vec<Entry> {
    entries_by(text, split_prefix)
}

/// A server log's complete lines as entries, each line's time and message read by `split`
/// (`None`: a line without a time, which takes the time of the entry before it). Empty lines are
/// left out, and so is a last line still being written.
pub fn entries_by(text: &[u8], split: impl Fn(&str) -> Option<(String, &str)>) -> Vec<Entry> {
    let mut out = Vec::new();
    let mut pos = 0u64;
    let mut last_time = String::new();
    for line in text.split_inclusive(|b| *b == b'\n') {
        let start = pos;
        pos += line.len() as u64;
        if !line.ends_with(b"\n") {
            break; // being written: read next time
        }
        let s = String::from_utf8_lossy(line);
        let s = s.trim_end();
        if s.is_empty() {
            continue;
        }
        let (time, msg) = match split(s) {
            Some((t, m)) => (t, m.to_string()),
            None => (last_time.clone(), s.to_string()),
        };
        last_time.clone_from(&time);
        out.push(Entry { start, end: pos, time, msg });
    }
    out
}

/// `2026-12-06 14:05:19.777 UTC rest` → (`2026-12-06T14:05:19.777000`, `rest`): UTC, in the form
/// Aiven's log entries have.
fn split_prefix(line: &str) -> Option<(String, &str)> {
    let head = line.get(..27)?;
    let rest = line.get(28..).unwrap_or_default();
    let (stamp, zone) = head.split_at(23);
    if zone != " UTC" {
        return None;
    }
    let dt: jiff::civil::DateTime = stamp.parse().ok()?;
    Some((dt.strftime("%Y-%m-%dT%H:%M:%S%.6f").to_string(), rest))
}

/// Up to `limit` entries after `offset` (asc) or before it (desc; newest first); without an
/// offset, the last `limit`. Returns them and the offset to continue from.
pub fn page(all: &[Entry], offset: Option<u64>, limit: usize, desc: bool) -> (Vec<Entry>, u64) {
    let end_of_log = all.last().map(|e| e.end).unwrap_or(0);
    if desc {
        let before: Vec<&Entry> = all.iter().filter(|e| offset.is_none_or(|o| e.end <= o)).collect();
        let chosen: Vec<Entry> = before.iter().rev().take(limit).map(|e| (*e).clone()).collect();
        let next = chosen.last().map(|e| e.start).or(offset).unwrap_or(0);
        return (chosen, next);
    }
    let chosen: Vec<Entry> = match offset {
        Some(o) => all.iter().filter(|e| e.start >= o).take(limit).cloned().collect(),
        None => all[all.len().saturating_sub(limit)..].to_vec(),
    };
    let next = chosen.last().map(|e| e.end).or(offset).unwrap_or(end_of_log);
    (chosen, next)
}

/// Rows as JSON objects, every value as the API gives it (text, numbers, null).
fn rows_to_json(rows: &[tokio_postgres::Row]) -> Vec<Map<String, Value>> {
    use tokio_postgres::types::Type;
    rows.iter()
        .map(|r| {
            r.columns()
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let v = match *c.type_() {
                        Type::INT2 => r.get::<_, Option<i16>>(i).map(Value::from),
                        Type::INT4 => r.get::<_, Option<i32>>(i).map(Value::from),
                        Type::INT8 => r.get::<_, Option<i64>>(i).map(Value::from),
                        Type::FLOAT8 => r.get::<_, Option<f64>>(i).map(Value::from),
                        Type::BOOL => r.get::<_, Option<bool>>(i).map(Value::from),
                        _ => r.get::<_, Option<String>>(i).map(Value::from),
                    };
                    (c.name().to_string(), v.unwrap_or(Value::Null))
                })
                .collect()
        })
        .collect()
}

/// `pg_stat_activity` of client backends, the longest-running query first, with the columns
/// the official client shows (`query_duration` in seconds).
pub async fn activity(layout: &Layout, port: u16, limit: i64) -> Result<Vec<Map<String, Value>>, ClusterError> {
    let c = sql::connect(layout, port, "postgres").await?;
    let rows = c
        .query(
            "SELECT datid::int8, datname::text, pid, usesysid::int8, usename::text, application_name, \
             host(client_addr) AS client_addr, client_hostname, client_port, \
             to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS backend_start, \
             to_char(xact_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS xact_start, \
             to_char(query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS query_start, \
             to_char(state_change AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS state_change, \
             wait_event IS NOT NULL AS waiting, state, backend_xid::text, backend_xmin::text, query, \
             extract(epoch FROM now() - query_start)::float8 AS query_duration \
             FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name <> 'avn-local' \
             ORDER BY query_duration DESC NULLS LAST LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows_to_json(&rows))
}

/// `pg_stat_statements` across databases, the most called first, under the names the API gives
/// (`total_time`, `mean_time`, …, in milliseconds). The extension is created on first use.
pub async fn query_stats(layout: &Layout, port: u16, limit: i64) -> Result<Vec<Map<String, Value>>, ClusterError> {
    let c = sql::connect(layout, port, super::cluster::DEFAULT_DB).await?;
    let loaded = c.query_one("SELECT current_setting('shared_preload_libraries')", &[]).await?.get::<_, String>(0);
    if !loaded.contains("pg_stat_statements") {
        return Err(ClusterError::Tool {
            tool: "pg_stat_statements".into(),
            detail: "not loaded by this server yet: power the service off and on once".into(),
        });
    }
    c.batch_execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").await?;
    let rows = c
        .query(
            "SELECT s.query, s.max_exec_time AS max_time, s.stddev_exec_time AS stddev_time, \
             s.min_exec_time AS min_time, s.mean_exec_time AS mean_time, s.rows, s.calls, \
             s.total_exec_time AS total_time, d.datname::text AS database_name, r.rolname::text AS user_name, \
             s.blk_read_time, s.blk_write_time, s.local_blks_dirtied, s.local_blks_hit, s.local_blks_read, \
             s.local_blks_written, s.shared_blks_dirtied, s.shared_blks_hit, s.shared_blks_read, \
             s.shared_blks_written, s.temp_blks_read, s.temp_blks_written \
             FROM pg_stat_statements s LEFT JOIN pg_database d ON d.oid = s.dbid \
             LEFT JOIN pg_roles r ON r.oid = s.userid \
             WHERE r.rolname IS DISTINCT FROM 'postgres' \
             ORDER BY s.calls DESC LIMIT $1",
            &[&limit],
        )
        .await?;
    Ok(rows_to_json(&rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "2026-12-06 14:05:19.777 UTC [25993] LOG:  database system is ready to accept connections\n\
        \tcontinued detail\n\
        2026-12-06 14:05:21.105 UTC [26025] LOG:  could not receive data from client\n\
        2026-12-06 14:10:20.019 UTC [25994] LOG:  checkpoint starting: time\n\
        2026-12-06 14:10:2";

    #[test]
    fn log_lines_become_entries_with_their_times_and_offsets() {
        let e = entries(LOG.as_bytes());
        assert_eq!(e.len(), 4, "the partial last line waits for its end");
        assert_eq!(e[0].time, "2026-12-06T14:05:19.777000");
        assert_eq!(e[0].msg, "[25993] LOG:  database system is ready to accept connections");
        assert_eq!((e[1].time.as_str(), e[1].msg.as_str()), ("2026-12-06T14:05:19.777000", "\tcontinued detail"));
        assert_eq!(e[1].start, e[0].end);
    }

    #[test]
    fn pages_go_forward_from_an_offset_and_backward_before_one() {
        let e = entries(LOG.as_bytes());
        let (last2, next) = page(&e, None, 2, false);
        assert_eq!(last2, e[2..4].to_vec());
        assert_eq!(next, e[3].end);
        let (none, same) = page(&e, Some(next), 10, false);
        assert!(none.is_empty() && same == next, "nothing new: the offset stays");
        let (from0, next) = page(&e, Some(0), 3, false);
        assert_eq!((from0.len(), next), (3, e[2].end));
        let (newest, next) = page(&e, None, 2, true);
        assert_eq!(newest, vec![e[3].clone(), e[2].clone()]);
        let (older, next) = page(&e, Some(next), 5, true);
        assert_eq!(older, vec![e[1].clone(), e[0].clone()]);
        let (done, _) = page(&e, Some(next), 5, true);
        assert!(done.is_empty());
    }
}
