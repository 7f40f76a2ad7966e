//! The control plane's sessions with a MariaDB server: as its own administrator
//! (`avn_admin@localhost`, through the instance's socket, with a password kept in the instance
//! directory), with prepared statements wherever a value is involved. Account and database names
//! cannot be bound as parameters: they are checked by the API's name rules and quoted here.

use mysql_async::prelude::Queryable;
use mysql_async::Conn;
use mysql_async::OptsBuilder;

use super::server;
use super::MysqlError;
use crate::engines::Layout;

/// The control plane's own administrator: all privileges, `localhost` only (the socket).
pub const INTERNAL_ADMIN: &str = "avn_admin";
/// The service's administrator, as on Aiven.
pub const ADMIN: &str = "avnadmin";
pub const DEFAULT_DB: &str = "defaultdb";

/// Databases every server has that are not the service's (never listed, never deleted).
pub const SYSTEM_DBS: [&str; 4] = ["information_schema", "mysql", "performance_schema", "sys"];
/// Accounts the server or the control plane owns (never listed as service users).
pub fn is_system_account(user: &str, host: &str) -> bool {
    host != "%" || user.is_empty() || ["root", "mysql", "mariadb.sys", INTERNAL_ADMIN].contains(&user)
}

/// What application users may do: everything an Aiven `avnadmin` may, but none of `SUPER`,
/// `READ_ONLY ADMIN`, `CONNECTION ADMIN`, `BINLOG ADMIN`, `REPLICATION MASTER ADMIN`, `RELOAD`
/// (`RESET MASTER` deletes every binary log) or
/// `SET USER`: so `read_only` stops their writes during a rename, they cannot end the control
/// plane's sessions, and they cannot purge the binary logs point-in-time recovery needs.
pub const APP_PRIVILEGES: &str = "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, PROCESS, REFERENCES, INDEX, \
     ALTER, SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, BINLOG MONITOR, \
     CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER, SLAVE MONITOR";

/// The privilege bits (`mysql.global_priv`'s `access`) of [`APP_PRIVILEGES`] with `GRANT OPTION`,
/// as MariaDB 10.11 stores them: no application account may hold a bit outside it.
pub const APP_ACCESS_MASK: u64 = 275_146_308_927;

/// Accounts the server and the control plane own (`localhost`, through the socket only).
const OWN_ACCOUNTS: &str = "Host = 'localhost' AND User IN ('root', 'mysql', 'mariadb.sys', 'avn_admin')";

/// Take back from every application account what `avnadmin` may not have.
pub fn strip_escalations() -> String {
    format!(
        "UPDATE mysql.global_priv SET Priv = JSON_SET(Priv, '$.access', \
         CAST(JSON_VALUE(Priv, '$.access') AS UNSIGNED) & {APP_ACCESS_MASK}) \
         WHERE NOT ({OWN_ACCOUNTS}) AND CAST(JSON_VALUE(Priv, '$.access') AS UNSIGNED) & ~{APP_ACCESS_MASK} <> 0"
    )
}

/// Application accounts holding more than `avnadmin` may (written into `mysql.*` by a user):
/// stripped and the grant tables reloaded. Returns the accounts.
pub async fn enforce_privileges(c: &mut Conn) -> Result<Vec<String>, MysqlError> {
    let over: Vec<String> = c
        .query(format!(
            "SELECT CONCAT(User, '@', Host) FROM mysql.global_priv WHERE NOT ({OWN_ACCOUNTS}) \
             AND CAST(JSON_VALUE(Priv, '$.access') AS UNSIGNED) & ~{APP_ACCESS_MASK} <> 0"
        ))
        .await?;
    if !over.is_empty() {
        // Not in the binary log: the init-file does the same at every start (of a fork too), and
        // a rename's fingerprint of OLD (its GTID position) must not move for it.
        c.query_drop("SET SESSION sql_log_bin = 0").await?;
        c.query_drop(strip_escalations()).await?;
        c.query_drop("FLUSH PRIVILEGES").await?;
        c.query_drop("SET SESSION sql_log_bin = 1").await?;
    }
    Ok(over)
}

/// Quote an identifier (a database name) for MariaDB.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// Quote a string literal (an account name). `NO_BACKSLASH_ESCAPES` is not set in the control
/// plane's sessions, so backslashes are escaped too.
pub fn literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `'name'@'%'`, an application account.
pub fn account(user: &str) -> String {
    format!("{}@'%'", literal(user))
}

/// A session as the control plane's administrator, through the instance's socket.
pub async fn admin(layout: &Layout) -> Result<Conn, MysqlError> {
    let password = std::fs::read_to_string(server::admin_password_file(layout))?;
    let opts = OptsBuilder::default()
        .socket(Some(server::socket(layout).display().to_string()))
        .user(Some(INTERNAL_ADMIN))
        .pass(Some(password.trim().to_string()))
        .prefer_socket(true)
        .stmt_cache_size(0);
    // Sessions of the control plane are not in the general statistics users see.
    let mut c = Conn::new(opts).await?;
    c.query_drop("SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'").await?;
    Ok(c)
}

/// The statement (for the init file) that keeps the control plane's own sessions (its
/// administrator, and the tools' socket login) out of the performance schema's statistics, so
/// `service queries` shows what applications run; nothing when the schema is off.
pub fn unmeasured_accounts() -> String {
    let rows = [INTERNAL_ADMIN.to_string(), server::os_user()]
        .iter()
        .map(|u| format!("('localhost', {}, '%', 'NO', 'NO')", literal(u)))
        .chain(std::iter::once(format!(
            "('127.0.0.1', {}, '%', 'NO', 'NO')",
            literal(super::standby::REPLICATION_USER)
        )))
        .collect::<Vec<_>>()
        .join(", ");
    let insert =
        format!("INSERT INTO performance_schema.setup_actors (HOST, USER, ROLE, ENABLED, HISTORY) VALUES {rows}");
    format!("EXECUTE IMMEDIATE IF(@@performance_schema, {}, 'DO 0')", literal(&insert))
}

/// `SHOW SLAVE STATUS` as column name → text (None: no replication configured).
pub async fn slave_status(c: &mut Conn) -> Result<Option<std::collections::HashMap<String, String>>, MysqlError> {
    let row: Option<mysql_async::Row> = c.query_first("SHOW SLAVE STATUS").await?;
    Ok(row.map(|row| {
        let names: Vec<String> = row.columns_ref().iter().map(|c| c.name_str().to_string()).collect();
        names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                let v = match row.as_ref(i) {
                    Some(mysql_async::Value::Bytes(b)) => String::from_utf8_lossy(b).to_string(),
                    Some(mysql_async::Value::Int(n)) => n.to_string(),
                    Some(mysql_async::Value::UInt(n)) => n.to_string(),
                    _ => String::new(),
                };
                (name, v)
            })
            .collect()
    }))
}

/// Run statements as the control plane's administrator.
pub async fn exec(layout: &Layout, statements: &[String]) -> Result<(), MysqlError> {
    let mut c = admin(layout).await?;
    for s in statements {
        c.query_drop(s).await?;
    }
    c.disconnect().await?;
    Ok(())
}

/// Create the control plane's administrator on a new server, through the socket login
/// `mariadb-install-db` made for the operating-system user the control plane runs as (`root`, or
/// the user itself), with the SQL on standard input: no password in any command line.
pub async fn bootstrap_internal_admin(
    maria: &server::Maria,
    layout: &Layout,
    password: &str,
) -> Result<(), MysqlError> {
    use tokio::io::AsyncWriteExt;
    let os_user = server::os_user();
    let sql = format!(
        "CREATE USER {user}@'localhost' IDENTIFIED BY {pw};\n\
         GRANT ALL PRIVILEGES ON *.* TO {user}@'localhost' WITH GRANT OPTION;\n",
        user = literal(INTERNAL_ADMIN),
        pw = literal(password)
    );
    let mut c = maria.tool("mariadb");
    c.arg("--no-defaults")
        .arg(format!("--socket={}", server::socket(layout).display()))
        .arg(format!("--user={os_user}"))
        .arg("--batch")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().map_err(|e| MysqlError::Tool(format!("mariadb: {e}")))?;
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(sql.as_bytes()).await?;
    drop(stdin);
    let out = child.wait_with_output().await?;
    if !out.status.success() {
        return Err(MysqlError::Tool(format!("mariadb: {}", String::from_utf8_lossy(&out.stderr).trim())));
    }
    Ok(())
}

/// End every session of an application account (not the control plane's); returns how many.
pub async fn end_app_sessions(c: &mut Conn) -> Result<u64, MysqlError> {
    let ids: Vec<u64> = c
        .query(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() \
             AND USER NOT IN ('system user', 'event_scheduler') \
             AND NOT (USER IN ('avn_admin', 'root', 'mysql') AND HOST = 'localhost') \
             AND NOT (USER = 'avn_repl' AND HOST LIKE '127.0.0.1%')",
        )
        .await?;
    let mut n = 0;
    for id in ids {
        // Gone meanwhile (1094, unknown thread) is fine.
        match c.query_drop(format!("KILL CONNECTION {id}")).await {
            Ok(()) => n += 1,
            Err(mysql_async::Error::Server(e)) if e.code == 1094 => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(n)
}

/// Stop writes: `read_only` on, every application session ended, then (with `fence`) the fence row
/// committed by the control plane's administrator (`READ_ONLY ADMIN`) and the sessions ended
/// again. Proves a write by an application account now fails. Returns the sessions ended.
pub async fn stop_writes(layout: &Layout, fence: Option<&str>, remove_fence: bool) -> Result<u64, MysqlError> {
    let mut c = admin(layout).await?;
    // Sessions first (their table locks go with them), then read_only, which waits for the global
    // read lock: briefly, never behind a session's lock for a day (lock_wait_timeout's default).
    let mut ended = end_app_sessions(&mut c).await?;
    c.query_drop("SET SESSION lock_wait_timeout = 10").await?;
    c.query_drop("SET GLOBAL read_only = ON").await?;
    ended += end_app_sessions(&mut c).await?;
    if remove_fence {
        c.query_drop(format!("DROP TABLE IF EXISTS {}", avn_api::writes::MYSQL_FENCE_TABLE)).await?;
    }
    if let Some(id) = fence {
        let table = avn_api::writes::MYSQL_FENCE_TABLE;
        c.query_drop(format!(
            "CREATE TABLE IF NOT EXISTS {table} (id VARCHAR(64) PRIMARY KEY, written_at DATETIME(6) NOT NULL) ENGINE=InnoDB"
        ))
        .await?;
        c.exec_drop(format!("INSERT IGNORE INTO {table} VALUES (?, UTC_TIMESTAMP(6))"), (id,)).await?;
        ended += end_app_sessions(&mut c).await?;
    }
    let on: Option<u8> = c.query_first("SELECT @@global.read_only").await?;
    c.disconnect().await?;
    if on != Some(1) {
        return Err(MysqlError::Tool("read_only did not stay on".into()));
    }
    Ok(ended)
}

/// Lift the stop (`remove_fence`: drop the fence table first).
pub async fn open_writes(layout: &Layout, remove_fence: bool) -> Result<(), MysqlError> {
    let mut c = admin(layout).await?;
    if remove_fence {
        c.query_drop(format!("DROP TABLE IF EXISTS {}", avn_api::writes::MYSQL_FENCE_TABLE)).await?;
    }
    c.query_drop("SET GLOBAL read_only = OFF").await?;
    c.disconnect().await?;
    Ok(())
}

pub async fn writes_stopped(layout: &Layout) -> Result<bool, MysqlError> {
    let mut c = admin(layout).await?;
    let on: Option<u8> = c.query_first("SELECT @@global.read_only").await?;
    c.disconnect().await?;
    Ok(on == Some(1))
}

/// Application users (`'name'@'%'`) and the service's databases.
pub async fn inventory(layout: &Layout) -> Result<(Vec<String>, Vec<String>), MysqlError> {
    let mut c = admin(layout).await?;
    let mut dbs: Vec<String> = c.query("SHOW DATABASES").await?;
    dbs.retain(|d| !SYSTEM_DBS.contains(&d.as_str()));
    dbs.sort();
    let rows: Vec<(String, String)> = c.query("SELECT User, Host FROM mysql.user").await?;
    let mut users: Vec<String> = rows.into_iter().filter(|(u, h)| !is_system_account(u, h)).map(|(u, _)| u).collect();
    users.sort();
    users.dedup();
    c.disconnect().await?;
    Ok((dbs, users))
}

/// `CREATE USER … IDENTIFIED BY` (`mysql_native_password`) with the application privileges; the
/// administrator may also create users and grant what it has.
pub async fn create_user(layout: &Layout, user: &str, password: &str, admin_grants: bool) -> Result<(), MysqlError> {
    let grants = if admin_grants {
        format!("GRANT {APP_PRIVILEGES} ON *.* TO {} WITH GRANT OPTION", account(user))
    } else {
        format!("GRANT {} ON *.* TO {}", APP_PRIVILEGES.replace(", CREATE USER", ""), account(user))
    };
    exec(layout, &[format!("CREATE USER {} IDENTIFIED BY {}", account(user), literal(password)), grants]).await
}

pub async fn set_password(layout: &Layout, user: &str, password: &str) -> Result<(), MysqlError> {
    exec(layout, &[format!("ALTER USER {} IDENTIFIED BY {}", account(user), literal(password))]).await
}

pub async fn delete_user(layout: &Layout, user: &str) -> Result<(), MysqlError> {
    exec(layout, &[format!("DROP USER {}", account(user))]).await
}

pub async fn create_database(layout: &Layout, name: &str) -> Result<(), MysqlError> {
    exec(layout, &[format!("CREATE DATABASE {}", ident(name))]).await
}

pub async fn delete_database(layout: &Layout, name: &str) -> Result<(), MysqlError> {
    exec(layout, &[format!("DROP DATABASE {}", ident(name))]).await
}

/// Databases with their collation and character set.
pub async fn databases(layout: &Layout) -> Result<Vec<(String, String, String)>, MysqlError> {
    let mut c = admin(layout).await?;
    let rows: Vec<(String, String, String)> = c
        .query("SELECT SCHEMA_NAME, DEFAULT_COLLATION_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA ORDER BY SCHEMA_NAME")
        .await?;
    c.disconnect().await?;
    Ok(rows.into_iter().filter(|(d, _, _)| !SYSTEM_DBS.contains(&d.as_str())).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_and_literals_are_quoted() {
        assert_eq!(super::ident("a`b"), "`a``b`");
        assert_eq!(super::literal("it's \\ x"), "'it\\'s \\\\ x'");
        assert_eq!(super::account("app"), "'app'@'%'");
        assert!(super::is_system_account("avn_admin", "%"));
        assert!(super::is_system_account("app", "localhost"));
        assert!(!super::is_system_account("app", "%"));
    }
}
