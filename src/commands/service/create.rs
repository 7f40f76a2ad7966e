use std::time::Duration;

use anyhow::Context as _;
use avn_api::ServiceCreate;
use clap::Args;
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

/// Create a service, or a fork of one
#[derive(Debug, Args)]
#[command(long_about = "Create a service, or a fork of one.\n\n\
    Accepts the official client's command lines and sends the same request. -c values are typed \
    by the service type's schema (integers, numbers, booleans, strings, JSON objects and arrays, \
    and comma lists for arrays); an unknown option fails before anything is created, with the \
    closest valid names. --recovery-target-time needs a fork source and accepts RFC 3339, \
    'YYYY-MM-DD HH:MM:SS' (UTC), relative times (-90m, 2h ago) and @UNIX_SECONDS.\n\n\
    Examples:\n  avn service create db1 -t pg -p startup-4\n  \
    avn service create db1 -t pg:business-4 --cloud google-europe-west1 -c pg.max_connections=200 --wait\n  \
    avn service create forked --project PROJECT_NAME --cloud CLOUD_NAME -t pg --plan business-4 -c service_to_fork_from=forker\n  \
    avn service create fork1 -t pg -p startup-4 --service-to-fork-from db1 --recovery-target-time '2h ago'")]
pub struct CreateArgs {
    /// Name the new service
    pub name: String,
    /// Create a service of this type (TYPE:PLAN also sets the plan)
    #[arg(short = 't', long = "service-type", value_name = "TYPE", required_unless_present = "fork_from", value_parser = crate::cli::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: Option<String>,
    /// Use this plan (TYPE:PLAN wins)
    #[arg(short = 'p', long, value_name = "PLAN")]
    pub plan: Option<String>,
    /// Create the service in this cloud [default: the project's]
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
    /// Set a configuration option, typed by the schema (can be repeated)
    #[arg(short = 'c', value_name = "KEY=VALUE")]
    pub config_option: Vec<String>,
    /// Start from this user_config object (JSON, or @FILE to read it)
    #[arg(long, value_name = "JSON|@FILE")]
    pub user_config_json: Option<String>,
    /// Give the service this much disk (GiB)
    #[arg(long, value_name = "GIB")]
    pub disk_space_gib: Option<u64>,
    /// Protect the service against termination and powering off
    #[arg(long)]
    pub enable_termination_protection: bool,
    /// Succeed without changes when a service of that name already exists
    #[arg(long)]
    pub no_fail_if_exists: bool,
    /// Put the service in this project VPC
    #[arg(long, value_name = "ID", conflicts_with = "no_project_vpc")]
    pub project_vpc_id: Option<String>,
    /// Put the service on the public internet even if the cloud has a VPC
    #[arg(long)]
    pub no_project_vpc: bool,
    /// Attach this static IP address (can be repeated)
    #[arg(long, value_name = "ID")]
    pub static_ip: Vec<String>,
    /// Fork the new service from this service
    #[arg(long, value_name = "SERVICE")]
    pub service_to_fork_from: Option<String>,
    /// Fork from a service in this project
    #[arg(long, value_name = "PROJECT")]
    pub project_to_fork_from: Option<String>,
    /// Restore the fork to this instant (needs a fork source)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub recovery_target_time: Option<String>,
    /// Fork from this service, with every check of `avn service fork` (type, plan, cloud default to its)
    #[arg(long, value_name = "SOURCE", conflicts_with_all = ["service_to_fork_from", "recovery_target_time"])]
    pub fork_from: Option<String>,
    /// With --fork-from: restore to this instant (RFC 3339, 'YYYY-MM-DD HH:MM:SS' UTC, -90m, @UNIX, latest)
    #[arg(long, value_name = "TIME", requires = "fork_from", allow_hyphen_values = true)]
    pub pitr: Option<String>,
    /// Wait until the service is running
    #[arg(long)]
    pub wait: bool,
    /// Give up waiting after this long: seconds, or units like 5m [default: 30m]
    #[arg(long, value_name = "DURATION", requires = "wait", value_parser = crate::cli::parse_duration)]
    pub timeout: Option<Duration>,
    /// Skip confirmations (accepted for compatibility)
    #[arg(short, long)]
    pub force: bool,
    #[command(flatten)]
    pub expiry: crate::cli::ExpiryArgs,
}

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
    let expires_at = args.expiry.resolve()?;
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
        expires_at: args.expiry.resolve()?,
        ..ForkRequest::new(&project, &source, &args.name)
    };
    crate::fork::run(ctx, &req).await
}
