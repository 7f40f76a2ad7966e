//! TLS to local services: verified against the local CA and never downgraded, a certificate from
//! another CA refused with a hint, and TLS added to a cluster adopted without it.

use std::time::Duration;

use crate::local_support::*;

fn connect(uri: &str, trust: avn::pg::Trust) -> Result<String, avn::pg::PgError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let c = avn::pg::ConnInfo::parse(uri)?.with_trust(trust).connect().await?;
        let rows = c.simple_query("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()").await?;
        Ok(rows
            .iter()
            .find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).unwrap().to_string()),
                _ => None,
            })
            .expect("a row"))
    })
}

#[test]
fn tls_is_verified_against_the_local_ca_and_never_downgraded() {
    use avn::pg::PgError;
    use avn::pg::Trust;
    let l = Local::start();
    l.avn(&["service", "create", "db", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let uri = l.uri("db");
    assert!(uri.ends_with("sslmode=require"), "avn local's URIs ask for TLS, as Aiven's do: {uri}");
    let ca = std::fs::read(l.data_dir().join("ca/ca.crt")).unwrap();

    // sslmode=require, verified against the project's CA (what avn does on Aiven and avn local).
    let project_ca = Trust::ProjectCa(std::sync::Arc::new(ca.clone()));
    assert_eq!(connect(&uri, project_ca.clone()).unwrap(), "true");
    // Another CA: refused, naming the host; --pg-insecure-tls accepts it, still over TLS.
    let other = tempfile::tempdir().unwrap();
    let other_ca = avn_local::tls::Authority::load_or_create(other.path()).unwrap().cert_pem().as_bytes().to_vec();
    let e = connect(&uri, Trust::ProjectCa(std::sync::Arc::new(other_ca))).unwrap_err();
    assert!(matches!(e, PgError::Certificate { .. }), "{e}");
    assert!(e.to_string().contains("127.0.0.1:") && e.to_string().contains("project's CA"), "{e}");
    assert_eq!(connect(&uri, Trust::Insecure).unwrap(), "true");
    // verify-full: the web PKI roots do not know the local CA; sslrootcert with it connects.
    let full = uri.replace("sslmode=require", "sslmode=verify-full");
    let e = connect(&full, Trust::Libpq).unwrap_err();
    assert!(matches!(e, PgError::Certificate { .. }), "{e}");
    let rooted = format!("{full}&sslrootcert={}", l.data_dir().join("ca/ca.crt").display());
    assert_eq!(connect(&rooted, Trust::Libpq).unwrap(), "true");
    let ca_only = rooted.replace("sslmode=verify-full", "sslmode=verify-ca");
    assert_eq!(connect(&ca_only, Trust::Libpq).unwrap(), "true");

    // The same server with TLS turned off: sslmode=require is refused before any login.
    let (inst, _port, admin) = l.instance("db");
    for q in ["ALTER SYSTEM SET ssl = off", "ALTER SYSTEM SET log_connections = on", "SELECT pg_reload_conf()"] {
        sql(&admin, q).unwrap();
    }
    // The server has reloaded its configuration (both settings at once) when a new session
    // sees ssl off.
    wait_until("the server to reload with ssl off", Duration::from_secs(30), || {
        (sql(&admin, "SHOW ssl").unwrap()[0][0] == "off").then_some(())
    });
    let log_before = std::fs::read_to_string(inst.join("postgres.log")).unwrap_or_default().len();
    for mode in ["require", "verify-ca", "verify-full"] {
        let strict = uri.replace("sslmode=require", &format!("sslmode={mode}"));
        let e = connect(&strict, project_ca.clone()).unwrap_err();
        assert!(matches!(e, PgError::TlsDeclined { .. }), "{mode}: {e}");
        assert!(e.to_string().contains("does not offer TLS"), "{e}");
    }
    // The three attempts are in the server's log.
    let log = wait_until("the three attempts in postgres.log", Duration::from_secs(30), || {
        let log = std::fs::read_to_string(inst.join("postgres.log")).unwrap_or_default();
        (log[log_before.min(log.len())..].matches("connection received").count() >= 3).then_some(log)
    });
    let after = &log[log_before.min(log.len())..];
    assert!(after.contains("connection received"), "the attempts reached the server:\n{after}");
    assert!(!after.contains("connection authorized"), "no login completed without TLS:\n{after}");
    // `avn service wait` stops at once with the reason, instead of waiting.
    let r = l.avn(&["service", "wait", "db", "--timeout", "60"]);
    r.code(1);
    assert!(r.stderr.contains("does not offer TLS"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_whose_certificate_is_not_from_the_projects_ca_is_refused_with_a_hint() {
    // A fixture API whose project CA did not sign the (real, local) server's certificate.
    let l = tokio::task::spawn_blocking(|| {
        let l = Local::start();
        l.avn(&["service", "create", "db", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
        l
    })
    .await
    .unwrap();
    let service = l.service("db");
    let env = crate::support::Env::new().await;
    env.mock("GET", "/v1/project/proj/service/db", 200, serde_json::json!({"service": service})).await;
    let other = tempfile::tempdir().unwrap();
    let other_ca = avn_local::tls::Authority::load_or_create(other.path()).unwrap().cert_pem().to_string();
    env.mock("GET", "/v1/project/proj/kms/ca", 200, serde_json::json!({"certificate": other_ca})).await;
    let r = env.run(&["service", "wait", "db", "--timeout", "30"]);
    r.code(1);
    assert!(r.stderr.contains("does not verify") && r.stderr.contains("127.0.0.1:"), "{}", r.stderr);
    assert!(r.stderr.contains("--pg-insecure-tls"), "{}", r.stderr);
    env.run(&["service", "wait", "db", "--timeout", "30", "--pg-insecure-tls"]).code(0);
}

#[test]
fn a_cluster_adopted_without_tls_gets_it_without_a_restart() {
    let mut l = Local::start();
    l.avn(&["service", "create", "db", "-t", "pg", "-p", "hobbyist", "--wait", "--timeout", "120"]).code(0);
    let (inst, _, admin) = l.instance("db");
    let pid = std::fs::read_to_string(inst.join("data/postmaster.pid")).unwrap();
    // As an older avn local left it: running, with no TLS in its configuration.
    l.kill9();
    let conf_path = inst.join("data/avn-instance.conf");
    let conf = std::fs::read_to_string(&conf_path).unwrap();
    let plain: String = conf.lines().filter(|l| !l.starts_with("ssl")).map(|l| format!("{l}\n")).collect();
    std::fs::write(&conf_path, plain).unwrap();
    sql(&admin, "SELECT pg_reload_conf()").unwrap();
    // The server has reloaded its configuration once a new session sees ssl off.
    wait_until("the server to reload with ssl off", Duration::from_secs(30), || {
        (sql(&admin, "SHOW ssl").unwrap()[0][0] == "off").then_some(())
    });
    assert_eq!(sql(&admin, "SHOW ssl").unwrap()[0][0], "off");
    l.spawn_server();
    wait_running(&l, &["db"]);
    assert_eq!(std::fs::read_to_string(inst.join("data/postmaster.pid")).unwrap(), pid, "the same postmaster");
    assert_eq!(sql(&admin, "SHOW ssl").unwrap()[0][0], "on");
    let ca = std::fs::read(l.data_dir().join("ca/ca.crt")).unwrap();
    assert_eq!(connect(&l.uri("db"), avn::pg::Trust::ProjectCa(std::sync::Arc::new(ca))).unwrap(), "true");
}
