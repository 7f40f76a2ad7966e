use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn types_table_json_and_options() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service_types", 200, fixture("service_types.json")).await;
    let r = env.run(&["service", "types"]);
    r.code(0).no_token();
    assert_eq!(
        r.stdout,
        "SERVICE_TYPE  DESCRIPTION\n\
         ============  =========================================================\n\
         kafka         Kafka - High-Throughput Distributed Messaging System\n\
         pg            PostgreSQL - Object-Relational Database Management System\n"
    );
    let reqs = env.requests().await;
    assert_eq!(reqs.len(), 1);
    assert_eq!((reqs[0].0.as_str(), reqs[0].1.as_str()), ("GET", "/v1/project/proj/service_types"));

    let r = env.run(&["service", "types", "-v"]);
    r.code(0);
    assert!(r.stdout.contains("Service type 'pg' options:\n  -c pg.max_connections=<integer>  (default=100)\n     max_connections: Sets the maximum number of concurrent connections\n"), "{}", r.stdout);
    assert!(r.stdout.contains("  -c pg_version=<string>  (default=\"15\")"), "{}", r.stdout);
    assert!(r.stdout.contains("Service type 'kafka' options:\n  (No configurable options)"));

    // --json before and after the subcommand
    for args in [vec!["--json", "service", "types"], vec!["service", "types", "--json"]] {
        let r = env.run(&args);
        r.code(0);
        let v = r.json();
        assert_eq!(v["pg"]["default_version"], "15");
        assert!(r.stdout.starts_with("{\n    \""), "4-space indent: {}", r.stdout);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_are_listed_as_the_official_client_does_and_show_fork_capability_with_v() {
    let env = Env::new().await;
    let mut types = fixture("service_types.json");
    let mut plans = fixture("plans_pg.json")["service_plans"].clone();
    for p in plans.as_array_mut().unwrap() {
        for r in p["regions"].as_object_mut().unwrap().values_mut() {
            r["node_memory_mb"] = json!(4096);
            r["node_cpu_count"] = json!(2);
        }
    }
    types["service_types"]["pg"]["service_plans"] = plans;
    env.mock("GET", "/v1/project/proj/service_types", 200, types).await;
    env.mock(
        "GET",
        "/v1/project/proj",
        200,
        json!({"project": {"project_name": "proj", "default_cloud": "google-europe-west1"}}),
    )
    .await;
    // The official listing, in the project's default cloud (said on stderr).
    let r = env.run(&["service", "plans", "-t", "pg"]);
    r.code(0);
    assert_eq!(
        r.stdout,
        "PostgreSQL - Object-Relational Database Management System Plans:\n\n\
         \x20   pg:hobbyist                    $0.026/h  Hobbyist (2 CPU, 4 GB RAM, 8 GB disk)\n\
         \x20   pg:startup-4                   $0.137/h  Startup-4 (2 CPU, 4 GB RAM, 80 GB disk)\n\n"
    );
    assert!(r.stderr.contains("cloud 'google-europe-west1'"), "{}", r.stderr);
    let r = env.run(&["service", "plans", "-t", "pg", "--cloud", "aws-eu-west-1", "--monthly"]);
    assert!(
        r.code(0).stdout.contains("    pg:business-4                   $300/mo  Business-4 (2 CPU, 4 GB RAM, 160 GB disk) high availability pair\n"),
        "{}",
        r.stdout
    );
    // -v: what forks need, after the listing.
    let r = env.run(&["service", "plans", "-t", "pg", "--cloud", "aws-eu-west-1", "-v"]);
    r.code(0);
    let (listing, table) = r.stdout.split_once("\n\nSERVICE_PLAN").expect(&r.stdout);
    assert!(listing.contains("pg:startup-4") && !listing.contains("hobbyist"), "{listing}");
    assert!(table.contains("business-4    2           24                     14                pitr           yes   yes       163840         0.4110"), "{table}");
    // An unknown cloud is an error that lists the clouds, not an empty listing.
    let r = env.run(&["service", "plans", "-t", "pg", "--cloud", "CLOUD_NAME"]);
    r.code(2);
    assert!(
        r.stderr.contains("no plans in cloud 'CLOUD_NAME' for service type 'pg'")
            && r.stderr.contains("aws-eu-west-1, google-europe-west1"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    // An unknown type lists the types.
    let r = env.run(&["service", "plans", "-t", "postgres"]);
    r.code(2);
    assert!(r.stderr.contains("unknown service type 'postgres'") && r.stderr.contains("kafka, pg"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_and_masks_secrets() {
    let env = Env::new().await;
    let mut kafka = service("events", "REBUILDING");
    kafka["service_type"] = json!("kafka");
    env.mock("GET", "/v1/project/proj/service", 200, json!({"services": [service("db1", "RUNNING"), kafka]})).await;
    let r = env.run(&["service", "list"]);
    r.code(0);
    assert_eq!(
        r.stdout,
        "SERVICE_NAME  SERVICE_TYPE  STATE       CLOUD_NAME           PLAN       CREATE_TIME           UPDATE_TIME           NOTIFICATIONS\n\
         ============  ============  ==========  ===================  =========  ====================  ====================  =============\n\
         db1           pg            RUNNING     google-europe-west1  startup-4  2026-11-20T10:00:00Z  2026-11-21T09:30:00Z\n\
         events        kafka         REBUILDING  google-europe-west1  startup-4  2026-11-20T10:00:00Z  2026-11-21T09:30:00Z\n"
    );
    let r = env.run(&["service", "list", "-t", "pg", "--json"]);
    let v = r.code(0).json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["service_name"], "db1");
    assert_eq!(v[0]["notifications"], json!([]));
    // --json is data, as the official client prints it: the URI a script hands to psql.
    assert!(r.stdout.contains("postgres://avnadmin:PASSWORD-xyz@db1-proj"), "{}", r.stdout);
    let r = env.run(&["service", "list", "--json", "--show-secrets"]);
    assert!(r.code(0).stdout.contains("PASSWORD-xyz"));
    let r = env.run(&["service", "list", "-t", "pg", "--format", "{service_uri}"]);
    assert_eq!(
        r.code(0).stdout.trim(),
        "postgres://avnadmin:PASSWORD-xyz@db1-proj.example.invalid:12691/defaultdb?sslmode=require"
    );
    // Tables are read by people: masked.
    let r = env.run(&["service", "list"]);
    assert!(!r.code(0).stdout.contains("PASSWORD-xyz"), "{}", r.stdout);

    let r = env.run(&["service", "list", "events", "--format", "{service_name} {state}"]);
    assert_eq!(r.code(0).stdout, "events REBUILDING\n");
    let r = env.run(&["service", "list", "--format", "{nope}"]);
    r.code(2);
    assert!(r.stderr.contains("unknown field 'nope'") && r.stderr.contains("service_name"), "{}", r.stderr);
    let r = env.run(&["service", "list", "ghost"]);
    r.code(1);
    assert!(r.stderr.contains("ghost"));
}

#[tokio::test(flavor = "multi_thread")]
async fn get_shows_progress_details_and_404() {
    let env = Env::new().await;
    let mut s = service("db1", "REBUILDING");
    s["node_states"] = json!([{"name": "db1-1", "state": "syncing_data", "progress_updates": [
        {"phase": "basebackup", "min": 0, "max": 200, "current": 50, "unit": "bytes_uncompressed", "completed": false}]}]);
    env.mock("GET", "/v1/project/proj/service/db1", 200, json!({"service": s})).await;
    env.mock(
        "GET",
        "/v1/project/proj/service/nope",
        404,
        json!({"message": "Service not found", "errors": [{"message": "Service not found", "status": 404}]}),
    )
    .await;
    let r = env.run(&["service", "get", "db1"]);
    r.code(0);
    assert!(
        r.stdout.contains(
            "Service node states\nNAME   STATE         PHASE       MIN  CURRENT  MAX  UNIT                PROGRESS\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("db1-1  syncing_data  basebackup  0    50       200  bytes_uncompressed  25.0 %"),
        "{}",
        r.stdout
    );
    let r = env.run(&["service", "get", "db1", "-v"]);
    r.code(0);
    assert!(
        r.stdout.contains(
            "    service_uri = postgres://avnadmin:********@db1-proj.example.invalid:12691/defaultdb?sslmode=require"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("    users = avnadmin") && r.stdout.contains("    user_config.pg_version = 15"));
    assert!(!r.stdout.contains("PASSWORD-xyz"));
    let r = env.run(&["service", "get", "db1", "--json"]);
    assert_eq!(r.code(0).json()["node_states"][0]["progress_updates"][0]["current"], 50);
    let r = env.run(&["service", "get", "nope"]);
    r.code(1);
    assert!(r.stderr.contains("Service not found"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn backups_show_pitr_window() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service/db1/backups", 200, fixture("backups.json")).await;
    let r = env.run(&["service", "backup-list", "db1"]);
    r.code(0);
    assert_eq!(
        r.stdout,
        "BACKUP_NAME                    BACKUP_TIME           DATA_SIZE  STORAGE_LOCATION\n\
         =============================  ====================  =========  ===================\n\
         backup-20261120t100000000000z  2026-11-20T10:00:00Z  756.0 KiB  google-europe-west1\n\
         backup-20261121t100000000000z  2026-11-21T10:00:00Z  756.8 KiB  google-europe-west1\n"
    );
    // Bytes for scripts: --format and --json.
    let r = env.run(&["service", "backup-list", "db1", "--format", "{data_size}"]);
    assert_eq!(r.code(0).stdout, "774144\n775000\n");
    assert!(r.stderr.contains("Point-in-time recovery window: 2026-11-20T10:00:00Z .. now"), "{}", r.stderr);
    let v = env.run(&["service", "backup-list", "db1", "--json"]).json();
    assert_eq!(v[1]["data_size"], 775000);
}

#[tokio::test(flavor = "multi_thread")]
async fn integrations_table() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service/db1/integration", 200, fixture("integrations.json")).await;
    let r = env.run(&["service", "integration-list", "db1"]);
    r.code(0);
    assert_eq!(
        r.stdout,
        "SERVICE_INTEGRATION_ID     SOURCE  DEST  INTEGRATION_TYPE  ENABLED  ACTIVE  DESCRIPTION\n\
         =========================  ======  ====  ================  =======  ======  ===============\n\
         a1b2                       db1     m3    metrics           true     true    Send metrics\n\
         (integration not enabled)  db1           datadog           false    false   Send to Datadog\n"
    );
    let r = env.run(&["service", "integration-list", "db1", "-v"]);
    assert!(
        r.code(0).stdout.lines().next().unwrap().ends_with("DESCRIPTION      SOURCE_PROJECT  DEST_PROJECT"),
        "{}",
        r.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn project_list_is_the_official_clients_table_and_json() {
    let env = Env::new().await;
    env.mock(
        "GET",
        "/v1/project",
        200,
        json!({"projects": [{"project_name": "proj", "default_cloud": "google-europe-west1", "account_id": "a1"},
            {"project_name": "staging", "default_cloud": "aws-eu-west-1"}]}),
    )
    .await;
    let r = env.run(&["project", "list"]);
    r.code(0);
    assert!(r.stdout.starts_with("PROJECT_NAME  DEFAULT_CLOUD        CREDIT_CARD\n"), "{}", r.stdout);
    assert!(r.stdout.contains("staging       aws-eu-west-1"), "{}", r.stdout);
    let v = env.run(&["project", "list", "--json"]).code(0).json();
    assert_eq!(v[0]["project_name"], "proj");
    assert_eq!(v[0]["account_id"], "a1");
    assert_eq!(env.run(&["project", "list", "--format", "{project_name}"]).code(0).stdout, "proj\nstaging\n");
}
