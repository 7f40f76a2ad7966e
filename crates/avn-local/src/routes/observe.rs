//! What an operator reads about a running service: its log (`POST {base}/logs`), its current
//! queries (`POST {base}/query/activity`) and its query statistics (`POST {base}/pg/query/stats`).

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use serde_json::Value;

use super::error::ApiError;
use super::error::ApiResult;
use super::parse;
use super::service_rec;
use super::AppState;
use crate::model::State as ServiceState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogsIn {
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    offset: Option<String>,
    #[serde(default)]
    sort_order: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QueriesIn {
    #[serde(default)]
    limit: Option<u32>,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted as Aiven takes it; the order is the one the official client asks for")]
    order_by: Option<String>,
}

pub async fn logs(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let body: LogsIn =
        if body.is_empty() { LogsIn { limit: None, offset: None, sort_order: None } } else { parse(&body)? };
    let rec = service_rec(&s, &p, &name)?;
    let limit = body.limit.unwrap_or(100).clamp(1, 10_000) as usize;
    let desc = match body.sort_order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => return Err(ApiError::bad_request(format!("Invalid sort_order '{other}': use asc or desc"))),
    };
    let offset = match body.offset.as_deref() {
        None => None,
        Some(o) => Some(o.parse::<u64>().map_err(|_| ApiError::bad_request(format!("Invalid offset '{o}'")))?),
    };
    let all = s.manager.engine_of(&rec)?.log_entries(&s.manager, &rec).await;
    let (entries, next) = crate::engines::postgres::observe::page(&all, offset, limit, desc);
    let hostname = format!("{}-1", rec.name);
    let unit = s.manager.engine_of(&rec)?.log_unit();
    let logs: Vec<Value> = entries
        .into_iter()
        .map(|e| json!({"time": e.time, "hostname": hostname, "unit": unit, "msg": e.msg}))
        .collect();
    Ok(Json(json!({"logs": logs, "offset": next.to_string(), "first_log_offset": "0"})))
}

fn running(s: &AppState, rec: &crate::store::ServiceRec) -> ApiResult<()> {
    if rec.state != ServiceState::Running || s.manager.running(&rec.id).is_none() {
        return Err(ApiError::conflict(format!("Service '{}' is not running; try again when it is RUNNING", rec.name)));
    }
    Ok(())
}

fn limit(body: &Bytes) -> ApiResult<i64> {
    let q: QueriesIn = if body.is_empty() { QueriesIn { limit: None, order_by: None } } else { parse(body)? };
    Ok(i64::from(q.limit.unwrap_or(100).clamp(1, 10_000)))
}

pub async fn activity(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let rec = service_rec(&s, &p, &name)?;
    let limit = limit(&body)?;
    running(&s, &rec)?;
    let queries =
        s.manager.engine_of(&rec)?.activity(&s.manager, &rec, limit).await.map_err(crate::error::OpError::from)?;
    Ok(Json(json!({ "queries": queries })))
}

pub async fn query_stats(
    State(s): State<AppState>,
    Path((p, name, kind)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let rec = service_rec(&s, &p, &name)?;
    if kind != s.manager.engine_of(&rec)?.service_type() {
        return Err(ApiError::not_found(format!("Service '{name}' is not of type {kind}")));
    }
    let limit = limit(&body)?;
    running(&s, &rec)?;
    let queries =
        s.manager.engine_of(&rec)?.query_stats(&s.manager, &rec, limit).await.map_err(crate::error::OpError::from)?;
    Ok(Json(json!({ "queries": queries })))
}
