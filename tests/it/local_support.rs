//! A real local control plane (`avn local serve`) in a temporary directory.

use std::fmt::Display;
use std::path::PathBuf;
use std::process::Child;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::avn_command;
pub use crate::support::wait_until;
use crate::support::Run;

pub struct Local {
    /// Environment of the server process (tuning knobs for tests).
    pub server_env: Vec<(String, String)>,
    pub dir: tempfile::TempDir,
    pub server: Option<Child>,
    pub url: String,
    pub token: String,
}

impl Local {
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn start() -> Local {
        Local::start_in(tempfile::tempdir().unwrap())
    }

    /// A control plane whose data lives in `dir` (for example on a small filesystem).
    pub fn start_in(dir: tempfile::TempDir) -> Local {
        Local::start_with(dir, vec![])
    }

    /// A control plane whose server runs with `env` added.
    pub fn start_with(dir: tempfile::TempDir, server_env: Vec<(String, String)>) -> Local {
        // Let the `postgres` user traverse to the clusters when the tests run as root.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut l = Local { server_env, dir, server: None, url: String::new(), token: String::new() };
        l.spawn_server();
        let r = l.avn(&["service", "list"]);
        assert!(r.code == 2 && r.stderr.contains("project 'local' does not exist"), "no project yet: {}", r.stderr);
        l.create_project("local");
        l
    }

    pub fn spawn_server(&mut self) {
        let data = self.data_dir();
        let _ = std::fs::remove_file(data.join("server.json"));
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(self.dir.path().join("server.log")).unwrap();
        let child = self
            .serve_command()
            .args(["--listen", "127.0.0.1:0", "--backup-interval", "1h"])
            .envs(self.server_env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let pid = child.id();
        self.server = Some(child);
        let url = wait_until(self.with_log("the server to start"), Duration::from_secs(60), || {
            let v: Value = serde_json::from_slice(&std::fs::read(data.join("server.json")).ok()?).unwrap();
            (v["pid"] == pid).then(|| v["url"].as_str().unwrap().to_string())
        });
        self.url = url;
        self.token = std::fs::read_to_string(data.join("token")).unwrap().trim().to_string();
    }

    /// `avn local serve --data-dir DATA`, isolated like every other `avn` of the tests
    /// ([`avn_command`]); `AVN_PG_BINDIR` is passed on, as it says where PostgreSQL is.
    pub fn serve_command(&self) -> Command {
        let mut c = avn_command(self.dir.path());
        if let Some(bindir) = std::env::var_os("AVN_PG_BINDIR") {
            c.env("AVN_PG_BINDIR", bindir);
        }
        c.args(["local", "serve", "--data-dir"]).arg(self.data_dir());
        c
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// For [`wait_until`]: `what`, and the server's log as it is when the wait times out.
    pub fn with_log<'a, D: Display + 'a>(&'a self, what: D) -> impl Display + 'a {
        struct WithLog<'a, D>(D, &'a Local);
        impl<D: Display> Display for WithLog<'_, D> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}\nserver log:\n{}", self.0, self.1.log())
            }
        }
        WithLog(what, self)
    }

    /// An API client of this control plane.
    pub fn client(&self) -> avn_client::Client {
        crate::support::client(&self.url, &self.token)
    }

    pub fn create_project(&self, name: &str) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(self.client().project_create(name)).unwrap();
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = avn_command(self.dir.path());
        c.env("AIVEN_WEB_URL", &self.url).env("AIVEN_AUTH_TOKEN", &self.token).env("AIVEN_PROJECT", "local").args(args);
        c
    }

    pub fn avn(&self, args: &[&str]) -> Run {
        self.cmd(args).output().unwrap().into()
    }

    /// The service object (with secrets).
    pub fn service(&self, name: &str) -> Value {
        self.avn(&["service", "get", name, "--json", "--show-secrets"]).code(0).json()
    }

    /// The instance directory and port of a local service, and (PostgreSQL) its admin connection
    /// over the socket.
    pub fn instance(&self, name: &str) -> (std::path::PathBuf, String, String) {
        let port = self.service(name)["service_uri_params"]["port"].as_str().unwrap().to_string();
        let inst = std::fs::read_dir(self.data_dir().join("instances"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                // PostgreSQL's option file, or MariaDB's.
                ["data/avn-instance.conf", "my.cnf"].iter().any(|f| {
                    std::fs::read_to_string(p.join(f)).unwrap_or_default().contains(&format!("port = {port}\n"))
                })
            })
            .expect("the instance of the service");
        let admin = format!("host={} port={port} user=postgres dbname=postgres", inst.join("run").display());
        (inst, port, admin)
    }

    /// Wait (a minute at most) until `name` has its first base backup: forks need one.
    pub fn wait_first_backup(&self, name: &str) {
        wait_until(self.with_log(format!("a base backup of {name}")), Duration::from_secs(60), || {
            let backups = self.avn(&["service", "backup-list", name, "--json"]).json();
            backups.as_array().is_some_and(|b| !b.is_empty()).then_some(())
        });
    }

    pub fn uri(&self, name: &str) -> String {
        self.service(name)["service_uri"].as_str().unwrap().to_string()
    }

    /// Kill the server without letting it stop its clusters.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.server.take() {
            c.kill().unwrap();
            c.wait().unwrap();
        }
    }

    /// PostgreSQL server processes running on this control plane's data.
    pub fn postmasters(&self) -> usize {
        self.processes("postgres -D")
    }

    /// Processes whose command line holds `program` and this control plane's directory.
    pub fn processes(&self, program: &str) -> usize {
        let needle = self.dir.path().to_string_lossy().to_string();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()))
            .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
            .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
            .filter(|c| c.contains(program) && c.contains(&needle))
            .count()
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        if let Some(mut c) = self.server.take() {
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(c.id() as i32), nix::sys::signal::Signal::SIGTERM);
            let _ = c.wait();
        }
    }
}

/// Run SQL on a service URI and return the rows as text.
pub fn sql(uri: &str, query: &str) -> Result<Vec<Vec<String>>, String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        // Data checks only: plaintext on loopback (the servers also accept TLS-less sessions).
        let uri = uri.replace("sslmode=require", "sslmode=disable");
        let (client, conn) =
            tokio_postgres::connect(&uri, tokio_postgres::NoTls).await.map_err(|e| format!("{e:?}"))?;
        tokio::spawn(conn);
        let msgs = client
            .simple_query(query)
            .await
            .map_err(|e| e.as_db_error().map(|d| d.message().to_string()).unwrap_or(e.to_string()))?;
        Ok(msgs
            .into_iter()
            .filter_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(r) => {
                    Some((0..r.len()).map(|i| r.get(i).unwrap_or("").to_string()).collect())
                }
                _ => None,
            })
            .collect())
    })
}

/// `batch|count` lines of table t.
pub fn batches(uri: &str) -> String {
    sql(uri, "SELECT batch, count(*) FROM t GROUP BY 1 ORDER BY 1")
        .unwrap()
        .iter()
        .map(|r| r.join("|"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Wait (two minutes at most) until every service in `names` is running (`avn service wait`).
pub fn wait_running(l: &Local, names: &[&str]) {
    let mut args = vec!["service", "wait"];
    args.extend(names);
    args.extend(["--timeout", "120"]);
    let r = l.avn(&args);
    assert_eq!(r.code, 0, "{}\n{}\nserver log:\n{}", r.stdout, r.stderr, l.log());
}

/// The one value a query returns.
pub fn one(uri: &str, query: &str) -> String {
    sql(uri, query).unwrap()[0][0].clone()
}
