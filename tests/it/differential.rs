//! Differential tests: the official client (aiven-client 4.18.0) is the oracle.
//!
//! Each case runs the same command line through both clients, each against its own copy of one
//! recording fixture server, and compares what matters to a script:
//! - the method, path, query and JSON body of every request that changes something;
//! - `--json` stdout, parsed;
//! - a table's column headers;
//! - files the command writes (`project switch`, `user login`);
//! - for errors, that both refuse.
//!
//! Deliberate differences are listed in README.md ("Differences from the official client"); each
//! has an id (`D1`, ...) that a case names, and the test checks that the difference is really
//! there, so the README stays true. Any other difference fails.
//!
//! The official client lives in a virtual environment under `target/official-client`
//! (`scripts/install-deps` makes it; `AVN_OFFICIAL_PYTHON` points elsewhere). Without it the
//! tests say they are skipped, unless `AVN_REQUIRE_OFFICIAL=1` (set by `scripts/test`), which
//! makes a missing client a failure.
//!
//! The cases that change something are in `differential_writes.rs`; how two outcomes are
//! compared is `differential_compare.rs`.

use std::path::Path;
use std::path::PathBuf;
use std::process::Command;
use std::process::Stdio;

use serde_json::json;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::MockServer;
use wiremock::ResponseTemplate;

use crate::support::fixture;
use crate::support::service;
use crate::support::service_without_uri;
use crate::support::Run;

use crate::differential_compare::compare;

const TOKEN: &str = "tok-DIFF-0123456789";

/// The deliberate differences, by id, as README.md lists them.
pub const KNOWN: &[(&str, &str)] = &[
    ("D1", "exit codes: usage and validation errors exit 2, timeouts 3, auth 4 (the official client exits 1)"),
    ("D2", "invalid service names are refused before any request"),
    ("D3", "--recovery-target-time without a fork source is refused instead of being dropped"),
    ("D4", "service plans without --cloud lists the plans in the project's default cloud (the official client lists none)"),
    ("D5", "-c values for array options also accept a plain value or a comma list (the official client needs a Python list literal and crashes otherwise)"),
    ("D6", "service create prints the new service"),
    ("D7", "unknown project, cloud, plan or service to fork from is refused before anything is created"),
    ("D9", "service plans --json prints only JSON (the official client puts a text line before it when --cloud is not given)"),
    ("D10", "--recovery-target-time is checked against the PITR window and sent as UTC in RFC 3339 (the official client sends the text as typed)"),
    ("D11", "user-password-reset --new-password - reads the password from stdin (the official client sets it to '-')"),
    ("D12", "a new password shorter than 8 characters and --pool-size 0 are refused before any request"),
    ("D8", "service list NAME fails when a named service does not exist (the official client prints an empty table)"),
];

/// What a case expects beyond equality.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Expect {
    /// Everything compared is equal.
    Same,
    /// Everything compared is equal, and stdout byte for byte (text listings that are not tables).
    SameText,
    /// The official client accepts the command (and may send something); avn refuses it and
    /// sends nothing that changes anything.
    WeRefuse(&'static str),
    /// Both succeed and send the same writes, but stdout differs by design (not compared).
    OutputDiffers(&'static str),
    /// The official client fails on the command (a crash or an error) where avn does what it
    /// says; only avn's success is checked.
    WeAccept(&'static str),
    /// Both succeed and send the same requests, except that avn sends `.1` where the official
    /// client sends `.0` (a value avn normalises).
    Normalised(&'static str, &'static str, &'static str),
}

pub(crate) struct Case {
    pub(crate) args: &'static [&'static str],
    pub(crate) expect: Expect,
    /// Text fed on stdin.
    pub(crate) stdin: &'static str,
}

pub(crate) const fn case(args: &'static [&'static str]) -> Case {
    Case { args, expect: Expect::Same, stdin: "" }
}

pub(crate) const fn known(args: &'static [&'static str], expect: Expect) -> Case {
    Case { args, expect, stdin: "" }
}

pub fn official_python() -> Option<PathBuf> {
    let python = std::env::var_os("AVN_OFFICIAL_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/official-client/bin/python"));
    let ok = Command::new(&python)
        .args(["-c", "import aiven.client.version as v; assert v.__version__ == '4.18.0', v.__version__"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    assert!(
        std::env::var_os("AVN_REQUIRE_OFFICIAL").is_none(),
        "the official client (aiven-client 4.18.0) is not installed at {}: run scripts/install-deps",
        python.display()
    );
    eprintln!("SKIPPED: aiven-client 4.18.0 is not installed at {} (scripts/install-deps)", python.display());
    None
}

/// The fixture world both clients see: project `proj` (and `other`), services `db1` (pg,
/// RUNNING, with a URI), `w1` (pg, RUNNING, no URI, for waits) and `events` (kafka).
async fn world() -> MockServer {
    let server = MockServer::start().await;
    // The shared fixtures, completed with what the real API also sends and the official client
    // reads (plan specs, endpoint ids), and options of every JSON type.
    let mut plans = fixture("plans_pg.json");
    for plan in plans["service_plans"].as_array_mut().unwrap() {
        for region in plan["regions"].as_object_mut().unwrap().values_mut() {
            region["node_memory_mb"] = json!(4096);
            region["node_cpu_count"] = json!(2);
        }
    }
    let mut types = fixture("service_types.json");
    types["service_types"]["pg"]["service_plans"] = plans["service_plans"].clone();
    let schema = &mut types["service_types"]["pg"]["user_config_schema"]["properties"];
    schema["ip_filter"] =
        json!({"type": "array", "items": {"type": "string"}, "title": "IP filter", "default": ["0.0.0.0/0"]});
    schema["pg"]["properties"]["jit"] = json!({"type": "boolean", "title": "jit", "description": "Controls JIT"});
    schema["admin_password"] = json!({"type": ["string", "null"], "title": "Admin password"});
    let versions = json!({"service_versions": [
        {"service_type": "pg", "major_version": "15", "state": "available", "aiven_end_of_life_time": null,
         "availability_start_time": null, "availability_end_time": null, "termination_time": null,
         "upstream_end_of_life_time": null, "end_of_life_help_article_url": null}
    ]});
    let mut integrations = fixture("integrations.json");
    for i in integrations["service_integrations"].as_array_mut().unwrap() {
        i["source_endpoint_id"] = json!(null);
        i["dest_endpoint_id"] = json!(if i["dest_service"].is_null() { json!("ep-datadog") } else { json!(null) });
    }
    let mut events = service("events", "RUNNING");
    events["service_type"] = json!("kafka");
    let mut db1 = service("db1", "RUNNING");
    db1["components"] = json!([{"component": "pg", "host": "db1.example.com", "port": 28001, "route": "dynamic",
        "usage": "primary", "ssl": true}]);
    db1["users"].as_array_mut().unwrap().push(json!({"username": "app", "password": "PW-app-1", "type": "normal"}));
    db1["connection_pools"] = json!([{"pool_name": "p1", "database": "defaultdb", "username": "app", "pool_mode": "transaction",
        "pool_size": 10, "connection_uri": "postgres://app:PW-app-1@db1.example.com:28001/p1?sslmode=require"}]);
    let w1 = service_without_uri("w1", "RUNNING");
    let project = |name: &str| {
        json!({"project_name": name, "default_cloud": "google-europe-west1", "account_id": "a1",
               "billing_group_id": "bg1", "estimated_balance": "0.00", "vpc_id": null, "card_info": null})
    };
    let created = |name: &str| {
        let mut s = service(name, "REBUILDING");
        s["state"] = json!("REBUILDING");
        json!({"service": s})
    };
    let routes: Vec<(&str, String, u16, Value)> = vec![
        ("GET", "/v1/project".into(), 200, json!({"projects": [project("proj"), project("other")]})),
        (
            "GET",
            "/v1/me".into(),
            200,
            json!({"user": {"user": "dev@example.com", "real_name": "Dev Eloper", "state": "active",
                "token_validity_begin": "2026-11-20T10:00:00Z", "projects": ["proj", "other"],
                "auth": ["password", "saml"], "user_id": "u1", "create_time": "2026-01-01T00:00:00Z"}}),
        ),
        ("GET", "/v1/project/proj".into(), 200, json!({"project": project("proj")})),
        ("GET", "/v1/project/other".into(), 200, json!({"project": project("other")})),
        ("GET", "/v1/project/proj/vpcs".into(), 200, json!({"vpcs": []})),
        ("GET", "/v1/service_versions".into(), 200, versions.clone()),
        ("GET", "/v1/account/a1/service_versions".into(), 200, versions),
        ("GET", "/v1/project/proj/service_types".into(), 200, types.clone()),
        ("GET", "/v1/service_types".into(), 200, types.clone()),
        ("GET", "/v1/project/proj/service-types/pg".into(), 200, types["service_types"]["pg"].clone()),
        ("GET", "/v1/project/proj/service-types/kafka".into(), 200, types["service_types"]["kafka"].clone()),
        ("GET", "/v1/project/proj/service-types/pg/plans".into(), 200, plans.clone()),
        ("GET", "/v1/project/proj/service".into(), 200, json!({"services": [db1, w1, events]})),
        ("GET", "/v1/project/proj/service/db1".into(), 200, json!({"service": db1})),
        ("GET", "/v1/project/proj/service/w1".into(), 200, json!({"service": w1})),
        ("GET", "/v1/project/proj/service/events".into(), 200, json!({"service": events})),
        ("GET", "/v1/project/proj/service/db1/backups".into(), 200, fixture("backups.json")),
        (
            "GET",
            "/v1/project/proj/service/db1/user/app".into(),
            200,
            json!({"user": {"username": "app", "password": "PW-app-1", "type": "normal"}}),
        ),
        (
            "GET",
            "/v1/project/proj/service/db1/db".into(),
            200,
            json!({"databases": [{"database_name": "appdb", "lc_collate": "C", "lc_ctype": "C"},
                                 {"database_name": "defaultdb", "lc_collate": "en_US.UTF-8", "lc_ctype": "en_US.UTF-8"}]}),
        ),
        (
            "POST",
            "/v1/project/proj/service/db1/user".into(),
            200,
            json!({"user": {"username": "app", "password": "PW-app-1", "type": "normal"}}),
        ),
        ("GET", "/v1/project/proj/service/db1/tags".into(), 200, json!({"tags": {"team": "billing", "env": "dev"}})),
        ("PUT", "/v1/project/proj/service/db1/tags".into(), 200, json!({"message": "tags updated"})),
        ("PATCH", "/v1/project/proj/service/db1/tags".into(), 200, json!({"message": "tags updated"})),
        (
            "POST",
            "/v1/project/proj/service/db1/logs".into(),
            200,
            json!({"logs": [
                {"time": "2026-12-06T14:05:19.777000", "hostname": "db1-1", "unit": "postgresql-16.service", "msg": "LOG:  ready"},
                {"time": "2026-12-06T14:05:21.105000", "hostname": "db1-1", "unit": "postgresql-16.service", "msg": "LOG:  checkpoint"}],
                "offset": "120", "first_log_offset": "0"}),
        ),
        (
            "POST",
            "/v1/project/proj/service/db1/query/activity".into(),
            200,
            json!({"queries": [{"pid": 42, "query": "SELECT pg_sleep(5)", "query_duration": 1.5, "client_addr": "10.0.0.1",
                "application_name": "psql", "datname": "defaultdb", "usename": "avnadmin", "state": "active"}]}),
        ),
        (
            "POST",
            "/v1/project/proj/service/db1/pg/query/stats".into(),
            200,
            json!({"queries": [{"query": "SELECT $1", "max_time": 0.5, "stddev_time": 0.1, "min_time": 0.01, "mean_time": 0.2,
                "rows": 10, "calls": 10, "total_time": 2.0, "database_name": "defaultdb", "user_name": "avnadmin"}]}),
        ),
        ("PUT", "/v1/project/proj/service/db1/user/app".into(), 200, json!({"message": "updated"})),
        ("DELETE", "/v1/project/proj/service/db1/user/app".into(), 200, json!({"message": "deleted"})),
        ("POST", "/v1/project/proj/service/db1/db".into(), 200, json!({"message": "created"})),
        ("DELETE", "/v1/project/proj/service/db1/db/appdb".into(), 200, json!({"message": "deleted"})),
        ("POST", "/v1/project/proj/service/db1/connection_pool".into(), 200, json!({"message": "created"})),
        ("PUT", "/v1/project/proj/service/db1/connection_pool/p1".into(), 200, json!({"message": "updated"})),
        ("DELETE", "/v1/project/proj/service/db1/connection_pool/p1".into(), 200, json!({"message": "deleted"})),
        ("GET", "/v1/project/proj/service/db1/integration".into(), 200, integrations),
        ("GET", "/v1/project/proj/service/w1/integration".into(), 200, json!({"service_integrations": []})),
        ("PUT", "/v1/project/proj/service/db1".into(), 200, json!({"service": db1})),
        ("PUT", "/v1/project/proj/service/w1".into(), 200, json!({"service": w1})),
        ("DELETE", "/v1/project/proj/service/db1".into(), 200, json!({})),
    ];
    for (m, p, status, body) in routes {
        Mock::given(method(m))
            .and(path(p))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&server)
            .await;
    }
    for name in ["new1", "forked", "pitr1"] {
        Mock::given(method("POST"))
            .and(path("/v1/project/proj/service"))
            .and(wiremock::matchers::body_partial_json(json!({"service_name": name})))
            .respond_with(ResponseTemplate::new(201).set_body_json(created(name)))
            .mount(&server)
            .await;
    }
    // Any other name is created too (the server does not judge names).
    Mock::given(method("POST"))
        .and(path("/v1/project/proj/service"))
        .respond_with(ResponseTemplate::new(201).set_body_json(created("other-name")))
        .with_priority(6)
        .mount(&server)
        .await;
    // Anything else: Aiven's 404.
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({
            "message": "Not found", "errors": [{"message": "Not found", "status": 404}]
        })))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}

pub(crate) struct Outcome {
    pub(crate) run: Run,
    /// Requests that change something: (method, path and query, JSON body).
    pub(crate) writes: Vec<(String, String, Value)>,
    /// The config and credentials files after the run.
    pub(crate) files: Value,
}

enum Client<'a> {
    Ours,
    Official(&'a Path),
}

async fn run(client: &Client<'_>, c: &Case) -> Outcome {
    let server = world().await;
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("aiven-client.json"), r#"{"default_project": "proj"}"#).unwrap();
    // The same environment for both clients: nothing inherited but PATH.
    let mut cmd = match client {
        Client::Ours => crate::support::avn_command(home.path()),
        Client::Official(python) => {
            let mut cmd = Command::new(python);
            cmd.env_clear()
                .env("HOME", home.path())
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("NO_COLOR", "1")
                .args(["-m", "aiven.client"]);
            cmd
        }
    };
    cmd.env("COLUMNS", "200")
        .env("AIVEN_WEB_URL", server.uri())
        .env("AIVEN_AUTH_TOKEN", TOKEN)
        .env("AIVEN_CONFIG_DIR", &config)
        .args(c.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let stdin = c.stdin.to_string();
    let run: Run = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        child.wait_with_output().unwrap().into()
    })
    .await
    .unwrap();
    let writes = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            let mut target = r.url.path().to_string();
            if let Some(q) = r.url.query() {
                target = format!("{target}?{q}");
            }
            (r.method.to_string(), target, serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        })
        .collect();
    let read = |name: &str| {
        std::fs::read_to_string(config.join(name))
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .unwrap_or(Value::Null)
    };
    let files = json!({"config": read("aiven-client.json"), "credentials": read("aiven-credentials.json")});
    Outcome { run, writes, files }
}

pub(crate) async fn check(cases: &[Case]) {
    let Some(python) = official_python() else { return };
    let official = Client::Official(&python);
    let mut failures = vec![];
    for c in cases {
        let (ours, theirs) = tokio::join!(run(&Client::Ours, c), run(&official, c));
        assert!(!ours.run.stdout.contains(TOKEN) && !ours.run.stderr.contains(TOKEN), "token leaked");
        if let Err(e) = compare(c, &ours, &theirs) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_match_the_official_client() {
    check(&[
        case(&["service", "types"]),
        case(&["service", "types", "--json"]),
        case(&["service", "types", "-v"]),
        case(&["service", "types", "--project", "proj", "--json"]),
        known(&["service", "plans", "-t", "pg", "--cloud", "google-europe-west1"], Expect::SameText),
        known(&["service", "plans", "-t", "pg", "--cloud", "aws-eu-west-1", "--monthly"], Expect::SameText),
        known(&["service", "plans", "--cloud", "google-europe-west1"], Expect::SameText),
        known(&["service", "plans", "-t", "pg"], Expect::OutputDiffers("D4")),
        known(&["service", "plans", "--json"], Expect::OutputDiffers("D9")),
        case(&["service", "plans", "--cloud", "google-europe-west1", "--json"]),
        case(&["service", "plans", "-t", "pg", "--cloud", "aws-eu-west-1", "--json"]),
        known(&["service", "plans", "-t", "pg", "--cloud", "nowhere"], Expect::WeRefuse("D7")),
        case(&["service", "list"]),
        case(&["service", "list", "--json"]),
        case(&["service", "list", "-t", "pg", "--json"]),
        case(&["service", "list", "db1", "--json"]),
        case(&["service", "list", "-v"]),
        known(&["service", "list", "nope"], Expect::WeRefuse("D8")),
        case(&["service", "list", "--format", "{service_name} {state}"]),
        case(&["service", "get", "db1"]),
        case(&["service", "get", "db1", "--json"]),
        case(&["service", "get", "db1", "-v"]),
        case(&["service", "get", "db1", "--format", "{service_uri}"]),
        case(&[
            "service",
            "get",
            "db1",
            "--format",
            "{service_uri_params[port]} {service_name:>10}|{termination_protection}",
        ]),
        case(&["service", "get", "db1", "--format", "{databases} {users[0][username]!r} {node_count:03d}"]),
        case(&["service", "list", "--format", "{service_name:<8}{plan:^14}{state}"]),
        case(&["service", "get", "nope"]),
        case(&["service", "backup-list", "db1"]),
        case(&["service", "backup-list", "db1", "--json"]),
        case(&["service", "integration-list", "db1"]),
        case(&["service", "integration-list", "db1", "--json"]),
        case(&["project", "list"]),
        case(&["project", "list", "--json"]),
        case(&["user", "info"]),
        case(&["user", "info", "--json"]),
        case(&["service", "user-list", "db1"]),
        case(&["service", "user-list", "db1", "--json"]),
        case(&["service", "user-list", "db1", "--format", "{username} {password}"]),
        case(&["service", "user-get", "db1", "--username", "app"]),
        case(&["service", "user-get", "db1", "--username", "app", "--json"]),
        case(&["service", "user-get", "db1", "--username", "nope"]),
        case(&["service", "database-list", "db1"]),
        case(&["service", "database-list", "db1", "--json"]),
        case(&["service", "connection-pool-list", "db1"]),
        case(&["service", "connection-pool-list", "db1", "-v"]),
        case(&["service", "connection-pool-list", "db1", "--json"]),
        case(&["service", "connection-pool-list", "db1", "--format", "{pool_name} {connection_uri}"]),
        case(&["service", "tags", "list", "db1"]),
        case(&["service", "tags", "list", "db1", "--json"]),
        known(&["service", "logs", "db1"], Expect::SameText),
        case(&["service", "logs", "db1", "-n", "5", "-S", "desc", "--json"]),
        case(&["service", "current-queries", "db1"]),
        case(&["service", "current-queries", "db1", "--json"]),
        case(&["service", "current-queries", "db1", "--format", "{pid} {query_duration} {query}"]),
        case(&["service", "queries", "db1"]),
        case(&["service", "queries", "db1", "--json"]),
        known(&["service", "connection-info", "pg", "uri", "db1"], Expect::SameText),
        known(&["service", "connection-info", "pg", "string", "db1", "-d", "appdb"], Expect::SameText),
        known(&["service", "connection-info", "psql", "db1", "-u", "avnadmin"], Expect::SameText),
        case(&["service", "connection-info", "pg", "uri", "db1", "-u", "nobody"]),
    ])
    .await;
}

#[test]
fn every_known_difference_is_in_the_readme() {
    let readme = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("## Differences from the official client")
        .nth(1)
        .expect("README.md has a section 'Differences from the official client'");
    for (id, what) in KNOWN {
        assert!(section.contains(&format!("| {id} |")), "README's differences table lacks {id}: {what}");
    }
}
