//! Mechanisms the `avn` CLI and the local control plane (`avn-local`) share, one of each:
//!
//! - [`crashsafe`]: replacing a file so that a crash or a full disk never leaves it half written;
//! - [`wait`]: polling for something until a deadline, with one message when it does not come.
//!
//! No HTTP, no database drivers: std and tokio's timer only.

pub mod crashsafe;
pub mod wait;
