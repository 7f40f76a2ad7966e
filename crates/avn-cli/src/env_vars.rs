//! Every environment variable `avn` reads, in one place (also listed in `man avn`).

/// Directory of `aiven-client.json` and `aiven-credentials.json` (default `~/.config/aiven`).
pub const AIVEN_CONFIG_DIR: &str = "AIVEN_CONFIG_DIR";
/// Client config file (default `$AIVEN_CONFIG_DIR/aiven-client.json`).
pub const AIVEN_CLIENT_CONFIG: &str = "AIVEN_CLIENT_CONFIG";
/// Credentials file (default `$AIVEN_CONFIG_DIR/aiven-credentials.json`).
pub const AIVEN_CREDENTIALS_FILE: &str = "AIVEN_CREDENTIALS_FILE";
/// API token; beats the credentials file, loses to `--auth-token`.
pub const AIVEN_AUTH_TOKEN: &str = "AIVEN_AUTH_TOKEN";
/// API base URL (default `https://api.aiven.io`).
pub const AIVEN_WEB_URL: &str = "AIVEN_WEB_URL";
/// Default project; beats `default_project` in the config file.
pub const AIVEN_PROJECT: &str = "AIVEN_PROJECT";
/// CA bundle (PEM) to trust for the API's TLS certificate.
pub const AIVEN_CA_CERT: &str = "AIVEN_CA_CERT";
/// `true` skips confirmations, as `--force` does.
pub const AIVEN_FORCE: &str = "AIVEN_FORCE";
/// Disable colour and styling.
pub const NO_COLOR: &str = "NO_COLOR";
/// Milliseconds of the first retry delay (default 500); for tests and slow links.
pub const AVN_RETRY_BASE_MS: &str = "AVN_RETRY_BASE_MS";

/// Data directory of the local control plane (default: the platform data directory).
pub const AVN_LOCAL_DIR: &str = "AVN_LOCAL_DIR";
/// How often the local control plane takes base backups (seconds or units, default 1h).
pub const AVN_LOCAL_BACKUP_INTERVAL: &str = "AVN_LOCAL_BACKUP_INTERVAL";
/// PostgreSQL server binaries for the local control plane (default: `pg_config --bindir`).
pub const AVN_PG_BINDIR: &str = "AVN_PG_BINDIR";

/// The login shell, for `avn completion install` without a shell named.
pub const SHELL: &str = "SHELL";

/// avn's data directory (rename journals; default ~/.local/share/avn).
pub const AVN_DATA_DIR: &str = "AVN_DATA_DIR";
/// Failure injection for tests (`FAILPOINTS=name=action;...`, builds with the failpoints feature).
pub const FAILPOINTS: &str = "FAILPOINTS";

/// Every variable with a one-line description, for the ENVIRONMENT section of the man page.
pub const ALL: &[(&str, &str)] = &[
    (AIVEN_CONFIG_DIR, "directory of aiven-client.json and aiven-credentials.json (default ~/.config/aiven)"),
    (AIVEN_CLIENT_CONFIG, "client config file (default $AIVEN_CONFIG_DIR/aiven-client.json)"),
    (AIVEN_CREDENTIALS_FILE, "credentials file (default $AIVEN_CONFIG_DIR/aiven-credentials.json)"),
    (AIVEN_AUTH_TOKEN, "API token; used before the credentials file, after --auth-token"),
    (AIVEN_WEB_URL, "API base URL (default https://api.aiven.io)"),
    (AIVEN_PROJECT, "project to use when --project is not given"),
    (AIVEN_CA_CERT, "CA bundle (PEM) trusted for the API's TLS certificate"),
    (AIVEN_FORCE, "'true' skips confirmation prompts, like --force"),
    (NO_COLOR, "disable colour"),
    (AVN_RETRY_BASE_MS, "first retry delay in milliseconds (default 500)"),
    (SHELL, "the shell avn completion install installs for when none is named"),
];

/// Whether a variable carries an Aiven credential (`AIVEN_AUTH_TOKEN` and friends: any `AIVEN_*`
/// name with TOKEN, PASSWORD, SECRET or CREDENTIALS in it). Hooks that avn runs never see these.
pub fn is_credential(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("AIVEN_") && ["TOKEN", "PASSWORD", "SECRET", "CREDENTIALS"].iter().any(|w| upper.contains(w))
}

/// The value of a variable, with an empty value treated as unset.
pub fn get(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}
