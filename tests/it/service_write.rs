use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn wait_times_out_with_exit_3_and_accepts_plain_seconds() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service/db1", 200, json!({"service": service("db1", "REBUILDING")})).await;
    for t in ["1", "1s"] {
        let r = env.run(&["service", "wait", "db1", "--timeout", t]);
        r.code(3);
        assert!(r.stderr.contains("timed out after 1s waiting for db1 (REBUILDING)"), "{}", r.stderr);
        assert!(r.stderr.contains("avn service wait db1"), "{}", r.stderr);
    }
    let r = env.run(&["service", "wait", "db1", "--timeout", "soon"]);
    r.code(2);
    assert!(r.stderr.contains("invalid duration"));
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_several_until_running_json() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service/a", 200, json!({"service": service_without_uri("a", "RUNNING")})).await;
    env.mock("GET", "/v1/project/proj/service/b", 200, json!({"service": service_without_uri("b", "RUNNING")})).await;
    let r = env.run(&["service", "wait", "a", "b", "--json"]);
    r.code(0);
    let v = r.json();
    assert_eq!(v[1]["service_name"], "b");
    assert!(r.stderr.contains("Service(s) RUNNING: a, b"));
    let r = env.run(&["service", "wait", "ghost"]);
    r.code(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_bodies() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service/db1", 200, json!({"service": service("db1", "RUNNING")})).await;
    env.mock("GET", "/v1/project/proj/service-types/pg", 200, fixture("service_type_pg.json")).await;
    env.mock("PUT", "/v1/project/proj/service/db1", 200, json!({"service": service("db1", "POWEROFF")})).await;
    env.run(&["service", "update", "db1", "--power-off"]).code(0);
    env.run(&["service", "update", "db1", "--enable-termination-protection", "-p", "business-4"]).code(0);
    env.run(&["service", "update", "db1", "-c", "pg.max_connections=300", "--remove-option", "pgbouncer"]).code(0);
    let puts: Vec<_> = env.requests().await.into_iter().filter(|(m, _, _)| m == "PUT").map(|(_, _, b)| b).collect();
    assert_eq!(puts[0], json!({"plan": "startup-4", "user_config": {}, "powered": false}));
    assert_eq!(puts[1], json!({"plan": "business-4", "user_config": {}, "termination_protection": true}));
    assert_eq!(
        puts[2],
        json!({"plan": "startup-4", "user_config": {"pg": {"max_connections": 300}, "pgbouncer": null}})
    );

    let r = env.run(&["service", "update", "db1", "--power-on", "--power-off"]);
    r.code(2);
    let r = env.run(&["service", "update", "db1", "--remove-option", "pg.jit"]);
    r.code(2);
    assert!(r.stderr.contains("cannot be removed"));
    let puts = env.requests().await.into_iter().filter(|(m, _, _)| m == "PUT").count();
    assert_eq!(puts, 3, "refused updates sent nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn terminate_needs_confirmation_without_a_terminal() {
    let mut env = Env::new().await;
    env.mock("DELETE", "/v1/project/proj/service/db1", 200, json!({})).await;
    env.mock("DELETE", "/v1/project/proj/service/db2", 200, json!({})).await;
    let r = env.run(&["service", "terminate", "db1"]);
    r.code(2);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    env.assert_no_writes().await;

    let r = env.run(&["service", "terminate", "db1", "db2", "-f"]);
    r.code(0);
    assert!(r.stderr.contains("db1: terminated") && r.stderr.contains("db2: terminated"));
    let r = env.run(&["service", "terminate", "db1", "--yes"]);
    r.code(0);
    env.extra_env.push(("AIVEN_FORCE".into(), "true".into()));
    env.run(&["service", "terminate", "db1"]).code(0);
    let deletes: Vec<_> =
        env.requests().await.into_iter().filter(|(m, _, _)| m == "DELETE").map(|(_, p, _)| p).collect();
    assert_eq!(
        deletes,
        vec![
            "/v1/project/proj/service/db1",
            "/v1/project/proj/service/db2",
            "/v1/project/proj/service/db1",
            "/v1/project/proj/service/db1"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn terminate_protected_service_is_refused_with_a_hint() {
    let env = Env::new().await;
    env.mock("DELETE", "/v1/project/proj/service/db1", 403, json!({"message": "Service is protected against termination and shutdown. Remove termination protection first.", "errors": []})).await;
    let r = env.run(&["service", "terminate", "db1", "--force"]);
    r.code(4);
    assert!(
        r.stderr.contains("protected against termination") && r.stderr.contains("--disable-termination-protection"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_whose_answer_was_lost_and_then_finds_nothing_has_succeeded() {
    use wiremock::matchers::method;
    use wiremock::matchers::path;
    use wiremock::Mock;
    use wiremock::ResponseTemplate;
    let env = Env::new().await;
    // The first DELETE reaches the service but its answer is lost at the gateway; the retry finds
    // the service gone.
    Mock::given(method("DELETE"))
        .and(path("/v1/project/proj/service/db1"))
        .respond_with(ResponseTemplate::new(504).set_body_string("gateway timeout"))
        .up_to_n_times(1)
        .mount(&env.server)
        .await;
    env.mock("DELETE", "/v1/project/proj/service/db1", 404, json!({"message": "Service not found", "errors": []}))
        .await;
    let r = env.run(&["service", "terminate", "db1", "--force"]);
    r.code(0);
    assert!(r.stderr.contains("db1: terminated"), "{}", r.stderr);
    let deletes = env.requests().await.into_iter().filter(|(m, _, _)| m == "DELETE").count();
    assert_eq!(deletes, 2);
    // A plain 404, with no lost answer before it, is still an error.
    let env = Env::new().await;
    env.mock("DELETE", "/v1/project/proj/service/db1", 404, json!({"message": "Service not found", "errors": []}))
        .await;
    env.run(&["service", "terminate", "db1", "--force"]).code(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_range_numbers_are_usage_errors_not_panics() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service-types/pg", 200, fixture("service_type_pg.json")).await;
    for args in [
        &["service", "wait", "db1", "--timeout", "1e20"][..],
        &["service", "wait", "db1", "--timeout", "99999999999999999999h"],
        &["service", "list", "--request-timeout", "1e30"],
        &["service", "fork", "db1", "db2", "--pitr", "-99999999999999999999h"],
        &["service", "create", "db2", "-t", "pg", "-p", "startup-4", "--disk-space-gib", "18446744073709551615"],
    ] {
        let r = env.run(args);
        r.code(2);
        assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
    }
    let r = env.run(&[
        "service",
        "create",
        "db2",
        "-t",
        "pg",
        "-p",
        "startup-4",
        "--disk-space-gib",
        "18446744073709551615",
    ]);
    assert!(r.stderr.contains("--disk-space-gib 18446744073709551615 is too large"), "{}", r.stderr);
    env.assert_no_writes().await;
}
