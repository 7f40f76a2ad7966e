//! A fork as resolved values: what `service fork`, `service create --fork-from` and a rename each
//! turn their own arguments into.

use std::time::Duration;

use avn_api::Service;

use crate::time::Target;

/// Everything a fork needs, resolved: no clap types, no defaults left to apply but the source's.
#[derive(Debug, Clone)]
pub struct ForkRequest {
    /// Fork this service...
    pub source: String,
    /// ...of this project.
    pub source_project: String,
    /// Create the fork in this project.
    pub project: String,
    /// Name the fork.
    pub new: String,
    /// The instant to restore (or the latest transaction).
    pub target: Target,
    /// Restore from this named backup instead.
    pub backup: Option<String>,
    /// Take a backup of the source now and restore from it (types forked from backups).
    pub latest_snapshot: bool,
    /// Check the source has this type.
    pub service_type: Option<String>,
    /// The fork's plan and cloud [default: the source's].
    pub plan: Option<String>,
    pub cloud: Option<String>,
    pub disk_space_gib: Option<u64>,
    /// `-c KEY=VALUE` options, typed by the schema.
    pub config_options: Vec<String>,
    pub copy_integrations: bool,
    pub copy_tags: bool,
    pub termination_protection: bool,
    /// Adopt NEW when it already is a fork of the source.
    pub if_not_exists: bool,
    /// Check and print, create nothing.
    pub dry_run: bool,
    /// Wait until the fork is ready, for at most this long; `None` returns once it is accepted.
    pub wait: Option<Duration>,
    /// When the fork expires (the `avn_expires_at` tag).
    pub expires_at: Option<jiff::Timestamp>,
    /// Where to write the fork's URI once it is ready.
    pub env_file: Option<crate::env_file::EnvFile>,
    /// Replace NEW when it is a fork of the source (terminate it, fork again under its name).
    pub replace: bool,
    /// Skip the confirmation `replace` asks for.
    pub yes: bool,
    /// Tags for the fork besides the expiry (carried over from the NEW that `replace` replaces).
    pub tags: std::collections::BTreeMap<String, String>,
    /// SQL files to run on the fork before it is reported ready.
    pub run_sql: Vec<super::run_sql::SqlFile>,
    /// Keep the fork when a `run_sql` file fails (default: terminate it).
    pub keep_on_failure: bool,
}

impl ForkRequest {
    /// A fork of `source` into `new` within `project`, to the latest transaction, with every
    /// other choice left to the source's defaults.
    pub fn new(project: &str, source: &str, new: &str) -> ForkRequest {
        ForkRequest {
            source: source.to_string(),
            source_project: project.to_string(),
            project: project.to_string(),
            new: new.to_string(),
            target: Target::Latest,
            backup: None,
            latest_snapshot: false,
            service_type: None,
            plan: None,
            cloud: None,
            disk_space_gib: None,
            config_options: vec![],
            copy_integrations: false,
            copy_tags: false,
            termination_protection: false,
            if_not_exists: false,
            dry_run: false,
            wait: Some(crate::readiness::DEFAULT_TIMEOUT),
            expires_at: None,
            env_file: None,
            replace: false,
            yes: false,
            tags: Default::default(),
            run_sql: vec![],
            keep_on_failure: false,
        }
    }

    /// Whether `s` is a fork of this request's source (as its user_config records).
    pub fn is_fork_of_source(&self, s: &Service) -> bool {
        let keys = avn_api::ForkKeys::read(&s.user_config);
        let from_project = keys.project.unwrap_or_else(|| self.project.clone());
        keys.service.as_deref() == Some(self.source.as_str()) && from_project == self.source_project
    }
}

/// `a pg service on plan startup-4 (RUNNING), a fork of 'db1'`.
pub fn describe(s: &Service) -> String {
    let origin = match s.forked_from() {
        Some(f) => format!(", a fork of '{f}'"),
        None => ", not a fork".to_string(),
    };
    format!("a {} service on plan {} ({}){origin}", s.service_type, s.plan, s.state)
}
