//! Everything a command needs, built once per run.

use std::cell::OnceCell;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use avn_client::Client;
use avn_client::RetryPolicy;

use crate::error::CliError;
use crate::output::http_log::HttpLog;
use crate::output::Printer;
use crate::pg::ConnInfo;
use crate::pg::PgError;
use crate::pg::Trust;
use crate::settings::Settings;

pub struct Context<'a> {
    pub settings: Settings,
    pub printer: &'a Printer,
    client: OnceCell<Client>,
    /// What Ctrl-C during the current operation means (e.g. "the fork goes on; resume with ...").
    interrupt_hint: RefCell<Option<String>>,
    /// How PostgreSQL certificates are checked, per project (the project's CA is fetched once).
    pg_trust: RefCell<HashMap<String, Trust>>,
}

impl<'a> Context<'a> {
    pub fn new(settings: Settings, printer: &'a Printer) -> Self {
        Context {
            settings,
            printer,
            client: OnceCell::new(),
            interrupt_hint: RefCell::new(None),
            pg_trust: RefCell::new(HashMap::new()),
        }
    }

    /// How `sslmode=require` connections to `project`'s services are verified: against the
    /// project's CA when the control plane serves one (Aiven and avn local do), without checking
    /// the certificate under `--pg-insecure-tls` or when there is no CA (libpq's meaning).
    pub async fn pg_trust(&self, project: &str) -> Trust {
        if self.settings.pg_insecure_tls {
            return Trust::Insecure;
        }
        if let Some(t) = self.pg_trust.borrow().get(project) {
            return t.clone();
        }
        let trust = match self.client() {
            Ok(c) => match c.project_ca(project).await {
                Ok(pem) => Trust::ProjectCa(Arc::new(pem.into_bytes())),
                Err(e) => {
                    if self.printer.verbosity() > 0 {
                        self.printer.info(&format!(
                            "no CA for project '{project}' ({e}); sslmode=require encrypts without checking the certificate"
                        ));
                    }
                    Trust::Libpq
                }
            },
            Err(_) => Trust::Libpq,
        };
        self.pg_trust.borrow_mut().insert(project.to_string(), trust.clone());
        trust
    }

    /// A service URI parsed, with `project`'s TLS trust applied.
    pub async fn pg_conn(&self, project: &str, uri: &str) -> Result<ConnInfo, PgError> {
        Ok(ConnInfo::parse(uri)?.with_trust(self.pg_trust(project).await))
    }

    /// Say what an interruption from now on leaves behind and how to continue.
    pub fn set_interrupt_hint(&self, hint: String) {
        *self.interrupt_hint.borrow_mut() = Some(hint);
    }

    /// Like [`Context::set_interrupt_hint`], unless an enclosing operation (a rename) already said.
    pub fn set_interrupt_hint_if_unset(&self, hint: String) {
        self.interrupt_hint.borrow_mut().get_or_insert(hint);
    }

    /// The hint for an interruption now, if an operation gave one.
    pub fn interrupt_hint(&self) -> Option<String> {
        self.interrupt_hint.borrow().clone()
    }

    /// A client for the local control plane at `url` (`avn local up/status`): short timeouts and
    /// no retries, with the same HTTP log and user agent as every other client.
    pub fn local_client(&self, url: &str, token: Option<String>) -> anyhow::Result<Client> {
        Ok(self
            .builder()
            .base_url(url)
            .token(token)
            .request_timeout(Some(Duration::from_secs(10)))
            .retry(RetryPolicy { attempts: 1, ..RetryPolicy::default() })
            .build()?)
    }

    /// What every client shares: the HTTP log (`--show-http`, `-v`) and the user agent.
    fn builder(&self) -> avn_client::ClientBuilder {
        let observer: Option<Arc<dyn avn_client::Observer>> =
            Some(Arc::new(HttpLog { show_http: self.settings.show_http, verbose: self.printer.verbosity() > 0 }));
        Client::builder().user_agent(format!("avn/{}", env!("CARGO_PKG_VERSION"))).observer(observer)
    }

    /// The API client, built on first use.
    pub fn client(&self) -> anyhow::Result<&Client> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let s = &self.settings;
        if let (Some(local), true) = (&s.local, self.printer.verbosity() > 0) {
            self.printer.info(&format!(
                "using the local control plane at {} (data in {}); `avn local down` switches back",
                local.url,
                local.data_dir.display()
            ));
        }
        let ca_pem = match &s.ca_cert {
            Some(path) => {
                Some(std::fs::read(path).with_context(|| format!("cannot read CA certificate {}", path.display()))?)
            }
            None => None,
        };
        let client = self
            .builder()
            .base_url(&s.url)
            .token(s.token.clone())
            .ca_pem(ca_pem)
            .request_timeout(s.request_timeout)
            .insecure(s.insecure)
            .retry(RetryPolicy { base_delay: s.retry_base, ..RetryPolicy::default() })
            .build()?;
        Ok(self.client.get_or_init(|| client))
    }

    /// The project to work in, or an error that says how to choose one.
    pub fn project(&self) -> Result<&str, CliError> {
        self.settings.project.as_deref().ok_or_else(|| {
            CliError::usage("no project given")
                .hint("pass --project NAME, set AIVEN_PROJECT, or choose a default with `avn project switch NAME` (`avn project list` shows them)")
                .hint("no Aiven account? `avn local up` runs a local control plane with real PostgreSQL and a project")
        })
    }

    /// Say that `project`'s services changed (one was created or deleted), so shell completion asks
    /// the API again instead of offering cached names.
    pub fn services_changed(&self, project: &str) {
        crate::complete::forget_services(&self.settings.url, project);
    }

    /// Whether confirmations are skipped: a force flag, or `AIVEN_FORCE=true`.
    pub fn force(&self, flag: bool) -> bool {
        flag || self.settings.force_env
    }
}
