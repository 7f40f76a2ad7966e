//! What already has the fork's name: nothing, a fork to adopt (`--if-not-exists`), a fork to
//! replace (`--replace`), or a service that refuses the command; and what an existing fork holds.

use super::request::describe;
use super::ForkRequest;
use crate::context::Context;
use crate::error::CliError;

/// What the fork's name holds, and what this run does with it.
pub enum Existing {
    /// Nothing: the fork is created.
    Free,
    /// A fork of the source that holds what was asked (`--if-not-exists`): adopted as it is.
    Adopt(avn_api::Service),
    /// A fork of this source, unprotected (`--replace`): terminated, then made anew.
    Replace(avn_api::Service),
}

/// Look at NEW: it must be free, or (with `--if-not-exists`) already be this fork, or (with
/// `--replace`) a fork of the source to replace. Anything else is refused, changing nothing.
pub async fn classify(
    ctx: &Context<'_>,
    client: &avn_client::Client,
    req: &ForkRequest,
    source: &avn_api::Service,
) -> anyhow::Result<Existing> {
    let project = req.project.as_str();
    let existing = match client.service_get(project, &req.new).await {
        Ok(existing) => existing,
        Err(e) if e.is_not_found() => return Ok(Existing::Free),
        Err(e) => return Err(e.into()),
    };
    if let Some(lease) = crate::lease::of_service(&existing).filter(|_| req.replace || req.if_not_exists) {
        let action = if req.replace { "replace" } else { "adopt" };
        return Err(crate::lease::refused(action, project, &req.new, &lease, None).into());
    }
    if req.replace {
        check_replaceable(req, source, &existing)?;
        return Ok(Existing::Replace(existing));
    }
    if req.if_not_exists && req.is_fork_of_source(&existing) {
        if let Some(diff) = mismatch(req, source, &existing) {
            return Err(refuse_adoption(req, &diff).into());
        }
        ctx.printer.info(&format!("'{}' already exists as a fork of '{}': adopting it", req.new, req.source));
        return Ok(Existing::Adopt(existing));
    }
    if req.if_not_exists {
        return Err(CliError::failed(format!(
            "'{project}/{}' exists but is not a fork of '{}': it is {}",
            req.new,
            req.source,
            describe(&existing)
        ))
        .hint("choose another name for the fork, or remove that service")
        .into());
    }
    Err(CliError::usage(format!("service '{project}/{}' already exists: {}", req.new, describe(&existing)))
        .hint("choose another name, or pass --if-not-exists to adopt an existing fork of the same source, or --replace to refresh it")
        .into())
}

/// `--replace` replaces only an unprotected fork of this very source.
fn check_replaceable(
    req: &ForkRequest,
    source: &avn_api::Service,
    existing: &avn_api::Service,
) -> Result<(), CliError> {
    let project = req.project.as_str();
    if !req.is_fork_of_source(existing) {
        return Err(CliError::usage(format!(
            "--replace refuses: '{project}/{}' is not a fork of '{}': it is {}",
            req.new,
            req.source,
            describe(existing)
        ))
        .hint("--replace only replaces a fork of the same source; choose another name"));
    }
    let (made, src_made) = (avn_api::time::parse(&existing.create_time), avn_api::time::parse(&source.create_time));
    if made.zip(src_made).is_none_or(|(m, s)| m < s) {
        return Err(CliError::usage(format!(
            "--replace refuses: '{project}/{}' (created {}) is not a fork of this '{}' (created {}): it predates it",
            req.new, existing.create_time, req.source, source.create_time
        ))
        .hint("it was forked from an earlier service of that name; choose another name"));
    }
    if existing.termination_protection {
        return Err(CliError::usage(format!("--replace refuses: '{project}/{}' has termination protection", req.new))
            .hint(format!("remove it first: avn service update {} --disable-termination-protection", req.new)));
    }
    Ok(())
}

/// The instant or backup a fork was restored to, from its `user_config` (None: unreadable).
pub fn target_of(s: &avn_api::Service) -> Option<crate::time::Target> {
    match avn_api::ForkKeys::read(&s.user_config).target_time {
        Some(t) => avn_api::time::parse(&t).map(|instant| crate::time::Target::At { instant, assumed_utc: false }),
        None => Some(crate::time::Target::Latest),
    }
}

/// How an existing fork of the source differs from what this command asks for (type, target
/// instant, backup), if it does: `--if-not-exists` adopts only a fork that holds what was asked.
pub fn mismatch(req: &ForkRequest, source: &avn_api::Service, existing: &avn_api::Service) -> Option<String> {
    // A fork made before this source was created is a fork of an earlier service of that name.
    let (made, src_made) = (avn_api::time::parse(&existing.create_time), avn_api::time::parse(&source.create_time));
    if made.zip(src_made).is_none_or(|(m, s)| m < s) {
        return Some(format!(
            "it was created {}, before this '{}' (created {}): it is a fork of an earlier service of that name",
            existing.create_time, req.source, source.create_time
        ));
    }
    let want_type = req.service_type.as_deref().unwrap_or(&source.service_type);
    if existing.service_type != want_type {
        return Some(format!("it is a {} service, this command asks for {want_type}", existing.service_type));
    }
    let keys = avn_api::ForkKeys::read(&existing.user_config);
    let (has_time, has_backup) = (keys.target_time.as_deref(), keys.basebackup.as_deref());
    let has = match (has_time, has_backup) {
        (Some(t), _) => format!("restored to {t}"),
        (None, Some(b)) => format!("restored from backup {b}"),
        (None, None) => "restored to the latest transaction".to_string(),
    };
    let wanted = match (&req.target, &req.backup) {
        (_, Some(b)) => {
            if has_backup == Some(b.as_str()) && has_time.is_none() {
                return None;
            }
            format!("backup {b}")
        }
        (crate::time::Target::Latest, None) => {
            if has_time.is_none() && has_backup.is_none() {
                return None;
            }
            // Types forked from backups: a fork without a named backup restores the newest one
            // (or a fresh snapshot), so any fork of the source from a backup is what was asked.
            if !matches!(want_type, "pg" | "mysql") && has_time.is_none() {
                return None;
            }
            "the latest transaction".to_string()
        }
        (crate::time::Target::At { instant, .. }, None) => {
            // Compared as written to the API (to the microsecond).
            let asked = avn_api::time::parse(&avn_api::time::format_offset(*instant));
            if has_time.and_then(avn_api::time::parse) == asked {
                return None;
            }
            avn_api::time::format_zulu(*instant)
        }
    };
    Some(format!("it was {has}, this command asks for {wanted}"))
}

pub fn refuse_adoption(req: &ForkRequest, diff: &str) -> CliError {
    CliError::usage(format!(
        "--if-not-exists refuses to adopt '{}/{}': it is a fork of '{}', but {diff}; nothing was changed",
        req.project, req.new, req.source
    ))
    .hint(format!("pass --replace to fork '{}' again with what this command asks for, or choose another name", req.new))
}
