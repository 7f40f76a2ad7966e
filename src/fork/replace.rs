//! `--replace`: refresh a fork in place. The old NEW (a fork of the same source, not protected,
//! checked before anything changes) is terminated, then forked again under its name, so its host
//! name stays; its plan, tags and expiry carry over unless given again.

use std::time::Duration;

use avn_api::Service;

use super::ForkRequest;
use crate::context::Context;
use crate::error::CliError;

/// The request with what the old fork had, where the command does not say otherwise.
pub fn carry_over(ctx: &Context<'_>, req: &ForkRequest, old: &Service) -> ForkRequest {
    let mut r = req.clone();
    if r.plan.is_none() {
        r.plan = Some(old.plan.clone());
    }
    let mut tags = old.tags.clone().unwrap_or_default();
    let old_expiry = crate::expiry::of(Some(&tags));
    tags.remove(crate::expiry::TAG);
    // The new fork is a fresh copy: whatever --run-sql did to the old one is not done to it.
    tags.remove(super::run_sql::TAG);
    tags.retain(|k, _| !avn_api::lease::OWN_TAGS.contains(&k.as_str()));
    tags.extend(req.tags.clone());
    r.tags = tags;
    if r.expires_at.is_none() {
        match old_expiry {
            Some(t) if t > jiff::Timestamp::now() => r.expires_at = Some(t),
            Some(t) => ctx.printer.warn(&format!(
                "the old fork's expiry ({}) has passed; the new one does not expire (give --expires-in)",
                crate::expiry::format(t)
            )),
            None => {}
        }
    }
    r
}

/// Replacing deletes a service: on a terminal, the name is typed again; without one, `--yes`.
pub fn confirm(ctx: &Context<'_>, req: &ForkRequest) -> anyhow::Result<()> {
    if ctx.force(req.yes) {
        return Ok(());
    }
    if !crate::prompt::can_prompt() {
        return Err(CliError::usage(format!(
            "refusing to replace '{}' without confirmation: no terminal to ask on",
            req.new
        ))
        .hint("pass --yes (or set AIVEN_FORCE=true); nothing was changed")
        .into());
    }
    let typed = crate::prompt::read_line(&format!(
        "Terminate '{}' and all its data, and fork '{}' again under its name? Type '{}' to confirm",
        req.new, req.source, req.new
    ))?;
    if typed != req.new {
        return Err(CliError::usage(format!("not confirmed: '{}' was kept", req.new)).into());
    }
    Ok(())
}

/// Terminate the old fork and wait until it is gone. When NEW turns out to have been replaced by
/// another run meanwhile (a different creation time), that fork is returned instead, and this run
/// deletes nothing more.
pub async fn terminate_old(ctx: &Context<'_>, req: &ForkRequest, old: &Service) -> anyhow::Result<Option<Service>> {
    let client = ctx.client()?;
    let project = req.project.as_str();
    let theirs = |s: Service| -> anyhow::Result<Option<Service>> {
        if req.is_fork_of_source(&s) {
            Ok(Some(s))
        } else {
            Err(CliError::failed(format!(
                "'{project}/{}' was replaced meanwhile by something that is not a fork of '{}': {}",
                req.new,
                req.source,
                super::describe(&s)
            ))
            .into())
        }
    };
    // Only the incarnation this run checked is deleted (looked up again before every attempt).
    match client.service_delete_incarnation(project, &req.new, &old.create_time).await? {
        avn_client::DeleteOutcome::Deleted => {
            ctx.printer.info(&format!("Terminated '{}' (created {})", req.new, old.create_time))
        }
        avn_client::DeleteOutcome::Gone => {}
        avn_client::DeleteOutcome::Replaced(_) => return theirs(client.service_get(project, &req.new).await?),
    }
    ctx.services_changed(project);
    let gone = avn_util::wait::until(
        "the old fork to be gone",
        Duration::from_secs(600),
        Duration::from_millis(300),
        || async {
            match client.service_get(project, &req.new).await {
                Err(e) if e.is_not_found() => Some(Ok(None)),
                Ok(s) if s.create_time != old.create_time => Some(Ok(Some(s))),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            }
        },
    );
    match gone.await {
        Ok(Ok(None)) => Ok(None),
        Ok(Ok(Some(s))) => theirs(s),
        Ok(Err(e)) => Err(e.into()),
        Err(_) => {
            Err(CliError::timeout(format!("'{project}/{}' was not gone 10 minutes after its termination", req.new))
                .hint(format!("run the command again once `avn service get {}` says it does not exist", req.new))
                .into())
        }
    }
}
