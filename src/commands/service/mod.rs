//! `avn service ...`: the enum and its dispatch.

use clap::Subcommand;

use crate::context::Context;

pub mod backups;
pub mod create;
pub mod fork;
pub mod get;
pub mod integrations;
pub mod list;
pub mod plans;
pub mod rename;
pub mod terminate;
pub mod types;
pub mod update;
pub mod wait;

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    Types(types::TypesArgs),
    Plans(plans::PlansArgs),
    List(list::ListArgs),
    Get(get::GetArgs),
    Create(create::CreateArgs),
    Fork(fork::ForkArgs),
    Rename(rename::RenameArgs),
    Wait(wait::WaitArgs),
    Update(update::UpdateArgs),
    Terminate(terminate::TerminateArgs),
    BackupList(backups::BackupListArgs),
    IntegrationList(integrations::IntegrationListArgs),
}

pub async fn run(ctx: &Context<'_>, cmd: ServiceCommand) -> anyhow::Result<()> {
    match cmd {
        ServiceCommand::Types(a) => types::run(ctx, a).await,
        ServiceCommand::Plans(a) => plans::run(ctx, a).await,
        ServiceCommand::List(a) => list::run(ctx, a).await,
        ServiceCommand::Get(a) => get::run(ctx, a).await,
        ServiceCommand::Create(a) => create::run(ctx, a).await,
        ServiceCommand::Fork(a) => fork::run(ctx, a).await,
        ServiceCommand::Rename(a) => rename::run(ctx, a).await,
        ServiceCommand::Wait(a) => wait::run(ctx, a).await,
        ServiceCommand::Update(a) => update::run(ctx, a).await,
        ServiceCommand::Terminate(a) => terminate::run(ctx, a).await,
        ServiceCommand::BackupList(a) => backups::run(ctx, a).await,
        ServiceCommand::IntegrationList(a) => integrations::run(ctx, a).await,
    }
}

/// The columns of `service list` and `service get`, as the official client prints them.
pub const SERVICE_COLUMNS: &[&str] =
    &["service_name", "service_type", "state", "cloud_name", "plan", "create_time", "update_time", "notifications"];

/// A service as a JSON row, with the derived `notifications` column.
pub fn service_row(s: &avn_api::Service) -> serde_json::Value {
    let mut v = crate::output::json::value(s);
    let notes: Vec<String> = s
        .service_notifications
        .iter()
        .filter(|n| n.notification_type == "service_end_of_life")
        .map(|n| {
            let date = n
                .metadata
                .iter()
                .find(|(k, _)| k.ends_with("_time"))
                .and_then(|(_, v)| v.as_str())
                .map(|t| t.get(..10).unwrap_or(t).to_string())
                .unwrap_or_default();
            let what = if n.level == "warning" { "Upgrade required" } else { "Upgrade available" };
            format!("EOL: {date} {what}").replace("  ", " ")
        })
        .collect();
    if let Some(m) = v.as_object_mut() {
        m.insert("notifications".into(), notes.into());
    }
    v
}

/// Check a service name before any request; the rule is `avn_api::names`'.
pub fn validate_name(name: &str) -> Result<(), crate::error::CliError> {
    avn_api::names::validate_service_name(name)
        .map_err(|e| crate::error::CliError::usage(e.to_string()).hint(avn_api::names::InvalidName::RULE))
}

/// Print a service as one line of data (or the object under `--json`).
pub fn print_service_line(ctx: &Context<'_>, s: &avn_api::Service) -> anyhow::Result<()> {
    let row = service_row(s);
    if ctx.printer.json_mode() {
        return Ok(ctx.printer.print_json(crate::output::json::value(s))?);
    }
    // One line: name, type, state, cloud, plan (a --format template replaces it).
    ctx.printer.emit_line(row, "{service_name}  {service_type}  {state}  {cloud_name}  {plan}")
}

/// The `user_config_schema` of one service type (single-type endpoint). An unknown type is a
/// usage error that names the close matches from the catalog.
pub async fn schema_for(ctx: &Context<'_>, project: &str, service_type: &str) -> anyhow::Result<serde_json::Value> {
    let client = ctx.client()?;
    match client.service_type(project, service_type).await {
        Ok(info) => Ok(info.user_config_schema),
        Err(e) if matches!(e.status(), Some(400 | 404)) => {
            let known = client.service_types(project).await.unwrap_or_default();
            let close = crate::user_config::closest(service_type, known.keys().map(String::as_str));
            let mut err = crate::error::CliError::usage(format!("unknown service type '{service_type}'"));
            if !close.is_empty() {
                err = err.hint(format!("did you mean: {}", close.join(", ")));
            }
            if !known.is_empty() {
                err = err.hint(format!("available types: {}", known.keys().cloned().collect::<Vec<_>>().join(", ")));
            }
            Err(err.into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Apply `-c KEY=VALUE` arguments to a config, typed by the schema.
pub fn apply_options(
    config: &mut serde_json::Map<String, serde_json::Value>,
    schema: &serde_json::Value,
    service_type: &str,
    options: &[String],
) -> Result<(), crate::error::CliError> {
    for opt in options {
        let (k, v) = crate::user_config::split(opt)?;
        crate::user_config::apply(config, schema, service_type, k, v)?;
    }
    Ok(())
}

/// Create a service. A create is never retried blindly: after an ambiguous failure (the
/// connection broke, a gateway failed) the service is looked up before reporting.
pub async fn create_or_lookup(
    ctx: &Context<'_>,
    project: &str,
    body: &avn_api::ServiceCreate,
) -> anyhow::Result<avn_api::Service> {
    let client = ctx.client()?;
    match client.service_create(project, body).await {
        Ok(s) => Ok(s),
        Err(e) if e.is_ambiguous() => match client.service_get(project, &body.service_name).await {
            Ok(s) if s.service_type == body.service_type && s.plan == body.plan => {
                ctx.printer.warn(&format!(
                    "the answer to the create request was lost ({e}), but service '{}' exists",
                    body.service_name
                ));
                Ok(s)
            }
            _ => Err(anyhow::Error::new(e)
                .context(format!("creating '{project}/{}' failed; the service does not exist", body.service_name))),
        },
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot create '{project}/{}'", body.service_name))),
    }
}

/// The request that recreates `source`'s integration `i` on `new`: every end that is `source` (in
/// `src_project`) becomes `new` (in `project`); the other end stays.
pub fn integration_moved(
    i: &avn_api::Integration,
    source: &str,
    src_project: &str,
    new: &str,
    project: &str,
) -> avn_api::IntegrationCreate {
    let swap = |svc: &Option<String>, proj: &Option<String>| -> (Option<String>, Option<String>) {
        if svc.as_deref() == Some(source) && proj.as_deref().unwrap_or(src_project) == src_project {
            (Some(new.to_string()), Some(project.to_string()))
        } else {
            (svc.clone(), proj.clone())
        }
    };
    let (source_service, source_project) = swap(&i.source_service, &i.source_project);
    let (dest_service, dest_project) = swap(&i.dest_service, &i.dest_project);
    avn_api::IntegrationCreate {
        integration_type: i.integration_type.clone(),
        source_service,
        dest_service,
        source_endpoint_id: i.source_endpoint_id.clone(),
        dest_endpoint_id: i.dest_endpoint_id.clone(),
        source_project,
        dest_project,
        user_config: i.user_config.clone().unwrap_or_default(),
    }
}
