//! `GET`/`POST /v1/project/{p}/service/{s}/avn-local/writes`: avn local's own endpoint for renames
//! of MySQL services (`avn_api::writes`).

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;

use super::error::ApiResult;
use super::parse;
use super::require_project;
use super::AppState;

pub async fn get(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<avn_api::writes::WritesState>> {
    require_project(&s, &p)?;
    Ok(Json(crate::ops::writes::state(&s.manager, &p, &name).await?))
}

pub async fn post(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<avn_api::writes::WritesState>> {
    require_project(&s, &p)?;
    let body: avn_api::writes::WritesChange = parse(&body)?;
    Ok(Json(crate::ops::writes::change(&s.manager, &p, &name, &body).await?))
}
