//! Whether a Caching service accepts connections: a TLS session with the service URI's login
//! (`AUTH`), then `PING`, classified like PostgreSQL's check.

use std::time::Duration;

use super::postgres::Check;
use crate::valkey::VkConn;
use crate::valkey::VkError;

pub async fn check(conn: Result<VkConn, VkError>) -> Check {
    let plain = conn.as_ref().ok().filter(|c| c.is_tls()).cloned();
    let attempt = async {
        let mut c = conn?.connect(Duration::from_secs(10)).await?;
        let pong: String = redis::cmd("PING").query_async(&mut c).await.map_err(VkError::from)?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(VkError::Other(format!("PING answered {pong:?}")))
        }
    };
    let timed_out = match tokio::time::timeout(Duration::from_secs(15), attempt).await {
        Ok(Ok(())) => return Check::Ready,
        Ok(Err(e)) if !e.to_string().contains("timed out") => return classify(e),
        Ok(Err(e)) => e.to_string(),
        Err(_) => "connection timed out".to_string(),
    };
    // A plain-text server never answers a TLS handshake (it waits for a line): ask it in plain
    // text, without a login, whether that is what it is.
    if let Some(c) = plain {
        if c.answers_in_plain_text().await {
            return classify(VkError::TlsDeclined("a plain-text server answers on its port".into()));
        }
    }
    Check::Unreachable(timed_out)
}

fn classify(e: VkError) -> Check {
    match e {
        VkError::Certificate(_) | VkError::TlsDeclined(_) => Check::Insecure(e.to_string()),
        VkError::Refused(_) => Check::UpButRefused(e.to_string()),
        VkError::Unreachable(_) => Check::Unreachable(e.to_string()),
        _ => Check::NotYet(e.to_string()),
    }
}
