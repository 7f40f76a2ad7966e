//! A rename of a Caching service on avn local: writes stopped and the fence key written by the
//! control plane (its users lose the `@write` commands and their connections, each proven unable
//! to write; service users cannot change ACLs), a fresh snapshot forked, then what the control
//! plane reads on each side (whatever the service's users may read): the fence key on NEW, and
//! the key count and digest of both.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::valkey::VkConn;
use crate::valkey::VkError;

/// Keys that expire within this long of the comparison are left out of it: one side may drop them
/// before the other while both are read (the fork holds them by construction).
pub const EXPIRY_MARGIN_MS: i64 = 5 * 60 * 1000;

/// What a service holds: its key count and digest of the keys that do not expire by `cutoff`
/// (UNIX milliseconds; database, name, value and exact expiry time of each), and the cutoff.
pub async fn fingerprint(
    client: &avn_client::Client,
    project: &str,
    service: &str,
    cutoff: i64,
) -> Result<BTreeMap<String, String>, avn_client::Error> {
    let d = client.local_digest(project, service, cutoff).await?;
    Ok([
        ("keys".to_string(), d.keys.to_string()),
        ("digest".to_string(), d.digest),
        ("cutoff".into(), cutoff.to_string()),
    ]
    .into_iter()
    .collect())
}

/// The cutoff for comparing OLD with NEW now: the margin from now, and never before the one the
/// stop recorded. Sound because OLD takes no writes once stopped: a later cutoff only leaves out
/// more keys on both sides.
pub fn cutoff_now(stopped: Option<&BTreeMap<String, String>>) -> i64 {
    let now = jiff::Timestamp::now().as_millisecond() + EXPIRY_MARGIN_MS;
    stopped.and_then(|f| f.get("cutoff")).and_then(|c| c.parse().ok()).map_or(now, |c: i64| c.max(now))
}

/// How many write commands OLD has run (see `avn_api::writes::WritesState::write_calls`): the
/// delete step checks that it has not moved since OLD was verified (expiry does not move it).
pub async fn write_calls(client: &avn_client::Client, project: &str, service: &str) -> anyhow::Result<String> {
    let state = client.local_writes(project, service).await?;
    let n =
        state.write_calls.ok_or_else(|| anyhow::anyhow!("avn local did not say how many writes '{service}' ran"))?;
    Ok(n.to_string())
}

/// Whether the service holds the fence key with value `id` (read by the control plane).
pub async fn fence_holds(
    client: &avn_client::Client,
    project: &str,
    service: &str,
    id: &str,
) -> Result<bool, avn_client::Error> {
    Ok(client.local_fence(project, service).await?.fence.as_deref() == Some(id))
}

/// Delete the fence key from NEW, as its control plane (NEW takes writes; `lease`: the rename's,
/// which NEW was born with).
pub async fn fence_remove(
    client: &avn_client::Client,
    project: &str,
    service: &str,
    lease: Option<String>,
) -> Result<(), avn_client::Error> {
    let change = avn_api::writes::WritesChange { stopped: false, fence: None, remove_fence: true, lease };
    client.local_set_writes(project, service, &change).await.map(|_| ())
}

/// Prove that the service's own login can no longer write: a `SET` must be refused (`NOPERM`;
/// the control plane has proven each user lacks the command). Returns the server's refusal.
pub async fn write_fails(conn: &VkConn) -> Result<Result<String, String>, VkError> {
    let mut c = conn.connect(Duration::from_secs(10)).await?;
    let r: Result<(), redis::RedisError> = redis::cmd("SET").arg("avn:write-probe").arg("1").query_async(&mut c).await;
    Ok(match r {
        Err(e) if e.code() == Some("NOPERM") => Ok(e.to_string()),
        Err(e) => Err(e.to_string()),
        Ok(()) => Err("the write succeeded".into()),
    })
}
