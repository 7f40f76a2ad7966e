//! Projects and their (always empty) VPC lists.

use avn_api::names::valid_project_name;
use avn_api::wrap;
use avn_api::Project;
use avn_api::ProjectCreate;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;

use super::error::ApiError;
use super::error::ApiResult;
use super::parse;
use super::require_project;
use super::AppState;
use crate::catalog;

fn project(name: &str) -> Project {
    Project {
        project_name: name.into(),
        account_id: Some("local".into()),
        default_cloud: Some(catalog::CLOUD.into()),
        cloud: Some(catalog::CLOUD.into()),
        // Nothing is billed here; the fields are there because clients read them.
        billing_currency: Some("USD".into()),
        vat_id: Some(String::new()),
        billing_address: Some(String::new()),
        country_code: Some(String::new()),
        billing_extra_text: Some(String::new()),
        extra: Default::default(),
    }
}

/// `GET /v1/me`: the one user of this control plane, whose token every client here holds.
pub async fn me(State(s): State<AppState>) -> ApiResult<Json<wrap::UserOut>> {
    let projects = s.manager.store(|st| st.projects())?;
    Ok(Json(wrap::UserOut {
        user: avn_api::UserInfo {
            user: "local@avn.local".into(),
            real_name: "avn local".into(),
            state: "active".into(),
            token_validity_begin: Some(s.started.to_string()),
            projects,
            auth: vec!["token".into()],
            extra: Default::default(),
        },
    }))
}

pub async fn list(State(s): State<AppState>) -> ApiResult<Json<wrap::ProjectsOut>> {
    let names = s.manager.store(|st| st.projects())?;
    Ok(Json(wrap::ProjectsOut { projects: names.iter().map(|n| project(n)).collect() }))
}

pub async fn get(State(s): State<AppState>, Path(p): Path<String>) -> ApiResult<Json<wrap::ProjectOut>> {
    require_project(&s, &p)?;
    Ok(Json(wrap::ProjectOut { project: project(&p) }))
}

pub async fn create(State(s): State<AppState>, body: Bytes) -> ApiResult<Json<wrap::ProjectOut>> {
    let body: ProjectCreate = parse(&body)?;
    let name = body.project.as_str();
    if !valid_project_name(name) {
        return Err(ApiError::bad_request(format!("Invalid project name '{name}'")));
    }
    if !s.manager.store(|st| st.create_project(name, &crate::manager::now()))? {
        return Err(ApiError::conflict(format!("Project '{name}' already exists")));
    }
    Ok(Json(wrap::ProjectOut { project: project(name) }))
}

/// The CA that signs every cluster's certificate (the same for every project).
pub async fn ca(State(s): State<AppState>, Path(p): Path<String>) -> ApiResult<Json<avn_api::ProjectCa>> {
    require_project(&s, &p)?;
    Ok(Json(avn_api::ProjectCa { certificate: s.manager.ca.cert_pem().to_string(), extra: Default::default() }))
}

pub async fn vpcs(State(s): State<AppState>, Path(p): Path<String>) -> ApiResult<Json<wrap::VpcsOut>> {
    require_project(&s, &p)?;
    Ok(Json(wrap::VpcsOut { vpcs: vec![] }))
}
