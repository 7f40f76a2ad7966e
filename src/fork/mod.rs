//! Forking a service: one engine for `service fork`, `service create --fork-from` and renames.
//!
//! Owns the resolved fork request (`request`), every check made before anything is created
//! (`preflight`), and what a fork reports (`report`). It takes resolved values, never clap
//! structs, and may use `context`, `create_request`, `readiness`, `integrations`, `output` and `time`;
//! it never imports from `commands`.

mod existing;
mod preflight;
mod replace;
mod report;
mod request;
mod run_sql;

pub use preflight::check_source;
pub use preflight::preflight;
pub use request::describe;
pub use request::ForkRequest;
pub use run_sql::TAG as RUN_SQL_TAG;

use crate::context::Context;
use crate::create_request;
use crate::error::CliError;
use crate::output::service::print_service_line;
use crate::readiness;
use existing::mismatch;
use existing::refuse_adoption;
use existing::target_of;
use existing::Existing;

/// Check everything, create the fork (or adopt it with `if_not_exists`), wait until it is ready
/// when asked to, and report what it holds.
pub async fn run(ctx: &Context<'_>, req: &ForkRequest) -> anyhow::Result<()> {
    create_request::validate_name(&req.new)?;
    let client = ctx.client()?;
    let source = fetch_source(ctx, client, req).await?;
    check_source(req, &source)?;
    let existing = existing::classify(ctx, client, req, &source).await?;
    // What the replaced fork had carries over unless given again: plan, tags, expiry.
    let carried;
    let req = match &existing {
        Existing::Replace(old) => {
            carried = replace::carry_over(ctx, req, old);
            &carried
        }
        _ => req,
    };
    let integrations = client.service_integrations(&req.source_project, &req.source).await.unwrap_or_default();
    let Some(got) = obtain(ctx, req, &source, existing, &integrations).await? else {
        return Ok(()); // a dry run
    };
    // A source whose writes a rename stopped (or a kept source of a finished one) is read-only
    // by its databases' defaults, and a fork would inherit that: the fork is opened for writes.
    let stopped_by_rename = source.tags.as_ref().is_some_and(|t| {
        avn_api::lease::Lease::of(t).is_some_and(|l| l.is_source) || t.contains_key(avn_api::lease::RENAMED_TO_TAG)
    });
    let Some(timeout) = req.wait else {
        return handed_over_unwaited(ctx, req, &got.service, stopped_by_rename);
    };
    let done = readiness::wait_running(ctx, &req.project, std::slice::from_ref(&req.new), timeout).await?;
    let fork_service = done.into_iter().next().expect("one service waited for");
    if stopped_by_rename && got.outcome != Outcome::Adopted {
        open_after_rename(ctx, req, &fork_service).await?;
    }
    let sql_ran = sanitise(ctx, req, &fork_service, got.made_by_us).await?;
    let copied = if req.copy_integrations { report::copy_integrations(ctx, req, &integrations).await } else { vec![] };
    hand_over(ctx, req, &fork_service)?;
    let done = report::Done { copied, outcome: got.outcome, sql_ran };
    report::report(ctx, req, &fork_service, &got.target, &integrations, &done)
}

/// The source service, or a usage error that says how to find the right one.
async fn fetch_source(
    ctx: &Context<'_>,
    client: &avn_client::Client,
    req: &ForkRequest,
) -> anyhow::Result<avn_api::Service> {
    let src_project = req.source_project.as_str();
    match client.service_get(src_project, &req.source).await {
        Ok(s) => Ok(s),
        Err(e) if e.is_not_found() => {
            if let Some(err) = crate::create_request::missing_project(ctx, src_project).await {
                return Err(err.into());
            }
            Err(CliError::usage(format!("source service '{src_project}/{}' does not exist", req.source))
                .hint("list the services with `avn service list`; use --source-project for another project")
                .into())
        }
        Err(e) => Err(e.into()),
    }
}

/// The fork this run has, and how it came by it.
struct Obtained {
    service: avn_api::Service,
    /// What it holds (the adopted fork's own record, or what was planned).
    target: crate::time::Target,
    outcome: Outcome,
    /// Whether this run's create made it: only then may a failing `--run-sql` terminate it.
    made_by_us: bool,
}

/// Adopt the existing fork, or plan and create one (terminating the one it replaces first).
/// None after a dry run, which only prints the plan.
async fn obtain(
    ctx: &Context<'_>,
    req: &ForkRequest,
    source: &avn_api::Service,
    existing: Existing,
    integrations: &[avn_api::Integration],
) -> anyhow::Result<Option<Obtained>> {
    let replacing = match existing {
        Existing::Adopt(s) => {
            let target = target_of(&s).unwrap_or_else(|| req.target.clone());
            return Ok(Some(Obtained { service: s, target, outcome: Outcome::Adopted, made_by_us: false }));
        }
        Existing::Replace(old) => Some(old),
        Existing::Free => None,
    };
    let mut outcome = if replacing.is_some() { Outcome::Replaced } else { Outcome::Created };
    let mut made_by_us = false;
    let planned = preflight(ctx, req, source).await?;
    if req.dry_run {
        if let Some(old) = &replacing {
            ctx.printer.info(&format!("Would terminate '{}' (created {}) first", old.service_name, old.create_time));
        }
        report::print_dry_run(ctx, req, &planned.body, &planned.target, integrations)?;
        return Ok(None);
    }
    let service = match &replacing {
        Some(old) => {
            replace::confirm(ctx, req)?;
            match replace::terminate_old(ctx, req, old).await? {
                Some(theirs) => {
                    adopted_concurrent(ctx, req, &theirs);
                    theirs
                }
                None => create_or_adopt(ctx, req, &planned.body, Some(old), &mut outcome, &mut made_by_us).await?,
            }
        }
        None => create_or_adopt(ctx, req, &planned.body, None, &mut outcome, &mut made_by_us).await?,
    };
    Ok(Some(Obtained { service, target: planned.target, outcome, made_by_us }))
}

/// `--no-wait`: hand the fork over as it is, and say how to wait for it.
fn handed_over_unwaited(
    ctx: &Context<'_>,
    req: &ForkRequest,
    fork: &avn_api::Service,
    stopped_by_rename: bool,
) -> anyhow::Result<()> {
    if stopped_by_rename && !ctx.printer.json_mode() {
        ctx.printer.hint(&format!(
            "'{}' is read-only because a rename stopped its writes, and so will '{}' be: fork without --no-wait to have it opened for writes",
            req.source, req.new
        ));
    }
    hand_over(ctx, req, fork)?;
    if req.env_file.as_ref().is_none_or(|e| e.path.is_some()) {
        print_service_line(ctx.printer, fork)?;
    }
    if !ctx.printer.json_mode() {
        ctx.printer.hint(&format!("the fork goes on; wait until it is ready with `avn service wait {}`", req.new));
    }
    Ok(())
}

/// Clear the read-only defaults a rename left on the source's databases from the fork, and say so.
async fn open_after_rename(ctx: &Context<'_>, req: &ForkRequest, fork: &avn_api::Service) -> anyhow::Result<()> {
    if fork.service_type != "pg" {
        return Ok(());
    }
    let Some(uri) = &fork.service_uri else { return Ok(()) };
    let pg = ctx.pg_conn(&req.project, uri).await?;
    let dbs = crate::rename::postgres::read_only_defaults(&pg).await?;
    if dbs.is_empty() {
        return Ok(());
    }
    crate::rename::postgres::open_writes(&pg, &dbs).await.map_err(|e| {
        anyhow::Error::new(e)
            .context(format!("cannot open '{}' for writes (its source was stopped for a rename)", req.new))
    })?;
    ctx.printer.info(&format!(
        "'{}' was read-only as '{}' is, stopped for a rename: read-only defaults cleared on {}",
        req.new,
        req.source,
        dbs.join(", ")
    ));
    Ok(())
}

/// `--run-sql`: run the files on the fork; when one fails, terminate the fork this run made (unless
/// `--keep-on-failure`) so an unsanitised copy is never left for anyone to use. A fork this run
/// did not make (adopted, or made by a concurrent run) is never terminated: the job fails and
/// says so. Deletes and tags touch only the incarnation the files ran on (its creation time).
async fn sanitise(
    ctx: &Context<'_>,
    req: &ForkRequest,
    fork: &avn_api::Service,
    made_by_us: bool,
) -> anyhow::Result<Vec<serde_json::Value>> {
    if req.run_sql.is_empty() {
        return Ok(vec![]);
    }
    if run_sql::already_ran(fork, &req.run_sql) {
        ctx.printer.info(&format!("The --run-sql files already ran on '{}'", req.new));
        return Ok(vec![]);
    }
    let client = ctx.client()?;
    let (project, new) = (req.project.as_str(), req.new.as_str());
    let still_ours = |s: &avn_api::Service| s.create_time == fork.create_time;
    match run_sql::run(ctx, project, fork, &req.run_sql).await {
        Ok(ran) => {
            let now = client.service_get(project, new).await?;
            if !still_ours(&now) {
                return Err(CliError::failed(format!(
                    "'{new}' was replaced while the --run-sql files ran (it is now the service created {}); it was not marked as sanitised",
                    now.create_time
                ))
                .into());
            }
            let mark = std::collections::BTreeMap::from([(
                run_sql::TAG.to_string(),
                Some(run_sql::fingerprint(&req.run_sql, &fork.create_time)),
            )]);
            client.service_tags_update(project, new, &mark).await?;
            Ok(ran)
        }
        Err(e) if req.keep_on_failure => {
            Err(e.context(format!("'{new}' was kept (--keep-on-failure), with the failed file's changes rolled back")))
        }
        Err(e) if !made_by_us => Err(e.context(format!(
            "'{new}' was not made by this run (it was adopted, or made by another run at the same time), so it was kept; the failed file's changes were rolled back, and the file's sanitising is NOT in it"
        ))),
        Err(e) => {
            let gone = match client.service_delete_incarnation(project, new, &fork.create_time).await {
                Ok(avn_client::DeleteOutcome::Deleted | avn_client::DeleteOutcome::Gone) => {
                    format!("'{new}' was terminated, so no unsanitised copy is left")
                }
                Ok(avn_client::DeleteOutcome::Replaced(t)) => {
                    format!("'{new}' is now another service (created {t}), left alone; the fork this run made is gone")
                }
                Err(d) => format!(
                    "terminating '{new}' (created {}) failed too ({d}): check `avn service get {new}` and remove that incarnation",
                    fork.create_time
                ),
            };
            ctx.services_changed(project);
            Err(e.context(gone))
        }
    }
}

/// What this run did to NEW.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    Created,
    /// `--if-not-exists` found it already forked from the source.
    Adopted,
    /// `--replace` terminated the old fork and forked again (or a concurrent run did).
    Replaced,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Adopted => "adopted",
            Outcome::Replaced => "replaced",
        }
    }
}

/// Create the fork. When another run created NEW first (a CI job retried twice at once) and it
/// is a fork of the source, made after `replaced` if there is one, this run reports that fork
/// instead of failing: one fork, both runs report it.
async fn create_or_adopt(
    ctx: &Context<'_>,
    req: &ForkRequest,
    body: &avn_api::ServiceCreate,
    replaced: Option<&avn_api::Service>,
    outcome: &mut Outcome,
    made_by_us: &mut bool,
) -> anyhow::Result<avn_api::Service> {
    match create_request::create_or_lookup(ctx, &req.project, body).await {
        Ok((s, confirmed)) => {
            *made_by_us = confirmed;
            Ok(s)
        }
        Err(e) if (req.if_not_exists || req.replace) && e.chain().any(is_conflict) => {
            let theirs = ctx.client()?.service_get(&req.project, &req.new).await?;
            let fresh = replaced.is_none_or(|old| old.create_time != theirs.create_time);
            let source = ctx.client()?.service_get(&req.source_project, &req.source).await?;
            if let Some(diff) = mismatch(req, &source, &theirs).filter(|_| req.is_fork_of_source(&theirs)) {
                return Err(refuse_adoption(req, &diff).into());
            }
            if req.is_fork_of_source(&theirs) && fresh {
                adopted_concurrent(ctx, req, &theirs);
                if *outcome == Outcome::Created {
                    *outcome = Outcome::Adopted;
                }
                Ok(theirs)
            } else {
                Err(e)
            }
        }
        Err(e) => Err(e),
    }
}

fn is_conflict(e: &(dyn std::error::Error + 'static)) -> bool {
    e.downcast_ref::<avn_client::Error>().is_some_and(|e| e.is_conflict())
}

fn adopted_concurrent(ctx: &Context<'_>, req: &ForkRequest, theirs: &avn_api::Service) {
    ctx.printer.info(&format!(
        "another run created '{}' as a fork of '{}' at the same time (created {}): using it",
        req.new, req.source, theirs.create_time
    ));
}

/// `--env-file`: the fork's URI for the next step of the job.
fn hand_over(ctx: &Context<'_>, req: &ForkRequest, fork: &avn_api::Service) -> anyhow::Result<()> {
    let Some(target) = &req.env_file else { return Ok(()) };
    let Some(uri) = &fork.service_uri else {
        return Err(CliError::failed(format!("'{}' has no connection URI yet; the env file was not written", req.new))
            .hint(format!(
                "wait with `avn service wait {}`, then `avn service get {} --env-file ...`",
                req.new, req.new
            ))
            .into());
    };
    crate::env_file::write(target, uri)?;
    if let Some(p) = &target.path {
        ctx.printer.info(&format!("Wrote {} for '{}' to {}", target.var, req.new, p.display()));
    }
    Ok(())
}
