//! avn local's own endpoints for renames (`/v1/project/{p}/service/{s}/avn-local/...`), which
//! Aiven has not:
//! - `writes`: stop or open a MySQL or Caching service's writes. A MySQL service's `avnadmin`
//!   cannot stop writes itself (`read_only` needs `READ_ONLY ADMIN`, which it does not hold, so
//!   that it cannot lift it either); a Caching service's users cannot change ACLs.
//! - `digest`: a Caching service's key count and digest (with `DEBUG DIGEST-VALUE`, which its users
//!   may not run); `fence`: its fence key, whatever its users may read.
//! - `backup`: a backup now (a Caching fork restores a named snapshot; a rename takes a fresh one).

use serde::Deserialize;
use serde::Serialize;

/// `GET`: whether writes are stopped; `POST`: what changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct WritesState {
    /// `read_only` is on (and stays on across restarts until it is lifted here).
    pub stopped: bool,
    /// Sessions of application users ended by this request.
    #[serde(default)]
    pub sessions_ended: u64,
    /// `GET`, Caching: how many write commands the server has run since it started (scripts'
    /// and transactions' included; expiry and eviction are not commands). A rename checks that it
    /// has not moved since OLD was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_calls: Option<u64>,
}

/// `POST`: stop writes (then commit the fence row `fence`, as the control plane's own
/// administrator, and end other sessions again), or lift the stop; `remove_fence` drops the fence
/// table first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WritesChange {
    pub stopped: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fence: Option<String>,
    #[serde(default)]
    pub remove_fence: bool,
    /// The rename's lease id: a service under a rename's lease has its stop lifted only by that
    /// rename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<String>,
}

/// The fence table a rename writes on a MySQL service (in `defaultdb`).
pub const MYSQL_FENCE_TABLE: &str = "defaultdb.avn_rename_fence";

/// The fence key a rename writes on a Caching service (as the control plane's own user).
pub const VALKEY_FENCE_KEY: &str = "avn:rename-fence";

/// `GET .../avn-local/digest?cutoff=MS`: what a Caching service holds, to compare a fork with its
/// source. Keys that expire by `cutoff` (UNIX milliseconds) are left out.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Digest {
    /// Keys in every database that do not expire by `cutoff`.
    pub keys: u64,
    /// The same for the same keys (database, name, value, exact expiry time), in any order.
    pub digest: String,
    pub cutoff: i64,
}

/// `GET .../avn-local/fence`: the value of a Caching service's fence key [`VALKEY_FENCE_KEY`], read
/// by the control plane (whatever the service's users may read).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Fence {
    pub fence: Option<String>,
}
