//! Everything a command needs, built once per run.

use std::cell::OnceCell;
use std::sync::Arc;

use anyhow::Context as _;
use avn_client::Client;
use avn_client::RetryPolicy;

use crate::error::CliError;
use crate::output::http_log::HttpLog;
use crate::output::Printer;
use crate::settings::Settings;

pub struct Context<'a> {
    pub settings: Settings,
    pub printer: &'a Printer,
    client: OnceCell<Client>,
}

impl<'a> Context<'a> {
    pub fn new(settings: Settings, printer: &'a Printer) -> Self {
        Context { settings, printer, client: OnceCell::new() }
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
        let observer: Option<Arc<dyn avn_client::Observer>> =
            Some(Arc::new(HttpLog { show_http: s.show_http, verbose: self.printer.verbosity() > 0 }));
        let client = Client::builder()
            .base_url(&s.url)
            .token(s.token.clone())
            .ca_pem(ca_pem)
            .request_timeout(s.request_timeout)
            .insecure(s.insecure)
            .user_agent(format!("avn/{}", env!("CARGO_PKG_VERSION")))
            .observer(observer)
            .retry(RetryPolicy { base_delay: s.retry_base, ..RetryPolicy::default() })
            .build()?;
        Ok(self.client.get_or_init(|| client))
    }

    /// The project to work in, or an error that says how to choose one.
    pub fn project(&self) -> Result<&str, CliError> {
        self.settings.project.as_deref().ok_or_else(|| {
            CliError::usage("no project given")
                .hint("pass --project NAME, set AIVEN_PROJECT, or choose a default with `avn project switch NAME`")
        })
    }

    /// Whether confirmations are skipped: a force flag, or `AIVEN_FORCE=true`.
    pub fn force(&self, flag: bool) -> bool {
        flag || self.settings.force_env
    }
}
