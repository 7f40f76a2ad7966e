//! Wrapper keys of list and single-object responses (`{"service": {...}}`, `{"services": [...]}`).
//! The client decodes with these and the local server encodes with them.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::Serialize;

use crate::catalog::Cloud;
use crate::catalog::Plan;
use crate::catalog::ServiceTypeInfo;
use crate::catalog::ServiceVersion;
use crate::integration::Integration;
use crate::project::Project;
use crate::project::Vpc;
use crate::service::Service;

#[derive(Debug, Serialize, Deserialize)]
pub struct UserOut {
    pub user: crate::user::UserInfo,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceOut {
    pub service: Service,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct ServicesOut {
    pub services: Vec<Service>,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceTypesOut {
    pub service_types: BTreeMap<String, ServiceTypeInfo>,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct PlansOut {
    pub service_plans: Vec<Plan>,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct IntegrationsOut {
    pub service_integrations: Vec<Integration>,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct IntegrationOut {
    pub service_integration: Integration,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectsOut {
    pub projects: Vec<Project>,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct ProjectOut {
    pub project: Project,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct VpcsOut {
    pub vpcs: Vec<Vpc>,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct CloudsOut {
    pub clouds: Vec<Cloud>,
}
#[derive(Debug, Serialize, Deserialize)]
pub struct ServiceVersionsOut {
    pub service_versions: Vec<ServiceVersion>,
}
/// `GET`/`PUT /v1/project/{p}/service/{s}/tags`: the service's tags (a `PUT` replaces them all).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TagsOut {
    pub tags: std::collections::BTreeMap<String, String>,
}
/// A body that only says what happened, e.g. `{"message": "deleted"}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct MessageOut {
    pub message: String,
}
