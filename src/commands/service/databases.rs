//! `avn service database-*`, with the official client's requests, table and JSON.

use avn_api::inventory::DatabaseCreate;
use serde_json::Value;

use crate::context::Context;

pub use avn_cli::commands::service::databases::*;

/// As the official client prints it: one name per line (no header), and --json the list of
/// names; --format templates see `{database}` (and the API's `database_name`, `lc_collate`, …).
pub async fn list(ctx: &Context<'_>, args: DatabaseListArgs) -> anyhow::Result<()> {
    let dbs = ctx.client()?.service_databases(ctx.project()?, &args.name).await?;
    let names: Vec<Value> = dbs.iter().map(|d| Value::from(d.database_name.clone())).collect();
    if ctx.printer.tabular() {
        for d in &dbs {
            ctx.printer.line(&d.database_name)?;
        }
        return Ok(());
    }
    let rows: Vec<Value> = dbs
        .iter()
        .map(|d| {
            let mut v = crate::output::json::value(d);
            v["database"] = Value::from(d.database_name.clone());
            v
        })
        .collect();
    ctx.printer.emit(Value::Array(names), &rows, &["database"])
}

pub async fn create(ctx: &Context<'_>, args: DatabaseCreateArgs) -> anyhow::Result<()> {
    let body = DatabaseCreate { database: args.dbname.clone(), lc_collate: args.lc_collate, lc_ctype: args.lc_ctype };
    ctx.client()?.service_database_create(ctx.project()?, &args.name, &body).await?;
    ctx.printer.info(&format!("Created database '{}' in '{}'", args.dbname, args.name));
    Ok(())
}

pub async fn delete(ctx: &Context<'_>, args: DatabaseDeleteArgs) -> anyhow::Result<()> {
    ctx.client()?.service_database_delete(ctx.project()?, &args.name, &args.dbname).await?;
    ctx.printer.info(&format!("Deleted database '{}' from '{}'", args.dbname, args.name));
    Ok(())
}
