//! `avn local ...`: run the local control plane.

use std::path::PathBuf;

use crate::cli::GlobalArgs;
use crate::context::Context;

pub mod down;
pub mod gc;
pub mod serve;
pub mod status;
pub mod up;

pub use avn_cli::commands::local::LocalCommand;

pub async fn run(ctx: &Context<'_>, global: &GlobalArgs, cmd: LocalCommand) -> anyhow::Result<()> {
    match cmd {
        LocalCommand::Up(a) => up::run(ctx, global, a).await,
        LocalCommand::Down(a) => down::run(ctx, a).await,
        LocalCommand::Status(a) => status::run(ctx, a).await,
        LocalCommand::Gc(a) => gc::run(ctx, a).await,
        LocalCommand::Serve(a) => serve::run(ctx, a).await,
    }
}

/// `--data-dir`, else `AVN_LOCAL_DIR`, else the active local control plane's, else the default.
pub fn data_dir(flag: Option<PathBuf>, ctx: &Context<'_>) -> PathBuf {
    flag.or_else(|| ctx.settings.local.as_ref().map(|a| a.data_dir.clone())).unwrap_or_else(crate::dirs::local_data_dir)
}
