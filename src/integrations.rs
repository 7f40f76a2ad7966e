//! Moving a service's integrations to another service (forks with `--copy-integrations`, and the
//! repoint step of a rename).

use avn_api::Integration;
use avn_api::IntegrationCreate;

/// The request that recreates `source`'s integration `i` on `new`: every end that is `source` (in
/// `src_project`) becomes `new` (in `project`); the other end stays.
pub fn moved(i: &Integration, source: &str, src_project: &str, new: &str, project: &str) -> IntegrationCreate {
    let swap = |svc: &Option<String>, proj: &Option<String>| -> (Option<String>, Option<String>) {
        if svc.as_deref() == Some(source) && proj.as_deref().unwrap_or(src_project) == src_project {
            (Some(new.to_string()), Some(project.to_string()))
        } else {
            (svc.clone(), proj.clone())
        }
    };
    let (source_service, source_project) = swap(&i.source_service, &i.source_project);
    let (dest_service, dest_project) = swap(&i.dest_service, &i.dest_project);
    IntegrationCreate {
        integration_type: i.integration_type.clone(),
        source_service,
        dest_service,
        source_endpoint_id: i.source_endpoint_id.clone(),
        dest_endpoint_id: i.dest_endpoint_id.clone(),
        source_project,
        dest_project,
        user_config: i.user_config.clone().unwrap_or_default(),
    }
}

/// Whether `b` (on `new`) is `a` (on `old`) moved: same type, and the same ends once `old` is `new`.
pub fn is_moved(a: &Integration, b: &Integration, old: &str, new: &str) -> bool {
    let swap = |s: &Option<String>| s.as_deref().map(|x| if x == old { new.to_string() } else { x.to_string() });
    a.integration_type == b.integration_type
        && swap(&a.source_service) == b.source_service
        && swap(&a.dest_service) == b.dest_service
}

/// `metrics to grafana1`, `logs from endpoint e-1`: an integration as seen from `service`.
pub fn describe(i: &Integration, service: &str) -> String {
    let outgoing = i.source_service.as_deref() == Some(service);
    let other = if outgoing { i.dest_service.clone() } else { i.source_service.clone() };
    let dir = if outgoing { "to" } else { "from" };
    match other {
        Some(o) => format!("{} {dir} {o}", i.integration_type),
        None => format!(
            "{} {dir} endpoint {}",
            i.integration_type,
            i.dest_endpoint_id.clone().or(i.source_endpoint_id.clone()).unwrap_or_default()
        ),
    }
}
