use std::time::Duration;

use anyhow::Context as _;
use avn_api::ServiceCreate;
use serde_json::Map;
use serde_json::Value;

use crate::context::Context;
use crate::create_request;
use crate::error::CliError;
use crate::fork::ForkRequest;
use crate::output::service::print_service_line;
use crate::readiness;
use crate::time;
use crate::time::Target;

pub use avn_cli::commands::service::create::CreateArgs;

/// Parse `TYPE[:PLAN]` and `-p`; the plan in `-t` wins, as in the official client.
fn type_and_plan(args: &CreateArgs) -> Result<(String, String), CliError> {
    let raw = args.service_type.clone().unwrap_or_default();
    let (t, p) = match raw.split_once(':') {
        Some((t, p)) => (t.to_string(), Some(p.to_string())),
        None => (raw.clone(), None),
    };
    let plan = p.or_else(|| args.plan.clone()).filter(|p| !p.is_empty()).ok_or_else(|| {
        CliError::usage("no plan given")
            .hint(format!("pass -p PLAN or -t {t}:PLAN; list the plans with `avn service plans -t {t}`"))
    })?;
    Ok((t, plan))
}

fn user_config_json(raw: &str) -> Result<Map<String, Value>, anyhow::Error> {
    let text = match raw.strip_prefix('@') {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read --user-config-json file {path}"))?
        }
        None => raw.to_string(),
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(CliError::usage("--user-config-json must be a JSON object").into()),
        Err(e) => Err(CliError::usage(format!("--user-config-json is not valid JSON: {e}")).into()),
    }
}

/// Build the create request: every check that needs no server runs first, then the schema.
async fn build(ctx: &Context<'_>, project: &str, args: &CreateArgs) -> anyhow::Result<ServiceCreate> {
    create_request::validate_name(&args.name)?;
    let (service_type, plan) = type_and_plan(args)?;
    let disk_space_mb = create_request::disk_space_mb(args.disk_space_gib)?;
    let expires_at = crate::cli::resolve_expiry(&args.expiry)?;
    let mut user_config = match &args.user_config_json {
        Some(raw) => user_config_json(raw)?,
        None => Map::new(),
    };
    let fork_in_options = args
        .config_option
        .iter()
        .filter_map(|c| c.split_once('=').map(|(k, _)| k))
        .any(|k| k == avn_api::fork::SERVICE || k == avn_api::fork::LEGACY_PG_SERVICE)
        || avn_api::ForkKeys::read(&user_config).service.is_some();
    if args.recovery_target_time.is_some() && args.service_to_fork_from.is_none() && !fork_in_options {
        return Err(CliError::usage("--recovery-target-time needs a service to fork from")
            .hint("add --service-to-fork-from SOURCE (the official client silently ignores the time without it)")
            .into());
    }
    if args.project_to_fork_from.is_some() && args.service_to_fork_from.is_none() && !fork_in_options {
        return Err(CliError::usage("--project-to-fork-from needs a service to fork from")
            .hint("add --service-to-fork-from SOURCE")
            .into());
    }
    let target = match &args.recovery_target_time {
        Some(raw) => Some(time::parse_target(raw, jiff::Timestamp::now()).map_err(CliError::usage)?),
        None => None,
    };
    let client = ctx.client()?;
    if let (Some(cloud), None, false) = (&args.cloud, &args.project_vpc_id, args.no_project_vpc) {
        let vpcs = client.vpcs(project).await?;
        if let Some(v) = vpcs.iter().find(|v| &v.cloud_name == cloud) {
            return Err(CliError::usage(format!("cloud {cloud} has a VPC ({})", v.project_vpc_id))
                .hint(format!(
                    "pass --project-vpc-id={} to use it, or --no-project-vpc to use the public internet",
                    v.project_vpc_id
                ))
                .into());
        }
    }
    let schema = create_request::schema_for(ctx, project, &service_type).await?;
    create_request::plan_for(ctx, project, &service_type, &plan, args.cloud.as_deref()).await?;
    crate::user_config::check_keys(&user_config, &schema, &service_type)?;
    create_request::apply_options(&mut user_config, &schema, &service_type, &args.config_option)?;
    let mut fork = avn_api::ForkKeys {
        service: args.service_to_fork_from.clone(),
        project: args.project_to_fork_from.clone(),
        ..Default::default()
    };
    match target {
        Some(Target::At { instant, assumed_utc }) => {
            if assumed_utc {
                ctx.printer.info("note: the recovery target time has no zone; it is taken as UTC");
            }
            let ago = jiff::Timestamp::now().duration_since(instant);
            ctx.printer.info(&format!(
                "Recovery target: {} ({} ago)",
                avn_api::time::format_zulu(instant),
                time::humanize(Duration::try_from(ago).unwrap_or_default())
            ));
            fork.target_time = Some(avn_api::time::format_offset(instant));
        }
        Some(Target::Latest) => ctx.printer.info("Recovery target: the latest transaction"),
        None => {}
    }
    fork.write(&mut user_config);
    check_fork_source(ctx, project, &avn_api::ForkKeys::read(&user_config)).await?;
    Ok(ServiceCreate {
        cloud: args.cloud.clone(),
        plan,
        service_integrations: vec![],
        service_name: args.name.clone(),
        service_type,
        user_config,
        termination_protection: args.enable_termination_protection,
        static_ips: args.static_ip.clone(),
        disk_space_mb,
        project_vpc_id: if args.no_project_vpc { Some(None) } else { args.project_vpc_id.clone().map(Some) },
        tags: expires_at.map(|t| [(crate::expiry::TAG.to_string(), crate::expiry::format(t))].into()),
        copy_tags: None,
        ..Default::default()
    })
}

/// The service to fork from, as the docs' form names it (`-c service_to_fork_from=SRC`), must
/// exist before anything is created: a usage error (exit 2) that lists the project's services.
async fn check_fork_source(ctx: &Context<'_>, project: &str, keys: &avn_api::ForkKeys) -> anyhow::Result<()> {
    let Some(source) = &keys.service else { return Ok(()) };
    let source_project = keys.project.as_deref().unwrap_or(project);
    let client = ctx.client()?;
    match client.service_get(source_project, source).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => {
            let names: Vec<String> = client
                .service_list(source_project)
                .await
                .map(|l| l.into_iter().map(|s| s.service_name).collect())
                .unwrap_or_default();
            let err = CliError::usage(format!(
                "the service to fork from, '{source_project}/{source}', does not exist; nothing was created"
            ));
            Err(if names.is_empty() {
                err
            } else {
                err.hint(format!("services in '{source_project}': {}", names.join(", ")))
            }
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn run(ctx: &Context<'_>, args: CreateArgs) -> anyhow::Result<()> {
    if args.fork_from.is_some() {
        return fork_through_create(ctx, args).await;
    }
    let project = ctx.project()?;
    let body = build(ctx, project, &args).await?;
    let client = ctx.client()?;
    let service = match create_request::create_or_lookup(ctx, project, &body).await {
        Ok((s, _)) => s,
        Err(e) if args.no_fail_if_exists && e.downcast_ref::<avn_client::Error>().is_some_and(|e| e.is_conflict()) => {
            ctx.printer.info(&format!("service '{project}/{}' already exists", args.name));
            client.service_get(project, &args.name).await?
        }
        Err(e) => return Err(e),
    };
    if args.wait {
        let done = readiness::wait_running(
            ctx,
            project,
            std::slice::from_ref(&args.name),
            args.timeout.unwrap_or(readiness::DEFAULT_TIMEOUT),
        )
        .await?;
        return print_service_line(ctx.printer, &done[0]);
    }
    print_service_line(ctx.printer, &service)?;
    if !ctx.printer.json_mode() {
        ctx.printer.hint(&format!("wait until it is running with `avn service wait {}`", args.name));
    }
    Ok(())
}

/// `service create NEW --fork-from SOURCE [--pitr TIME]`: the checked fork of `service fork`.
async fn fork_through_create(ctx: &Context<'_>, args: CreateArgs) -> anyhow::Result<()> {
    let (service_type, plan) = match &args.service_type {
        Some(t) => match t.split_once(':') {
            Some((t, p)) => (Some(t.to_string()), Some(p.to_string())),
            None => (Some(t.clone()), args.plan.clone()),
        },
        None => (None, args.plan.clone()),
    };
    if args.user_config_json.is_some()
        || !args.static_ip.is_empty()
        || args.project_vpc_id.is_some()
        || args.no_project_vpc
    {
        return Err(CliError::usage("--fork-from does not take --user-config-json, --static-ip or VPC options")
            .hint("use -c KEY=VALUE for options, or `--service-to-fork-from` for the unchecked official-client form")
            .into());
    }
    let project = ctx.project()?.to_string();
    create_request::validate_name(&args.name)?;
    let target = match &args.pitr {
        Some(raw) => time::parse_target(raw, jiff::Timestamp::now()).map_err(CliError::usage)?,
        None => Target::Latest,
    };
    let source = args.fork_from.clone().expect("checked by the caller");
    let req = ForkRequest {
        source_project: args.project_to_fork_from.clone().unwrap_or_else(|| project.clone()),
        target,
        service_type,
        plan,
        cloud: args.cloud.clone(),
        disk_space_gib: args.disk_space_gib,
        config_options: args.config_option.clone(),
        termination_protection: args.enable_termination_protection,
        if_not_exists: args.no_fail_if_exists,
        wait: args.wait.then(|| args.timeout.unwrap_or(readiness::DEFAULT_TIMEOUT)),
        expires_at: crate::cli::resolve_expiry(&args.expiry)?,
        ..ForkRequest::new(&project, &source, &args.name)
    };
    crate::fork::run(ctx, &req).await
}
