//! Building a [`Client`]: base URL, token, CA, timeouts, retries and the observer.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::header::HeaderValue;
use reqwest::Url;

use crate::Client;
use crate::Error;
use crate::Observer;
use crate::Result;
use crate::RetryPolicy;
use crate::DEFAULT_URL;

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
