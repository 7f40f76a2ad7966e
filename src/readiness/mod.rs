//! Waiting until services are ready: RUNNING in the control plane and, for PostgreSQL, MySQL and
//! Caching (Valkey), accepting a connection. Used by `service wait`, `create --wait`, forks and renames.

use std::time::Duration;
use std::time::Instant;

use avn_api::Service;
use avn_api::ServiceState;

use crate::context::Context;
use crate::error::CliError;
use crate::output::progress::Snapshot;
use crate::output::progress::WaitDisplay;

mod mysql;
mod postgres;
mod valkey;

/// Default limit of `service wait`, `service create --wait` and `service fork`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// After RUNNING, how long a remote database may stay unreachable before avn stops checking.
const UNREACHABLE_GRACE: Duration = Duration::from_secs(30);

/// Poll until every service is RUNNING (and accepts connections, for PostgreSQL), showing
/// progress; exit 3 on timeout with the command to resume.
pub async fn wait_running(
    ctx: &Context<'_>,
    project: &str,
    names: &[String],
    timeout: Duration,
) -> anyhow::Result<Vec<Service>> {
    let client = ctx.client()?;
    ctx.set_interrupt_hint_if_unset(format!(
        "stopped waiting; the services keep changing in the control plane. Resume with `avn service wait {}`",
        names.join(" ")
    ));
    let local = ctx.settings.local.is_some() || is_loopback_url(&ctx.settings.url);
    // A control plane on this machine is cheap to ask, and its forks take seconds: poll it often,
    // so the wait ends when the service is ready rather than up to a poll later.
    let (first, cap) = if local {
        (Duration::from_millis(200), Duration::from_secs(1))
    } else {
        (Duration::from_secs(1), Duration::from_secs(10))
    };
    let deadline = avn_util::wait::Deadline::after(timeout);
    let mut w = Waiter {
        ctx,
        project,
        names,
        display: WaitDisplay::new(ctx.printer, names),
        ready: vec![None; names.len()],
        running_since: vec![None; names.len()],
        warned_off: false,
    };
    let mut delay = first;
    loop {
        let (moved, server_delay) = match w.poll_all(client).await {
            Ok(polled) => polled,
            Err(e) => {
                w.display.finish();
                return Err(e);
            }
        };
        if w.ready.iter().all(Option::is_some) {
            w.display.finish();
            drop(w.display);
            ctx.printer.info(&format!("Service(s) RUNNING: {}", names.join(", ")));
            return Ok(w.ready.into_iter().flatten().collect());
        }
        if deadline.passed() {
            return Err(w.timed_out(timeout));
        }
        delay = if moved { first } else { delay.mul_f64(1.5).min(cap) };
        let sleep = server_delay.map(|d| d.min(Duration::from_secs(60))).unwrap_or(delay);
        tokio::time::sleep(sleep.min(deadline.remaining())).await;
    }
}

/// The services a wait is for, and what it knows of each.
struct Waiter<'a, 'c> {
    ctx: &'a Context<'c>,
    project: &'a str,
    names: &'a [String],
    display: WaitDisplay,
    ready: Vec<Option<Service>>,
    running_since: Vec<Option<Instant>>,
    warned_off: bool,
}

impl Waiter<'_, '_> {
    /// Ask for every service not ready yet: whether any moved on, and how long the server asked
    /// to wait (rate limits).
    async fn poll_all(&mut self, client: &avn_client::Client) -> anyhow::Result<(bool, Option<Duration>)> {
        let (mut moved, mut server_delay) = (false, None);
        for (i, name) in self.names.iter().enumerate() {
            if self.ready[i].is_some() {
                continue;
            }
            let s = match client.service_get(self.project, name).await {
                Ok(s) => s,
                Err(e) if e.is_retryable() => {
                    server_delay = e.retry_after().or(server_delay);
                    continue;
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!("cannot wait for '{}/{name}'", self.project)))
                }
            };
            if let Some(n) = s.service_notifications.iter().find(|n| n.notification_type == "service_creation_failed") {
                return Err(CliError::failed(format!("{name}: {}", n.message))
                    .hint(format!("remove it with `avn service terminate {name} --force` and try again"))
                    .into());
            }
            if s.state == ServiceState::PowerOff && !self.warned_off {
                self.warned_off = true;
                self.display.note(name, "POWEROFF: will not become RUNNING until powered on");
                self.ctx.printer.warn(&format!("{name} is powered off (avn service update {name} --power-on)"));
            }
            moved |= self.display.update(name, Snapshot::of(&s));
            if s.state == ServiceState::Running {
                self.running(i, s).await?;
            }
        }
        Ok((moved, server_delay))
    }

    /// Service `i` is RUNNING: for PostgreSQL, MySQL and Caching, ready once it accepts a
    /// connection (a login, then a query or `PING`).
    async fn running(&mut self, i: usize, s: Service) -> anyhow::Result<()> {
        let name = &self.names[i];
        let since = *self.running_since[i].get_or_insert_with(Instant::now);
        let uri = match (s.service_type.as_str(), s.service_uri.as_deref()) {
            ("pg" | "mysql" | "valkey" | "redis", Some(uri)) => uri.to_string(),
            _ => {
                self.display.done(name, "RUNNING");
                self.ready[i] = Some(s);
                return Ok(());
            }
        };
        let printer = self.ctx.printer;
        let (check, loopback) = match s.service_type.as_str() {
            "mysql" => {
                let trust = self.ctx.pg_trust(self.project).await;
                let loopback = crate::mysql::MyConn::parse(&uri, Default::default()).is_ok_and(|c| c.is_loopback());
                (mysql::check(crate::mysql::MyConn::parse(&uri, trust)).await, loopback)
            }
            "valkey" | "redis" => {
                let trust = self.ctx.pg_trust(self.project).await;
                let loopback = crate::valkey::VkConn::parse(&uri, Default::default()).is_ok_and(|c| c.is_loopback());
                (valkey::check(crate::valkey::VkConn::parse(&uri, trust)).await, loopback)
            }
            _ => (postgres::check(self.ctx.pg_conn(self.project, &uri).await).await, postgres::is_loopback(&uri)),
        };
        match check {
            postgres::Check::Ready => {
                self.display.done(name, "RUNNING, accepts connections");
                self.ready[i] = Some(s);
            }
            postgres::Check::UpButRefused(e) => {
                self.display.done(name, "RUNNING");
                printer.warn(&format!("{name} is running but refused the service URI's login: {e}"));
                self.ready[i] = Some(s);
            }
            postgres::Check::Unreachable(e) if !loopback && since.elapsed() >= UNREACHABLE_GRACE => {
                self.display.done(name, "RUNNING");
                printer.warn(&format!(
                    "{name} is RUNNING, but this machine cannot connect to it ({e}); it may only accept \
                     connections from allowed networks (ip_filter), so RUNNING is as far as avn can check"
                ));
                self.ready[i] = Some(s);
            }
            postgres::Check::Insecure(e) => {
                return Err(CliError::failed(format!("{name}: {e}"))
                    .hint("to accept an unverified certificate, pass --pg-insecure-tls (TLS stays required)")
                    .into());
            }
            postgres::Check::NotYet(e) | postgres::Check::Unreachable(e) => {
                self.display.note(name, &format!("RUNNING, checking connections ({e})"))
            }
        }
        Ok(())
    }

    /// Exit 3, naming what is still pending and how to wait again.
    fn timed_out(&mut self, timeout: Duration) -> anyhow::Error {
        self.display.finish();
        let pending: Vec<String> = self
            .names
            .iter()
            .zip(&self.ready)
            .filter(|(_, r)| r.is_none())
            .map(|(n, _)| format!("{n} ({})", display_state(&display_last(&self.display, n))))
            .collect();
        CliError::timeout(format!(
            "timed out after {} waiting for {}",
            crate::time::humanize(timeout),
            pending.join(", ")
        ))
        .hint(format!(
            "the services keep changing in the control plane; wait again with `avn service wait {}`",
            self.names.join(" ")
        ))
        .into()
    }
}

fn display_last(d: &WaitDisplay, name: &str) -> Option<Snapshot> {
    d.last(name)
}

fn display_state(s: &Option<Snapshot>) -> String {
    s.as_ref().map(|s| s.state.clone()).unwrap_or_else(|| "unknown".into())
}

/// Whether the API is on this machine (polls more often there).
fn is_loopback_url(url: &str) -> bool {
    match url::Url::parse(url).ok().and_then(|u| u.host().map(|h| h.to_owned())) {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}
