//! Binary logs: archived as they close, counted for the backup trigger, trimmed by retention; the
//! clock that maps instants to positions in them; and the keeper that archives them and keeps the
//! clock beside a running server.
//!
//! # The clock
//!
//! Binary log events carry whole seconds, and a transaction's commit is when it is written to
//! the binary log. The keeper reads the server's position (`SHOW MASTER STATUS`) every
//! [`CLOCK_EVERY`] and, whenever it moved, appends a line to `archive/<binlog>.clock`:
//! `BEFORE AT POS`, meaning "at BEFORE (µs since the epoch) the position was still the previous
//! line's; at AT it was POS". So every transaction up to POS committed at or before AT, and every
//! one after the previous position committed after BEFORE. A fork to T cuts the log at the last
//! position seen at or before T: exactly the transactions committed at or before T when the
//! position did not move between T and the next look, else exactly those committed at or before
//! the last look before T, which is what the fork says it restored to. A `BEFORE` of 0 means the
//! clock did not look meanwhile (the keeper was not running).

use std::collections::HashMap;
use std::path::Path;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use mysql_async::prelude::Queryable;

use super::server;
use super::sql;
use super::MysqlError;
use crate::engines::Layout;
use crate::engines::Running;
use crate::manager::Manager;
use crate::store::ServiceRec;

/// How often the keeper reads the server's binary log position: the bound on how far before its
/// target a fork under constant writes may have to stop.
pub const CLOCK_EVERY: Duration = Duration::from_millis(25);
/// How often the keeper archives closed binary logs.
const ARCHIVE_EVERY: Duration = Duration::from_secs(2);

/// Whether `name` is a binary log file of ours (`binlog.000123`).
pub fn is_binlog(name: &str) -> bool {
    name.strip_prefix("binlog.").is_some_and(|n| n.len() >= 6 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The server's binary logs, oldest first, from its index; the last is the one being written.
pub fn server_binlogs(layout: &Layout) -> Vec<String> {
    let index = std::fs::read_to_string(server::binlog_dir(layout).join("binlog.index")).unwrap_or_default();
    index
        .lines()
        .filter_map(|l| Path::new(l.trim()).file_name().map(|n| n.to_string_lossy().to_string()))
        .filter(|n| is_binlog(n))
        .collect()
}

/// The archived binary logs, oldest first.
pub fn archived(layout: &Layout) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(layout.archive())
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().to_string()).filter(|n| is_binlog(n)).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// Copy every closed binary log not yet archived into the archive, each crash-safely (a
/// temporary name, synced, renamed, the directory synced). Returns how many were copied.
pub fn archive_closed(layout: &Layout) -> std::io::Result<usize> {
    archive(layout, false)
}

/// After the server stopped: every binary log is closed. Archive them all, and end the clock at
/// the end of the last one, as of now (`BEFORE` 0: what came after the keeper's last look is not
/// placed in time), so a fork to an instant before the stop never claims more than it knows.
pub fn seal(layout: &Layout) -> std::io::Result<()> {
    archive(layout, true)?;
    let Some(last) = server_binlogs(layout).pop() else { return Ok(()) };
    let size = std::fs::metadata(server::binlog_dir(layout).join(&last))?.len();
    clock_observe(layout, &(last, size), None, now_us())
}

fn archive(layout: &Layout, include_last: bool) -> std::io::Result<usize> {
    // The keeper and `flush` both archive: one at a time (they would share temporary names).
    static ARCHIVING: Mutex<()> = Mutex::new(());
    let _one = ARCHIVING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut logs = server_binlogs(layout);
    if !include_last {
        logs.pop(); // the one being written
    }
    let have = archived(layout);
    let mut n = 0;
    for name in logs.iter().filter(|l| !have.contains(l)) {
        let from = server::binlog_dir(layout).join(name);
        if !from.exists() {
            continue;
        }
        let to = layout.archive().join(name);
        let tmp = avn_util::crashsafe::temp_path(&to);
        std::fs::copy(&from, &tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        avn_util::crashsafe::persist(&tmp, &to)?;
        n += 1;
    }
    Ok(n)
}

/// Where a binary log is: archived, or still only in the server's directory.
pub fn locate(layout: &Layout, name: &str) -> Option<PathBuf> {
    [layout.archive().join(name), server::binlog_dir(layout).join(name)].into_iter().find(|p| p.exists())
}

/// Bytes of binary log written after `file`:`pos`.
pub async fn bytes_since(layout: &Layout, file: &str, pos: u64) -> Result<u64, MysqlError> {
    let mut names = archived(layout);
    names.extend(server_binlogs(layout));
    names.sort();
    names.dedup();
    let total: u64 = names
        .iter()
        .filter(|n| n.as_str() >= file)
        .filter_map(|n| locate(layout, n))
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    Ok(total.saturating_sub(pos))
}

/// Remove archived binary logs before `oldest_needed` (the oldest kept backup's) that are older
/// than `retention`. Returns how many were removed.
pub fn trim(layout: &Layout, oldest_needed: &str, retention: Duration) -> std::io::Result<usize> {
    let mut n = 0;
    for name in archived(layout).into_iter().filter(|n| n.as_str() < oldest_needed) {
        let p = layout.archive().join(&name);
        let age = std::fs::metadata(&p)?.modified()?.elapsed().unwrap_or_default();
        if age >= retention {
            std::fs::remove_file(&p)?;
            let _ = std::fs::remove_file(clock_path(layout, &name));
            n += 1;
        }
    }
    if n > 0 {
        avn_util::crashsafe::sync_dir(&layout.archive())?;
    }
    Ok(n)
}

/// Close the current binary log (`FLUSH BINARY LOGS`) and archive it: everything committed so far
/// is then in the archive. The clock records where the server was just before (so a power-off
/// leaves its last position in the clock). Returns that position.
pub async fn flush(layout: &Layout) -> Result<(String, u64), MysqlError> {
    let mut c = sql::admin(layout).await?;
    let at = master_status(&mut c).await?;
    clock_observe(layout, &at, None, now_us())?;
    c.query_drop("FLUSH BINARY LOGS").await?;
    c.disconnect().await?;
    let l = layout.clone();
    tokio::task::spawn_blocking(move || archive_closed(&l)).await??;
    Ok(at)
}

/// The binary log file and position the server writes at.
pub async fn master_status(c: &mut mysql_async::Conn) -> Result<(String, u64), MysqlError> {
    let row: Option<mysql_async::Row> = c.query_first("SHOW MASTER STATUS").await?;
    let row = row.ok_or_else(|| MysqlError::Tool("SHOW MASTER STATUS: binary logging is off".into()))?;
    let file: String = row.get(0).unwrap_or_default();
    let pos: u64 = row.get(1).unwrap_or_default();
    Ok((file, pos))
}

/// Keepers running, by instance id, with the pid of the server each keeps.
static KEEPERS: Mutex<Option<HashMap<String, i32>>> = Mutex::new(None);

/// Start the keeper of a running service's server, unless one already keeps that server.
pub fn spawn_keeper(m: &Manager, rec: &ServiceRec) {
    let Some(running) = m.running(&rec.id) else { return };
    {
        let mut k = KEEPERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let map = k.get_or_insert_with(HashMap::new);
        if map.get(&rec.id) == Some(&running.pid) {
            return;
        }
        map.insert(rec.id.clone(), running.pid);
    }
    let (layout, id, name) = (m.layout(&rec.id), rec.id.clone(), rec.name.clone());
    let log_bin = crate::catalog::keeps_backups(&rec.plan);
    tokio::spawn(async move {
        keep(&layout, &running, &name, log_bin).await;
        let mut k = KEEPERS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(map) = k.as_mut() {
            if map.get(&id) == Some(&running.pid) {
                map.remove(&id);
            }
        }
    });
}

/// While the server lives: the clock kept, closed binary logs archived (then purged from the
/// server's directory) when it writes them, and application accounts kept within `avnadmin`'s
/// privileges.
async fn keep(layout: &Layout, running: &Running, name: &str, log_bin: bool) {
    sweep_temporaries(layout);
    // Two loops, so that archiving (a copy of up to 64 MiB, synced) never delays the clock.
    tokio::join!(keep_clock(layout, running, name, log_bin), keep_archive(layout, running, name, log_bin));
}

/// The clock: the server's binary log position read every [`CLOCK_EVERY`].
async fn keep_clock(layout: &Layout, running: &Running, name: &str, log_bin: bool) {
    if !log_bin {
        return;
    }
    let mut conn: Option<mysql_async::Conn> = None;
    // The last position seen, and when the look began; None until the first look (the clock's
    // BEFORE is then 0).
    let mut last: Option<((String, u64), i64)> = None;
    let mut failing = false;
    while running.is_alive() {
        tokio::time::sleep(CLOCK_EVERY).await;
        if !running.is_alive() {
            break;
        }
        if conn.is_none() {
            match sql::admin(layout).await {
                Ok(c) => conn = Some(c),
                Err(e) => {
                    if !failing {
                        tracing::warn!(service = %name, "the control plane cannot log in to its server: {e}");
                    }
                    failing = true;
                }
            }
            last = None;
        }
        if let Some(c) = conn.as_mut() {
            // The position is read between these two instants: every commit up to it happened
            // before `after`, every later one after `began`.
            let began = now_us();
            match master_status(c).await {
                Ok(now) => {
                    failing = false;
                    let after = now_us();
                    let before = last.as_ref().map(|(p, t)| (*t, p));
                    if last.as_ref().map(|(p, _)| p) != Some(&now) {
                        if let Err(e) = clock_observe(layout, &now, before, after) {
                            tracing::warn!(service = %name, "binary log clock: {e}");
                        }
                    }
                    last = Some((now, began));
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(service = %name, "binary log clock: {e}");
                    }
                    failing = true;
                    conn = None;
                }
            }
        }
    }
}

/// Every [`ARCHIVE_EVERY`]: application accounts kept within `avnadmin`'s privileges, closed
/// binary logs archived, then purged from the server's directory.
async fn keep_archive(layout: &Layout, running: &Running, name: &str, log_bin: bool) {
    let mut conn: Option<mysql_async::Conn> = None;
    while running.is_alive() {
        tokio::time::sleep(ARCHIVE_EVERY).await;
        if !running.is_alive() {
            break;
        }
        if conn.is_none() {
            // The clock's loop says when the control plane cannot log in.
            conn = sql::admin(layout).await.ok();
        }
        if let Some(c) = conn.as_mut() {
            match sql::enforce_privileges(c).await {
                Ok(over) if !over.is_empty() => tracing::warn!(
                    service = %name,
                    accounts = ?over,
                    "accounts held more than avnadmin may (written into mysql.*): taken back"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(service = %name, "checking account privileges: {e}");
                    conn = None;
                }
            }
        }
        if !log_bin {
            continue;
        }
        let l = layout.clone();
        match tokio::task::spawn_blocking(move || archive_closed(&l)).await {
            Ok(Ok(n)) if n > 0 => {
                if let Some(c) = conn.as_mut() {
                    let _ = purge_archived(layout, c).await;
                }
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(service = %name, "archiving binary logs: {e}"),
            Err(e) => tracing::warn!(service = %name, "archiving binary logs: {e}"),
        }
    }
}

/// One line of the clock: at `before` the position was still the previous one (0: unknown), at
/// `at` it was `file`:`pos`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub before: i64,
    pub at: i64,
    pub file: String,
    pub pos: u64,
}

fn clock_path(layout: &Layout, file: &str) -> PathBuf {
    layout.archive().join(format!("{file}.clock"))
}

fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// The last position each instance's clock ends at (both the keeper and `flush` write lines).
static CLOCK_ENDS: Mutex<Option<HashMap<PathBuf, (String, u64)>>> = Mutex::new(None);

/// Record that the position was `now` by `at` (unless the clock already ends there); `before`:
/// when a look that still saw position `.1` began (None: not known). A `before` about another
/// position than the clock's last line (`flush` wrote one meanwhile) is not known either.
pub fn clock_observe(
    layout: &Layout,
    now: &(String, u64),
    before: Option<(i64, &(String, u64))>,
    at: i64,
) -> std::io::Result<()> {
    use std::io::Write;
    let (file, pos) = now;
    let mut ends = CLOCK_ENDS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let ends = ends.get_or_insert_with(HashMap::new);
    let end = match ends.get(&layout.root) {
        Some(e) => Some(e.clone()),
        None => {
            let ticks = read_clock_file(&clock_path(layout, file), file);
            let last = if ticks.is_empty() { last_tick_before(layout, file) } else { ticks.last().cloned() };
            last.map(|t| (t.file, t.pos))
        }
    };
    // Already there, or behind it (`flush` wrote a later position meanwhile).
    if end.as_ref().is_some_and(|e| e >= now) {
        return Ok(());
    }
    let before = before.filter(|(_, seen)| end.as_ref() == Some(*seen)).map_or(0, |(b, _)| b);
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(clock_path(layout, file))?;
    // One write per line, ended by a mark: a line cut by a crash is never read as a tick.
    f.write_all(format!("{before} {at} {pos} .\n").as_bytes())?;
    ends.insert(layout.root.clone(), now.clone());
    Ok(())
}

/// The last tick of the clock files before `file`'s.
fn last_tick_before(layout: &Layout, file: &str) -> Option<Tick> {
    let mut names: Vec<String> = std::fs::read_dir(layout.archive())
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".clock").map(str::to_string))
        .filter(|n| is_binlog(n) && n.as_str() < file)
        .collect();
    names.sort();
    let last = names.pop()?;
    read_clock_file(&clock_path(layout, &last), &last).pop()
}

/// The ticks of one clock file: complete lines only (`BEFORE AT POS .`), each later than the one
/// before (a line a crash cut, or one out of order, is left out).
fn read_clock_file(path: &Path, file: &str) -> Vec<Tick> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<Tick> = vec![];
    for l in text.split_inclusive('\n').filter(|l| l.ends_with('\n')) {
        let w: Vec<&str> = l.split_whitespace().collect();
        let [before, at, pos, "."] = w.as_slice() else { continue };
        let (Ok(before), Ok(at), Ok(pos)) = (before.parse(), at.parse(), pos.parse::<u64>()) else { continue };
        if out.last().is_some_and(|t| t.pos >= pos || t.at > at) {
            continue;
        }
        out.push(Tick { before, at, file: file.to_string(), pos });
    }
    out
}

/// Temporary copies a crash left in the archive (`.binlog.N.PID.tmp`): never trusted, removed.
fn sweep_temporaries(layout: &Layout) {
    let Ok(rd) = std::fs::read_dir(layout.archive()) else { return };
    for e in rd.flatten() {
        let n = e.file_name().to_string_lossy().to_string();
        // Ours (this process's pid) may be being written right now.
        let mine = n.ends_with(&format!(".{}.tmp", std::process::id()));
        if n.starts_with(".binlog.") && n.ends_with(".tmp") && !mine {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The clock's ticks from binary log `from` on, in order.
pub fn clock(layout: &Layout, from: &str) -> Vec<Tick> {
    let mut names: Vec<String> = std::fs::read_dir(layout.archive())
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".clock").map(str::to_string))
                .filter(|n| is_binlog(n) && n.as_str() >= from)
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.iter().flat_map(|n| read_clock_file(&clock_path(layout, n), n)).collect()
}

/// Purge from the server's directory the binary logs that are archived (all before the oldest
/// one that is not).
async fn purge_archived(layout: &Layout, c: &mut mysql_async::Conn) -> Result<(), MysqlError> {
    let have = archived(layout);
    let first_unarchived = server_binlogs(layout).into_iter().find(|n| !have.contains(n));
    // Never past what a standby still has to read (it may be disconnected: restarting, being
    // built, or waiting for a restarted primary).
    let first_needed = match super::standby::oldest_needed(layout) {
        super::standby::Needs::Nothing => None,
        super::standby::Needs::From(file) => Some(file),
        super::standby::Needs::Unknown => return Ok(()),
    };
    if let Some(to) = first_unarchived.into_iter().chain(first_needed).min() {
        c.query_drop(format!("PURGE BINARY LOGS TO {}", sql::literal(&to))).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn binlog_names() {
        assert!(super::is_binlog("binlog.000001"));
        assert!(!super::is_binlog("binlog.index"));
        assert!(!super::is_binlog("binlog.000001.tmp"));
    }
}
