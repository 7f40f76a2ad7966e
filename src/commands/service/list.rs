use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;
use crate::output::service::service_row;
use crate::output::service::SERVICE_COLUMNS;

pub use avn_cli::commands::service::list::ListArgs;

pub async fn run(ctx: &Context<'_>, args: ListArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let mut services = ctx.client()?.service_list(project).await?;
    services.retain(|s| {
        (args.names.is_empty() || args.names.contains(&s.service_name))
            && args.service_type.as_ref().is_none_or(|t| &s.service_type == t)
    });
    // The API's order, as the official client prints it.
    let missing: Vec<&String> = args.names.iter().filter(|n| !services.iter().any(|s| &s.service_name == *n)).collect();
    let rows: Vec<Value> = services.iter().map(service_row).collect();
    if ctx.printer.tabular() {
        let (table, columns) = crate::output::service::service_table(&services.iter().collect::<Vec<_>>());
        ctx.printer.emit(Value::Null, &table, &columns)?;
    } else {
        ctx.printer.emit(Value::Array(rows.clone()), &rows, SERVICE_COLUMNS)?;
    }
    if ctx.printer.verbosity() > 0 && !ctx.printer.json_mode() && ctx.printer.tabular() {
        for s in &services {
            ctx.printer.line(&crate::output::service::details(ctx.printer, s))?;
        }
    }
    if !missing.is_empty() {
        return Err(CliError::failed(format!(
            "no such service in project '{project}': {}",
            missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        ))
        .into());
    }
    Ok(())
}
