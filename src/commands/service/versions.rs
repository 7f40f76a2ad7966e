//! `avn service versions`: the official client's table and JSON of `GET /v1/service_versions`.

use crate::context::Context;
use crate::output::json;

pub use avn_cli::commands::service::versions::VersionsArgs;

/// The official client's columns, in its order.
const LAYOUT: [&str; 9] = [
    "service_type",
    "major_version",
    "state",
    "availability_start_time",
    "availability_end_time",
    "aiven_end_of_life_time",
    "upstream_end_of_life_time",
    "termination_time",
    "end_of_life_help_article_url",
];

pub async fn run(ctx: &Context<'_>, _args: VersionsArgs) -> anyhow::Result<()> {
    let client = ctx.client()?;
    // As the official client: an explicit project (not the configured default) names the account.
    let account = match ctx.settings.explicit_project.as_deref() {
        Some(p) => client.project_get(p).await?.account_id,
        None => None,
    };
    let versions = client.service_versions(account.as_deref()).await?;
    // A time the API sends as null shows as `null`, as the official client prints it (a key the
    // API leaves out shows empty).
    let rows: Vec<serde_json::Value> = versions
        .iter()
        .map(|v| {
            let mut row = json::value(v);
            if let Some(o) = row.as_object_mut() {
                for value in o.values_mut().filter(|x| x.is_null()) {
                    *value = serde_json::Value::String("null".into());
                }
            }
            row
        })
        .collect();
    ctx.printer.emit(json::value(&versions), &rows, &LAYOUT)?;
    Ok(())
}
