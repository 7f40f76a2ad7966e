//! Every route, answered by the real router from a seeded store (no cluster needed), read back
//! with the types avn-client decodes with. A field the client type cannot read fails: decoding
//! must succeed, re-encoding must give the same JSON, and nothing may land in an `extra` map.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use avn_api::wrap;
use avn_api::BackupsResponse;
use avn_api::ErrorBody;
use avn_api::Integration;
use avn_api::Service;
use avn_api::ServiceTypeInfo;
use axum::body::Body;
use axum::http::Request;
use axum::http::StatusCode;
use axum::Router;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;
use serde_json::Value;
use tower::ServiceExt;

use super::router;
use super::AppState;
use crate::engines::postgres::process::Pg;
use crate::manager::Manager;
use crate::model::ForkOrigin;
use crate::model::Op;
use crate::model::State;
use crate::store::BackupRec;
use crate::store::IntegrationRec;
use crate::store::ServiceRec;
use crate::store::Store;

const TOKEN: &str = "test-token";

fn service_rec(name: &str, state: State, plan: &str, time: &str) -> ServiceRec {
    ServiceRec {
        id: format!("{name}-id"),
        project: "local".into(),
        name: name.into(),
        plan: plan.into(),
        state,
        powered: state != State::PowerOff,
        port: 15432,
        password: "pw".into(),
        user_config: serde_json::from_value(json!({"pg": {"work_mem": 4}})).unwrap(),
        termination_protection: false,
        create_time: time.into(),
        update_time: time.into(),
        op: None,
        fork: None,
        tags: [("team".to_string(), "db".to_string())].into(),
        service_type: "pg".into(),
    }
}

/// A router over a store with project `local`: `src` RUNNING with two backups, `off` powered
/// off, `forked` being forked from `src`, and one integration.
fn app(dir: &std::path::Path) -> Router {
    let store = Store::open(&dir.join("state.db")).unwrap();
    store.create_project("local", "2026-11-20T10:00:00Z").unwrap();
    let src = service_rec("src", State::Running, "startup-4", "2026-11-20T10:00:00Z");
    let off = service_rec("off", State::PowerOff, "startup-4", "2026-11-20T12:00:00.5Z");
    let forked = ServiceRec {
        op: Some(Op::Fork),
        state: State::Rebuilding,
        fork: Some(ForkOrigin {
            source_id: src.id.clone(),
            source_project: "local".into(),
            source_service: "src".into(),
            target: None,
            backup: None,
        }),
        ..service_rec("forked", State::Rebuilding, "startup-4", "2026-11-20T13:00:00Z")
    };
    for rec in [&src, &off, &forked] {
        assert!(store.insert_service(rec).unwrap());
    }
    for (id, name, time) in [
        (&src.id, "backup-20261120t100001000000z", "2026-11-20T10:00:01Z"),
        (&src.id, "backup-20261120t110000123456z", "2026-11-20T11:00:00.123456Z"),
        (&off.id, "backup-20261120t100002000000z", "2026-11-20T10:00:02Z"),
    ] {
        let b = BackupRec { service_id: id.clone(), backup_name: name.into(), backup_time: time.into(), data_size: 42 };
        store.add_backup(&b).unwrap();
    }
    store
        .add_integration(&IntegrationRec {
            id: "i1".into(),
            project: "local".into(),
            integration_type: "metrics".into(),
            source_project: "local".into(),
            source_service: Some("src".into()),
            dest_project: "local".into(),
            dest_service: Some("off".into()),
            user_config: Default::default(),
        })
        .unwrap();
    let pg = Pg { bindir: PathBuf::from("/nonexistent/bin"), major: "16".into(), run_as: None };
    let ca = crate::tls::Authority::load_or_create(dir).unwrap();
    let manager = Manager::new(
        vec![crate::engines::Engine::Postgres(pg)],
        vec![],
        ca,
        dir.join("instances"),
        store,
        Duration::from_secs(3600),
    );
    let started = Arc::new("2026-11-20T10:00:00Z".to_string());
    router(AppState { manager: Arc::new(manager), token: Arc::new(TOKEN.into()), started })
}

async fn call(app: &Router, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("aivenv1 {TOKEN}"))
        .header("content-type", if body.is_some() { "application/json" } else { "application/octet-stream" });
    let req = req.body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty)).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{method} {path}: not JSON: {e}")))
}

/// `v` as the client reads it: decodes, and encodes back to the same JSON.
fn read<T: DeserializeOwned + Serialize>(what: &str, v: &Value) -> T {
    let t: T =
        serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: the client cannot decode: {e}\n{v}"));
    assert_eq!(&serde_json::to_value(&t).unwrap(), v, "{what}: a field the client type does not read back");
    t
}

/// Succeeds with 200 and reads as `T`.
async fn ok<T: DeserializeOwned + Serialize>(app: &Router, method: &str, path: &str, body: Option<Value>) -> T {
    let (status, v) = call(app, method, path, body).await;
    assert_eq!(status, StatusCode::OK, "{method} {path}: {v}");
    read(&format!("{method} {path}"), &v)
}

fn no_extra(what: &str, extra: &serde_json::Map<String, Value>) {
    assert!(extra.is_empty(), "{what}: fields the client type does not model: {extra:?}");
}

fn check_service(s: &Service) {
    no_extra("service", &s.extra);
    s.node_states.iter().for_each(|n| no_extra("node_states[]", &n.extra));
    s.node_states.iter().flat_map(|n| &n.progress_updates).for_each(|p| no_extra("progress_updates[]", &p.extra));
    s.users.iter().flatten().for_each(|u| no_extra("users[]", &u.extra));
    s.backups.iter().flatten().for_each(|b| no_extra("backups[]", &b.extra));
    s.components.iter().flatten().for_each(|c| no_extra("components[]", &c.extra));
    s.service_integrations.iter().for_each(check_integration);
    s.connection_info.iter().for_each(|c| no_extra("connection_info", &c.extra));
    s.maintenance.iter().for_each(|m| no_extra("maintenance", &m.extra));
    let uri = format!("postgres://avnadmin:{}@127.0.0.1:", s.users.as_ref().unwrap()[0].password.as_deref().unwrap());
    assert!(s.service_uri.as_deref().is_some_and(|u| u.starts_with(&uri)), "{:?}", s.service_uri);
}

fn check_integration(i: &Integration) {
    no_extra("integration", &i.extra);
}

fn check_type(t: &ServiceTypeInfo) {
    no_extra("service type", &t.extra);
    for p in t.service_plans.iter().flatten() {
        no_extra("plan", &p.extra);
        no_extra("backup_config", &p.backup_config.extra);
    }
}

#[tokio::test]
async fn every_route_answers_what_the_client_types_read() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());

    let clouds: wrap::CloudsOut = ok(&app, "GET", "/v1/clouds", None).await;
    assert_eq!(clouds.clouds[0].cloud_name, "local");
    clouds.clouds.iter().for_each(|c| no_extra("cloud", &c.extra));
    for path in ["/v1/service_types", "/v1/project/local/service_types"] {
        let types: wrap::ServiceTypesOut = ok(&app, "GET", path, None).await;
        check_type(&types.service_types["pg"]);
    }
    let one: ServiceTypeInfo = ok(&app, "GET", "/v1/project/local/service-types/pg", None).await;
    assert!(one.service_plans.is_none());
    check_type(&one);
    let plans: wrap::PlansOut = ok(&app, "GET", "/v1/project/local/service-types/pg/plans", None).await;
    assert!(plans.service_plans.iter().any(|p| p.supports_pitr()));
    plans.service_plans.iter().for_each(|p| no_extra("plan", &p.extra));
    let me: wrap::UserOut = ok(&app, "GET", "/v1/me", None).await;
    assert_eq!(me.user.projects, vec!["local".to_string()]);
    no_extra("user", &me.user.extra);
    let without_account: wrap::ServiceVersionsOut = ok(&app, "GET", "/v1/service_versions", None).await;
    assert_eq!(without_account.service_versions.len(), 1);
    let versions: wrap::ServiceVersionsOut = ok(&app, "GET", "/v1/account/local/service_versions", None).await;
    assert_eq!(versions.service_versions[0].major_version, "16");
    no_extra("service version", &versions.service_versions[0].extra);

    let created: wrap::ProjectOut =
        ok(&app, "POST", "/v1/project", Some(json!({"project": "p2", "cloud": null}))).await;
    no_extra("project", &created.project.extra);
    let projects: wrap::ProjectsOut = ok(&app, "GET", "/v1/project", None).await;
    assert_eq!(projects.projects.iter().map(|p| p.project_name.as_str()).collect::<Vec<_>>(), ["local", "p2"]);
    let project: wrap::ProjectOut = ok(&app, "GET", "/v1/project/local", None).await;
    assert_eq!(project.project.account_id.as_deref(), Some("local"));
    let ca: avn_api::ProjectCa = ok(&app, "GET", "/v1/project/local/kms/ca", None).await;
    assert!(ca.certificate.starts_with("-----BEGIN CERTIFICATE-----"));
    no_extra("project CA", &ca.extra);
    let vpcs: wrap::VpcsOut = ok(&app, "GET", "/v1/project/local/vpcs", None).await;
    assert!(vpcs.vpcs.is_empty());

    let list: wrap::ServicesOut = ok(&app, "GET", "/v1/project/local/service", None).await;
    assert_eq!(list.services.len(), 3);
    list.services.iter().for_each(check_service);
    let got: wrap::ServiceOut = ok(&app, "GET", "/v1/project/local/service/src", None).await;
    check_service(&got.service);
    assert_eq!(got.service.backups.as_ref().map(Vec::len), Some(2));
    assert_eq!(got.service.service_integrations.len(), 1);
    let forked: wrap::ServiceOut = ok(&app, "GET", "/v1/project/local/service/forked", None).await;
    assert_eq!(forked.service.node_states[0].state, "syncing_data");

    let body = json!({"cloud": null, "plan": "hobbyist", "service_integrations": [], "service_name": "new1",
        "service_type": "pg", "user_config": {}, "termination_protection": false, "static_ips": []});
    let new: wrap::ServiceOut = ok(&app, "POST", "/v1/project/local/service", Some(body)).await;
    check_service(&new.service);
    assert_eq!(new.service.state, avn_api::ServiceState::Rebuilding);
    let updated: wrap::ServiceOut = ok(
        &app,
        "PUT",
        "/v1/project/local/service/src",
        Some(json!({"plan": "startup-4", "user_config": {}, "termination_protection": true})),
    )
    .await;
    assert!(updated.service.termination_protection);
    check_service(&updated.service);

    let backups: BackupsResponse = ok(&app, "GET", "/v1/project/local/service/src/backups", None).await;
    no_extra("backups response", &backups.extra);
    backups.backups.iter().for_each(|b| no_extra("backups[]", &b.extra));
    assert_eq!(backups.pitr.as_ref().unwrap().primary_region.pitr_range_start.as_deref(), Some("2026-11-20T10:00:01Z"));
    assert_eq!(backups.backups[1].backup_time, "2026-11-20T11:00:00.123456Z");
    let off: BackupsResponse = ok(&app, "GET", "/v1/project/local/service/off/backups", None).await;
    assert_eq!(off.pitr.unwrap().primary_region.pitr_range_end.as_deref(), Some("2026-11-20T12:00:00.5Z"));

    // Tags: read, replaced as a whole, read back; unknown keys in the body are refused.
    let tags: wrap::TagsOut = ok(&app, "GET", "/v1/project/local/service/src/tags", None).await;
    assert_eq!(tags.tags.get("team").map(String::as_str), Some("db"));
    let body = json!({"tags": {"avn_expires_at": "2026-11-22T10:00:00Z"}});
    let _: wrap::MessageOut = ok(&app, "PUT", "/v1/project/local/service/src/tags", Some(body)).await;
    let tags: wrap::TagsOut = ok(&app, "GET", "/v1/project/local/service/src/tags", None).await;
    assert_eq!(tags.tags, [("avn_expires_at".to_string(), "2026-11-22T10:00:00Z".to_string())].into());
    let (status, _) = call(&app, "PUT", "/v1/project/local/service/src/tags", Some(json!({"tagz": {}}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let integrations: wrap::IntegrationsOut = ok(&app, "GET", "/v1/project/local/service/src/integration", None).await;
    integrations.service_integrations.iter().for_each(check_integration);
    // The body aiven-client 4.18 sends: every key, nulls included.
    let body = json!({"source_endpoint_id": null, "source_service": "src", "dest_endpoint_id": null,
        "dest_service": "off", "integration_type": "logs", "user_config": {}});
    let made: wrap::IntegrationOut = ok(&app, "POST", "/v1/project/local/integration", Some(body)).await;
    check_integration(&made.service_integration);

    let deleted: wrap::MessageOut = ok(&app, "DELETE", "/v1/project/local/service/off", None).await;
    assert_eq!(deleted.message, "deleted");
    let (status, v) = call(&app, "GET", "/v1/project/local/service/off", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    read::<ErrorBody>("404", &v);
}

/// A 400 in Aiven's error shape whose message names `field`.
async fn refused(app: &Router, method: &str, path: &str, body: Value, field: &str) {
    let (status, v) = call(app, method, path, Some(body)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {v}");
    let e: ErrorBody = read("error body", &v);
    assert!(e.message.contains(field), "{method} {path}: {}", e.message);
    assert_eq!(e.errors[0].status, Some(400));
    assert_eq!(e.errors[0].message, e.message);
}

#[tokio::test]
async fn unknown_or_mistyped_request_fields_are_a_400_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let create = json!({"cloud": null, "plan": "hobbyist", "service_integrations": [], "service_name": "x",
        "service_type": "pg", "user_config": {}, "termination_protection": false, "static_ips": []});
    let mut unknown = create.clone();
    unknown["disk_space_gb"] = json!(10);
    refused(&app, "POST", "/v1/project/local/service", unknown, "disk_space_gb").await;
    let mut mistyped = create.clone();
    mistyped["termination_protection"] = json!("yes");
    refused(&app, "POST", "/v1/project/local/service", mistyped, "termination_protection").await;
    let mut nested = create.clone();
    nested["service_integrations"] = json!([{"integration_type": "read_replica", "source_servce": "src"}]);
    refused(&app, "POST", "/v1/project/local/service", nested, "source_servce").await;
    let update = json!({"plan": "startup-4", "user_config": {}, "powerd": false});
    refused(&app, "PUT", "/v1/project/local/service/src", update, "powerd").await;
    let update = json!({"plan": "startup-4", "user_config": {}, "powered": "off"});
    refused(&app, "PUT", "/v1/project/local/service/src", update, "powered").await;
    let integration = json!({"integration_type": "metrics", "source_service": "src", "dest_service": "off",
        "source_endpoint_id": null, "dest_endpoint_id": null, "user_config": {}, "enabled": true});
    refused(&app, "POST", "/v1/project/local/integration", integration, "enabled").await;
    refused(&app, "POST", "/v1/project", json!({"project": "p3", "region": "x"}), "region").await;
    // Nothing was created by the refused requests.
    let list: wrap::ServicesOut = ok(&app, "GET", "/v1/project/local/service", None).await;
    assert_eq!(list.services.len(), 3);
}
