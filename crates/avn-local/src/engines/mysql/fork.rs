//! A MySQL fork: to the latest transaction, a fresh `mariadb-backup` of the running source
//! straight into the fork, prepared; to an instant (or from a powered-off source), the newest
//! base backup at or before it, restored, then the archived binary logs replayed from the
//! backup's position and cut at the last position the clock saw at or before the target (see
//! [`choose_cut`]). The replay is the server's own replication SQL thread applying the archived
//! logs staged as its relay log, cut at that position; it runs with relaxed durability and no
//! binary log, and a clean shutdown makes it durable before the fork starts for good.

use std::path::Path;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use super::backup;
use super::backup::Label;
use super::binlog;
use super::engine;
use super::server;
use super::sql;
use super::Maria;
use super::MysqlError;
use crate::engines::layout::remove_tree;
use crate::engines::layout::size_of;
use crate::engines::Layout;
use crate::error::OpError;
use crate::manager::Manager;
use crate::model::ForkOrigin;
use crate::store::ServiceRec;

/// Room a fork needs: the source's data directory, plus what replay and start-up write.
pub fn needs_bytes(m: &Manager, source: &ServiceRec) -> u64 {
    crate::engines::layout::dir_size(&m.layout(&source.id).data()) + (64 << 20)
}

/// Where replay stops, and what the fork then holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Cut {
    /// The last binary log and the position in it to replay to; None: everything archived.
    pub stop: Option<(String, u64)>,
    /// Whether the fork holds exactly the transactions committed at or before the target.
    pub exact: bool,
    /// When not exact: the instant the fork holds exactly the transactions committed at or before
    /// (None: the base backup's own instant, which is not recorded to the microsecond).
    pub restored_to: Option<Timestamp>,
}

/// Fork `origin`'s source into `rec`'s instance and start it, durable.
pub async fn fork(maria: &Maria, m: &Arc<Manager>, rec: &ServiceRec, origin: &ForkOrigin) -> Result<(), OpError> {
    let source = m.store(|s| s.service_by_id(&origin.source_id))?;
    let src = m.layout(&origin.source_id);
    if !src.root.exists() {
        return Err(OpError::SourceGone);
    }
    let layout = m.layout(&rec.id);
    // A fork redone after a crash of the control plane: its server (started for the replay, in
    // a process group of its own) may still run from the directory about to be removed.
    crate::engines::running::kill_leftovers(&layout.root).await;
    remove_tree(&layout.root).await;
    maria.make_dirs(&layout)?;
    // The control plane's administrator is in the copied accounts: its password comes along.
    let pw = std::fs::read(server::admin_password_file(&src))?;
    avn_util::crashsafe::write(&server::admin_password_file(&layout), &pw, 0o600)?;
    let partial = layout.root.join("data.partial");
    let mut replay: Option<(Label, Cut)> = None;
    // Under the source's operation lock (a power-off or delete of it waits): whether it runs,
    // and then a copy of it, or everything it committed archived.
    let copied_or_end = match &source {
        Some(s) => {
            let lock = m.op_lock(&s.id);
            let _guard = lock.lock().await;
            match (m.running(&s.id).is_some(), origin.target) {
                (true, None) => {
                    copy_running(maria, m, rec, &src, &partial).await?;
                    None
                }
                (true, Some(_)) => Some(Some(binlog::flush(&src).await?)),
                // Powered off: its log ends where the clock's last tick (its power-off) says.
                (false, _) => Some(binlog::clock(&src, "").last().map(|t| (t.file.clone(), t.pos))),
            }
        }
        None => Some(binlog::clock(&src, "").last().map(|t| (t.file.clone(), t.pos))),
    };
    if let Some(end) = copied_or_end {
        let (from, label) = restore_a_backup(m, rec, origin, &src, &partial).await?;
        tracing::info!(fork = %rec.name, backup = %from.display(), ?label, "restored base backup");
        let cut = match origin.target {
            None => Cut { stop: None, exact: true, restored_to: None },
            Some(t) => choose_cut(&binlog::clock(&src, &label.binlog_file), &label, t, end.as_ref()),
        };
        tracing::info!(fork = %rec.name, ?cut, target = ?origin.target, "binary log cut");
        if let Some(t) = origin.target {
            m.store(|s| {
                s.set_fork_result(&rec.id, &avn_api::time::format_zulu(cut.restored_to.unwrap_or(t)), cut.exact)
            })?;
        }
        replay = Some((label, cut));
    }
    remove_tree(&layout.data()).await;
    std::fs::rename(&partial, layout.data())?;
    let beyond_backup = |(label, cut): &(Label, Cut)| {
        cut.stop.as_ref().is_none_or(|stop| *stop > (label.binlog_file.clone(), label.binlog_pos))
    };
    let replay = replay.filter(beyond_backup);
    maria.chown_tree(&layout.data())?;
    let relay = match &replay {
        Some((label, cut)) => stage_relay_log(maria, &src, &layout, label, cut)?,
        None => vec![],
    };
    if let Some((label, _)) = replay {
        let instance = server::Instance {
            port: rec.port,
            relaxed: true,
            log_bin: false,
            replay: true,
            standby: false,
            user_config: &rec.user_config,
        };
        let mut running = engine::start_with(maria, m, &rec.id, &layout, &instance).await?;
        let replayed = apply_relay_log(m, rec, &layout, &label, &relay, &running).await;
        // A clean shutdown writes everything the relaxed replay left in memory; one that needed
        // SIGKILL may have lost the last replayed commits, so the fork is not used.
        let log_before = std::fs::metadata(server::log(&layout)).map(|m| m.len()).unwrap_or(0);
        running.stop().await;
        replayed?;
        if !server::shut_down_cleanly(&layout, log_before) {
            return Err(MysqlError::Exited {
                during: "the shutdown after the binary log replay (not clean: the replayed data may be incomplete)",
                log: server::log_tail(&layout),
            }
            .into());
        }
        remove_relay_log(&layout)?;
    }
    m.report(&rec.id, "finalize", None, 0, 1, 1);
    engine::start(maria, m, rec, rec.port).await?;
    Ok(())
}

/// A consistent copy of the running source: `mariadb-backup` into the fork, then `--prepare`.
async fn copy_running(
    maria: &Maria,
    m: &Arc<Manager>,
    rec: &ServiceRec,
    src: &Layout,
    partial: &std::path::Path,
) -> Result<(), OpError> {
    // The caller holds the source's operation lock.
    let total = size_of(&src.data()).await.max(1) as i64;
    m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, 0, total);
    let copy = backup::backup_prepared(maria, src, partial);
    tokio::pin!(copy);
    loop {
        tokio::select! {
            r = &mut copy => { r?; break; }
            _ = tokio::time::sleep(Duration::from_millis(300)) => {
                let now = (size_of(partial).await as i64).min(total);
                m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, now, total);
            }
        }
    }
    m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, total, total);
    m.report(&rec.id, "prepare", None, 0, 1, 1);
    Ok(())
}

/// Restore the chosen backup (or, should it be damaged, the next older one that covers the
/// target) into `partial`. Returns it and its label.
async fn restore_a_backup(
    m: &Arc<Manager>,
    rec: &ServiceRec,
    origin: &ForkOrigin,
    src: &Layout,
    partial: &std::path::Path,
) -> Result<(PathBuf, Label), OpError> {
    let covering: Vec<String> = m
        .store(|s| s.backups(&origin.source_id))?
        .iter()
        .rev()
        .filter(|b| origin.target.is_none_or(|t| avn_api::time::parse(&b.backup_time).is_some_and(|bt| bt <= t)))
        .map(|b| b.backup_name.clone())
        .collect();
    let order: Vec<String> = match &origin.backup {
        Some(name) => {
            std::iter::once(name.clone()).chain(covering.iter().skip_while(|b| *b != name).skip(1).cloned()).collect()
        }
        None => covering,
    };
    let mut last_error = None;
    for name in order.iter().filter(|b| src.backup(b).exists()) {
        let dir = src.backup(name);
        let label = match Label::read(&dir) {
            Ok(l) => l,
            Err(e) => {
                last_error = Some((name.clone(), e.to_string()));
                continue;
            }
        };
        let total = crate::engines::postgres::packed::raw_size(&dir).unwrap_or(1).max(1) as i64;
        let copied = Arc::new(AtomicU64::new(0));
        m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, 0, total);
        let from = dir.clone();
        let restore = backup::restore(&from, partial, &copied);
        tokio::pin!(restore);
        let result = loop {
            tokio::select! {
                r = &mut restore => break r,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    let now = (copied.load(Ordering::Relaxed) as i64).min(total);
                    m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, now, total);
                }
            }
        };
        match result {
            Ok(()) => {
                m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, total, total);
                return Ok((dir, label));
            }
            Err(MysqlError::Io(e)) if !disk_full(&e) => {
                tracing::warn!(fork = %rec.name, backup = %name, "base backup cannot be restored ({e}); trying an older one");
                last_error = Some((name.clone(), e.to_string()));
                remove_tree(partial).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(match last_error {
        Some((backup, why)) => OpError::NoBackupRestorable { backup, why },
        None => OpError::NoBackupBeforeTarget,
    })
}

fn disk_full(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(nix::libc::ENOSPC | nix::libc::EDQUOT)) || e.to_string().contains("No space left")
}

/// The archived binary logs from the backup's on, in order; a gap fails the fork.
fn binlogs_from(src: &Layout, label: &Label) -> Result<Vec<PathBuf>, MysqlError> {
    let mut names = binlog::archived(src);
    names.extend(binlog::server_binlogs(src));
    names.sort();
    names.dedup();
    let names: Vec<String> = names.into_iter().filter(|n| *n >= label.binlog_file).collect();
    if names.first() != Some(&label.binlog_file) {
        return Err(MysqlError::MissingBinlog(label.binlog_file.clone()));
    }
    let mut out = vec![];
    let mut expected: Option<u64> = None;
    for n in &names {
        let seq: u64 = n.trim_start_matches("binlog.").parse().unwrap_or(0);
        if expected.is_some_and(|e| e != seq) {
            return Err(MysqlError::MissingBinlog(format!("binlog.{:06}", expected.unwrap_or(0))));
        }
        expected = Some(seq + 1);
        out.push(binlog::locate(src, n).ok_or_else(|| MysqlError::MissingBinlog(n.clone()))?);
    }
    Ok(out)
}

/// Where to cut the source's binary log for target `t`, from the clock's ticks (see
/// `binlog`'s module doc) after the backup's `label`; `end`: where the source's log ended when
/// the fork started.
pub fn choose_cut(ticks: &[binlog::Tick], label: &Label, t: Timestamp, end: Option<&(String, u64)>) -> Cut {
    let t_us = t.as_microsecond();
    let label_pos = (label.binlog_file.clone(), label.binlog_pos);
    let j = ticks.iter().rposition(|k| k.at <= t_us);
    let at_j = j.map(|j| (ticks[j].file.clone(), ticks[j].pos));
    let stop = match &at_j {
        Some(p) if *p > label_pos => p.clone(),
        _ => label_pos,
    };
    let next = ticks[j.map_or(0, |j| j + 1)..].iter().find(|k| (k.file.clone(), k.pos) > stop);
    let exact = match next {
        // Still at `stop` when the clock looked again after the target.
        Some(n) => n.before >= t_us,
        // The log did not move after `stop` until the fork started.
        None => end.is_some_and(|e| *e == stop),
    };
    let restored_to = if exact {
        Some(t)
    } else {
        // The latest instant the position was seen at `stop`.
        let seen = j.filter(|_| at_j.as_ref() == Some(&stop)).map(|j| ticks[j].at);
        let still = next.map(|n| n.before).filter(|b| *b > 0 && seen.is_some());
        seen.max(still).and_then(|us| Timestamp::from_microsecond(us).ok())
    };
    Cut { stop: Some(stop), exact, restored_to }
}

/// One file of the staged relay log: its name in the fork's data directory and the length the
/// replay ends at in it.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayFile {
    pub name: String,
    pub len: u64,
}

/// Stage the archived binary logs from the backup's position to the cut as the fork's relay log:
/// `binlog.N` becomes `relay-bin.N` (a hard link to the archived file, which is never written
/// again, or a copy), the cut's file copied only up to the cut, so the replay cannot go past it
/// whatever the server does. Returns the files in order.
fn stage_relay_log(
    maria: &Maria,
    src: &Layout,
    layout: &Layout,
    label: &Label,
    cut: &Cut,
) -> Result<Vec<RelayFile>, MysqlError> {
    let mut files = binlogs_from(src, label)?;
    if let Some((last, _)) = &cut.stop {
        files.retain(|f| f.file_name().is_some_and(|n| n.to_string_lossy().as_ref() <= last.as_str()));
        if files.last().and_then(|f| f.file_name()).is_none_or(|n| n.to_string_lossy() != last.as_str()) {
            return Err(MysqlError::MissingBinlog(last.clone()));
        }
    }
    let data = layout.data();
    let mut staged = vec![];
    for (i, from) in files.iter().enumerate() {
        let file_name = from.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let seq = file_name.trim_start_matches("binlog.");
        let name = format!("{}.{seq}", server::RELAY_LOG);
        let to = data.join(&name);
        let size = std::fs::metadata(from)?.len();
        let end = match &cut.stop {
            Some((_, pos)) if i + 1 == files.len() => *pos,
            _ => size,
        };
        if end > size {
            // The clock saw the log reach a position its archive does not hold.
            return Err(MysqlError::MissingBinlog(format!(
                "{file_name} (up to position {end}; archived: {size} bytes)"
            )));
        }
        let archived = from.parent() == Some(src.archive().as_path());
        if end == size && archived && std::fs::hard_link(from, &to).is_ok() {
            // The source's archived file itself: the fork's server may read it, never write it.
            maria.share_read_only(&to)?;
        } else {
            use std::io::Read;
            let mut out = std::fs::File::create(&to)?;
            let copied = std::io::copy(&mut std::fs::File::open(from)?.take(end), &mut out)?;
            if copied != end {
                return Err(MysqlError::MissingBinlog(format!("{file_name} (shorter than position {end})")));
            }
            maria.chown_tree(&to)?;
        }
        staged.push(RelayFile { name, len: end });
    }
    let index: String = staged.iter().map(|f| format!("{}\n", data.join(&f.name).display())).collect();
    let index_file = data.join(format!("{}.index", server::RELAY_LOG));
    std::fs::write(&index_file, index)?;
    maria.chown_tree(&index_file)?;
    Ok(staged)
}

/// After the replay: the relay log and the replication state it left, gone from the fork.
fn remove_relay_log(layout: &Layout) -> std::io::Result<()> {
    for e in std::fs::read_dir(layout.data())?.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let ours = name.starts_with(&format!("{}.", server::RELAY_LOG))
            || ["relay-log.info", "master.info"].contains(&name.as_str());
        if ours {
            std::fs::remove_file(e.path())?;
        }
    }
    Ok(())
}

/// Where the replication SQL thread is: (relay log file, position), whether it runs, its error.
struct SqlThread {
    file: String,
    pos: u64,
    running: bool,
    idle: bool,
    error: Option<String>,
}

async fn sql_thread(c: &mut mysql_async::Conn) -> Result<SqlThread, MysqlError> {
    let status = sql::slave_status(c)
        .await?
        .ok_or_else(|| MysqlError::Tool("the replay's replication is not configured".into()))?;
    let text = |col: &str| status.get(col).cloned().unwrap_or_default();
    let errno: u64 = text("Last_SQL_Errno").parse().unwrap_or(0);
    Ok(SqlThread {
        file: Path::new(&text("Relay_Log_File"))
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        pos: text("Relay_Log_Pos").parse().unwrap_or(0),
        running: text("Slave_SQL_Running") == "Yes",
        idle: text("Slave_SQL_Running_State").contains("read all relay log"),
        error: (errno != 0).then(|| format!("error {errno}: {}", text("Last_SQL_Error"))),
    })
}

/// How far into the staged relay log (`files`, from `start` in the first) position `at` is.
pub fn relay_progress(files: &[RelayFile], start: u64, at: (&str, u64)) -> (u64, bool) {
    let total: u64 = files.iter().map(|f| f.len).sum::<u64>().saturating_sub(start);
    let Some(i) = files.iter().position(|f| f.name == at.0) else {
        // A file after the staged ones (the server's own new relay log): everything was read.
        let after = files.last().is_some_and(|l| at.0 > l.name.as_str());
        return (if after { total } else { 0 }, after);
    };
    let before: u64 = files[..i].iter().map(|f| f.len).sum();
    let done = (before + at.1.min(files[i].len)).saturating_sub(start);
    (done, i + 1 == files.len() && at.1 >= files[i].len)
}

/// Replay the staged relay log with the server's own replication SQL thread (native row apply;
/// about 10 to 25 times the rate of `mariadb-binlog | mariadb` measured on this machine), from
/// the backup's position to the end of the staged files, reporting the bytes applied as the
/// `stream` phase. The thread is then stopped and the replication state reset.
async fn apply_relay_log(
    m: &Arc<Manager>,
    rec: &ServiceRec,
    layout: &Layout,
    label: &Label,
    files: &[RelayFile],
    running: &crate::engines::Running,
) -> Result<(), MysqlError> {
    use mysql_async::prelude::Queryable;
    let first = files.first().ok_or_else(|| MysqlError::MissingBinlog(label.binlog_file.clone()))?;
    let total = files.iter().map(|f| f.len).sum::<u64>().saturating_sub(label.binlog_pos);
    m.report(&rec.id, "stream", Some("bytes_uncompressed"), 0, 0, total.max(1) as i64);
    let mut c = sql::admin(layout).await?;
    c.query_drop(format!(
        "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_USE_GTID=no, RELAY_LOG_FILE={}, RELAY_LOG_POS={}",
        sql::literal(&first.name),
        label.binlog_pos
    ))
    .await?;
    c.query_drop("START SLAVE SQL_THREAD").await?;
    let started = std::time::Instant::now();
    let mut idle_since: Option<std::time::Instant> = None;
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if !running.is_alive() {
            return Err(MysqlError::Exited { during: "binary log replay", log: server::log_tail(layout) });
        }
        let s = sql_thread(&mut c).await?;
        if let Some(e) = s.error {
            return Err(MysqlError::Tool(format!("replaying binary logs: {e}")));
        }
        let (done, at_end) = relay_progress(files, label.binlog_pos, (&s.file, s.pos));
        m.report(&rec.id, "stream", Some("bytes_uncompressed"), 0, done as i64, total.max(1) as i64);
        if at_end {
            break;
        }
        if !s.running {
            return Err(MysqlError::Tool(format!(
                "replaying binary logs: the replication SQL thread stopped at {} position {}",
                s.file, s.pos
            )));
        }
        // Everything staged was read, yet the position is short of the end: a file is missing.
        match (s.idle, idle_since) {
            (true, None) => idle_since = Some(std::time::Instant::now()),
            (true, Some(t)) if t.elapsed() > Duration::from_secs(10) => {
                return Err(MysqlError::Tool(format!(
                    "replaying binary logs: the replay ended at {} position {}, before the end of what was staged",
                    s.file, s.pos
                )));
            }
            (false, _) => idle_since = None,
            _ => {}
        }
    }
    // Stops after the event group it is in, which is the last: the staged log ends at the cut.
    c.query_drop("STOP SLAVE SQL_THREAD").await?;
    let s = sql_thread(&mut c).await?;
    if let Some(e) = s.error {
        return Err(MysqlError::Tool(format!("replaying binary logs: {e}")));
    }
    if !relay_progress(files, label.binlog_pos, (&s.file, s.pos)).1 {
        return Err(MysqlError::Tool(format!("replaying binary logs: stopped at {} position {}", s.file, s.pos)));
    }
    // The bench reads this line (bench/mysql_fork.py).
    tracing::info!(fork = %rec.name, bytes = total, seconds = started.elapsed().as_secs_f64(), "binary log replayed");
    c.query_drop("RESET SLAVE ALL").await?;
    c.query_drop("SET GLOBAL gtid_slave_pos = ''").await?;
    c.disconnect().await?;
    m.report(&rec.id, "stream", Some("bytes_uncompressed"), 0, total as i64, total.max(1) as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::mysql::binlog::Tick;

    #[test]
    fn relay_progress_counts_from_the_backup_position_to_the_staged_end() {
        let files = [
            RelayFile { name: "relay-bin.000002".into(), len: 1000 },
            RelayFile { name: "relay-bin.000003".into(), len: 500 },
        ];
        assert_eq!(relay_progress(&files, 100, ("relay-bin.000002", 100)), (0, false));
        assert_eq!(relay_progress(&files, 100, ("relay-bin.000002", 1000)), (900, false));
        assert_eq!(relay_progress(&files, 100, ("relay-bin.000003", 499)), (1399, false));
        assert_eq!(relay_progress(&files, 100, ("relay-bin.000003", 500)), (1400, true));
        // The server's own new relay log, after the staged ones: all was read.
        assert_eq!(relay_progress(&files, 100, ("relay-bin.000004", 256)), (1400, true));
        assert_eq!(relay_progress(&files, 100, ("", 0)), (0, false));
    }

    fn tick(before: i64, at: i64, file: &str, pos: u64) -> Tick {
        Tick { before, at, file: file.into(), pos }
    }

    fn ts(us: i64) -> Timestamp {
        Timestamp::from_microsecond(us).unwrap()
    }

    #[test]
    fn the_cut_is_the_last_position_seen_at_or_before_the_target() {
        let label = Label { binlog_file: "binlog.000001".into(), binlog_pos: 100, gtid: String::new() };
        let ticks = vec![
            tick(0, 1_000, "binlog.000001", 100),
            tick(5_000, 5_025, "binlog.000001", 200),
            tick(9_000, 9_025, "binlog.000001", 300),
            tick(9_025, 9_050, "binlog.000002", 4),
        ];
        // Between two looks that saw no move: exact.
        let c = choose_cut(&ticks, &label, ts(7_000), None);
        assert_eq!(c, Cut { stop: Some(("binlog.000001".into(), 200)), exact: true, restored_to: Some(ts(7_000)) });
        // Inside a move (the position moved between 9_000 and 9_025): the last instant known.
        let c = choose_cut(&ticks, &label, ts(9_010), None);
        assert_eq!(c, Cut { stop: Some(("binlog.000001".into(), 200)), exact: false, restored_to: Some(ts(9_000)) });
        // Before anything after the backup: the backup alone, exactly.
        let c = choose_cut(&ticks, &label, ts(2_000), None);
        assert_eq!(c.stop, Some(("binlog.000001".into(), 100)));
        assert!(c.exact);
        // After the last tick: exact only if the log ended there when the fork started.
        let end = ("binlog.000002".to_string(), 4);
        assert!(choose_cut(&ticks, &label, ts(20_000), Some(&end)).exact);
        let c = choose_cut(&ticks, &label, ts(20_000), Some(&("binlog.000002".into(), 90)));
        assert_eq!(c, Cut { stop: Some(end.clone()), exact: false, restored_to: Some(ts(9_050)) });
        // A clock that was not running (before = 0): not exact.
        let gap = vec![tick(0, 1_000, "binlog.000001", 100), tick(0, 8_000, "binlog.000001", 500)];
        let c = choose_cut(&gap, &label, ts(5_000), None);
        assert_eq!(c, Cut { stop: Some(("binlog.000001".into(), 100)), exact: false, restored_to: Some(ts(1_000)) });
    }
}
