use std::time::Duration;

use avn_api::Service;
use avn_api::ServiceCreate;
use clap::Args;
use serde_json::json;
use serde_json::Map;
use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;
use crate::output::json;
use crate::time;
use crate::time::Target;

/// Service types that can be forked (`service_to_fork_from`).
const FORKABLE: &[&str] =
    &["pg", "mysql", "clickhouse", "dragonfly", "grafana", "opensearch", "valkey", "cassandra", "redis"];
/// Types restored to an instant (`recovery_target_time`); the others from a named backup.
const PITR_TYPES: &[&str] = &["pg", "mysql"];
/// How long a fork waits for the first backup of a service that just started.
const FIRST_BACKUP_WAIT: Duration = Duration::from_secs(120);

/// Whether a service is RUNNING and was created in the last ten minutes.
fn source_is_young(s: &Service) -> bool {
    s.state == avn_api::ServiceState::Running
        && avn_api::time::parse(&s.create_time)
            .is_some_and(|t| jiff::Timestamp::now().duration_since(t) < jiff::SignedDuration::from_secs(600))
}

/// Types whose fork needs at least as many nodes as the source.
const NODE_COUNT_TYPES: &[&str] = &["cassandra", "clickhouse"];

/// Fork a service, to its latest transaction or to an instant, and wait until it is ready
#[derive(Debug, Args)]
#[command(long_about = "Fork a service: create NEW from SOURCE's backups, at the latest transaction or \
    at an instant (--pitr), and wait until NEW accepts connections.\n\n\
    Everything is checked before anything is created: SOURCE exists and can be forked, it has \
    backups, the time is inside its point-in-time recovery window, NEW is a valid free name, and \
    the plan exists and can be forked to. Type, plan and cloud default to SOURCE's.\n\n\
    Time forms for --pitr: RFC 3339 (2026-11-21T10:00:00Z, 2026-11-21T12:00:00+02:00), \
    'YYYY-MM-DD HH:MM:SS[.ffffff]' (UTC), relative (-90m, 2h ago, 1d3h ago), @UNIX_SECONDS, and \
    latest or now (the latest transaction, the default).\n\n\
    Exit status: 0 ready (or adopted with --if-not-exists), 1 failed, 2 refused before anything \
    was created, 3 timed out waiting (the fork goes on; resume with `avn service wait NEW`), 130 \
    interrupted (the fork goes on).\n\n\
    Examples:\n  avn service fork db1 db1-staging\n  avn service fork db1 db1-incident --pitr '2026-11-21 09:58:00'\n  \
    avn service fork db1 db1-copy --pitr '2h ago' -p business-4 --copy-integrations\n  \
    avn service fork db1 ci-copy --if-not-exists --timeout 20m --json\n  avn service fork db1 test --dry-run")]
pub struct ForkArgs {
    /// Fork this service
    pub source: String,
    /// Name the new service
    pub new: String,
    /// Restore to this instant instead of the latest transaction (see the time forms above)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub pitr: Option<String>,
    /// Restore from this backup (see `avn service backup-list SOURCE`)
    #[arg(long, value_name = "NAME", conflicts_with = "pitr")]
    pub backup: Option<String>,
    /// Fork a service of this project [default: the current project]
    #[arg(long, value_name = "PROJECT")]
    pub source_project: Option<String>,
    /// Check the fork has this type [default: the source's]
    #[arg(short = 't', long = "service-type", value_name = "TYPE", value_parser = crate::cli::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
    /// Put the fork on this plan [default: the source's]
    #[arg(short = 'p', long, value_name = "PLAN")]
    pub plan: Option<String>,
    /// Put the fork in this cloud [default: the source's]
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// Give the fork this much disk (GiB)
    #[arg(long, value_name = "GIB")]
    pub disk_space_gib: Option<u64>,
    /// Set a configuration option on the fork, typed by the schema (can be repeated)
    #[arg(short = 'c', value_name = "KEY=VALUE")]
    pub config_option: Vec<String>,
    /// Recreate the source's integrations on the fork
    #[arg(long)]
    pub copy_integrations: bool,
    /// Copy the source's tags to the fork
    #[arg(long)]
    pub copy_tags: bool,
    /// Protect the fork against termination and powering off
    #[arg(long)]
    pub enable_termination_protection: bool,
    /// Succeed without a second fork when NEW already is a fork of SOURCE (for retried CI jobs)
    #[arg(long)]
    pub if_not_exists: bool,
    /// Run every check and print the request and the plan, creating nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Return once the fork is accepted instead of waiting until it is ready
    #[arg(long, conflicts_with = "timeout")]
    pub no_wait: bool,
    /// Give up waiting after this long: seconds, or units like 20m [default: 30m]
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::parse_duration)]
    pub timeout: Option<Duration>,
}

/// A fork as `service fork` and `service create --fork-from` describe it.
pub struct ForkSpec {
    pub args: ForkArgs,
    /// Wait until ready (fork: unless --no-wait; create: only with --wait).
    pub wait: bool,
}

pub async fn run(ctx: &Context<'_>, args: ForkArgs) -> anyhow::Result<()> {
    let wait = !args.no_wait;
    fork(ctx, ForkSpec { args, wait }).await
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::usage(msg)
}

/// Whether `s` is a fork of `source` in `source_project` (as its user_config records).
fn is_fork_of(s: &Service, source: &str, source_project: &str, project: &str) -> bool {
    let from_project =
        s.user_config.get("project_to_fork_from").and_then(Value::as_str).filter(|p| !p.is_empty()).unwrap_or(project);
    s.forked_from() == Some(source) && from_project == source_project
}

fn describe(s: &Service) -> String {
    let origin = match s.forked_from() {
        Some(f) => format!(", a fork of '{f}'"),
        None => ", not a fork".to_string(),
    };
    format!("a {} service on plan {} ({}){origin}", s.service_type, s.plan, s.state)
}

fn peer(i: &avn_api::Integration, source: &str) -> String {
    let other =
        if i.source_service.as_deref() == Some(source) { i.dest_service.clone() } else { i.source_service.clone() };
    let dir = if i.source_service.as_deref() == Some(source) { "to" } else { "from" };
    match other {
        Some(o) => format!("{} {dir} {o}", i.integration_type),
        None => format!(
            "{} {dir} endpoint {}",
            i.integration_type,
            i.dest_endpoint_id.clone().or(i.source_endpoint_id.clone()).unwrap_or_default()
        ),
    }
}

pub async fn fork(ctx: &Context<'_>, spec: ForkSpec) -> anyhow::Result<()> {
    let a = &spec.args;
    let project = ctx.project()?.to_string();
    let src_project = a.source_project.clone().unwrap_or_else(|| project.clone());
    super::validate_name(&a.new)?;
    let now = jiff::Timestamp::now();
    let mut target = match &a.pitr {
        Some(raw) => time::parse_target(raw, now).map_err(usage)?,
        None => Target::Latest,
    };
    let client = ctx.client()?;

    // The source, and what it can be forked as.
    let source = match client.service_get(&src_project, &a.source).await {
        Ok(s) => s,
        Err(e) if e.is_not_found() => {
            return Err(usage(format!("source service '{src_project}/{}' does not exist", a.source))
                .hint("list the services with `avn service list`; use --source-project for another project")
                .into())
        }
        Err(e) => return Err(e.into()),
    };
    let stype = a.service_type.clone().unwrap_or_else(|| source.service_type.clone());
    if stype != source.service_type {
        return Err(usage(format!(
            "a fork has its source's type: '{}' is {}, not {stype}",
            a.source, source.service_type
        ))
        .into());
    }
    if !FORKABLE.contains(&stype.as_str()) {
        return Err(usage(format!("services of type {stype} cannot be forked")).into());
    }
    let pitr_type = PITR_TYPES.contains(&stype.as_str());
    if matches!(target, Target::At { .. }) && !pitr_type {
        return Err(usage(format!("{stype} services cannot be restored to an instant"))
            .hint(format!(
                "fork from a named backup with --backup NAME (list them with `avn service backup-list {}`)",
                a.source
            ))
            .into());
    }

    // NEW must be free, or (with --if-not-exists) already be this fork.
    let mut adopted = None;
    match client.service_get(&project, &a.new).await {
        Ok(existing) if a.if_not_exists && is_fork_of(&existing, &a.source, &src_project, &project) => {
            ctx.printer.info(&format!("'{}' already exists as a fork of '{}': adopting it", a.new, a.source));
            adopted = Some(existing);
        }
        Ok(existing) if a.if_not_exists => {
            return Err(CliError::failed(format!(
                "'{project}/{}' exists but is not a fork of '{}': it is {}",
                a.new,
                a.source,
                describe(&existing)
            ))
            .hint("choose another name for the fork, or remove that service")
            .into());
        }
        Ok(existing) => {
            return Err(usage(format!("service '{project}/{}' already exists: {}", a.new, describe(&existing)))
                .hint("choose another name, or pass --if-not-exists to adopt an existing fork of the same source")
                .into());
        }
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e.into()),
    }

    let integrations = client.service_integrations(&src_project, &a.source).await.unwrap_or_default();
    let fork_service = match adopted {
        Some(s) => s,
        None => {
            let body = preflight(ctx, &spec, &project, &src_project, &source, &mut target).await?;
            if a.dry_run {
                return print_dry_run(ctx, &spec, &project, &body, &target, &integrations);
            }
            super::create_or_lookup(ctx, &project, &body).await?
        }
    };
    if !spec.wait {
        super::print_service_line(ctx, &fork_service)?;
        if !ctx.printer.json_mode() {
            ctx.printer.hint(&format!("the fork goes on; wait until it is ready with `avn service wait {}`", a.new));
        }
        return Ok(());
    }
    let done = super::wait::wait_running(
        ctx,
        &project,
        std::slice::from_ref(&a.new),
        a.timeout.unwrap_or(super::wait::DEFAULT_TIMEOUT),
    )
    .await?;
    let fork_service = done.into_iter().next().expect("one service waited for");
    let copied = if a.copy_integrations {
        copy_integrations(ctx, &project, &src_project, &a.source, &a.new, &integrations).await
    } else {
        vec![]
    };
    report(ctx, &spec, &src_project, &fork_service, &target, &integrations, &copied)
}

/// Every check that needs the API, then the request to send. Creates nothing.
pub(crate) async fn preflight(
    ctx: &Context<'_>,
    spec: &ForkSpec,
    project: &str,
    src_project: &str,
    source: &Service,
    target: &mut Target,
) -> anyhow::Result<ServiceCreate> {
    let a = &spec.args;
    let client = ctx.client()?;
    let stype = source.service_type.clone();
    let pitr_type = PITR_TYPES.contains(&stype.as_str());

    // Backups and the PITR window. A service that just started takes its first backup shortly
    // after it is RUNNING (as on Aiven): wait for it, a bounded while, rather than refuse.
    let mut backups = client.service_backups(src_project, &a.source).await?;
    if backups.backups.is_empty() && source_is_young(source) {
        let plans = client.service_plans(src_project, &stype).await.unwrap_or_default();
        if plans.iter().any(|p| p.service_plan == source.plan && p.has_backups()) {
            ctx.printer.info(&format!(
                "'{}' started recently and has no backup yet; waiting for its first backup...",
                a.source
            ));
            let deadline = std::time::Instant::now() + FIRST_BACKUP_WAIT;
            while backups.backups.is_empty() && std::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_secs(1)).await;
                backups = client.service_backups(src_project, &a.source).await?;
            }
        }
    }
    if backups.backups.is_empty() {
        return Err(usage(format!("'{}' has no backups yet, so it cannot be forked", a.source))
            .hint(format!("services on a plan without backups (such as hobbyist) cannot be forked; otherwise wait for the first backup (`avn service backup-list {}`)", a.source))
            .into());
    }
    let mut basebackup_name = None;
    if let Some(name) = &a.backup {
        let Some(b) = backups.backups.iter().find(|b| &b.backup_name == name) else {
            let names: Vec<&str> = backups.backups.iter().map(|b| b.backup_name.as_str()).collect();
            return Err(usage(format!("'{}' has no backup named '{name}'", a.source))
                .hint(format!("its backups: {}", names.join(", ")))
                .into());
        };
        if pitr_type {
            let t = avn_api::time::parse(&b.backup_time)
                .ok_or_else(|| usage(format!("backup {name} has an unreadable time {}", b.backup_time)))?;
            ctx.printer.info(&format!("Restoring to the end of backup {name} ({})", avn_api::time::format_zulu(t)));
            *target = Target::At { instant: t, assumed_utc: false };
        } else {
            basebackup_name = Some(name.clone());
        }
    }
    if let Target::At { instant, assumed_utc } = target {
        let window = backups.pitr.as_ref().map(|p| &p.primary_region);
        let start = window.and_then(|w| w.pitr_range_start.as_deref()).and_then(avn_api::time::parse);
        let end = window.and_then(|w| w.pitr_range_end.as_deref()).and_then(avn_api::time::parse);
        let shown = |t: Option<jiff::Timestamp>, dflt: &str| {
            t.map(avn_api::time::format_zulu).unwrap_or_else(|| dflt.to_string())
        };
        let Some(start) = start else {
            return Err(usage(format!("'{}' has no point-in-time recovery window yet", a.source))
                .hint("fork to the latest transaction (leave out --pitr), or wait for a backup usable for PITR")
                .into());
        };
        let now = jiff::Timestamp::now();
        if *instant < start || *instant > end.unwrap_or(now) {
            return Err(usage(format!(
                "{} is outside the point-in-time recovery window of '{}'",
                avn_api::time::format_zulu(*instant),
                a.source
            ))
            .hint(format!("the window is {} .. {}", avn_api::time::format_zulu(start), shown(end, "now")))
            .into());
        }
        if *assumed_utc {
            ctx.printer.info("note: the time has no zone; it is taken as UTC, as the Aiven API does");
        }
        let ago = std::time::Duration::try_from(now.duration_since(*instant)).unwrap_or_default();
        ctx.printer.info(&format!(
            "Recovery target: {} ({} ago)",
            avn_api::time::format_zulu(*instant),
            time::humanize(ago)
        ));
    } else if pitr_type && a.backup.is_none() {
        ctx.printer.info("Recovery target: the latest transaction");
    }

    // The plan and cloud of the fork.
    let plan_name = a.plan.clone().unwrap_or_else(|| source.plan.clone());
    let cloud = a.cloud.clone().unwrap_or_else(|| source.cloud_name.clone());
    let plans = client.service_plans(project, &stype).await?;
    let Some(plan) = plans.iter().find(|p| p.service_plan == plan_name) else {
        let names: Vec<&str> = plans.iter().map(|p| p.service_plan.as_str()).collect();
        return Err(usage(format!("plan '{plan_name}' does not exist for {stype}"))
            .hint(format!("plans: {}", names.join(", ")))
            .into());
    };
    if !plan.has_backups() {
        return Err(usage(format!("plan '{plan_name}' keeps no backups, so a fork cannot be created on it"))
            .hint(format!("choose a plan with backups (`avn service plans -t {stype}`)"))
            .into());
    }
    if !plan.regions.is_empty() && !plan.regions.contains_key(&cloud) {
        return Err(usage(format!("plan '{plan_name}' is not offered in cloud '{cloud}'"))
            .hint(format!("list the plans there with `avn service plans -t {stype} --cloud {cloud}`"))
            .into());
    }
    if NODE_COUNT_TYPES.contains(&stype.as_str()) {
        let source_nodes = plans
            .iter()
            .find(|p| p.service_plan == source.plan)
            .map(|p| p.node_count)
            .or(source.node_count)
            .unwrap_or(0);
        if plan.node_count < source_nodes {
            return Err(usage(format!(
                "a {stype} fork needs at least as many nodes as its source: plan '{plan_name}' has {}, '{}' has {source_nodes}",
                plan.node_count, a.source
            ))
            .into());
        }
    }

    // Options, typed by the schema, and the fork keys.
    let mut user_config = Map::new();
    if !a.config_option.is_empty() {
        let schema = super::schema_for(ctx, project, &stype).await?;
        super::apply_options(&mut user_config, &schema, &stype, &a.config_option)?;
    }
    user_config.insert("service_to_fork_from".into(), a.source.clone().into());
    if src_project != project {
        user_config.insert("project_to_fork_from".into(), src_project.into());
    }
    match (&*target, basebackup_name) {
        (_, Some(name)) => {
            user_config.insert("recovery_basebackup_name".into(), name.into());
        }
        (Target::At { instant, .. }, None) => {
            user_config.insert("recovery_target_time".into(), avn_api::time::format_offset(*instant).into());
        }
        (Target::Latest, None) => {}
    }
    Ok(ServiceCreate {
        cloud: Some(cloud),
        plan: plan_name,
        service_integrations: vec![],
        service_name: a.new.clone(),
        service_type: stype,
        user_config,
        termination_protection: a.enable_termination_protection,
        static_ips: vec![],
        disk_space_mb: a.disk_space_gib.map(|g| g * 1024),
        project_vpc_id: None,
        tags: None,
        copy_tags: a.copy_tags.then_some(true),
        ..Default::default()
    })
}

fn target_value(t: &Target) -> Value {
    match t {
        Target::Latest => Value::Null,
        Target::At { instant, .. } => avn_api::time::format_zulu(*instant).into(),
    }
}

fn print_dry_run(
    ctx: &Context<'_>,
    spec: &ForkSpec,
    project: &str,
    body: &ServiceCreate,
    target: &Target,
    integrations: &[avn_api::Integration],
) -> anyhow::Result<()> {
    let a = &spec.args;
    let path = format!("/v1/project/{}/service", avn_client::encode_segment(project));
    let mut steps = vec![format!(
        "create '{}' ({} on {} in {}) from '{}'",
        a.new,
        body.service_type,
        body.plan,
        body.cloud.as_deref().unwrap_or(""),
        a.source
    )];
    steps.push(match target {
        Target::Latest => "restore the latest transaction".to_string(),
        Target::At { instant, .. } => format!("restore to {}", avn_api::time::format_zulu(*instant)),
    });
    if spec.wait {
        steps.push(format!(
            "wait until it is RUNNING and accepts connections (up to {})",
            time::humanize(a.timeout.unwrap_or(super::wait::DEFAULT_TIMEOUT))
        ));
    }
    for i in integrations {
        steps.push(if a.copy_integrations {
            format!("recreate integration {}", peer(i, &a.source))
        } else {
            format!("not copied: integration {}", peer(i, &a.source))
        });
    }
    if ctx.printer.json_mode() {
        return Ok(ctx.printer.print_json(json!({"dry_run": true, "request": {"method": "POST", "path": path, "body": json::value(body)}, "plan": steps}))?);
    }
    ctx.printer.info("Dry run: every check passed; nothing was created.");
    for s in &steps {
        ctx.printer.info(&format!("  - {s}"));
    }
    ctx.printer.line(&format!("POST {}{path}", ctx.settings.url.trim_end_matches('/')))?;
    ctx.printer.print_json(json::value(body))?;
    Ok(())
}

/// Recreate the source's integrations on the fork; returns one outcome per integration.
async fn copy_integrations(
    ctx: &Context<'_>,
    project: &str,
    src_project: &str,
    source: &str,
    new: &str,
    integrations: &[avn_api::Integration],
) -> Vec<Value> {
    let client = match ctx.client() {
        Ok(c) => c,
        Err(_) => return vec![],
    };
    let mut out = Vec::new();
    for i in integrations {
        let body = super::integration_moved(i, source, src_project, new, project);
        let what = peer(i, source);
        match client.integration_create(project, &body).await {
            Ok(created) => {
                ctx.printer.info(&format!("Recreated integration {what} on '{new}'"));
                out.push(
                    json!({"integration": what, "ok": true, "service_integration_id": created.service_integration_id}),
                );
            }
            Err(e) => {
                ctx.printer.warn(&format!("could not recreate integration {what} on '{new}': {e}"));
                out.push(json!({"integration": what, "ok": false, "error": e.to_string()}));
            }
        }
    }
    out
}

fn report(
    ctx: &Context<'_>,
    spec: &ForkSpec,
    src_project: &str,
    fork: &Service,
    target: &Target,
    integrations: &[avn_api::Integration],
    copied: &[Value],
) -> anyhow::Result<()> {
    let a = &spec.args;
    let names = |v: Option<Vec<String>>| v.unwrap_or_default();
    let databases = names(fork.databases.clone());
    let users = names(fork.users.as_ref().map(|u| u.iter().map(|u| u.username.clone()).collect()));
    let pools = names(fork.connection_pools.as_ref().map(|p| p.iter().map(|p| p.pool_name.clone()).collect()));
    let config: Vec<String> = fork
        .user_config
        .keys()
        .filter(|k| {
            !["service_to_fork_from", "project_to_fork_from", "recovery_target_time", "recovery_basebackup_name"]
                .contains(&k.as_str())
        })
        .cloned()
        .collect();
    let not_copied: Vec<String> =
        if a.copy_integrations { vec![] } else { integrations.iter().map(|i| peer(i, &a.source)).collect() };
    let failed = copied.iter().filter(|c| c["ok"] == false).count();
    if ctx.printer.json_mode() {
        let mut v = json::value(fork);
        v["fork"] = json!({
            "source": a.source, "source_project": src_project,
            "target_time": target_value(target),
            "copied": {"databases": databases, "users": users, "connection_pools": pools, "configuration": config},
            "not_copied": {"integrations": not_copied, "sso": fork.service_type == "opensearch"},
            "integrations_copied": copied,
        });
        ctx.printer.print_json(v)?;
    } else {
        let p = ctx.printer;
        let list = |v: &[String]| if v.is_empty() { "none".to_string() } else { v.join(", ") };
        let when = match target {
            Target::Latest => "the latest transaction".to_string(),
            Target::At { instant, .. } => avn_api::time::format_zulu(*instant),
        };
        p.info(&format!("Forked '{}' into '{}', restored to {when}", a.source, a.new));
        p.info(&format!(
            "Copied: databases ({}), users ({}), connection pools ({}), configuration ({})",
            list(&databases),
            list(&users),
            list(&pools),
            list(&config)
        ));
        if !not_copied.is_empty() {
            p.info(&format!(
                "Not copied: integrations: {} (recreate them with --copy-integrations)",
                not_copied.join("; ")
            ));
        }
        if fork.service_type == "opensearch" {
            p.info(&format!(
                "Not copied: SSO methods (SAML, OpenID); their URLs change, so reconfigure them on '{}'",
                a.new
            ));
        }
        if let Some(uri) = &fork.service_uri {
            let shown = if p.show_secrets() { uri.clone() } else { avn_api::redact::mask_uri(uri) };
            p.info(&format!("Connect: {shown}"));
        }
        super::print_service_line(ctx, fork)?;
    }
    if failed > 0 {
        return Err(CliError::failed(format!(
            "{failed} integration(s) could not be recreated on '{}'; the fork itself is ready",
            a.new
        ))
        .into());
    }
    Ok(())
}
