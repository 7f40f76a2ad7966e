use crate::context::Context;
use crate::rename::Options;

pub use avn_cli::commands::service::rename::RenameArgs;

pub async fn run(ctx: &Context<'_>, a: RenameArgs) -> anyhow::Result<()> {
    let opts = Options {
        plan: a.plan,
        cloud: a.cloud,
        config: a.config_option,
        repoint_env: a.repoint_env,
        repoint_exec: a.repoint_exec,
        keep_source: a.keep_source,
        writes_stopped: a.writes_stopped,
        yes: a.yes || ctx.settings.force_env,
        remove_termination_protection: a.remove_termination_protection,
        timeout_seconds: a.timeout.map(|t| t.as_secs_f64()),
        force: a.force,
        checksum: a.verify == "checksum",
    };
    crate::rename::run(ctx, &a.old, &a.new, opts, a.dry_run, a.resume, a.abort).await
}
