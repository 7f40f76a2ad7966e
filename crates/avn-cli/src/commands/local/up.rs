//! The arguments of `avn local up`.

use std::path::PathBuf;

use clap::Args;

/// Start the local control plane in the background and use it
#[derive(Debug, Args)]
#[command(long_about = "Start the local control plane in the background, wait until it answers, \
    create the project (default 'local', or --project) and make avn use it: afterwards every \
    `avn service ...` command works without extra flags. Your Aiven login is kept, and is used \
    again after `avn local down`; a command given --url or AIVEN_WEB_URL still goes there.\n\n\
    --print-env prints export lines so other Aiven tools use it too.\n\n\
    Examples:\n  avn local up\n  eval \"$(avn local up --print-env)\"\n  avn local up --port 41300 --project demo")]
pub struct UpArgs {
    /// Listen on this port on 127.0.0.1 [default: 41300, or a free one]
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Keep state and clusters in this directory [default: ~/.local/share/avn/local]
    #[arg(long, value_name = "DIR", env = "AVN_LOCAL_DIR", hide_env_values = true)]
    pub data_dir: Option<PathBuf>,
    /// Print `export AIVEN_WEB_URL=... AIVEN_AUTH_TOKEN=... AIVEN_PROJECT=...` lines for other tools
    #[arg(long)]
    pub print_env: bool,
}
