//! The rename lease as the CLI uses it: read before anything deletes, replaces or re-enables
//! writes on a service; taken and released by renames (the tags are in `avn_api::lease`).
//!
//! On avn local the server enforces the lease too (a leased service cannot be deleted, a lease
//! never changes hands). On Aiven the tags are all there is: the lease is taken with a `PATCH`
//! and read back, so of two renames racing for it only the one whose id is read back goes on.

use std::collections::BTreeMap;

use avn_api::lease::Lease;

use crate::context::Context;
use crate::error::CliError;

/// The lease on `project/name`, if it has one; `None` too when the service does not exist.
pub async fn of(ctx: &Context<'_>, project: &str, name: &str) -> anyhow::Result<Option<Lease>> {
    match ctx.client()?.service_tags(project, name).await {
        Ok(tags) => Ok(Lease::of(&tags)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The lease in a service object's tags.
pub fn of_service(s: &avn_api::Service) -> Option<Lease> {
    s.tags.as_ref().and_then(Lease::of)
}

/// The refusal for an action on a leased service: exit 2, naming the rename and the ways out.
pub fn refused(action: &str, project: &str, name: &str, lease: &Lease, override_hint: Option<&str>) -> CliError {
    let mut e = CliError::usage(format!(
        "refusing to {action} '{project}/{name}': it is under {}; nothing was changed",
        lease.describe()
    ))
    .hint(lease.hint(name));
    if let Some(o) = override_hint {
        e = e.hint(o.to_string());
    }
    e
}

/// Take the lease `id` on OLD for a rename to `new`. Refused (exit 2) when another rename holds
/// it, or wins it at the same moment.
pub async fn take(ctx: &Context<'_>, project: &str, old: &str, new: &str, id: &str) -> anyhow::Result<()> {
    let client = ctx.client()?;
    if let Some(l) = of(ctx, project, old).await?.filter(|l| l.id != id) {
        return Err(refused("rename", project, old, &l, None).into());
    }
    let changes = BTreeMap::from([
        (avn_api::lease::TAG.to_string(), Some(id.to_string())),
        (avn_api::lease::TO_TAG.to_string(), Some(new.to_string())),
    ]);
    match client.service_tags_update(project, old, &changes).await {
        Ok(()) => {}
        // avn local: another rename took it between the look and the write.
        Err(e) if e.is_conflict() => {
            let l = of(ctx, project, old).await?;
            return Err(match l {
                Some(l) => refused("rename", project, old, &l, None),
                None => CliError::usage(format!("'{project}/{old}' could not be leased for the rename: {e}")),
            }
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    // Read back: where the control plane does not arbitrate (Aiven), the last writer holds it.
    match of(ctx, project, old).await? {
        Some(l) if l.id == id => Ok(()),
        Some(l) => Err(refused("rename", project, old, &l, None).into()),
        None => Err(CliError::failed(format!(
            "the rename lease on '{project}/{old}' was removed as soon as it was written; nothing else was changed"
        ))
        .into()),
    }
}

/// Remove the lease `id` (and its companion tags) from `name`, setting `also` at the same time;
/// only when `id` is the lease it holds. Returns whether it was this lease.
pub async fn release(
    ctx: &Context<'_>,
    project: &str,
    name: &str,
    id: &str,
    also: &[(&str, Option<String>)],
) -> anyhow::Result<bool> {
    match of(ctx, project, name).await? {
        Some(l) if l.id == id => {}
        _ => return Ok(false),
    }
    let mut changes: BTreeMap<String, Option<String>> =
        [avn_api::lease::TAG, avn_api::lease::TO_TAG, avn_api::lease::FROM_TAG]
            .into_iter()
            .map(|k| (k.to_string(), None))
            .collect();
    for (k, v) in also {
        changes.insert(k.to_string(), v.clone());
    }
    ctx.client()?.service_tags_update(project, name, &changes).await?;
    Ok(true)
}
