//! Forking a service: one engine for `service fork`, `service create --fork-from` and renames.
//!
//! Owns the resolved fork request (`request`), every check made before anything is created
//! (`preflight`), and what a fork reports (`report`). It takes resolved values, never clap
//! structs, and may use `context`, `provision`, `readiness`, `integrations`, `output` and `time`;
//! it never imports from `commands`.

mod preflight;
mod report;
mod request;

pub use preflight::check_source;
pub use preflight::preflight;
pub use request::describe;
pub use request::ForkRequest;

use crate::context::Context;
use crate::error::CliError;
use crate::output::service::print_service_line;
use crate::provision;
use crate::readiness;

/// Check everything, create the fork (or adopt it with `if_not_exists`), wait until it is ready
/// when asked to, and report what it holds.
pub async fn run(ctx: &Context<'_>, req: &ForkRequest) -> anyhow::Result<()> {
    provision::validate_name(&req.new)?;
    let (project, src_project) = (req.project.as_str(), req.source_project.as_str());
    let client = ctx.client()?;

    // The source, and what it can be forked as.
    let source = match client.service_get(src_project, &req.source).await {
        Ok(s) => s,
        Err(e) if e.is_not_found() => {
            if let Some(err) = crate::provision::missing_project(ctx, src_project).await {
                return Err(err.into());
            }
            return Err(CliError::usage(format!("source service '{src_project}/{}' does not exist", req.source))
                .hint("list the services with `avn service list`; use --source-project for another project")
                .into());
        }
        Err(e) => return Err(e.into()),
    };
    check_source(req, &source)?;

    // NEW must be free, or (with --if-not-exists) already be this fork.
    let mut adopted = None;
    match client.service_get(project, &req.new).await {
        Ok(existing) if req.if_not_exists && req.is_fork_of_source(&existing) => {
            ctx.printer.info(&format!("'{}' already exists as a fork of '{}': adopting it", req.new, req.source));
            adopted = Some(existing);
        }
        Ok(existing) if req.if_not_exists => {
            return Err(CliError::failed(format!(
                "'{project}/{}' exists but is not a fork of '{}': it is {}",
                req.new,
                req.source,
                describe(&existing)
            ))
            .hint("choose another name for the fork, or remove that service")
            .into());
        }
        Ok(existing) => {
            return Err(CliError::usage(format!(
                "service '{project}/{}' already exists: {}",
                req.new,
                describe(&existing)
            ))
            .hint("choose another name, or pass --if-not-exists to adopt an existing fork of the same source")
            .into());
        }
        Err(e) if e.is_not_found() => {}
        Err(e) => return Err(e.into()),
    }

    let integrations = client.service_integrations(src_project, &req.source).await.unwrap_or_default();
    let mut target = req.target.clone();
    let fork_service = match adopted {
        Some(s) => s,
        None => {
            let planned = preflight(ctx, req, &source).await?;
            target = planned.target;
            if req.dry_run {
                return report::print_dry_run(ctx, req, &planned.body, &target, &integrations);
            }
            provision::create_or_lookup(ctx, project, &planned.body).await?
        }
    };
    let Some(timeout) = req.wait else {
        print_service_line(ctx.printer, &fork_service)?;
        if !ctx.printer.json_mode() {
            ctx.printer.hint(&format!("the fork goes on; wait until it is ready with `avn service wait {}`", req.new));
        }
        return Ok(());
    };
    let done = readiness::wait_running(ctx, project, std::slice::from_ref(&req.new), timeout).await?;
    let fork_service = done.into_iter().next().expect("one service waited for");
    let copied = if req.copy_integrations { report::copy_integrations(ctx, req, &integrations).await } else { vec![] };
    report::report(ctx, req, &fork_service, &target, &integrations, &copied)
}
