//! The fence: one row committed on OLD after writes stopped. WAL is one ordered stream for the
//! whole cluster, so a copy that holds the fence holds every transaction committed on OLD before
//! it, in any database; a fork without it stopped short and is never used.

use tokio_postgres::error::SqlState;

use super::error::StepError;
use super::postgres::end_other_sessions;
use crate::pg::ConnInfo;

/// The fence table, in the admin's own database (the service URI's, `defaultdb` on Aiven).
pub const TABLE: &str = "public.avn_rename_fence";

/// A fresh fence id: 128 random bits from the OS, in hex.
pub fn new_id() -> Result<String, StepError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StepError::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Commit the fence row `id` (the admin's session stays read-write), ask for a WAL segment switch
/// (best effort: it needs privileges) and end every other session again, idle-in-transaction ones
/// included. Returns how many sessions were ended, and the WAL segment that holds the fence.
pub async fn write(conn: &ConnInfo, id: &str) -> Result<(usize, Option<String>), StepError> {
    let c = conn.connect().await?;
    let fence = |e: tokio_postgres::Error| StepError::Fence(e.into());
    c.batch_execute("SET default_transaction_read_only = off").await.map_err(fence)?;
    c.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (id text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())"
    ))
    .await
    .map_err(fence)?;
    c.execute(&format!("INSERT INTO {TABLE} (id) VALUES ($1) ON CONFLICT DO NOTHING"), &[&id]).await.map_err(fence)?;
    // The segment of the commit just made (the insert position is past it, inside a segment).
    let segment = c
        .query_one("SELECT pg_walfile_name(pg_current_wal_insert_lsn())", &[])
        .await
        .ok()
        .map(|r| r.get::<_, String>(0));
    // Only a completed (switched) segment is archived soon: where the switch is not allowed,
    // there is nothing to wait for, and the fork's own check decides.
    let switched = c.batch_execute("SELECT pg_switch_wal()").await.is_ok();
    Ok((end_other_sessions(&c).await?, segment.filter(|_| switched)))
}

/// Before forking to "latest": wait, at most `timeout`, until OLD's archiver has archived the
/// segment holding the fence, so that the fork can reach it. Where the archiver cannot be
/// observed (no privilege, or WAL shipped another way), returns false at once and the fork's own
/// check decides.
pub async fn wait_archived(conn: &ConnInfo, segment: &str, timeout: std::time::Duration) -> Result<bool, StepError> {
    // A name the server gave that is no segment name cannot be waited for: the fork decides.
    let Some(wanted) = avn_api::wal::Segment::parse(segment) else { return Ok(false) };
    let c = conn.connect().await?;
    let every = std::time::Duration::from_millis(200);
    let archived = avn_util::wait::until("the fence's WAL segment to be archived", timeout, every, || async {
        let archived: Option<String> = match c.query_one("SELECT last_archived_wal FROM pg_stat_archiver", &[]).await {
            Ok(row) => row.get(0),
            Err(_) => return Some(false),
        };
        // History and backup files are no segments.
        match archived.as_deref().and_then(avn_api::wal::Segment::parse) {
            Some(a) => (a.position() >= wanted.position()).then_some(true),
            None => Some(false),
        }
    });
    archived.await.map_err(|_| StepError::FenceNotArchived { segment: segment.to_string(), timeout })
}

/// Whether the cluster at `conn` holds the fence row `id`.
pub async fn holds(conn: &ConnInfo, id: &str) -> Result<bool, StepError> {
    let c = conn.connect().await?;
    match c.query_one(&format!("SELECT count(*) FROM {TABLE} WHERE id = $1"), &[&id]).await {
        Ok(row) => Ok(row.get::<_, i64>(0) > 0),
        Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Ok(false),
        Err(e) => Err(StepError::Fence(e.into())),
    }
}

/// Drop the fence table (idempotent); the session is read-write whatever the database default.
pub async fn remove(conn: &ConnInfo) -> Result<(), StepError> {
    let c = conn.connect().await?;
    let fence = |e: tokio_postgres::Error| StepError::Fence(e.into());
    // Two statements, not one batch: a batch is one transaction, read-only from its start.
    c.batch_execute("SET default_transaction_read_only = off").await.map_err(fence)?;
    c.batch_execute(&format!("DROP TABLE IF EXISTS {TABLE}")).await.map_err(fence)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_fresh_hex() {
        let (a, b) = (super::new_id().unwrap(), super::new_id().unwrap());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
