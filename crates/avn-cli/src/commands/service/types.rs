//! The arguments of `avn service types`.

use clap::Args;

/// List the service types and their options
#[derive(Debug, Args)]
#[command(long_about = "List the service types of the project, as SERVICE_TYPE and DESCRIPTION.\n\n\
    With -v, also list each type's options (from its user_config_schema) as the -c KEY=<type> \
    lines that `service create` and `service update` accept, with their defaults.\n\n\
    Examples:\n  avn service types\n  avn service types -v\n  avn service types --json")]
pub struct TypesArgs {}
