//! The last step of a rename: delete OLD, only while it is provably still only this rename's and
//! NEW holds everything it held (or, with `--keep-source`, keep it read-only beside NEW).

use super::fence;
use super::journal::Journal;
use super::postgres;
use super::Outcome;
use super::Rename;
use super::Snapshot;
use crate::error::CliError;

impl Rename<'_, '_> {
    pub(super) async fn delete(&self, j: &mut Journal, s: &Snapshot) -> anyhow::Result<Outcome> {
        if self.opts.keep_source {
            if let (Some(_), true) = (&j.fence, Self::is_pg(s)) {
                fence::remove(&self.old_pg().await?).await?;
            }
            if let (Some(_), true) = (&j.fence, s.local_writes) {
                // Kept read-only; only the fence goes.
                let change = avn_api::writes::WritesChange {
                    stopped: true,
                    fence: None,
                    remove_fence: true,
                    lease: j.lease.clone(),
                };
                self.ctx.client()?.local_set_writes(&self.project, &self.old, &change).await?;
            }
            return Ok(Outcome::Skipped(format!(
                "'{}' is kept, read-only; finish with `avn service terminate {}`",
                self.old, self.old
            )));
        }
        let client = self.ctx.client()?;
        let current = match client.service_get(&self.project, &self.old).await {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return Ok(Outcome::Done(format!("'{}' was already deleted", self.old))),
            Err(e) => return Err(e.into()),
        };
        if let Some(recorded) = j.old_created.as_ref().filter(|t| *t != &current.create_time) {
            return Err(CliError::usage(format!(
                "'{}' is not the service this rename started with (created at {}, the journal's at {recorded}); it was kept",
                self.old, current.create_time
            ))
            .into());
        }
        self.still_only_ours(j, s, &current).await?;
        if !self.opts.yes {
            let asked = std::time::Instant::now();
            let typed = crate::prompt::read_line(&format!(
                "Delete '{}' and all its data? '{}' replaces it. Type '{}' to confirm",
                self.old, self.new, self.old
            ));
            // The step's time is the work, not the person's typing.
            j.waited(super::journal::StepName::Delete, asked.elapsed());
            let typed = typed?;
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
        // Looked at again after the prompt, then released and deleted (the control plane refuses
        // to delete a leased service); that one incarnation only, never retried blindly.
        let last = client.service_get(&self.project, &self.old).await?;
        self.still_only_ours(j, s, &last).await?;
        // NEW gets OLD's expiry as it is now.
        j.final_expiry = Some(crate::expiry::of(last.tags.as_ref()).map(crate::expiry::format));
        j.save()?;
        let id = j.lease.clone().unwrap_or_default();
        crate::lease::release(self.ctx, &self.project, &self.old, &id, &[]).await?;
        let outcome = client.service_delete_incarnation(&self.project, &self.old, &current.create_time).await?;
        self.ctx.services_changed(&self.project);
        match outcome {
            avn_client::DeleteOutcome::Deleted | avn_client::DeleteOutcome::Gone => {
                Ok(Outcome::Done(format!("'{}' deleted", self.old)))
            }
            avn_client::DeleteOutcome::Replaced(t) => Ok(Outcome::Done(format!(
                "'{}' was already deleted (the service of that name now was created {t}, and is kept)",
                self.old
            ))),
        }
    }

    /// Before OLD is deleted: NEW is still this rename's verified copy (there, the same
    /// incarnation, leased by this rename, RUNNING), this rename still holds OLD's lease, and OLD
    /// took no write since it was verified (its fingerprint) and is still read-only where this
    /// rename made it so. Otherwise deleting OLD could lose rows, or the only copy: it is kept,
    /// and the step fails.
    async fn still_only_ours(&self, j: &Journal, s: &Snapshot, current: &avn_api::Service) -> anyhow::Result<()> {
        let id = j.lease.clone().unwrap_or_default();
        let keep = |why: String| -> anyhow::Error {
            CliError::failed(format!("'{}' was kept: {why}", self.old))
                .hint(format!(
                    "check both services; to finish without deleting '{}', `{} --keep-source`, then terminate it yourself when nothing in it is missing from '{}'",
                    self.old,
                    self.cmd("--resume"),
                    self.new
                ))
                .into()
        };
        match self.ctx.client()?.service_get(&self.project, &self.new).await {
            Ok(n) if j.new_created.as_ref().is_some_and(|t| t != &n.create_time) => {
                return Err(keep(format!(
                    "'{}' is not the copy this rename made and verified (it was created {})",
                    self.new, n.create_time
                )))
            }
            Ok(n) if j.new_leased && crate::lease::of_service(&n).is_none_or(|l| l.id != id) => {
                return Err(keep(format!("'{}' no longer carries this rename's lease", self.new)))
            }
            Ok(n) if n.state != avn_api::ServiceState::Running => {
                return Err(keep(format!("'{}' is {}, not RUNNING", self.new, n.state)))
            }
            Ok(_) => {}
            Err(e) if e.is_not_found() => {
                return Err(CliError::failed(format!(
                    "'{}' was kept: '{}' is gone, and '{}' holds the only copy of the data",
                    self.old, self.new, self.old
                ))
                .hint(format!(
                    "`{}` opens '{}' for writes again and releases it (with '{}' gone, that is allowed)",
                    self.cmd("--abort"),
                    self.old,
                    self.new
                ))
                .into())
            }
            Err(e) => return Err(keep(format!("'{}' cannot be checked ({e})", self.new))),
        }
        let fingerprinted = Self::is_pg(s) || s.service_type == "mysql" || s.service_type == "valkey";
        if let (true, Some(before)) = (fingerprinted, &j.verified_fingerprint) {
            let now = match s.service_type.as_str() {
                "mysql" => super::mysql::fingerprint(&self.old_my().await?).await?,
                // What moves only when a write command runs (keys expiring meanwhile do not).
                "valkey" => {
                    let now = super::valkey::write_calls(self.ctx.client()?, &self.project, &self.old).await?;
                    let mut f = before.clone();
                    f.insert("write_calls".into(), now);
                    f
                }
                _ => postgres::fingerprint(&self.old_pg().await?).await?,
            };
            let changes = postgres::fingerprint_changes(before, &now);
            if !changes.is_empty() {
                return Err(keep(format!(
                    "it changed after it was verified, so it may hold rows '{}' lacks: {}",
                    self.new,
                    changes.join("; ")
                )));
            }
        }
        match crate::lease::of_service(current) {
            Some(l) if l.id == id => {}
            Some(l) => {
                return Err(CliError::failed(format!(
                    "'{}' is now under {}, not this rename's lease; it was kept",
                    self.old,
                    l.describe()
                ))
                .into())
            }
            None => {
                return Err(CliError::failed(format!(
                    "this rename's lease on '{}' was removed; '{}' was kept, as it may have taken writes since",
                    self.old, self.old
                ))
                .hint(format!("check it, then `{}` takes the lease again and finishes", self.cmd("--resume")))
                .into())
            }
        }
        let expected: Vec<&String> = j.read_only_databases.iter().chain(&j.inherited_read_only).collect();
        if s.local_writes && !self.opts.writes_stopped && !expected.is_empty() {
            let stopped = self.ctx.client()?.local_writes(&self.project, &self.old).await?.stopped;
            if !stopped {
                return Err(CliError::failed(format!(
                    "writes were re-enabled on '{}' (read_only is off) after it was verified; it was kept, as it may hold rows '{}' lacks",
                    self.old, self.new
                ))
                .hint(format!("compare the two, then terminate '{}' yourself when '{}' holds everything", self.old, self.new))
                .into());
            }
        }
        if Self::is_pg(s) && !self.opts.writes_stopped && !expected.is_empty() {
            let now = postgres::read_only_defaults(&self.old_pg().await?).await?;
            let open: Vec<&str> = expected.iter().filter(|d| !now.contains(d)).map(|d| d.as_str()).collect();
            if !open.is_empty() {
                return Err(CliError::failed(format!(
                    "writes were re-enabled on '{}' ({}) after it was verified; it was kept, as it may hold rows '{}' lacks",
                    self.old,
                    open.join(", "),
                    self.new
                ))
                .hint(format!("compare the two, then terminate '{}' yourself when '{}' holds everything", self.old, self.new))
                .into());
            }
        }
        Ok(())
    }
}
