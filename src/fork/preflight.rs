//! Every check a fork needs before anything is created, and the request it then sends.

use std::time::Duration;

use avn_api::Service;
use avn_api::ServiceCreate;
use serde_json::Map;

use super::ForkRequest;
use crate::context::Context;
use crate::create_request;
use crate::error::CliError;
use crate::time;
use crate::time::Target;

/// Service types that can be forked (`service_to_fork_from`).
const FORKABLE: &[&str] =
    &["pg", "mysql", "clickhouse", "dragonfly", "grafana", "opensearch", "valkey", "cassandra", "redis"];
/// Types restored to an instant (`recovery_target_time`); the others from a named backup.
const PITR_TYPES: &[&str] = &["pg", "mysql"];
/// How long a fork waits for the first backup of a service that just started.
const FIRST_BACKUP_WAIT: Duration = Duration::from_secs(120);
/// Types whose fork needs at least as many nodes as the source.
const NODE_COUNT_TYPES: &[&str] = &["cassandra", "clickhouse"];

/// What preflight settled: the create request, and the instant it restores to (a named backup
/// of a PITR type becomes the instant at its end).
pub struct Planned {
    pub body: ServiceCreate,
    pub target: Target,
}

/// Whether a service is RUNNING and was created in the last ten minutes.
fn source_is_young(s: &Service) -> bool {
    s.state == avn_api::ServiceState::Running
        && avn_api::time::parse(&s.create_time)
            .is_some_and(|t| jiff::Timestamp::now().duration_since(t) < jiff::SignedDuration::from_secs(600))
}

/// The checks on the source alone: its type, and whether it can be restored to an instant.
pub fn check_source(req: &ForkRequest, source: &Service) -> Result<(), CliError> {
    let stype = req.service_type.clone().unwrap_or_else(|| source.service_type.clone());
    if stype != source.service_type {
        return Err(CliError::usage(format!(
            "a fork has its source's type: '{}' is {}, not {stype}",
            req.source, source.service_type
        )));
    }
    if !FORKABLE.contains(&stype.as_str()) {
        return Err(CliError::usage(format!("services of type {stype} cannot be forked")));
    }
    // avn local says what a fork of this service needs on its disk and what is free there: a
    // fork that cannot fit is refused now, before anything is created (or, in a rename, before
    // writes stop), not half-way with the disk full next to the running services.
    if let Some(d) = source.extra.get(avn_api::service::LOCAL_DISK_KEY) {
        let (need, free) = (d["fork_needs_bytes"].as_u64().unwrap_or(0), d["free_bytes"].as_u64().unwrap_or(u64::MAX));
        if need > free {
            return Err(CliError::usage(format!(
                "not enough free disk to fork '{}' on this machine: the fork needs about {}, and {} are free",
                req.source,
                crate::output::human_bytes(need),
                crate::output::human_bytes(free)
            ))
            .hint("free some space where avn local keeps its services (`avn local status` shows where), then try again; nothing was changed"));
        }
    }
    let pitr_type = PITR_TYPES.contains(&stype.as_str());
    if req.latest_snapshot && pitr_type {
        return Err(CliError::usage(format!(
            "--latest-snapshot is for services forked from backups; a {stype} fork restores the latest transaction without it"
        ))
        .hint("leave out --latest-snapshot (or pass --pitr TIME for an instant)"));
    }
    if !req.run_sql.is_empty() && !matches!(stype.as_str(), "pg" | "mysql") {
        return Err(CliError::usage(format!("--run-sql runs SQL, and {stype} services have none")).hint(
            "leave out --run-sql; prepare the fork's data with its own client once it is ready (`avn service cli NEW`)",
        ));
    }
    if stype == "valkey"
        && source.user_config.get("valkey_persistence").and_then(serde_json::Value::as_str) == Some("off")
    {
        return Err(CliError::usage(format!(
            "'{}' has valkey_persistence 'off': it keeps no backups and can't be forked",
            req.source
        ))
        .hint(format!(
            "turn persistence on (`avn service update {} -c valkey_persistence=rdb`), wait for its first backup, then fork",
            req.source
        )));
    }
    if matches!(req.target, Target::At { .. }) && !pitr_type {
        return Err(CliError::usage(format!("{stype} services cannot be restored to an instant")).hint(format!(
            "fork from a named backup with --backup NAME (list them with `avn service backup-list {}`)",
            req.source
        )));
    }
    Ok(())
}

/// Every check that needs the API, then the request to send. Creates nothing.
pub async fn preflight(ctx: &Context<'_>, req: &ForkRequest, source: &Service) -> anyhow::Result<Planned> {
    check_source(req, source)?;
    let (project, src_project) = (req.project.as_str(), req.source_project.as_str());
    let client = ctx.client()?;
    let stype = source.service_type.clone();
    let mut backups = backups_of(ctx, client, req, source).await?;
    let chosen = choose_backup(ctx, client, req, &stype, &mut backups).await?;
    let (target, basebackup_name) = resolve_target(ctx, req, chosen.as_ref(), &stype, &backups)?;
    let (plan_name, cloud) = plan_and_cloud(ctx, client, req, source).await?;
    // Options, typed by the schema, and the fork keys.
    let mut user_config = Map::new();
    if !req.config_options.is_empty() {
        let schema = create_request::schema_for(ctx, project, &stype).await?;
        create_request::apply_options(&mut user_config, &schema, &stype, &req.config_options)?;
    }
    let target_time = match (&target, &basebackup_name) {
        (Target::At { instant, .. }, None) => Some(avn_api::time::format_offset(*instant)),
        _ => None,
    };
    avn_api::ForkKeys {
        service: Some(req.source.clone()),
        project: (src_project != project).then(|| src_project.to_string()),
        target_time,
        basebackup: basebackup_name,
    }
    .write(&mut user_config);
    let body = ServiceCreate {
        cloud: Some(cloud),
        plan: plan_name,
        service_integrations: vec![],
        service_name: req.new.clone(),
        service_type: stype,
        user_config,
        termination_protection: req.termination_protection,
        static_ips: vec![],
        disk_space_mb: create_request::disk_space_mb(req.disk_space_gib)?,
        project_vpc_id: None,
        tags: fork_tags(req, source),
        copy_tags: None,
        ..Default::default()
    };
    Ok(Planned { body, target })
}

/// The source's backups and PITR window. A service that just started takes its first backup
/// shortly after it is RUNNING (as on Aiven): wait for it, a bounded while, rather than refuse.
async fn backups_of(
    ctx: &Context<'_>,
    client: &avn_client::Client,
    req: &ForkRequest,
    source: &Service,
) -> anyhow::Result<avn_api::BackupsResponse> {
    let src_project = req.source_project.as_str();
    let mut backups = client.service_backups(src_project, &req.source).await?;
    if backups.backups.is_empty() && source_is_young(source) {
        let plans = client.service_plans(src_project, &source.service_type).await.unwrap_or_default();
        if plans.iter().any(|p| p.service_plan == source.plan && p.has_backups()) {
            ctx.printer.info(&format!(
                "'{}' started recently and has no backup yet; waiting for its first backup...",
                req.source
            ));
            let first =
                avn_util::wait::until("its first backup", FIRST_BACKUP_WAIT, Duration::from_secs(1), || async {
                    match client.service_backups(src_project, &req.source).await {
                        Ok(b) if b.backups.is_empty() => None,
                        r => Some(r),
                    }
                });
            if let Ok(r) = first.await {
                backups = r?;
            }
        }
    }
    if backups.backups.is_empty() {
        return Err(CliError::usage(format!("'{}' has no backups yet, so it cannot be forked", req.source))
            .hint(format!("services on a plan without backups (such as hobbyist) cannot be forked; otherwise wait for the first backup (`avn service backup-list {}`)", req.source))
            .into());
    }
    Ok(backups)
}

/// For types forked from backups: the backup to restore when none was named. `--latest-snapshot`
/// takes one now (avn local; not with `--dry-run`, which says it would); else the newest, as
/// Aiven chooses it. Says which.
async fn choose_backup(
    ctx: &Context<'_>,
    client: &avn_client::Client,
    req: &ForkRequest,
    stype: &str,
    backups: &mut avn_api::BackupsResponse,
) -> anyhow::Result<Option<String>> {
    if PITR_TYPES.contains(&stype) || req.backup.is_some() {
        return Ok(req.backup.clone());
    }
    if req.latest_snapshot && !req.dry_run {
        let src_project = req.source_project.as_str();
        let b = client.local_backup_now(src_project, &req.source).await.map_err(|e| {
            let hint = if e.status() == Some(404) {
                "--latest-snapshot needs avn local's control plane: Aiven takes backups on its schedule only; fork from the newest (leave the option out) or pass --backup NAME".to_string()
            } else {
                format!("nothing was created; fork from an existing backup with --backup NAME (`avn service backup-list {}`)", req.source)
            };
            CliError::failed(format!("cannot take a snapshot of '{}' now: {e}", req.source)).hint(hint)
        })?;
        ctx.printer
            .info(&format!("Took a fresh snapshot of '{}': backup {} ({})", req.source, b.backup_name, b.backup_time));
        *backups = client.service_backups(src_project, &req.source).await?;
        return Ok(Some(b.backup_name));
    }
    let newest = backups.backups.iter().max_by(|a, b| a.backup_time.cmp(&b.backup_time)).map(|b| b.backup_name.clone());
    if let Some(name) = &newest {
        let time =
            backups.backups.iter().find(|b| &b.backup_name == name).map(|b| b.backup_time.as_str()).unwrap_or("");
        if req.latest_snapshot {
            // Not taken by a dry run (nor by a rename's preflight): its name is not known yet.
            ctx.printer.info(&format!(
                "A fresh snapshot of '{}' is to be taken and restored (the newest backup now is {name}, {time})",
                req.source
            ));
            return Ok(None);
        } else {
            ctx.printer.info(&format!(
                "Restoring backup {name}, the newest ({time}): writes after it are not in the fork (--latest-snapshot takes a fresh one first)"
            ));
        }
    }
    Ok(newest)
}

/// What the fork restores: the requested target, or the end of backup `chosen` for types with
/// point-in-time recovery (else that backup by name), checked against the PITR window.
fn resolve_target(
    ctx: &Context<'_>,
    req: &ForkRequest,
    chosen: Option<&String>,
    stype: &str,
    backups: &avn_api::BackupsResponse,
) -> Result<(Target, Option<String>), CliError> {
    let pitr_type = PITR_TYPES.contains(&stype);
    let mut target = req.target.clone();
    let mut basebackup_name = None;
    if let Some(name) = chosen {
        let Some(b) = backups.backups.iter().find(|b| &b.backup_name == name) else {
            let names: Vec<&str> = backups.backups.iter().map(|b| b.backup_name.as_str()).collect();
            return Err(CliError::usage(format!("'{}' has no backup named '{name}'", req.source))
                .hint(format!("its backups: {}", names.join(", "))));
        };
        if pitr_type {
            let t = avn_api::time::parse(&b.backup_time)
                .ok_or_else(|| CliError::usage(format!("backup {name} has an unreadable time {}", b.backup_time)))?;
            ctx.printer.info(&format!("Restoring to the end of backup {name} ({})", avn_api::time::format_zulu(t)));
            target = Target::At { instant: t, assumed_utc: false };
        } else {
            basebackup_name = Some(name.clone());
        }
    }
    if let Target::At { instant, assumed_utc } = &target {
        check_window(ctx, req, backups, *instant, *assumed_utc)?;
    } else if pitr_type && req.backup.is_none() {
        ctx.printer.info("Recovery target: the latest transaction");
    }
    Ok((target, basebackup_name))
}

/// The instant must lie in the source's point-in-time recovery window; say what it is.
fn check_window(
    ctx: &Context<'_>,
    req: &ForkRequest,
    backups: &avn_api::BackupsResponse,
    instant: jiff::Timestamp,
    assumed_utc: bool,
) -> Result<(), CliError> {
    let window = backups.pitr.as_ref().map(|p| &p.primary_region);
    let start = window.and_then(|w| w.pitr_range_start.as_deref()).and_then(avn_api::time::parse);
    let end = window.and_then(|w| w.pitr_range_end.as_deref()).and_then(avn_api::time::parse);
    let Some(start) = start else {
        return Err(CliError::usage(format!("'{}' has no point-in-time recovery window yet", req.source))
            .hint("fork to the latest transaction (leave out --pitr), or wait for a backup usable for PITR"));
    };
    let now = jiff::Timestamp::now();
    if instant < start || instant > end.unwrap_or(now) {
        let shown_end = end.map(avn_api::time::format_zulu).unwrap_or_else(|| "now".to_string());
        return Err(CliError::usage(format!(
            "{} is outside the point-in-time recovery window of '{}'",
            avn_api::time::format_zulu(instant),
            req.source
        ))
        .hint(format!("the window is {} .. {shown_end}", avn_api::time::format_zulu(start))));
    }
    if assumed_utc {
        ctx.printer.info("note: the time has no zone; it is taken as UTC, as the Aiven API does");
    }
    let ago = std::time::Duration::try_from(now.duration_since(instant)).unwrap_or_default();
    ctx.printer.info(&format!(
        "Recovery target: {} ({} ago)",
        avn_api::time::format_zulu(instant),
        time::humanize(ago)
    ));
    Ok(())
}

/// The plan and cloud of the fork (the source's unless given): a plan with backups, and for
/// types that need it as many nodes as the source.
async fn plan_and_cloud(
    ctx: &Context<'_>,
    client: &avn_client::Client,
    req: &ForkRequest,
    source: &Service,
) -> anyhow::Result<(String, String)> {
    let (project, stype) = (req.project.as_str(), source.service_type.as_str());
    let plan_name = req.plan.clone().unwrap_or_else(|| source.plan.clone());
    let cloud = req.cloud.clone().unwrap_or_else(|| source.cloud_name.clone());
    let plan = crate::create_request::plan_for(ctx, project, stype, &plan_name, Some(&cloud)).await?;
    if !plan.has_backups() {
        return Err(CliError::usage(format!("plan '{plan_name}' keeps no backups, so a fork cannot be created on it"))
            .hint(format!("choose a plan with backups (`avn service plans -t {stype}`)"))
            .into());
    }
    if NODE_COUNT_TYPES.contains(&stype) {
        let plans = client.service_plans(project, stype).await?;
        let source_nodes = plans
            .iter()
            .find(|p| p.service_plan == source.plan)
            .map(|p| p.node_count)
            .or(source.node_count)
            .unwrap_or(0);
        if plan.node_count < source_nodes {
            return Err(CliError::usage(format!(
                "a {stype} fork needs at least as many nodes as its source: plan '{plan_name}' has {}, '{}' has {source_nodes}",
                plan.node_count, req.source
            ))
            .into());
        }
    }
    Ok((plan_name, cloud))
}

/// The fork's tags. `--copy-tags` copies the source's own tags, never the ones avn keeps about a
/// copy (its expiry, the SQL that ran on it, a rename's lease): a kept copy of an expiring CI
/// fork must not expire with it. They are sent as the fork's tags rather than with `copy_tags`.
fn fork_tags(req: &ForkRequest, source: &Service) -> Option<std::collections::BTreeMap<String, String>> {
    let mut tags = std::collections::BTreeMap::new();
    if req.copy_tags {
        tags.extend(source.tags.clone().unwrap_or_default());
        tags.remove(crate::expiry::TAG);
        tags.remove(super::run_sql::TAG);
        tags.retain(|k, _| !avn_api::lease::OWN_TAGS.contains(&k.as_str()));
    }
    tags.extend(req.tags.clone());
    if let Some(t) = req.expires_at {
        tags.insert(crate::expiry::TAG.to_string(), crate::expiry::format(t));
    }
    (!tags.is_empty()).then_some(tags)
}
