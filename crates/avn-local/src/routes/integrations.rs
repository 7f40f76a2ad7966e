//! Integrations: recorded (not acted on) so that clients can list and re-create them.

use avn_api::wrap;
use avn_api::IntegrationCreate;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;

use super::parse;
use super::require_project;
use super::service_rec;
use super::views;
use super::AppState;
use crate::error::ApiError;
use crate::error::ApiResult;
use crate::random::random_string;
use crate::store::IntegrationRec;

pub async fn list(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<wrap::IntegrationsOut>> {
    service_rec(&s, &p, &name)?;
    let list = s.manager.store(|st| st.integrations(&p, &name))?.iter().map(views::integration).collect();
    Ok(Json(wrap::IntegrationsOut { service_integrations: list }))
}

pub async fn create(
    State(s): State<AppState>,
    Path(p): Path<String>,
    body: Bytes,
) -> ApiResult<Json<wrap::IntegrationOut>> {
    require_project(&s, &p)?;
    let body: IntegrationCreate = parse(&body)?;
    if body.integration_type.is_empty() {
        return Err(ApiError::bad_request("integration_type is required"));
    }
    let source_project = body.source_project.clone().unwrap_or_else(|| p.clone());
    let dest_project = body.dest_project.clone().unwrap_or_else(|| p.clone());
    for (proj, svc) in [(&source_project, &body.source_service), (&dest_project, &body.dest_service)] {
        if let Some(svc) = svc {
            if s.manager.store(|st| st.service(proj, svc))?.is_none() {
                return Err(ApiError::bad_request(format!("Service '{proj}/{svc}' does not exist")));
            }
        }
    }
    if body.source_service.is_none() && body.dest_service.is_none() {
        return Err(ApiError::bad_request("An integration needs a source_service or a dest_service"));
    }
    let rec = IntegrationRec {
        id: format!("{}-{}", random_string(8), random_string(4)),
        project: p.clone(),
        integration_type: body.integration_type,
        source_project,
        source_service: body.source_service,
        dest_project,
        dest_service: body.dest_service,
        user_config: body.user_config,
    };
    s.manager.store(|st| st.add_integration(&rec))?;
    Ok(Json(wrap::IntegrationOut { service_integration: views::integration(&rec) }))
}
