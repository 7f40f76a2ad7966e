//! Connecting to PostgreSQL services with their URI (readiness checks, rename steps).
//!
//! TLS follows libpq's `sslmode`: `disable` uses none; `prefer` and `require` encrypt without
//! checking the certificate (as libpq does; Aiven URIs say `require`); `verify-ca` and
//! `verify-full` check it against `sslrootcert` (a PEM file) or the web PKI roots.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::client::danger::ServerCertVerified;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::ServerName;
use rustls::pki_types::UnixTime;
use rustls::DigitallySignedStruct;
use rustls::SignatureScheme;
use tokio_postgres::Client;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tls {
    Off,
    Encrypt,
    Verify,
}

/// Split libpq's sslmode and sslrootcert out of the URI (tokio-postgres knows fewer modes).
fn tls_of(uri: &str) -> (String, Tls, Option<String>) {
    let Some((base, query)) = uri.split_once('?') else {
        return (uri.to_string(), Tls::Encrypt, None);
    };
    let mut mode = Tls::Encrypt;
    let mut root = None;
    let mut kept = Vec::new();
    for kv in query.split('&') {
        match kv.split_once('=') {
            Some(("sslmode", v)) => {
                mode = match v {
                    "disable" | "allow" => Tls::Off,
                    "verify-ca" | "verify-full" => Tls::Verify,
                    _ => Tls::Encrypt,
                }
            }
            Some(("sslrootcert", v)) => root = Some(v.to_string()),
            _ => kept.push(kv),
        }
    }
    let ssl = if mode == Tls::Off { "disable" } else { "prefer" };
    kept.push(if ssl == "disable" { "sslmode=disable" } else { "sslmode=prefer" });
    (format!("{base}?{}", kept.join("&")), mode, root)
}

#[derive(Debug)]
struct AcceptAnyCert(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_config(mode: Tls, root: Option<&str>) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    if mode == Tls::Encrypt {
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    match root {
        Some(path) => {
            let pem = std::fs::read(path).map_err(|e| format!("cannot read sslrootcert {path}: {e}"))?;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                roots.add(cert.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

fn message(e: tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            let mut m = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                m = format!("{m}: {s}");
                src = s.source();
            }
            m
        }
    }
}

/// Connect with a `postgres://` URI; the connection runs in a background task.
pub async fn connect(uri: &str) -> Result<Client, String> {
    let (uri, mode, root) = tls_of(uri);
    let cfg: tokio_postgres::Config = uri.parse().map_err(|e: tokio_postgres::Error| e.to_string())?;
    if mode == Tls::Off {
        let (client, conn) = cfg.connect(tokio_postgres::NoTls).await.map_err(message)?;
        tokio::spawn(conn);
        return Ok(client);
    }
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(mode, root.as_deref())?);
    let (client, conn) = cfg.connect(tls).await.map_err(message)?;
    tokio::spawn(conn);
    Ok(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmodes() {
        assert_eq!(tls_of("postgres://u:p@h:1/d?sslmode=require").1, Tls::Encrypt);
        assert_eq!(
            tls_of("postgres://u:p@h:1/d?sslmode=disable"),
            ("postgres://u:p@h:1/d?sslmode=disable".into(), Tls::Off, None)
        );
        let (u, m, r) = tls_of("postgres://u:p@h:1/d?sslmode=verify-full&sslrootcert=/ca.pem&application_name=x");
        assert_eq!(
            (u.as_str(), m, r.as_deref()),
            ("postgres://u:p@h:1/d?application_name=x&sslmode=prefer", Tls::Verify, Some("/ca.pem"))
        );
    }
}
