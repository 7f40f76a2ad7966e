//! Undoing a rename: `--abort`, and the rollback after a failure before repointing. It undoes
//! only what the journal says this rename did, and never deletes what may be the only copy.

use super::fence;
use super::journal::Journal;
use super::journal::State;
use super::journal::StepName;
use super::journal::StepStatus;
use super::postgres;
use super::saga::snapshot_of;
use super::Rename;
use crate::error::CliError;

/// What a rollback did: undone; kept on purpose (final: a service that may be the only copy of
/// the data, writes this rename may no longer open); left because something failed (a later
/// `--abort` tries again).
#[derive(Debug, Default)]
pub(super) struct Rollback {
    pub undone: Vec<String>,
    pub kept: Vec<String>,
    pub left: Vec<String>,
}

impl Rename<'_, '_> {
    /// A NEW kept because OLD is gone: clear the read-only defaults it was copied with (those
    /// this rename set and those it found) and the fence.
    async fn open_kept_new(&self, j: &Journal) -> anyhow::Result<()> {
        let pg = self.pg(&self.new_conn().await?.uri).await?;
        let dbs = postgres::read_only_defaults(&pg).await?;
        if !dbs.is_empty() {
            postgres::open_writes(&pg, &dbs).await?;
        }
        if j.fence.is_some() {
            fence::remove(&pg).await?;
        }
        Ok(())
    }

    /// `--abort`: roll back what the journal says this rename did, from any step before repoint.
    pub(super) async fn abort(&self, j: &mut Journal) -> anyhow::Result<()> {
        let late = [StepName::Repoint, StepName::Delete].into_iter().find(|s| j.step(*s).status != StepStatus::Pending);
        // Past repoint, clients may use NEW: undone only when NEW is gone (or is not this
        // rename's any more), and OLD is then all there is.
        let new_gone = match self.ctx.client()?.service_get(&self.project, &self.new).await {
            Err(e) if e.is_not_found() => true,
            Ok(n) => j.new_created.as_ref().is_some_and(|t| t != &n.create_time),
            Err(e) => return Err(e.into()),
        };
        if let Some(step) = late.filter(|_| !new_gone) {
            return Err(CliError::usage(format!(
                "the rename of '{}' to '{}' has reached step {}: clients may already use '{}', so it is not undone",
                self.old,
                self.new,
                step.label(),
                self.new
            ))
            .hint(format!(
                "finish it with `{}`, or with `{} --keep-source` to keep '{}' (read-only) beside '{}'",
                self.cmd("--resume"),
                self.cmd("--resume"),
                self.old,
                self.new
            ))
            .into());
        }
        let r = self.rollback(j).await;
        for u in &r.undone {
            self.ctx.printer.info(&format!("undone: {u}"));
        }
        for k in &r.kept {
            self.ctx.printer.warn(&format!("kept: {k}"));
        }
        if r.left.is_empty() {
            self.ctx.printer.info(&format!("The rename of '{}' to '{}' was rolled back", self.old, self.new));
            return Ok(());
        }
        let mut e =
            CliError::failed(format!("the rename of '{}' to '{}' was rolled back only in part", self.old, self.new));
        for l in r.left {
            e = e.hint(format!("left as is: {l}"));
        }
        Err(e.hint(format!("once the cause is fixed, run `{}` again", self.cmd("--abort"))).into())
    }

    /// Undo what this rename did, and only that, and only while it owns the lease on OLD: writes
    /// re-enabled on the databases it made read-only, the fence removed, the NEW it created
    /// deleted (never when OLD is gone or cannot be reached: NEW may then be the only copy), the
    /// lease released. The journal ends rolled back only when nothing is left to undo.
    pub(super) async fn rollback(&self, j: &mut Journal) -> Rollback {
        let mut r = Rollback::default();
        let client = match self.ctx.client() {
            Ok(c) => c,
            Err(e) => {
                r.left.push(format!("cannot reach the API to roll back: {e}"));
                return r;
            }
        };
        let id = j.lease.clone().unwrap_or_default();
        // OLD: does it exist, is it the service this rename started with, and whose is it?
        let old = match client.service_get(&self.project, &self.old).await {
            Ok(s) if j.old_created.as_ref().is_none_or(|t| t == &s.create_time) => Some(Ok(s)),
            Ok(s) => Some(Err(format!("'{}' is now another service (created {})", self.old, s.create_time))),
            Err(e) if e.is_not_found() => None,
            Err(e) => Some(Err(format!("'{}' cannot be reached ({e})", self.old))),
        };
        let owned = match &old {
            Some(Ok(s)) => crate::lease::of_service(s).is_some_and(|l| l.id == id),
            _ => false,
        };
        if j.created_new {
            self.undo_new(j, client, &id, &old, &mut r).await;
        }
        let old_here = matches!(old, Some(Ok(_)));
        // The fence table is shared by every rename of OLD: only the lease holder removes it.
        let mysql = snapshot_of(j).local_writes;
        if j.fence.is_some() && old_here && owned {
            match mysql {
                true => self.undo_mysql_fence(j, &mut r).await,
                false => self.undo_fence(&mut r).await,
            }
        }
        if !j.read_only_databases.is_empty() && old_here {
            match mysql {
                true => self.undo_mysql_read_only(j, owned, &mut r).await,
                false => self.undo_read_only(j, owned, &mut r).await,
            }
        }
        // The lease goes last, and only when nothing is left to undo: a later `--abort` must
        // still own OLD to open its writes.
        if owned && r.left.is_empty() {
            match crate::lease::release(self.ctx, &self.project, &self.old, &id, &[]).await {
                Ok(_) => r.undone.push(format!("the rename's lease on '{}' released", self.old)),
                Err(e) => r.left.push(format!("the rename's lease on '{}' is still there ({e:#})", self.old)),
            }
        }
        for s in j.steps.iter_mut() {
            if s.status == StepStatus::Done && s.name != StepName::Preflight {
                s.status = StepStatus::Undone;
            }
        }
        if r.left.is_empty() {
            j.state = State::RolledBack;
        }
        let _ = j.save();
        r
    }

    /// NEW: deleted only when OLD still holds everything (it exists, unchanged) and NEW is
    /// provably this rename's (its lease, or its recorded creation time); kept, and made a
    /// service like any other, when OLD is gone or cannot be reached.
    async fn undo_new(
        &self,
        j: &Journal,
        client: &avn_client::Client,
        id: &str,
        old: &Option<Result<avn_api::Service, String>>,
        r: &mut Rollback,
    ) {
        let s = match client.service_get(&self.project, &self.new).await {
            Ok(s) => s,
            Err(e) if e.is_not_found() => return,
            Err(e) => return r.left.push(format!("'{}' could not be checked: {e}", self.new)),
        };
        let ours = crate::lease::of_service(&s).is_some_and(|l| l.id == id)
            || j.new_created.as_ref().is_some_and(|t| t == &s.create_time);
        if !ours {
            return r
                .kept
                .push(format!("'{}' is not the service this rename created (created {})", self.new, s.create_time));
        }
        let why = match old {
            Some(Ok(_)) => return self.delete_new(client, id, &s, r).await,
            None => format!("'{}' is gone", self.old),
            Some(Err(e)) => e.clone(),
        };
        r.kept.push(format!(
            "'{}', because {why}, and '{}' may be the only copy of its data; check it, then terminate whichever you do not need",
            self.new, self.new
        ));
        // No rename can go on without OLD: NEW becomes a service like any other.
        match crate::lease::release(self.ctx, &self.project, &self.new, id, &[]).await {
            Ok(true) => r.undone.push(format!("the rename's lease on '{}' released", self.new)),
            Ok(false) => {}
            Err(e) => r.left.push(format!("the rename's lease on '{}' is still there ({e:#})", self.new)),
        }
        // ...and takes writes: it may still carry the read-only defaults and the fence it was
        // copied with.
        if snapshot_of(j).local_writes && j.fence.is_some() {
            // NEW takes writes (read_only is not copied); it may carry the fence.
            let valkey = self.is_valkey(j);
            match async {
                if valkey {
                    return super::valkey::fence_remove(self.ctx.client()?, &self.project, &self.new, j.lease.clone())
                        .await
                        .map_err(anyhow::Error::from);
                }
                let uri = self.new_conn().await?.uri;
                super::mysql::fence_remove(&self.my(&uri).await?).await.map_err(anyhow::Error::from)
            }
            .await
            {
                Ok(()) => r.undone.push(format!("the fence table removed from '{}'", self.new)),
                Err(e) => r.left.push(format!(
                    "the fence table {} may still be on '{}' ({e:#})",
                    avn_api::writes::MYSQL_FENCE_TABLE,
                    self.new
                )),
            }
        }
        if Self::is_pg(&snapshot_of(j)) {
            match self.open_kept_new(j).await {
                Ok(()) => r
                    .undone
                    .push(format!("'{}' opened for writes (read-only defaults and fence cleared)", self.new)),
                Err(e) => r.left.push(format!(
                    "'{}' may still be read-only ({e:#}): `ALTER DATABASE ... RESET default_transaction_read_only` on it",
                    self.new
                )),
            }
        }
    }

    /// Delete the NEW this rename created (its protection and lease removed first), only that
    /// incarnation.
    async fn delete_new(&self, client: &avn_client::Client, id: &str, s: &avn_api::Service, r: &mut Rollback) {
        if s.termination_protection {
            let body = avn_api::ServiceUpdate {
                plan: s.plan.clone(),
                termination_protection: Some(false),
                ..Default::default()
            };
            let _ = client.service_update(&self.project, &self.new, &body).await;
        }
        let _ = crate::lease::release(self.ctx, &self.project, &self.new, id, &[]).await;
        match client.service_delete_incarnation(&self.project, &self.new, &s.create_time).await {
            Ok(avn_client::DeleteOutcome::Deleted | avn_client::DeleteOutcome::Gone) => {
                r.undone.push(format!("deleted '{}', which this rename had created", self.new))
            }
            Ok(avn_client::DeleteOutcome::Replaced(t)) => {
                r.kept.push(format!("'{}', which is now another service (created {t})", self.new))
            }
            Err(e) => r.left.push(format!("'{}' could not be deleted: {e}", self.new)),
        }
        self.ctx.services_changed(&self.project);
    }

    /// MySQL on avn local: the fence table removed from OLD by its control plane; writes stay as
    /// they are (opened by [`Self::undo_mysql_read_only`] when this rename stopped them).
    async fn undo_mysql_fence(&self, j: &Journal, r: &mut Rollback) {
        let client = match self.ctx.client() {
            Ok(c) => c,
            Err(e) => return r.left.push(format!("the fence table may still be on '{}' ({e})", self.old)),
        };
        // Lifting the stop comes with the fence's removal when this rename made the stop.
        if !j.read_only_databases.is_empty() {
            return;
        }
        // The stop was there before this rename: the fence goes, and writes stay as they are now
        // (stopped only if they still are).
        let stopped = match client.local_writes(&self.project, &self.old).await {
            Ok(s) => s.stopped,
            Err(e) => return r.left.push(format!("the fence table may still be on '{}' ({e})", self.old)),
        };
        let change = avn_api::writes::WritesChange { stopped, fence: None, remove_fence: true, lease: j.lease.clone() };
        match client.local_set_writes(&self.project, &self.old, &change).await {
            Ok(_) => r.undone.push(format!("fence table removed from '{}'", self.old)),
            Err(e) => r.left.push(format!(
                "the fence table {} is still on '{}' ({e})",
                avn_api::writes::MYSQL_FENCE_TABLE,
                self.old
            )),
        }
    }

    /// MySQL on avn local: writes opened on OLD (and the fence removed), only while this rename
    /// owns OLD's lease.
    async fn undo_mysql_read_only(&self, j: &Journal, owned: bool, r: &mut Rollback) {
        if !owned {
            return r.kept.push(format!(
                "'{}' read-only: this rename no longer holds its lease, so it does not open writes that another rename or a person may rely on",
                self.old
            ));
        }
        let change =
            avn_api::writes::WritesChange { stopped: false, fence: None, remove_fence: true, lease: j.lease.clone() };
        match self.ctx.client() {
            Ok(c) => match c.local_set_writes(&self.project, &self.old, &change).await {
                Ok(_) => r.undone.push(format!("writes re-enabled on '{}' (read_only off, fence removed)", self.old)),
                Err(e) => r.left.push(format!("'{}' is still read-only ({e})", self.old)),
            },
            Err(e) => r.left.push(format!("'{}' is still read-only ({e})", self.old)),
        }
    }

    /// Remove the fence table from OLD.
    async fn undo_fence(&self, r: &mut Rollback) {
        match self.old_pg().await.ok() {
            Some(c) => match fence::remove(&c).await {
                Ok(()) => r.undone.push(format!("fence table removed from '{}'", self.old)),
                Err(e) => r.left.push(format!(
                    "the fence table {} is still on '{}' ({:#})",
                    fence::TABLE,
                    self.old,
                    anyhow::Error::new(e)
                )),
            },
            None => r.left.push(format!("the fence table {} may still be on '{}'", fence::TABLE, self.old)),
        }
    }

    /// Re-enable writes on the databases this rename made read-only, while it owns OLD's lease.
    async fn undo_read_only(&self, j: &Journal, owned: bool, r: &mut Rollback) {
        let dbs = j.read_only_databases.join(", ");
        if !owned {
            return r.kept.push(format!(
                "'{}' read-only: this rename no longer holds its lease, so it does not open writes that another rename or a person may rely on ({dbs}); open them with `ALTER DATABASE ... RESET default_transaction_read_only` once nothing else is renaming it",
                self.old
            ));
        }
        let Some(c) = self.old_pg().await.ok() else {
            return r.left.push(format!("'{}' may still be read-only", self.old));
        };
        match postgres::open_writes(&c, &j.read_only_databases).await.map_err(anyhow::Error::new) {
            Ok(()) => r.undone.push(format!("writes re-enabled on '{}' ({dbs})", self.old)),
            Err(e) => r.left.push(format!("'{}' is still read-only ({e:#})", self.old)),
        }
    }
}
