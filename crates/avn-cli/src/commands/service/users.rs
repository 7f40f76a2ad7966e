//! The arguments of `avn service user-list|user-get|user-create|user-delete|user-password-reset|
//! user-creds-acknowledge`.

use clap::Args;

/// List a service's users
#[derive(Debug, Args)]
#[command(long_about = "List the service's users: USERNAME and TYPE (primary for avnadmin, normal \
    otherwise), as the official client prints them. --json and --format carry the passwords.\n\n\
    Examples:\n  avn service user-list db1\n  avn service user-list db1 --format '{username} {password}'")]
pub struct UserListArgs {
    /// List the users of this service
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
}

/// Show one service user
#[derive(Debug, Args)]
#[command(long_about = "Show one service user. --json and --format carry its password.\n\n\
    Examples:\n  avn service user-get db1 --username app\n  \
    avn service user-get db1 --username app --format '{password}'")]
pub struct UserGetArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The user's name
    #[arg(long)]
    pub username: String,
}

/// Create a service user (a login role with a generated password)
#[derive(Debug, Args)]
#[command(long_about = "Create a service user with a generated password. Like the official client \
    it prints nothing on stdout; read the password with user-get --format '{password}'.\n\n\
    Examples:\n  avn service user-create db1 --username app\n  \
    avn service user-create db1 --username app && avn service user-get db1 --username app --format '{password}'")]
pub struct UserCreateArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The new user's name
    #[arg(long)]
    pub username: String,
    /// MySQL: how the user authenticates
    #[arg(long, value_parser = ["caching_sha2_password", "mysql_native_password"])]
    pub authentication: Option<String>,
    #[command(flatten)]
    pub acl: ValkeyAclArgs,
}

/// The official client's Valkey ACL flags (`user-create`, `user-set-access-control`).
#[derive(Debug, Args)]
pub struct ValkeyAclArgs {
    /// Valkey: ACL rules for keys (space-separated)
    #[arg(long, value_name = "RULES")]
    pub valkey_acl_keys: Option<String>,
    /// Valkey: ACL rules for commands (space-separated)
    #[arg(long, value_name = "RULES")]
    pub valkey_acl_commands: Option<String>,
    /// Valkey: ACL rules for command categories (space-separated)
    #[arg(long, value_name = "RULES")]
    pub valkey_acl_categories: Option<String>,
    /// Valkey: ACL rules for channels (space-separated)
    #[arg(long, value_name = "RULES")]
    pub valkey_acl_channels: Option<String>,
}

impl ValkeyAclArgs {
    /// The lists given, by their `access_control` key.
    pub fn lists(&self) -> [(&'static str, &Option<String>); 4] {
        [
            ("valkey_acl_keys", &self.valkey_acl_keys),
            ("valkey_acl_commands", &self.valkey_acl_commands),
            ("valkey_acl_categories", &self.valkey_acl_categories),
            ("valkey_acl_channels", &self.valkey_acl_channels),
        ]
    }
}

/// Set a Valkey service user's access control
#[derive(Debug, Args)]
#[command(long_about = "Set a Caching (Valkey) service user's ACL rules, as the official client \
    does; its password stays. Each list given replaces the user's list of that kind; the others \
    stay as they are.\n\n\
    Examples:\n  avn service user-set-access-control cache --username app --valkey-acl-keys 'app:* jobs:*'\n  \
    avn service user-set-access-control cache --username app --valkey-acl-categories '+@read'")]
pub struct UserSetAccessControlArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The user
    #[arg(long)]
    pub username: String,
    #[command(flatten)]
    pub acl: ValkeyAclArgs,
}

/// Delete a service user (no prompt, as in the official client)
#[derive(Debug, Args)]
#[command(long_about = "Delete a service user. There is no prompt, as in the official client: \
    scripts depend on it. The primary user (avnadmin) and a connection pool's user are refused.\n\n\
    Examples:\n  avn service user-delete db1 --username app")]
pub struct UserDeleteArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The user to delete
    #[arg(long)]
    pub username: String,
}

/// Give a service user a new password; the old one stops working
#[derive(Debug, Args)]
#[command(long_about = "Give a service user a new password: the one given, or a generated one. \
    The old password stops working at once. --new-password - reads it from stdin, which keeps it \
    out of the process list.\n\n\
    Examples:\n  avn service user-password-reset db1 --username app\n  \
    printf '%s' \"$PW\" | avn service user-password-reset db1 --username app --new-password -")]
pub struct UserPasswordResetArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The user whose password changes
    #[arg(long)]
    pub username: String,
    /// The new password (8 to 256 characters); - reads it from stdin
    #[arg(long, allow_hyphen_values = true)]
    pub new_password: Option<String>,
}

/// Acknowledge that a service user's certificates were renewed
#[derive(Debug, Args)]
#[command(long_about = "Acknowledge that a service user's certificates were renewed (Kafka users; \
    accepted for every type, as the API does).\n\n\
    Examples:\n  avn service user-creds-acknowledge db1 --username app")]
pub struct UserCredsAcknowledgeArgs {
    /// The service
    #[arg(value_parser = crate::service_name)]
    pub name: String,
    /// The user
    #[arg(long)]
    pub username: String,
}
