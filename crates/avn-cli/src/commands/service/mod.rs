//! The arguments of `avn service`.

use clap::Subcommand;

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

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    Types(types::TypesArgs),
    Plans(plans::PlansArgs),
    List(list::ListArgs),
    Get(get::GetArgs),
    Create(create::CreateArgs),
    Fork(fork::ForkArgs),
    Rename(rename::RenameArgs),
    Wait(wait::WaitArgs),
    Update(update::UpdateArgs),
    Terminate(terminate::TerminateArgs),
    Prune(prune::PruneArgs),
    BackupList(backups::BackupListArgs),
    IntegrationList(integrations::IntegrationListArgs),
    UserList(users::UserListArgs),
    UserGet(users::UserGetArgs),
    UserCreate(users::UserCreateArgs),
    UserSetAccessControl(users::UserSetAccessControlArgs),
    UserDelete(users::UserDeleteArgs),
    UserPasswordReset(users::UserPasswordResetArgs),
    UserCredsAcknowledge(users::UserCredsAcknowledgeArgs),
    DatabaseList(databases::DatabaseListArgs),
    DatabaseCreate(databases::DatabaseCreateArgs),
    DatabaseDelete(databases::DatabaseDeleteArgs),
    ConnectionPoolList(pools::ConnectionPoolListArgs),
    ConnectionPoolCreate(pools::ConnectionPoolCreateArgs),
    ConnectionPoolUpdate(pools::ConnectionPoolUpdateArgs),
    ConnectionPoolDelete(pools::ConnectionPoolDeleteArgs),
    Tags(tags::TagsArgs),
    ConnectionInfo(connect::ConnectionInfoArgs),
    Cli(connect::CliArgs),
    Logs(logs::LogsArgs),
    CurrentQueries(logs::CurrentQueriesArgs),
    Queries(logs::QueriesArgs),
    Versions(versions::VersionsArgs),
}
