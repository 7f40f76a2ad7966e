//! `POST .../service`: validate a create or fork request completely, then register the service
//! and start its operation in the background.

use std::sync::Arc;

use avn_api::names::validate_service_name;
use avn_api::time::format_zulu;
use avn_api::ServiceCreate;
use jiff::Timestamp;

use super::spawn_op;
use crate::catalog;
use crate::error::OpError;
use crate::error::Refusal;
use crate::manager::now;
use crate::manager::Manager;
use crate::model::ForkOrigin;
use crate::model::Op;
use crate::model::State;
use crate::random::random_string;
use crate::store::ServiceRec;

/// Validate and register a new service (or fork); the work goes on in the background.
pub fn create(m: &Arc<Manager>, project: &str, body: ServiceCreate) -> Result<ServiceRec, OpError> {
    let plan = check_request(m, project, &body)?;
    // The legacy key is read as the current one, and stored as it.
    let mut user_config = body.user_config.clone();
    let fork_keys = avn_api::ForkKeys::read(&user_config);
    if user_config.remove(avn_api::fork::LEGACY_PG_SERVICE).is_some() {
        avn_api::ForkKeys { service: fork_keys.service.clone(), ..Default::default() }.write(&mut user_config);
    }
    let engine = m.engine(&body.service_type)?;
    catalog::validate_user_config(&user_config, &engine.user_config_schema(), true)?;
    let default_window = (super::DEFAULT_MAINTENANCE.0.to_string(), super::DEFAULT_MAINTENANCE.1.to_string());
    let maintenance = body.maintenance.as_ref().map(|w| super::maintenance_window(w, default_window)).transpose()?;
    let now = now();
    let mut rec = ServiceRec {
        id: format!("{}-{}", body.service_name, random_string(8)),
        project: project.to_string(),
        name: body.service_name.clone(),
        plan: plan.service_plan.clone(),
        state: State::Rebuilding,
        powered: true,
        port: m.free_port()?,
        password: random_string(24),
        user_config: user_config.clone(),
        termination_protection: body.termination_protection,
        create_time: now.clone(),
        update_time: now,
        op: Some(Op::Create),
        fork: None,
        tags: body.tags.clone().unwrap_or_default(),
        // `redis` is stored as `valkey`, its current name.
        service_type: engine.service_type().to_string(),
    };
    if let Some(source_name) = fork_keys.service.clone() {
        attach_fork(m, project, &plan, &body, &fork_keys, &source_name, &mut rec)?;
    }
    let from = rec.fork.as_ref().map(|f| (f.source_id.as_str(), passwords_at(m, engine, f)));
    if !m.store(|s| s.insert_service_with_inventory(&rec, engine.admin(), from, &rec.create_time))? {
        if let Some(f) = &rec.fork {
            m.release(&f.source_id, &rec.id);
        }
        return Err(Refusal::conflict(format!("Service name '{}' already exists in project {project}", rec.name)));
    }
    if let Some((dow, time)) = &maintenance {
        m.store(|s| s.set_maintenance(&rec.id, dow, time))?;
    }
    if let Some(mb) = body.disk_space_mb {
        m.store(|s| s.set_disk_space(&rec.id, Some(mb)))?;
    }
    spawn_op(m, rec.id.clone());
    Ok(rec)
}

/// The request names an existing project, a valid name, and a type, plan, cloud and network
/// this control plane has; returns the plan.
fn check_request(m: &Manager, project: &str, body: &ServiceCreate) -> Result<avn_api::Plan, OpError> {
    if !m.store(|s| s.project_exists(project))? {
        return Err(Refusal::not_found(format!("Project {project} does not exist")));
    }
    if validate_service_name(&body.service_name).is_err() {
        return Err(Refusal::invalid(format!(
            "Invalid service name '{}': use a lower-case letter, then a-z, 0-9 and '-', at most 64 characters",
            body.service_name
        )));
    }
    let stype = m.engine(&body.service_type)?.service_type();
    let Some(plan) = catalog::plan(&body.plan, m.backup_interval_hours()) else {
        return Err(Refusal::invalid(format!(
            "Plan '{}' does not exist for service type {stype} (plans: hobbyist, startup-4, business-4, premium-4)",
            body.plan
        )));
    };
    if let Some(c) = body.cloud.as_deref().filter(|c| *c != catalog::CLOUD) {
        return Err(Refusal::invalid(format!(
            "Cloud '{c}' is not available: the local control plane has one cloud, 'local'"
        )));
    }
    if let Some(mb) = body.disk_space_mb {
        catalog::check_disk_space(&plan, mb).map_err(Refusal::invalid)?;
    }
    if let Some(Some(vpc)) = &body.project_vpc_id {
        return Err(Refusal::invalid(format!("Project VPC {vpc} does not exist")));
    }
    Ok(plan)
}

/// Make `rec` a fork of `source_name`: check the source can be forked to the target, that the
/// fork fits on the disk, hold the source's backups, and carry over its password, configuration
/// and (with `copy_tags`) tags.
fn attach_fork(
    m: &Manager,
    project: &str,
    plan: &avn_api::Plan,
    body: &ServiceCreate,
    fork_keys: &avn_api::ForkKeys,
    source_name: &str,
    rec: &mut ServiceRec,
) -> Result<(), OpError> {
    let user_config = rec.user_config.clone();
    let source_project = fork_keys.project.clone().unwrap_or_else(|| project.to_string());
    let source = m.store(|s| s.service(&source_project, source_name))?.ok_or_else(|| {
        Refusal::invalid(format!("Service to fork from '{source_project}/{source_name}' does not exist"))
    })?;
    let engine = m.engine(&body.service_type)?;
    if source.service_type != engine.service_type() {
        return Err(Refusal::invalid(format!(
            "Service '{source_name}' is a {} service: a fork of it must be created with service type '{}', not '{}'",
            source.service_type, source.service_type, body.service_type
        )));
    }
    if let Some(why) = engine.no_backups_reason(&source) {
        return Err(Refusal::invalid(why));
    }
    if !engine.has_pitr() {
        if let Some(raw) = &fork_keys.target_time {
            return Err(Refusal::invalid(format!(
                "recovery_target_time '{raw}': {} services have no point-in-time recovery; fork from a backup (recovery_basebackup_name, or none for the newest)",
                source.service_type
            )));
        }
    }
    let target = fork_target(m, &source, plan.has_backups(), &plan.service_plan, fork_keys)?;
    if let Some((need, free)) = super::fork::space(m, &source).filter(|(need, free)| need > free) {
        return Err(Refusal::invalid(format!(
            "Not enough free disk space to fork '{source_name}': the fork needs about {} MiB, and {} MiB are free where avn local keeps its services; free some space first",
            need >> 20,
            free >> 20
        )));
    }
    // The backups this fork needs are held from now on (not rotated, not removed with the
    // source), until the fork has finished.
    m.hold(&source.id, &rec.id);
    let backups = m.store(|s| s.backups(&source.id))?;
    let backup = match &fork_keys.basebackup {
        // A named backup (types restored from a snapshot): that one, or a refusal.
        Some(name) => {
            let Some(named) = backups.iter().find(|b| &b.backup_name == name) else {
                m.release(&source.id, &rec.id);
                return Err(Refusal::invalid(format!("Service '{source_name}' has no backup named '{name}'")));
            };
            // A backup holds what was committed before it: it cannot restore to an earlier instant.
            if let Some(t) = target.filter(|t| avn_api::time::parse(&named.backup_time).is_some_and(|bt| bt > *t)) {
                m.release(&source.id, &rec.id);
                return Err(Refusal::invalid(format!(
                    "Backup '{name}' of '{source_name}' was taken at {}, after recovery_target_time {}: choose an earlier backup, or none",
                    named.backup_time,
                    format_zulu(t)
                )));
            }
            Some(name.clone())
        }
        None => backups
            .iter()
            .rev()
            .find(|b| target.is_none_or(|t| avn_api::time::parse(&b.backup_time).is_some_and(|bt| bt <= t)))
            .map(|b| b.backup_name.clone()),
    };
    rec.fork = Some(ForkOrigin {
        source_id: source.id.clone(),
        source_project: source.project.clone(),
        source_service: source.name.clone(),
        target,
        backup,
    });
    // The administrator's password at the target (a later reset is not in the fork's copy).
    let at = passwords_at(m, engine, rec.fork.as_ref().expect("set above"));
    rec.password =
        m.store(|s| s.passwords(&source.id, at))?.remove(engine.admin()).unwrap_or_else(|| source.password.clone());
    // The fork carries the source's configuration; the request's keys win.
    let mut merged = source.user_config.clone();
    avn_api::ForkKeys::remove(&mut merged);
    merged.extend(user_config);
    rec.user_config = merged;
    rec.op = Some(Op::Fork);
    if body.copy_tags == Some(true) {
        // A rename's own tags (its lease) stay with the service they were written on.
        let mut tags = source.tags.clone();
        tags.retain(|k, _| !avn_api::lease::OWN_TAGS.contains(&k.as_str()));
        tags.extend(rec.tags.clone());
        rec.tags = tags;
    }
    Ok(())
}

/// The instant whose passwords a fork's users get: its target; for engines forked from backups,
/// the backup's time (what its copy of the users holds).
fn passwords_at(m: &Manager, engine: &crate::engines::Engine, fork: &ForkOrigin) -> Option<Timestamp> {
    if engine.has_pitr() {
        return fork.target;
    }
    let name = fork.backup.as_deref()?;
    let backups = m.store(|s| s.backups(&fork.source_id)).ok()?;
    backups.iter().find(|b| b.backup_name == name).and_then(|b| avn_api::time::parse(&b.backup_time))
}

/// Check that `source` can be forked onto a plan (`plan_has_backups`) and read the request's
/// `recovery_target_time`: `None` restores the latest transaction.
fn fork_target(
    m: &Manager,
    source: &ServiceRec,
    plan_has_backups: bool,
    plan_name: &str,
    fork_keys: &avn_api::ForkKeys,
) -> Result<Option<Timestamp>, OpError> {
    let source_name = &source.name;
    let source_plan = catalog::plan(&source.plan, 1).unwrap_or_default();
    if !source_plan.has_backups() {
        return Err(Refusal::invalid(format!(
            "Service '{source_name}' is on plan '{}', which has no backups: it cannot be forked",
            source.plan
        )));
    }
    if !plan_has_backups {
        return Err(Refusal::invalid(format!(
            "Plan '{plan_name}' does not support forking; choose a plan with backups"
        )));
    }
    let Some((start, end)) = m.pitr_window(source)? else {
        return Err(Refusal::invalid(format!(
            "Service '{source_name}' has no backups yet: it cannot be forked until its first backup exists"
        )));
    };
    let Some(raw) = &fork_keys.target_time else {
        return Ok(None);
    };
    let t = fork_keys.target_instant().ok_or_else(|| {
        Refusal::invalid(format!(
            "Invalid recovery_target_time '{raw}': use e.g. '2019-01-01 23:34:45' (UTC) or RFC 3339"
        ))
    })?;
    let now = Timestamp::now();
    if t > now {
        return Err(Refusal::invalid(format!("recovery_target_time {} is in the future", format_zulu(t))));
    }
    let start_ts = avn_api::time::parse(&start).unwrap_or(now);
    let end_ts = end.as_deref().and_then(avn_api::time::parse);
    if t < start_ts || t > end_ts.unwrap_or(now) {
        return Err(Refusal::invalid(format!(
            "recovery_target_time {} is outside the point-in-time recovery window {} .. {}",
            format_zulu(t),
            start,
            end.as_deref().unwrap_or("now")
        )));
    }
    // A powered-off source has nothing after its power-off: a target at its end is the latest.
    if source.state == State::PowerOff && end_ts.is_some_and(|e| t >= e) {
        return Ok(None);
    }
    Ok(Some(t))
}
