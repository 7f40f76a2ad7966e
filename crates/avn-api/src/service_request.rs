//! Request bodies of service create (and fork) and update.
//!
//! Request types refuse unknown keys (`deny_unknown_fields`), so the local server answers a
//! misspelt or unsupported key with a 400 that names it. They model every key aiven-client 4.18
//! and avn send; the client only ever serialises them (and reads back its own rename journal).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::Serialize;
use serde_json::Map;
use serde_json::Value;

use crate::integration::IntegrationCreate;
use crate::project::TechEmail;

/// `POST /v1/project/{p}/service`. Key order and defaults match what aiven-client 4.18 sends, so
/// the same command line produces the same body.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceCreate {
    pub cloud: Option<String>,
    pub plan: String,
    pub service_integrations: Vec<IntegrationCreate>,
    pub service_name: String,
    pub service_type: String,
    pub user_config: Map<String, Value>,
    pub termination_protection: bool,
    pub static_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_space_mb: Option<u64>,
    /// `Some(None)` sends an explicit `null` (no VPC); `None` leaves the key out.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::double_option")]
    pub project_vpc_id: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_tags: Option<bool>,
    /// Customer managed key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmk_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<MaintenanceWindow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tech_emails: Option<Vec<TechEmail>>,
    /// Deprecated by Aiven; has no effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}

/// `PUT /v1/project/{p}/service/{s}`. There is no `service_name`: services cannot be renamed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceUpdate {
    pub plan: String,
    pub user_config: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub powered: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_protection: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloud: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_space_mb: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::double_option")]
    pub project_vpc_id: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance: Option<MaintenanceWindow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub karapace: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_registry_authz: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disaster_recovery_role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmk_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tech_emails: Option<Vec<TechEmail>>,
    /// Deprecated by Aiven; has no effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_name: Option<String>,
}

/// The maintenance window a request asks for: day of week and UTC time (`HH:MM:SS`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceWindow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_matches_official_client_shape() {
        let body = ServiceCreate {
            plan: "business-4".into(),
            service_name: "forked".into(),
            service_type: "pg".into(),
            user_config: serde_json::from_str(r#"{"service_to_fork_from":"forker"}"#).unwrap(),
            ..Default::default()
        };
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"cloud": null, "plan": "business-4", "service_integrations": [],
                "service_name": "forked", "service_type": "pg",
                "user_config": {"service_to_fork_from": "forker"},
                "termination_protection": false, "static_ips": []})
        );
        let no_vpc = ServiceCreate { project_vpc_id: Some(None), ..body };
        assert_eq!(serde_json::to_value(&no_vpc).unwrap()["project_vpc_id"], Value::Null);
        assert!(serde_json::to_value(&no_vpc).unwrap().as_object().unwrap().contains_key("project_vpc_id"));
    }

    #[test]
    fn requests_refuse_unknown_keys_and_read_what_the_official_client_sends() {
        let official = serde_json::json!({"cloud": null, "plan": "startup-4",
            "service_integrations": [{"integration_type": "read_replica", "source_service": "src"}],
            "service_name": "db", "service_type": "pg", "user_config": {}, "termination_protection": false,
            "static_ips": [], "disk_space_mb": 90112, "project_vpc_id": null, "cmk_id": "k"});
        let body: ServiceCreate = serde_json::from_value(official).unwrap();
        assert_eq!(body.project_vpc_id, Some(None));
        assert_eq!(body.service_integrations[0].source_service.as_deref(), Some("src"));
        let update = serde_json::json!({"plan": "startup-4", "user_config": {}, "maintenance": {"dow": "monday"},
            "karapace": true, "powered": false, "schema_registry_authz": true, "disaster_recovery_role": "active",
            "cmk_id": "k", "project_vpc_id": "v", "termination_protection": true, "cloud": "local", "disk_space_mb": 1});
        serde_json::from_value::<ServiceUpdate>(update).unwrap();
        let err = serde_json::from_value::<ServiceUpdate>(
            serde_json::json!({"plan": "p", "user_config": {}, "powerd": true}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `powerd`"), "{err}");
    }
}
