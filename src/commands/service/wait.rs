use crate::context::Context;
use crate::output::json;
use crate::readiness;

pub use avn_cli::commands::service::wait::WaitArgs;

pub async fn run(ctx: &Context<'_>, args: WaitArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    let services =
        readiness::wait_running(ctx, project, &args.names, args.timeout.unwrap_or(readiness::DEFAULT_TIMEOUT)).await?;
    if ctx.printer.json_mode() {
        let list: Vec<_> = services.iter().map(json::value).collect();
        ctx.printer.print_json(serde_json::Value::Array(list))?;
    }
    Ok(())
}
