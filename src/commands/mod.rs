//! The command tree and its dispatch.

use crate::cli::Cli;
use crate::cli::GlobalArgs;
use crate::context::Context;
use crate::error::CliError;
use crate::output::Printer;
use crate::settings::Settings;

pub mod completion;
pub mod local;
pub mod project;
pub mod service;
pub mod user;

pub use avn_cli::commands::Command;

pub async fn run(cli: Cli, printer: &Printer) -> anyhow::Result<()> {
    if let Command::Completion(args) = &cli.command {
        return completion::run(printer, args);
    }
    let settings = Settings::resolve(&cli.global)?;
    let ctx = Context::new(settings, printer);
    if let Command::Local(local::LocalCommand::Serve(args)) = cli.command {
        // The server stops its clusters on Ctrl-C and SIGTERM itself.
        return local::serve::run(&ctx, args).await;
    }
    tokio::select! {
        r = dispatch(&ctx, &cli.global, cli.command) => match r {
            Err(e) => Err(unknown_project(&ctx, e).await),
            ok => ok,
        },
        _ = tokio::signal::ctrl_c() => {
            let mut e = CliError::interrupted();
            if let Some(hint) = ctx.interrupt_hint() {
                e = e.hint(hint);
            }
            Err(e.into())
        }
    }
}

/// A 404 in a project the API does not know is a usage error that lists the projects there are
/// (`--project PROJECT_NAME` copied from the docs, say). Nothing can have been changed in a project
/// that does not exist.
async fn unknown_project(ctx: &Context<'_>, e: anyhow::Error) -> anyhow::Error {
    let not_found = e.chain().any(|c| c.downcast_ref::<avn_client::Error>().is_some_and(|c| c.is_not_found()));
    let (true, Some(project)) = (not_found, ctx.settings.project.as_deref()) else { return e };
    match crate::create_request::missing_project(ctx, project).await {
        Some(err) => err.into(),
        None => e,
    }
}

async fn dispatch(ctx: &Context<'_>, global: &GlobalArgs, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Service(c) => service::run(ctx, c).await,
        Command::User(c) => user::run(ctx, c).await,
        Command::Project(c) => project::run(ctx, c).await,
        Command::Local(c) => local::run(ctx, global, c).await,
        Command::Completion(_) => unreachable!("handled in run"),
    }
}
