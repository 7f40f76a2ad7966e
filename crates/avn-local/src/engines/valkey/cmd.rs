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

/// How long one command may take (a snapshot of millions of keys takes seconds).
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
    if info_field(&mut c, "persistence", "rdb_last_bgsave_status").await? != "ok" {
        return Err(ValkeyError::Refused(format!(
            "the snapshot (BGSAVE) failed: {}",
            crate::engines::valkey::server::log_tail(layout)
        )));
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

/// The fence key's value, as the control plane reads it (whatever the users may read).
pub async fn fence(layout: &Layout) -> Result<Option<String>, ValkeyError> {
    let mut c = admin(layout).await?;
    Ok(redis::cmd("GET").arg(avn_api::writes::VALKEY_FENCE_KEY).query_async(&mut c).await?)
}

/// A read-only script that answers each key's expiry time (`PEXPIRETIME`: -1 none, -2 gone).
const EXPIRY_TIMES: &str = "local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('PEXPIRETIME', k) end return r";

const FENCE: &str = avn_api::writes::VALKEY_FENCE_KEY;

/// How many write commands the server has run since it started: the `calls` of every command of
/// the `@write` category in `INFO commandstats` (commands run by scripts and transactions
/// included; expiry and eviction are not commands, and refused commands are not calls).
pub async fn write_calls(layout: &Layout) -> Result<u64, ValkeyError> {
    let mut c = admin(layout).await?;
    let writes: Vec<String> =
        redis::cmd("COMMAND").arg("LIST").arg("FILTERBY").arg("ACLCAT").arg("write").query_async(&mut c).await?;
    let stats: String = redis::cmd("INFO").arg("commandstats").query_async(&mut c).await?;
    Ok(sum_calls(&stats, &writes))
}

/// The `calls` of `commands` (subcommands named `parent|sub`, as `COMMAND LIST` names them) in an
/// `INFO commandstats` answer.
pub fn sum_calls(stats: &str, commands: &[String]) -> u64 {
    let set: std::collections::HashSet<&str> = commands.iter().map(String::as_str).collect();
    stats
        .lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            set.contains(name).then_some(rest)
        })
        .filter_map(|rest| rest.split(',').find_map(|kv| kv.strip_prefix("calls=")?.parse::<u64>().ok()))
        .sum()
}

/// What the server holds, to compare a fork with its source: the keys of every database whose
/// expiry is none or after `cutoff` (UNIX milliseconds), counted, and a digest of each one's
/// database, name, value (`DEBUG DIGEST-VALUE`) and exact expiry time, combined in any order.
/// Keys that expire by `cutoff` are left out on both sides: one side may have dropped them
/// before the other. Read in batches (`SCAN`), so the server keeps serving meanwhile; a key
/// `SCAN` returns twice is counted once.
pub async fn digest(layout: &Layout, cutoff: i64) -> Result<(u64, String), ValkeyError> {
    use sha2::Digest as _;
    let mut c = admin(layout).await?;
    let (_, dbs): (String, String) = redis::cmd("CONFIG").arg("GET").arg("databases").query_async(&mut c).await?;
    let dbs: u32 = dbs.parse().unwrap_or(16);
    let mut acc = [0u8; 32];
    let mut keys = 0u64;
    for db in 0..dbs {
        let _: () = redis::cmd("SELECT").arg(db).query_async(&mut c).await?;
        let mut seen = std::collections::HashSet::<[u8; 16]>::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<Vec<u8>>) =
                redis::cmd("SCAN").arg(cursor).arg("COUNT").arg(10_000).query_async(&mut c).await?;
            let fresh: Vec<Vec<u8>> = batch
                .into_iter()
                .filter(|k| {
                    let h = sha2::Sha256::new().chain_update(db.to_le_bytes()).chain_update(k).finalize();
                    seen.insert(h[..16].try_into().expect("16 bytes"))
                })
                .collect();
            if !fresh.is_empty() {
                // Each key's expiry in one script call, then each value's digest in one command.
                let expiries: Vec<i64> =
                    redis::cmd("EVAL_RO").arg(EXPIRY_TIMES).arg(fresh.len()).arg(&fresh).query_async(&mut c).await?;
                let values: Vec<String> =
                    redis::cmd("DEBUG").arg("DIGEST-VALUE").arg(&fresh).query_async(&mut c).await?;
                for ((k, expiry), value) in fresh.iter().zip(expiries).zip(values) {
                    // -2: gone meanwhile; -1: no expiry. The fence key is checked on its own (a
                    // rename removes it from NEW once verified).
                    if expiry == -2 || (expiry != -1 && expiry <= cutoff) || (db == 0 && k == FENCE.as_bytes()) {
                        continue;
                    }
                    let h = sha2::Sha256::new()
                        .chain_update(db.to_le_bytes())
                        .chain_update((k.len() as u64).to_le_bytes())
                        .chain_update(k)
                        .chain_update(value.as_bytes())
                        .chain_update(expiry.to_le_bytes())
                        .finalize();
                    for (a, b) in acc.iter_mut().zip(h) {
                        *a ^= b;
                    }
                    keys += 1;
                }
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok((keys, acc.iter().map(|b| format!("{b:02x}")).collect()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_calls_are_summed_with_subcommands() {
        let stats = "# Commandstats\r\ncmdstat_set:calls=5,usec=9,usec_per_call=1.8,rejected_calls=2,failed_calls=0\r\n\
                     cmdstat_get:calls=7,usec=1\r\ncmdstat_function|load:calls=1,usec=3\r\ncmdstat_function|list:calls=4\r\n\
                     cmdstat_del:calls=2,usec=1\r\n";
        let writes = ["set", "del", "function|load"].map(String::from);
        assert_eq!(super::sum_calls(stats, &writes), 8);
        assert_eq!(super::sum_calls(stats, &[]), 0);
    }

    #[test]
    fn info_fields_are_read() {
        let info = "# Persistence\r\nloading:0\r\nrdb_bgsave_in_progress:1\r\nrdb_last_bgsave_status:ok\r\n";
        assert_eq!(super::parse_info(info, "rdb_bgsave_in_progress").as_deref(), Some("1"));
        assert_eq!(super::parse_info(info, "rdb_bgsave").as_deref(), None);
    }
}
