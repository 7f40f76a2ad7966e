//! `service fork` rules the local control plane cannot show, against a fixture API.

use serde_json::json;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::ResponseTemplate;

use crate::support::*;

pub(crate) fn svc(name: &str, stype: &str, plan: &str, state: &str, progress: Value) -> Value {
    json!({"service_name": name, "service_type": stype, "plan": plan, "cloud_name": "aws-eu-west-1", "state": state,
        "user_config": {}, "node_states": [{"name": format!("{name}-1"), "state": "syncing_data", "progress_updates": progress}]})
}

/// Mount the source, its backups and integrations, the type's plans, and "NEW does not exist".
pub(crate) async fn fixture(env: &Env, stype: &str, source_plan: &str, plans: Value, pitr: bool) {
    env.mock(
        "GET",
        "/v1/project/proj/service/src",
        200,
        json!({"service": svc("src", stype, source_plan, "RUNNING", json!([]))}),
    )
    .await;
    env.mock("GET", "/v1/project/proj/service/src/integration", 200, json!({"service_integrations": []})).await;
    let mut backups =
        json!({"backups": [{"backup_name": "backup-1", "backup_time": "2026-11-20T10:00:00Z", "data_size": 1}]});
    if pitr {
        backups["pitr"] =
            json!({"primary_region": {"pitr_range_start": "2026-11-20T10:00:00Z", "pitr_range_end": null}});
    }
    env.mock("GET", "/v1/project/proj/service/src/backups", 200, backups).await;
    env.mock("GET", &format!("/v1/project/proj/service-types/{stype}/plans"), 200, json!({"service_plans": plans}))
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service/new"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Service not found"})))
        .up_to_n_times(1)
        .mount(&env.server)
        .await;
}

pub(crate) fn plan(name: &str, nodes: u32) -> Value {
    json!({"service_plan": name, "node_count": nodes, "backup_config": {"interval": 24, "max_count": 2, "recovery_mode": "basic"},
        "regions": {"aws-eu-west-1": {"price_usd": "1"}}})
}

async fn posts(env: &Env) -> Vec<Value> {
    env.requests().await.into_iter().filter(|(m, _, _)| m == "POST").map(|(_, _, b)| b).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn cassandra_and_clickhouse_forks_need_as_many_nodes() {
    for stype in ["cassandra", "clickhouse"] {
        let env = Env::new().await;
        fixture(&env, stype, "business-6", json!([plan("startup-3", 3), plan("business-6", 6)]), false).await;
        let r = env.run(&["service", "fork", "src", "new", "-p", "startup-3"]);
        r.code(2);
        assert!(
            r.stderr.contains("at least as many nodes") && r.stderr.contains("has 3") && r.stderr.contains("has 6"),
            "{}",
            r.stderr
        );
        assert!(posts(&env).await.is_empty(), "{stype}: nothing created");
        env.mock(
            "POST",
            "/v1/project/proj/service",
            200,
            json!({"service": svc("new", stype, "business-6", "REBUILDING", json!([]))}),
        )
        .await;
        env.run(&["service", "fork", "src", "new", "--no-wait"]).code(0);
        assert_eq!(posts(&env).await[0]["plan"], "business-6", "the source's plan by default");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn named_backup_types_send_recovery_basebackup_name() {
    let env = Env::new().await;
    // The source's own tags are copied by --copy-tags, never avn's expiry or SQL record.
    let mut src = svc("src", "valkey", "startup-4", "RUNNING", json!([]));
    src["tags"] = json!({"team": "cache", "avn_expires_at": "2026-01-01T00:00:00Z", "avn_run_sql": "abc"});
    env.mock("GET", "/v1/project/proj/service/src", 200, json!({"service": src})).await;
    fixture(&env, "valkey", "startup-4", json!([plan("startup-4", 1)]), false).await;
    let r = env.run(&["service", "fork", "src", "new", "--pitr", "-1h"]);
    r.code(2);
    assert!(
        r.stderr.contains("cannot be restored to an instant") && r.stderr.contains("--backup NAME"),
        "{}",
        r.stderr
    );
    let r = env.run(&["service", "fork", "src", "new", "--backup", "backup-9"]);
    r.code(2);
    assert!(r.stderr.contains("its backups: backup-1"), "{}", r.stderr);
    assert!(posts(&env).await.is_empty());
    env.mock(
        "POST",
        "/v1/project/proj/service",
        200,
        json!({"service": svc("new", "valkey", "startup-4", "REBUILDING", json!([]))}),
    )
    .await;
    env.run(&[
        "service",
        "fork",
        "src",
        "new",
        "--backup",
        "backup-1",
        "--no-wait",
        "--copy-tags",
        "--enable-termination-protection",
    ])
    .code(0);
    assert_eq!(
        posts(&env).await[0],
        json!({"cloud": "aws-eu-west-1", "plan": "startup-4", "service_integrations": [], "service_name": "new", "service_type": "valkey",
            "user_config": {"service_to_fork_from": "src", "recovery_basebackup_name": "backup-1"},
            "termination_protection": true, "static_ips": [], "tags": {"team": "cache"}})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pitr_forks_send_normalised_utc_and_check_the_window() {
    let env = Env::new().await;
    let mut p = plan("startup-4", 1);
    p["backup_config"]["recovery_mode"] = json!("pitr");
    fixture(&env, "pg", "startup-4", json!([p]), true).await;
    env.mock(
        "POST",
        "/v1/project/proj/service",
        200,
        json!({"service": svc("new", "pg", "startup-4", "REBUILDING", json!([]))}),
    )
    .await;
    let r = env.run(&["service", "fork", "src", "new", "--pitr", "2026-11-20T12:30:00.25+02:00", "--no-wait"]);
    r.code(0);
    assert_eq!(
        posts(&env).await[0]["user_config"],
        json!({"service_to_fork_from": "src", "recovery_target_time": "2026-11-20T10:30:00.250000+00:00"})
    );
}

pub(crate) async fn progress_fixture(env: &Env) {
    fixture(env, "valkey", "startup-4", json!([plan("startup-4", 1)]), false).await;
    env.mock(
        "POST",
        "/v1/project/proj/service",
        200,
        json!({"service": svc("new", "valkey", "startup-4", "REBUILDING", json!([]))}),
    )
    .await;
    let steps = [
        json!([{"phase": "basebackup", "min": 0, "max": 1000, "current": 400, "unit": "bytes_uncompressed", "completed": false}]),
        json!([{"phase": "basebackup", "min": 0, "max": 1000, "current": 1000, "unit": "bytes_uncompressed", "completed": true},
               {"phase": "stream", "min": 100, "max": 200, "current": 190, "unit": "wal_lsn", "completed": false}]),
    ];
    for p in steps {
        let mut fork = svc("new", "valkey", "startup-4", "REBUILDING", p);
        fork["user_config"] = json!({"service_to_fork_from": "src"});
        Mock::given(method("GET"))
            .and(path("/v1/project/proj/service/new"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"service": fork})))
            .up_to_n_times(1)
            .mount(&env.server)
            .await;
    }
    env.mock(
        "GET",
        "/v1/project/proj/service/new",
        200,
        json!({"service": svc("new", "valkey", "startup-4", "RUNNING", json!([]))}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_young_source_without_a_backup_yet_is_waited_for() {
    let env = Env::new().await;
    let mut src = svc("src", "valkey", "startup-4", "RUNNING", json!([]));
    src["create_time"] = json!(jiff::Timestamp::now().to_string());
    env.mock("GET", "/v1/project/proj/service/src", 200, json!({"service": src})).await;
    env.mock("GET", "/v1/project/proj/service/src/integration", 200, json!({"service_integrations": []})).await;
    env.mock(
        "GET",
        "/v1/project/proj/service-types/valkey/plans",
        200,
        json!({"service_plans": [plan("startup-4", 1)]}),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service/src/backups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"backups": []})))
        .up_to_n_times(2)
        .mount(&env.server)
        .await;
    env.mock(
        "GET",
        "/v1/project/proj/service/src/backups",
        200,
        json!({"backups": [{"backup_name": "b1", "backup_time": "2026-11-21T00:00:00Z"}]}),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service/new"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Service not found"})))
        .mount(&env.server)
        .await;
    let r = env.run(&["service", "fork", "src", "new", "--dry-run"]);
    r.code(0);
    assert!(r.stderr.contains("waiting for its first backup"), "{}", r.stderr);
    let polls = env.requests().await.into_iter().filter(|(_, p, _)| p.ends_with("/backups")).count();
    assert_eq!(polls, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fork_can_expire() {
    let env = Env::new().await;
    progress_fixture(&env).await;
    env.run(&["service", "fork", "src", "new", "--expires-in", "8h", "--no-wait"]).code(0);
    let body = &posts(&env).await[0];
    let at: jiff::Timestamp = body["tags"]["avn_expires_at"].as_str().unwrap().parse().unwrap();
    let expected = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(8);
    assert!(at.duration_since(expected).abs() < jiff::SignedDuration::from_secs(300), "{body}");
    // The same through `service create --fork-from`.
    let env = Env::new().await;
    progress_fixture(&env).await;
    env.run(&["service", "create", "new", "--fork-from", "src", "--expires-at", "2099-01-01T00:00:00Z"]).code(0);
    assert_eq!(posts(&env).await[0]["tags"], json!({"avn_expires_at": "2099-01-01T00:00:00Z"}));
}

#[tokio::test(flavor = "multi_thread")]
async fn replace_terminates_the_old_fork_then_creates_with_its_plan_tags_and_expiry() {
    let env = Env::new().await;
    let mut old = svc("new", "valkey", "business-4", "RUNNING", json!([]));
    old["user_config"] = json!({"service_to_fork_from": "src"});
    old["create_time"] = json!("2026-11-20T10:00:00Z");
    old["tags"] = json!({"team": "ci", "avn_expires_at": "2099-01-01T00:00:00Z"});
    // NEW exists twice (the check, and the look just before the delete), then is gone.
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service/new"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"service": old})))
        .up_to_n_times(2)
        .mount(&env.server)
        .await;
    let mut src = svc("src", "valkey", "startup-4", "RUNNING", json!([]));
    src["create_time"] = json!("2026-01-01T00:00:00Z");
    env.mock("GET", "/v1/project/proj/service/src", 200, json!({"service": src})).await;
    fixture(&env, "valkey", "startup-4", json!([plan("startup-4", 1), plan("business-4", 1)]), false).await;
    env.mock("DELETE", "/v1/project/proj/service/new", 200, json!({"message": "deleted"})).await;
    env.mock(
        "POST",
        "/v1/project/proj/service",
        200,
        json!({"service": svc("new", "valkey", "business-4", "REBUILDING", json!([]))}),
    )
    .await;
    env.run(&["service", "fork", "src", "new", "--replace", "--yes", "--no-wait"]).code(0);
    let writes: Vec<(String, String, Value)> =
        env.requests().await.into_iter().filter(|(m, _, _)| m != "GET").collect();
    assert_eq!(writes[0].0, "DELETE");
    assert_eq!(writes[0].1, "/v1/project/proj/service/new");
    assert_eq!(writes[1].0, "POST");
    let body = &writes[1].2;
    assert_eq!(body["plan"], "business-4", "the old plan carries over: {body}");
    assert_eq!(body["tags"], json!({"team": "ci", "avn_expires_at": "2099-01-01T00:00:00Z"}), "{body}");
    assert_eq!(body["user_config"]["service_to_fork_from"], "src");
    assert_eq!(writes.len(), 2);

    // A NEW that says it was forked from SOURCE but predates it is another service's old fork.
    let env = Env::new().await;
    let mut old_fork = old.clone();
    old_fork["create_time"] = json!("2025-06-01T00:00:00Z");
    env.mock("GET", "/v1/project/proj/service/new", 200, json!({"service": old_fork})).await;
    env.mock("GET", "/v1/project/proj/service/src", 200, json!({"service": src})).await;
    fixture(&env, "valkey", "startup-4", json!([plan("startup-4", 1)]), false).await;
    let r = env.run(&["service", "fork", "src", "new", "--replace", "--yes", "--no-wait"]);
    assert!(r.code(2).stderr.contains("predates it"), "{}", r.stderr);
    env.assert_no_writes().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_env_file_in_a_missing_directory_is_refused_before_anything_changes() {
    let env = Env::new().await;
    progress_fixture(&env).await;
    let r = env.run(&["service", "fork", "src", "new", "--env-file", "/no/such/dir/.env"]);
    assert!(r.code(2).stderr.contains("does not exist"), "{}", r.stderr);
    env.assert_no_writes().await;
}
