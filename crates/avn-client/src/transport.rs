//! The one request funnel: auth, body, retries, error mapping and observation.

use std::time::Duration;

use avn_api::ErrorBody;
use reqwest::header::HeaderMap;
use reqwest::Method;
use reqwest::Url;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Client;
use crate::Error;
use crate::Result;

impl Client {
    /// The one request funnel: auth, body, retries, error mapping and observation.
    pub(crate) async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<Vec<u8>> {
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
        // Whether an earlier attempt may have reached the server without its answer reaching us.
        let mut maybe_applied = false;
        loop {
            attempt += 1;
            let result = self.send_once(&method, &url, &shown_path, token, body_bytes.as_deref()).await;
            // A DELETE whose answer was lost and whose retry finds nothing has succeeded.
            if method == Method::DELETE && maybe_applied && result.as_ref().err().and_then(Error::status) == Some(404) {
                return Ok(Vec::new());
            }
            maybe_applied |= match &result {
                Err(Error::Timeout { .. } | Error::Transport { .. }) => true,
                Err(e) => matches!(e.status(), Some(502..=504)),
                Ok(_) => false,
            };
            let left = attempts - attempt;
            let e = match &result {
                Err(e) if e.is_retryable() && left > 0 => e,
                _ => return result,
            };
            let (reason, server_delay) = (e.retry_reason(), e.retry_after());
            let delay =
                server_delay.map(|d| d.min(Duration::from_secs(60))).unwrap_or_else(|| self.retry.delay(attempt - 1));
            if let Some(o) = &self.observer {
                o.retry(method.as_str(), &shown_path, &reason, delay, left);
            }
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt, no retry: for requests whose retry must be decided by the caller after a
    /// fresh look (deleting one incarnation of a service).
    pub(crate) async fn send_single(&self, method: Method, path: &str) -> Result<Vec<u8>> {
        let token = self.token.as_deref().ok_or(Error::NotAuthenticated)?;
        let url =
            self.base.join(path).map_err(|e| Error::InvalidUrl { url: path.to_string(), detail: e.to_string() })?;
        self.send_once(&method, &url, &format!("/{path}"), token, None).await
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

    pub(crate) async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
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

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.call::<T, ()>(Method::GET, path, None).await
    }
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
