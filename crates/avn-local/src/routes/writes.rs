//! avn local's own endpoints for renames and forks (`avn_api::writes`):
//! `GET`/`POST /v1/project/{p}/service/{s}/avn-local/writes`, `GET .../avn-local/digest` and
//! `POST .../avn-local/backup`.

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

#[derive(serde::Deserialize)]
pub struct DigestQuery {
    /// Keys that expire by then (UNIX milliseconds) are left out; default: now.
    cutoff: Option<i64>,
}

pub async fn digest(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
    axum::extract::Query(q): axum::extract::Query<DigestQuery>,
) -> ApiResult<Json<avn_api::writes::Digest>> {
    require_project(&s, &p)?;
    let cutoff = q.cutoff.unwrap_or_else(|| jiff::Timestamp::now().as_millisecond());
    Ok(Json(crate::ops::writes::digest(&s.manager, &p, &name, cutoff).await?))
}

pub async fn fence(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<avn_api::writes::Fence>> {
    require_project(&s, &p)?;
    Ok(Json(crate::ops::writes::fence(&s.manager, &p, &name).await?))
}

/// A backup now: `{"backup": {...}}`, as `backup-list` shows it.
pub async fn backup(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    require_project(&s, &p)?;
    let b = crate::ops::writes::backup_now(&s.manager, &p, &name).await?;
    let rec = super::service_rec(&s, &p, &name)?;
    Ok(Json(serde_json::json!({ "backup": super::views::backup(&b, rec.service_type == "mysql") })))
}
