//! Differential tests (the harness is `differential.rs`) of the commands that change something:
//! `service create` (forks and PITR included), `update`, `terminate`, `project switch`,
//! `user login`, and `service wait`.

use crate::differential::case;
use crate::differential::check;
use crate::differential::known;
use crate::differential::Case;
use crate::differential::Expect;

#[tokio::test(flavor = "multi_thread")]
async fn creates_match_the_official_client() {
    check(&[
        known(&["service", "create", "new1", "-t", "pg", "-p", "startup-4"], Expect::OutputDiffers("D6")),
        known(
            &["service", "create", "new1", "-t", "pg", "--plan", "startup-4", "--cloud", "aws-eu-west-1"],
            Expect::OutputDiffers("D6"),
        ),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "-c", "pg.max_connections=200"],
            Expect::OutputDiffers("D6"),
        ),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "-c", "pg_version=15"],
            Expect::OutputDiffers("D6"),
        ),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "-c", "ip_filter=10.0.1.0/24"],
            Expect::WeAccept("D5"),
        ),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "-c", "ip_filter=10.0.1.0/24,10.0.2.0/24"],
            Expect::WeAccept("D5"),
        ),
        case(&[
            "service",
            "create",
            "new1",
            "-t",
            "pg",
            "-p",
            "startup-4",
            "-c",
            r#"ip_filter=["10.0.1.0/24","10.0.2.0/24"]"#,
        ]),
        case(&["service", "create", "new1", "-t", "pg", "-p", "startup-4", "-c", "ip_filter=['10.0.1.0/24']"]),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "--enable-termination-protection"],
            Expect::OutputDiffers("D6"),
        ),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "--disk-space-gib", "100"],
            Expect::OutputDiffers("D6"),
        ),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "-c", "pg.jit=true"],
            Expect::OutputDiffers("D6"),
        ),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "-c", "admin_password=s3cret"],
            Expect::OutputDiffers("D6"),
        ),
        // The documentation's fork command.
        known(
            &[
                "service",
                "create",
                "forked",
                "--project",
                "proj",
                "--cloud",
                "google-europe-west1",
                "-t",
                "pg",
                "--plan",
                "startup-4",
                "-c",
                "service_to_fork_from=db1",
            ],
            Expect::OutputDiffers("D6"),
        ),
        known(
            &[
                "service",
                "create",
                "pitr1",
                "-t",
                "pg",
                "--plan",
                "startup-4",
                "--service-to-fork-from",
                "db1",
                "--recovery-target-time",
                "2026-11-21T08:00:00Z",
            ],
            Expect::Normalised("D10", "2026-11-21T08:00:00Z", "2026-11-21T08:00:00+00:00"),
        ),
        known(
            &[
                "service",
                "create",
                "pitr1",
                "-t",
                "pg",
                "--plan",
                "startup-4",
                "--service-to-fork-from",
                "db1",
                "--recovery-target-time",
                "2026-11-21 08:00:00",
            ],
            Expect::Normalised("D10", "2026-11-21 08:00:00", "2026-11-21T08:00:00+00:00"),
        ),
        case(&["service", "create", "new1", "-t", "pg", "-p", "startup-4", "-c", "no_such_option=1"]),
        case(&["service", "create", "db1", "-t", "pg", "-p", "startup-4"]),
        known(&["service", "create", "Bad_Name", "-t", "pg", "-p", "startup-4"], Expect::WeRefuse("D2")),
        known(
            &[
                "service",
                "create",
                "new1",
                "-t",
                "pg",
                "-p",
                "startup-4",
                "--recovery-target-time",
                "2026-11-21T08:00:00Z",
            ],
            Expect::WeRefuse("D3"),
        ),
        known(&["service", "create", "new1", "-t", "pg", "-p", "no-such-plan"], Expect::WeRefuse("D7")),
        known(
            &["service", "create", "new1", "-t", "pg", "-p", "startup-4", "--service-to-fork-from", "nope"],
            Expect::WeRefuse("D7"),
        ),
        case(&["service", "create", "new1", "-t", "pg", "-p", "startup-4", "--project", "nope"]),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_and_deletes_match_the_official_client() {
    check(&[
        case(&["service", "update", "db1", "--plan", "business-4"]),
        case(&["service", "update", "db1", "-c", "pg.max_connections=300"]),
        case(&["service", "update", "db1", "--power-off"]),
        case(&["service", "update", "db1", "--power-on"]),
        case(&["service", "update", "db1", "--enable-termination-protection"]),
        case(&["service", "update", "db1", "--disable-termination-protection"]),
        case(&["service", "update", "db1", "--cloud", "aws-eu-west-1"]),
        case(&["service", "update", "db1", "--disk-space-gib", "120"]),
        case(&["service", "update", "db1", "-c", "pg.jit=true"]),
        case(&["service", "update", "nope", "--power-off"]),
        case(&["service", "wait", "w1", "--timeout", "30"]),
        case(&["service", "wait", "w1"]),
        case(&["service", "terminate", "db1", "--force"]),
        known(&["service", "terminate", "db1"], Expect::Same),
        case(&["service", "terminate", "nope", "--force"]),
        case(&["project", "switch", "other"]),
        case(&["project", "switch", "nope"]),
        Case { args: &["user", "login", "me@example.com", "--token"], expect: Expect::Same, stdin: "" },
    ])
    .await;
}

/// Service users, databases and connection pools: the same requests and bodies.
#[tokio::test]
async fn users_databases_and_pools_match_the_official_client() {
    check(&[
        case(&["service", "user-create", "db1", "--username", "app"]),
        case(&["service", "user-create", "db1", "--username", "app", "--valkey-acl-keys", "a:* b:*"]),
        case(&["service", "user-delete", "db1", "--username", "app"]),
        case(&["service", "user-password-reset", "db1", "--username", "app"]),
        case(&["service", "user-password-reset", "db1", "--username", "app", "--new-password", "s3cret-Passw0rd"]),
        Case {
            args: &["service", "user-password-reset", "db1", "--username", "app", "--new-password", "-"],
            expect: Expect::Normalised("D11", "-", "s3cret-Passw0rd"),
            stdin: "s3cret-Passw0rd\n",
        },
        known(
            &["service", "user-password-reset", "db1", "--username", "app", "--new-password", "short"],
            Expect::WeRefuse("D12"),
        ),
        case(&["service", "user-creds-acknowledge", "db1", "--username", "app"]),
        case(&["service", "database-create", "db1", "--dbname", "appdb"]),
        case(&["service", "database-delete", "db1", "--dbname", "appdb"]),
        case(&["service", "connection-pool-create", "db1", "--pool-name", "p1", "--dbname", "defaultdb"]),
        case(&[
            "service",
            "connection-pool-create",
            "db1",
            "--pool-name",
            "p1",
            "--dbname",
            "defaultdb",
            "--username",
            "app",
            "--pool-size",
            "5",
            "--pool-mode",
            "session",
        ]),
        known(
            &[
                "service",
                "connection-pool-create",
                "db1",
                "--pool-name",
                "p1",
                "--dbname",
                "defaultdb",
                "--pool-size",
                "0",
            ],
            Expect::WeRefuse("D12"),
        ),
        case(&["service", "connection-pool-update", "db1", "--pool-name", "p1", "--pool-size", "20"]),
        case(&["service", "connection-pool-update", "db1", "--pool-name", "p1", "--username", ""]),
        case(&["service", "connection-pool-update", "db1", "--pool-name", "p1", "--username", "app", "--dbname", "x"]),
        case(&["service", "connection-pool-delete", "db1", "--pool-name", "p1"]),
        case(&["service", "connection-pool-delete", "db1", "--pool-name", "nope"]),
        known(&["service", "tags", "update", "db1", "--add-tag", "team=x", "--remove-tag", "env"], Expect::SameText),
        known(&["service", "tags", "replace", "db1", "--tag", "a=1", "--tag", "b=2"], Expect::SameText),
        known(
            &["service", "update", "db1", "--maintenance-dow", "monday", "--maintenance-time", "03:00:00"],
            Expect::Same,
        ),
    ])
    .await;
}
