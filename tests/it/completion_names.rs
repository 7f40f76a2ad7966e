//! Completion's live names (`avn __complete`): services, projects, plans, clouds and backups from
//! the API, then from the cache; hidden options; a slow, silent or unauthenticated API.

use std::path::Path;
use std::time::Duration;
use std::time::Instant;

use crate::support::wait_until;

use serde_json::json;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::ResponseTemplate;

use crate::completion::mode;
use crate::support::Env;
use crate::support::Run;

/// Run `avn __complete SHELL INDEX -- WORDS` with the line's last word under the cursor.
fn complete(env: &Env, shell: &str, line: &str) -> (Run, Duration) {
    let words: Vec<&str> = line.split(' ').collect();
    let index = (words.len() - 1).to_string();
    let mut args = vec!["__complete", shell, &index, "--"];
    args.extend(&words);
    let start = Instant::now();
    let r: Run = env.cmd(&args).output().unwrap().into();
    (r, start.elapsed())
}

fn values(env: &Env, line: &str) -> Vec<String> {
    let (r, _) = complete(env, "bash", line);
    r.code(0);
    assert_eq!(r.stderr, "", "completion prints nothing on stderr");
    r.stdout.lines().map(str::to_string).collect()
}

fn service(name: &str, service_type: &str) -> Value {
    json!({"service_name": name, "service_type": service_type, "plan": "startup-4", "cloud_name": "local", "state": "RUNNING"})
}

pub(crate) async fn env_with_services() -> Env {
    let mut env = Env::new().await;
    env.extra_env.push(("AIVEN_PROJECT".into(), "proj".into()));
    env.mock(
        "GET",
        "/v1/project/proj/service",
        200,
        json!({"services": [service("orders-db", "pg"), service("orders-cache", "valkey"), service("metrics", "mysql")]}),
    )
    .await;
    env
}

async fn requests_to(env: &Env, path: &str) -> usize {
    env.requests().await.iter().filter(|(_, p, _)| p == path).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn service_names_come_from_the_api_then_from_the_cache() {
    let env = env_with_services().await;
    assert_eq!(values(&env, "avn service get or"), ["orders-cache", "orders-db"]);
    assert_eq!(values(&env, "avn service wait orders-db or"), ["orders-cache"], "names given are not offered again");
    assert_eq!(values(&env, "avn service create copy --fork-from m"), ["metrics"]);
    let (r, _) = complete(&env, "zsh", "avn service terminate ");
    assert_eq!(r.stdout, "metrics\tmysql RUNNING\norders-cache\tvalkey RUNNING\norders-db\tpg RUNNING\n");
    assert_eq!(requests_to(&env, "/v1/project/proj/service").await, 1, "answered from the cache after the first");

    let cache = env.home.path().join(".cache/avn/completion");
    let file = std::fs::read_dir(&cache).unwrap().next().unwrap().unwrap().path();
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(&cache), 0o700);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(crate::support::TOKEN));

    // after a minute the API is asked again
    let mut entry: Value = serde_json::from_str(&text).unwrap();
    entry["fetched_ms"] = json!(entry["fetched_ms"].as_u64().unwrap() - 61_000);
    std::fs::write(&file, entry.to_string()).unwrap();
    assert_eq!(values(&env, "avn service get orders-d"), ["orders-db"]);
    assert_eq!(requests_to(&env, "/v1/project/proj/service").await, 2);

    // a command that deletes a service forgets the cached names
    env.mock("DELETE", "/v1/project/proj/service/metrics", 200, json!({"message": "deleted"})).await;
    env.cmd(&["service", "terminate", "metrics", "--force"]).output().unwrap();
    assert!(!file.exists(), "terminate forgets the cached names");
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_plans_clouds_and_backups() {
    let env = env_with_services().await;
    env.mock("GET", "/v1/project", 200, json!({"projects": [{"project_name": "proj"}, {"project_name": "staging"}]}))
        .await;
    let plans = |names: &[&str], t: &str| {
        json!({"service_plans": names.iter().map(|n| json!({"service_plan": n, "service_type": t, "node_count": 1,
            "backup_config": {"max_count": 2, "recovery_mode": "pitr"}})).collect::<Vec<_>>()})
    };
    let mut pg_plans = plans(&["startup-4", "business-4"], "pg");
    pg_plans["service_plans"].as_array_mut().unwrap().insert(
        0,
        json!({"service_plan": "hobbyist", "service_type": "pg", "node_count": 1, "backup_config": {"max_count": 0}}),
    );
    env.mock("GET", "/v1/project/proj/service-types/pg/plans", 200, pg_plans).await;
    env.mock("GET", "/v1/project/proj/service-types/mysql/plans", 200, plans(&["startup-8"], "mysql")).await;
    env.mock(
        "GET",
        "/v1/clouds",
        200,
        json!({"clouds": [{"cloud_name": "google-europe-west1", "cloud_description": "Europe, Belgium"}]}),
    )
    .await;
    env.mock(
        "GET",
        "/v1/project/proj/service/metrics/backups",
        200,
        json!({"backups": [{"backup_name": "metrics-2026-11-21_10-00", "backup_time": "2026-11-21T10:00:00Z"}]}),
    )
    .await;

    assert_eq!(values(&env, "avn --project "), ["proj", "staging"]);
    assert_eq!(values(&env, "avn service get --project=st"), ["--project=staging"]);
    assert_eq!(values(&env, "avn service fork metrics copy --source-project s"), ["staging"]);
    // plans of the source's type when forking, of -t when given
    assert_eq!(values(&env, "avn service fork metrics copy -p "), ["startup-8"]);
    // a fork offers only plans with backups (hobbyist would be refused); a create offers them all
    assert_eq!(values(&env, "avn service fork metrics copy -t pg -p "), ["business-4", "startup-4"]);
    assert_eq!(values(&env, "avn service create new -t pg -p "), ["business-4", "hobbyist", "startup-4"]);
    assert_eq!(values(&env, "avn service create new -t pg:startup-4 --plan s"), ["startup-4"]);
    assert_eq!(values(&env, "avn service create new --fork-from metrics -p "), ["startup-8"]);
    assert_eq!(values(&env, "avn service update orders-db -p b"), ["business-4"]);
    assert_eq!(values(&env, "avn service create new -p "), Vec::<String>::new(), "no type, no plans");
    assert_eq!(values(&env, "avn service create new -t pg --cloud "), ["google-europe-west1"]);
    assert_eq!(values(&env, "avn service fork metrics copy --backup "), ["metrics-2026-11-21_10-00"]);
    // recovery targets: latest, now, and the source's backup times
    assert_eq!(values(&env, "avn service fork metrics copy --pitr "), ["latest", "now", "2026-11-21T10:00:00Z"]);
    assert_eq!(values(&env, "avn service fork metrics copy --pitr 2026-11-21T1"), ["2026-11-21T10:00:00Z"]);
    assert_eq!(
        values(&env, "avn service create new --service-to-fork-from metrics --recovery-target-time l"),
        ["latest"]
    );
    let (r, _) = complete(&env, "zsh", "avn service plans -t pg --cloud g");
    assert_eq!(r.stdout, "google-europe-west1\tEurope, Belgium\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn hidden_options_are_not_offered() {
    let env = Env::new().await;
    for line in ["avn service get --", "avn service get --idle", "avn --max", "avn -"] {
        let got = values(&env, line);
        assert!(!got.is_empty() || line.contains("idle") || line.contains("max"), "{line}");
        assert!(!got.iter().any(|v| v.contains("idle-timeout") || v.contains("max-age")), "{line}: {got:?}");
    }
    // Only options can come: zsh shows them as a menu; bash gets none (it would insert a lone '-').
    let (r, _) = complete(&env, "zsh", "avn service get db1 ");
    assert!(r.stdout.contains("--json") && !r.stdout.contains("idle-timeout"), "{}", r.stdout);
    assert_eq!(values(&env, "avn service get db1 "), Vec::<String>::new());
    assert!(!values(&env, "avn ").iter().any(|v| v.starts_with("__")), "the completion entry point is not offered");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_that_never_answers_costs_a_moment_and_prints_nothing() {
    // Accepts connections (the kernel completes them) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut env = env_with_services().await;
    env.extra_env.push(("AIVEN_WEB_URL".into(), format!("http://{}", silent.local_addr().unwrap())));
    let (r, took) = complete(&env, "bash", "avn service get ");
    r.code(0);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    assert!(took < Duration::from_secs(5), "returned after {took:?}");
}

/// Whether a background refresh (`avn __complete refresh ...`) runs with `home` as its HOME.
fn refresh_running(home: &Path) -> bool {
    let (refresh, home) = (b"__complete\0refresh\0", format!("HOME={}\0", home.display()));
    std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
        cmdline.windows(refresh.len()).any(|w| w == refresh)
            && environ.windows(home.len()).any(|w| w == home.as_bytes())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_api_gets_a_moment_then_stale_names_are_offered() {
    let mut env = Env::new().await;
    env.extra_env.push(("AIVEN_PROJECT".into(), "proj".into()));
    let body = json!({"services": [service("orders-db", "pg")]});
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body.clone()))
        .up_to_n_times(1)
        .mount(&env.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body).set_delay(Duration::from_secs(10)))
        .mount(&env.server)
        .await;
    assert_eq!(values(&env, "avn service get o"), ["orders-db"]);
    // a minute later, the API has become slow: the names from before
    let cache = env.home.path().join(".cache/avn/completion");
    let file = std::fs::read_dir(&cache).unwrap().next().unwrap().unwrap().path();
    let mut entry: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    entry["fetched_ms"] = json!(entry["fetched_ms"].as_u64().unwrap() - 61_000);
    std::fs::write(&file, entry.to_string()).unwrap();
    // Counted from here: on a loaded machine the first Tab may have outrun its budget too and
    // started a background refresh of its own; counted once that one has asked, or has ended.
    tokio::task::block_in_place(|| {
        wait_until("the first Tab's background refresh to ask the API or end", Duration::from_secs(30), || {
            let asked = tokio::runtime::Handle::current().block_on(requests_to(&env, "/v1/project/proj/service"));
            (asked >= 2 || !refresh_running(env.home.path())).then_some(())
        })
    });
    let before = requests_to(&env, "/v1/project/proj/service").await;
    let (r, took) = complete(&env, "bash", "avn service get o");
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("orders-db\n", ""));
    assert!(took < Duration::from_secs(5), "returned after {took:?}");
    assert!(requests_to(&env, "/v1/project/proj/service").await > before, "it did ask");
}

#[tokio::test(flavor = "multi_thread")]
async fn names_too_slow_for_one_tab_are_there_for_the_next() {
    let mut env = Env::new().await;
    env.extra_env.push(("AIVEN_PROJECT".into(), "proj".into()));
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"services": [service("orders-db", "pg")]}))
                .set_delay(Duration::from_millis(1500)),
        )
        .mount(&env.server)
        .await;
    let (r, took) = complete(&env, "bash", "avn service get o");
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
    assert!(took < Duration::from_secs(5), "returned after {took:?}");
    // a refresh in the background waits longer and fills the cache
    let cache = env.home.path().join(".cache/avn/completion");
    wait_until("a refresh in the background", Duration::from_secs(20), || {
        let filled = std::fs::read_dir(&cache).is_ok_and(|d| {
            d.flatten().any(|e| {
                e.file_name().to_string_lossy().starts_with("services-")
                    && e.path().extension().is_some_and(|x| x == "json")
            })
        });
        if !filled {
            // more Tabs meanwhile do not start more refreshes
            complete(&env, "bash", "avn service get o");
        }
        filled.then_some(())
    });
    let (r, took) = complete(&env, "bash", "avn service get o");
    assert_eq!(r.stdout, "orders-db\n");
    assert!(took < Duration::from_secs(1), "answered from the cache after {took:?}");
    let asked = requests_to(&env, "/v1/project/proj/service").await;
    assert!(asked < 15, "one background refresh, plus one short try per Tab: {asked}");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_token_nothing_is_offered_and_nothing_asked() {
    let mut env = env_with_services().await;
    env.token = None;
    assert_eq!(values(&env, "avn service get "), Vec::<String>::new());
    assert_eq!(env.requests().await.len(), 0);
}
