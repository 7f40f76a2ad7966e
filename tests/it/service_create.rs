use serde_json::json;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::ResponseTemplate;

use crate::support::*;

async fn env_with_schema() -> Env {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service-types/pg", 200, fixture("service_type_pg.json")).await;
    env.mock("GET", "/v1/project/proj/service-types/pg/plans", 200, fixture("plans_pg.json")).await;
    env.mock("GET", "/v1/project/proj/vpcs", 200, json!({"vpcs": []})).await;
    env
}

fn posts(reqs: &[(String, String, Value)]) -> Vec<Value> {
    reqs.iter().filter(|(m, _, _)| m == "POST").map(|(_, _, b)| b.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn documented_fork_command_sends_the_official_body() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/PROJECT_NAME/vpcs", 200, json!({"vpcs": []})).await;
    env.mock("GET", "/v1/project/PROJECT_NAME/service-types/pg", 200, fixture("service_type_pg.json")).await;
    env.mock("GET", "/v1/project/PROJECT_NAME/service-types/pg/plans", 200, fixture("plans_pg.json")).await;
    env.mock("POST", "/v1/project/PROJECT_NAME/service", 200, json!({"service": service("forked", "REBUILDING")}))
        .await;
    let docs = |cloud: &str| -> Run {
        env.cmd(&[
            "service",
            "create",
            "forked",
            "--project",
            "PROJECT_NAME",
            "--cloud",
            cloud,
            "-t",
            "pg",
            "--plan",
            "business-4",
            "-c",
            "service_to_fork_from=forker",
        ])
        .output()
        .unwrap()
        .into()
    };
    // The docs' placeholder for the cloud is refused before anything is created, with the clouds.
    let r = docs("CLOUD_NAME");
    r.code(2);
    assert!(
        r.stderr.contains("plan 'business-4' is not offered in cloud 'CLOUD_NAME'")
            && r.stderr.contains("clouds for pg: aws-eu-west-1, google-europe-west1"),
        "{}",
        r.stderr
    );
    env.assert_no_writes().await;
    env.server.reset().await;
    env.mock("GET", "/v1/project/PROJECT_NAME/vpcs", 200, json!({"vpcs": []})).await;
    env.mock("GET", "/v1/project/PROJECT_NAME/service-types/pg", 200, fixture("service_type_pg.json")).await;
    env.mock("GET", "/v1/project/PROJECT_NAME/service-types/pg/plans", 200, fixture("plans_pg.json")).await;
    env.mock("POST", "/v1/project/PROJECT_NAME/service", 200, json!({"service": service("forked", "REBUILDING")}))
        .await;
    // A source that does not exist is refused before anything is created, with the services.
    env.mock("GET", "/v1/project/PROJECT_NAME/service", 200, json!({"services": [service("db1", "RUNNING")]})).await;
    let r = docs("aws-eu-west-1");
    assert!(
        r.code(2).stderr.contains("'PROJECT_NAME/forker', does not exist; nothing was created")
            && r.stderr.contains("services in 'PROJECT_NAME': db1"),
        "{}",
        r.stderr
    );
    env.assert_no_writes().await;
    env.server.reset().await;
    env.mock("GET", "/v1/project/PROJECT_NAME/vpcs", 200, json!({"vpcs": []})).await;
    env.mock("GET", "/v1/project/PROJECT_NAME/service-types/pg", 200, fixture("service_type_pg.json")).await;
    env.mock("GET", "/v1/project/PROJECT_NAME/service-types/pg/plans", 200, fixture("plans_pg.json")).await;
    env.mock("POST", "/v1/project/PROJECT_NAME/service", 200, json!({"service": service("forked", "REBUILDING")}))
        .await;
    env.mock("GET", "/v1/project/PROJECT_NAME/service/forker", 200, json!({"service": service("forker", "RUNNING")}))
        .await;
    let r = docs("aws-eu-west-1");
    r.code(0).no_token();
    assert_eq!(r.stdout, "forked  pg  REBUILDING  google-europe-west1  startup-4\n");
    let reqs = env.requests().await;
    let seq: Vec<(String, String)> = reqs.iter().map(|(m, p, _)| (m.clone(), p.clone())).collect();
    assert_eq!(
        seq,
        vec![
            ("GET".into(), "/v1/project/PROJECT_NAME/vpcs".into()),
            ("GET".into(), "/v1/project/PROJECT_NAME/service-types/pg".into()),
            ("GET".into(), "/v1/project/PROJECT_NAME/service-types/pg/plans".into()),
            ("GET".into(), "/v1/project/PROJECT_NAME/service/forker".into()),
            ("POST".into(), "/v1/project/PROJECT_NAME/service".into()),
        ]
    );
    assert_eq!(
        reqs[4].2,
        json!({"cloud": "aws-eu-west-1", "plan": "business-4", "service_integrations": [], "service_name": "forked",
            "service_type": "pg", "user_config": {"service_to_fork_from": "forker"},
            "termination_protection": false, "static_ips": []})
    );
    // headers of the create
    let raw = env.server.received_requests().await.unwrap();
    let post = raw.iter().find(|r| r.method.as_str() == "POST").unwrap();
    assert_eq!(post.headers.get("authorization").unwrap(), &format!("aivenv1 {TOKEN}"));
    assert_eq!(post.headers.get("content-type").unwrap(), "application/json");
    assert!(post.headers.get("user-agent").unwrap().to_str().unwrap().starts_with("avn/"));
    assert!(post.headers.get("accept-encoding").unwrap().to_str().unwrap().contains("gzip"));
}

#[tokio::test(flavor = "multi_thread")]
async fn options_are_typed_by_the_schema() {
    let env = env_with_schema().await;
    env.mock("POST", "/v1/project/proj/service", 200, json!({"service": service("db2", "REBUILDING")})).await;
    let r = env.run(&[
        "service",
        "create",
        "db2",
        "-t",
        "pg:startup-4",
        "-p",
        "ignored",
        "-c",
        "pg.max_connections=200",
        "-c",
        "pg.jit=false",
        "-c",
        "pg.bgwriter_lru_multiplier=1.5",
        "-c",
        "ip_filter=10.0.1.0/24,10.0.2.0/24",
        "-c",
        "pg_version=15",
        "--disk-space-gib",
        "90",
        "--enable-termination-protection",
        "--no-project-vpc",
    ]);
    r.code(0);
    let body = &posts(&env.requests().await)[0];
    assert_eq!(
        body,
        &json!({"cloud": null, "plan": "startup-4", "service_integrations": [], "service_name": "db2", "service_type": "pg",
            "user_config": {"pg": {"max_connections": 200, "jit": false, "bgwriter_lru_multiplier": 1.5},
                "ip_filter": ["10.0.1.0/24", "10.0.2.0/24"], "pg_version": "15"},
            "termination_protection": true, "static_ips": [], "disk_space_mb": 92160, "project_vpc_id": null})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn user_config_json_from_file_merges_with_options() {
    let env = env_with_schema().await;
    env.mock("POST", "/v1/project/proj/service", 200, json!({"service": service("db2", "REBUILDING")})).await;
    let f = env.home.path().join("uc.json");
    std::fs::write(&f, r#"{"pg": {"max_connections": 50}, "pg_version": "16"}"#).unwrap();
    let arg = format!("@{}", f.display());
    env.run(&[
        "service",
        "create",
        "db2",
        "-t",
        "pg",
        "-p",
        "startup-4",
        "--user-config-json",
        &arg,
        "-c",
        "pg.jit=true",
    ])
    .code(0);
    assert_eq!(
        posts(&env.requests().await)[0]["user_config"],
        json!({"pg": {"max_connections": 50, "jit": true}, "pg_version": "16"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_fails_before_any_write() {
    let env = env_with_schema().await;
    env.mock("GET", "/v1/project/proj/service_types", 200, fixture("service_types.json")).await;
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-c", "pg.max_conections=5"], "did you mean: pg.max_connections"),
        (vec!["-c", "pg.max_connections=many"], "expected integer"),
        (vec!["-c", "pg.jit=yes"], "expected boolean"),
        (vec!["-c", "noequals"], "expected KEY=VALUE"),
        (vec!["--recovery-target-time", "2026-11-21 10:00:00"], "needs a service to fork from"),
        (vec!["--service-to-fork-from", "src", "--recovery-target-time", "2099-01-01T00:00:00Z"], "in the future"),
        (vec!["--service-to-fork-from", "src", "--recovery-target-time", "yesterday"], "RFC 3339"),
        (vec!["--user-config-json", "{nope"], "not valid JSON"),
        (vec!["--user-config-json", "{\"pgg\": 1}"], "unknown option 'pgg'"),
    ];
    for (extra, msg) in cases {
        let mut args = vec!["service", "create", "db2", "-t", "pg", "-p", "startup-4"];
        args.extend(extra.iter());
        let r = env.run(&args);
        r.code(2);
        assert!(r.stderr.contains(msg), "{args:?}: expected '{msg}' in:\n{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    let r = env.run(&["service", "create", "db2", "-t", "pg"]);
    r.code(2);
    assert!(r.stderr.contains("no plan given") && r.stderr.contains("avn service plans -t pg"), "{}", r.stderr);
    let r = env.run(&["service", "create", "DB_2", "-t", "pg", "-p", "x"]);
    r.code(2);
    assert!(r.stderr.contains("invalid service name"));
    env.mock(
        "GET",
        "/v1/project/proj/service-types/pgg",
        404,
        json!({"message": "Unknown service type", "errors": []}),
    )
    .await;
    let r = env.run(&["service", "create", "db2", "-t", "pgg", "-p", "x"]);
    r.code(2);
    assert!(r.stderr.contains("unknown service type 'pgg'") && r.stderr.contains("did you mean: pg"), "{}", r.stderr);
    env.assert_no_writes().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn recovery_target_time_is_normalised_to_utc() {
    let env = env_with_schema().await;
    env.mock("GET", "/v1/project/proj/service/src1", 200, json!({"service": service("src1", "RUNNING")})).await;
    env.mock("GET", "/v1/project/other/service/src1", 200, json!({"service": service("src1", "RUNNING")})).await;
    env.mock("POST", "/v1/project/proj/service", 200, json!({"service": service("fork1", "REBUILDING")})).await;
    let r = env.run(&[
        "service",
        "create",
        "fork1",
        "-t",
        "pg",
        "-p",
        "startup-4",
        "--service-to-fork-from",
        "src1",
        "--recovery-target-time",
        "2026-01-02 03:04:05",
    ]);
    r.code(0);
    assert!(
        r.stderr.contains("taken as UTC") && r.stderr.contains("Recovery target: 2026-01-02T03:04:05Z ("),
        "{}",
        r.stderr
    );
    let r = env.run(&[
        "service",
        "create",
        "fork2",
        "-t",
        "pg",
        "-p",
        "startup-4",
        "--service-to-fork-from",
        "src1",
        "--project-to-fork-from",
        "other",
        "--recovery-target-time",
        "2026-01-02T05:04:05.5+02:00",
    ]);
    r.code(0);
    let bodies = posts(&env.requests().await);
    assert_eq!(
        bodies[0]["user_config"],
        json!({"service_to_fork_from": "src1", "recovery_target_time": "2026-01-02T03:04:05+00:00"})
    );
    assert_eq!(
        bodies[1]["user_config"],
        json!({"service_to_fork_from": "src1", "project_to_fork_from": "other", "recovery_target_time": "2026-01-02T03:04:05.500000+00:00"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn conflict_and_no_fail_if_exists() {
    let env = env_with_schema().await;
    env.mock("POST", "/v1/project/proj/service", 409, json!({"message": "Service name is already in use in this project", "errors": [{"message": "Service name is already in use in this project", "status": 409}]})).await;
    env.mock("GET", "/v1/project/proj/service/db1", 200, json!({"service": service("db1", "RUNNING")})).await;
    let r = env.run(&["service", "create", "db1", "-t", "pg", "-p", "startup-4"]);
    r.code(1);
    assert!(r.stderr.contains("already in use") && r.stdout.is_empty(), "{}", r.stderr);
    let r = env.run(&["service", "create", "db1", "-t", "pg", "-p", "startup-4", "--no-fail-if-exists", "--json"]);
    r.code(0);
    assert!(r.stderr.contains("service 'proj/db1' already exists"));
    assert_eq!(r.json()["service_name"], "db1");
}

#[tokio::test(flavor = "multi_thread")]
async fn ambiguous_create_failure_is_looked_up_not_retried() {
    let env = env_with_schema().await;
    env.mock("POST", "/v1/project/proj/service", 502, json!({"message": "Bad gateway"})).await;
    env.mock("GET", "/v1/project/proj/service/db9", 200, json!({"service": {"service_name": "db9", "service_type": "pg", "plan": "startup-4", "cloud_name": "c", "state": "REBUILDING"}})).await;
    let r = env.run(&["service", "create", "db9", "-t", "pg", "-p", "startup-4"]);
    r.code(0);
    assert!(r.stderr.contains("was lost") && r.stdout.starts_with("db9  pg  REBUILDING"), "{}{}", r.stdout, r.stderr);
    assert_eq!(posts(&env.requests().await).len(), 1, "a POST is never retried");

    let env = env_with_schema().await;
    env.mock("POST", "/v1/project/proj/service", 504, json!({"message": "Gateway timeout"})).await;
    env.mock("GET", "/v1/project/proj/service/db8", 404, json!({"message": "Service not found"})).await;
    let r = env.run(&["service", "create", "db8", "-t", "pg", "-p", "startup-4"]);
    r.code(1);
    assert!(r.stderr.contains("the service does not exist"), "{}", r.stderr);
    assert_eq!(posts(&env.requests().await).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn vpc_in_cloud_requires_a_choice() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/vpcs", 200, json!({"vpcs": [{"project_vpc_id": "vpc-1", "cloud_name": "aws-eu-west-1", "network_cidr": "10.0.0.0/24", "state": "ACTIVE"}]})).await;
    let r = env.run(&["service", "create", "db2", "-t", "pg", "-p", "startup-4", "--cloud", "aws-eu-west-1"]);
    r.code(2);
    assert!(r.stderr.contains("--project-vpc-id=vpc-1") && r.stderr.contains("--no-project-vpc"), "{}", r.stderr);
    env.assert_no_writes().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_wait_polls_until_running() {
    let env = env_with_schema().await;
    env.mock("POST", "/v1/project/proj/service", 200, json!({"service": service_without_uri("db3", "REBUILDING")}))
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service/db3"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"service": service_without_uri("db3", "REBUILDING")})),
        )
        .up_to_n_times(1)
        .mount(&env.server)
        .await;
    env.mock("GET", "/v1/project/proj/service/db3", 200, json!({"service": service_without_uri("db3", "RUNNING")}))
        .await;
    let r = env.run(&["service", "create", "db3", "-t", "pg", "-p", "startup-4", "--wait", "--timeout", "60"]);
    r.code(0);
    assert!(r.stdout.starts_with("db3  pg  RUNNING"), "{}", r.stdout);
    assert!(r.stderr.contains("db3: REBUILDING") && r.stderr.contains("db3: RUNNING"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_project_is_a_usage_error_that_lists_the_projects() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project", 200, json!({"projects": [{"project_name": "proj"}, {"project_name": "staging"}]}))
        .await;
    for args in [
        &["service", "create", "db2", "-t", "pg", "-p", "startup-4", "--project", "PROJECT_NAME"][..],
        &["service", "create", "db2", "-t", "pg", "-p", "startup-4", "--cloud", "c1", "--project", "PROJECT_NAME"],
        &["service", "list", "--project", "PROJECT_NAME"],
        &["service", "fork", "db1", "db2", "--project", "PROJECT_NAME"],
    ] {
        let r: Run = env.cmd(args).output().unwrap().into();
        r.code(2);
        assert!(
            r.stderr.contains("project 'PROJECT_NAME' does not exist") && r.stderr.contains("projects: proj, staging"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("came from"), "given on the command line: {}", r.stderr);
    }
    // From the environment (a CI variable): the hint says so.
    let r: Run = env.cmd(&["service", "list"]).env("AIVEN_PROJECT", "my-project").output().unwrap().into();
    assert!(r.code(2).stderr.contains("'my-project' came from the AIVEN_PROJECT environment variable"), "{}", r.stderr);
    env.assert_no_writes().await;
}
