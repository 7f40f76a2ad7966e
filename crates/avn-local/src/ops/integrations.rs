//! Integrations: validated and recorded (not acted on), so that clients can list and re-create
//! them, and forks can copy them.

use avn_api::IntegrationCreate;

use crate::error::OpError;
use crate::error::Refusal;
use crate::manager::Manager;
use crate::random::random_string;
use crate::store::IntegrationRec;

/// Record the integration `body` asks for in `project`; each service it names must exist.
pub fn create(m: &Manager, project: &str, body: IntegrationCreate) -> Result<IntegrationRec, OpError> {
    if body.integration_type.is_empty() {
        return Err(Refusal::invalid("integration_type is required"));
    }
    let source_project = body.source_project.clone().unwrap_or_else(|| project.to_string());
    let dest_project = body.dest_project.clone().unwrap_or_else(|| project.to_string());
    for (proj, svc) in [(&source_project, &body.source_service), (&dest_project, &body.dest_service)] {
        if let Some(svc) = svc {
            if m.store(|st| st.service(proj, svc))?.is_none() {
                return Err(Refusal::invalid(format!("Service '{proj}/{svc}' does not exist")));
            }
        }
    }
    if body.source_service.is_none() && body.dest_service.is_none() {
        return Err(Refusal::invalid("An integration needs a source_service or a dest_service"));
    }
    let rec = IntegrationRec {
        id: format!("{}-{}", random_string(8), random_string(4)),
        project: project.to_string(),
        integration_type: body.integration_type,
        source_project,
        source_service: body.source_service,
        dest_project,
        dest_service: body.dest_service,
        user_config: body.user_config,
    };
    m.store(|st| st.add_integration(&rec))?;
    Ok(rec)
}
