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
    /// TLS the URI requires was declined, or the certificate did not verify: waiting cannot help,
    /// and no password was sent.
    Insecure(String),
}

/// `SELECT 1` with the service URI, classified.
pub async fn check(conn: Result<ConnInfo, PgError>) -> Check {
    let attempt = async {
        let client = conn?.connect().await?;
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
    if matches!(e, PgError::TlsDeclined { .. } | PgError::Certificate { .. }) {
        return Check::Insecure(e.to_string());
    }
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
