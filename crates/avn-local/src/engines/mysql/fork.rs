//! A MySQL fork: to the latest transaction, a fresh `mariadb-backup` of the running source
//! straight into the fork, prepared; to an instant (or from a powered-off source), the newest
//! base backup at or before it, restored, then the archived binary logs replayed from the
//! backup's position and cut at the last heartbeat at or before the target (see
//! [`resolve_cut`]). Replay runs with relaxed durability and no binary log; a clean shutdown
//! makes it durable before the fork starts for good.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::io::AsyncBufReadExt;

use super::backup;
use super::backup::Label;
use super::binlog;
use super::engine;
use super::server;
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
    maria.chown_tree(&layout.data())?;
    let beyond_backup = |(label, cut): &(Label, Cut)| {
        cut.stop.as_ref().is_none_or(|stop| *stop > (label.binlog_file.clone(), label.binlog_pos))
    };
    if let Some((label, cut)) = replay.filter(beyond_backup) {
        let instance = server::Instance {
            port: rec.port,
            relaxed: true,
            log_bin: false,
            replay: true,
            user_config: &rec.user_config,
        };
        let mut running = engine::start_with(maria, m, &rec.id, &layout, &instance).await?;
        let replayed = apply_binlogs(maria, m, rec, &src, &layout, &label, &cut, &running).await;
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

/// `mariadb-binlog` over `files` from `start`, in UTC, with `args`.
fn binlog_reader(maria: &Maria, label: &Label, files: &[PathBuf], args: &[String]) -> tokio::process::Command {
    let mut c = maria.tool("mariadb-binlog");
    c.env("TZ", "UTC").arg("--no-defaults").arg(format!("--start-position={}", label.binlog_pos));
    c.args(args).args(files).stdout(Stdio::piped()).stderr(Stdio::piped());
    c
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

/// Replay the archived binary logs into the fork (`mariadb-binlog | mariadb`), reporting the bytes
/// read as the `stream` phase.
#[allow(clippy::too_many_arguments)]
async fn apply_binlogs(
    maria: &Maria,
    m: &Arc<Manager>,
    rec: &ServiceRec,
    src: &Layout,
    layout: &Layout,
    label: &Label,
    cut: &Cut,
    running: &crate::engines::Running,
) -> Result<(), MysqlError> {
    let mut files = binlogs_from(src, label)?;
    if let Some((last, _)) = &cut.stop {
        files.retain(|f| f.file_name().is_some_and(|n| n.to_string_lossy().as_ref() <= last.as_str()));
        // `--stop-position` applies to the last file given: it must be the cut's.
        if files.last().and_then(|f| f.file_name()).is_none_or(|n| n.to_string_lossy() != last.as_str()) {
            return Err(MysqlError::MissingBinlog(last.clone()));
        }
    }
    let total: u64 = files.iter().map(|f| std::fs::metadata(f).map(|m| m.len()).unwrap_or(0)).sum::<u64>();
    let total = total.saturating_sub(label.binlog_pos).max(1) as i64;
    let mut args = vec![];
    if let Some((_, pos)) = &cut.stop {
        // Applies to the last file given.
        args.push(format!("--stop-position={pos}"));
    }
    let mut reader = binlog_reader(maria, label, &files, &args)
        .spawn()
        .map_err(|e| MysqlError::Tool(format!("mariadb-binlog: {e}")))?;
    let reader_pid = reader.id();
    let stdout = reader.stdout.take().expect("piped");
    // Read while the replay runs: a full pipe would stop the reader, and the applier with it.
    let reader_err = reader.stderr.take().expect("piped");
    let reader_err = tokio::spawn(async move {
        let mut text = String::new();
        let mut lines = tokio::io::BufReader::new(reader_err).lines();
        while let Ok(Some(l)) = lines.next_line().await {
            if text.len() < 64 << 10 {
                text.push_str(&l);
                text.push('\n');
            }
        }
        text
    });
    let mut apply = maria.tool("mariadb");
    apply
        .arg("--no-defaults")
        .arg(format!("--socket={}", server::socket(layout).display()))
        .arg(format!("--user={}", server::os_user()))
        .arg("--binary-mode")
        .arg("--max-allowed-packet=1G")
        .stdin(Stdio::from(stdout.into_owned_fd()?))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let applier = apply.spawn().map_err(|e| MysqlError::Tool(format!("mariadb: {e}")))?;
    m.report(&rec.id, "stream", Some("bytes_uncompressed"), 0, 0, total);
    let done = applier.wait_with_output();
    tokio::pin!(done);
    let out = loop {
        tokio::select! {
            r = &mut done => break r?,
            _ = tokio::time::sleep(Duration::from_millis(300)) => {
                if !running.is_alive() {
                    let _ = reader.start_kill();
                    return Err(MysqlError::Exited { during: "binary log replay", log: server::log_tail(layout) });
                }
                let read = reader_pid.and_then(read_bytes).unwrap_or(0) as i64;
                m.report(&rec.id, "stream", Some("bytes_uncompressed"), 0, read.min(total), total);
            }
        }
    };
    let status = reader.wait().await?;
    let err_text = reader_err.await.unwrap_or_default();
    if !status.success() {
        return Err(MysqlError::Tool(format!("mariadb-binlog: {}", err_text.trim())));
    }
    if !out.status.success() {
        return Err(MysqlError::Tool(format!(
            "replaying binary logs: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    m.report(&rec.id, "stream", Some("bytes_uncompressed"), 0, total, total);
    Ok(())
}

/// Bytes a process has read (`/proc/PID/io`, `rchar`).
fn read_bytes(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines().find_map(|l| l.strip_prefix("rchar: "))?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engines::mysql::binlog::Tick;

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
