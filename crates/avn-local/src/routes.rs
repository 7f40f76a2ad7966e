//! Thin handlers: extract, call the manager or ops, answer with Aiven's wrapper keys.

use std::sync::Arc;

use avn_api::ServiceCreate;
use avn_api::ServiceUpdate;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::Request;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use axum::Json;
use axum::Router;
use serde::de::DeserializeOwned;
use serde_json::json;
use serde_json::Value;

use crate::catalog;
use crate::error::ApiError;
use crate::error::ApiResult;
use crate::manager::now_str;
use crate::manager::random_string;
use crate::manager::Manager;
use crate::ops;
use crate::store::IntegrationRec;
use crate::store::ServiceRec;

#[derive(Clone)]
pub struct AppState {
    pub manager: Arc<Manager>,
    pub token: Arc<String>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/clouds", get(|| async { Json(catalog::clouds()) }))
        .route("/v1/service_types", get(service_types))
        .route("/v1/project", get(projects).post(create_project))
        .route("/v1/project/{p}", get(project))
        .route(
            "/v1/project/{p}/vpcs",
            get(|Path(p): Path<String>, s: State<AppState>| async move {
                require_project(&s, &p)?;
                Ok::<_, ApiError>(Json(json!({"vpcs": []})))
            }),
        )
        .route("/v1/project/{p}/service_types", get(project_service_types))
        .route("/v1/project/{p}/service-types/{t}", get(service_type))
        .route("/v1/project/{p}/service-types/{t}/plans", get(plans))
        .route("/v1/account/{a}/service_versions", get(service_versions))
        .route("/v1/project/{p}/service", get(list_services).post(create_service))
        .route("/v1/project/{p}/service/{s}", get(get_service).put(update_service).delete(delete_service))
        .route("/v1/project/{p}/service/{s}/backups", get(backups))
        .route("/v1/project/{p}/service/{s}/integration", get(integrations))
        .route("/v1/project/{p}/integration", post(create_integration))
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

fn parse<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))
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

fn type_info(s: &AppState, with_plans: bool) -> avn_api::ServiceTypeInfo {
    catalog::service_type_info(&s.manager.pg.major, with_plans, s.manager.backup_interval_hours())
}

async fn service_types(State(s): State<AppState>) -> Json<Value> {
    Json(json!({"service_types": {catalog::SERVICE_TYPE: type_info(&s, true)}}))
}

async fn project_service_types(State(s): State<AppState>, Path(p): Path<String>) -> ApiResult<Json<Value>> {
    require_project(&s, &p)?;
    Ok(service_types(State(s)).await)
}

async fn service_type(State(s): State<AppState>, Path((p, t)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    require_project(&s, &p)?;
    if t != catalog::SERVICE_TYPE {
        return Err(ApiError::not_found(format!("Service type '{t}' is not available on the local control plane")));
    }
    Ok(Json(serde_json::to_value(type_info(&s, false)).map_err(ApiError::internal)?))
}

async fn plans(State(s): State<AppState>, Path((p, t)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    require_project(&s, &p)?;
    if t != catalog::SERVICE_TYPE {
        return Err(ApiError::not_found(format!("Service type '{t}' is not available on the local control plane")));
    }
    Ok(Json(json!({"service_plans": catalog::plans(s.manager.backup_interval_hours())})))
}

async fn service_versions(State(s): State<AppState>) -> Json<Value> {
    Json(json!({"service_versions": [{"service_type": "pg", "major_version": s.manager.pg.major, "state": "available",
        "aiven_end_of_life_time": null, "upstream_end_of_life_time": null, "availability_start_time": null, "availability_end_time": null}]}))
}

fn project_json(name: &str) -> Value {
    json!({"project_name": name, "account_id": "local", "default_cloud": catalog::CLOUD, "cloud": catalog::CLOUD})
}

async fn projects(State(s): State<AppState>) -> ApiResult<Json<Value>> {
    let names = s.manager.store(|st| st.projects())?;
    Ok(Json(json!({"projects": names.iter().map(|n| project_json(n)).collect::<Vec<_>>()})))
}

async fn project(State(s): State<AppState>, Path(p): Path<String>) -> ApiResult<Json<Value>> {
    require_project(&s, &p)?;
    Ok(Json(json!({"project": project_json(&p)})))
}

async fn create_project(State(s): State<AppState>, body: Bytes) -> ApiResult<Json<Value>> {
    let v: Value = parse(&body)?;
    let name = v.get("project").or_else(|| v.get("project_name")).and_then(Value::as_str).unwrap_or("");
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(ApiError::bad_request(format!("Invalid project name '{name}'")));
    }
    if !s.manager.store(|st| st.create_project(name, &now_str()))? {
        return Err(ApiError::conflict(format!("Project '{name}' already exists")));
    }
    Ok(Json(json!({"project": project_json(name)})))
}

/// The service object, with real connection details, inventory, progress and backups.
async fn service_json(s: &AppState, rec: &ServiceRec, detailed: bool) -> ApiResult<Value> {
    let m = &s.manager;
    let plan = catalog::plan(&rec.plan, m.backup_interval_hours()).unwrap_or_default();
    let host = "127.0.0.1";
    let uri = format!("postgres://avnadmin:{}@{host}:{}/defaultdb?sslmode=disable", rec.password, rec.port);
    let params = json!({"dbname": "defaultdb", "host": host, "password": rec.password, "port": rec.port.to_string(), "sslmode": "disable", "user": "avnadmin"});
    let (databases, users) =
        if detailed { m.inventory(rec).await } else { (vec!["defaultdb".into()], vec!["avnadmin".into()]) };
    let users: Vec<Value> = users
        .iter()
        .map(|u| {
            if u == "avnadmin" {
                json!({"username": u, "password": rec.password, "type": "primary", "authentication": "scram-sha-256"})
            } else {
                json!({"username": u, "type": "normal"})
            }
        })
        .collect();
    let backups: Vec<Value> = m.store(|st| st.backups(&rec.id))?.iter().map(backup_json).collect();
    let progress = m.progress(&rec.id);
    let node_state = match (rec.state.as_str(), rec.op.as_deref()) {
        (_, Some("failed")) => "unknown",
        ("RUNNING", _) => "running",
        ("POWEROFF", _) => "leaving",
        (_, Some("fork")) => "syncing_data",
        _ => "setting_up_vm",
    };
    let integrations: Vec<Value> =
        m.store(|st| st.integrations(&rec.project, &rec.name))?.iter().map(integration_json).collect();
    let notifications: Vec<Value> = m
        .failure(&rec.id)
        .map(|msg| vec![json!({"type": "service_creation_failed", "level": "warning", "message": msg, "metadata": {}})])
        .unwrap_or_default();
    Ok(json!({
        "service_name": rec.name,
        "service_type": catalog::SERVICE_TYPE,
        "service_type_description": "PostgreSQL - Object-Relational Database Management System",
        "plan": rec.plan,
        "cloud_name": catalog::CLOUD,
        "cloud_description": "This machine - Local",
        "state": rec.state,
        "create_time": rec.create_time,
        "update_time": rec.update_time,
        "service_uri": uri,
        "service_uri_params": params,
        "connection_info": {"pg": [uri], "pg_params": [params], "pg_standby": [], "pg_syncing": []},
        "components": [{"component": "pg", "host": host, "port": rec.port, "route": "dynamic", "usage": "primary", "ssl": false}],
        "user_config": rec.user_config,
        "service_integrations": integrations,
        "termination_protection": rec.termination_protection,
        "project_vpc_id": null,
        "group_list": ["default"],
        "node_count": plan.node_count,
        "node_cpu_count": 1,
        "node_memory_mb": 1024,
        "disk_space_mb": plan.regions.get(catalog::CLOUD).and_then(|r| r.get("disk_space_mb")).cloned().unwrap_or(json!(0)),
        "node_states": [{"name": format!("{}-1", rec.name), "state": node_state, "role": "master", "progress_updates": progress}],
        "databases": databases,
        "users": users,
        "connection_pools": [],
        "backups": backups,
        "tags": rec.tags,
        "service_notifications": notifications,
        "maintenance": {"dow": "sunday", "time": "00:00:00", "enabled": false, "updates": []},
        "metadata": {"pg_version": m.pg.major},
        "features": {},
    }))
}

async fn list_services(State(s): State<AppState>, Path(p): Path<String>) -> ApiResult<Json<Value>> {
    require_project(&s, &p)?;
    let recs = s.manager.store(|st| st.services(Some(&p)))?;
    let mut out = Vec::with_capacity(recs.len());
    for r in &recs {
        out.push(service_json(&s, r, false).await?);
    }
    Ok(Json(json!({"services": out})))
}

async fn get_service(State(s): State<AppState>, Path((p, name)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    let rec = service_rec(&s, &p, &name)?;
    Ok(Json(json!({"service": service_json(&s, &rec, true).await?})))
}

async fn create_service(State(s): State<AppState>, Path(p): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    let body: ServiceCreate = parse(&body)?;
    let rec = ops::create(&s.manager, &p, body)?;
    Ok(Json(json!({"service": service_json(&s, &rec, false).await?})))
}

async fn update_service(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    require_project(&s, &p)?;
    let body: ServiceUpdate = parse(&body)?;
    let rec = ops::update(&s.manager, &p, &name, body).await?;
    Ok(Json(json!({"service": service_json(&s, &rec, false).await?})))
}

async fn delete_service(
    State(s): State<AppState>,
    Path((p, name)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_project(&s, &p)?;
    ops::delete(&s.manager, &p, &name).await?;
    Ok((StatusCode::OK, Json(json!({"message": "deleted"}))))
}

async fn backups(State(s): State<AppState>, Path((p, name)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    let rec = service_rec(&s, &p, &name)?;
    let list: Vec<Value> = s.manager.store(|st| st.backups(&rec.id))?.iter().map(backup_json).collect();
    let window = s.manager.pitr_window(&rec)?;
    let (start, end) = match window {
        Some((a, b)) => (Value::String(a), b.map(Value::String).unwrap_or(Value::Null)),
        None => (Value::Null, Value::Null),
    };
    Ok(Json(json!({
        "backups": list,
        "pitr": {"primary_region": {"pitr_range_start": start, "pitr_range_end": end}, "additional_regions": []},
        "backup_progress": null,
        "scheduled_backup_time": {"backup_interval_hours": s.manager.backup_interval_hours()},
    })))
}

fn backup_json(b: &crate::store::BackupRec) -> Value {
    json!({"backup_name": b.backup_name, "backup_time": b.backup_time, "data_size": b.data_size, "storage_location": "local"})
}

fn integration_json(i: &IntegrationRec) -> Value {
    json!({
        "service_integration_id": i.id, "integration_type": i.integration_type,
        "source_service": i.source_service, "source_service_type": "pg", "source_project": i.source_project,
        "dest_service": i.dest_service, "dest_service_type": "pg", "dest_project": i.dest_project,
        "source_endpoint_id": null, "dest_endpoint_id": null,
        "enabled": true, "active": true, "description": format!("{} integration (recorded by the local control plane)", i.integration_type),
        "user_config": i.user_config,
    })
}

async fn integrations(State(s): State<AppState>, Path((p, name)): Path<(String, String)>) -> ApiResult<Json<Value>> {
    service_rec(&s, &p, &name)?;
    let list: Vec<Value> = s.manager.store(|st| st.integrations(&p, &name))?.iter().map(integration_json).collect();
    Ok(Json(json!({"service_integrations": list})))
}

async fn create_integration(State(s): State<AppState>, Path(p): Path<String>, body: Bytes) -> ApiResult<Json<Value>> {
    require_project(&s, &p)?;
    let body: avn_api::IntegrationCreate = parse(&body)?;
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
        integration_type: body.integration_type.clone(),
        source_project,
        source_service: body.source_service.clone(),
        dest_project,
        dest_service: body.dest_service.clone(),
        user_config: body.user_config.clone(),
    };
    s.manager.store(|st| st.add_integration(&rec))?;
    Ok(Json(json!({"service_integration": integration_json(&rec)})))
}
