use serde_json::Value;

use crate::context::Context;
use crate::output::json;

pub use avn_cli::commands::service::integrations::IntegrationListArgs;

pub async fn run(ctx: &Context<'_>, args: IntegrationListArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let list = ctx.client()?.service_integrations(project, &args.name).await?;
    // The official client's objects: the API's, with `source`, `dest` (service or endpoint) and
    // a readable `service_integration_id` for integrations not enabled; its --json prints them too.
    let rows: Vec<Value> = list
        .iter()
        .map(|i| {
            let mut v = json::value(i);
            if let Some(m) = v.as_object_mut() {
                let either = |service: &Option<String>, endpoint: &str| {
                    service.clone().map(Value::from).unwrap_or_else(|| m.get(endpoint).cloned().unwrap_or(Value::Null))
                };
                let source = either(&i.source_service, "source_endpoint_id");
                let dest = either(&i.dest_service, "dest_endpoint_id");
                m.insert("source".into(), source);
                m.insert("dest".into(), dest);
                if i.service_integration_id.is_none() {
                    m.insert("service_integration_id".into(), "(integration not enabled)".into());
                }
            }
            v
        })
        .collect();
    let mut columns =
        vec!["service_integration_id", "source", "dest", "integration_type", "enabled", "active", "description"];
    if ctx.printer.verbosity() > 0 {
        columns.extend(["source_project", "dest_project"]);
    }
    ctx.printer.emit(Value::Array(rows.clone()), &rows, &columns)
}
