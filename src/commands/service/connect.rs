//! `avn service connection-info` and `avn service cli`, as the official client has them: the
//! same URI, connection string and psql line; the shell started with the password in its
//! environment, never its command line, and the server's certificate checked against the
//! project's CA.

use std::os::unix::process::CommandExt;

use crate::context::Context;
use crate::env_vars;
use crate::error::CliError;

pub use avn_cli::commands::service::connect::*;

/// `username:password@host:port` parts of a PostgreSQL service, for one user and database.
struct PgInfo {
    host: String,
    port: u64,
    username: String,
    password: String,
    dbname: String,
    sslmode: String,
}

/// Python's `urllib.parse.quote` (safe `/`): what the official client's URIs encode.
fn quote(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

impl PgInfo {
    fn uri(&self) -> String {
        let query: String =
            url::form_urlencoded::Serializer::new(String::new()).append_pair("sslmode", &self.sslmode).finish();
        format!(
            "postgres://{}:{}@{}:{}/{}?{query}",
            quote(&self.username),
            quote(&self.password),
            self.host,
            self.port,
            self.dbname
        )
    }

    fn connection_string(&self) -> String {
        format!("host='{}' port='{}' user={} dbname='{}'", self.host, self.port, self.username, self.dbname)
    }
}

async fn pg_info(ctx: &Context<'_>, t: &PgTarget) -> anyhow::Result<PgInfo> {
    let service = ctx.client()?.service_get(ctx.project()?, &t.name).await?;
    if service.service_type != "pg" && service.service_type != "alloydbomni" {
        return Err(CliError::usage(format!(
            "Cannot format pg connection info for service type {}",
            service.service_type
        ))
        .into());
    }
    let usage = if t.replica { Some("replica") } else { t.usage.as_deref() };
    let route = t.route.as_deref().unwrap_or("dynamic");
    let component = service
        .components
        .unwrap_or_default()
        .into_iter()
        .find(|c| {
            c.route.as_deref() == Some(route)
                && usage.is_none_or(|u| c.usage.as_deref() == Some(u))
                && t.privatelink_connection_id.as_ref().is_none_or(|id| {
                    c.extra.get("privatelink_connection_id").and_then(|v| v.as_str()) == Some(id.as_str())
                })
        })
        .ok_or_else(|| {
            CliError::usage(format!(
                "Could not find connection information with filters route={route}, usage={}",
                usage.unwrap_or("primary")
            ))
        })?;
    let user =
        service.users.unwrap_or_default().into_iter().find(|u| u.username == t.username).ok_or_else(|| {
            CliError::usage(format!("Could not find connection information for username {}", t.username))
        })?;
    let password =
        user.password.ok_or_else(|| CliError::usage(format!("Could not find password for username {}", t.username)))?;
    Ok(PgInfo {
        host: component.host,
        port: u64::from(component.port),
        username: t.username.clone(),
        password,
        dbname: t.dbname.clone(),
        sslmode: t.sslmode.clone(),
    })
}

pub async fn connection_info(ctx: &Context<'_>, args: ConnectionInfoArgs) -> anyhow::Result<()> {
    let line = match args.command {
        ConnectionInfoCommand::Pg(pg) => match pg.command {
            PgInfoCommand::Uri(t) => pg_info(ctx, &t).await?.uri(),
            PgInfoCommand::String(t) => pg_info(ctx, &t).await?.connection_string(),
        },
        ConnectionInfoCommand::Psql(t) => format!("psql {}", pg_info(ctx, &t).await?.uri()),
    };
    Ok(ctx.printer.line(&line)?)
}

/// Whether the `mysql` on PATH is MariaDB's client (else Oracle's; unknown counts as MariaDB's,
/// Debian's).
fn mariadb_client() -> bool {
    std::process::Command::new("mysql")
        .arg("--version")
        .env_remove(env_vars::AIVEN_AUTH_TOKEN)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("MariaDB") || !o.status.success())
        .unwrap_or(true)
}

/// The `mysql` client's flags for TLS: required, and verified against `ca` (chain and host) when
/// it is known.
fn mysql_tls_flags(mariadb: bool, ca: Option<&std::path::Path>) -> Vec<String> {
    match (mariadb, ca) {
        (true, Some(ca)) => vec![format!("--ssl-ca={}", ca.display()), "--ssl-verify-server-cert".into()],
        (true, None) => vec!["--ssl".into()],
        (false, Some(ca)) => vec![format!("--ssl-ca={}", ca.display()), "--ssl-mode=VERIFY_IDENTITY".into()],
        (false, None) => vec!["--ssl-mode=REQUIRED".into()],
    }
}

/// The project's CA in a file psql can read (`sslrootcert`), under the cache directory.
fn ca_file(project: &str, pem: &[u8]) -> anyhow::Result<std::path::PathBuf> {
    let dir = crate::dirs::cache_dir().join("ca");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("{}.pem", avn_client::encode_segment(project)));
    avn_util::crashsafe::write(&path, pem, 0o644)?;
    Ok(path)
}

pub async fn cli(ctx: &Context<'_>, args: CliArgs) -> anyhow::Result<()> {
    let (uri, project) = if args.name.contains("://") {
        (args.name.clone(), None)
    } else {
        let project = ctx.project()?;
        let service = ctx.client()?.service_get(project, &args.name).await?;
        let uri = service.service_uri.clone().ok_or_else(|| {
            CliError::usage(format!("Service '{}' has no URI yet (state {})", args.name, service.state))
        })?;
        (uri, Some(project))
    };
    let mut parsed = url::Url::parse(&uri).map_err(|e| CliError::usage(format!("not a service URI: {e}")))?;
    let password =
        percent_encoding::percent_decode_str(parsed.password().unwrap_or_default()).decode_utf8_lossy().to_string();
    let _ = parsed.set_password(None);
    let (program, mut argv, env): (&str, Vec<String>, Vec<(&str, String)>) = match parsed.scheme() {
        "postgres" | "postgresql" => {
            if let Some(project) = project {
                if let crate::pg::Trust::ProjectCa(pem) = ctx.pg_trust(project).await {
                    // Checked against the project's CA, and the host against the certificate.
                    let ca = ca_file(project, &pem)?;
                    let pairs: Vec<(String, String)> = parsed
                        .query_pairs()
                        .filter(|(k, _)| k != "sslmode" && k != "sslrootcert")
                        .map(|(k, v)| (k.into(), v.into()))
                        .collect();
                    parsed
                        .query_pairs_mut()
                        .clear()
                        .extend_pairs(pairs)
                        .append_pair("sslmode", "verify-full")
                        .append_pair("sslrootcert", &ca.to_string_lossy());
                }
            }
            ("psql", vec![parsed.to_string()], vec![("PGPASSWORD", password)])
        }
        "mysql" => {
            let mut a = vec![
                "-h".to_string(),
                parsed.host_str().unwrap_or_default().into(),
                "-P".into(),
                parsed.port().map(|p| p.to_string()).unwrap_or_default(),
                "-u".into(),
                parsed.username().into(),
            ];
            // TLS, checked against the project's CA where it is known: the flags of the client
            // installed (MariaDB's and Oracle's name them differently).
            let ca = match project {
                Some(project) => match ctx.pg_trust(project).await {
                    crate::pg::Trust::ProjectCa(pem) => Some(ca_file(project, &pem)?),
                    _ => None,
                },
                None => None,
            };
            a.extend(mysql_tls_flags(mariadb_client(), ca.as_deref()));
            ("mysql", a, vec![("MYSQL_PWD", password)])
        }
        s @ ("rediss" | "valkeys" | "redis" | "valkey") => {
            let mut a = vec![
                "-h".to_string(),
                parsed.host_str().unwrap_or_default().into(),
                "-p".into(),
                parsed.port().map(|p| p.to_string()).unwrap_or_default(),
                "--user".into(),
                parsed.username().into(),
            ];
            if s.ends_with('s') {
                a.push("--tls".into());
                // Checked against the project's CA where it is known (avn local's, for one).
                if let Some(project) = project {
                    if let crate::pg::Trust::ProjectCa(pem) = ctx.pg_trust(project).await {
                        // The project's CA and the system's roots: a server's certificate may
                        // chain to either (avn local's to its CA).
                        let mut bundle = pem.as_ref().clone();
                        bundle.push(b'\n');
                        bundle.extend(crate::valkey::system_roots());
                        a.push("--cacert".into());
                        a.push(ca_file(&format!("{project}-bundle"), &bundle)?.to_string_lossy().into());
                    }
                }
            }
            // The official client runs valkey-cli; where only redis-cli is installed (Debian 12),
            // that one, which takes the same options.
            let program = if on_path("valkey-cli") || !on_path("redis-cli") { "valkey-cli" } else { "redis-cli" };
            (program, a, vec![("REDISCLI_AUTH", password)])
        }
        other => {
            return Err(CliError::usage(format!(
                "Unsupported service type {other}. Only PostgreSQL, MySQL, and Valkey are supported"
            ))
            .into())
        }
    };
    argv.extend(args.arg);
    let mut cmd = std::process::Command::new(program);
    cmd.args(&argv);
    // The shell gets the password; nothing of avn's own secrets.
    cmd.env_remove(env_vars::AIVEN_AUTH_TOKEN);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let e = cmd.exec();
    if e.kind() == std::io::ErrorKind::NotFound {
        return Err(CliError::usage(format!(
            "Executable '{program}' is not available, cannot launch the service's shell"
        ))
        .hint(match program {
            "psql" => "install it (Debian: apt-get install postgresql-client)",
            "mysql" => "install it (Debian: apt-get install mariadb-client)",
            _ => "install valkey-cli or redis-cli (Debian: apt-get install redis-tools)",
        })
        .into());
    }
    Err(e.into())
}

/// Whether an executable of that name is on `PATH`.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn mysql_clients_get_their_own_tls_flags() {
        let ca = std::path::Path::new("/c/ca.pem");
        assert_eq!(super::mysql_tls_flags(true, Some(ca)), ["--ssl-ca=/c/ca.pem", "--ssl-verify-server-cert"]);
        assert_eq!(super::mysql_tls_flags(false, Some(ca)), ["--ssl-ca=/c/ca.pem", "--ssl-mode=VERIFY_IDENTITY"]);
        assert_eq!(super::mysql_tls_flags(true, None), ["--ssl"]);
    }
}
