use serde_json::Value;

use crate::context::Context;
use crate::output::service::service_row;
use crate::output::service::SERVICE_COLUMNS;

pub use avn_cli::commands::service::get::GetArgs;

pub async fn run(ctx: &Context<'_>, args: GetArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let s = ctx.client()?.service_get(project, &args.name).await?;
    if let Some(target) = &args.env_file {
        let uri = s.service_uri.as_deref().ok_or_else(|| {
            crate::error::CliError::failed(format!("'{}' has no connection URI yet; nothing was written", args.name))
                .hint(format!("wait until it is running: `avn service wait {}`", args.name))
        })?;
        crate::env_file::write(target, uri)?;
        match &target.path {
            // stdout carries the VAR=URI line and nothing else.
            None => return Ok(()),
            Some(p) => ctx.printer.info(&format!("Wrote {} for '{}' to {}", target.var, args.name, p.display())),
        }
    }
    if ctx.printer.json_mode() {
        // The official client's object: the API's, with its derived `notifications` list.
        return Ok(ctx.printer.print_json(service_row(&s))?);
    }
    for n in &s.service_notifications {
        ctx.printer.warn(&n.message);
    }
    let row = service_row(&s);
    if ctx.printer.tabular() {
        let (table, columns) = crate::output::service::service_table(&[&s]);
        ctx.printer.emit(Value::Null, &table, &columns)?;
    } else {
        ctx.printer.emit(row.clone(), &[row], SERVICE_COLUMNS)?;
    }
    if !ctx.printer.tabular() {
        return Ok(());
    }
    if ctx.printer.verbosity() > 0 {
        ctx.printer.line(&crate::output::service::details(ctx.printer, &s))?;
    }
    let progress = crate::output::service::node_progress(&s);
    if !progress.is_empty() {
        ctx.printer.line(&format!("\nService node states\n{progress}"))?;
    }
    Ok(())
}
