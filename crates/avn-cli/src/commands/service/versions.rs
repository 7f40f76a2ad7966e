//! The arguments of `avn service versions`.

use clap::Args;

/// List service versions
#[derive(Debug, Args)]
#[command(long_about = "List the service versions the control plane offers and their life cycle: SERVICE_TYPE, \
    MAJOR_VERSION, STATE, the availability and end-of-life times, TERMINATION_TIME and \
    END_OF_LIFE_HELP_ARTICLE_URL. With --project (or AIVEN_PROJECT), the versions of that \
    project's account.\n\n\
    On avn local, each type's version is the server that runs it (MariaDB's for mysql).\n\n\
    Examples:\n  avn service versions\n  avn service versions --json")]
pub struct VersionsArgs {}
