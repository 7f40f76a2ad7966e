//! Whether a Caching service accepts connections: a TLS session with the service URI's login
//! (`AUTH`), then `PING`, classified like PostgreSQL's check.

use std::time::Duration;

use super::postgres::Check;
use crate::valkey::VkConn;
use crate::valkey::VkError;

pub async fn check(conn: Result<VkConn, VkError>) -> Check {
    let attempt = async {
        let mut c = conn?.connect(Duration::from_secs(10)).await?;
        let pong: String = redis::cmd("PING").query_async(&mut c).await.map_err(VkError::from)?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(VkError::Other(format!("PING answered {pong:?}")))
        }
    };
    match tokio::time::timeout(Duration::from_secs(15), attempt).await {
        Ok(Ok(())) => Check::Ready,
        Ok(Err(e)) => classify(e),
        Err(_) => Check::Unreachable("connection timed out".into()),
    }
}

fn classify(e: VkError) -> Check {
    match e {
        VkError::Certificate(_) => Check::Insecure(e.to_string()),
        VkError::Refused(_) => Check::UpButRefused(e.to_string()),
        VkError::Unreachable(_) => Check::Unreachable(e.to_string()),
        _ => Check::NotYet(e.to_string()),
    }
}
