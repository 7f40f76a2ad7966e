//! Driving the steps: journal each one, roll back a failure before repointing, report the end.

use serde_json::json;
use serde_json::Value;

use super::fence;
use super::journal::Journal;
use super::journal::State;
use super::journal::StepStatus;
use super::journal::STEPS;
use super::postgres;
use super::step_label;
use super::Outcome;
use super::Rename;
use super::Snapshot;
use crate::error::CliError;
use crate::output::json as out_json;

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

impl Rename<'_, '_> {
    pub(super) async fn drive(&self, j: &mut Journal) -> anyhow::Result<()> {
        let snapshot: Snapshot = serde_json::from_value(j.old_snapshot.clone())?;
        self.same_services(j).await?;
        while let Some(step) = j.next_step().map(str::to_string) {
            let n = STEPS.iter().position(|s| *s == step).unwrap_or(0) + 1;
            if let Err(e) = boundary(&step) {
                return Err(self.failed(j, &step, e.to_string()).await.into());
            }
            j.start(&step)?;
            let result = match step.as_str() {
                "preflight" => Ok(Outcome::Done("every check passed".to_string())),
                "stop_writes" => self.stop_writes(j, &snapshot).await,
                "fork" => self.fork(j).await,
                "open_writes" => self.open_writes(j, &snapshot).await,
                "verify" => self.verify(j, &snapshot).await,
                "repoint" => self.repoint(&snapshot).await,
                "delete" => self.delete(j, &snapshot).await,
                _ => unreachable!("known steps"),
            };
            match result {
                Ok(Outcome::Done(detail)) => {
                    j.finish(&step, StepStatus::Done, Some(detail.clone()))?;
                    self.line(n, &step, "done", j.step(&step).seconds, &detail);
                }
                Ok(Outcome::Skipped(why)) => {
                    j.finish(&step, StepStatus::Skipped, Some(format!("skipped: {why}")))?;
                    self.line(n, &step, "skipped", j.step(&step).seconds, &why);
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
    pub(super) async fn failed(&self, j: &mut Journal, step: &str, msg: String) -> CliError {
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

    pub(super) async fn rollback(&self, j: &mut Journal) -> (Vec<String>, Vec<String>) {
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
        if j.fence.is_some() {
            match self.old_pg().await.ok() {
                Some(c) => match fence::remove(&c).await {
                    Ok(()) => undone.push(format!("fence table removed from '{}'", self.old)),
                    Err(e) => left.push(format!(
                        "the fence table {} is still on '{}' ({:#})",
                        fence::TABLE,
                        self.old,
                        anyhow::Error::new(e)
                    )),
                },
                None => left.push(format!("the fence table {} may still be on '{}'", fence::TABLE, self.old)),
            }
        }
        if !j.read_only_databases.is_empty() {
            match self.old_pg().await.ok() {
                Some(c) => match postgres::open_writes(&c, &j.read_only_databases).await.map_err(anyhow::Error::new) {
                    Ok(()) => undone.push(format!("writes re-enabled on '{}' ({})", self.old, j.read_only_databases.join(", "))),
                    Err(e) => left.push(format!("'{}' is still read-only ({e:#}); rerun with --resume after fixing, or reset default_transaction_read_only", self.old)),
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

    pub(super) async fn finish(&self, j: &Journal) -> anyhow::Result<()> {
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
        crate::output::service::print_service_line(self.ctx.printer, &fork)
    }
}
