//! Forks: hold the source's backups and archive while the engine restores the fork
//! (`Engine::restore`), and check before a fork is accepted that it fits on the disk.

use std::sync::Arc;

use crate::error::OpError;
use crate::manager::Manager;
use crate::store::ServiceRec;

/// Room a fork of `source` needs on the disk of the instances, and what is free there, in
/// bytes. Checked before a fork is accepted, so that a fork (or a rename's, before it stops
/// writes) is refused up front rather than failing with the disk full, next to the running
/// services. `AVN_LOCAL_FORK_SPACE_CHECK=off` turns the check off (tests of a disk that fills up
/// during a fork).
pub fn space(m: &Manager, source: &ServiceRec) -> Option<(u64, u64)> {
    if std::env::var("AVN_LOCAL_FORK_SPACE_CHECK").is_ok_and(|v| v == "off") {
        return None;
    }
    let fs = nix::sys::statvfs::statvfs(&m.instances).ok()?;
    let free = fs.blocks_available() as u64 * fs.fragment_size() as u64;
    Some((m.engine_of(source).ok()?.fork_needs_bytes(m, source), free))
}

/// Run a registered fork; the source's backups are held (not rotated) meanwhile.
pub async fn run(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), OpError> {
    let fork = rec.fork.as_ref().ok_or(OpError::NoForkOrigin)?;
    // Held since the fork was accepted; again after a restart (idempotent).
    m.hold(&fork.source_id, &rec.id);
    let result = m.engine_of(rec)?.restore(m, rec, fork).await;
    m.release(&fork.source_id, &rec.id);
    result?;
    set_passwords(m, rec).await
}

/// Give each user of the restored fork the password the fork's record shows (the one it had at
/// the target): a password changed on the source around the target instant is settled one way,
/// and the shown password always works.
async fn set_passwords(m: &Arc<Manager>, rec: &ServiceRec) -> Result<(), OpError> {
    let rec = m.store(|s| s.service_by_id(&rec.id))?.ok_or(OpError::ServiceGone)?;
    let (_, users) = m.engine_of(&rec)?.inventory(m, &rec).await?;
    let passwords = super::inventory::current_passwords(m, &rec)?;
    for (user, password) in passwords.iter().filter(|(u, _)| users.contains(u)) {
        m.engine_of(&rec)?.set_password(m, &rec, user, password).await?;
    }
    Ok(())
}
