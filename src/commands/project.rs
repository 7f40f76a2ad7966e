use clap::Args;
use clap::Subcommand;

use crate::context::Context;
use crate::error::CliError;

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    Switch(SwitchArgs),
}

/// Set the default project
#[derive(Debug, Args)]
#[command(long_about = "Set the default project, after checking that it exists.\n\n\
    The choice is written to aiven-client.json as `default_project`, shared with the official client.\n\n\
    Examples:\n  avn project switch my-project")]
pub struct SwitchArgs {
    /// Make this project the default
    pub name: String,
}

pub async fn run(ctx: &Context<'_>, cmd: ProjectCommand) -> anyhow::Result<()> {
    match cmd {
        ProjectCommand::Switch(args) => switch(ctx, args).await,
    }
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
