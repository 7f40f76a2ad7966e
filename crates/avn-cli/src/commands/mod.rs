//! The arguments of `avn`.

use clap::Subcommand;

pub mod completion;
pub mod local;
pub mod project;
pub mod service;
pub mod user;

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Manage services: list, create, fork, wait for, update and terminate them
    #[command(subcommand)]
    Service(service::ServiceCommand),
    /// Manage your login
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage the default project
    #[command(subcommand)]
    Project(project::ProjectCommand),
    /// Run an Aiven-compatible control plane with real PostgreSQL on this machine
    #[command(subcommand)]
    Local(local::LocalCommand),
    Completion(completion::CompletionArgs),
}
