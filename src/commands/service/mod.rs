//! `avn service ...`: the enum and its dispatch.

use crate::context::Context;

pub mod backups;
pub mod connect;
pub mod create;
pub mod databases;
pub mod fork;
pub mod get;
pub mod integrations;
pub mod list;
pub mod logs;
pub mod plans;
pub mod pools;
pub mod prune;
pub mod rename;
pub mod tags;
pub mod terminate;
pub mod types;
pub mod update;
pub mod users;
pub mod versions;
pub mod wait;

pub use avn_cli::commands::service::ServiceCommand;

pub async fn run(ctx: &Context<'_>, cmd: ServiceCommand) -> anyhow::Result<()> {
    match cmd {
        ServiceCommand::Types(a) => types::run(ctx, a).await,
        ServiceCommand::Versions(a) => versions::run(ctx, a).await,
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
        ServiceCommand::UserList(a) => users::list(ctx, a).await,
        ServiceCommand::UserGet(a) => users::get(ctx, a).await,
        ServiceCommand::UserCreate(a) => users::create(ctx, a).await,
        ServiceCommand::UserSetAccessControl(a) => users::set_access_control(ctx, a).await,
        ServiceCommand::UserDelete(a) => users::delete(ctx, a).await,
        ServiceCommand::UserPasswordReset(a) => users::password_reset(ctx, a).await,
        ServiceCommand::UserCredsAcknowledge(a) => users::creds_acknowledge(ctx, a).await,
        ServiceCommand::DatabaseList(a) => databases::list(ctx, a).await,
        ServiceCommand::DatabaseCreate(a) => databases::create(ctx, a).await,
        ServiceCommand::DatabaseDelete(a) => databases::delete(ctx, a).await,
        ServiceCommand::ConnectionPoolList(a) => pools::list(ctx, a).await,
        ServiceCommand::ConnectionPoolCreate(a) => pools::create(ctx, a).await,
        ServiceCommand::ConnectionPoolUpdate(a) => pools::update(ctx, a).await,
        ServiceCommand::ConnectionPoolDelete(a) => pools::delete(ctx, a).await,
        ServiceCommand::Tags(a) => tags::run(ctx, a).await,
        ServiceCommand::ConnectionInfo(a) => connect::connection_info(ctx, a).await,
        ServiceCommand::Cli(a) => connect::cli(ctx, a).await,
        ServiceCommand::Logs(a) => logs::logs(ctx, a).await,
        ServiceCommand::CurrentQueries(a) => logs::current_queries(ctx, a).await,
        ServiceCommand::Queries(a) => logs::queries(ctx, a).await,
    }
}
