//! The rename lease: service tags that say a rename owns a service until it ends.
//!
//! A rename of OLD to NEW writes, on OLD, `avn_rename` = its journal id and `avn_rename_to` =
//! NEW; NEW is created with `avn_rename` = the same id and `avn_rename_from` = OLD. Tags live in
//! the control plane, so the lease holds across machines and clients. Every avn command that
//! deletes or replaces a service, or re-enables writes, reads it first; the local control plane
//! also enforces it: a delete of a leased service is refused (409), a lease is never changed to
//! another rename's id, and its expiry reaper waits. The tag is removed when the rename ends
//! (done, rolled back or aborted).
//!
//! A `--keep-source` rename leaves `avn_renamed_to` = NEW on OLD: OLD stays read-only on purpose,
//! and a fork of it is opened for writes.

use std::collections::BTreeMap;

/// The lease itself: the id of the rename's journal.
pub const TAG: &str = "avn_rename";
/// On OLD: the name the rename gives it.
pub const TO_TAG: &str = "avn_rename_to";
/// On NEW: the service it is a rename of.
pub const FROM_TAG: &str = "avn_rename_from";
/// On a source kept by a finished rename (`--keep-source`): the name it was renamed to.
pub const RENAMED_TO_TAG: &str = "avn_renamed_to";

/// The tags that belong to one rename and never travel with a copy of the service (a fork
/// with `copy_tags`).
pub const OWN_TAGS: &[&str] = &[TAG, TO_TAG, FROM_TAG, RENAMED_TO_TAG];

/// A lease as read from a service's tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The rename's id.
    pub id: String,
    /// The other service of the rename (NEW when read on OLD, OLD when read on NEW), if known.
    pub peer: Option<String>,
    /// Whether this service is the rename's OLD (it carries `avn_rename_to`).
    pub is_source: bool,
}

impl Lease {
    /// The lease in `tags`, if any.
    pub fn of(tags: &BTreeMap<String, String>) -> Option<Lease> {
        let id = tags.get(TAG).filter(|v| !v.is_empty())?.clone();
        let to = tags.get(TO_TAG).filter(|v| !v.is_empty());
        let from = tags.get(FROM_TAG).filter(|v| !v.is_empty());
        Some(Lease { id, peer: to.or(from).cloned(), is_source: to.is_some() })
    }

    /// `avn service rename OLD NEW` for this lease read on `service`, when both names are known.
    pub fn rename_command(&self, service: &str) -> Option<String> {
        let peer = self.peer.as_deref()?;
        let (old, new) = if self.is_source { (service, peer) } else { (peer, service) };
        Some(format!("avn service rename {old} {new}"))
    }

    /// What a refusal says about it: `a rename to 'b' (lease 1a2b3c4d)`.
    pub fn describe(&self) -> String {
        let short: String = self.id.chars().take(8).collect();
        match (&self.peer, self.is_source) {
            (Some(p), true) => format!("a rename to '{p}' (lease {short})"),
            (Some(p), false) => format!("a rename from '{p}' (lease {short})"),
            (None, _) => format!("a rename (lease {short})"),
        }
    }

    /// Where a refusal points: continue or undo the rename.
    pub fn hint(&self, service: &str) -> String {
        match self.rename_command(service) {
            Some(cmd) => format!(
                "wait for it to finish, continue it with `{cmd} --resume`, or undo it with `{cmd} --abort` (on the machine that started it; on another, --abort only releases the lease)"
            ),
            None => "wait for the rename to finish, or continue or abort it on the machine that started it".into(),
        }
    }
}

/// Why a change of tags is refused: it would hand a leased service to another rename.
pub fn check_change(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> Result<(), String> {
    match (before.get(TAG).filter(|v| !v.is_empty()), after.get(TAG).filter(|v| !v.is_empty())) {
        (Some(a), Some(b)) if a != b => Err(format!(
            "The service is under a rename (tag {TAG}={a}); it cannot be given to another one until that rename ends"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_the_lease_and_names_the_rename() {
        let old = Lease::of(&tags(&[(TAG, "0123456789abcdef"), (TO_TAG, "b"), ("env", "x")])).unwrap();
        assert_eq!(old.rename_command("a").unwrap(), "avn service rename a b");
        assert_eq!(old.describe(), "a rename to 'b' (lease 01234567)");
        let new = Lease::of(&tags(&[(TAG, "0123"), (FROM_TAG, "a")])).unwrap();
        assert_eq!(new.rename_command("b").unwrap(), "avn service rename a b");
        assert!(Lease::of(&tags(&[(TAG, "")])).is_none());
        assert!(Lease::of(&tags(&[("env", "x")])).is_none());
    }

    #[test]
    fn a_lease_is_taken_and_released_but_never_changed_hands() {
        let none = tags(&[]);
        let a = tags(&[(TAG, "a")]);
        let b = tags(&[(TAG, "b")]);
        assert!(check_change(&none, &a).is_ok());
        assert!(check_change(&a, &a).is_ok());
        assert!(check_change(&a, &none).is_ok());
        assert!(check_change(&a, &b).unwrap_err().contains("under a rename"));
    }
}
