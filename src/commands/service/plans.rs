use clap::Args;
use serde_json::json;
use serde_json::Value;

use crate::context::Context;
use crate::output::json;

/// List the plans of a service type
#[derive(Debug, Args)]
#[command(long_about = "List the plans of a service type: node count, backups and whether they \
    support point-in-time recovery (backup_config.recovery_mode), which decides whether services \
    on the plan can be forked and restored to an instant.\n\n\
    Examples:\n  avn service plans -t pg\n  avn service plans -t pg --cloud google-europe-west1")]
pub struct PlansArgs {
    /// List the plans of this service type
    #[arg(short = 't', long = "service-type", value_name = "TYPE", value_parser = crate::cli::ServiceTypeValue, hide_possible_values = true)]
    pub service_type: String,
    /// Show only plans offered in this cloud, with their price there
    #[arg(long, value_name = "CLOUD")]
    pub cloud: Option<String>,
}

pub async fn run(ctx: &Context<'_>, args: PlansArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let mut plans = ctx.client()?.service_plans(project, &args.service_type).await?;
    if let Some(c) = &args.cloud {
        plans.retain(|p| p.regions.is_empty() || p.regions.contains_key(c));
    }
    let rows: Vec<Value> = plans
        .iter()
        .map(|p| {
            let region = args.cloud.as_ref().and_then(|c| p.regions.get(c));
            json!({
                "service_plan": p.service_plan,
                "node_count": p.node_count,
                "backup_interval_hours": p.backup_config.interval,
                "backup_max_count": p.backup_config.max_count,
                "recovery_mode": if p.has_backups() { p.backup_config.recovery_mode.clone().unwrap_or_else(|| "basic".into()) } else { "none".into() },
                "pitr": if p.supports_pitr() { "yes" } else { "no" },
                "forkable": if p.has_backups() { "yes" } else { "no" },
                "disk_space_mb": region.and_then(|r| r.get("disk_space_mb")).cloned().unwrap_or(Value::Null),
                "price_usd": region.and_then(|r| r.get("price_usd")).cloned().unwrap_or(Value::Null),
            })
        })
        .collect();
    let mut columns = vec![
        "service_plan",
        "node_count",
        "backup_interval_hours",
        "backup_max_count",
        "recovery_mode",
        "pitr",
        "forkable",
    ];
    if args.cloud.is_some() {
        columns.extend(["disk_space_mb", "price_usd"]);
    }
    if plans.is_empty() && !ctx.printer.json_mode() {
        ctx.printer.info(&format!(
            "No plans for service type '{}'{}",
            args.service_type,
            args.cloud.as_ref().map(|c| format!(" in cloud '{c}'")).unwrap_or_default()
        ));
    }
    ctx.printer.emit(json::value(&plans), &rows, &columns)
}
