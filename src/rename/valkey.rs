//! A rename of a Caching service on avn local: writes stopped and the fence key written by the
//! control plane (its users lose the `@write` commands and their connections; service users
//! cannot change ACLs), a fresh snapshot forked, then what is read: the fence key on NEW with the
//! service's own login over TLS, and the key count and `DEBUG DIGEST` of each side from the
//! control plane (service users may not run `DEBUG`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::valkey::VkConn;
use crate::valkey::VkError;

/// What a service holds: its key count and digest (equal for equal keys, values and expiry times).
pub async fn fingerprint(
    client: &avn_client::Client,
    project: &str,
    service: &str,
) -> Result<BTreeMap<String, String>, avn_client::Error> {
    let d = client.local_digest(project, service).await?;
    Ok([("keys".to_string(), d.keys.to_string()), ("digest".to_string(), d.digest)].into_iter().collect())
}

/// Whether the server holds the fence key with value `id`.
pub async fn fence_holds(conn: &VkConn, id: &str) -> Result<bool, VkError> {
    let mut c = conn.connect(Duration::from_secs(10)).await?;
    let v: Option<String> =
        redis::cmd("GET").arg(avn_api::writes::VALKEY_FENCE_KEY).query_async(&mut c).await.map_err(VkError::from)?;
    Ok(v.as_deref() == Some(id))
}

/// Delete the fence key from a server that takes writes (NEW).
pub async fn fence_remove(conn: &VkConn) -> Result<(), VkError> {
    let mut c = conn.connect(Duration::from_secs(10)).await?;
    let _: i64 =
        redis::cmd("DEL").arg(avn_api::writes::VALKEY_FENCE_KEY).query_async(&mut c).await.map_err(VkError::from)?;
    Ok(())
}

/// Prove that the service's own login can no longer write: a `SET` must be refused (`NOPERM`).
/// Returns the server's refusal.
pub async fn write_fails(conn: &VkConn) -> Result<Result<String, String>, VkError> {
    let mut c = conn.connect(Duration::from_secs(10)).await?;
    let r: Result<(), redis::RedisError> = redis::cmd("SET").arg("avn:write-probe").arg("1").query_async(&mut c).await;
    Ok(match r {
        Err(e) if e.code() == Some("NOPERM") => Ok(e.to_string()),
        Err(e) => Err(e.to_string()),
        Ok(()) => Err("the write succeeded".into()),
    })
}
