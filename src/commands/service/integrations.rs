use clap::Args;
use serde_json::json;
use serde_json::Value;

use crate::context::Context;
use crate::output::json;

/// List a service's integrations
#[derive(Debug, Args)]
#[command(long_about = "List a service's integrations (forks do not inherit them).\n\n\
    Examples:\n  avn service integration-list db1\n  avn service integration-list db1 -v --json")]
pub struct IntegrationListArgs {
    /// List the integrations of this service
    pub name: String,
}

pub async fn run(ctx: &Context<'_>, args: IntegrationListArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let list = ctx.client()?.service_integrations(project, &args.name).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|i| {
            json!({
                "service_integration_id": i.service_integration_id.clone().unwrap_or_else(|| "(integration not enabled)".into()),
                "source": i.source_service,
                "dest": i.dest_service,
                "integration_type": i.integration_type,
                "enabled": i.enabled,
                "active": i.active,
                "description": i.description,
                "source_project": i.source_project,
                "dest_project": i.dest_project,
            })
        })
        .collect();
    let mut columns =
        vec!["service_integration_id", "source", "dest", "integration_type", "enabled", "active", "description"];
    if ctx.printer.verbosity() > 0 {
        columns.extend(["source_project", "dest_project"]);
    }
    ctx.printer.emit(Value::Array(list.iter().map(json::value).collect()), &rows, &columns)
}
