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

/// How a journal names the MySQL server's `read_only` among the "databases" a rename made
/// read-only.
pub(super) const MYSQL_READ_ONLY: &str = "(the server's read_only)";

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
        if s.local_writes {
            return self.stop_mysql_writes(j).await;
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
        let ids = if self.ctx.printer.verbosity() > 0 { format!(" (fence {id})") } else { String::new() };
        Ok(Outcome::Done(format!(
            "writes stopped on {}: a new write fails, and {} open session(s) were ended; then a marker row was written last{ids}: once '{}' holds it, '{}' has every write '{}' accepted",
            s.alterable.join(", "),
            ended + ended_after_fence,
            self.new,
            self.new,
            self.old
        )))
    }

    /// MySQL on avn local: the control plane sets `read_only` (kept across restarts), ends other
    /// sessions, commits the fence row and ends them again; then a write by the service's own
    /// login is proven to fail, and OLD's fingerprint is taken.
    async fn stop_mysql_writes(&self, j: &mut Journal) -> anyhow::Result<Outcome> {
        let client = self.ctx.client()?;
        if !j.read_only_recorded {
            let already = client.local_writes(&self.project, &self.old).await?.stopped;
            // Only a stop this rename made is its to lift.
            let mine = if already { &mut j.inherited_read_only } else { &mut j.read_only_databases };
            *mine = vec![MYSQL_READ_ONLY.into()];
            j.read_only_recorded = true;
        }
        if j.fence.is_none() {
            j.fence = Some(fence::new_id()?);
        }
        j.save()?;
        let id = j.fence.clone().expect("set above");
        let change = avn_api::writes::WritesChange {
            stopped: true,
            fence: Some(id.clone()),
            remove_fence: false,
            lease: j.lease.clone(),
        };
        let done = client.local_set_writes(&self.project, &self.old, &change).await?;
        let ids = if self.ctx.printer.verbosity() > 0 { format!(" (fence {id})") } else { String::new() };
        if self.is_valkey(j) {
            let vk = self.vk(&self.old_conn().await?.uri).await?;
            if let Err(why) = super::valkey::write_fails(&vk).await? {
                return Err(anyhow::anyhow!("writes to '{}' do not fail after they were stopped: {why}", self.old));
            }
            // What OLD holds is read in the verify step, beside NEW (it does not change now); keys
            // expiring soon are left out then, never before this cutoff.
            let cutoff = super::valkey::cutoff_now(None);
            j.verified_fingerprint = Some([("cutoff".to_string(), cutoff.to_string())].into_iter().collect());
            j.save()?;
            return Ok(Outcome::Done(format!(
                "writes stopped on '{}' (its users lost their write commands, kept across restarts): a write fails, and {} open connection(s) were ended; then a fence key was written last{ids}: once '{}' holds it, '{}' has every write '{}' accepted",
                self.old, done.sessions_ended, self.new, self.new, self.old
            )));
        }
        let my = self.old_my().await?;
        if let Err(why) = super::mysql::write_fails(&my).await? {
            return Err(anyhow::anyhow!("writes to '{}' do not fail after read_only was set: {why}", self.old));
        }
        j.verified_fingerprint = Some(super::mysql::fingerprint(&my).await?);
        j.save()?;
        Ok(Outcome::Done(format!(
            "writes stopped on '{}' (read_only, kept across restarts): a write fails, and {} open session(s) were ended; then a marker row was written last{ids}: once '{}' holds it, '{}' has every write '{}' accepted",
            self.old, done.sessions_ended, self.new, self.new, self.old
        )))
    }

    /// A MySQL service URI, parsed, with the project's TLS trust.
    pub(super) async fn my(&self, uri: &str) -> anyhow::Result<crate::mysql::MyConn> {
        Ok(crate::mysql::MyConn::parse(uri, self.ctx.pg_trust(&self.project).await)?)
    }

    pub(super) async fn old_my(&self) -> anyhow::Result<crate::mysql::MyConn> {
        self.my(&self.old_conn().await?.uri).await
    }

    /// A Caching service URI, parsed, with the project's TLS trust.
    pub(super) async fn vk(&self, uri: &str) -> anyhow::Result<crate::valkey::VkConn> {
        Ok(crate::valkey::VkConn::parse(uri, self.ctx.pg_trust(&self.project).await)?)
    }

    /// Whether OLD is a Caching service (whose writes avn local stops).
    pub(super) fn is_valkey(&self, j: &Journal) -> bool {
        j.old_snapshot.as_ref().is_some_and(|s| s.service_type == "valkey")
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
            let is_mysql = j.old_snapshot.as_ref().is_some_and(|s| s.service_type == "mysql" && s.conn.is_some());
            if is_mysql {
                // Where OLD can be reached, its GTID position: the delete step deletes it only
                // unchanged. Where it cannot, as before, the operator's word stands.
                match async { super::mysql::fingerprint(&self.old_my().await?).await.map_err(anyhow::Error::from) }.await {
                    Ok(f) => {
                        j.verified_fingerprint = Some(f);
                        j.save()?;
                    }
                    Err(e) => self.ctx.printer.warn(&format!(
                        "cannot read '{}''s binary log position ({e:#}): the delete step cannot check that it did not change",
                        self.old
                    )),
                }
            }
        }
        let mut body: avn_api::ServiceCreate = serde_json::from_value(j.fork_request.clone())?;
        let timeout =
            self.opts.timeout_seconds.map(Duration::from_secs_f64).unwrap_or(crate::readiness::DEFAULT_TIMEOUT);
        // A fork to "latest" reaches only what was archived: wait for the fence's segment first.
        if let (Some(segment), false) = (&j.fence_segment, j.created_new) {
            if fence::wait_archived(&self.old_pg().await?, segment, timeout).await? {
                let ids =
                    if self.ctx.printer.verbosity() > 0 { format!(" (WAL segment {segment})") } else { String::new() };
                self.ctx.printer.info(&format!(
                    "Every write on '{}' up to the marker row is in its backups now{ids}: the fork can reach it",
                    self.old
                ));
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
                if self.is_valkey(j) && !self.opts.writes_stopped {
                    // A Caching fork restores a snapshot: a fresh one, taken after the fence.
                    let b = client.local_backup_now(&self.project, &self.old).await?;
                    let mut keys = avn_api::ForkKeys::read(&body.user_config);
                    keys.basebackup = Some(b.backup_name.clone());
                    keys.write(&mut body.user_config);
                    j.fork_request = serde_json::to_value(&body)?;
                    j.save()?;
                    self.ctx.printer.info(&format!(
                        "Took a fresh snapshot of '{}' after the fence: backup {}",
                        self.old, b.backup_name
                    ));
                }
                j.created_new = true;
                j.new_leased = body.tags.as_ref().is_some_and(|t| t.contains_key(avn_api::lease::TAG));
                j.save()?;
                let (created, _) = crate::create_request::create_or_lookup(self.ctx, &self.project, &body).await?;
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
            let new_uri = self.new_conn().await?.uri;
            let holds = if self.is_valkey(j) {
                if fork_loses_fence() {
                    super::valkey::fence_remove(client, &self.project, &self.new, j.lease.clone()).await?;
                }
                super::valkey::fence_holds(client, &self.project, &self.new, id).await?
            } else if j.old_snapshot.as_ref().is_some_and(|s| s.local_writes) {
                let my = self.my(&new_uri).await?;
                if fork_loses_fence() {
                    super::mysql::fence_remove(&my).await?;
                }
                super::mysql::fence_holds(&my, id).await?
            } else {
                let pg = self.pg(&new_uri).await?;
                if fork_loses_fence() {
                    fence::remove(&pg).await?;
                }
                fence::holds(&pg, id).await?
            };
            if !holds {
                return Err(anyhow::anyhow!(
                    "the fork '{}' does not hold every transaction committed on '{}' (its fence row {id} is missing: the fork stopped short of the latest transaction); it is not used",
                    self.new,
                    self.old
                ));
            }
            if self.is_valkey(j) {
                return Ok(Outcome::Done(format!(
                    "'{}' forked from a snapshot of '{}' taken after its writes stopped, and ready; it holds the fence key, so it has every write '{}' accepted",
                    self.new, self.old, self.old
                )));
            }
            return Ok(Outcome::Done(format!(
                "'{}' forked from '{}' at its latest transaction and ready; it holds the marker row, so it has every write '{}' accepted",
                self.new, self.old, self.old
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

    pub(super) async fn verify(&self, j: &mut Journal, s: &Snapshot) -> anyhow::Result<Outcome> {
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
        let mut digests = None;
        if s.service_type == "valkey" {
            digests = Some(self.compare_digests(j, &mut problems).await?);
        } else if s.local_writes {
            let old_my = self.old_my().await?;
            let new_my = self
                .my(&Conn::of(&fork).map(|c| c.uri).ok_or_else(|| anyhow::anyhow!("no URI for '{}'", self.new))?)
                .await?;
            let (a, b) = (super::mysql::row_counts(&old_my).await?, super::mysql::row_counts(&new_my).await?);
            tables = a.len();
            self.count_differences(&a, &b, &mut problems);
            if self.opts.checksum && problems.is_empty() {
                let (a, b) = (super::mysql::checksums(&old_my).await?, super::mysql::checksums(&new_my).await?);
                self.content_differences(&a, &b, &mut problems);
                checksummed = Some((a.len(), vec![]));
            }
        }
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
            self.count_differences(&a, &b, &mut problems);
            if self.opts.checksum && problems.is_empty() {
                let ((mut a, unreadable), (mut b, _)) =
                    (postgres::checksums(&old_pg, &dbs).await?, postgres::checksums(&new_pg, &dbs).await?);
                for t in &s.unlogged {
                    a.remove(t);
                    b.remove(t);
                }
                self.content_differences(&a, &b, &mut problems);
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
        if let (Some(_), true) = (&j.fence, s.service_type == "valkey") {
            super::valkey::fence_remove(self.ctx.client()?, &self.project, &self.new, j.lease.clone()).await?;
        } else if let (Some(_), true) = (&j.fence, s.local_writes) {
            super::mysql::fence_remove(&self.my(&self.new_conn().await?.uri).await?).await?;
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
        if let Some(keys) = digests {
            return Ok(Outcome::Done(format!(
                "same users; the same {keys} key(s), values and expiry times (digests equal; keys expiring within 5 minutes left out)"
            )));
        }
        Ok(Outcome::Done(format!(
            "same databases, users and connection pools{}{sums}{skipped}",
            if tables > 0 { format!("; row counts equal in {tables} table(s)") } else { String::new() }
        )))
    }

    /// Caching: OLD's key count and digest against NEW's, both of the keys that do not expire by
    /// the rename's cutoff (set when writes stopped), read side by side; OLD's is kept for the
    /// delete step. Returns the keys compared.
    async fn compare_digests(&self, j: &mut Journal, problems: &mut Vec<String>) -> anyhow::Result<u64> {
        let client = self.ctx.client()?;
        let cutoff = super::valkey::cutoff_now(j.verified_fingerprint.as_ref());
        // OLD's write count first: the delete step deletes OLD only if no write ran on it since.
        let writes = super::valkey::write_calls(client, &self.project, &self.old).await?;
        let (old, new) = tokio::join!(
            super::valkey::fingerprint(client, &self.project, &self.old, cutoff),
            super::valkey::fingerprint(client, &self.project, &self.new, cutoff)
        );
        let (old, new) = (old?, new?);
        let mut kept = old.clone();
        kept.insert("write_calls".into(), writes);
        j.verified_fingerprint = Some(kept);
        j.save()?;
        if new != old {
            let show = |f: &std::collections::BTreeMap<String, String>| {
                format!(
                    "{} key(s), digest {}",
                    f.get("keys").map_or("?", String::as_str),
                    f.get("digest").map_or("?", String::as_str)
                )
            };
            problems.push(format!("'{}' has {}, '{}' has {}", self.old, show(&old), self.new, show(&new)));
            return Ok(0);
        }
        Ok(new.get("keys").and_then(|k| k.parse().ok()).unwrap_or(0))
    }

    /// Tables whose row counts differ between OLD (`a`) and NEW (`b`), or that one lacks.
    fn count_differences(
        &self,
        a: &std::collections::BTreeMap<String, i64>,
        b: &std::collections::BTreeMap<String, i64>,
        problems: &mut Vec<String>,
    ) {
        for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            let (x, y) = (a.get(k), b.get(k));
            if x != y {
                let show = |v: Option<&i64>| v.map(|n| n.to_string()).unwrap_or_else(|| "missing".into());
                problems.push(format!("{k}: {} rows on '{}', {} on '{}'", show(x), self.old, show(y), self.new));
            }
        }
    }

    /// Tables whose checksums differ between OLD (`a`) and NEW (`b`), or that one lacks.
    fn content_differences(
        &self,
        a: &std::collections::BTreeMap<String, String>,
        b: &std::collections::BTreeMap<String, String>,
        problems: &mut Vec<String>,
    ) {
        for k in a.keys().chain(b.keys()).collect::<BTreeSet<_>>() {
            if a.get(k) != b.get(k) {
                problems.push(format!("{k}: contents differ between '{}' and '{}'", self.old, self.new));
            }
        }
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
}
