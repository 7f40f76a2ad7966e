//! Whether a PostgreSQL service accepts connections, classified by SQLSTATE.

use std::time::Duration;

use tokio_postgres::error::SqlState;

use crate::pg::ConnInfo;
use crate::pg::PgError;

/// How a PostgreSQL readiness check went.
pub enum Check {
    Ready,
    /// The server is up but refused us (wrong password, pg_hba, privileges): it is running.
    UpButRefused(String),
    /// The server answered "not yet" (starting up, recovering, shutting down).
    NotYet(String),
    /// No answer at all (refused, timed out, name not resolved).
    Unreachable(String),
}

/// `SELECT 1` with the service URI, classified.
pub async fn check(uri: &str) -> Check {
    let attempt = async {
        let client = ConnInfo::parse(uri)?.connect().await?;
        client.simple_query("SELECT 1").await?;
        Ok::<_, PgError>(())
    };
    match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok(())) => Check::Ready,
        Ok(Err(e)) => classify(&e),
        Err(_) => Check::Unreachable("connection timed out".into()),
    }
}

fn classify(e: &PgError) -> Check {
    let refused =
        [SqlState::INVALID_PASSWORD, SqlState::INVALID_AUTHORIZATION_SPECIFICATION, SqlState::INSUFFICIENT_PRIVILEGE];
    match e.code() {
        Some(code) if refused.contains(code) => Check::UpButRefused(e.to_string()),
        Some(_) => Check::NotYet(e.to_string()),
        None if e.is_unreachable() => Check::Unreachable(e.to_string()),
        None => Check::NotYet(e.to_string()),
    }
}

/// Whether a URI's hosts are this machine (an unparseable URI counts as remote).
pub fn is_loopback(uri: &str) -> bool {
    ConnInfo::parse(uri).is_ok_and(|c| c.is_loopback())
}
