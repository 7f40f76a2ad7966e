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
             WHERE USER NOT IN ('avn_admin', 'system user', 'event_scheduler') AND ID <> CONNECTION_ID() \
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
