//! The arguments of `avn service`.

use clap::Subcommand;

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
}
