//! Service operations: create, fork, power off/on, update, delete, backups.
//!
//! Requests are validated completely before anything is written (a refused request changes
//! nothing). Long work runs in a background task that owns the service's operation lock and
//! records its progress; the store always says which operation is in flight, so a restart can
//! redo it (see `reconcile`).

use std::sync::Arc;
use std::time::Duration;

use avn_api::ServiceCreate;
use avn_api::ServiceUpdate;
use serde_json::Map;
use serde_json::Value;

use crate::catalog;
use crate::engines::postgres::cluster;
use crate::engines::postgres::cluster::Recovery;
use crate::engines::postgres::layout::dir_size;
use crate::engines::postgres::process::copy_tree;
use crate::engines::postgres::process::PgError;
use crate::error::ApiError;
use crate::error::ApiResult;
use crate::manager::format_time;
use crate::manager::now_str;
use crate::manager::parse_time;
use crate::manager::random_string;
use crate::manager::Manager;
use crate::store::BackupRec;
use crate::store::ServiceRec;

const START_TIMEOUT: Duration = Duration::from_secs(120);

fn valid_name(n: &str) -> bool {
    n.len() <= 64
        && n.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn str_opt(cfg: &Map<String, Value>, key: &str) -> Option<String> {
    cfg.get(key).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Validate and register a new service (or fork); the work goes on in the background.
pub fn create(m: &Arc<Manager>, project: &str, body: ServiceCreate) -> ApiResult<ServiceRec> {
    if !m.store(|s| s.project_exists(project))? {
        return Err(ApiError::not_found(format!("Project {project} does not exist")));
    }
    if !valid_name(&body.service_name) {
        return Err(ApiError::bad_request(format!(
            "Invalid service name '{}': use a lower-case letter, then a-z, 0-9 and '-', at most 64 characters",
            body.service_name
        )));
    }
    if body.service_type != catalog::SERVICE_TYPE {
        return Err(ApiError::bad_request(format!(
            "Service type '{}' is not available on the local control plane (available: pg)",
            body.service_type
        )));
    }
    let Some(plan) = catalog::plan(&body.plan, m.backup_interval_hours()) else {
        return Err(ApiError::bad_request(format!(
            "Plan '{}' does not exist for service type pg (plans: hobbyist, startup-4, business-4, premium-4)",
            body.plan
        )));
    };
    if let Some(c) = body.cloud.as_deref().filter(|c| *c != catalog::CLOUD) {
        return Err(ApiError::bad_request(format!(
            "Cloud '{c}' is not available: the local control plane has one cloud, 'local'"
        )));
    }
    if let Some(Some(vpc)) = &body.project_vpc_id {
        return Err(ApiError::bad_request(format!("Project VPC {vpc} does not exist")));
    }
    let mut user_config = body.user_config.clone();
    let pg_service = str_opt(&user_config, "pg_service_to_fork_from");
    if pg_service.is_some() {
        user_config.remove("pg_service_to_fork_from");
        if !user_config.contains_key("service_to_fork_from") {
            user_config.insert("service_to_fork_from".into(), pg_service.into());
        }
    }
    catalog::validate_user_config(&user_config, &m.pg.major, true).map_err(ApiError::bad_request)?;
    let now = now_str();
    let mut rec = ServiceRec {
        id: format!("{}-{}", body.service_name, random_string(8)),
        project: project.to_string(),
        name: body.service_name.clone(),
        plan: plan.service_plan.clone(),
        state: "REBUILDING".into(),
        powered: true,
        port: m.free_port()?,
        password: random_string(24),
        user_config: user_config.clone(),
        termination_protection: body.termination_protection,
        create_time: now.clone(),
        update_time: now,
        op: Some("create".into()),
        fork: None,
        tags: body.tags.clone().unwrap_or_default(),
    };
    if let Some(source_name) = str_opt(&user_config, "service_to_fork_from") {
        let source_project = str_opt(&user_config, "project_to_fork_from").unwrap_or_else(|| project.to_string());
        let source = m.store(|s| s.service(&source_project, &source_name))?.ok_or_else(|| {
            ApiError::bad_request(format!("Service to fork from '{source_project}/{source_name}' does not exist"))
        })?;
        let source_plan = catalog::plan(&source.plan, 1).unwrap_or_default();
        if !source_plan.has_backups() {
            return Err(ApiError::bad_request(format!(
                "Service '{source_name}' is on plan '{}', which has no backups: it cannot be forked",
                source.plan
            )));
        }
        if !plan.has_backups() {
            return Err(ApiError::bad_request(format!(
                "Plan '{}' does not support forking; choose a plan with backups",
                plan.service_plan
            )));
        }
        let Some((start, end)) = m.pitr_window(&source)? else {
            return Err(ApiError::bad_request(format!(
                "Service '{source_name}' has no backups yet: it cannot be forked until its first backup exists"
            )));
        };
        let target = match str_opt(&user_config, "recovery_target_time") {
            None => None,
            Some(raw) => {
                let t = parse_time(&raw).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "Invalid recovery_target_time '{raw}': use e.g. '2019-01-01 23:34:45' (UTC) or RFC 3339"
                    ))
                })?;
                let now = jiff::Timestamp::now();
                if t > now {
                    return Err(ApiError::bad_request(format!(
                        "recovery_target_time {} is in the future",
                        format_time(t)
                    )));
                }
                let start_ts = parse_time(&start).unwrap_or(now);
                let end_ts = end.as_deref().and_then(parse_time).unwrap_or(now);
                if t < start_ts || t > end_ts {
                    return Err(ApiError::bad_request(format!(
                        "recovery_target_time {} is outside the point-in-time recovery window {} .. {}",
                        format_time(t),
                        start,
                        end.as_deref().unwrap_or("now")
                    )));
                }
                Some(t)
            }
        };
        if target.is_some() && source.state == "POWEROFF" && target.map(format_time) >= end {
            rec.fork = Some(crate::manager::fork_info(&source, None));
        } else {
            rec.fork = Some(crate::manager::fork_info(&source, target.as_ref()));
        }
        rec.password = source.password.clone();
        // The fork carries the source's configuration; the request's keys win.
        let mut merged = source.user_config.clone();
        for k in ["service_to_fork_from", "project_to_fork_from", "recovery_target_time"] {
            merged.remove(k);
        }
        merged.extend(user_config);
        rec.user_config = merged;
        rec.op = Some("fork".into());
        if body.copy_tags == Some(true) {
            let mut tags = source.tags.clone();
            tags.extend(rec.tags.clone());
            rec.tags = tags;
        }
    }
    if !m.store(|s| s.insert_service(&rec))? {
        return Err(ApiError::conflict(format!("Service name '{}' already exists in project {project}", rec.name)));
    }
    spawn_op(m, rec.id.clone());
    Ok(rec)
}

/// Run the service's pending operation in the background.
pub fn spawn_op(m: &Arc<Manager>, id: String) {
    let m = m.clone();
    tokio::spawn(async move {
        let lock = m.op_lock(&id);
        let _guard = lock.lock().await;
        let Ok(Some(rec)) = m.store(|s| s.service_by_id(&id)) else {
            return;
        };
        let result = match rec.op.as_deref() {
            Some("create") => do_create(&m, &rec).await,
            Some("fork") => do_fork(&m, &rec).await,
            Some("poweron") => do_start(&m, &rec).await,
            _ => return,
        };
        match result {
            Ok(()) => {
                m.clear_progress(&id);
                m.set_failure(&id, None);
                if let Ok(Some(mut r)) = m.store(|s| s.service_by_id(&id)) {
                    r.state = "RUNNING".into();
                    r.op = None;
                    r.update_time = now_str();
                    let _ = m.store(|s| s.update_service(&r));
                    tracing::info!(service = %r.name, "RUNNING");
                    let needs_backup = catalog::keeps_backups(&r.plan)
                        && m.store(|s| s.backups(&id)).map(|b| b.is_empty()).unwrap_or(false);
                    if needs_backup {
                        let m2 = m.clone();
                        tokio::spawn(async move {
                            let lock = m2.op_lock(&id);
                            let _g = lock.lock().await;
                            if let Err(e) = take_backup(&m2, &id).await {
                                tracing::error!("first backup of {id}: {e}");
                            }
                        });
                    }
                }
            }
            Err(e) => {
                tracing::error!(service = %rec.name, "operation {:?} failed: {e}", rec.op);
                if let Some(mut r) = m.running(&id) {
                    r.stop().await;
                }
                m.set_running(&id, None);
                m.set_failure(&id, Some(format!("{} failed: {e}", rec.op.as_deref().unwrap_or("operation"))));
                if let Ok(Some(mut r)) = m.store(|s| s.service_by_id(&id)) {
                    r.op = Some("failed".into());
                    let _ = m.store(|s| s.update_service(&r));
                }
            }
        }
    });
}

fn pg_err(e: PgError) -> String {
    e.to_string()
}

async fn do_create(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), String> {
    let layout = m.layout(&rec.id);
    let _ = std::fs::remove_dir_all(&layout.root);
    let has_backups = catalog::keeps_backups(&rec.plan);
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 0, 100);
    cluster::make_dirs(&m.pg, &layout).map_err(pg_err)?;
    cluster::initdb(&m.pg, &layout).await.map_err(pg_err)?;
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 50, 100);
    cluster::write_user_conf(&m.pg, &layout, &rec.user_config).map_err(pg_err)?;
    cluster::write_instance_conf(&m.pg, &layout, rec.port, has_backups, None).map_err(pg_err)?;
    let running = m.pg.spawn(&layout).map_err(pg_err)?;
    m.set_running(&rec.id, Some(running.clone()));
    cluster::wait_ready(&layout, rec.port, &running, START_TIMEOUT).await.map_err(pg_err)?;
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 70, 100);
    cluster::create_admin(&layout, rec.port, &rec.password).await.map_err(pg_err)?;
    if has_backups {
        m.report(&rec.id, "basebackup", None, 0, 0, 1);
        take_backup(m, &rec.id).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn do_fork(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), String> {
    let fork = rec.fork.clone().ok_or("fork details missing")?;
    let source_id = fork["source_id"].as_str().ok_or("fork source missing")?.to_string();
    let source =
        m.store(|s| s.service_by_id(&source_id)).map_err(|e| e.to_string())?.ok_or("the source service was deleted")?;
    let target = fork["target"].as_str().and_then(parse_time);
    m.hold(&source_id);
    let result = fork_from(m, rec, &source, target).await;
    m.release(&source_id);
    result
}

async fn fork_from(
    m: &Arc<Manager>,
    rec: &ServiceRec,
    source: &ServiceRec,
    target: Option<jiff::Timestamp>,
) -> Result<(), String> {
    let src = m.layout(&source.id);
    let layout = m.layout(&rec.id);
    let _ = std::fs::remove_dir_all(&layout.root);
    // 1. Every commit up to now must be in the source's archive.
    let mut end_lsn = None;
    if m.running(&source.id).is_some() {
        cluster::ensure_archived(&src, source.port, Duration::from_secs(60)).await.map_err(pg_err)?;
        end_lsn = cluster::current_lsn(&src, source.port).await.ok();
    }
    // 2. The newest base backup that ended at or before the target.
    let backups = m.store(|s| s.backups(&source.id)).map_err(|e| e.to_string())?;
    let chosen = backups
        .iter()
        .rev()
        .find(|b| target.is_none_or(|t| parse_time(&b.backup_time).is_some_and(|bt| bt <= t)))
        .ok_or("no base backup ended before the recovery target")?
        .clone();
    tracing::info!(fork = %rec.name, source = %source.name, backup = %chosen.backup_name, ?target, "forking");
    // 3. Copy it, reporting bytes.
    cluster::make_dirs(&m.pg, &layout).map_err(pg_err)?;
    let from = src.backup(&chosen.backup_name);
    let total = dir_size(&from).max(1) as i64;
    m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, 0, total);
    let partial = layout.root.join("data.partial");
    let copy = copy_tree(&from, &partial);
    tokio::pin!(copy);
    loop {
        tokio::select! {
            r = &mut copy => { r.map_err(pg_err)?; break; }
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, dir_size(&partial) as i64, total);
            }
        }
    }
    std::fs::rename(&partial, layout.data()).map_err(|e| e.to_string())?;
    m.report(&rec.id, "basebackup", Some("bytes_uncompressed"), 0, total, total);
    // 4. Configure recovery and start.
    let recovery = Recovery {
        restore_from: src.archive(),
        target_time: target.map(|t| {
            let dt = t.to_zoned(jiff::tz::TimeZone::UTC).datetime();
            format!("{}.{:06}+00", dt.strftime("%Y-%m-%d %H:%M:%S"), t.subsec_microsecond())
        }),
    };
    cluster::write_user_conf(&m.pg, &layout, &rec.user_config).map_err(pg_err)?;
    cluster::write_instance_conf(&m.pg, &layout, rec.port, true, Some(&recovery)).map_err(pg_err)?;
    std::fs::write(layout.data().join("recovery.signal"), b"").map_err(|e| e.to_string())?;
    m.pg.chown(&layout.data().join("recovery.signal")).map_err(pg_err)?;
    let start_lsn = cluster::backup_start(&from).map(|(l, _)| l).unwrap_or(0) as i64;
    let max_lsn = end_lsn.map(|l| l as i64).unwrap_or(start_lsn);
    m.report(&rec.id, "stream", Some("wal_lsn"), start_lsn, start_lsn, max_lsn);
    let running = m.pg.spawn(&layout).map_err(pg_err)?;
    m.set_running(&rec.id, Some(running.clone()));
    cluster::wait_ready(&layout, rec.port, &running, START_TIMEOUT).await.map_err(pg_err)?;
    // 5. Replay until promoted.
    let deadline = std::time::Instant::now() + Duration::from_secs(3600);
    loop {
        if !running.is_alive() {
            return Err(format!("postgres exited during recovery: {}", cluster::log_tail(&layout)));
        }
        match cluster::replay_lsn(&layout, rec.port).await {
            Ok(None) => break,
            Ok(Some(lsn)) => {
                m.report(&rec.id, "stream", Some("wal_lsn"), start_lsn, lsn as i64, max_lsn.max(lsn as i64))
            }
            Err(_) if std::time::Instant::now() < deadline => {}
            Err(e) => return Err(pg_err(e)),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    m.report(&rec.id, "finalize", None, 0, 1, 1);
    // 6. Promoted: forget the source's archive; archive into our own.
    cluster::write_instance_conf(&m.pg, &layout, rec.port, true, None).map_err(pg_err)?;
    Ok(())
}

async fn do_start(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), String> {
    let layout = m.layout(&rec.id);
    if m.running(&rec.id).is_some() {
        return Ok(());
    }
    let has_backups = catalog::keeps_backups(&rec.plan);
    cluster::write_instance_conf(&m.pg, &layout, rec.port, has_backups, None).map_err(pg_err)?;
    let _ = std::fs::remove_file(layout.data().join("postmaster.pid"));
    m.report(&rec.id, "prepare", Some("prepare_percent"), 0, 10, 100);
    let running = m.pg.spawn(&layout).map_err(pg_err)?;
    m.set_running(&rec.id, Some(running.clone()));
    cluster::wait_ready(&layout, rec.port, &running, START_TIMEOUT).await.map_err(pg_err)
}

/// Take a base backup now and rotate old ones beyond the plan's `max_count`.
pub async fn take_backup(m: &Arc<Manager>, id: &str) -> Result<BackupRec, String> {
    let rec = m.store(|s| s.service_by_id(id)).map_err(|e| e.to_string())?.ok_or("service is gone")?;
    let layout = m.layout(id);
    let ts = jiff::Timestamp::now();
    let name = format!(
        "backup-{}{:06}z",
        ts.to_zoned(jiff::tz::TimeZone::UTC).datetime().strftime("%Y%m%dt%H%M%S"),
        ts.subsec_microsecond()
    );
    let size = cluster::base_backup(&m.pg, &layout, rec.port, &name).await.map_err(pg_err)?;
    let b = BackupRec { service_id: id.to_string(), backup_name: name, backup_time: now_str(), data_size: size };
    m.store(|s| s.add_backup(&b)).map_err(|e| e.to_string())?;
    let max = catalog::plan(&rec.plan, 1).map(|p| p.backup_config.max_count as usize).unwrap_or(1).max(1);
    if !m.is_held(id) {
        let all = m.store(|s| s.backups(id)).map_err(|e| e.to_string())?;
        if all.len() > max {
            for old in &all[..all.len() - max] {
                m.store(|s| s.delete_backup(id, &old.backup_name)).map_err(|e| e.to_string())?;
                let _ = std::fs::remove_dir_all(layout.backup(&old.backup_name));
            }
            if let Some((_, wal)) = cluster::backup_start(&layout.backup(&all[all.len() - max].backup_name)) {
                if let Err(e) = cluster::archive_cleanup(&m.pg, &layout, &wal).await {
                    tracing::warn!("archive cleanup of {id}: {e}");
                }
            }
        }
    }
    Ok(b)
}

/// Apply a `PUT .../service/{s}`.
pub async fn update(m: &Arc<Manager>, project: &str, name: &str, body: ServiceUpdate) -> ApiResult<ServiceRec> {
    let mut rec = m.store(|s| s.service(project, name))?.ok_or_else(|| ApiError::not_found("Service not found"))?;
    let lock = m.op_lock(&rec.id);
    let _guard = lock.lock().await;
    let mut rec2 = m.store(|s| s.service_by_id(&rec.id))?.ok_or_else(|| ApiError::not_found("Service not found"))?;
    std::mem::swap(&mut rec, &mut rec2);
    if body.plan != rec.plan {
        let Some(new_plan) = catalog::plan(&body.plan, 1) else {
            return Err(ApiError::bad_request(format!("Plan '{}' does not exist for service type pg", body.plan)));
        };
        let had = catalog::keeps_backups(&rec.plan);
        if had != new_plan.has_backups() {
            return Err(ApiError::bad_request("Changing between a plan without backups (hobbyist) and one with backups is not supported locally; fork to the new plan instead"));
        }
    }
    if let Some(c) = body.cloud.as_deref().filter(|c| *c != catalog::CLOUD) {
        return Err(ApiError::bad_request(format!(
            "Cloud '{c}' is not available: the local control plane has one cloud, 'local'"
        )));
    }
    catalog::validate_user_config(&body.user_config, &m.pg.major, false).map_err(ApiError::bad_request)?;
    let protect = body.termination_protection.unwrap_or(rec.termination_protection);
    if body.powered == Some(false) && protect {
        return Err(ApiError::forbidden(
            "Service is protected against termination and shutdown. Remove termination protection first.",
        ));
    }
    if rec.op.is_some() && body.powered.is_some() {
        return Err(ApiError::conflict(format!(
            "Service '{name}' is busy ({}); try again when it is RUNNING",
            rec.op.as_deref().unwrap_or("")
        )));
    }
    // user_config: merge, null removes
    let mut cfg = rec.user_config.clone();
    let mut restart_needed = false;
    for (k, v) in &body.user_config {
        if k == "pg" {
            let mut pgc = cfg.get("pg").and_then(Value::as_object).cloned().unwrap_or_default();
            for (pk, pv) in v.as_object().into_iter().flatten() {
                restart_needed |= pk == "max_connections";
                if pv.is_null() {
                    pgc.remove(pk);
                } else {
                    pgc.insert(pk.clone(), pv.clone());
                }
            }
            cfg.insert("pg".into(), Value::Object(pgc));
        } else if v.is_null() {
            cfg.remove(k);
        } else {
            cfg.insert(k.clone(), v.clone());
        }
    }
    let config_changed = cfg != rec.user_config;
    rec.user_config = cfg;
    rec.plan = body.plan.clone();
    rec.termination_protection = protect;
    let layout = m.layout(&rec.id);
    if config_changed {
        cluster::write_user_conf(&m.pg, &layout, &rec.user_config).map_err(ApiError::internal)?;
    }
    match body.powered {
        Some(false) if rec.state != "POWEROFF" => {
            if let Some(mut r) = m.running(&rec.id) {
                if let Err(e) = cluster::ensure_archived(&layout, rec.port, Duration::from_secs(60)).await {
                    tracing::warn!("archiving before power-off of {name}: {e}");
                }
                r.stop().await;
            }
            m.set_running(&rec.id, None);
            rec.state = "POWEROFF".into();
            rec.powered = false;
        }
        Some(true) if rec.state == "POWEROFF" => {
            rec.state = "REBUILDING".into();
            rec.powered = true;
            rec.op = Some("poweron".into());
        }
        _ => {
            if config_changed && rec.state == "RUNNING" {
                if restart_needed {
                    if let Some(mut r) = m.running(&rec.id) {
                        r.stop().await;
                    }
                    rec.state = "REBUILDING".into();
                    rec.op = Some("poweron".into());
                } else if let Ok(c) = crate::engines::postgres::sql::connect(&layout, rec.port, "postgres").await {
                    let _ = c.simple_query("SELECT pg_reload_conf()").await;
                }
            }
        }
    }
    rec.update_time = now_str();
    m.store(|s| s.update_service(&rec))?;
    if rec.op.as_deref() == Some("poweron") {
        spawn_op(m, rec.id.clone());
    }
    Ok(rec)
}

/// `DELETE .../service/{s}`: refused while protected; otherwise stop and remove everything.
pub async fn delete(m: &Arc<Manager>, project: &str, name: &str) -> ApiResult<()> {
    let rec = m.store(|s| s.service(project, name))?.ok_or_else(|| ApiError::not_found("Service not found"))?;
    if rec.termination_protection {
        return Err(ApiError::forbidden(
            "Service is protected against termination and shutdown. Remove termination protection first.",
        ));
    }
    // Deleting the row first makes a background operation stop at its next look at the store.
    m.store(|s| s.delete_service(&rec.id))?;
    let lock = m.op_lock(&rec.id);
    let _guard = lock.lock().await;
    if let Some(mut r) = m.running(&rec.id) {
        r.stop().await;
    }
    m.set_running(&rec.id, None);
    m.clear_progress(&rec.id);
    m.set_failure(&rec.id, None);
    let _ = std::fs::remove_dir_all(m.layout(&rec.id).root);
    Ok(())
}

/// Take scheduled base backups of running services whose plan keeps them.
pub async fn backup_scheduler(m: Arc<Manager>) {
    loop {
        tokio::time::sleep(m.backup_interval.min(Duration::from_secs(60)).max(Duration::from_millis(500))).await;
        let Ok(services) = m.store(|s| s.services(None)) else {
            continue;
        };
        for rec in services {
            if rec.state != "RUNNING" || rec.op.is_some() || !catalog::keeps_backups(&rec.plan) {
                continue;
            }
            let last =
                m.store(|s| s.backups(&rec.id)).ok().and_then(|b| b.last().and_then(|b| parse_time(&b.backup_time)));
            let due = last.is_none_or(|t| {
                jiff::Timestamp::now().duration_since(t)
                    >= jiff::SignedDuration::try_from(m.backup_interval).unwrap_or_default()
            });
            if due {
                let lock = m.op_lock(&rec.id);
                let _g = lock.lock().await;
                if let Err(e) = take_backup(&m, &rec.id).await {
                    tracing::warn!("scheduled backup of {}: {e}", rec.name);
                }
            }
        }
    }
}
