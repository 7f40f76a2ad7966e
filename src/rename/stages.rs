//! The steps of a rename after preflight, each idempotent so `--resume` can run it again.

use std::collections::BTreeSet;
use std::time::Duration;

use super::fence;
use super::journal::Journal;
use super::names;
use super::parse_env_spec;
use super::postgres;
use super::repoint;
use super::repoint::Conn;
use super::Outcome;
use super::Rename;
use super::Snapshot;
use crate::error::CliError;
use crate::integrations;
use crate::pg::ConnInfo;

/// Tests: a fork that stopped short of the fence (`FAILPOINTS=rename-fork-loses-fence=return`).
fn fork_loses_fence() -> bool {
    fail::fail_point!("rename-fork-loses-fence", |_| true);
    false
}

impl Rename<'_, '_> {
    pub(super) async fn stop_writes(&self, j: &mut Journal, s: &Snapshot) -> anyhow::Result<Outcome> {
        if self.opts.writes_stopped {
            return Ok(Outcome::Skipped("the operator stopped writes (--writes-stopped)".into()));
        }
        let uri = self.old_conn().await?.uri;
        let pg = self.pg(&uri).await?;
        // Record the intent first: a crash half-way still gets rolled back. Only the databases
        // this rename makes read-only are its to open again; those already read-only (a rename
        // that kept OLD, or the owner's choice) stay as they are whatever happens.
        if !j.read_only_recorded {
            let already = postgres::read_only_defaults(&pg).await?;
            j.read_only_databases = s.alterable.iter().filter(|d| !already.contains(d)).cloned().collect();
            // NEW takes writes wherever OLD did or was stopped (by an earlier rename, say).
            j.inherited_read_only = s.alterable.iter().filter(|d| already.contains(d)).cloned().collect();
            j.read_only_recorded = true;
        }
        if j.fence.is_none() {
            j.fence = Some(fence::new_id()?);
        }
        j.save()?;
        let ended = postgres::stop_writes(&pg, &s.alterable).await?;
        let id = j.fence.clone().expect("set above");
        let (ended_after_fence, segment) = fence::write(&pg, &id).await?;
        j.fence_segment = segment;
        j.save()?;
        // What OLD holds once writes are stopped: the delete step deletes it only unchanged.
        // Taken again when this step runs again (its own changes come before it).
        j.verified_fingerprint = Some(postgres::fingerprint(&pg).await?);
        j.save()?;
        Ok(Outcome::Done(format!(
            "{} read-only, {ended} other session(s) ended, a write in a fresh session fails; fence {id} written, {ended_after_fence} more session(s) ended",
            s.alterable.join(", ")
        )))
    }

    pub(super) async fn fork(&self, j: &mut Journal) -> anyhow::Result<Outcome> {
        let client = self.ctx.client()?;
        // Writes stopped by the operator (--writes-stopped): OLD's fingerprint is taken here,
        // before the fork, for the delete step to compare.
        if j.verified_fingerprint.is_none() && !j.created_new && self.opts.writes_stopped {
            let is_pg = j.old_snapshot.as_ref().is_some_and(|s| Self::is_pg(s) && s.conn.is_some());
            if is_pg {
                j.verified_fingerprint = Some(postgres::fingerprint(&self.old_pg().await?).await?);
                j.save()?;
            }
        }
        let body: avn_api::ServiceCreate = serde_json::from_value(j.fork_request.clone())?;
        let timeout =
            self.opts.timeout_seconds.map(Duration::from_secs_f64).unwrap_or(crate::readiness::DEFAULT_TIMEOUT);
        // A fork to "latest" reaches only what was archived: wait for the fence's segment first.
        if let (Some(segment), false) = (&j.fence_segment, j.created_new) {
            if fence::wait_archived(&self.old_pg().await?, segment, timeout).await? {
                self.ctx.printer.info(&format!("The fence is archived on '{}' (segment {segment})", self.old));
            }
        }
        match client.service_get(&self.project, &self.new).await {
            Ok(existing)
                if j.created_new
                    && existing.forked_from() == Some(self.old.as_str())
                    && j.new_created.as_ref().is_none_or(|t| t == &existing.create_time) =>
            {
                self.ctx.printer.info(&format!("'{}' already exists as this rename's fork; waiting for it", self.new));
                if j.new_created.is_none() {
                    j.new_created = Some(existing.create_time.clone());
                    j.save()?;
                }
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
                j.new_leased = body.tags.as_ref().is_some_and(|t| t.contains_key(avn_api::lease::TAG));
                j.save()?;
                let (created, _) = crate::provision::create_or_lookup(self.ctx, &self.project, &body).await?;
                j.new_created = Some(created.create_time);
                j.save()?;
            }
            Err(e) => return Err(e.into()),
        }
        crate::readiness::wait_running(self.ctx, &self.project, std::slice::from_ref(&self.new), timeout)
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
        if let Some(id) = &j.fence {
            let pg = self.pg(&self.new_conn().await?.uri).await?;
            if fork_loses_fence() {
                fence::remove(&pg).await?;
            }
            if !fence::holds(&pg, id).await? {
                return Err(anyhow::anyhow!(
                    "the fork '{}' does not hold every transaction committed on '{}' (its fence row {id} is missing: the fork stopped short of the latest transaction); it is not used",
                    self.new,
                    self.old
                ));
            }
            return Ok(Outcome::Done(format!(
                "'{}' forked from '{}' at its latest transaction and ready; it holds the fence",
                self.new, self.old
            )));
        }
        Ok(Outcome::Done(format!("'{}' forked from '{}' at its latest transaction and ready", self.new, self.old)))
    }

    /// A service URI, parsed, with the project's TLS trust.
    pub(super) async fn pg(&self, uri: &str) -> anyhow::Result<ConnInfo> {
        Ok(self.ctx.pg_conn(&self.project, uri).await?)
    }

    /// OLD's live connection, ready to connect with.
    pub(super) async fn old_pg(&self) -> anyhow::Result<ConnInfo> {
        self.pg(&self.old_conn().await?.uri).await
    }

    /// OLD's live connection details (the journal keeps no password).
    pub(super) async fn old_conn(&self) -> anyhow::Result<Conn> {
        let s = self.ctx.client()?.service_get(&self.project, &self.old).await?;
        Conn::of(&s).ok_or_else(|| anyhow::anyhow!("'{}' has no service URI", self.old))
    }

    pub(super) async fn new_conn(&self) -> anyhow::Result<Conn> {
        let s = self.ctx.client()?.service_get(&self.project, &self.new).await?;
        Conn::of(&s).ok_or_else(|| anyhow::anyhow!("'{}' has no service URI", self.new))
    }

    pub(super) async fn open_writes(&self, j: &Journal, s: &Snapshot) -> anyhow::Result<Outcome> {
        let dbs: Vec<String> = j.read_only_databases.iter().chain(&j.inherited_read_only).cloned().collect();
        if !Self::is_pg(s) || dbs.is_empty() {
            return Ok(Outcome::Skipped("no read-only defaults to clear".into()));
        }
        let conn = self.new_conn().await?;
        postgres::open_writes(&self.pg(&conn.uri).await?, &dbs).await?;
        Ok(Outcome::Done(format!("read-only defaults cleared on '{}', a write succeeds", self.new)))
    }

    pub(super) async fn verify(&self, j: &Journal, s: &Snapshot) -> anyhow::Result<Outcome> {
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
        let mut checksummed = None;
        if Self::is_pg(s) {
            let old_uri = self.old_conn().await?.uri;
            let new_uri = Conn::of(&fork).map(|c| c.uri).ok_or_else(|| anyhow::anyhow!("no URI for '{}'", self.new))?;
            let dbs: Vec<String> =
                s.databases.iter().filter(|d| s.alterable.is_empty() || s.alterable.contains(d)).cloned().collect();
            let (old_pg, new_pg) = (self.pg(&old_uri).await?, self.pg(&new_uri).await?);
            let (mut a, mut b) =
                (postgres::row_counts(&old_pg, &dbs).await?, postgres::row_counts(&new_pg, &dbs).await?);
            for t in &s.unlogged {
                a.remove(t);
                b.remove(t);
            }
            tables = a.len();
            for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
                let (x, y) = (a.get(k), b.get(k));
                if x != y {
                    let show = |v: Option<&i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "missing".into());
                    problems.push(format!("{k}: {} rows on '{}', {} on '{}'", show(x), self.old, show(y), self.new));
                }
            }
            if self.opts.checksum && problems.is_empty() {
                let ((mut a, unreadable), (mut b, _)) =
                    (postgres::checksums(&old_pg, &dbs).await?, postgres::checksums(&new_pg, &dbs).await?);
                for t in &s.unlogged {
                    a.remove(t);
                    b.remove(t);
                }
                for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
                    if a.get(k) != b.get(k) {
                        problems.push(format!("{k}: contents differ between '{}' and '{}'", self.old, self.new));
                    }
                }
                checksummed = Some((a.len(), unreadable));
            }
        }
        if !problems.is_empty() {
            return Err(anyhow::anyhow!("verification failed: {}", problems.join("; ")));
        }
        // Verified: the fence has done its job on NEW. On OLD it stays (no write to OLD after its
        // fingerprint) until OLD is deleted, or kept (then it is removed).
        if let (Some(_), true) = (&j.fence, Self::is_pg(s)) {
            fence::remove(&self.pg(&self.new_conn().await?.uri).await?).await?;
        }
        let sums = match checksummed {
            Some((n, unreadable)) if unreadable.is_empty() => format!("; contents equal in {n} table(s)"),
            Some((n, unreadable)) => {
                format!(
                    "; contents equal in {n} table(s), {} not readable: {}",
                    unreadable.len(),
                    unreadable.join(", ")
                )
            }
            None => String::new(),
        };
        let skipped = if s.unlogged.is_empty() {
            String::new()
        } else {
            format!("; unlogged, left out (--force): {}", s.unlogged.join(", "))
        };
        Ok(Outcome::Done(format!(
            "same databases, users and connection pools{}{sums}{skipped}",
            if tables > 0 { format!("; row counts equal in {tables} table(s)") } else { String::new() }
        )))
    }

    pub(super) async fn repoint(&self, s: &Snapshot) -> anyhow::Result<Outcome> {
        let client = self.ctx.client()?;
        let mut done = vec![];
        let on_new = client.service_integrations(&self.project, &self.new).await?;
        for i in &s.integrations {
            if on_new.iter().any(|n| integrations::is_moved(i, n, &self.old, &self.new)) {
                continue;
            }
            let body = integrations::moved(i, &self.old, &self.project, &self.new, &self.project);
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
                if repoint::repoint_env(&path, var.as_deref(), old, new)? {
                    done.push(format!("{} rewritten", path.display()));
                }
            }
        }
        if let (Some(cmd), Some(new)) = (&self.opts.repoint_exec, &new) {
            repoint::repoint_exec(cmd, &self.old, &self.new, new).await?;
            done.push("--repoint-exec succeeded".into());
        }
        Ok(Outcome::Done(if done.is_empty() { "nothing to repoint".into() } else { done.join(", ") }))
    }

    pub(super) async fn delete(&self, j: &mut Journal, s: &Snapshot) -> anyhow::Result<Outcome> {
        if self.opts.keep_source {
            if let (Some(_), true) = (&j.fence, Self::is_pg(s)) {
                fence::remove(&self.old_pg().await?).await?;
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
        if let (true, Some(before)) = (Self::is_pg(s), &j.verified_fingerprint) {
            let now = postgres::fingerprint(&self.old_pg().await?).await?;
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
