//! `--show-http` and `-v` retry reports: an [`avn_client::Observer`] that writes to stderr with
//! the token and passwords masked.
#![allow(clippy::print_stderr)]

use std::time::Duration;

use serde_json::Value;

pub struct HttpLog {
    pub show_http: bool,
    pub verbose: bool,
}

fn body_text(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(mut v) => {
            avn_api::redact::redact_value(&mut v);
            super::json::to_pretty(&v)
        }
        Err(_) => format!("{}\n", String::from_utf8_lossy(body)),
    }
}

impl avn_client::Observer for HttpLog {
    fn request(&self, method: &str, url: &str, headers: &[(String, String)], body: Option<&[u8]>) {
        if !self.show_http {
            return;
        }
        let mut s = format!("-----Request Begin-----\n{method} {url}\n");
        for (k, v) in headers {
            s.push_str(&format!("{k}: {v}\n"));
        }
        s.push('\n');
        if let Some(b) = body {
            s.push_str(&body_text(b));
        }
        s.push_str("-----Request End-----");
        eprintln!("{s}");
    }

    fn response(&self, status: u16, headers: &[(String, String)], body: &[u8]) {
        if !self.show_http {
            return;
        }
        let mut s = format!("-----Response Begin-----\n{status}\n");
        for (k, v) in headers {
            s.push_str(&format!("{k}: {v}\n"));
        }
        s.push('\n');
        s.push_str(&body_text(body));
        s.push_str("-----Response End-----");
        eprintln!("{s}");
    }

    fn retry(&self, method: &str, path: &str, reason: &str, delay: Duration, attempts_left: u32) {
        if self.verbose || self.show_http {
            eprintln!(
                "retrying {method} {path} in {:.1}s ({reason}; {attempts_left} attempt{} left)",
                delay.as_secs_f64(),
                if attempts_left == 1 { "" } else { "s" }
            );
        }
    }
}
