//! The durable step log of one rename, for resume and rollback.
//!
//! One JSON file per rename under `<data>/renames/` (the platform data directory, or
//! `AVN_DATA_DIR`), rewritten atomically (temp file + rename) whenever a step starts or ends, so
//! a crash, Ctrl-C, `kill -9` or network loss leaves a file that says exactly how far it got.

use std::path::PathBuf;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;

use super::Options;
use super::Snapshot;
use crate::config::write_atomic;

/// The journal format this avn writes; it reads this one and the ones before it.
pub const VERSION: u32 = 2;

/// The steps of a rename, in order (written in the journal as `stop_writes` and so on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    Preflight,
    StopWrites,
    Fork,
    OpenWrites,
    Verify,
    Repoint,
    Delete,
}

impl StepName {
    /// Every step, in order.
    pub const ALL: [StepName; 7] = [
        StepName::Preflight,
        StepName::StopWrites,
        StepName::Fork,
        StepName::OpenWrites,
        StepName::Verify,
        StepName::Repoint,
        StepName::Delete,
    ];

    /// As the journal and the failpoints name it: `stop_writes`.
    pub fn as_str(self) -> &'static str {
        match self {
            StepName::Preflight => "preflight",
            StepName::StopWrites => "stop_writes",
            StepName::Fork => "fork",
            StepName::OpenWrites => "open_writes",
            StepName::Verify => "verify",
            StepName::Repoint => "repoint",
            StepName::Delete => "delete",
        }
    }

    /// As a person reads it: `stop writes`.
    pub fn label(self) -> String {
        self.as_str().replace('_', " ")
    }

    /// Its place, from 1.
    pub fn number(self) -> usize {
        StepName::ALL.iter().position(|s| *s == self).expect("listed") + 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Started,
    Done,
    Skipped,
    Failed,
    Undone,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Step {
    pub name: StepName,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
    /// Working time: from start to finish, less `waited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
    /// Time spent waiting for a person (a confirmation prompt), not counted in `seconds`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waited: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    InProgress,
    Done,
    RolledBack,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Journal {
    pub version: u32,
    pub url: String,
    pub project: String,
    pub old: String,
    pub new: String,
    pub state: State,
    pub created: String,
    /// The rename's id: the lease it holds on OLD and NEW (`avn_api::lease`). Journals written
    /// before leases have none; a resume gives them one.
    #[serde(default)]
    pub lease: Option<String>,
    /// The options the rename was started with (a resume uses these). Typed: a journal whose
    /// options do not read is refused, never resumed with defaults (which would delete OLD).
    pub options: Options,
    /// What OLD looked like before anything changed (type, plan, URI parts, inventory, integrations).
    #[serde(default)]
    pub old_snapshot: Option<Snapshot>,
    /// The exact create request for NEW.
    #[serde(default)]
    pub fork_request: Value,
    /// Databases whose default this rename made read-only on OLD (not those that already were):
    /// the only ones a rollback opens again.
    #[serde(default)]
    pub read_only_databases: Vec<String>,
    /// Whether `read_only_databases` was decided (before the first change): a stop-writes step
    /// run again after a crash keeps that list instead of reading the databases it already changed
    /// as read-only from before.
    #[serde(default)]
    pub read_only_recorded: bool,
    /// Databases already read-only on OLD because an earlier rename kept it (`--keep-source`):
    /// NEW is opened for writes on these too, and OLD stays as it was.
    #[serde(default)]
    pub inherited_read_only: Vec<String>,
    #[serde(default)]
    pub created_new: bool,
    /// Whether NEW was created with this rename's lease (journals from before leases: not).
    #[serde(default)]
    pub new_leased: bool,
    /// The `create_time` of OLD and of the NEW this rename created: the API has no service id, so
    /// a name plus its creation time is what tells this rename's services from same-named others.
    #[serde(default)]
    pub old_created: Option<String>,
    /// The id of the fence row written on OLD after writes stopped (PostgreSQL).
    #[serde(default)]
    pub fence: Option<String>,
    /// The WAL segment that holds the fence, where it could be read.
    #[serde(default)]
    pub fence_segment: Option<String>,
    #[serde(default)]
    pub new_created: Option<String>,
    /// OLD's fingerprint once verified (`postgres::fingerprint`): the delete step deletes OLD
    /// only while it is unchanged.
    #[serde(default)]
    pub verified_fingerprint: Option<std::collections::BTreeMap<String, String>>,
    /// OLD's expiry as it was just before OLD was deleted (outer None: not read yet; inner None:
    /// no expiry): what NEW gets when the rename has finished.
    #[serde(default)]
    pub final_expiry: Option<Option<String>>,
    #[serde(default)]
    pub removed_termination_protection: bool,
    pub steps: Vec<Step>,
    #[serde(skip)]
    pub path: PathBuf,
}

/// `<data>/renames/<project>--<old>--<new>.json`.
pub fn path_for(project: &str, old: &str, new: &str) -> PathBuf {
    crate::dirs::data_dir().join("renames").join(format!("{project}--{old}--{new}.json"))
}

/// Held while one avn works on a rename (runs, resumes or aborts it): a second one on the same
/// machine is refused at once instead of writing the same journal.
pub struct Lock(#[allow(dead_code)] nix::fcntl::Flock<std::fs::File>);

/// Take the rename's lock (`<journal>.lock`), or refuse (exit 2) when another avn holds it.
pub fn lock(project: &str, old: &str, new: &str) -> anyhow::Result<Lock> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = path_for(project, old, new).with_extension("lock");
    if let Some(dir) = path.parent() {
        crate::config::create_private_dir(dir)?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot open {}", path.display())))?;
    match nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(l) => Ok(Lock(l)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Err(crate::error::CliError::usage(format!(
            "another avn is working on the rename of '{old}' to '{new}' right now (running, resuming or aborting it); nothing was changed"
        ))
        .hint("wait for it to end, then look again")
        .into()),
        Err((_, e)) => Err(anyhow::Error::new(e).context(format!("cannot lock {}", path.display()))),
    }
}

impl Journal {
    pub fn new(url: &str, project: &str, old: &str, new: &str, options: Options, lease: String) -> Journal {
        Journal {
            version: VERSION,
            url: url.to_string(),
            project: project.to_string(),
            old: old.to_string(),
            new: new.to_string(),
            state: State::InProgress,
            created: jiff::Timestamp::now().to_string(),
            lease: Some(lease),
            options,
            old_snapshot: None,
            fork_request: Value::Null,
            read_only_databases: vec![],
            read_only_recorded: false,
            inherited_read_only: vec![],
            created_new: false,
            new_leased: false,
            old_created: None,
            fence: None,
            fence_segment: None,
            new_created: None,
            verified_fingerprint: None,
            final_expiry: None,
            removed_termination_protection: false,
            steps: StepName::ALL
                .iter()
                .map(|s| Step {
                    name: *s,
                    status: StepStatus::Pending,
                    started: None,
                    finished: None,
                    seconds: None,
                    waited: None,
                    detail: None,
                })
                .collect(),
            path: path_for(project, old, new),
        }
    }

    pub fn load(project: &str, old: &str, new: &str) -> anyhow::Result<Option<Journal>> {
        Journal::load_from(path_for(project, old, new))
    }

    /// The journal at `path`, if there is one; an error naming the file when it does not read.
    pub fn load_from(path: PathBuf) -> anyhow::Result<Option<Journal>> {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
        };
        let bad = |why: String| {
            crate::error::CliError::failed(format!("{} cannot be read as a rename journal: {why}", path.display()))
                .hint("nothing was changed; if the rename is abandoned, check OLD and NEW with `avn service get`, then remove the file")
        };
        let version = serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| bad(e.to_string()))?
            .get("version")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("it has no version".into()))?;
        if version > u64::from(VERSION) {
            return Err(bad(format!(
                "it is version {version}, written by a newer avn (this one reads up to {VERSION})"
            ))
            .into());
        }
        let mut j: Journal = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
        if j.steps.iter().map(|s| s.name).ne(StepName::ALL) {
            return Err(bad("its steps are not the seven steps of a rename, in order".into()).into());
        }
        j.path = path;
        Ok(Some(j))
    }

    pub fn save(&self) -> anyhow::Result<()> {
        write_atomic(&self.path, serde_json::to_string_pretty(self)?.as_bytes(), 0o600)
    }

    pub fn step(&self, name: StepName) -> &Step {
        self.steps.iter().find(|s| s.name == name).expect("known step")
    }

    fn step_mut(&mut self, name: StepName) -> &mut Step {
        self.steps.iter_mut().find(|s| s.name == name).expect("known step")
    }

    /// Record that a step started, durably, before it does anything.
    pub fn start(&mut self, name: StepName) -> anyhow::Result<()> {
        let s = self.step_mut(name);
        s.status = StepStatus::Started;
        s.started = Some(jiff::Timestamp::now().to_string());
        self.save()
    }

    /// Record time a step spent waiting for a person; its `seconds` leave it out.
    pub fn waited(&mut self, name: StepName, d: std::time::Duration) {
        let s = self.step_mut(name);
        s.waited = Some(s.waited.unwrap_or(0.0) + d.as_secs_f64());
    }

    /// Record a step's outcome, durably.
    pub fn finish(&mut self, name: StepName, status: StepStatus, detail: Option<String>) -> anyhow::Result<()> {
        let now = jiff::Timestamp::now();
        let s = self.step_mut(name);
        s.status = status;
        s.finished = Some(now.to_string());
        let waited = s.waited.unwrap_or(0.0);
        s.seconds = s
            .started
            .as_deref()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| (now.duration_since(t).as_millis() as f64 / 1000.0 - waited).max(0.0));
        if detail.is_some() {
            s.detail = detail;
        }
        self.save()
    }

    /// The first step not yet done.
    pub fn next_step(&self) -> Option<StepName> {
        self.steps.iter().find(|s| !matches!(s.status, StepStatus::Done | StepStatus::Skipped)).map(|s| s.name)
    }
}

#[cfg(test)]
mod tests;
