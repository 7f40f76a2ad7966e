use clap::Args;

use crate::context::Context;
use crate::error::CliError;
use crate::prompt;

/// Delete services and all their data
#[derive(Debug, Args)]
#[command(long_about = "Delete services and all their data. This cannot be undone.\n\n\
    On a terminal, each name must be typed again to confirm. Without a terminal the command refuses \
    unless -f/--force, --yes or AIVEN_FORCE=true is given. Services with termination protection are \
    refused by the control plane; remove it first with `avn service update NAME \
    --disable-termination-protection`.\n\n\
    Examples:\n  avn service terminate db1\n  avn service terminate db1 db2 --force")]
pub struct TerminateArgs {
    /// Delete these services
    #[arg(required = true)]
    pub names: Vec<String>,
    /// Skip the confirmation
    #[arg(short, long, visible_alias = "yes")]
    pub force: bool,
}

pub async fn run(ctx: &Context<'_>, args: TerminateArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    if !ctx.force(args.force) {
        if !prompt::can_prompt() {
            return Err(CliError::usage("refusing to terminate without confirmation: no terminal to ask on")
                .hint("pass --force (or --yes, or set AIVEN_FORCE=true) to terminate without a prompt")
                .into());
        }
        ctx.printer.stderr(
            "Please re-enter the service name(s) to confirm the service termination.\n\
             This cannot be undone and all the data in the service will be lost!\n",
        );
        for name in &args.names {
            let typed = prompt::read_line(&format!("Re-enter service name '{name}' for immediate termination"))?;
            if typed != *name {
                return Err(
                    CliError::usage(format!("'{typed}' does not match '{name}': nothing was terminated")).into()
                );
            }
        }
    }
    let client = ctx.client()?;
    for name in &args.names {
        client.service_delete(project, name).await.map_err(|e| {
            let hint = if e.status() == Some(403) {
                format!("if termination protection is on, remove it first: avn service update {name} --disable-termination-protection")
            } else {
                String::new()
            };
            let mut err = CliError::failed(format!("cannot terminate '{project}/{name}': {}", e.api_message().map(str::to_string).unwrap_or_else(|| e.to_string())));
            err.status = crate::error::classify(&anyhow::Error::new(e)).0;
            if !hint.is_empty() {
                err = err.hint(hint);
            }
            err
        })?;
        ctx.services_changed(project);
        ctx.printer.info(&format!("{name}: terminated"));
    }
    Ok(())
}
