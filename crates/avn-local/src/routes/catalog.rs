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

fn type_info(s: &AppState, with_plans: bool) -> ServiceTypeInfo {
    catalog::service_type_info(&s.manager.engine, with_plans, s.manager.backup_interval_hours())
}

fn require_type(t: &str) -> ApiResult<()> {
    if t == catalog::SERVICE_TYPE {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("Service type '{t}' is not available on the local control plane")))
    }
}

pub async fn clouds() -> Json<wrap::CloudsOut> {
    Json(wrap::CloudsOut { clouds: catalog::clouds() })
}

pub async fn service_types(State(s): State<AppState>) -> Json<wrap::ServiceTypesOut> {
    Json(wrap::ServiceTypesOut { service_types: [(catalog::SERVICE_TYPE.to_string(), type_info(&s, true))].into() })
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
    require_type(&t)?;
    Ok(Json(type_info(&s, false)))
}

pub async fn plans(State(s): State<AppState>, Path((p, t)): Path<(String, String)>) -> ApiResult<Json<wrap::PlansOut>> {
    require_project(&s, &p)?;
    require_type(&t)?;
    Ok(Json(wrap::PlansOut { service_plans: catalog::plans(s.manager.backup_interval_hours()) }))
}

pub async fn service_versions(State(s): State<AppState>) -> Json<wrap::ServiceVersionsOut> {
    Json(wrap::ServiceVersionsOut {
        service_versions: vec![ServiceVersion {
            service_type: catalog::SERVICE_TYPE.into(),
            major_version: s.manager.engine.version().to_string(),
            state: "available".into(),
            ..Default::default()
        }],
    })
}
