//! `avn service fork`: its arguments, resolved into a [`ForkRequest`] for the fork engine.

use crate::context::Context;
use crate::create_request;
use crate::error::CliError;
use crate::fork::ForkRequest;
use crate::readiness;
use crate::time;
use crate::time::Target;

pub use avn_cli::commands::service::fork::ForkArgs;

pub async fn run(ctx: &Context<'_>, args: ForkArgs) -> anyhow::Result<()> {
    let project = ctx.project()?.to_string();
    create_request::validate_name(&args.new)?;
    let expires_at = crate::cli::resolve_expiry(&args.expiry)?;
    // The env file's directory must exist before anything changes (a --replace deletes first).
    if let Some(dir) =
        args.env_file.as_ref().and_then(|e| e.path.as_ref()).map(|p| p.parent().unwrap_or(std::path::Path::new("")))
    {
        let dir = if dir.as_os_str().is_empty() { std::path::Path::new(".") } else { dir };
        if !dir.is_dir() {
            return Err(CliError::usage(format!("--env-file: the directory {} does not exist", dir.display())).into());
        }
    }
    if args.env_file.as_ref().is_some_and(|e| e.path.is_none()) && ctx.printer.json_mode() {
        return Err(CliError::usage("--env-file - and --json both write to stdout")
            .hint("write the env file to a file, or drop --json")
            .into());
    }
    let target = match &args.pitr {
        Some(raw) => time::parse_target(raw, jiff::Timestamp::now()).map_err(CliError::usage)?,
        None => Target::Latest,
    };
    let req = ForkRequest {
        source_project: args.source_project.unwrap_or_else(|| project.clone()),
        target,
        backup: args.backup,
        latest_snapshot: args.latest_snapshot,
        service_type: args.service_type,
        plan: args.plan,
        cloud: args.cloud,
        disk_space_gib: args.disk_space_gib,
        config_options: args.config_option,
        copy_integrations: args.copy_integrations,
        copy_tags: args.copy_tags,
        termination_protection: args.enable_termination_protection,
        if_not_exists: args.if_not_exists,
        dry_run: args.dry_run,
        wait: (!args.no_wait).then(|| args.timeout.unwrap_or(readiness::DEFAULT_TIMEOUT)),
        expires_at,
        env_file: args.env_file,
        replace: args.replace,
        yes: args.yes,
        run_sql: args.run_sql,
        keep_on_failure: args.keep_on_failure,
        ..ForkRequest::new(&project, &args.source, &args.new)
    };
    crate::fork::run(ctx, &req).await
}
