use serde_json::Value;

use crate::context::Context;
use crate::output::json;
use crate::user_config;

pub use avn_cli::commands::service::types::TypesArgs;

pub async fn run(ctx: &Context<'_>, _args: TypesArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let types = ctx.client()?.service_types(project).await?;
    let rows: Vec<Value> = types
        .iter()
        .map(|(name, info)| serde_json::json!({"service_type": name, "description": info.description}))
        .collect();
    ctx.printer.emit(json::value(&types), &rows, &["service_type", "description"])?;
    if ctx.printer.verbosity() == 0 || ctx.printer.json_mode() {
        return Ok(());
    }
    let mut text = String::new();
    for (name, info) in &types {
        text.push_str(&format!("\nService type '{name}' options:\n"));
        let opts = user_config::options(&info.user_config_schema);
        if opts.is_empty() {
            text.push_str("  (No configurable options)\n");
        }
        for o in opts {
            let types = o.types.iter().filter(|t| *t != "null").cloned().collect::<Vec<_>>().join("|");
            let default = match &o.default {
                Some(d) => format!("  (default={})", d),
                None => String::new(),
            };
            text.push_str(&format!("  -c {}=<{}>{}\n", o.key, types, default));
            let about = match (&o.title, &o.description) {
                (Some(t), Some(d)) if t != d => format!("{t}: {d}"),
                (Some(t), _) => t.clone(),
                (None, Some(d)) => d.clone(),
                (None, None) => String::new(),
            };
            if !about.is_empty() {
                text.push_str(&format!("     {}\n", about.replace('\n', " ")));
            }
        }
    }
    ctx.printer.line(text.trim_end())?;
    Ok(())
}
