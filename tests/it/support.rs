//! Hermetic runs of the real `avn` binary against a mock API on 127.0.0.1:0, and what every
//! test file shares: the isolated `avn` command, an API client, waiting for an event.

use std::fmt::Display;
use std::io::Read;
use std::path::Path;
use std::path::PathBuf;
use std::process::Child;
use std::process::Command;
use std::process::Output;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use serde_json::json;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::matchers::path;
use wiremock::Mock;
use wiremock::MockServer;
use wiremock::ResponseTemplate;

pub const TOKEN: &str = "tok-SECRET-1234567890";

/// The `avn` under test.
pub const AVN: &str = env!("CARGO_BIN_EXE_avn");

/// The directory of the `avn` under test, to put first on a PATH (scripts and shells call it).
pub fn avn_dir() -> &'static Path {
    Path::new(AVN).parent().unwrap()
}

/// The `avn` under test in an environment of its own: nothing of the caller's but PATH (no
/// `AVN_*`, `AIVEN_*`, `XDG_*`, `COLUMNS`, `TERM`...), HOME at `home` (so the config directory is
/// `home/.config/aiven` and the data directory `home/.local/share/avn`, unless the caller sets
/// `AIVEN_CONFIG_DIR` or `AVN_DATA_DIR`), `NO_COLOR`, stdin closed. Callers add the API, token
/// and project they need with `.env(...)`.
pub fn avn_command(home: &Path) -> Command {
    let mut c = Command::new(AVN);
    c.env_clear()
        .env("HOME", home)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    c
}

/// An API client of `url` with `token`, for what a test does as another client would.
pub fn client(url: &str, token: &str) -> avn_client::Client {
    avn_client::Client::builder().base_url(url).token(Some(token.to_string())).build().unwrap()
}

/// Call `f` (at once, then every 10 ms, slowing to every 100 ms) until it returns `Some`, and
/// return that; panic "timed out after Xs waiting for WHAT" after `timeout`. `what` is formatted
/// only then, so it can show a log as it is at the end (`Local::with_log`).
#[track_caller]
pub fn wait_until<T>(what: impl Display, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() >= timeout {
            panic!("timed out after {}s waiting for {what}", timeout.as_secs_f64());
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Whether `shell` can be run. Missing in CI (`CI` is set, and not to `false` or `0`): a failure,
/// since `scripts/install-deps` installs it; missing elsewhere: a note on stderr, and the caller
/// skips.
#[track_caller]
pub fn require_shell(shell: &str) -> bool {
    if Command::new(shell).arg("--version").output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| !["", "false", "0"].contains(&v.as_str())) {
        panic!("{shell} is not installed: scripts/install-deps installs it (apt-get install {shell})");
    }
    eprintln!("SKIPPED: {shell} is not installed (scripts/install-deps installs it; in CI this fails)");
    false
}

/// A child process whose stderr is read as it comes, so that a test can wait for a line it
/// prints before acting, and still gets all of it at the end. Killed if dropped unfinished.
/// (Only tests with failpoints pause a process mid-way, so only they use it.)
#[cfg_attr(not(feature = "failpoints"), allow(dead_code))]
pub struct Watched {
    child: Option<Child>,
    stderr: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// The file that releases the process from a `hold:` failpoint, created by [`Watched::release`]
    /// (and before waiting for the exit).
    release: Option<tempfile::TempDir>,
}

#[cfg_attr(not(feature = "failpoints"), allow(dead_code))]
impl Watched {
    pub fn spawn(mut cmd: Command) -> Watched {
        let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
        let mut pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = stderr.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Watched { child: Some(child), stderr, reader: Some(reader), release: None }
    }

    /// A `FAILPOINTS` action that holds the process at a failpoint until [`Watched::release`]:
    /// give it to the command, then `spawn` it with [`Watched::spawn_held`].
    pub fn hold_action() -> (String, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (format!("return(hold:{})", dir.path().join("release").display()), dir)
    }

    /// [`Watched::spawn`], for a command given a [`Watched::hold_action`].
    pub fn spawn_held(cmd: Command, release: tempfile::TempDir) -> Watched {
        let mut w = Watched::spawn(cmd);
        w.release = Some(release);
        w
    }

    /// Let a process held at a failpoint go on.
    pub fn release(&self) {
        if let Some(dir) = &self.release {
            std::fs::write(dir.path().join("release"), b"").unwrap();
        }
    }

    /// What it has printed on stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// Wait until its stderr holds `needle`.
    #[track_caller]
    pub fn wait_for_stderr(&self, needle: &str, timeout: Duration) {
        struct SoFar<'a>(&'a str, &'a Watched);
        impl Display for SoFar<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{:?} on stderr; it printed:\n{}", self.0, self.1.stderr())
            }
        }
        wait_until(SoFar(needle, self), timeout, || self.stderr().contains(needle).then_some(()));
    }

    /// Wait for it to exit: its status, its stdout (when piped) and all of its stderr.
    pub fn wait_with_output(mut self) -> Output {
        self.release();
        let mut out = self.child.take().unwrap().wait_with_output().unwrap();
        self.reader.take().unwrap().join().unwrap();
        out.stderr = std::mem::take(&mut *self.stderr.lock().unwrap());
        out
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub struct Env {
    pub server: MockServer,
    pub home: tempfile::TempDir,
    pub token: Option<String>,
    pub extra_env: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Assert the exit code, showing the output when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, expected, "exit code\n--- stdout:\n{}\n--- stderr:\n{}", self.stdout, self.stderr);
        self
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
    /// Assert the token appears nowhere in the output.
    #[track_caller]
    pub fn no_token(&self) -> &Self {
        assert!(
            !self.stdout.contains(TOKEN) && !self.stderr.contains(TOKEN),
            "token leaked:\n{}\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

impl Env {
    pub async fn new() -> Env {
        Env {
            server: MockServer::start().await,
            home: tempfile::tempdir().unwrap(),
            token: Some(TOKEN.to_string()),
            extra_env: vec![],
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join(".config").join("aiven")
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = avn_command(self.home.path());
        c.env("COLUMNS", "100").env("AVN_RETRY_BASE_MS", "20").env("AIVEN_WEB_URL", self.server.uri()).args(args);
        if let Some(t) = &self.token {
            c.env("AIVEN_AUTH_TOKEN", t);
        }
        for (k, v) in &self.extra_env {
            c.env(k, v);
        }
        c
    }

    /// Run `avn ARGS --project proj`.
    pub fn run(&self, args: &[&str]) -> Run {
        let mut all: Vec<&str> = args.to_vec();
        all.extend(["--project", "proj"]);
        self.cmd(&all).output().unwrap().into()
    }

    pub async fn mock(&self, m: &str, p: &str, status: u16, body: Value) {
        Mock::given(method(m))
            .and(path(p))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&self.server)
            .await;
    }

    /// Requests received, as (method, path, JSON body or Null).
    pub async fn requests(&self) -> Vec<(String, String, Value)> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                (r.method.to_string(), r.url.path().to_string(), body)
            })
            .collect()
    }

    /// Assert that no request that changes anything was received.
    pub async fn assert_no_writes(&self) {
        let writes: Vec<_> = self.requests().await.into_iter().filter(|(m, _, _)| m != "GET").collect();
        assert!(writes.is_empty(), "unexpected writes: {writes:?}");
    }
}

pub fn fixture(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

pub fn service(name: &str, state: &str) -> Value {
    let mut s = fixture("service_pg.json");
    s["service_name"] = json!(name);
    s["state"] = json!(state);
    s
}

/// A pg service without a URI, for waits against the fixture API (no database to connect to).
pub fn service_without_uri(name: &str, state: &str) -> Value {
    let mut s = service(name, state);
    let m = s.as_object_mut().unwrap();
    m.remove("service_uri");
    m.remove("service_uri_params");
    s
}
