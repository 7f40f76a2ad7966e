use crate::context::Context;
use crate::error::CliError;
use crate::prompt;

pub use avn_cli::commands::service::terminate::TerminateArgs;

pub async fn run(ctx: &Context<'_>, args: TerminateArgs) -> anyhow::Result<()> {
    let project = ctx.project()?;
    // A service under a rename lease is refused before anything else, unless -ff: the rename
    // may be about to delete one copy, or rely on this one being the only one.
    let break_lease = args.force >= 2;
    let mut leased = vec![];
    for name in &args.names {
        if let Some(lease) = crate::lease::of(ctx, project, name).await? {
            if !break_lease {
                return Err(crate::lease::refused(
                    "terminate",
                    project,
                    name,
                    &lease,
                    Some("to terminate it anyway, give --force twice (-ff): the rename then cannot finish, and its rollback keeps what may be the only copy"),
                )
                .into());
            }
            leased.push((name.clone(), lease));
        }
    }
    if !ctx.force(args.force > 0 || args.yes) {
        if !prompt::can_prompt() {
            return Err(CliError::usage("refusing to terminate without confirmation: no terminal to ask on")
                .hint("pass --force (or --yes, or set AIVEN_FORCE=true) to terminate without a prompt")
                .into());
        }
        ctx.printer.stderr(
            "Please re-enter the service name(s) to confirm the service termination.\n\
             This cannot be undone and all the data in the service will be lost!\n",
        );
        for name in &args.names {
            let typed = prompt::read_line(&format!("Re-enter service name '{name}' for immediate termination"))?;
            if typed != *name {
                return Err(
                    CliError::usage(format!("'{typed}' does not match '{name}': nothing was terminated")).into()
                );
            }
        }
    }
    let client = ctx.client()?;
    for name in &args.names {
        if let Some((_, lease)) = leased.iter().find(|(n, _)| n == name) {
            ctx.printer.warn(&format!("'{name}' is under {}: removing its lease (-ff)", lease.describe()));
            let untag = [avn_api::lease::TAG, avn_api::lease::TO_TAG, avn_api::lease::FROM_TAG]
                .into_iter()
                .map(|k| (k.to_string(), None))
                .collect();
            client.service_tags_update(project, name, &untag).await?;
        }
        client.service_delete(project, name).await.map_err(|e| {
            let hint = if e.status() == Some(403) {
                format!("if termination protection is on, remove it first: avn service update {name} --disable-termination-protection")
            } else {
                String::new()
            };
            let mut err = CliError::failed(format!("cannot terminate '{project}/{name}': {}", e.api_message().map(str::to_string).unwrap_or_else(|| e.to_string())));
            err.status = crate::error::classify(&anyhow::Error::new(e)).0;
            if !hint.is_empty() {
                err = err.hint(hint);
            }
            err
        })?;
        ctx.services_changed(project);
        ctx.printer.info(&format!("{name}: terminated"));
    }
    Ok(())
}
