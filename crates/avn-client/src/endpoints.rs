//! One short method per API call, and the paths they use.
use std::collections::BTreeMap;

use avn_api::wrap;
use avn_api::BackupsResponse;
use avn_api::Integration;
use avn_api::IntegrationCreate;
use avn_api::Plan;
use avn_api::Project;
use avn_api::Service;
use avn_api::ServiceCreate;
use avn_api::ServiceTypeInfo;
use avn_api::ServiceUpdate;
use avn_api::Vpc;
use percent_encoding::utf8_percent_encode;
use percent_encoding::AsciiSet;
use percent_encoding::NON_ALPHANUMERIC;
use reqwest::Method;

use crate::Client;
use crate::Result;

/// Everything but RFC 3986's unreserved characters is encoded in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encode one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A path under `/v1` built from literal parts and encoded segments.
fn path(parts: &[&str]) -> String {
    parts.iter().fold(String::from("v1"), |mut acc, p| {
        acc.push('/');
        acc.push_str(p);
        acc
    })
}

impl Client {
    /// The user the token belongs to.
    pub async fn me(&self) -> Result<avn_api::UserInfo> {
        Ok(self.get::<wrap::UserOut>(&path(&["me"])).await?.user)
    }

    pub async fn project_list(&self) -> Result<Vec<Project>> {
        Ok(self.get::<wrap::ProjectsOut>(&path(&["project"])).await?.projects)
    }

    /// The CA that signs the project's service certificates (PEM).
    pub async fn project_ca(&self, project: &str) -> Result<String> {
        Ok(self
            .get::<avn_api::ProjectCa>(&path(&["project", &encode_segment(project), "kms", "ca"]))
            .await?
            .certificate)
    }

    pub async fn project_get(&self, project: &str) -> Result<Project> {
        Ok(self.get::<wrap::ProjectOut>(&path(&["project", &encode_segment(project)])).await?.project)
    }

    /// Every cloud of the control plane (`GET /v1/clouds`).
    pub async fn clouds(&self) -> Result<Vec<avn_api::Cloud>> {
        Ok(self.get::<wrap::CloudsOut>(&path(&["clouds"])).await?.clouds)
    }

    pub async fn vpcs(&self, project: &str) -> Result<Vec<Vpc>> {
        Ok(self.get::<wrap::VpcsOut>(&path(&["project", &encode_segment(project), "vpcs"])).await?.vpcs)
    }

    /// avn local only: whether a MySQL or Caching service's writes are stopped (a 404 elsewhere).
    pub async fn local_writes(&self, project: &str, service: &str) -> Result<avn_api::writes::WritesState> {
        self.get(&local_path(project, service, "writes")).await
    }

    /// avn local only: stop a MySQL or Caching service's writes (writing the fence), or lift the
    /// stop.
    pub async fn local_set_writes(
        &self,
        project: &str,
        service: &str,
        change: &avn_api::writes::WritesChange,
    ) -> Result<avn_api::writes::WritesState> {
        self.call(Method::POST, &local_path(project, service, "writes"), Some(change)).await
    }

    /// avn local only: a Caching service's key count and digest of the keys that do not expire by
    /// `cutoff` (UNIX milliseconds) (a 404 elsewhere).
    pub async fn local_digest(&self, project: &str, service: &str, cutoff: i64) -> Result<avn_api::writes::Digest> {
        self.get(&format!("{}?cutoff={cutoff}", local_path(project, service, "digest"))).await
    }

    /// avn local only: a Caching service's fence key, read by its control plane (a 404 elsewhere).
    pub async fn local_fence(&self, project: &str, service: &str) -> Result<avn_api::writes::Fence> {
        self.get(&local_path(project, service, "fence")).await
    }

    /// avn local only: take a backup of a running service now (a 404 elsewhere).
    pub async fn local_backup_now(&self, project: &str, service: &str) -> Result<avn_api::Backup> {
        #[derive(serde::Deserialize)]
        struct Out {
            backup: avn_api::Backup,
        }
        let body = serde_json::json!({});
        let out: Out = self.call(Method::POST, &local_path(project, service, "backup"), Some(&body)).await?;
        Ok(out.backup)
    }

    /// The service versions and their life cycle (`GET /v1/service_versions`, or the account's).
    pub async fn service_versions(&self, account: Option<&str>) -> Result<Vec<avn_api::ServiceVersion>> {
        let p = match account {
            Some(a) => path(&["account", &encode_segment(a), "service_versions"]),
            None => path(&["service_versions"]),
        };
        Ok(self.get::<wrap::ServiceVersionsOut>(&p).await?.service_versions)
    }

    pub async fn service_types(&self, project: &str) -> Result<std::collections::BTreeMap<String, ServiceTypeInfo>> {
        Ok(self
            .get::<wrap::ServiceTypesOut>(&path(&["project", &encode_segment(project), "service_types"]))
            .await?
            .service_types)
    }

    /// One service type with its `user_config_schema` (no plans).
    pub async fn service_type(&self, project: &str, service_type: &str) -> Result<ServiceTypeInfo> {
        self.get(&path(&["project", &encode_segment(project), "service-types", &encode_segment(service_type)])).await
    }

    pub async fn service_plans(&self, project: &str, service_type: &str) -> Result<Vec<Plan>> {
        Ok(self
            .get::<wrap::PlansOut>(&path(&[
                "project",
                &encode_segment(project),
                "service-types",
                &encode_segment(service_type),
                "plans",
            ]))
            .await?
            .service_plans)
    }

    pub async fn service_list(&self, project: &str) -> Result<Vec<Service>> {
        Ok(self.get::<wrap::ServicesOut>(&path(&["project", &encode_segment(project), "service"])).await?.services)
    }

    pub async fn service_get(&self, project: &str, service: &str) -> Result<Service> {
        Ok(self.get::<wrap::ServiceOut>(&service_path(project, service, None)).await?.service)
    }

    /// Create (or fork) a service. Never retried: see the caller for ambiguous failures.
    pub async fn service_create(&self, project: &str, body: &ServiceCreate) -> Result<Service> {
        Ok(self
            .call::<wrap::ServiceOut, _>(
                Method::POST,
                &path(&["project", &encode_segment(project), "service"]),
                Some(body),
            )
            .await?
            .service)
    }

    pub async fn service_update(&self, project: &str, service: &str, body: &ServiceUpdate) -> Result<Service> {
        Ok(self
            .call::<wrap::ServiceOut, _>(Method::PUT, &service_path(project, service, None), Some(body))
            .await?
            .service)
    }

    pub async fn service_delete(&self, project: &str, service: &str) -> Result<()> {
        self.send::<()>(Method::DELETE, &service_path(project, service, None), None).await.map(|_| ())
    }

    /// Delete `service` only while it is the incarnation created at `create_time`: it is looked up
    /// before every attempt, and a failed attempt is retried only after a new look, so a service
    /// that replaced it meanwhile (same name, another creation time) is never deleted.
    pub async fn service_delete_incarnation(
        &self,
        project: &str,
        service: &str,
        create_time: &str,
    ) -> Result<DeleteOutcome> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.service_get(project, service).await {
                Err(e) if e.is_not_found() => return Ok(DeleteOutcome::Gone),
                Err(e) => return Err(e),
                Ok(s) if s.create_time != create_time => return Ok(DeleteOutcome::Replaced(s.create_time)),
                Ok(_) => {}
            }
            match self.send_single(Method::DELETE, &service_path(project, service, None)).await {
                Ok(_) => return Ok(DeleteOutcome::Deleted),
                Err(e) if e.is_not_found() => return Ok(DeleteOutcome::Gone),
                Err(e) if attempt < self.retry.attempts.max(1) && e.is_retryable() => {
                    tokio::time::sleep(self.retry.delay(attempt - 1)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The service's tags.
    pub async fn service_tags(&self, project: &str, service: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.get::<wrap::TagsOut>(&service_path(project, service, Some("tags"))).await?.tags)
    }

    /// Replace the service's tags with `tags` (all of them: a key left out is removed).
    pub async fn service_tags_replace(
        &self,
        project: &str,
        service: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<()> {
        let body = wrap::TagsOut { tags: tags.clone() };
        self.send(Method::PUT, &service_path(project, service, Some("tags")), Some(&body)).await.map(|_| ())
    }

    /// Change some of the service's tags (`PATCH .../tags`): a key with `None` is removed, the
    /// others are set; keys left out stay as they are.
    pub async fn service_tags_update(
        &self,
        project: &str,
        service: &str,
        changes: &BTreeMap<String, Option<String>>,
    ) -> Result<()> {
        let body = serde_json::json!({ "tags": changes });
        self.send(Method::PATCH, &service_path(project, service, Some("tags")), Some(&body)).await.map(|_| ())
    }

    pub async fn service_backups(&self, project: &str, service: &str) -> Result<BackupsResponse> {
        self.get(&service_path(project, service, Some("backups"))).await
    }

    pub async fn service_integrations(&self, project: &str, service: &str) -> Result<Vec<Integration>> {
        Ok(self
            .get::<wrap::IntegrationsOut>(&service_path(project, service, Some("integration")))
            .await?
            .service_integrations)
    }

    pub async fn integration_create(&self, project: &str, body: &IntegrationCreate) -> Result<Integration> {
        Ok(self
            .call::<wrap::IntegrationOut, _>(
                Method::POST,
                &path(&["project", &encode_segment(project), "integration"]),
                Some(body),
            )
            .await?
            .service_integration)
    }
}

/// What [`Client::service_delete_incarnation`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// It was deleted.
    Deleted,
    /// It did not exist (any more).
    Gone,
    /// Another service of that name exists now (its creation time): nothing was deleted.
    Replaced(String),
}

fn service_path(project: &str, service: &str, tail: Option<&str>) -> String {
    let p = encode_segment(project);
    let s = encode_segment(service);
    let mut parts = vec!["project", &p, "service", &s];
    if let Some(t) = tail {
        parts.push(t);
    }
    path(&parts)
}

/// The path of one of avn local's own endpoints of a service (`.../service/{s}/avn-local/{leaf}`).
fn local_path(project: &str, service: &str, leaf: &str) -> String {
    service_path(project, service, Some(&format!("avn-local/{leaf}")))
}

impl Client {
    /// `POST /v1/project`.
    pub async fn project_create(&self, name: &str) -> Result<Project> {
        Ok(self
            .call::<wrap::ProjectOut, _>(Method::POST, &path(&["project"]), Some(&serde_json::json!({"project": name})))
            .await?
            .project)
    }
}

/// `{base}/{kind}/{name}` under a service, the name encoded.
fn service_item(project: &str, service: &str, kind: &str, name: &str) -> String {
    format!("{}/{}", service_path(project, service, Some(kind)), encode_segment(name))
}

/// Service users, databases and connection pools.
impl Client {
    /// `POST {base}/user`: the new user, with its password.
    pub async fn service_user_create(
        &self,
        project: &str,
        service: &str,
        body: &avn_api::inventory::UserCreate,
    ) -> Result<avn_api::ServiceUser> {
        Ok(self
            .call::<avn_api::inventory::UserOut, _>(
                Method::POST,
                &service_path(project, service, Some("user")),
                Some(body),
            )
            .await?
            .user)
    }

    pub async fn service_user_get(&self, project: &str, service: &str, user: &str) -> Result<avn_api::ServiceUser> {
        Ok(self.get::<avn_api::inventory::UserOut>(&service_item(project, service, "user", user)).await?.user)
    }

    /// `PUT {base}/user/{user}` (reset credentials, acknowledge renewal, set access control).
    pub async fn service_user_modify(
        &self,
        project: &str,
        service: &str,
        user: &str,
        body: &avn_api::inventory::UserModify,
    ) -> Result<()> {
        self.send(Method::PUT, &service_item(project, service, "user", user), Some(body)).await.map(|_| ())
    }

    pub async fn service_user_delete(&self, project: &str, service: &str, user: &str) -> Result<()> {
        self.send::<()>(Method::DELETE, &service_item(project, service, "user", user), None).await.map(|_| ())
    }

    pub async fn service_databases(&self, project: &str, service: &str) -> Result<Vec<avn_api::inventory::Database>> {
        Ok(self.get::<avn_api::inventory::DatabasesOut>(&service_path(project, service, Some("db"))).await?.databases)
    }

    pub async fn service_database_create(
        &self,
        project: &str,
        service: &str,
        body: &avn_api::inventory::DatabaseCreate,
    ) -> Result<()> {
        self.send(Method::POST, &service_path(project, service, Some("db")), Some(body)).await.map(|_| ())
    }

    pub async fn service_database_delete(&self, project: &str, service: &str, db: &str) -> Result<()> {
        self.send::<()>(Method::DELETE, &service_item(project, service, "db", db), None).await.map(|_| ())
    }

    pub async fn service_pool_create(
        &self,
        project: &str,
        service: &str,
        body: &avn_api::inventory::PoolCreate,
    ) -> Result<()> {
        self.send(Method::POST, &service_path(project, service, Some("connection_pool")), Some(body)).await.map(|_| ())
    }

    pub async fn service_pool_update(
        &self,
        project: &str,
        service: &str,
        pool: &str,
        body: &avn_api::inventory::PoolUpdate,
    ) -> Result<()> {
        self.send(Method::PUT, &service_item(project, service, "connection_pool", pool), Some(body)).await.map(|_| ())
    }

    pub async fn service_pool_delete(&self, project: &str, service: &str, pool: &str) -> Result<()> {
        self.send::<()>(Method::DELETE, &service_item(project, service, "connection_pool", pool), None)
            .await
            .map(|_| ())
    }
}

/// Logs and queries.
impl Client {
    /// `POST {base}/logs`: up to `limit` entries after (asc) or before (desc) `offset`; the
    /// answer's `offset` continues from there.
    pub async fn service_logs(
        &self,
        project: &str,
        service: &str,
        limit: u32,
        offset: Option<&str>,
        sort_order: &str,
    ) -> Result<serde_json::Value> {
        let mut body = serde_json::json!({"limit": limit, "sort_order": sort_order});
        if let Some(o) = offset {
            body["offset"] = o.into();
        }
        self.call(Method::POST, &service_path(project, service, Some("logs")), Some(&body)).await
    }

    /// `POST {base}/query/activity`: current connections and queries, longest first.
    pub async fn service_current_queries(&self, project: &str, service: &str) -> Result<Vec<serde_json::Value>> {
        let body = serde_json::json!({"limit": 100, "order_by": "query_duration:desc"});
        let v: serde_json::Value =
            self.call(Method::POST, &service_path(project, service, Some("query/activity")), Some(&body)).await?;
        Ok(v["queries"].as_array().cloned().unwrap_or_default())
    }

    /// `POST {base}/{type}/query/stats`: query statistics, most called first.
    pub async fn service_query_stats(
        &self,
        project: &str,
        service: &str,
        service_type: &str,
    ) -> Result<Vec<serde_json::Value>> {
        let order = if service_type == "pg" { "calls:desc" } else { "count_star:desc" };
        let body = serde_json::json!({"limit": 100, "order_by": order});
        let tail = format!("{}/query/stats", encode_segment(service_type));
        let v: serde_json::Value =
            self.call(Method::POST, &service_path(project, service, Some(&tail)), Some(&body)).await?;
        Ok(v["queries"].as_array().cloned().unwrap_or_default())
    }

    /// `PUT {base}/tags` answered with the server's message.
    pub async fn service_tags_replace_message(
        &self,
        project: &str,
        service: &str,
        tags: &BTreeMap<String, String>,
    ) -> Result<String> {
        let body = wrap::TagsOut { tags: tags.clone() };
        let v: serde_json::Value =
            self.call(Method::PUT, &service_path(project, service, Some("tags")), Some(&body)).await?;
        Ok(v["message"].as_str().unwrap_or_default().to_string())
    }

    /// `PATCH {base}/tags` answered with the server's message.
    pub async fn service_tags_update_message(
        &self,
        project: &str,
        service: &str,
        changes: &BTreeMap<String, Option<String>>,
    ) -> Result<String> {
        let body = serde_json::json!({ "tags": changes });
        let v: serde_json::Value =
            self.call(Method::PATCH, &service_path(project, service, Some("tags")), Some(&body)).await?;
        Ok(v["message"].as_str().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_whole() {
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(encode_segment("db-1.x_y~z"), "db-1.x_y~z");
        assert_eq!(encode_segment("é?#%"), "%C3%A9%3F%23%25");
        assert_eq!(service_path("p", "db-1", Some("backups")), "v1/project/p/service/db-1/backups");
    }
}
