//! The engine seam against a real server: a service's data prepared, started and bootstrapped
//! through `Engine`, then its users and databases listed, created, changed and deleted for real.

use std::sync::Arc;
use std::time::Duration;

use super::Engine;
use crate::manager::Manager;
use crate::model::State;
use crate::store::ServiceRec;
use crate::store::Store;

/// A TCP login as `user` with `password` to `db` (no TLS: host lines accept both).
async fn login(port: u16, user: &str, password: &str, db: &str) -> Result<(), tokio_postgres::Error> {
    let conn = format!("host=127.0.0.1 port={port} user={user} password={password} dbname={db}");
    let (client, connection) = tokio_postgres::connect(&conn, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    client.simple_query("SELECT 1").await.map(|_| ())
}

/// Kills a server's process group when the test ends, even by a panic.
struct KillOnDrop(Option<i32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(-pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_and_databases_are_created_changed_and_deleted_for_real() {
    let dir = tempfile::tempdir().unwrap();
    let pg = crate::Pg::discover().expect("PostgreSQL is installed (scripts/install-deps installs it)");
    let instances = crate::instances_dir(&pg, dir.path()).unwrap();
    let store = Store::open(&dir.path().join("state.db")).unwrap();
    let ca = crate::tls::Authority::load_or_create(dir.path()).unwrap();
    let m = Arc::new(Manager::new(
        vec![Engine::Postgres(pg)],
        vec![],
        ca,
        instances.clone(),
        store,
        Duration::from_secs(3600),
    ));
    let port = m.free_port().unwrap();
    let rec = ServiceRec {
        id: format!("engine-test-{}", crate::random::random_string(8)),
        project: "local".into(),
        name: "db".into(),
        plan: "hobbyist".into(),
        state: State::Rebuilding,
        powered: true,
        port,
        password: "admin-pw".into(),
        user_config: Default::default(),
        termination_protection: false,
        create_time: String::new(),
        update_time: String::new(),
        op: None,
        fork: None,
        tags: Default::default(),
        service_type: "pg".into(),
    };
    let e = m.engine("pg").unwrap();
    e.prepare(&m, &rec).await.unwrap();
    let started = e.start(&m, &rec, port, false).await;
    // Whatever happens below, the server does not outlive the test.
    let _server = KillOnDrop(m.running(&rec.id).map(|r| r.pid));
    started.unwrap();
    e.bootstrap(&m, &rec, port).await.unwrap();
    let result = async {
        e.create_user(&m, &rec, "app", "first-pw", &[]).await?;
        e.create_database(&m, &rec, "appdb", None, None).await?;
        let (dbs, users) = e.inventory(&m, &rec).await?;
        assert!(dbs.contains(&"appdb".to_string()) && users.contains(&"app".to_string()), "{dbs:?} {users:?}");
        login(port, "app", "first-pw", "appdb").await.expect("the new user logs in");
        e.set_password(&m, &rec, "app", "second-pw").await?;
        assert!(login(port, "app", "first-pw", "appdb").await.is_err(), "the old password still works");
        login(port, "app", "second-pw", "appdb").await.expect("the new password works");
        e.delete_database(&m, &rec, "appdb").await?;
        e.delete_user(&m, &rec, "app").await?;
        let (dbs, users) = e.inventory(&m, &rec).await?;
        assert!(!dbs.contains(&"appdb".to_string()) && !users.contains(&"app".to_string()), "{dbs:?} {users:?}");
        assert_eq!((dbs, users), (vec!["defaultdb".to_string()], vec!["avnadmin".to_string()]));
        Ok::<(), super::EngineError>(())
    }
    .await;
    if let Some(mut r) = m.running(&rec.id) {
        r.stop().await;
    }
    let _ = std::fs::remove_dir_all(m.layout(&rec.id).root);
    result.unwrap();
}
