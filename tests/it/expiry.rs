//! Services that expire: the `avn_expires_at` tag on create and fork, `update`, `list`/`get`,
//! `service prune`, and avn local terminating expired services on its own.

use std::time::Duration;

use serde_json::json;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::ResponseTemplate;

use crate::local_support::Local;
use crate::support::*;

const TAG: &str = "avn_expires_at";

fn expiry_in(body: &Value) -> jiff::Timestamp {
    body["tags"][TAG].as_str().unwrap_or_else(|| panic!("no {TAG} in {body}")).parse().unwrap()
}

fn near(t: jiff::Timestamp, expected: jiff::Timestamp) -> bool {
    t.duration_since(expected).abs() < jiff::SignedDuration::from_secs(300)
}

#[tokio::test(flavor = "multi_thread")]
async fn expiry_is_a_tag_set_on_create_and_fork_and_changed_by_update() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service-types/pg", 200, fixture("service_type_pg.json")).await;
    env.mock("GET", "/v1/project/proj/service-types/pg/plans", 200, fixture("plans_pg.json")).await;
    env.mock("GET", "/v1/project/proj/vpcs", 200, json!({"vpcs": []})).await;
    env.mock("POST", "/v1/project/proj/service", 200, json!({"service": service("db2", "REBUILDING")})).await;
    env.run(&["service", "create", "db2", "-t", "pg", "-p", "startup-4", "--expires-in", "1d"]).code(0);
    let posts: Vec<Value> =
        env.requests().await.into_iter().filter(|(m, _, _)| m == "POST").map(|(_, _, b)| b).collect();
    let day = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    assert!(near(expiry_in(&posts[0]), day), "{}", posts[0]);
    assert!(posts[0]["tags"][TAG].as_str().unwrap().ends_with('Z'), "UTC to the second: {}", posts[0]);

    // Bad expiries change nothing.
    env.server.reset().await;
    for bad in [
        &["--expires-at", "2020-01-01T00:00:00Z"][..],
        &["--expires-in", "10s"],
        &["--expires-in", "1d", "--expires-at", "2030-01-01T00:00:00Z"],
        &["--expires-at", "someday"],
    ] {
        let mut args = vec!["service", "create", "db3", "-t", "pg", "-p", "startup-4"];
        args.extend(bad);
        let r = env.run(&args);
        r.code(2);
    }
    env.assert_no_writes().await;

    // update: the other tags are kept; no service update is sent for an expiry alone.
    env.mock("GET", "/v1/project/proj/service/db1", 200, json!({"service": service("db1", "RUNNING")})).await;
    env.mock(
        "GET",
        "/v1/project/proj/service/db1/tags",
        200,
        json!({"tags": {"team": "ci", TAG: "2026-01-01T00:00:00Z"}}),
    )
    .await;
    env.mock("PATCH", "/v1/project/proj/service/db1/tags", 200, json!({"message": "tags updated"})).await;
    let r = env.run(&["service", "update", "db1", "--expires-in", "2h"]);
    assert!(r.code(0).stderr.contains("'db1' expires at"), "{}", r.stderr);
    let r = env.run(&["service", "update", "db1", "--no-expiry"]);
    assert!(r.code(0).stderr.contains("'db1' no longer expires"), "{}", r.stderr);
    // Only the expiry key is sent (PATCH): the other tags, and any written meanwhile (a rename's
    // lease), stay as they are.
    let writes: Vec<(String, String, Value)> =
        env.requests().await.into_iter().filter(|(m, _, _)| m != "GET").collect();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes.iter().all(|(m, p, _)| m == "PATCH" && p == "/v1/project/proj/service/db1/tags"), "{writes:?}");
    assert_eq!(writes[0].2["tags"].as_object().unwrap().len(), 1, "{writes:?}");
    assert!(near(expiry_in(&writes[0].2), jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)));
    assert_eq!(writes[1].2, json!({"tags": {TAG: null}}));
}

fn tagged(name: &str, stype: &str, expires: Option<&str>, protected: bool) -> Value {
    let mut s = service(name, "RUNNING");
    s["service_type"] = json!(stype);
    s["termination_protection"] = json!(protected);
    s["tags"] = match expires {
        Some(t) => json!({TAG: t, "team": "ci"}),
        None => json!({"team": "ci"}),
    };
    s
}

async fn prune_world(delete_status: u16) -> Env {
    let env = Env::new().await;
    let services = json!({"services": [
        tagged("old", "pg", Some("2026-01-01T00:00:00Z"), false),
        tagged("guarded", "pg", Some("2026-01-01T00:00:00Z"), true),
        tagged("fresh", "pg", Some("2099-01-01T00:00:00Z"), false),
        tagged("plain", "pg", None, false),
        tagged("events", "kafka", Some("2026-01-01T00:00:00Z"), false),
    ]});
    env.mock("GET", "/v1/project/proj/service", 200, services.clone()).await;
    for s in services["services"].as_array().unwrap() {
        let name = s["service_name"].as_str().unwrap();
        env.mock("GET", &format!("/v1/project/proj/service/{name}"), 200, json!({"service": s})).await;
    }
    for name in ["old", "events"] {
        Mock::given(method("DELETE"))
            .and(path(format!("/v1/project/proj/service/{name}")))
            .respond_with(ResponseTemplate::new(delete_status).set_body_json(json!({"message": "x"})))
            .mount(&env.server)
            .await;
    }
    env
}

async fn deletes(env: &Env) -> Vec<String> {
    env.requests().await.into_iter().filter(|(m, _, _)| m == "DELETE").map(|(_, p, _)| p).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_the_expiry_and_prune_terminates_only_what_expired() {
    let env = prune_world(200).await;
    let r = env.run(&["service", "list"]);
    let header = r.code(0).stdout.lines().next().unwrap().to_string();
    assert!(header.ends_with("EXPIRES"), "{header}");
    let old = r.stdout.lines().find(|l| l.starts_with("old ")).unwrap();
    assert!(old.contains("2026-01-01T00:00:00Z (expired"), "{old}");
    assert!(r.stdout.lines().any(|l| l.starts_with("fresh ") && l.contains("(in ")), "{}", r.stdout);
    // get shows it too, and -v says how long is left.
    env.mock(
        "GET",
        "/v1/project/proj/service/fresh",
        200,
        json!({"service": tagged("fresh", "pg", Some("2099-01-01T00:00:00Z"), false)}),
    )
    .await;
    let r = env.run(&["service", "get", "fresh", "-v"]);
    assert!(r.code(0).stdout.lines().next().unwrap().ends_with("EXPIRES"), "{}", r.stdout);
    assert!(r.stdout.contains("expires_at = 2099-01-01T00:00:00Z (in "), "{}", r.stdout);
    // --json carries the tag as the API gives it.
    assert_eq!(env.run(&["service", "list", "--json"]).json()[0]["tags"][TAG], "2026-01-01T00:00:00Z");

    // Without a terminal: refused without --yes; a dry run needs nothing and changes nothing.
    let r = env.run(&["service", "prune"]);
    assert!(r.code(2).stderr.contains("--yes"), "{}", r.stderr);
    let v = env.run(&["service", "prune", "--dry-run", "--json"]).code(0).json();
    let names = |k: &str| -> Vec<String> {
        v[k].as_array().unwrap().iter().map(|s| s["service_name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names("terminated"), ["old", "events"]);
    assert_eq!(names("skipped"), ["guarded"]);
    assert_eq!(v["skipped"][0]["reason"], "termination protection is on");
    assert!(deletes(&env).await.is_empty());

    // -t pg: only the expired pg service; never one without the tag, never a protected one.
    let v = env.run(&["service", "prune", "-t", "pg", "--yes", "--json"]).code(0).json();
    assert_eq!(v["terminated"][0]["service_name"], "old");
    assert_eq!(v["terminated"].as_array().unwrap().len(), 1);
    assert_eq!(deletes(&env).await, ["/v1/project/proj/service/old"]);
    // --tag filters by tag.
    let v = env.run(&["service", "prune", "--tag", "team=other", "--dry-run", "--json"]).code(0).json();
    assert_eq!(v["terminated"], json!([]));
    env.run(&["service", "prune", "--tag", "nokey"]).code(2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_termination_makes_prune_exit_1_and_says_which() {
    let env = prune_world(500).await;
    let r = env.run(&["service", "prune", "--yes", "--json"]);
    r.code(1);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["failed"].as_array().unwrap().len(), 2, "{v}");
}

#[test]
fn avn_local_terminates_expired_services_itself() {
    let l = Local::start();
    for (name, extra) in [("gone", vec![]), ("kept", vec!["--enable-termination-protection"])] {
        let mut args = vec!["service", "create", name, "-t", "pg", "-p", "hobbyist", "--expires-in", "1h"];
        args.extend(extra);
        l.avn(&args).code(0);
    }
    let v = l.avn(&["service", "get", "gone", "--json"]).json();
    assert!(v["tags"][TAG].is_string(), "the tag is stored: {v}");
    // Both expire now (the CLI refuses a past expiry, so through the tags API as another client would).
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = l.client();
    for name in ["gone", "kept"] {
        let mut tags = rt.block_on(client.service_tags("local", name)).unwrap();
        tags.insert(TAG.into(), "2026-01-01T00:00:00Z".into());
        rt.block_on(client.service_tags_replace("local", name, &tags)).unwrap();
    }
    wait_until(l.with_log("'gone' to be terminated"), Duration::from_secs(60), || {
        (l.avn(&["service", "get", "gone"]).code != 0).then_some(())
    });
    assert_eq!(l.avn(&["service", "get", "gone"]).code, 1, "not terminated within a minute:\n{}", l.log());
    // The log line follows the delete, which stops PostgreSQL after the service is already gone
    // from the API.
    let logged = |what: &str| {
        wait_until(l.with_log(format!("{what:?} in the log")), Duration::from_secs(60), || {
            l.log().contains(what).then_some(())
        });
        l.log().contains(what)
    };
    assert!(logged("expired: terminated") && l.log().contains("service=gone"), "{}", l.log());
    l.avn(&["service", "get", "kept"]).code(0);
    assert!(logged("termination protection is on: kept"), "{}", l.log());
    l.avn(&["service", "update", "kept", "--disable-termination-protection"]).code(0);
}
