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
/// included. Returns how many sessions were ended.
pub async fn write(conn: &ConnInfo, id: &str) -> Result<usize, StepError> {
    let c = conn.connect().await?;
    let fence = |e: tokio_postgres::Error| StepError::Fence(e.into());
    c.batch_execute("SET default_transaction_read_only = off").await.map_err(fence)?;
    c.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS {TABLE} (id text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())"
    ))
    .await
    .map_err(fence)?;
    c.execute(&format!("INSERT INTO {TABLE} (id) VALUES ($1) ON CONFLICT DO NOTHING"), &[&id]).await.map_err(fence)?;
    let _ = c.batch_execute("SELECT pg_switch_wal()").await;
    end_other_sessions(&c).await
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
