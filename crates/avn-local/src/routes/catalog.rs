//! Clouds, service types, plans and versions: what this control plane offers.

use avn_api::wrap;
use avn_api::ServiceTypeInfo;
use avn_api::ServiceVersion;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;

use super::error::ApiError;
use super::error::ApiResult;
use super::require_project;
use super::AppState;
use crate::catalog;
use crate::engines::Engine;

fn type_info(s: &AppState, engine: &Engine, with_plans: bool) -> ServiceTypeInfo {
    catalog::service_type_info(engine, with_plans, s.manager.backup_interval_hours())
}

fn require_type<'a>(s: &'a AppState, t: &str) -> ApiResult<&'a Engine> {
    s.manager.engine(t).map_err(|e| ApiError::not_found(e.to_string()))
}

pub async fn clouds() -> Json<wrap::CloudsOut> {
    Json(wrap::CloudsOut { clouds: catalog::clouds() })
}

pub async fn service_types(State(s): State<AppState>) -> Json<wrap::ServiceTypesOut> {
    let service_types =
        s.manager.engines().iter().map(|e| (e.service_type().to_string(), type_info(&s, e, true))).collect();
    Json(wrap::ServiceTypesOut { service_types })
}

pub async fn project_service_types(
    State(s): State<AppState>,
    Path(p): Path<String>,
) -> ApiResult<Json<wrap::ServiceTypesOut>> {
    require_project(&s, &p)?;
    Ok(service_types(State(s)).await)
}

pub async fn service_type(
    State(s): State<AppState>,
    Path((p, t)): Path<(String, String)>,
) -> ApiResult<Json<ServiceTypeInfo>> {
    require_project(&s, &p)?;
    let engine = require_type(&s, &t)?;
    Ok(Json(type_info(&s, engine, false)))
}

pub async fn plans(State(s): State<AppState>, Path((p, t)): Path<(String, String)>) -> ApiResult<Json<wrap::PlansOut>> {
    require_project(&s, &p)?;
    let engine = require_type(&s, &t)?;
    Ok(Json(wrap::PlansOut { service_plans: catalog::plans(engine.service_type(), s.manager.backup_interval_hours()) }))
}

pub async fn service_versions(State(s): State<AppState>) -> Json<wrap::ServiceVersionsOut> {
    Json(wrap::ServiceVersionsOut {
        service_versions: s
            .manager
            .engines()
            .iter()
            .map(|e| ServiceVersion {
                service_type: e.service_type().into(),
                major_version: e.version().to_string(),
                state: "available".into(),
                ..Default::default()
            })
            .collect(),
    })
}
