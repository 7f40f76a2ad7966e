//! The arguments of `avn service integrations`.

use clap::Args;

/// List a service's integrations
#[derive(Debug, Args)]
#[command(long_about = "List a service's integrations (forks do not inherit them).\n\n\
    Examples:\n  avn service integration-list db1\n  avn service integration-list db1 -v --json")]
pub struct IntegrationListArgs {
    /// List the integrations of this service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
}
