use serde_json::json;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::ResponseTemplate;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn gets_retry_on_429_with_retry_after_and_on_503() {
    let env = Env::new().await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0").set_body_string("slow down"))
        .up_to_n_times(1)
        .mount(&env.server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(ResponseTemplate::new(503).set_body_json(json!({"message": "unavailable"})))
        .up_to_n_times(1)
        .mount(&env.server)
        .await;
    env.mock("GET", "/v1/project/proj/service", 200, json!({"services": []})).await;
    let r = env.run(&["service", "list", "-v"]);
    r.code(0);
    assert!(
        r.stderr
            .contains("retrying GET /v1/project/proj/service in 0.0s (HTTP 429 Too Many Requests; 3 attempts left)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("(HTTP 503; 2 attempts left)"), "{}", r.stderr);
    assert_eq!(env.requests().await.len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_are_bounded_and_errors_typed() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service", 502, json!({"message": "bad gateway"})).await;
    let r = env.run(&["service", "list"]);
    r.code(1);
    assert!(r.stderr.contains("bad gateway (HTTP 502 from GET /v1/project/proj/service)"), "{}", r.stderr);
    assert!(!r.stderr.contains("retrying"), "retries are reported only under -v");
    assert_eq!(env.requests().await.len(), 4);

    let env = Env::new().await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(ResponseTemplate::new(500).set_body_string("<html>oops</html>"))
        .mount(&env.server)
        .await;
    let r = env.run(&["service", "list"]);
    r.code(1);
    assert!(r.stderr.contains("HTTP 500 from GET /v1/project/proj/service: <html>oops</html>"), "{}", r.stderr);
    assert_eq!(env.requests().await.len(), 1, "500 is not retried");
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_failures_exit_4() {
    let mut env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service", 401, json!({"message": "Invalid token", "errors": []})).await;
    let r = env.run(&["service", "list"]);
    r.code(4).no_token();
    assert!(r.stderr.contains("avn user login --token"));
    env.token = None;
    let r = env.run(&["service", "list"]);
    r.code(4);
    assert!(r.stderr.contains("not authenticated"));
    assert_eq!(env.requests().await.len(), 1, "no request without a token");
}

#[tokio::test(flavor = "multi_thread")]
async fn show_http_never_prints_the_token_or_passwords() {
    let env = Env::new().await;
    env.mock("GET", "/v1/project/proj/service/db1", 200, json!({"service": service("db1", "RUNNING")})).await;
    let r = env.run(&["service", "get", "db1", "--show-http"]);
    r.code(0).no_token();
    assert!(r.stderr.contains("-----Request Begin-----\nGET http://127.0.0.1:"), "{}", r.stderr);
    assert!(r.stderr.contains("authorization: aivenv1 <redacted>"), "{}", r.stderr);
    assert!(r.stderr.contains("-----Response Begin-----\n200"));
    assert!(!r.stderr.contains("PASSWORD-xyz"), "{}", r.stderr);
    // with --auth-token as a flag too, and in error messages
    let r: Run = env
        .cmd(&["--show-http", "service", "get", "nope", "--project", "proj", "--auth-token", TOKEN])
        .output()
        .unwrap()
        .into();
    r.code(1).no_token();
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_http_to_remote_hosts_is_refused() {
    let env = Env::new().await;
    let r: Run =
        env.cmd(&["service", "list", "--project", "p", "--url", "http://api.example.invalid"]).output().unwrap().into();
    r.code(2);
    assert!(r.stderr.contains("--insecure"));
}

#[tokio::test(flavor = "multi_thread")]
async fn request_timeout_is_applied() {
    let env = Env::new().await;
    Mock::given(method("GET"))
        .and(path("/v1/project/proj/service"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"services": []}))
                .set_delay(std::time::Duration::from_secs(5)),
        )
        .mount(&env.server)
        .await;
    let r = env.run(&["service", "list", "--request-timeout", "0.2"]);
    r.code(1);
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
}
