//! Values only the API knows: service, project, plan, cloud and backup names.
//!
//! They come from the cache when it is fresh (under a minute old). Otherwise the API is asked,
//! with [`BUDGET`] for everything together (connecting included); on success the cache is
//! rewritten, on any failure the stale entry (or nothing) is offered. When the API was too slow,
//! the caller starts a refresh in the background (the same request with [`REFRESH_BUDGET`]), so the
//! next Tab finds the names. Nothing is printed, nothing prompts, and the token goes nowhere but
//! the API.

use std::time::Duration;

use avn_client::Client;
use avn_client::RetryPolicy;
use tokio::time::Instant;

use super::cache::Cache;
use super::cache::Key;
use super::engine::Candidate;
use super::engine::Walk;
use crate::cli::GlobalArgs;
use crate::env_vars;
use crate::settings::Settings;

/// The longest a completion waits for the API, in all.
pub const BUDGET: Duration = Duration::from_millis(300);
/// The longest a background refresh waits for the API.
pub const REFRESH_BUDGET: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Services,
    Projects,
    Plans,
    Clouds,
    Backups,
    /// A recovery target: `latest`, `now`, and the source's backup times.
    Times,
}

/// Which arguments take live values: (command path or `*` for every command, argument id, kind).
pub const SLOTS: &[(&str, &str, Kind)] = &[
    ("*", "project", Kind::Projects),
    ("project switch", "name", Kind::Projects),
    ("service list", "names", Kind::Services),
    ("service get", "name", Kind::Services),
    ("service create", "fork_from", Kind::Services),
    ("service create", "service_to_fork_from", Kind::Services),
    ("service create", "project_to_fork_from", Kind::Projects),
    ("service create", "plan", Kind::Plans),
    ("service create", "cloud", Kind::Clouds),
    ("service fork", "source", Kind::Services),
    ("service fork", "source_project", Kind::Projects),
    ("service fork", "plan", Kind::Plans),
    ("service fork", "cloud", Kind::Clouds),
    ("service fork", "backup", Kind::Backups),
    ("service fork", "pitr", Kind::Times),
    ("service create", "pitr", Kind::Times),
    ("service create", "recovery_target_time", Kind::Times),
    ("service rename", "old", Kind::Services),
    ("service rename", "plan", Kind::Plans),
    ("service rename", "cloud", Kind::Clouds),
    ("service wait", "names", Kind::Services),
    ("service update", "name", Kind::Services),
    ("service update", "plan", Kind::Plans),
    ("service update", "cloud", Kind::Clouds),
    ("service terminate", "names", Kind::Services),
    ("service backup-list", "name", Kind::Services),
    ("service integration-list", "name", Kind::Services),
    ("service plans", "cloud", Kind::Clouds),
    ("service user-list", "name", Kind::Services),
    ("service user-get", "name", Kind::Services),
    ("service user-create", "name", Kind::Services),
    ("service user-delete", "name", Kind::Services),
    ("service user-password-reset", "name", Kind::Services),
    ("service user-creds-acknowledge", "name", Kind::Services),
    ("service user-set-access-control", "name", Kind::Services),
    ("service database-list", "name", Kind::Services),
    ("service database-create", "name", Kind::Services),
    ("service database-delete", "name", Kind::Services),
    ("service connection-pool-list", "name", Kind::Services),
    ("service connection-pool-create", "name", Kind::Services),
    ("service connection-pool-update", "name", Kind::Services),
    ("service connection-pool-delete", "name", Kind::Services),
    ("service logs", "name", Kind::Services),
    ("service current-queries", "name", Kind::Services),
    ("service queries", "name", Kind::Services),
    ("service cli", "name", Kind::Services),
    ("service tags list", "name", Kind::Services),
    ("service tags update", "name", Kind::Services),
    ("service tags replace", "name", Kind::Services),
    ("service connection-info pg uri", "name", Kind::Services),
    ("service connection-info pg string", "name", Kind::Services),
    ("service connection-info psql", "name", Kind::Services),
];

/// The kind of live values argument `id` of `command` takes, if any.
pub fn kind_of(command: &str, id: &str) -> Option<Kind> {
    SLOTS.iter().find(|(c, a, _)| (*c == "*" || *c == command) && *a == id).map(|(_, _, k)| *k)
}

/// The global options that say which API, token and project to use, as on the command line
/// being completed, else from the environment (as clap would read them).
fn global_args(walk: &Walk) -> GlobalArgs {
    let given = |id: &str, var: &str| walk.first(id).map(str::to_string).or_else(|| env_vars::get(var));
    GlobalArgs {
        url: given("url", env_vars::AIVEN_WEB_URL),
        auth_token: given("auth_token", env_vars::AIVEN_AUTH_TOKEN),
        project: given("project", env_vars::AIVEN_PROJECT),
        config: given("config", env_vars::AIVEN_CLIENT_CONFIG).map(Into::into),
        auth_ca: given("auth_ca", env_vars::AIVEN_CA_CERT).map(Into::into),
        insecure: walk.first("insecure").is_some(),
        ..GlobalArgs::default()
    }
}

/// The service a command works on, and the project it is in: what plans and backups belong to.
fn subject<'w>(walk: &'w Walk, project: &'w str) -> Option<(&'w str, &'w str)> {
    let (service, project_id) = match walk.command().as_str() {
        "service create" => (walk.first("fork_from").or(walk.first("service_to_fork_from"))?, "project_to_fork_from"),
        "service fork" => (walk.first("source")?, "source_project"),
        "service rename" => (walk.first("old")?, ""),
        "service update" => (walk.first("name")?, ""),
        _ => return None,
    };
    Some((service, walk.first(project_id).unwrap_or(project)))
}

/// Fetches within one deadline and keeps what it got.
struct Fetcher {
    settings: Settings,
    cache: Cache,
    budget: Duration,
    deadline: Instant,
    runtime: Option<tokio::runtime::Runtime>,
    client: Option<Client>,
    /// The first key whose fetch ran out of time.
    too_slow: Option<Key>,
}

impl Drop for Fetcher {
    fn drop(&mut self) {
        // A resolver thread may still be blocked on DNS: do not wait for it.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Fetcher {
    fn key(&self, kind: &'static str, project: &str, arg: &str) -> Key {
        Key { url: self.settings.url.clone(), project: project.to_string(), kind, arg: arg.to_string() }
    }

    fn client(&mut self) -> Option<&Client> {
        if self.client.is_none() {
            let s = &self.settings;
            let ca_pem = match &s.ca_cert {
                Some(p) => Some(std::fs::read(p).ok()?),
                None => None,
            };
            self.client = Client::builder()
                .base_url(&s.url)
                .token(s.token.clone())
                .ca_pem(ca_pem)
                .insecure(s.insecure)
                .request_timeout(Some(self.budget))
                .retry(RetryPolicy { attempts: 1, ..RetryPolicy::default() })
                .user_agent(format!("avn/{}", env!("CARGO_PKG_VERSION")))
                .build()
                .ok();
        }
        self.client.as_ref()
    }

    /// The candidates for `key`: cached if fresh, else fetched by `fetch` (stale ones if that fails).
    fn get<F, Fut>(&mut self, key: Key, fetch: F) -> Vec<Candidate>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<Vec<Candidate>, avn_client::Error>>,
    {
        let cached = self.cache.get(&key);
        if let Some(c) = &cached {
            if c.fresh {
                return c.items.clone();
            }
        }
        let stale = cached.map(|c| c.items).unwrap_or_default();
        if self.settings.token.is_none() {
            return stale;
        }
        if Instant::now() >= self.deadline {
            self.too_slow.get_or_insert(key);
            return stale;
        }
        let Some(client) = self.client().cloned() else { return stale };
        if self.runtime.is_none() {
            self.runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok();
        }
        let Some(rt) = &self.runtime else { return stale };
        let deadline = self.deadline;
        match rt.block_on(async { tokio::time::timeout_at(deadline, fetch(client)).await }) {
            Ok(Ok(mut items)) => {
                items.sort_by(|a, b| a.value.cmp(&b.value));
                self.cache.put(&key, &items);
                items
            }
            Ok(Err(e)) if !matches!(e, avn_client::Error::Timeout { .. }) => stale,
            _ => {
                self.too_slow.get_or_insert(key);
                stale
            }
        }
    }

    fn services(&mut self, project: &str) -> Vec<Candidate> {
        let key = self.key("services", project, "");
        let p = project.to_string();
        self.get(key, |c| async move {
            Ok(c.service_list(&p)
                .await?
                .into_iter()
                .map(|s| Candidate::new(s.service_name, service_help(&s.service_type, &s.state.to_string())))
                .collect())
        })
    }

    fn projects(&mut self) -> Vec<Candidate> {
        let key = self.key("projects", "", "");
        self.get(key, |c| async move {
            Ok(c.project_list().await?.into_iter().map(|p| Candidate::new(p.project_name, "")).collect())
        })
    }

    fn plans(&mut self, project: &str, service_type: &str) -> Vec<Candidate> {
        let key = self.key("plans", project, service_type);
        let (p, t) = (project.to_string(), service_type.to_string());
        self.get(key, |c| async move {
            Ok(c.service_plans(&p, &t)
                .await?
                .into_iter()
                .map(|plan| {
                    let nodes =
                        if plan.node_count == 1 { "1 node".to_string() } else { format!("{} nodes", plan.node_count) };
                    let backups = if plan.supports_pitr() {
                        "point-in-time recovery"
                    } else if plan.has_backups() {
                        "backups"
                    } else {
                        "no backups"
                    };
                    Candidate::new(plan.service_plan, format!("{nodes}, {backups}"))
                })
                .collect())
        })
    }

    fn clouds(&mut self) -> Vec<Candidate> {
        let key = self.key("clouds", "", "");
        self.get(key, |c| async move {
            Ok(c.clouds().await?.into_iter().map(|cl| Candidate::new(cl.cloud_name, cl.cloud_description)).collect())
        })
    }

    fn backups(&mut self, project: &str, service: &str) -> Vec<Candidate> {
        let key = self.key("backups", project, service);
        let (p, s) = (project.to_string(), service.to_string());
        self.get(key, |c| async move {
            Ok(c.service_backups(&p, &s)
                .await?
                .backups
                .into_iter()
                .map(|b| Candidate::new(b.backup_name, b.backup_time))
                .collect())
        })
    }
}

/// A service's description: its type, then its state. Plans of a fork go by the first word.
fn service_help(service_type: &str, state: &str) -> String {
    format!("{service_type} {state}")
}

fn service_type_of(c: &Candidate) -> Option<&str> {
    c.help.split(' ').next().filter(|t| !t.is_empty())
}

/// Live candidates, and whether the API was too slow for them (a refresh in the background would
/// have them next time).
#[derive(Default)]
pub struct Answer {
    pub items: Vec<Candidate>,
    pub too_slow: bool,
}

/// The live candidates of `kind` for the command line in `walk`, starting with `current`,
/// waiting at most `budget` for the API.
pub fn candidates(kind: Kind, walk: &Walk, current: &str, budget: Duration) -> Answer {
    let Ok(settings) = Settings::resolve(&global_args(walk)) else { return Answer::default() };
    let project = settings.project.clone().unwrap_or_default();
    let mut f = Fetcher {
        settings,
        cache: Cache::user(),
        budget,
        deadline: Instant::now() + budget,
        runtime: None,
        client: None,
        too_slow: None,
    };
    let mut items = match kind {
        Kind::Projects => f.projects(),
        Kind::Clouds => f.clouds(),
        Kind::Services => {
            let in_project = match walk.command().as_str() {
                "service create" => walk.first("project_to_fork_from"),
                "service fork" => walk.first("source_project"),
                _ => None,
            };
            match in_project.unwrap_or(&project) {
                "" => vec![],
                p => f.services(p),
            }
        }
        Kind::Plans => {
            let given = walk.first("service_type").map(|t| t.split(':').next().unwrap_or(t).to_string());
            let service_type = given.or_else(|| {
                let (service, in_project) = subject(walk, &project)?;
                let services = f.services(in_project);
                let found = services.into_iter().find(|c| c.value == service)?;
                service_type_of(&found).map(str::to_string)
            });
            match (service_type, project.as_str()) {
                (Some(t), p) if !p.is_empty() => f.plans(p, &t),
                _ => vec![],
            }
        }
        Kind::Backups => match subject(walk, &project) {
            Some((service, p)) if !p.is_empty() => f.backups(p, service),
            _ => vec![],
        },
        Kind::Times => {
            let mut times =
                vec![Candidate::new("latest", "the latest transaction"), Candidate::new("now", "this instant")];
            // The newest backups first: each is an instant a fork reaches from that backup alone.
            if let Some((service, p)) = subject(walk, &project).filter(|(_, p)| !p.is_empty()) {
                let mut backups = f.backups(p, service);
                backups.reverse();
                times
                    .extend(backups.into_iter().take(5).map(|b| Candidate::new(b.help, format!("end of {}", b.value))));
            }
            times
        }
    };
    // A fork (or a rename's) needs a plan with backups: the others would be refused.
    let forking = match walk.command().as_str() {
        "service fork" | "service rename" => true,
        "service create" => walk.first("fork_from").or(walk.first("service_to_fork_from")).is_some(),
        _ => false,
    };
    if kind == Kind::Plans && forking {
        items.retain(|c| !c.help.ends_with("no backups"));
    }
    // Names already on the line (`wait a b`, `terminate a b`) are not offered again.
    let given = match walk.command().as_str() {
        "service wait" | "service terminate" | "service list" => walk.get("names").to_vec(),
        _ => vec![],
    };
    items.retain(|c| c.value.starts_with(current) && !given.contains(&c.value));
    let too_slow = f.too_slow.take().is_some_and(|k| f.cache.claim_refresh(&k));
    Answer { items, too_slow }
}

/// Forget the cached service names of `project` at `url`, after a command created, renamed or
/// deleted a service, so the next completion asks the API.
pub fn forget_services(url: &str, project: &str) {
    Cache::user().forget(&Key {
        url: url.to_string(),
        project: project.to_string(),
        kind: "services",
        arg: String::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slot_names_a_real_argument() {
        let mut root = crate::cli::command();
        root.build();
        for (path, id, _) in SLOTS {
            let mut cmd = &root;
            if *path != "*" {
                for name in path.split(' ') {
                    cmd = cmd.find_subcommand(name).unwrap_or_else(|| panic!("no command {path}"));
                }
            }
            assert!(cmd.get_arguments().any(|a| a.get_id() == *id), "{path} has no argument {id}");
        }
    }

    #[test]
    fn every_service_and_plan_argument_completes() {
        // Any argument named like a service or plan that is not in the table is a forgotten slot.
        let mut root = crate::cli::command();
        root.build();
        let service = root.find_subcommand("service").unwrap();
        for sub in service.get_subcommands() {
            let path = format!("service {}", sub.get_name());
            for arg in sub.get_arguments() {
                let id = arg.get_id().as_str();
                let wanted = match id {
                    "plan" => Some(Kind::Plans),
                    "cloud" => Some(Kind::Clouds),
                    "name" | "names" | "source" | "old" if path != "service create" => Some(Kind::Services),
                    _ => None,
                };
                if let Some(k) = wanted {
                    assert_eq!(kind_of(&path, id), Some(k), "{path} {id}");
                }
            }
        }
        assert_eq!(kind_of("service create", "name"), None, "a new name has nothing to complete");
        assert_eq!(kind_of("service get", "project"), Some(Kind::Projects));
    }
}
