use crate::context::Context;
use crate::error::CliError;

pub use avn_cli::commands::project::ProjectCommand;

pub use avn_cli::commands::project::SwitchArgs;

pub async fn run(ctx: &Context<'_>, cmd: ProjectCommand) -> anyhow::Result<()> {
    match cmd {
        ProjectCommand::List(_) => list(ctx).await,
        ProjectCommand::Switch(args) => switch(ctx, args).await,
    }
}

async fn list(ctx: &Context<'_>) -> anyhow::Result<()> {
    let projects = ctx.client()?.project_list().await?;
    let rows: Vec<serde_json::Value> = projects
        .iter()
        .map(|p| {
            let mut v = crate::output::json::value(p);
            if let Some(m) = v.as_object_mut() {
                // The official client's column (also in its --json): "EMAIL/CARD_ID", or "N/A".
                let card = m.get("card_info").filter(|c| c.is_object()).map(|c| {
                    let field = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
                    format!("{}/{}", field("user_email"), field("card_id"))
                });
                m.insert("credit_card".into(), card.unwrap_or_else(|| "N/A".into()).into());
            }
            v
        })
        .collect();
    ctx.printer.emit(serde_json::Value::Array(rows.clone()), &rows, &["project_name", "default_cloud", "credit_card"])
}

async fn switch(ctx: &Context<'_>, args: SwitchArgs) -> anyhow::Result<()> {
    let projects = ctx.client()?.project_list().await?;
    if !projects.iter().any(|p| p.project_name == args.name) {
        let names: Vec<&str> = projects.iter().map(|p| p.project_name.as_str()).collect();
        return Err(CliError::failed(format!("project '{}' does not exist", args.name))
            .hint(if names.is_empty() {
                "your token sees no projects".to_string()
            } else {
                format!("available projects: {}", names.join(", "))
            })
            .into());
    }
    let mut cfg = ctx.settings.client_config.clone();
    cfg.data.insert("default_project".into(), args.name.clone().into());
    cfg.save(true)?;
    ctx.printer.info(&format!("Set project '{}' as the default project", args.name));
    Ok(())
}
