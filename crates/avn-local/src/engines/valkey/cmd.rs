//! The control plane's sessions with a server: over its unix socket, as `avn_admin`.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::ConnectionAddr;
use redis::ConnectionInfo;
use redis::IntoConnectionInfo;
use redis::RedisConnectionInfo;

use super::server;
use super::ValkeyError;
use crate::engines::Layout;

/// The control plane's own ACL user.
pub const INTERNAL_ADMIN: &str = "avn_admin";

/// How long one command may take (a `DEBUG DIGEST` of millions of keys takes seconds).
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(600);

/// A session as `avn_admin` on the instance's socket.
pub async fn admin(layout: &Layout) -> Result<MultiplexedConnection, ValkeyError> {
    let password = std::fs::read_to_string(server::admin_password_file(layout))?;
    let info: ConnectionInfo = ConnectionAddr::Unix(server::socket(layout)).into_connection_info()?.set_redis_settings(
        RedisConnectionInfo::default()
            .set_username(INTERNAL_ADMIN)
            .set_password(password.trim())
            .set_skip_set_lib_name(),
    );
    let client = redis::Client::open(info)?;
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_response_timeout(Some(RESPONSE_TIMEOUT));
    Ok(client.get_multiplexed_async_connection_with_config(&config).await?)
}

/// `PING` as the control plane: `PONG`, or an error (`LOADING` while the RDB loads).
pub async fn ping(layout: &Layout) -> Result<(), ValkeyError> {
    let mut c = admin(layout).await?;
    let pong: String = redis::cmd("PING").query_async(&mut c).await?;
    if pong == "PONG" {
        Ok(())
    } else {
        Err(ValkeyError::Refused(format!("PING answered {pong:?}")))
    }
}

/// One field of `INFO section` (`rdb_bgsave_in_progress`).
pub async fn info_field(c: &mut MultiplexedConnection, section: &str, field: &str) -> Result<String, ValkeyError> {
    let text: String = redis::cmd("INFO").arg(section).query_async(c).await?;
    Ok(parse_info(&text, field).unwrap_or_default())
}

/// A field of an `INFO` answer.
pub fn parse_info(text: &str, field: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':')).map(|v| v.trim().to_string())
}

/// Take an RDB snapshot now (`BGSAVE`) and wait until it is on disk; fails if it failed.
pub async fn snapshot(layout: &Layout) -> Result<(), ValkeyError> {
    let mut c = admin(layout).await?;
    let before: i64 = redis::cmd("LASTSAVE").query_async(&mut c).await?;
    // One already running (the server's own `save` points) is waited for, then another taken, so
    // the snapshot holds everything written before this call.
    wait_no_bgsave(&mut c).await?;
    let r: Result<String, redis::RedisError> = redis::cmd("BGSAVE").query_async(&mut c).await;
    if let Err(e) = r {
        // "Background save already in progress" after our wait: a save point fired; take ours
        // once it ends.
        if !e.to_string().contains("already in progress") {
            return Err(e.into());
        }
        wait_no_bgsave(&mut c).await?;
        let _: String = redis::cmd("BGSAVE").query_async(&mut c).await?;
    }
    wait_no_bgsave(&mut c).await?;
    let status = info_field(&mut c, "persistence", "rdb_last_bgsave_status").await?;
    let after: i64 = redis::cmd("LASTSAVE").query_async(&mut c).await?;
    if status != "ok" {
        return Err(ValkeyError::Refused(format!(
            "the snapshot (BGSAVE) failed: {}",
            crate::engines::valkey::server::log_tail(layout)
        )));
    }
    if after < before {
        return Err(ValkeyError::Refused("the snapshot (BGSAVE) did not complete".into()));
    }
    Ok(())
}

async fn wait_no_bgsave(c: &mut MultiplexedConnection) -> Result<(), ValkeyError> {
    loop {
        if info_field(c, "persistence", "rdb_bgsave_in_progress").await? != "1" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `DBSIZE` of database 0 and every other, and `DEBUG DIGEST` (blocks the server meanwhile).
pub async fn digest(layout: &Layout) -> Result<(u64, String), ValkeyError> {
    let mut c = admin(layout).await?;
    let keyspace: String = redis::cmd("INFO").arg("keyspace").query_async(&mut c).await?;
    let keys = keyspace_keys(&keyspace);
    let digest: String = redis::cmd("DEBUG").arg("DIGEST").query_async(&mut c).await?;
    Ok((keys, digest))
}

/// Keys in every database, from `INFO keyspace` (`db0:keys=3,expires=1,avg_ttl=0`).
pub fn keyspace_keys(text: &str) -> u64 {
    text.lines()
        .filter(|l| l.starts_with("db"))
        .filter_map(|l| l.split_once(':')?.1.split(',').find_map(|kv| kv.strip_prefix("keys=")?.parse::<u64>().ok()))
        .sum()
}

#[cfg(test)]
mod tests {
    #[test]
    fn info_fields_and_key_counts_are_read() {
        let info = "# Persistence\r\nloading:0\r\nrdb_bgsave_in_progress:1\r\nrdb_last_bgsave_status:ok\r\n";
        assert_eq!(super::parse_info(info, "rdb_bgsave_in_progress").as_deref(), Some("1"));
        assert_eq!(super::parse_info(info, "rdb_bgsave").as_deref(), None);
        let ks = "# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=0\r\ndb2:keys=4,expires=0,avg_ttl=0\r\n";
        assert_eq!(super::keyspace_keys(ks), 7);
        assert_eq!(super::keyspace_keys("# Keyspace\r\n"), 0);
    }
}
