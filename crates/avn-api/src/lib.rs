//! Wire types of the Aiven v1 REST API, shared by the `avn` client and the local control plane.
//!
//! Owns: the JSON shapes (responses, request bodies, the error body, wrapper keys) plus the
//! rules both sides apply to them: wire times (`time`), names (`names`) and secret masking
//! (`redact`). May use serde, serde_json and jiff only: no I/O, no HTTP, no async. Field names
//! and shapes follow api.aiven.io (see `shared/reference/aiven-api.md`). Response objects keep
//! the fields this crate does not model in an `extra` map, so a value read from the API and
//! written back out (`--json`) loses nothing; request types refuse unknown keys.

mod double_option;

pub mod backup;
pub mod catalog;
pub mod error;
pub mod expiry;
pub mod fork;
pub mod integration;
pub mod inventory;
pub mod lease;
pub mod names;
pub mod project;
pub mod redact;
pub mod service;
pub mod service_request;
pub mod time;
pub mod user;
pub mod wal;
pub mod wrap;
pub mod writes;

pub use backup::Backup;
pub use backup::BackupsResponse;
pub use backup::Pitr;
pub use backup::PitrRange;
pub use backup::ScheduledBackupTime;
pub use catalog::BackupConfig;
pub use catalog::Cloud;
pub use catalog::Plan;
pub use catalog::ServiceTypeInfo;
pub use catalog::ServiceVersion;
pub use error::ErrorBody;
pub use error::ErrorItem;
pub use fork::ForkKeys;
pub use integration::Integration;
pub use integration::IntegrationCreate;
pub use project::Project;
pub use project::ProjectCa;
pub use project::ProjectCreate;
pub use project::TechEmail;
pub use project::Vpc;
pub use service::Component;
pub use service::ConnectionInfo;
pub use service::ConnectionPool;
pub use service::Maintenance;
pub use service::NodeState;
pub use service::ProgressUpdate;
pub use service::Service;
pub use service::ServiceNotification;
pub use service::ServiceState;
pub use service::ServiceUser;
pub use service_request::MaintenanceWindow;
pub use service_request::ServiceCreate;
pub use service_request::ServiceUpdate;
pub use user::UserInfo;
