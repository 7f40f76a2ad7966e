//! The rename saga: preflight, stop writes, fork, open writes on NEW, verify, repoint, delete.
//!
//! Every step is recorded in a journal (`journal.rs`) before it counts as done, and every step is
//! idempotent, so `--resume` continues after a crash, Ctrl-C, `kill -9` or network loss. A
//! failure before repointing rolls back what this rename did (writes re-enabled on OLD, a NEW it
//! created deleted); after that, the journal stays in progress for `--resume`.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Deserialize;
use serde::Serialize;
use serde_json::json;
use serde_json::Value;

use crate::commands::service::fork;
use crate::context::Context;
use crate::error::CliError;
use crate::output::json as out_json;
use crate::time::Target;

pub mod journal;
pub mod plan;
pub mod steps;

use journal::Journal;
use journal::State;
use journal::StepStatus;
use journal::STEPS;
use steps::Conn;

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
}

fn step_label(name: &str) -> String {
    name.replace('_', " ")
}

/// Stop here if a test asked to (`FAILPOINTS=rename-before-<step>=return(crash)` aborts like
/// `kill -9`; `return` injects a failure).
fn boundary(step: &str) -> anyhow::Result<()> {
    let _name = format!("rename-before-{step}");
    fail::fail_point!(&_name, |arg: Option<String>| {
        if arg.as_deref() == Some("crash") {
            std::process::abort();
        }
        Err(anyhow::anyhow!("injected failure before step {step}"))
    });
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

fn same_integration(a: &avn_api::Integration, b: &avn_api::Integration, old: &str, new: &str) -> bool {
    let swap = |s: &Option<String>| s.as_deref().map(|x| if x == old { new.to_string() } else { x.to_string() });
    a.integration_type == b.integration_type
        && swap(&a.source_service) == b.source_service
        && swap(&a.dest_service) == b.dest_service
}

pub struct Rename<'a, 'c> {
    ctx: &'a Context<'c>,
    project: String,
    old: String,
    new: String,
    opts: Options,
}

/// Run (or resume) a rename.
pub async fn run(
    ctx: &Context<'_>,
    old: &str,
    new: &str,
    opts: Options,
    dry_run: bool,
    resume: bool,
) -> anyhow::Result<()> {
    let project = ctx.project()?.to_string();
    let existing = Journal::load(&project, old, new)?;
    let in_progress = existing.as_ref().filter(|j| j.state == State::InProgress);
    let (journal, opts) = match (in_progress, resume) {
        (Some(j), false) => {
            return Err(CliError::usage(format!(
                "a rename of '{old}' to '{new}' is in progress (next step: {})",
                step_label(j.next_step().unwrap_or("none"))
            ))
            .hint(format!("continue it with `avn service rename {old} {new} --resume` (journal: {})", j.path.display()))
            .into())
        }
        (Some(j), true) => {
            // What the rename does comes from its journal; how long to wait and whether to ask
            // before the delete come from this command line.
            let mut o: Options = serde_json::from_value(j.options.clone()).unwrap_or_default();
            o.timeout_seconds = opts.timeout_seconds;
            o.yes |= opts.yes;
            if !o.yes && !o.keep_source && !crate::prompt::can_prompt() {
                return Err(CliError::usage(
                    "the last step deletes the old service after a confirmation, and there is no terminal to ask on",
                )
                .hint(format!("resume with `avn service rename {old} {new} --resume --yes`"))
                .into());
            }
            ctx.printer.info(&format!(
                "Resuming the rename of '{old}' to '{new}' at step {}",
                step_label(j.next_step().unwrap_or("none"))
            ));
            (Some(j.clone()), o)
        }
        (None, true) => {
            return Err(CliError::usage(format!("there is no rename of '{old}' to '{new}' in progress to resume"))
                .hint(format!("start one with `avn service rename {old} {new}`"))
                .into())
        }
        (None, false) => (None, opts),
    };
    let r = Rename { ctx, project, old: old.to_string(), new: new.to_string(), opts };
    let mut journal = match journal {
        Some(j) => j,
        None => {
            let (snapshot, body) = r.preflight().await?;
            if dry_run {
                return plan::print(ctx, &r.old, &r.new, &r.opts, &snapshot, &body);
            }
            let mut j = Journal::new(&ctx.settings.url, &r.project, old, new, serde_json::to_value(&r.opts)?);
            j.old_snapshot = serde_json::to_value(&snapshot)?;
            j.fork_request = serde_json::to_value(&body)?;
            j.start("preflight")?;
            j.finish("preflight", StepStatus::Done, Some("every check passed".into()))?;
            r.line(1, "preflight", "done", None, "every check passed");
            j
        }
    };
    if dry_run {
        return Err(CliError::usage("--dry-run cannot be combined with --resume").into());
    }
    crate::error::set_interrupt_hint(format!(
        "the rename is paused and can be continued: `avn service rename {old} {new} --resume`"
    ));
    r.drive(&mut journal).await
}

impl Rename<'_, '_> {
    fn line(&self, n: usize, step: &str, outcome: &str, seconds: Option<f64>, detail: &str) {
        if self.ctx.printer.json_mode() {
            return;
        }
        let secs = seconds.map(|s| format!(" ({s:.1}s)")).unwrap_or_default();
        let detail = if detail.is_empty() { String::new() } else { format!(": {detail}") };
        self.ctx.printer.info(&format!("[{n}/{}] {}: {outcome}{secs}{detail}", STEPS.len(), step_label(step)));
    }

    fn is_pg(s: &Snapshot) -> bool {
        s.service_type == "pg"
    }

    /// Every check, before anything changes. Returns OLD's snapshot and the fork request.
    async fn preflight(&self) -> anyhow::Result<(Snapshot, avn_api::ServiceCreate)> {
        let ctx = self.ctx;
        let client = ctx.client()?;
        let (old, new, o) = (&self.old, &self.new, &self.opts);
        crate::commands::service::validate_name(new)?;
        if old == new {
            return Err(CliError::usage("the new name is the old name").into());
        }
        let svc = match client.service_get(&self.project, old).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => {
                return Err(CliError::usage(format!("service '{}/{old}' does not exist", self.project)).into())
            }
            Err(e) => return Err(e.into()),
        };
        if svc.state != avn_api::ServiceState::Running {
            return Err(CliError::usage(format!("'{old}' is {}; a rename needs it RUNNING", svc.state)).into());
        }
        match client.service_get(&self.project, new).await {
            Ok(_) => {
                return Err(CliError::usage(format!("service '{}/{new}' already exists", self.project))
                    .hint("choose another new name")
                    .into())
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        if svc.termination_protection && !o.keep_source && !o.remove_termination_protection {
            return Err(CliError::usage(format!("'{old}' has termination protection, and the rename would delete it"))
                .hint("pass --remove-termination-protection to lift it at the last step, or --keep-source to keep the old service")
                .into());
        }
        if !o.yes && !o.keep_source && !crate::prompt::can_prompt() {
            return Err(CliError::usage(
                "the last step deletes the old service after a confirmation, and there is no terminal to ask on",
            )
            .hint("pass --yes to delete it without asking, or --keep-source to keep it (read-only)")
            .into());
        }
        for spec in &o.repoint_env {
            let (path, _) = parse_env_spec(spec);
            let meta = std::fs::metadata(&path)
                .map_err(|e| CliError::usage(format!("--repoint-env {}: {e}", path.display())))?;
            if !meta.is_file() || meta.permissions().readonly() {
                return Err(CliError::usage(format!("--repoint-env {}: not a writable file", path.display())).into());
            }
        }
        // The fork request, with every fork check.
        let args = fork::ForkArgs {
            source: old.clone(),
            new: new.clone(),
            pitr: None,
            backup: None,
            source_project: None,
            service_type: None,
            plan: o.plan.clone(),
            cloud: o.cloud.clone(),
            disk_space_gib: None,
            config_option: o.config.clone(),
            copy_integrations: false,
            copy_tags: true,
            enable_termination_protection: svc.termination_protection,
            if_not_exists: false,
            dry_run: false,
            no_wait: false,
            timeout: None,
        };
        let spec = fork::ForkSpec { args, wait: true };
        let body = fork::preflight(ctx, &spec, &self.project, &self.project, &svc, &mut Target::Latest).await?;
        let integrations = client.service_integrations(&self.project, old).await?;
        let conn = Conn::of(&svc);
        let mut snapshot = Snapshot {
            service_type: svc.service_type.clone(),
            plan: svc.plan.clone(),
            cloud: svc.cloud_name.clone(),
            termination_protection: svc.termination_protection,
            conn: conn.clone().map(|c| Conn { uri: avn_api::redact::mask_uri(&c.uri), ..c }),
            databases: names(&svc.databases, |d| d.clone()),
            users: names(&svc.users, |u| u.username.clone()),
            pools: names(&svc.connection_pools, |p| p.pool_name.clone()),
            alterable: vec![],
            integrations,
        };
        if Self::is_pg(&snapshot) && !o.writes_stopped {
            let uri = conn
                .as_ref()
                .map(|c| c.uri.clone())
                .ok_or_else(|| CliError::usage(format!("'{old}' has no service URI to stop writes with")))?;
            let dbs = steps::databases(&uri).await.map_err(|e| {
                CliError::usage(format!("cannot connect to '{old}' to stop writes: {e}")).hint(
                    "stop writes yourself and pass --writes-stopped, or run from a machine that can reach the database",
                )
            })?;
            let refused: Vec<&str> = dbs.iter().filter(|(_, ok)| !ok).map(|(d, _)| d.as_str()).collect();
            if !refused.is_empty() {
                return Err(CliError::usage(format!(
                    "the admin user cannot make these databases read-only: {}",
                    refused.join(", ")
                ))
                .hint("stop writes to them yourself and pass --writes-stopped")
                .into());
            }
            snapshot.alterable = dbs.into_iter().map(|(d, _)| d).collect();
        } else if !Self::is_pg(&snapshot) && !o.writes_stopped {
            if !crate::prompt::can_prompt() {
                return Err(CliError::usage(format!(
                    "avn cannot stop writes on a {} service itself",
                    snapshot.service_type
                ))
                .hint("stop writes to it, then pass --writes-stopped")
                .into());
            }
            let answer =
                crate::prompt::read_line(&format!("Have all writes to '{old}' been stopped? Type yes to continue"))?;
            if answer != "yes" {
                return Err(CliError::usage("writes were not confirmed as stopped; nothing was changed").into());
            }
        }
        Ok((snapshot, body))
    }

    async fn drive(&self, j: &mut Journal) -> anyhow::Result<()> {
        let snapshot: Snapshot = serde_json::from_value(j.old_snapshot.clone())?;
        while let Some(step) = j.next_step().map(str::to_string) {
            let n = STEPS.iter().position(|s| *s == step).unwrap_or(0) + 1;
            if let Err(e) = boundary(&step) {
                return Err(self.failed(j, &step, e.to_string()).await.into());
            }
            j.start(&step)?;
            let result = match step.as_str() {
                "preflight" => Ok(Some("every check passed".to_string())),
                "stop_writes" => self.stop_writes(j, &snapshot).await,
                "fork" => self.fork(j).await,
                "open_writes" => self.open_writes(j, &snapshot).await,
                "verify" => self.verify(&snapshot).await,
                "repoint" => self.repoint(&snapshot).await,
                "delete" => self.delete(j, &snapshot).await,
                _ => unreachable!("known steps"),
            };
            match result {
                Ok(detail) => {
                    let skipped = detail.as_deref().is_some_and(|d| d.starts_with("skipped"));
                    let status = if skipped { StepStatus::Skipped } else { StepStatus::Done };
                    j.finish(&step, status, detail.clone())?;
                    let shown = detail.as_deref().unwrap_or("");
                    let shown = shown.strip_prefix("skipped: ").unwrap_or(shown);
                    self.line(n, &step, if skipped { "skipped" } else { "done" }, j.step(&step).seconds, shown);
                }
                Err(e) => {
                    let (status, _) = crate::error::classify(&e);
                    if status == crate::error::ExitStatus::Timeout {
                        j.finish(&step, StepStatus::Started, Some(format!("{e:#}")))?;
                        return Err(e);
                    }
                    return Err(self.failed(j, &step, format!("{e:#}")).await.into());
                }
            }
        }
        j.state = State::Done;
        j.save()?;
        self.finish(j).await
    }

    /// A step failed: before repointing, undo what this rename did; after, keep it resumable.
    async fn failed(&self, j: &mut Journal, step: &str, msg: String) -> CliError {
        let _ = j.finish(step, StepStatus::Failed, Some(msg.clone()));
        let idx = STEPS.iter().position(|s| *s == step).unwrap_or(0);
        let repoint = STEPS.iter().position(|s| *s == "repoint").unwrap_or(5);
        if idx >= repoint {
            return CliError::failed(format!("the rename stopped at step {}: {msg}", step_label(step)))
                .hint(format!("nothing was rolled back: writes to '{}' stay stopped and '{}' is ready; fix the cause, then `avn service rename {} {} --resume`", self.old, self.new, self.old, self.new));
        }
        let (undone, left) = self.rollback(j).await;
        let mut e = CliError::failed(format!("the rename failed at step {}: {msg}", step_label(step)));
        for u in undone {
            e = e.hint(format!("undone: {u}"));
        }
        for l in left {
            e = e.hint(format!("left as is: {l}"));
        }
        e
    }

    async fn rollback(&self, j: &mut Journal) -> (Vec<String>, Vec<String>) {
        let (mut undone, mut left) = (vec![], vec![]);
        let client = match self.ctx.client() {
            Ok(c) => c,
            Err(e) => return (undone, vec![format!("cannot reach the API to roll back: {e}")]),
        };
        if j.created_new {
            match client.service_get(&self.project, &self.new).await {
                Ok(s) => {
                    if s.termination_protection {
                        let body = avn_api::ServiceUpdate {
                            plan: s.plan.clone(),
                            termination_protection: Some(false),
                            ..Default::default()
                        };
                        let _ = client.service_update(&self.project, &self.new, &body).await;
                    }
                    match client.service_delete(&self.project, &self.new).await {
                        Ok(()) => undone.push(format!("deleted '{}', which this rename had created", self.new)),
                        Err(e) => left.push(format!("'{}' could not be deleted: {e}", self.new)),
                    }
                }
                Err(e) if e.is_not_found() => {}
                Err(e) => left.push(format!("'{}' could not be checked: {e}", self.new)),
            }
        }
        if !j.read_only_databases.is_empty() {
            match self.old_conn().await.ok() {
                Some(c) => match steps::open_writes(&c.uri, &j.read_only_databases).await {
                    Ok(()) => undone.push(format!("writes re-enabled on '{}' ({})", self.old, j.read_only_databases.join(", "))),
                    Err(e) => left.push(format!("'{}' is still read-only ({e}); rerun with --resume after fixing, or reset default_transaction_read_only", self.old)),
                },
                None => left.push(format!("'{}' may still be read-only", self.old)),
            }
        }
        for s in j.steps.iter_mut() {
            if s.status == StepStatus::Done && s.name != "preflight" {
                s.status = StepStatus::Undone;
            }
        }
        j.state = State::RolledBack;
        let _ = j.save();
        (undone, left)
    }

    async fn stop_writes(&self, j: &mut Journal, s: &Snapshot) -> anyhow::Result<Option<String>> {
        if self.opts.writes_stopped {
            return Ok(Some("skipped: the operator stopped writes (--writes-stopped)".into()));
        }
        let uri = self.old_conn().await?.uri;
        // Record the intent first: a crash half-way still gets rolled back.
        j.read_only_databases = s.alterable.clone();
        j.save()?;
        let ended = steps::stop_writes(&uri, &s.alterable).await.map_err(anyhow::Error::msg)?;
        Ok(Some(format!(
            "{} read-only, {ended} other session(s) ended, a write in a fresh session fails",
            s.alterable.join(", ")
        )))
    }

    async fn fork(&self, j: &mut Journal) -> anyhow::Result<Option<String>> {
        let client = self.ctx.client()?;
        let body: avn_api::ServiceCreate = serde_json::from_value(j.fork_request.clone())?;
        match client.service_get(&self.project, &self.new).await {
            Ok(existing) if j.created_new && existing.forked_from() == Some(self.old.as_str()) => {
                self.ctx.printer.info(&format!("'{}' already exists as this rename's fork; waiting for it", self.new));
            }
            Ok(existing) => {
                return Err(anyhow::anyhow!(
                    "'{}' exists but was not created by this rename ({} on {})",
                    self.new,
                    existing.service_type,
                    existing.plan
                ))
            }
            Err(e) if e.is_not_found() => {
                j.created_new = true;
                j.save()?;
                crate::commands::service::create_or_lookup(self.ctx, &self.project, &body).await?;
            }
            Err(e) => return Err(e.into()),
        }
        let timeout = self
            .opts
            .timeout_seconds
            .map(Duration::from_secs_f64)
            .unwrap_or(crate::commands::service::wait::DEFAULT_TIMEOUT);
        crate::commands::service::wait::wait_running(self.ctx, &self.project, std::slice::from_ref(&self.new), timeout)
            .await
            .map_err(|e| {
                if crate::error::classify(&e).0 == crate::error::ExitStatus::Timeout {
                    CliError::timeout(format!("timed out waiting for the fork '{}'", self.new))
                        .hint(format!(
                            "the fork goes on; continue the rename with `avn service rename {} {} --resume`",
                            self.old, self.new
                        ))
                        .into()
                } else {
                    e
                }
            })?;
        Ok(Some(format!("'{}' forked from '{}' at its latest transaction and ready", self.new, self.old)))
    }

    /// OLD's live connection details (the journal keeps no password).
    async fn old_conn(&self) -> anyhow::Result<Conn> {
        let s = self.ctx.client()?.service_get(&self.project, &self.old).await?;
        Conn::of(&s).ok_or_else(|| anyhow::anyhow!("'{}' has no service URI", self.old))
    }

    async fn new_conn(&self) -> anyhow::Result<Conn> {
        let s = self.ctx.client()?.service_get(&self.project, &self.new).await?;
        Conn::of(&s).ok_or_else(|| anyhow::anyhow!("'{}' has no service URI", self.new))
    }

    async fn open_writes(&self, j: &Journal, s: &Snapshot) -> anyhow::Result<Option<String>> {
        if !Self::is_pg(s) || j.read_only_databases.is_empty() {
            return Ok(Some("skipped: no read-only defaults to clear".into()));
        }
        let conn = self.new_conn().await?;
        steps::open_writes(&conn.uri, &j.read_only_databases).await.map_err(anyhow::Error::msg)?;
        Ok(Some(format!("read-only defaults cleared on '{}', a write succeeds", self.new)))
    }

    async fn verify(&self, s: &Snapshot) -> anyhow::Result<Option<String>> {
        let fork = self.ctx.client()?.service_get(&self.project, &self.new).await?;
        let mut problems = vec![];
        let cmp = |what: &str, a: &[String], b: Vec<String>, problems: &mut Vec<String>| {
            let (a, b): (BTreeSet<&String>, BTreeSet<&String>) = (a.iter().collect(), b.iter().collect());
            if a != b {
                problems.push(format!(
                    "{what} differ: '{}' has [{}], '{}' has [{}]",
                    self.old,
                    a.into_iter().cloned().collect::<Vec<_>>().join(", "),
                    self.new,
                    b.into_iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        };
        cmp("databases", &s.databases, names(&fork.databases, |d| d.clone()), &mut problems);
        cmp("users", &s.users, names(&fork.users, |u| u.username.clone()), &mut problems);
        cmp("connection pools", &s.pools, names(&fork.connection_pools, |p| p.pool_name.clone()), &mut problems);
        let mut tables = 0;
        if Self::is_pg(s) {
            let old_uri = self.old_conn().await?.uri;
            let new_uri = Conn::of(&fork).map(|c| c.uri).ok_or_else(|| anyhow::anyhow!("no URI for '{}'", self.new))?;
            let dbs: Vec<String> =
                s.databases.iter().filter(|d| s.alterable.is_empty() || s.alterable.contains(d)).cloned().collect();
            let a = steps::row_counts(&old_uri, &dbs).await.map_err(anyhow::Error::msg)?;
            let b = steps::row_counts(&new_uri, &dbs).await.map_err(anyhow::Error::msg)?;
            tables = a.len();
            for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
                let (x, y) = (a.get(k), b.get(k));
                if x != y {
                    let show = |v: Option<&i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "missing".into());
                    problems.push(format!("{k}: {} rows on '{}', {} on '{}'", show(x), self.old, show(y), self.new));
                }
            }
        }
        if !problems.is_empty() {
            return Err(anyhow::anyhow!("verification failed: {}", problems.join("; ")));
        }
        Ok(Some(format!(
            "same databases, users and connection pools{}",
            if tables > 0 { format!("; row counts equal in {tables} table(s)") } else { String::new() }
        )))
    }

    async fn repoint(&self, s: &Snapshot) -> anyhow::Result<Option<String>> {
        let client = self.ctx.client()?;
        let mut done = vec![];
        let on_new = client.service_integrations(&self.project, &self.new).await?;
        for i in &s.integrations {
            if on_new.iter().any(|n| same_integration(i, n, &self.old, &self.new)) {
                continue;
            }
            let body =
                crate::commands::service::integration_moved(i, &self.old, &self.project, &self.new, &self.project);
            client
                .integration_create(&self.project, &body)
                .await
                .map_err(|e| anyhow::anyhow!("cannot recreate integration {}: {e}", i.integration_type))?;
            done.push(format!("integration {}", i.integration_type));
        }
        let needs_uris = !self.opts.repoint_env.is_empty() || self.opts.repoint_exec.is_some();
        let new = if needs_uris { Some(self.new_conn().await?) } else { None };
        if let (Some(new), false) = (&new, self.opts.repoint_env.is_empty()) {
            let old = &self.old_conn().await?;
            for spec in &self.opts.repoint_env {
                let (path, var) = parse_env_spec(spec);
                if steps::repoint_env(&path, var.as_deref(), old, new).map_err(anyhow::Error::msg)? {
                    done.push(format!("{} rewritten", path.display()));
                }
            }
        }
        if let (Some(cmd), Some(new)) = (&self.opts.repoint_exec, &new) {
            steps::repoint_exec(cmd, &self.old, &self.new, new).await.map_err(anyhow::Error::msg)?;
            done.push("--repoint-exec succeeded".into());
        }
        Ok(Some(if done.is_empty() { "nothing to repoint".into() } else { done.join(", ") }))
    }

    async fn delete(&self, j: &mut Journal, s: &Snapshot) -> anyhow::Result<Option<String>> {
        if self.opts.keep_source {
            return Ok(Some(format!(
                "skipped: '{}' is kept, read-only; finish with `avn service terminate {}`",
                self.old, self.old
            )));
        }
        let client = self.ctx.client()?;
        let current = match client.service_get(&self.project, &self.old).await {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return Ok(Some(format!("'{}' was already deleted", self.old))),
            Err(e) => return Err(e.into()),
        };
        if !self.opts.yes {
            let typed = crate::prompt::read_line(&format!(
                "Delete '{}' and all its data? '{}' replaces it. Type '{}' to confirm",
                self.old, self.new, self.old
            ))?;
            if typed != self.old {
                return Err(anyhow::anyhow!("not confirmed: '{}' was kept", self.old));
            }
        }
        if current.termination_protection && (self.opts.remove_termination_protection || s.termination_protection) {
            let body = avn_api::ServiceUpdate {
                plan: current.plan.clone(),
                termination_protection: Some(false),
                ..Default::default()
            };
            client.service_update(&self.project, &self.old, &body).await?;
            j.removed_termination_protection = true;
            j.save()?;
        }
        client.service_delete(&self.project, &self.old).await?;
        Ok(Some(format!("'{}' deleted", self.old)))
    }

    async fn finish(&self, j: &Journal) -> anyhow::Result<()> {
        let fork = self.ctx.client()?.service_get(&self.project, &self.new).await?;
        if self.ctx.printer.json_mode() {
            let steps: Vec<Value> = j
                .steps
                .iter()
                .map(|s| json!({"step": s.name, "outcome": s.status, "seconds": s.seconds, "detail": s.detail}))
                .collect();
            return Ok(self.ctx.printer.print_json(json!({
                "rename": {"project": self.project, "old": self.old, "new": self.new, "state": "done",
                    "kept_source": self.opts.keep_source, "journal": j.path, "steps": steps},
                "service": out_json::value(&fork),
            }))?);
        }
        self.ctx.printer.info(&format!("Renamed '{}' to '{}'", self.old, self.new));
        if self.opts.keep_source {
            self.ctx.printer.hint(&format!(
                "'{}' is kept read-only; delete it when ready with `avn service terminate {}`",
                self.old, self.old
            ));
        }
        crate::commands::service::print_service_line(self.ctx, &fork)
    }
}
