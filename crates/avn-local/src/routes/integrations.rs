//! Integrations: list, and create (through `ops`).

use avn_api::wrap;
use avn_api::IntegrationCreate;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;

use super::error::ApiResult;
use super::parse;
use super::require_project;
use super::service_rec;
use super::views;
use super::AppState;

pub async fn list(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<wrap::IntegrationsOut>> {
    service_rec(&s, &p, &name)?;
    let list =
        s.manager.store(|st| st.integrations(&p, &name))?.iter().map(|i| views::integration(&s.manager, i)).collect();
    Ok(Json(wrap::IntegrationsOut { service_integrations: list }))
}

pub async fn create(
    State(s): State<AppState>,
    Path(p): Path<String>,
    body: Bytes,
) -> ApiResult<Json<wrap::IntegrationOut>> {
    require_project(&s, &p)?;
    let body: IntegrationCreate = parse(&body)?;
    let rec = crate::ops::create_integration(&s.manager, &p, body)?;
    Ok(Json(wrap::IntegrationOut { service_integration: views::integration(&s.manager, &rec) }))
}
