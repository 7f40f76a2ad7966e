//! What can go wrong in a rename step, by kind; the PostgreSQL or I/O cause is kept.

use std::path::PathBuf;

use crate::pg::PgError;

#[derive(Debug, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Pg(#[from] PgError),
    #[error("cannot make {db} read-only")]
    MakeReadOnly { db: String, source: PgError },
    #[error("cannot end other sessions")]
    EndSessions(#[source] PgError),
    #[error("unexpected error while proving {db} is read-only")]
    Probe { db: String, source: PgError },
    #[error("a write to {db} in a fresh session succeeded: writes are not stopped")]
    StillWritable { db: String },
    #[error("cannot restore writes on {db}")]
    RestoreWrites { db: String, source: PgError },
    #[error("a write to {db} still fails")]
    StillReadOnly { db: String, source: PgError },
    #[error("cannot count {table}")]
    Count { table: String, source: PgError },
    #[error("cannot {action} {}", path.display())]
    File { action: &'static str, path: PathBuf, source: std::io::Error },
    #[error("cannot write or read the rename's fence")]
    Fence(#[source] PgError),
    #[error("the WAL segment {segment} holding the fence was not archived within {timeout:?}")]
    FenceNotArchived { segment: String, timeout: std::time::Duration },
    #[error("no randomness for the fence id: {0}")]
    Random(String),
    #[error("cannot run --repoint-exec")]
    ExecSpawn(#[source] std::io::Error),
    #[error("--repoint-exec exited with {0}")]
    ExecFailed(std::process::ExitStatus),
}
