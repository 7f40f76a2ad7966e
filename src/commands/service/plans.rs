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
    let catalog = client.service_types(project).await?;
    if ctx.printer.json_mode() {
        // The official client's --json: the whole catalog, whatever -t says.
        return Ok(ctx.printer.print_json(crate::output::json::value(&catalog))?);
    }
    if let Some(t) = &args.service_type {
        if !catalog.contains_key(t) {
            return Err(CliError::usage(format!("unknown service type '{t}'"))
                .hint(format!("service types: {}", catalog.keys().cloned().collect::<Vec<_>>().join(", ")))
                .into());
        }
    }
    // The official client's order: by description.
    let mut types: Vec<(String, String, Vec<Plan>)> = catalog
        .into_iter()
        .filter(|(t, _)| args.service_type.as_ref().is_none_or(|want| want == t))
        .map(|(t, info)| {
            let plans = info
                .service_plans
                .unwrap_or_default()
                .into_iter()
                .map(|mut p| {
                    p.service_type = t.clone();
                    p
                })
                .collect();
            (t, info.description, plans)
        })
        .collect();
    types.sort_by(|a, b| a.1.cmp(&b.1));
    let all: Vec<&Plan> = types.iter().flat_map(|(_, _, p)| p).collect();
    let clouds: BTreeSet<&String> = all.iter().flat_map(|p| p.regions.keys()).collect();
    if let Some(c) = &args.cloud {
        if !clouds.is_empty() && !clouds.contains(c) {
            let what = args.service_type.as_deref().map(|t| format!(" for service type '{t}'")).unwrap_or_default();
            return Err(CliError::usage(format!("no plans in cloud '{c}'{what}"))
                .hint(format!(
                    "clouds with plans{what}: {}",
                    clouds.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ))
                .into());
        }
    }
    // Prices and sizes are per cloud: the one asked for, else the project's default, else the
    // only one (the official client lists no plans without --cloud).
    let cloud = match &args.cloud {
        Some(c) => Some(c.clone()),
        None => {
            let default = client.project_get(project).await.ok().and_then(|p| p.default_cloud);
            let chosen = default.filter(|d| clouds.contains(d)).or_else(|| clouds.first().map(|c| c.to_string()));
            if let Some(c) = &chosen {
                ctx.printer.info(&format!("Plans and prices in cloud '{c}' (choose another with --cloud)"));
            }
            chosen
        }
    };
    if ctx.printer.tabular() {
        let mut text = String::new();
        for (_, description, plans) in &types {
            text.push_str(&format!("{description} Plans:\n\n"));
            let mut listed = 0;
            for p in plans {
                if let Some(line) = cloud.as_deref().and_then(|c| official_line(p, c, args.monthly)) {
                    text.push_str(&line);
                    text.push('\n');
                    listed += 1;
                }
            }
            if listed == 0 {
                text.push_str("    (no plans available)\n");
            }
            text.push('\n');
        }
        ctx.printer.line(text.strip_suffix('\n').unwrap_or(&text))?;
        if ctx.printer.verbosity() == 0 {
            return Ok(());
        }
    }
    // -v (after the listing, so no grep of its lines breaks) and --format: what forks need.
    let plans: Vec<&Plan> = all
        .into_iter()
        .filter(|p| cloud.as_ref().is_none_or(|c| p.regions.is_empty() || p.regions.contains_key(c)))
        .collect();
    let rows: Vec<Value> = plans.iter().map(|p| row(p, cloud.as_deref())).collect();
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
    if cloud.is_some() {
        columns.push("disk_space_mb");
    }
    if rows.iter().any(|r| !r["price_usd_per_hour"].is_null()) {
        columns.push("price_usd_per_hour");
    }
    ctx.printer.emit(Value::Array(rows.clone()), &rows, &columns)
}

/// One plan as the official client lists it:
/// `    pg:startup-4                   $0.000/h  Startup-4 (1 CPU, 1 GB RAM, 80 GB disk)`.
fn official_line(p: &Plan, cloud: &str, monthly: bool) -> Option<String> {
    let region = p.regions.get(cloud)?;
    let price: f64 = region.get("price_usd").and_then(Value::as_str).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    let price = if monthly { format!("${:.0}/mo", price * 730.0) } else { format!("${price:.3}/h") };
    let name = format!("{}:{}", p.service_type, p.service_plan);
    Some(format!("    {name:<28} {price:>10}  {}", describe(p, region)))
}

/// The official client's plan description: `Startup-4 (1 CPU, 1 GB RAM, 80 GB disk)`, with
/// ` high availability pair` or ` N-node high availability set` for more nodes.
fn describe(p: &Plan, region: &serde_json::Map<String, Value>) -> String {
    let num = |k: &str| region.get(k).and_then(Value::as_f64).unwrap_or(0.0);
    let memory = num("node_memory_mb");
    let ram = if memory < 1024.0 { format!("{memory:.0} MB") } else { format!("{:.0} GB", memory / 1024.0) };
    let (d, cap) = (num("disk_space_mb"), num("disk_space_cap_mb"));
    let disk = if d <= 0.0 {
        String::new()
    } else if cap > 0.0 {
        format!(", {:.0}-{:.0} GB disk", d / 1024.0, cap / 1024.0)
    } else {
        format!(", {:.0} GB disk", d / 1024.0)
    };
    let qual = match p.node_count {
        2 => " high availability pair".to_string(),
        n if n > 2 => format!(" {n}-node high availability set"),
        _ => String::new(),
    };
    format!("{} ({} CPU, {ram} RAM{disk}){qual}", title(&p.service_plan), num("node_cpu_count"))
}

/// Python's `str.title()`: each run of letters starts upper-case, the rest lower-case.
fn title(s: &str) -> String {
    let mut out = String::new();
    let mut prev_letter = false;
    for c in s.chars() {
        if c.is_alphabetic() {
            out.extend(if prev_letter { c.to_lowercase().collect::<Vec<_>>() } else { c.to_uppercase().collect() });
            prev_letter = true;
        } else {
            out.push(c);
            prev_letter = false;
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_are_described_as_the_official_client_does() {
        assert_eq!(title("startup-4"), "Startup-4");
        assert_eq!(title("business-16-ha"), "Business-16-Ha");
        let mut p: Plan = serde_json::from_value(json!({"service_plan": "business-4", "service_type": "pg", "node_count": 2,
            "regions": {"c": {"price_usd": "0.6850", "node_memory_mb": 4096, "node_cpu_count": 1, "disk_space_mb": 81920}}}))
        .unwrap();
        assert_eq!(
            official_line(&p, "c", false).unwrap(),
            "    pg:business-4                  $0.685/h  Business-4 (1 CPU, 4 GB RAM, 80 GB disk) high availability pair"
        );
        assert_eq!(official_line(&p, "c", true).unwrap(), "    pg:business-4                   $500/mo  Business-4 (1 CPU, 4 GB RAM, 80 GB disk) high availability pair");
        p.node_count = 3;
        p.regions.get_mut("c").unwrap().insert("node_memory_mb".into(), json!(512));
        assert!(official_line(&p, "c", false)
            .unwrap()
            .ends_with("(1 CPU, 512 MB RAM, 80 GB disk) 3-node high availability set"));
        assert_eq!(official_line(&p, "elsewhere", false), None);
    }
}
