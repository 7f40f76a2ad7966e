//! Thin handlers: extract, call the manager or ops, answer with an `avn_api` type under
//! Aiven's wrapper key. Request bodies are `avn_api` request types; an unknown or mistyped key
//! is a 400 that names it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Request;
use axum::extract::State;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use axum::Router;
use serde::de::DeserializeOwned;

use crate::manager::Manager;
use crate::store::ServiceRec;
use error::ApiError;
use error::ApiResult;

mod catalog;
mod error;
mod integrations;
mod inventory;
mod observe;
mod projects;
mod services;
mod views;
mod writes;

#[cfg(test)]
mod tests;

#[derive(Clone)]
pub struct AppState {
    pub manager: Arc<Manager>,
    pub token: Arc<String>,
    /// When this server started (the token's validity, as `/v1/me` says it).
    pub started: Arc<String>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/clouds", get(catalog::clouds))
        .route("/v1/service_types", get(catalog::service_types))
        .route("/v1/me", get(projects::me))
        .route("/v1/project", get(projects::list).post(projects::create))
        .route("/v1/project/{p}", get(projects::get))
        .route("/v1/project/{p}/vpcs", get(projects::vpcs))
        .route("/v1/project/{p}/kms/ca", get(projects::ca))
        .route("/v1/project/{p}/service_types", get(catalog::project_service_types))
        .route("/v1/project/{p}/service-types/{t}", get(catalog::service_type))
        .route("/v1/project/{p}/service-types/{t}/plans", get(catalog::plans))
        .route("/v1/account/{a}/service_versions", get(catalog::service_versions))
        // The official client asks here when it has no project (`-c pg_version=...`).
        .route("/v1/service_versions", get(catalog::service_versions))
        .route("/v1/project/{p}/service", get(services::list).post(services::create))
        .route("/v1/project/{p}/service/{s}", get(services::get).put(services::update).delete(services::delete))
        .route("/v1/project/{p}/service/{s}/backups", get(services::backups))
        .route("/v1/project/{p}/service/{s}/avn-local/writes", get(writes::get).post(writes::post))
        .route("/v1/project/{p}/service/{s}/avn-local/digest", get(writes::digest))
        .route("/v1/project/{p}/service/{s}/avn-local/fence", get(writes::fence))
        .route("/v1/project/{p}/service/{s}/avn-local/backup", post(writes::backup))
        .route(
            "/v1/project/{p}/service/{s}/tags",
            get(services::tags).put(services::replace_tags).patch(services::update_tags),
        )
        .route("/v1/project/{p}/service/{s}/user", post(inventory::create_user))
        .route(
            "/v1/project/{p}/service/{s}/user/{u}",
            get(inventory::get_user).put(inventory::modify_user).delete(inventory::delete_user),
        )
        .route("/v1/project/{p}/service/{s}/db", get(inventory::databases).post(inventory::create_database))
        .route("/v1/project/{p}/service/{s}/db/{d}", axum::routing::delete(inventory::delete_database))
        .route("/v1/project/{p}/service/{s}/connection_pool", post(inventory::create_pool))
        .route(
            "/v1/project/{p}/service/{s}/connection_pool/{c}",
            axum::routing::put(inventory::update_pool).delete(inventory::delete_pool),
        )
        .route("/v1/project/{p}/service/{s}/logs", post(observe::logs))
        .route("/v1/project/{p}/service/{s}/query/activity", post(observe::activity))
        .route("/v1/project/{p}/service/{s}/{t}/query/stats", post(observe::query_stats))
        .route("/v1/project/{p}/service/{s}/integration", get(integrations::list))
        .route("/v1/project/{p}/integration", post(integrations::create))
        .fallback(|| async { ApiError::not_found("Not found: this path is not served by the local control plane") })
        .layer(axum::middleware::from_fn_with_state(state.clone(), auth))
        .with_state(state)
}

async fn auth(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let ok = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("aivenv1 "))
        .is_some_and(|t| constant_eq(t.trim().as_bytes(), s.token.as_bytes()));
    if !ok {
        return ApiError::unauthorized().into_response();
    }
    next.run(req).await
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Decode a request body; the error names the key that is unknown or has the wrong type.
fn parse<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." {
            ApiError::bad_request(format!("Invalid request body: {inner}"))
        } else {
            ApiError::bad_request(format!("Invalid request body: {path}: {inner}"))
        }
    })
}

fn require_project(s: &AppState, p: &str) -> ApiResult<()> {
    if s.manager.store(|st| st.project_exists(p))? {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("Project {p} does not exist")))
    }
}

fn service_rec(s: &AppState, p: &str, name: &str) -> ApiResult<ServiceRec> {
    require_project(s, p)?;
    s.manager.store(|st| st.service(p, name))?.ok_or_else(|| ApiError::not_found("Service not found"))
}
