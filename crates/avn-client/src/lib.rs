//! The typed HTTP client for the Aiven v1 API.
//!
//! One `reqwest::Client` per [`Client`]; every endpoint goes through [`Client::send`], which sets
//! the headers once, retries what is safe to retry, reports every exchange to an optional
//! [`Observer`], and turns Aiven error bodies into [`Error::Api`]. This crate never prints.

use std::sync::Arc;
use std::time::Duration;

use avn_api::wrap;
use avn_api::BackupsResponse;
use avn_api::ErrorBody;
use avn_api::Integration;
use avn_api::IntegrationCreate;
use avn_api::Plan;
use avn_api::Project;
use avn_api::Service;
use avn_api::ServiceCreate;
use avn_api::ServiceTypeInfo;
use avn_api::ServiceUpdate;
use avn_api::Vpc;
use reqwest::header::HeaderMap;
use reqwest::header::HeaderValue;
use reqwest::Method;
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::Serialize;

mod error;

pub use error::Error;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The default API base URL.
pub const DEFAULT_URL: &str = "https://api.aiven.io";

/// Receives a description of every HTTP exchange and retry, for `--show-http` and `-v`.
/// Headers given to it never contain the token.
pub trait Observer: Send + Sync {
    fn request(&self, _method: &str, _url: &str, _headers: &[(String, String)], _body: Option<&[u8]>) {}
    fn response(&self, _status: u16, _headers: &[(String, String)], _body: &[u8]) {}
    fn retry(&self, _method: &str, _path: &str, _reason: &str, _delay: Duration, _attempts_left: u32) {}
}

/// When and how often idempotent requests are retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 4, base_delay: Duration::from_millis(500), max_delay: Duration::from_secs(8) }
    }
}

impl RetryPolicy {
    /// Capped exponential backoff with full jitter in the upper half.
    fn delay(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.min(16)).min(self.max_delay);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[derive(Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    token: Option<String>,
    ca_pem: Option<Vec<u8>>,
    request_timeout: Option<Duration>,
    insecure: bool,
    user_agent: Option<String>,
    observer: Option<Arc<dyn Observer>>,
    retry: RetryPolicy,
}

impl ClientBuilder {
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }
    pub fn token(mut self, token: Option<String>) -> Self {
        self.token = token.filter(|t| !t.is_empty());
        self
    }
    pub fn ca_pem(mut self, pem: Option<Vec<u8>>) -> Self {
        self.ca_pem = pem;
        self
    }
    pub fn request_timeout(mut self, t: Option<Duration>) -> Self {
        self.request_timeout = t;
        self
    }
    /// Allow plain `http://` to hosts other than loopback.
    pub fn insecure(mut self, yes: bool) -> Self {
        self.insecure = yes;
        self
    }
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }
    pub fn observer(mut self, o: Option<Arc<dyn Observer>>) -> Self {
        self.observer = o;
        self
    }
    pub fn retry(mut self, r: RetryPolicy) -> Self {
        self.retry = r;
        self
    }

    pub fn build(self) -> Result<Client> {
        let raw = self.base_url.unwrap_or_else(|| DEFAULT_URL.to_string());
        let mut base = Url::parse(raw.trim_end_matches('/'))
            .map_err(|e| Error::InvalidUrl { url: raw.clone(), detail: e.to_string() })?;
        match base.scheme() {
            "https" => {}
            "http" => {
                let host = base.host_str().unwrap_or("").to_string();
                if !is_loopback(&host) && !self.insecure {
                    return Err(Error::InsecureUrl { host });
                }
            }
            other => {
                return Err(Error::InvalidUrl {
                    url: raw,
                    detail: format!("unsupported scheme '{other}', use https:// (or http:// for localhost)"),
                })
            }
        }
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT, HeaderValue::from_static("application/json"));
        let mut http = reqwest::Client::builder()
            .user_agent(self.user_agent.unwrap_or_else(|| format!("avn-client-rs/{}", env!("CARGO_PKG_VERSION"))))
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .pool_idle_timeout(Duration::from_secs(50));
        if let Some(t) = self.request_timeout {
            http = http.timeout(t);
        }
        if let Some(pem) = &self.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| Error::Tls(e.to_string()))?;
            if certs.is_empty() {
                return Err(Error::Tls("no PEM certificate found in the file".into()));
            }
            for c in certs {
                http = http.add_root_certificate(c);
            }
        }
        let http = http.build().map_err(|e| Error::Tls(e.to_string()))?;
        Ok(Client {
            http,
            base,
            token: self.token,
            request_timeout: self.request_timeout,
            observer: self.observer,
            retry: self.retry,
        })
    }
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost" || h.parse::<std::net::IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

/// Percent-encode one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A path under `/v1` built from literal parts and encoded segments.
fn path(parts: &[&str]) -> String {
    parts.iter().fold(String::from("v1"), |mut acc, p| {
        acc.push('/');
        acc.push_str(p);
        acc
    })
}

pub struct Client {
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
    request_timeout: Option<Duration>,
    observer: Option<Arc<dyn Observer>>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// The one request funnel: auth, body, retries, error mapping and observation.
    async fn send<B: Serialize + ?Sized>(&self, method: Method, path: &str, body: Option<&B>) -> Result<Vec<u8>> {
        let token = self.token.as_deref().ok_or(Error::NotAuthenticated)?;
        let url =
            self.base.join(path).map_err(|e| Error::InvalidUrl { url: path.to_string(), detail: e.to_string() })?;
        let shown_path = format!("/{path}");
        let body_bytes = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| Error::Decode {
                method: method.to_string(),
                path: shown_path.clone(),
                detail: e.to_string(),
            })?),
            None => None,
        };
        let idempotent = method == Method::GET || method == Method::DELETE;
        let attempts = if idempotent { self.retry.attempts.max(1) } else { 1 };
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_once(&method, &url, &shown_path, token, body_bytes.as_deref()).await;
            let left = attempts - attempt;
            let (retryable, reason, server_delay) = match &result {
                Ok(_) => (false, String::new(), None),
                Err(e @ Error::Connect { .. }) => (true, e.to_string(), None),
                Err(e @ (Error::Timeout { .. } | Error::Transport { .. })) => (true, e.to_string(), None),
                Err(e) => match e.status() {
                    Some(429) => (true, "HTTP 429 Too Many Requests".to_string(), e.retry_after()),
                    Some(s @ (502..=504)) => (true, format!("HTTP {s}"), e.retry_after()),
                    _ => (false, String::new(), None),
                },
            };
            if !retryable || left == 0 {
                return result;
            }
            let delay =
                server_delay.map(|d| d.min(Duration::from_secs(60))).unwrap_or_else(|| self.retry.delay(attempt - 1));
            if let Some(o) = &self.observer {
                o.retry(method.as_str(), &shown_path, &reason, delay, left);
            }
            tokio::time::sleep(delay).await;
        }
    }

    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        shown_path: &str,
        token: &str,
        body: Option<&[u8]>,
    ) -> Result<Vec<u8>> {
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .header(reqwest::header::AUTHORIZATION, format!("aivenv1 {token}"));
        if let Some(b) = body {
            req = req.header(reqwest::header::CONTENT_TYPE, "application/json").body(b.to_vec());
        }
        let req = req.build().map_err(|e| Error::InvalidUrl { url: shown_path.to_string(), detail: e.to_string() })?;
        if let Some(o) = &self.observer {
            o.request(method.as_str(), req.url().as_str(), &redacted_headers(req.headers()), body);
        }
        let resp = match self.http.execute(req).await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_error(method, shown_path, e)),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = match resp.bytes().await {
            Ok(b) => b.to_vec(),
            Err(e) => return Err(self.transport_error(method, shown_path, e)),
        };
        if let Some(o) = &self.observer {
            o.response(status, &redacted_headers(&headers), &bytes);
        }
        if (200..300).contains(&status) {
            return Ok(bytes);
        }
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64);
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(Error::Api {
                method: method.to_string(),
                path: shown_path.to_string(),
                status,
                message: body.message,
                errors: body.errors,
                retry_after,
            }),
            Err(_) => Err(Error::UnexpectedBody {
                method: method.to_string(),
                path: shown_path.to_string(),
                status,
                body: String::from_utf8_lossy(&bytes).chars().take(500).collect::<String>().trim().to_string(),
                retry_after,
            }),
        }
    }

    fn transport_error(&self, method: &Method, shown_path: &str, e: reqwest::Error) -> Error {
        // Describe the innermost cause, without the URL (reqwest's Display includes it).
        let mut detail = String::new();
        let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
        while let Some(s) = src {
            detail = s.to_string();
            src = s.source();
        }
        let (is_timeout, is_connect) = (e.is_timeout(), e.is_connect());
        if detail.is_empty() {
            detail = e.without_url().to_string();
        }
        if is_timeout {
            Error::Timeout {
                method: method.to_string(),
                path: shown_path.to_string(),
                timeout: self.request_timeout.unwrap_or_default(),
            }
        } else if is_connect {
            Error::Connect { url: self.base_url().to_string(), detail }
        } else {
            Error::Transport { method: method.to_string(), path: shown_path.to_string(), detail }
        }
    }

    async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T> {
        let m = method.to_string();
        let bytes = self.send(method, path, body).await?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        serde_json::from_slice(bytes).map_err(|e| Error::Decode {
            method: m,
            path: format!("/{path}"),
            detail: e.to_string(),
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call::<T, ()>(Method::GET, path, None).await
    }

    pub async fn project_list(&self) -> Result<Vec<Project>> {
        Ok(self.get::<wrap::ProjectsOut>(&path(&["project"])).await?.projects)
    }

    pub async fn project_get(&self, project: &str) -> Result<Project> {
        Ok(self.get::<wrap::ProjectOut>(&path(&["project", &encode_segment(project)])).await?.project)
    }

    pub async fn vpcs(&self, project: &str) -> Result<Vec<Vpc>> {
        Ok(self.get::<wrap::VpcsOut>(&path(&["project", &encode_segment(project), "vpcs"])).await?.vpcs)
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

fn service_path(project: &str, service: &str, tail: Option<&str>) -> String {
    let p = encode_segment(project);
    let s = encode_segment(service);
    let mut parts = vec!["project", &p, "service", &s];
    if let Some(t) = tail {
        parts.push(t);
    }
    path(&parts)
}

fn redacted_headers(h: &HeaderMap) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            let value = if k == reqwest::header::AUTHORIZATION {
                "aivenv1 <redacted>".to_string()
            } else {
                v.to_str().unwrap_or("<binary>").to_string()
            };
            (k.as_str().to_string(), value)
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_encoded_whole() {
        assert_eq!(encode_segment("a b/c"), "a%20b%2Fc");
        assert_eq!(service_path("p", "db-1", Some("backups")), "v1/project/p/service/db-1/backups");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(Client::builder().base_url("http://127.0.0.1:9").build().is_ok());
        assert!(Client::builder().base_url("http://localhost:9/").build().is_ok());
        assert!(Client::builder().base_url("http://[::1]:9").build().is_ok());
        assert!(matches!(Client::builder().base_url("http://example.com").build(), Err(Error::InsecureUrl { .. })));
        assert!(Client::builder().base_url("http://example.com").insecure(true).build().is_ok());
    }

    #[test]
    fn backoff_is_capped() {
        let r = RetryPolicy::default();
        for a in 0..20 {
            assert!(r.delay(a) <= r.max_delay);
        }
        assert!(r.delay(0) >= r.base_delay / 2);
    }
}
