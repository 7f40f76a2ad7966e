//! Stored records as the API shows them: `avn_api` objects built from the store, the running
//! clusters and the progress of operations.

use avn_api::Backup;
use avn_api::Component;
use avn_api::Integration;
use avn_api::Maintenance;
use avn_api::NodeState;
use avn_api::Service;
use avn_api::ServiceNotification;
use avn_api::ServiceUser;
use serde_json::Map;
use serde_json::Value;

use super::error::ApiResult;
use super::AppState;
use crate::catalog;
use crate::store::BackupRec;
use crate::store::IntegrationRec;
use crate::store::ServiceRec;

const HOST: &str = "127.0.0.1";

/// The service object, with real connection details, inventory, progress and backups.
/// Databases, users and pools come from the running server (or, when it does not answer, what
/// it last said); `detailed` (one service) adds what a fork of it needs on the disk.
pub async fn service(s: &AppState, rec: &ServiceRec, detailed: bool) -> ApiResult<Service> {
    let m = &s.manager;
    let plan = catalog::plan(&rec.plan, m.backup_interval_hours()).unwrap_or_default();
    let engine = m.engine_of(rec)?;
    let (uri, params) = engine.uri(rec);
    // `service list` and `service get` show the same users, databases and pools.
    let (databases, users) = m.inventory(rec).await;
    let passwords = crate::ops::inventory::current_passwords(m, rec)?;
    let access = match m.running(&rec.id) {
        Some(_) => engine.access_controls(m, rec).await,
        None => None,
    };
    let users = users
        .into_iter()
        .map(|u| {
            let password = passwords.get(&u).cloned();
            let mut shown = user(engine, &u, password);
            if let Some(ac) = access.as_ref().and_then(|a| a.get(&u)) {
                shown.extra.insert("access_control".into(), ac.clone());
            }
            shown
        })
        .collect();
    let connection_pools = crate::ops::pools::view(m, rec)?;
    let maintenance = m
        .store(|st| st.maintenance(&rec.id))?
        .unwrap_or_else(|| (crate::ops::DEFAULT_MAINTENANCE.0.into(), crate::ops::DEFAULT_MAINTENANCE.1.into()));
    let mysql = rec.service_type == "mysql";
    let backups = m.store(|st| st.backups(&rec.id))?.iter().map(|b| backup(b, mysql)).collect();
    let integrations =
        m.store(|st| st.integrations(&rec.project, &rec.name))?.iter().map(|i| integration(m, i)).collect();
    let notifications = notifications(m, rec);
    let disk_space_mb = m
        .store(|st| st.disk_space(&rec.id))?
        .or_else(|| plan.regions.get(catalog::CLOUD).and_then(|r| r.get("disk_space_mb")).and_then(Value::as_u64));
    let extra = if detailed { local_disk(m, rec) } else { Map::new() };
    Ok(Service {
        service_name: rec.name.clone(),
        service_type: rec.service_type.clone(),
        plan: rec.plan.clone(),
        cloud_name: catalog::CLOUD.into(),
        state: shown_state(m, rec),
        create_time: rec.create_time.clone(),
        update_time: rec.update_time.clone(),
        service_uri: Some(uri.clone()),
        service_uri_params: Some(params.clone()),
        user_config: rec.user_config.clone(),
        service_integrations: integrations,
        termination_protection: rec.termination_protection,
        project_vpc_id: None,
        node_count: Some(catalog::node_count(&rec.service_type, &rec.plan)),
        node_cpu_count: Some(1),
        node_memory_mb: Some(1024),
        disk_space_mb: Some(disk_space_mb.unwrap_or(0)),
        node_states: node_states(m, rec),
        databases: Some(databases),
        users: Some(users),
        connection_pools: Some(connection_pools),
        backups: Some(backups),
        tags: Some(rec.tags.clone()),
        service_notifications: notifications,
        service_type_description: Some(engine.description()),
        cloud_description: Some("This machine - Local".into()),
        connection_info: Some(engine.connection_info(uri, params)),
        components: Some(components(engine.service_type(), rec)),
        group_list: Some(vec!["default".into()]),
        maintenance: Some(Maintenance {
            dow: Some(maintenance.0),
            time: Some(maintenance.1),
            enabled: false,
            updates: vec![],
            extra: Map::new(),
        }),
        metadata: Some(engine.metadata()),
        features: Some(Map::new()),
        extra,
    })
}

/// The primary node, then each standby node of the plan (see `engines::mysql::standby`): as
/// last tended, or still being set up.
fn node_states(m: &crate::manager::Manager, rec: &ServiceRec) -> Vec<NodeState> {
    let mut nodes = vec![NodeState {
        name: format!("{}-1", rec.name),
        state: rec.node_state().into(),
        role: Some("master".into()),
        progress_updates: m.progress(&rec.id),
        extra: Map::new(),
    }];
    let standbys = catalog::node_count(&rec.service_type, &rec.plan).saturating_sub(1) as usize;
    let known = crate::engines::mysql::standby::status(&rec.id);
    let running = rec.state == crate::model::State::Running;
    for n in 1..=standbys {
        let state = match known.get(n - 1) {
            Some(s) if running => s.state,
            _ if running => "setting_up_vm",
            // Powered off, or being built: as the primary.
            _ => rec.node_state(),
        };
        nodes.push(NodeState {
            name: format!("{}-{}", rec.name, n + 1),
            state: state.into(),
            role: Some("standby".into()),
            progress_updates: vec![],
            extra: Map::new(),
        });
    }
    nodes
}

/// The primary, and each standby whose server runs, as a replica.
fn components(service_type: &str, rec: &ServiceRec) -> Vec<Component> {
    let c = |port: u16, usage: &str| Component {
        component: service_type.into(),
        host: HOST.into(),
        port,
        route: Some("dynamic".into()),
        usage: Some(usage.into()),
        ssl: Some(true),
        extra: Map::new(),
    };
    let mut out = vec![c(rec.port, "primary")];
    let standbys = crate::engines::mysql::standby::status(&rec.id);
    out.extend(standbys.iter().filter(|s| s.alive).filter_map(|s| s.port).map(|p| c(p, "replica")));
    out
}

/// The state shown. A failed operation (a fork whose restore failed) says so until it is
/// terminated, rather than looking as if it were still being built; a service whose server died
/// and the watchdog could not record it yet (the state store is on a full disk, say) is never
/// shown RUNNING.
fn shown_state(m: &crate::manager::Manager, rec: &ServiceRec) -> avn_api::ServiceState {
    if rec.op == Some(crate::model::Op::Failed) {
        avn_api::ServiceState::Other("FAILED".into())
    } else if rec.state == crate::model::State::Running && rec.op.is_none() && m.running(&rec.id).is_none() {
        // Its server died and the watchdog could not record it yet (the state store is on a
        // full disk, say): never shown RUNNING.
        avn_api::ServiceState::Rebuilding
    } else {
        rec.state.into()
    }
}

/// The failure of the last operation, as a notification.
fn notifications(m: &crate::manager::Manager, rec: &ServiceRec) -> Vec<ServiceNotification> {
    let mut out = vec![];
    if let Some(message) = m.failure(&rec.id) {
        out.push(ServiceNotification {
            notification_type: "service_creation_failed".into(),
            level: "warning".into(),
            message,
            metadata: Map::new(),
        });
    }
    // A fork that could not be cut exactly at its target says what it holds.
    if let (Ok(Some((restored_to, false))), Some(f)) = (m.store(|s| s.fork_result(&rec.id)), &rec.fork) {
        let target = f.target.map(avn_api::time::format_zulu).unwrap_or_default();
        out.push(ServiceNotification {
            notification_type: avn_api::service::FORK_RESTORED_TO.into(),
            level: "notice".into(),
            message: format!(
                "Restored to {restored_to}, not {target}: it holds exactly the transactions committed at or before {restored_to}. \
                 The source's binary log moved between that instant and the next look after the target, so what was committed \
                 in between cannot be placed before or after {target}; it is not in the fork"
            ),
            metadata: [("restored_to".to_string(), Value::String(restored_to))].into_iter().collect(),
        });
    }
    // A MySQL version asked for is not what runs here.
    if let Some(asked) = rec.user_config.get("mysql_version").and_then(Value::as_str) {
        if let Ok(engine) = m.engine_of(rec) {
            out.push(ServiceNotification {
                notification_type: "service_version_substituted".into(),
                level: "notice".into(),
                message: format!(
                    "MySQL {asked} was asked for; this machine runs {} (Debian has no MySQL server), which speaks the MySQL protocol",
                    engine.metadata().get("server").and_then(Value::as_str).unwrap_or("MariaDB")
                ),
                metadata: Map::new(),
            });
        }
    }
    out
}

/// What a fork of this service needs on this machine's disk, and what is free: a fork (or a
/// rename) checks it before it changes anything.
fn local_disk(m: &crate::manager::Manager, rec: &ServiceRec) -> Map<String, Value> {
    let mut extra = Map::new();
    if !catalog::keeps_backups(&rec.plan) {
        return extra;
    }
    if let Some((need, free)) = crate::ops::fork_space(m, rec) {
        extra.insert(
            avn_api::service::LOCAL_DISK_KEY.into(),
            serde_json::json!({"fork_needs_bytes": need, "free_bytes": free}),
        );
    }
    extra
}

/// A service user as the API shows it: `primary` for the administrator, `normal` otherwise,
/// with the password the control plane knows (none for roles made outside the API).
pub fn user(engine: &crate::engines::Engine, username: &str, password: Option<String>) -> ServiceUser {
    let admin = username == engine.admin();
    ServiceUser {
        password,
        user_type: Some(if admin { "primary" } else { "normal" }.into()),
        authentication: engine.authentication().map(str::to_string),
        username: username.to_string(),
        extra: Map::new(),
    }
}

/// A backup as the API shows it; MySQL's also say whether they are incremental, as Aiven's do
/// (ours are full backups, packed beside the previous one).
pub fn backup(b: &BackupRec, mysql: bool) -> Backup {
    let mut extra = Map::new();
    if mysql {
        extra.insert("incremental".into(), Value::Bool(false));
    }
    Backup {
        backup_name: b.backup_name.clone(),
        backup_time: b.backup_time.clone(),
        data_size: b.data_size,
        storage_location: Some("local".into()),
        extra,
    }
}

pub fn integration(m: &crate::manager::Manager, i: &IntegrationRec) -> Integration {
    let type_of = |project: &str, service: &Option<String>| {
        let name = service.as_deref()?;
        m.store(|s| s.service(project, name)).ok().flatten().map(|r| r.service_type)
    };
    Integration {
        service_integration_id: Some(i.id.clone()),
        integration_type: i.integration_type.clone(),
        source_service: i.source_service.clone(),
        source_service_type: type_of(&i.source_project, &i.source_service),
        source_project: Some(i.source_project.clone()),
        source_endpoint_id: None,
        dest_service: i.dest_service.clone(),
        dest_service_type: type_of(&i.dest_project, &i.dest_service),
        dest_project: Some(i.dest_project.clone()),
        dest_endpoint_id: None,
        enabled: true,
        active: true,
        description: format!("{} integration (recorded by the local control plane)", i.integration_type),
        user_config: Some(i.user_config.clone()),
        extra: Map::new(),
    }
}
