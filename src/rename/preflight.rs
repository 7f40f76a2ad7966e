//! A rename's preflight: every check before anything changes, and the fork request.

use super::names;
use super::parse_env_spec;
use super::postgres;
use super::repoint::Conn;
use super::Rename;
use super::Snapshot;
use crate::error::CliError;
use crate::fork;
use crate::fork::ForkRequest;

impl Rename<'_, '_> {
    /// Every check, before anything changes. Returns OLD's snapshot and the fork request.
    pub(super) async fn preflight(&self) -> anyhow::Result<(Snapshot, avn_api::ServiceCreate)> {
        let client = self.ctx.client()?;
        let svc = self.check_source(client).await?;
        self.check_options(&svc)?;
        let body = self.fork_body(&svc).await?;
        let integrations = client.service_integrations(&self.project, &self.old).await?;
        let (mut snapshot, conn) = Self::snapshot(&svc, integrations);
        if Self::is_pg(&snapshot) && !self.opts.writes_stopped {
            self.check_pg_writes(&mut snapshot, conn.as_ref()).await?;
        }
        if Self::is_pg(&snapshot) {
            self.check_unlogged(&mut snapshot, conn.as_ref()).await?;
        }
        if snapshot.service_type == "valkey" {
            self.check_valkey(client, &mut snapshot, conn.as_ref()).await?;
        }
        if snapshot.service_type == "mysql" && !self.opts.writes_stopped {
            self.check_mysql_writes(client, &mut snapshot, conn.as_ref()).await?;
        }
        if !Self::is_pg(&snapshot) && !snapshot.local_writes && !self.opts.writes_stopped && !self.dry_run {
            self.confirm_writes_stopped(&snapshot)?;
        }
        Ok((snapshot, body))
    }

    /// OLD exists, runs and is nobody's; NEW is a free, valid name.
    async fn check_source(&self, client: &avn_client::Client) -> anyhow::Result<avn_api::Service> {
        let (old, new) = (&self.old, &self.new);
        crate::create_request::validate_name(new)?;
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
        if let Some(lease) = crate::lease::of_service(&svc) {
            return Err(crate::lease::refused("rename", &self.project, old, &lease, None).into());
        }
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
        Ok(svc)
    }

    /// What the options ask is possible: protection, confirmation, files to repoint.
    fn check_options(&self, svc: &avn_api::Service) -> anyhow::Result<()> {
        let (old, o) = (&self.old, &self.opts);
        if svc.termination_protection && !o.keep_source && !o.remove_termination_protection {
            return Err(CliError::usage(format!("'{old}' has termination protection, and the rename would delete it"))
                .hint("pass --remove-termination-protection to lift it at the last step, or --keep-source to keep the old service")
                .into());
        }
        // A dry run deletes nothing, so it needs no confirmation.
        if !self.dry_run && !o.yes && !o.keep_source && !crate::prompt::can_prompt() {
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
        Ok(())
    }

    /// The fork request, with every fork check.
    async fn fork_body(&self, svc: &avn_api::Service) -> anyhow::Result<avn_api::ServiceCreate> {
        let (old, new, o) = (&self.old, &self.new, &self.opts);
        // NEW gets OLD's tags but for avn's own: the renamed service is the same service, and it
        // keeps its expiry, but only once the rename has finished (an expiry that falls due
        // meanwhile must not take NEW while OLD is being deleted); the lease is added at the start.
        let mut tags = svc.tags.clone().unwrap_or_default();
        tags.remove(crate::expiry::TAG);
        tags.remove(crate::fork::RUN_SQL_TAG);
        tags.retain(|k, _| !avn_api::lease::OWN_TAGS.contains(&k.as_str()));
        let req = ForkRequest {
            plan: o.plan.clone(),
            cloud: o.cloud.clone(),
            config_options: o.config.clone(),
            tags,
            termination_protection: svc.termination_protection,
            // Caching: the fork step takes a fresh snapshot once writes are stopped (not now).
            latest_snapshot: svc.service_type == "valkey",
            dry_run: svc.service_type == "valkey",
            ..ForkRequest::new(&self.project, old, new)
        };
        let mut body = fork::preflight(self.ctx, &req, svc).await?.body;
        // Types forked from backups restore the newest one when the fork is created (taken after
        // writes stopped, at best), not the one that was newest now. Caching's is set by the
        // fork step (a fresh snapshot after the fence).
        body.user_config.remove(avn_api::fork::BASEBACKUP);
        Ok(body)
    }

    /// What the rename knows of OLD before it changes anything, and OLD's connection.
    fn snapshot(svc: &avn_api::Service, integrations: Vec<avn_api::Integration>) -> (Snapshot, Option<Conn>) {
        let conn = Conn::of(svc);
        let snapshot = Snapshot {
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
            created: svc.create_time.clone(),
            expires_at: svc.tags.as_ref().and_then(|t| t.get(crate::expiry::TAG).cloned()),
            unlogged: vec![],
            local_writes: false,
        };
        (snapshot, conn)
    }

    /// PostgreSQL: the admin can make every database read-only, and no role setting can
    /// re-enable writes (unless `--force`).
    async fn check_pg_writes(&self, snapshot: &mut Snapshot, conn: Option<&Conn>) -> anyhow::Result<()> {
        let (ctx, old, o) = (self.ctx, &self.old, &self.opts);
        let uri = conn
            .as_ref()
            .map(|c| c.uri.clone())
            .ok_or_else(|| CliError::usage(format!("'{old}' has no service URI to stop writes with")))?;
        let pg = ctx.pg_conn(&self.project, &uri).await?;
        let dbs = postgres::databases(&pg).await.map_err(|e| {
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
        // A role-level setting beats the database default: those roles could still write.
        let overrides = postgres::read_only_overrides(&pg)
            .await
            .map_err(|e| CliError::usage(format!("cannot read role settings on '{old}': {e}")))?;
        if !overrides.is_empty() && !o.force {
            return Err(CliError::usage(format!(
                "role settings on '{old}' can re-enable writes after they are stopped: {}",
                overrides.join("; ")
            ))
            .hint("reset them (ALTER ROLE ... RESET default_transaction_read_only), or pass --force to go on; sessions of those roles could still write to OLD during the rename")
            .into());
        }
        Ok(())
    }

    /// MySQL: on avn local, its control plane stops writes (a MySQL admin cannot: `read_only`
    /// needs `READ_ONLY ADMIN`); elsewhere (Aiven) a person confirms they are stopped. The service's
    /// own login must reach it, to verify and to prove writes fail.
    async fn check_mysql_writes(
        &self,
        client: &avn_client::Client,
        snapshot: &mut Snapshot,
        conn: Option<&Conn>,
    ) -> anyhow::Result<()> {
        match client.local_writes(&self.project, &self.old).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let old = &self.old;
        let uri = conn
            .map(|c| c.uri.clone())
            .ok_or_else(|| CliError::usage(format!("'{old}' has no service URI to verify the copy with")))?;
        let my = crate::mysql::MyConn::parse(&uri, self.ctx.pg_trust(&self.project).await)?;
        super::mysql::fingerprint(&my).await.map_err(|e| {
            CliError::usage(format!("cannot connect to '{old}' to verify the rename: {e}")).hint(
                "stop writes yourself and pass --writes-stopped, or run from a machine that can reach the database",
            )
        })?;
        snapshot.local_writes = true;
        Ok(())
    }

    /// Caching: on avn local only. Its control plane stops writes, writes the fence key, takes a
    /// fresh snapshot and says what each side holds; Aiven does none of this (and forks Caching
    /// from its scheduled backups only, which may lack the last writes), so a rename there could
    /// lose data: refused. The service's own login must reach OLD, to prove writes fail.
    async fn check_valkey(
        &self,
        client: &avn_client::Client,
        snapshot: &mut Snapshot,
        conn: Option<&Conn>,
    ) -> anyhow::Result<()> {
        let old = &self.old;
        match client.local_writes(&self.project, old).await {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {
                return Err(CliError::usage(format!(
                    "avn cannot rename the Caching service '{old}' here: a fork restores a scheduled backup, which may lack the last writes, and there is no way to prove it does not"
                ))
                .hint("on Aiven, create the new service from a backup yourself (`avn service fork`) once writes to it have stopped and a backup taken after that exists")
                .into())
            }
            Err(e) => return Err(e.into()),
        }
        if self.opts.writes_stopped {
            return Err(CliError::usage(
                "--writes-stopped does not apply to Caching services on avn local: avn stops their writes itself",
            )
            .hint("leave out --writes-stopped")
            .into());
        }
        let uri = conn
            .map(|c| c.uri.clone())
            .ok_or_else(|| CliError::usage(format!("'{old}' has no service URI to verify the copy with")))?;
        let vk = crate::valkey::VkConn::parse(&uri, self.ctx.pg_trust(&self.project).await)?;
        vk.connect(std::time::Duration::from_secs(10)).await.map_err(|e| {
            CliError::usage(format!("cannot connect to '{old}' to verify the rename: {e}"))
                .hint("run from a machine that can reach the service")
        })?;
        snapshot.local_writes = true;
        Ok(())
    }

    /// Other types: avn cannot stop writes itself, so a person confirms they are stopped.
    fn confirm_writes_stopped(&self, snapshot: &Snapshot) -> anyhow::Result<()> {
        let old = &self.old;
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
        Ok(())
    }

    /// Unlogged tables that hold rows do not survive a fork (their contents are not in WAL, on
    /// Aiven as here): refused unless `--force`, which has verify leave them out.
    async fn check_unlogged(&self, snapshot: &mut Snapshot, conn: Option<&Conn>) -> anyhow::Result<()> {
        let Some(conn) = conn else { return Ok(()) };
        let old = &self.old;
        let pg = self.ctx.pg_conn(&self.project, &conn.uri).await?;
        let dbs = if snapshot.alterable.is_empty() { &snapshot.databases } else { &snapshot.alterable };
        // Tables the admin cannot read cannot be counted by verify: named now, before anything
        // changes, not after writes stopped.
        let unreadable = postgres::unreadable_tables(&pg, dbs)
            .await
            .map_err(|e| CliError::usage(format!("cannot list the tables of '{old}': {e}")))?;
        if !unreadable.is_empty() && !self.opts.force {
            return Err(CliError::usage(format!(
                "the admin user cannot read these tables on '{old}', so the rename cannot check that NEW holds them: {}",
                unreadable.join(", ")
            ))
            .hint("grant it SELECT on them (GRANT SELECT ON ... TO <the service's admin>), or pass --force: verify then leaves them out (their rows are still copied, as everything is)")
            .into());
        }
        if !unreadable.is_empty() {
            self.ctx.printer.warn(&format!(
                "--force: verify leaves out these tables the admin cannot read: {}",
                unreadable.join(", ")
            ));
        }
        let unlogged = postgres::unlogged_with_rows(&pg, dbs)
            .await
            .map_err(|e| CliError::usage(format!("cannot look for unlogged tables on '{old}': {e}")))?;
        if unlogged.is_empty() {
            return Ok(());
        }
        if !self.opts.force {
            return Err(CliError::usage(format!(
                "unlogged tables on '{old}' hold rows that a fork does not copy (their contents are not in WAL, as on Aiven): {}",
                unlogged.join(", ")
            ))
            .hint("make them logged (ALTER TABLE ... SET LOGGED) to keep their rows, or pass --force to go on: NEW has them empty, and verify leaves them out")
            .into());
        }
        self.ctx.printer.warn(&format!(
            "--force: these unlogged tables will be empty on '{}', and verify leaves them out: {}",
            self.new,
            unlogged.join(", ")
        ));
        snapshot.unlogged = unlogged;
        Ok(())
    }
}
