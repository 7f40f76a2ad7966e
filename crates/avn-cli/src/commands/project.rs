//! The arguments of `avn project`.

use clap::Args;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    List(ListArgs),
    Switch(SwitchArgs),
}

/// List the projects your token can see
#[derive(Debug, Args)]
#[command(long_about = "List the projects your token can see, as the official client does: a table of \
    project_name, default_cloud and credit_card, or the API's objects with --json.\n\n\
    Examples:\n  avn project list\n  avn project list --json\n  avn project list --format '{project_name}'")]
pub struct ListArgs {}

/// Set the default project
#[derive(Debug, Args)]
#[command(long_about = "Set the default project, after checking that it exists.\n\n\
    The choice is written to aiven-client.json as `default_project`, shared with the official client.\n\n\
    Examples:\n  avn project switch my-project")]
pub struct SwitchArgs {
    /// Make this project the default
    pub name: String,
}
