use std::collections::BTreeSet;

use avn_api::Plan;
use serde_json::json;
use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;

pub use avn_cli::commands::service::plans::PlansArgs;

pub async fn run(ctx: &Context<'_>, args: PlansArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let client = ctx.client()?;
    if ctx.printer.json_mode() {
        // The official client's --json: the whole catalog, whatever -t says.
        let catalog = client.service_types(project).await?;
        return Ok(ctx.printer.print_json(crate::output::json::value(&catalog))?);
    }
    let mut plans: Vec<Plan> = match &args.service_type {
        Some(t) => match client.service_plans(project, t).await {
            Err(e) if e.is_not_found() => {
                let types = client.service_types(project).await?;
                if types.contains_key(t) {
                    return Err(e.into());
                }
                return Err(CliError::usage(format!("unknown service type '{t}'"))
                    .hint(format!("service types: {}", types.keys().cloned().collect::<Vec<_>>().join(", ")))
                    .into());
            }
            plans => plans?,
        },
        None => client
            .service_types(project)
            .await?
            .into_iter()
            .flat_map(|(t, info)| {
                info.service_plans.unwrap_or_default().into_iter().map(move |mut p| {
                    p.service_type = t.clone();
                    p
                })
            })
            .collect(),
    };
    if let Some(c) = &args.cloud {
        let clouds: BTreeSet<&String> = plans.iter().flat_map(|p| p.regions.keys()).collect();
        if !clouds.is_empty() && !clouds.contains(c) {
            let what = args.service_type.as_deref().map(|t| format!(" for service type '{t}'")).unwrap_or_default();
            return Err(CliError::usage(format!("no plans in cloud '{c}'{what}"))
                .hint(format!(
                    "clouds with plans{what}: {}",
                    clouds.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .into());
        }
        plans.retain(|p| p.regions.is_empty() || p.regions.contains_key(c));
    }
    let rows: Vec<Value> = plans.iter().map(|p| row(p, args.cloud.as_deref())).collect();
    let mut columns = vec![];
    if args.service_type.is_none() {
        columns.push("service_type");
    }
    columns.extend([
        "service_plan",
        "node_count",
        "backup_interval_hours",
        "backup_max_count",
        "recovery_mode",
        "pitr",
        "forkable",
    ]);
    if args.cloud.is_some() {
        columns.push("disk_space_mb");
    }
    if rows.iter().any(|r| !r["price_usd_per_hour"].is_null()) {
        columns.push("price_usd_per_hour");
    }
    if plans.is_empty() {
        ctx.printer.info("No plans");
    }
    ctx.printer.emit(Value::Array(rows.clone()), &rows, &columns)
}

fn row(p: &Plan, cloud: Option<&str>) -> Value {
    let region = cloud.and_then(|c| p.regions.get(c));
    json!({
        "service_type": p.service_type,
        "service_plan": p.service_plan,
        "node_count": p.node_count,
        "backup_interval_hours": p.backup_config.interval,
        "backup_max_count": p.backup_config.max_count,
        "recovery_mode": if p.has_backups() { p.backup_config.recovery_mode.clone().unwrap_or_else(|| "basic".into()) } else { "none".into() },
        "pitr": if p.supports_pitr() { "yes" } else { "no" },
        "forkable": if p.has_backups() { "yes" } else { "no" },
        "disk_space_mb": region.and_then(|r| r.get("disk_space_mb")).cloned().unwrap_or(Value::Null),
        "price_usd_per_hour": price(p, cloud),
    })
}

/// The hourly price: in the cloud given, else the range over the plan's clouds; null when the API
/// gives none.
fn price(p: &Plan, cloud: Option<&str>) -> Value {
    let of = |r: &serde_json::Map<String, Value>| r.get("price_usd").and_then(|v| v.as_str().map(str::to_string));
    if let Some(c) = cloud {
        return p.regions.get(c).and_then(of).map(Value::from).unwrap_or(Value::Null);
    }
    let mut prices: Vec<(f64, String)> =
        p.regions.values().filter_map(of).filter_map(|s| s.parse::<f64>().ok().map(|f| (f, s))).collect();
    prices.sort_by(|a, b| a.0.total_cmp(&b.0));
    match (prices.first(), prices.last()) {
        (Some(lo), Some(hi)) if lo.1 == hi.1 => Value::from(lo.1.clone()),
        (Some(lo), Some(hi)) => Value::from(format!("{}-{}", lo.1, hi.1)),
        _ => Value::Null,
    }
}
