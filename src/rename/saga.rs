//! Driving the steps: journal each one, roll back a failure before repointing, report the end.

use serde_json::Value;

use super::fence;
use super::journal::Journal;
use super::journal::State;
use super::journal::StepName;
use super::journal::StepStatus;
use super::Outcome;
use super::Rename;
use super::Snapshot;
use crate::error::CliError;
use crate::output::json as out_json;

/// Stop here if a test asked to (`FAILPOINTS=rename-before-<step>=return(crash)` aborts like
/// `kill -9`; `return` injects a failure; `return(hold:PATH)` waits here until the test creates
/// PATH, so that it acts while the rename is paused, however long that takes).
fn boundary(step: &str) -> anyhow::Result<()> {
    let _name = format!("rename-before-{step}");
    fail::fail_point!(&_name, |arg: Option<String>| {
        match arg.as_deref() {
            Some("crash") => std::process::abort(),
            Some(hold) if hold.starts_with("hold:") => {
                let release = std::path::PathBuf::from(&hold["hold:".len()..]);
                let every = std::time::Duration::from_millis(20);
                let released =
                    avn_util::wait::until_blocking("the test to release the pause", HOLD_AT_MOST, every, || {
                        release.exists().then_some(())
                    });
                released.map_err(anyhow::Error::new)
            }
            _ => Err(anyhow::anyhow!("injected failure before step {step}")),
        }
    });
    Ok(())
}

/// The longest a test may hold a rename at a step.
#[cfg(feature = "failpoints")]
const HOLD_AT_MOST: std::time::Duration = std::time::Duration::from_secs(600);

/// The journal's record of OLD, or an empty one (a journal that never got past preflight).
pub(super) fn snapshot_of(j: &Journal) -> Snapshot {
    j.old_snapshot.clone().unwrap_or(Snapshot {
        service_type: String::new(),
        plan: String::new(),
        cloud: String::new(),
        termination_protection: false,
        conn: None,
        databases: vec![],
        users: vec![],
        pools: vec![],
        alterable: vec![],
        integrations: vec![],
        created: String::new(),
        expires_at: None,
        unlogged: vec![],
        local_writes: false,
    })
}

impl Rename<'_, '_> {
    pub(super) async fn drive(&self, j: &mut Journal) -> anyhow::Result<()> {
        let snapshot: Snapshot = j.old_snapshot.clone().ok_or_else(|| {
            CliError::failed(format!("{} has no record of OLD (the rename never got past preflight)", j.path.display()))
                .hint(format!("undo it with `{}`", self.cmd("--abort")))
        })?;
        self.same_services(j).await?;
        self.hold_lease(j).await?;
        while let Some(step) = j.next_step() {
            if let Err(e) = boundary(step.as_str()) {
                return Err(self.failed(j, step, e).await.into());
            }
            j.start(step)?;
            let result = match step {
                StepName::Preflight => Ok(Outcome::Done("every check passed".to_string())),
                StepName::StopWrites => self.stop_writes(j, &snapshot).await,
                StepName::Fork => self.fork(j).await,
                StepName::OpenWrites => self.open_writes(j, &snapshot).await,
                StepName::Verify => self.verify(j, &snapshot).await,
                StepName::Repoint => self.repoint(&snapshot).await,
                StepName::Delete => self.delete(j, &snapshot).await,
            };
            match result {
                Ok(Outcome::Done(detail)) => {
                    j.finish(step, StepStatus::Done, Some(detail.clone()))?;
                    self.line(step, "done", j.step(step).seconds, &detail);
                }
                Ok(Outcome::Skipped(why)) => {
                    j.finish(step, StepStatus::Skipped, Some(format!("skipped: {why}")))?;
                    self.line(step, "skipped", j.step(step).seconds, &why);
                }
                Err(e) => {
                    let (status, _) = crate::error::classify(&e);
                    if status == crate::error::ExitStatus::Timeout {
                        j.finish(step, StepStatus::Started, Some(format!("{e:#}")))?;
                        return Err(e);
                    }
                    return Err(self.failed(j, step, e).await.into());
                }
            }
        }
        // Released before the journal says done: a release that fails leaves the rename in
        // progress, with nothing left but this, for `--resume`.
        self.release(j).await?;
        j.state = State::Done;
        j.save()?;
        self.finish(j).await
    }

    /// This rename's lease on OLD, held before any step runs. Refused (exit 2, nothing changed)
    /// when another rename holds it; taken again when it was removed behind this rename's back
    /// (a journal from before leases, or `terminate -ff` on a service that still exists).
    async fn hold_lease(&self, j: &mut Journal) -> anyhow::Result<()> {
        let id = match &j.lease {
            Some(id) => id.clone(),
            None => {
                let id = fence::new_id()?;
                j.lease = Some(id.clone());
                j.save()?;
                id
            }
        };
        match crate::lease::of(self.ctx, &self.project, &self.old).await? {
            Some(l) if l.id == id => Ok(()),
            Some(l) => Err(crate::lease::refused("go on with the rename of", &self.project, &self.old, &l, None)
                .hint(format!(
                    "this rename no longer owns '{}'; `{}` undoes what it did that is still its own",
                    self.old,
                    self.cmd("--abort")
                ))
                .into()),
            None => {
                let exists = match self.ctx.client()?.service_get(&self.project, &self.old).await {
                    Ok(_) => true,
                    Err(e) if e.is_not_found() => false,
                    Err(e) => return Err(e.into()),
                };
                if exists {
                    if j.step(StepName::StopWrites).status != StepStatus::Pending {
                        self.ctx.printer.warn(&format!(
                            "the rename's lease on '{}' was removed since the rename started; taking it again",
                            self.old
                        ));
                    }
                    crate::lease::take(self.ctx, &self.project, &self.old, &self.new, &id).await?;
                }
                Ok(())
            }
        }
    }

    /// The rename has finished: NEW is released (and given OLD's expiry), a kept OLD is released
    /// and marked as renamed, so it stays read-only on purpose and its forks are opened.
    async fn release(&self, j: &Journal) -> anyhow::Result<()> {
        let Some(id) = &j.lease else { return Ok(()) };
        // Never done without NEW: OLD would be left marked as renamed to nothing.
        if let Err(e) = self.ctx.client()?.service_get(&self.project, &self.new).await {
            if e.is_not_found() {
                return Err(CliError::failed(format!("'{}' is gone: the rename cannot finish", self.new))
                    .hint(format!("`{}` opens '{}' for writes again and releases it", self.cmd("--abort"), self.old))
                    .into());
            }
            return Err(e.into());
        }
        let failed = |name: &str, e: anyhow::Error| -> anyhow::Error {
            CliError::failed(format!(
                "every step is done, but the rename's lease on '{name}' could not be removed: {e:#}"
            ))
            .hint(format!("`{}` removes it once the API answers", self.cmd("--resume")))
            .into()
        };
        // OLD's expiry as it is at the end (read just before OLD was deleted, or now when it is
        // kept), not as it was at the start: it may have been changed or removed meanwhile.
        let expiry = match &j.final_expiry {
            Some(e) => e.clone(),
            None => match self.ctx.client()?.service_tags(&self.project, &self.old).await {
                Ok(tags) => tags.get(crate::expiry::TAG).cloned(),
                // Gone without this rename reading it: NEW does not expire (the safe side).
                Err(e) if e.is_not_found() => None,
                Err(e) => return Err(failed(&self.new, e.into())),
            },
        };
        // An expiry that passed during the rename is not carried over: NEW would be terminated
        // as soon as it is released, with OLD already gone.
        let expiry = match expiry {
            Some(v) if avn_api::time::parse(&v).is_some_and(|t| t <= jiff::Timestamp::now()) => {
                self.ctx.printer.warn(&format!(
                    "'{}' expired during the rename ({v}); '{}' does not expire (give it one with `avn service update {} --expires-in ...`)",
                    self.old, self.new, self.new
                ));
                None
            }
            e => e,
        };
        let also: Vec<_> = expiry.map(|v| (crate::expiry::TAG, Some(v))).into_iter().collect();
        crate::lease::release(self.ctx, &self.project, &self.new, id, &also).await.map_err(|e| failed(&self.new, e))?;
        if self.opts.keep_source {
            let mark = [(avn_api::lease::RENAMED_TO_TAG, Some(self.new.clone()))];
            crate::lease::release(self.ctx, &self.project, &self.old, id, &mark)
                .await
                .map_err(|e| failed(&self.old, e))?;
        }
        Ok(())
    }

    /// OLD and NEW, where they exist, are the incarnations this journal recorded (same creation
    /// time); otherwise nothing is done to them.
    pub(super) async fn same_services(&self, j: &Journal) -> anyhow::Result<()> {
        let client = self.ctx.client()?;
        for (name, recorded) in [(&self.old, &j.old_created), (&self.new, &j.new_created)] {
            let Some(recorded) = recorded else { continue };
            match client.service_get(&self.project, name).await {
                Ok(s) if &s.create_time != recorded => {
                    return Err(CliError::usage(format!(
                        "'{}/{name}' is not the service this rename worked on: it was created at {}, the journal's at {recorded}; nothing was changed",
                        self.project, s.create_time
                    ))
                    .hint(format!("the journal is {}; remove it if this rename is abandoned", j.path.display()))
                    .into())
                }
                Ok(_) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// A step failed: before repointing, undo what this rename did; after, keep it resumable.
    pub(super) async fn failed(&self, j: &mut Journal, step: StepName, e: anyhow::Error) -> CliError {
        // A step's own hints say best what to do next; they are kept.
        let (msg, own_hints) = match e.downcast_ref::<CliError>() {
            Some(c) => (c.message.clone(), c.hints.clone()),
            None => (format!("{e:#}"), vec![]),
        };
        let _ = j.finish(step, StepStatus::Failed, Some(msg.clone()));
        if step >= StepName::Repoint {
            let mut err = CliError::failed(format!("the rename stopped at step {}: {msg}", step.label()));
            if own_hints.is_empty() {
                err = err.hint(format!("nothing was rolled back; fix the cause, then `{}`", self.cmd("--resume")));
            }
            for h in own_hints {
                err = err.hint(h);
            }
            return err.hint(format!(
                "`{}` is refused from here on while '{}' exists: clients may already use it",
                self.cmd("--abort"),
                self.new
            ));
        }
        let r = self.rollback(j).await;
        let mut e = CliError::failed(format!("the rename failed at step {}: {msg}", step.label()));
        for u in r.undone {
            e = e.hint(format!("undone: {u}"));
        }
        for k in r.kept {
            e = e.hint(format!("kept: {k}"));
        }
        let any_left = !r.left.is_empty();
        for l in r.left {
            e = e.hint(format!("left as is: {l}"));
        }
        if any_left {
            e = e.hint(format!(
                "once the cause is fixed, `{}` tries the rest of the rollback again, or `{}` goes on",
                self.cmd("--abort"),
                self.cmd("--resume")
            ));
        }
        e
    }

    pub(super) async fn finish(&self, j: &Journal) -> anyhow::Result<()> {
        let fork = self.ctx.client()?.service_get(&self.project, &self.new).await?;
        if self.ctx.printer.json_mode() {
            let steps = j
                .steps
                .iter()
                .map(|s| StepView { step: s.name, outcome: s.status, seconds: s.seconds, detail: s.detail.as_deref() })
                .collect();
            let rename = RenameView {
                project: &self.project,
                old: &self.old,
                new: &self.new,
                state: "done",
                kept_source: self.opts.keep_source,
                journal: &j.path,
                steps,
            };
            let whole = DoneView { rename, service: out_json::value(&fork) };
            return Ok(self.ctx.printer.print_json(serde_json::to_value(whole)?)?);
        }
        self.ctx.printer.info(&format!("Renamed '{}' to '{}'", self.old, self.new));
        if self.opts.keep_source {
            self.ctx.printer.hint(&format!(
                "'{}' is kept read-only; delete it when ready with `avn service terminate {}`",
                self.old, self.old
            ));
        }
        crate::output::service::print_service_line(self.ctx.printer, &fork)
    }
}

/// `--json` of a finished rename: the rename, and the service under its new name as the API
/// returns it.
#[derive(serde::Serialize)]
struct DoneView<'a> {
    rename: RenameView<'a>,
    service: Value,
}

#[derive(serde::Serialize)]
struct RenameView<'a> {
    project: &'a str,
    old: &'a str,
    new: &'a str,
    state: &'static str,
    kept_source: bool,
    journal: &'a std::path::Path,
    steps: Vec<StepView<'a>>,
}

/// One step of the journal, as `--json` shows it.
#[derive(serde::Serialize)]
struct StepView<'a> {
    step: super::journal::StepName,
    outcome: super::journal::StepStatus,
    seconds: Option<f64>,
    detail: Option<&'a str>,
}
