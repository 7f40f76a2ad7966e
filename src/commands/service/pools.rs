//! `avn service connection-pool-*`, with the official client's requests, table and JSON.

use avn_api::inventory::PoolCreate;
use avn_api::inventory::PoolUpdate;

use crate::context::Context;
use crate::output::json;

pub use avn_cli::commands::service::pools::*;

pub async fn list(ctx: &Context<'_>, args: ConnectionPoolListArgs) -> anyhow::Result<()> {
    let service = ctx.client()?.service_get(ctx.project()?, &args.name).await?;
    let pools = json::value(&service.connection_pools.unwrap_or_default());
    let rows = pools.as_array().cloned().unwrap_or_default();
    let mut columns = vec!["pool_name", "database", "username", "pool_mode", "pool_size"];
    if ctx.printer.verbosity() > 0 {
        columns.push("connection_uri");
    }
    ctx.printer.emit(pools, &rows, &columns)
}

pub async fn create(ctx: &Context<'_>, args: ConnectionPoolCreateArgs) -> anyhow::Result<()> {
    let body = PoolCreate {
        database: args.dbname,
        pool_name: args.pool_name.clone(),
        // As the official client: an empty user is no user.
        username: args.username.filter(|u| !u.is_empty()),
        pool_size: args.pool_size,
        pool_mode: args.pool_mode,
    };
    ctx.client()?.service_pool_create(ctx.project()?, &args.name, &body).await?;
    ctx.printer.info(&format!(
        "Created connection pool '{}' in '{}'. Its URI: avn service connection-pool-list {} --format '{{connection_uri}}'",
        args.pool_name, args.name, args.name
    ));
    Ok(())
}

pub async fn update(ctx: &Context<'_>, args: ConnectionPoolUpdateArgs) -> anyhow::Result<()> {
    let body = PoolUpdate {
        database: args.dbname,
        // '' sends null: the pool has no fixed user any more (the official client's rule).
        username: args.username.map(|u| Some(u).filter(|u| !u.is_empty())),
        pool_size: args.pool_size,
        pool_mode: args.pool_mode,
    };
    ctx.client()?.service_pool_update(ctx.project()?, &args.name, &args.pool_name, &body).await?;
    ctx.printer.info(&format!("Updated connection pool '{}' in '{}'", args.pool_name, args.name));
    Ok(())
}

pub async fn delete(ctx: &Context<'_>, args: ConnectionPoolDeleteArgs) -> anyhow::Result<()> {
    ctx.client()?.service_pool_delete(ctx.project()?, &args.name, &args.pool_name).await?;
    ctx.printer.info(&format!("Deleted connection pool '{}' from '{}'", args.pool_name, args.name));
    Ok(())
}
