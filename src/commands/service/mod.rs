//! `avn service ...`: the enum and its dispatch.

use crate::context::Context;

pub mod backups;
pub mod create;
pub mod fork;
pub mod get;
pub mod integrations;
pub mod list;
pub mod plans;
pub mod prune;
pub mod rename;
pub mod terminate;
pub mod types;
pub mod update;
pub mod wait;

pub use avn_cli::commands::service::ServiceCommand;

pub async fn run(ctx: &Context<'_>, cmd: ServiceCommand) -> anyhow::Result<()> {
    match cmd {
        ServiceCommand::Types(a) => types::run(ctx, a).await,
        ServiceCommand::Plans(a) => plans::run(ctx, a).await,
        ServiceCommand::List(a) => list::run(ctx, a).await,
        ServiceCommand::Get(a) => get::run(ctx, a).await,
        ServiceCommand::Create(a) => create::run(ctx, a).await,
        ServiceCommand::Fork(a) => fork::run(ctx, a).await,
        ServiceCommand::Rename(a) => rename::run(ctx, a).await,
        ServiceCommand::Wait(a) => wait::run(ctx, a).await,
        ServiceCommand::Update(a) => update::run(ctx, a).await,
        ServiceCommand::Terminate(a) => terminate::run(ctx, a).await,
        ServiceCommand::Prune(a) => prune::run(ctx, a).await,
        ServiceCommand::BackupList(a) => backups::run(ctx, a).await,
        ServiceCommand::IntegrationList(a) => integrations::run(ctx, a).await,
    }
}
