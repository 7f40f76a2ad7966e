//! Resolve global options once: flag > environment > config file > default.
//!
//! Clap has already merged flags and their environment variables; this adds the files.

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::GlobalArgs;
use crate::config::JsonFile;
use crate::dirs;
use crate::env_vars;
use crate::local_state;

#[derive(Debug)]
pub struct Settings {
    pub config_dir: PathBuf,
    /// Set when commands talk to the local control plane (after `avn local up`).
    pub local: Option<local_state::Active>,
    pub url: String,
    pub token: Option<String>,
    pub project: Option<String>,
    /// The project given with `--project` or `AIVEN_PROJECT` (not the configured default): what
    /// the official client's commands that take no default read.
    pub explicit_project: Option<String>,
    pub client_config: JsonFile,
    pub credentials: JsonFile,
    pub ca_cert: Option<PathBuf>,
    /// `AIVEN_FORCE=true`.
    pub force_env: bool,
    pub show_http: bool,
    pub request_timeout: Option<Duration>,
    pub insecure: bool,
    /// `--pg-insecure-tls`.
    pub pg_insecure_tls: bool,
    pub retry_base: Duration,
}

impl Settings {
    pub fn resolve(g: &GlobalArgs) -> anyhow::Result<Settings> {
        let dir = dirs::config_dir();
        let client_config_path = g.config.clone().unwrap_or_else(|| dir.join("aiven-client.json"));
        let credentials_path = env_vars::get(env_vars::AIVEN_CREDENTIALS_FILE)
            .map(PathBuf::from)
            .unwrap_or_else(|| dir.join("aiven-credentials.json"));
        let client_config = JsonFile::load(&client_config_path)?;
        let credentials = JsonFile::load(&credentials_path)?;
        let explicit_url = g.url.clone().filter(|u| !u.is_empty());
        let local = if explicit_url.is_none() { local_state::active(&dir) } else { None };
        if let Some(a) = &local {
            return Ok(Settings {
                url: a.url.clone(),
                token: avn_local::LocalDir::new(&a.data_dir).token(),
                project: g.project.clone().filter(|p| !p.is_empty()).or_else(|| Some(a.project.clone())),
                explicit_project: g.project.clone().filter(|p| !p.is_empty()),
                client_config,
                credentials,
                ca_cert: None,
                force_env: env_vars::get(env_vars::AIVEN_FORCE).as_deref() == Some("true"),
                show_http: g.show_http,
                request_timeout: g.request_timeout,
                insecure: false,
                pg_insecure_tls: g.pg_insecure_tls,
                retry_base: retry_base(),
                config_dir: dir,
                local,
            });
        }
        let token = g
            .auth_token
            .clone()
            .filter(|t| !t.is_empty())
            .or_else(|| credentials.get_str("auth_token").map(str::to_string));
        let project = g
            .project
            .clone()
            .filter(|p| !p.is_empty())
            .or_else(|| client_config.get_str("default_project").map(str::to_string));
        let url = g.url.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| avn_client::DEFAULT_URL.to_string());
        Ok(Settings {
            url,
            token,
            project,
            explicit_project: g.project.clone().filter(|p| !p.is_empty()),
            client_config,
            credentials,
            ca_cert: g.auth_ca.clone(),
            force_env: env_vars::get(env_vars::AIVEN_FORCE).as_deref() == Some("true"),
            show_http: g.show_http,
            request_timeout: g.request_timeout,
            insecure: g.insecure,
            pg_insecure_tls: g.pg_insecure_tls,
            retry_base: retry_base(),
            config_dir: dir,
            local: None,
        })
    }
}

fn retry_base() -> Duration {
    env_vars::get(env_vars::AVN_RETRY_BASE_MS)
        .and_then(|v| v.parse::<u64>().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_millis(500))
}
