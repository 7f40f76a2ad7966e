//! `avn service logs`, `current-queries` and `queries`, as the official client has them.

use std::time::Duration;

use serde_json::Value;

use crate::context::Context;

pub use avn_cli::commands::service::logs::*;

/// How often `-f` asks for new entries.
const FOLLOW_EVERY: Duration = Duration::from_secs(2);

pub async fn logs(ctx: &Context<'_>, args: LogsArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let client = ctx.client()?;
    let mut offset: Option<String> = None;
    loop {
        let page = client.service_logs(project, &args.name, args.limit, offset.as_deref(), &args.sort_order).await?;
        let entries = page["logs"].as_array().cloned().unwrap_or_default();
        if ctx.printer.json_mode() {
            ctx.printer.print_json(Value::Array(entries.clone()))?;
        } else {
            for e in &entries {
                let field = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                let line = format!("{:<27}{} {} {}", field("time"), field("hostname"), field("unit"), field("msg"));
                ctx.printer.line(&line)?;
            }
        }
        let next = page["offset"].as_str().map(str::to_string);
        // Newest first and nothing older: there is nothing more to find.
        if entries.is_empty() && offset.is_some() && args.sort_order == "desc" {
            return Ok(());
        }
        if !args.follow {
            return Ok(());
        }
        if next == offset || entries.is_empty() {
            tokio::time::sleep(FOLLOW_EVERY).await;
        }
        offset = next;
    }
}

pub async fn current_queries(ctx: &Context<'_>, args: CurrentQueriesArgs) -> anyhow::Result<()> {
    let queries = ctx.client()?.service_current_queries(ctx.project()?, &args.name).await?;
    let mut columns = vec!["pid", "query", "query_duration", "client_addr", "application_name"];
    if ctx.printer.verbosity() > 0 {
        columns = vec![
            "datid",
            "datname",
            "pid",
            "usesysid",
            "usename",
            "application_name",
            "client_addr",
            "client_hostname",
            "client_port",
            "backend_start",
            "xact_start",
            "query_start",
            "state_change",
            "waiting",
            "state",
            "backend_xid",
            "backend_xmin",
            "query",
            "query_duration",
        ];
    }
    ctx.printer.emit(Value::Array(queries.clone()), &queries, &columns)
}

pub async fn queries(ctx: &Context<'_>, args: QueriesArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let client = ctx.client()?;
    let service_type = client.service_get(project, &args.name).await?.service_type;
    let stats_type = if service_type == "alloydbomni" { "pg" } else { service_type.as_str() };
    let queries = client.service_query_stats(project, &args.name, stats_type).await?;
    let mut columns = if matches!(stats_type, "pg") {
        vec!["query", "max_time", "stddev_time", "min_time", "mean_time", "rows", "calls", "total_time"]
    } else {
        vec![
            "digest_text",
            "max_timer_wait",
            "min_timer_wait",
            "avg_timer_wait",
            "sum_rows_affected",
            "sum_rows_sent",
            "count_star",
            "sum_timer_wait",
        ]
    };
    if ctx.printer.verbosity() > 0 && stats_type == "pg" {
        columns.extend([
            "database_name",
            "user_name",
            "blk_read_time",
            "blk_write_time",
            "local_blks_dirtied",
            "local_blks_hit",
            "local_blks_read",
            "local_blks_written",
            "shared_blks_dirtied",
            "shared_blks_hit",
            "shared_blks_read",
            "shared_blks_written",
            "temp_blks_read",
            "temp_blks_written",
        ]);
    }
    ctx.printer.emit(Value::Array(queries.clone()), &queries, &columns)
}
