use serde_json::Value;

use crate::context::Context;
use crate::output::json;

pub use avn_cli::commands::service::backups::BackupListArgs;

pub async fn run(ctx: &Context<'_>, args: BackupListArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let resp = ctx.client()?.service_backups(project, &args.name).await?;
    let rows: Vec<Value> = resp.backups.iter().map(json::value).collect();
    // Sizes for people in the table; bytes in --json and --format.
    let shown: Vec<Value> = if ctx.printer.tabular() {
        rows.iter()
            .cloned()
            .map(|mut r| {
                if let Some(n) = r.get("data_size").and_then(Value::as_u64) {
                    r["data_size"] = crate::output::human_bytes(n).into();
                }
                r
            })
            .collect()
    } else {
        rows.clone()
    };
    ctx.printer.emit(Value::Array(rows), &shown, &["backup_name", "backup_time", "data_size", "storage_location"])?;
    if ctx.printer.json_mode() {
        return Ok(());
    }
    if resp.backups.is_empty() {
        ctx.printer.info(&format!("{} has no backups yet", args.name));
    }
    ctx.printer.info(&pitr_window_text(&resp));
    Ok(())
}

/// One line describing the PITR window of a backups response.
pub fn pitr_window_text(resp: &avn_api::BackupsResponse) -> String {
    match &resp.pitr {
        None => "Point-in-time recovery: not supported for this service type (fork from a named backup instead)".into(),
        Some(p) => match (&p.primary_region.pitr_range_start, &p.primary_region.pitr_range_end) {
            (None, _) => "Point-in-time recovery window: none yet (no backup usable for PITR)".into(),
            (Some(s), e) => format!("Point-in-time recovery window: {s} .. {}", e.as_deref().unwrap_or("now")),
        },
    }
}
