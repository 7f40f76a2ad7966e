//! `service rename` of a type avn cannot stop writes on itself, against a fixture API.

use std::sync::Arc;
use std::sync::Mutex;

use serde_json::json;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::Request;
use wiremock::Respond;
use wiremock::ResponseTemplate;

use crate::support::*;

/// A service of the fixture's type: Grafana (forked from backups; avn cannot stop its writes).
fn grafana(name: &str, state: &str) -> Value {
    of_type("grafana", name, state)
}

fn of_type(stype: &str, name: &str, state: &str) -> Value {
    json!({"service_name": name, "service_type": stype, "plan": "startup-4", "cloud_name": "aws-eu-west-1",
        "state": state, "create_time": "2026-01-01T00:00:00Z", "user_config": {"service_to_fork_from": "old"}})
}

/// The tags of one fixture service, kept as a control plane keeps them: set by the create
/// request and by `PATCH .../tags`, shown in the service object and by `GET .../tags`.
#[derive(Clone, Default)]
struct Tags(Arc<Mutex<serde_json::Map<String, Value>>>);

/// Answers one route of a fixture service that has [`Tags`].
struct Tagged {
    tags: Tags,
    /// The service object, for `GET .../service/NAME`; None for the `.../tags` route.
    service: Option<Value>,
}

impl Respond for Tagged {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut tags = self.tags.0.lock().unwrap();
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        match (req.method.as_str(), &self.service) {
            ("PATCH", None) => {
                for (k, v) in body["tags"].as_object().cloned().unwrap_or_default() {
                    if v.is_null() {
                        tags.remove(&k);
                    } else {
                        tags.insert(k, v);
                    }
                }
                ResponseTemplate::new(200).set_body_json(json!({"message": "tags updated"}))
            }
            ("GET", None) => ResponseTemplate::new(200).set_body_json(json!({"tags": *tags})),
            // The create request: NEW is born with the tags it asks for.
            ("POST", Some(s)) => {
                *tags = body["tags"].as_object().cloned().unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(json!({"service": s}))
            }
            (_, Some(s)) => {
                let mut s = s.clone();
                s["tags"] = Value::Object(tags.clone());
                ResponseTemplate::new(200).set_body_json(json!({"service": s}))
            }
            _ => ResponseTemplate::new(405),
        }
    }
}

async fn tagged(env: &Env, m: &str, p: &str, tags: &Tags, service: Option<Value>) {
    Mock::given(method(m)).and(path(p)).respond_with(Tagged { tags: tags.clone(), service }).mount(&env.server).await;
}

async fn fixture(env: &Env) {
    fixture_of(env, "grafana").await
}

async fn fixture_of(env: &Env, stype: &str) {
    let svc = |name: &str, state: &str| of_type(stype, name, state);
    let (old, new) = (Tags::default(), Tags::default());
    tagged(env, "GET", "/v1/project/proj/service/old", &old, Some(svc("old", "RUNNING"))).await;
    for m in ["GET", "PATCH"] {
        tagged(env, m, "/v1/project/proj/service/old/tags", &old, None).await;
        tagged(env, m, "/v1/project/proj/service/new/tags", &new, None).await;
    }
    env.mock(
        "GET",
        "/v1/project/proj/service/old/backups",
        200,
        json!({"backups": [{"backup_name": "b1", "backup_time": "2026-11-20T00:00:00Z"}]}),
    )
    .await;
    env.mock("GET", "/v1/project/proj/service/old/integration", 200, json!({"service_integrations": []})).await;
    env.mock("GET", "/v1/project/proj/service/new/integration", 200, json!({"service_integrations": []})).await;
    env.mock("GET", &format!("/v1/project/proj/service-types/{stype}/plans"), 200, json!({"service_plans": [
        {"service_plan": "startup-4", "node_count": 1, "backup_config": {"interval": 24, "max_count": 2, "recovery_mode": "basic"}}]})).await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service/new"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Service not found"})))
        .up_to_n_times(3)
        .mount(&env.server)
        .await;
    tagged(env, "GET", "/v1/project/proj/service/new", &new, Some(svc("new", "RUNNING"))).await;
    tagged(env, "POST", "/v1/project/proj/service", &new, Some(svc("new", "REBUILDING"))).await;
    env.mock("DELETE", "/v1/project/proj/service/old", 200, json!({})).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn other_types_need_writes_stopped_by_the_operator() {
    let env = Env::new().await;
    fixture(&env).await;
    let r = env.run(&["service", "rename", "old", "new", "--yes"]);
    r.code(2);
    assert!(
        r.stderr.contains("cannot stop writes on a grafana service itself") && r.stderr.contains("--writes-stopped"),
        "{}",
        r.stderr
    );
    env.assert_no_writes().await;

    let r = env.run(&["service", "rename", "old", "new", "--yes", "--writes-stopped"]);
    r.code(0);
    assert!(
        r.stderr.contains("[2/7] stop writes: skipped") && r.stderr.contains("[4/7] open writes: skipped"),
        "{}",
        r.stderr
    );
    let writes: Vec<(String, String, Value)> =
        env.requests().await.into_iter().filter(|(m, _, _)| m != "GET").collect();
    let shown: Vec<(&str, &str)> = writes.iter().map(|(m, p, _)| (m.as_str(), p.as_str())).collect();
    assert_eq!(
        shown,
        [
            ("PATCH", "/v1/project/proj/service/old/tags"),
            ("POST", "/v1/project/proj/service"),
            ("PATCH", "/v1/project/proj/service/old/tags"),
            ("DELETE", "/v1/project/proj/service/old"),
            ("PATCH", "/v1/project/proj/service/new/tags"),
        ],
        "lease OLD, create NEW, release and delete OLD, release NEW"
    );
    let lease = writes[0].2["tags"]["avn_rename"].as_str().unwrap().to_string();
    assert_eq!(writes[0].2["tags"]["avn_rename_to"], "new");
    assert_eq!(writes[1].2["user_config"], json!({"service_to_fork_from": "old"}));
    // The old service's tags (none here) are sent as the new one's, not with copy_tags, and NEW
    // is born with the rename's lease.
    assert!(writes[1].2.get("copy_tags").is_none(), "{}", writes[1].2);
    assert_eq!(writes[1].2["tags"], json!({"avn_rename": lease, "avn_rename_from": "old"}));
    assert_eq!(writes[2].2["tags"]["avn_rename"], Value::Null);
    assert_eq!(writes[4].2["tags"]["avn_rename"], Value::Null);
}

/// A Caching service off avn local: a fork restores a scheduled backup, which may lack the last
/// writes, so the rename is refused even when the operator says writes are stopped.
#[tokio::test(flavor = "multi_thread")]
async fn a_caching_rename_off_avn_local_is_refused_even_with_writes_stopped() {
    let env = Env::new().await;
    fixture_of(&env, "valkey").await;
    for extra in [&[][..], &["--writes-stopped"]] {
        let mut args = vec!["service", "rename", "old", "new", "--yes"];
        args.extend(extra);
        let r = env.run(&args);
        r.code(2);
        assert!(r.stderr.contains("cannot rename the Caching service 'old' here"), "{}", r.stderr);
    }
    env.assert_no_writes().await;
}

/// A journal left by a rename that stopped before its delete step, as `service rename` writes it.
fn stopped_journal(env: &Env, url: &str, old_created: &str) -> std::path::PathBuf {
    let steps: Vec<Value> = ["preflight", "stop_writes", "fork", "open_writes", "verify", "repoint", "delete"]
        .iter()
        .map(|s| json!({"name": s, "status": if *s == "delete" { "pending" } else { "done" }}))
        .collect();
    let journal = json!({
        "version": 1, "url": url, "project": "proj", "old": "old", "new": "new", "state": "in_progress",
        "created": "2026-11-21T00:00:00Z",
        "options": {"plan": null, "cloud": null, "config": [], "repoint_env": [], "repoint_exec": null,
            "keep_source": false, "writes_stopped": true, "yes": true, "remove_termination_protection": false,
            "timeout_seconds": null},
        "old_snapshot": {"service_type": "grafana", "plan": "startup-4", "cloud": "aws-eu-west-1",
            "termination_protection": false, "conn": null, "databases": [], "users": [], "pools": [],
            "alterable": [], "integrations": [], "created": old_created},
        "fork_request": {}, "created_new": true, "old_created": old_created, "steps": steps,
    });
    let dir = env.home.path().join(".local/share/avn/renames");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("proj--old--new.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&journal).unwrap()).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_never_deletes_a_service_the_journal_did_not_act_on() {
    // Another API: the journal was written against a different URL.
    let env = Env::new().await;
    fixture(&env).await;
    stopped_journal(&env, "http://127.0.0.1:9", "2026-01-01T00:00:00Z");
    let r = env.run(&["service", "rename", "old", "new", "--resume", "--yes"]);
    r.code(2);
    assert!(r.stderr.contains("was started against http://127.0.0.1:9"), "{}", r.stderr);
    env.assert_no_writes().await;

    // The same API, but 'old' is another service of the same name (created later).
    let env = Env::new().await;
    fixture(&env).await;
    stopped_journal(&env, &env.server.uri(), "2025-06-01T00:00:00Z");
    let r = env.run(&["service", "rename", "old", "new", "--resume", "--yes"]);
    r.code(2);
    assert!(r.stderr.contains("is not the service this rename worked on"), "{}", r.stderr);
    env.assert_no_writes().await;

    // The journal's own service: the delete goes ahead.
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service/new", 200, json!({"service": grafana("new", "RUNNING")})).await;
    fixture(&env).await;
    stopped_journal(&env, &env.server.uri(), "2026-01-01T00:00:00Z");
    env.run(&["service", "rename", "old", "new", "--resume", "--yes"]).code(0);
    let deletes: Vec<_> = env.requests().await.into_iter().filter(|(m, _, _)| m == "DELETE").collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
}
