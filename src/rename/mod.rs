//! The rename saga: preflight, stop writes, fork, open writes on NEW, verify, repoint, delete.
//!
//! Every step is recorded in a journal (`journal.rs`) before it counts as done, and every step is
//! idempotent, so `--resume` continues after a crash, Ctrl-C, `kill -9` or network loss. A
//! failure before repointing rolls back what this rename did (writes re-enabled on OLD, a NEW it
//! created deleted); after that, the journal stays in progress for `--resume`.
//!
//! Files: `preflight` (checks before anything changes), `saga` (drives the steps, rolls back),
//! `stages` (one method per step), `postgres` (stop and open writes, row counts), `repoint` (env
//! files and the hook), `journal`, `plan` (the dry run), `error` (what a step can fail with).
//! It uses the fork engine (`crate::fork`), `create_request`, `readiness` and `integrations`, never
//! `crate::commands`.

use serde::Deserialize;
use serde::Serialize;

use crate::context::Context;
use crate::error::CliError;

mod delete;
mod error;
mod fence;
pub mod journal;
mod mysql;
pub mod plan;
pub(crate) mod postgres;
mod preflight;
mod repoint;
mod rollback;
mod saga;
mod stages;
mod valkey;

use journal::Journal;
use journal::State;
use journal::StepName;
use journal::StepStatus;
use repoint::Conn;

/// Options of one rename, kept in its journal so a resume does the same thing.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Options {
    pub plan: Option<String>,
    pub cloud: Option<String>,
    pub config: Vec<String>,
    pub repoint_env: Vec<String>,
    pub repoint_exec: Option<String>,
    pub keep_source: bool,
    pub writes_stopped: bool,
    pub yes: bool,
    pub remove_termination_protection: bool,
    pub timeout_seconds: Option<f64>,
    /// Go on although role-level settings can re-enable writes on OLD, or unlogged tables hold
    /// rows a fork will not have.
    #[serde(default)]
    pub force: bool,
    /// Compare an order-independent checksum of every table, not only row counts.
    #[serde(default)]
    pub checksum: bool,
}

/// What preflight found, kept in the journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub service_type: String,
    pub plan: String,
    pub cloud: String,
    pub termination_protection: bool,
    pub conn: Option<Conn>,
    pub databases: Vec<String>,
    pub users: Vec<String>,
    pub pools: Vec<String>,
    /// Databases whose defaults the admin user can change (PostgreSQL).
    pub alterable: Vec<String>,
    pub integrations: Vec<avn_api::Integration>,
    /// OLD's `create_time`, which tells it from a later service of the same name.
    #[serde(default)]
    pub created: String,
    /// OLD's expiry (the `avn_expires_at` tag), given to NEW only when the rename has finished.
    #[serde(default)]
    pub expires_at: Option<String>,
    /// Unlogged tables with rows (`db.schema.table`), accepted with `--force`: a fork has them
    /// empty, so verify leaves them out.
    #[serde(default)]
    pub unlogged: Vec<String>,
    /// A MySQL service on avn local: its control plane stops writes and commits the fence
    /// (`avn_api::writes`).
    #[serde(default)]
    pub local_writes: bool,
}

/// A journal is resumed only against the API and project it was started with: a same-named
/// service elsewhere is somebody else's, and a resume must never delete it.
fn same_api(ctx: &Context<'_>, j: &Journal) -> Result<(), CliError> {
    let (was, now) = (j.url.trim_end_matches('/'), ctx.settings.url.trim_end_matches('/'));
    if was != now {
        return Err(CliError::usage(format!(
            "this rename of '{}' to '{}' was started against {was}, not {now}; nothing was changed",
            j.old, j.new
        ))
        .hint(format!("resume it against the same API (--url {was}, or `avn local up` for the local control plane)")));
    }
    Ok(())
}

fn parse_env_spec(spec: &str) -> (std::path::PathBuf, Option<String>) {
    match spec.rsplit_once(':') {
        Some((f, v))
            if !v.is_empty()
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !v.chars().next().unwrap_or('0').is_ascii_digit() =>
        {
            (f.into(), Some(v.to_string()))
        }
        _ => (spec.into(), None),
    }
}

fn names<T>(v: &Option<Vec<T>>, f: impl Fn(&T) -> String) -> Vec<String> {
    let mut out: Vec<String> = v.iter().flatten().map(f).collect();
    out.sort();
    out
}

/// How a step ended; the text says what it did, or why it did nothing.
pub(crate) enum Outcome {
    Done(String),
    Skipped(String),
}

pub struct Rename<'a, 'c> {
    ctx: &'a Context<'c>,
    project: String,
    old: String,
    new: String,
    opts: Options,
    /// `--dry-run`: every check runs, nothing asks and nothing changes.
    dry_run: bool,
}

/// Run (or resume, or abort) a rename.
pub async fn run(
    ctx: &Context<'_>,
    old: &str,
    new: &str,
    opts: Options,
    dry_run: bool,
    resume: bool,
    abort: bool,
) -> anyhow::Result<()> {
    let project = ctx.project()?.to_string();
    let _lock = journal::lock(&project, old, new)?;
    let existing = Journal::load(&project, old, new)?;
    if abort {
        return run_abort(ctx, &project, old, new, existing, dry_run).await;
    }
    let in_progress = existing.as_ref().filter(|j| j.state == State::InProgress);
    let (journal, opts) = match (in_progress, resume) {
        (Some(j), false) => {
            return Err(CliError::usage(format!(
                "a rename of '{old}' to '{new}' is in progress (next step: {})",
                j.next_step().map(StepName::label).unwrap_or_else(|| "none".into())
            ))
            .hint(format!(
                "continue it with `avn service rename {old} {new} --resume`, or undo it with `avn service rename {old} {new} --abort` (journal: {})",
                j.path.display()
            ))
            .into())
        }
        (Some(j), true) => (Some(j.clone()), resumed_options(ctx, j, old, new, &opts)?),
        (None, true) => {
            return Err(CliError::usage(format!("there is no rename of '{old}' to '{new}' in progress to resume"))
                .hint(format!("start one with `avn service rename {old} {new}`"))
                .into())
        }
        (None, false) => (None, opts),
    };
    let r = Rename { ctx, project, old: old.to_string(), new: new.to_string(), opts, dry_run };
    let mut journal = match journal {
        Some(j) => j,
        None => match r.begin().await? {
            Some(j) => j,
            None => return Ok(()), // a dry run: the plan was printed
        },
    };
    if dry_run {
        return Err(CliError::usage("--dry-run cannot be combined with --resume").into());
    }
    ctx.set_interrupt_hint(format!(
        "the rename is paused: continue it with `avn service rename {old} {new} --resume`, or undo it with `avn service rename {old} {new} --abort`"
    ));
    r.drive(&mut journal).await
}

/// `--abort`: roll back the rename in progress; without a journal here, release the lease on
/// OLD if it is this rename's.
async fn run_abort(
    ctx: &Context<'_>,
    project: &str,
    old: &str,
    new: &str,
    existing: Option<Journal>,
    dry_run: bool,
) -> anyhow::Result<()> {
    let Some(j) = existing.as_ref().filter(|j| j.state == State::InProgress) else {
        if existing.is_none() {
            if let Some(l) =
                crate::lease::of(ctx, project, old).await?.filter(|l| l.is_source && l.peer.as_deref() == Some(new))
            {
                return release_elsewhere(ctx, project, old, new, &l).await;
            }
        }
        return Err(CliError::usage(format!("there is no rename of '{old}' to '{new}' in progress to abort"))
            .hint(match existing.map(|j| j.state) {
                Some(State::Done) => "it has finished".to_string(),
                Some(State::RolledBack) => "it was already rolled back".to_string(),
                _ => format!("no journal at {}", journal::path_for(project, old, new).display()),
            })
            .into());
    };
    same_api(ctx, j)?;
    let opts = j.options.clone();
    let r = Rename { ctx, project: project.to_string(), old: old.to_string(), new: new.to_string(), opts, dry_run };
    r.abort(&mut j.clone()).await
}

/// `--resume`: what the rename does comes from its journal; how long to wait and whether to ask
/// before the delete come from this command line.
fn resumed_options(ctx: &Context<'_>, j: &Journal, old: &str, new: &str, given: &Options) -> anyhow::Result<Options> {
    same_api(ctx, j)?;
    let mut o = j.options.clone();
    o.timeout_seconds = given.timeout_seconds;
    o.yes |= given.yes;
    // Only ever safer: a resume may choose to keep OLD.
    o.keep_source |= given.keep_source;
    if !o.yes && !o.keep_source && !crate::prompt::can_prompt() {
        return Err(CliError::usage(
            "the last step deletes the old service after a confirmation, and there is no terminal to ask on",
        )
        .hint(format!("resume with `avn service rename {old} {new} --resume --yes`"))
        .into());
    }
    ctx.printer.info(&format!(
        "Resuming the rename of '{old}' to '{new}' at step {}",
        j.next_step().map(StepName::label).unwrap_or_else(|| "none".into())
    ));
    Ok(o)
}

impl Rename<'_, '_> {
    /// A new rename: every check, then (unless a dry run, which prints the plan and returns None)
    /// its journal and the lease on OLD, the first change.
    async fn begin(&self) -> anyhow::Result<Option<Journal>> {
        let (snapshot, body) = self.preflight().await?;
        if self.dry_run {
            plan::print(self.ctx, &self.old, &self.new, &self.opts, &snapshot, &body)?;
            return Ok(None);
        }
        let lease = fence::new_id()?;
        let mut j =
            Journal::new(&self.ctx.settings.url, &self.project, &self.old, &self.new, self.opts.clone(), lease.clone());
        j.old_created = Some(snapshot.created.clone()).filter(|c| !c.is_empty());
        j.old_snapshot = Some(snapshot);
        j.fork_request = serde_json::to_value(self.with_lease(body, &lease))?;
        j.start(StepName::Preflight)?;
        // Losing the lease to another rename changes nothing.
        if let Err(e) = crate::lease::take(self.ctx, &self.project, &self.old, &self.new, &lease).await {
            j.finish(StepName::Preflight, StepStatus::Failed, Some(format!("{e:#}")))?;
            j.state = State::RolledBack;
            j.save()?;
            return Err(e);
        }
        j.finish(StepName::Preflight, StepStatus::Done, Some("every check passed; OLD leased".into()))?;
        self.line(StepName::Preflight, "done", None, "every check passed");
        Ok(Some(j))
    }
}

/// `--abort` on a machine without the rename's journal (the one that started it is gone): the
/// lease on OLD (and on NEW, where it is the same rename's) is released, and nothing else is
/// changed: which databases that rename made read-only, and whether NEW is in use, only its
/// journal knew. A rename still running elsewhere then keeps OLD at its delete step.
async fn release_elsewhere(
    ctx: &Context<'_>,
    project: &str,
    old: &str,
    new: &str,
    l: &avn_api::lease::Lease,
) -> anyhow::Result<()> {
    crate::lease::release(ctx, project, old, &l.id, &[]).await?;
    let new_released = crate::lease::release(ctx, project, new, &l.id, &[]).await?;
    ctx.printer.info(&format!(
        "No journal of the rename of '{old}' to '{new}' is on this machine: its lease on '{old}'{} was released, and nothing else was changed",
        if new_released { format!(" and '{new}'") } else { String::new() }
    ));
    ctx.printer.hint(&format!(
        "'{old}' may still be read-only: open its databases with `ALTER DATABASE ... RESET default_transaction_read_only` once nothing else is renaming it"
    ));
    if new_released {
        ctx.printer
            .hint(&format!("'{new}' was kept: terminate it with `avn service terminate {new}` if it is not needed"));
    }
    Ok(())
}

impl Rename<'_, '_> {
    pub(super) fn line(&self, step: StepName, outcome: &str, seconds: Option<f64>, detail: &str) {
        if self.ctx.printer.json_mode() {
            return;
        }
        let secs = seconds.map(|s| format!(" ({s:.1}s)")).unwrap_or_default();
        let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
        self.ctx.printer.info(&format!(
            "[{}/{}] {}: {outcome}{secs}{detail}",
            step.number(),
            StepName::ALL.len(),
            step.label()
        ));
    }

    pub(super) fn is_pg(s: &Snapshot) -> bool {
        s.service_type == "pg"
    }

    /// NEW's create request with the lease: NEW is born owned by this rename, so no other
    /// command deletes or replaces it while the rename runs, and a rollback can prove it is ours.
    fn with_lease(&self, mut body: avn_api::ServiceCreate, lease: &str) -> avn_api::ServiceCreate {
        let tags = body.tags.get_or_insert_with(Default::default);
        tags.insert(avn_api::lease::TAG.into(), lease.into());
        tags.insert(avn_api::lease::FROM_TAG.into(), self.old.clone());
        body
    }

    /// The command that continues or undoes this rename.
    pub(super) fn cmd(&self, flag: &str) -> String {
        format!("avn service rename {} {} {flag}", self.old, self.new)
    }
}
