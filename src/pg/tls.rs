//! The TLS policy of one connection: which certificates are accepted for each `sslmode`.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::client::danger::ServerCertVerified;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::ServerName;
use rustls::pki_types::UnixTime;
use rustls::CertificateError;
use rustls::DigitallySignedStruct;
use rustls::SignatureScheme;

use super::PgError;
use super::Tls;

/// What a `require` connection trusts beyond libpq, decided once per project.
#[derive(Debug, Clone, Default)]
pub enum Trust {
    /// libpq's meaning: `require` encrypts without checking the certificate (no CA is known).
    #[default]
    Libpq,
    /// The project's CA (PEM, from `kms/ca`): `require` checks the chain and the host name.
    ProjectCa(Arc<Vec<u8>>),
    /// `--pg-insecure-tls`: `require` accepts any certificate (TLS is still required).
    Insecure,
}

/// A rustls configuration, and what it verifies against (for messages).
pub struct Plan {
    pub config: rustls::ClientConfig,
    pub against: &'static str,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn roots_from_pem(pem: &[u8], what: &str) -> Result<rustls::RootCertStore, PgError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut &pem[..]) {
        let cert = cert.map_err(|e| PgError::Tls(format!("{what}: {e}")))?;
        roots.add(cert).map_err(|e| PgError::Tls(format!("{what}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(PgError::Tls(format!("{what} holds no certificate")));
    }
    Ok(roots)
}

/// The configuration for `mode`: what is checked, against which roots.
pub fn plan(mode: Tls, root: Option<&str>, trust: &Trust) -> Result<Plan, PgError> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| PgError::Tls(e.to_string()))?;
    let any = |builder: rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier>| {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyCert(provider()))).with_no_client_auth()
    };
    // The roots a verifying mode checks against: sslrootcert, else the project's CA, else the web PKI.
    let (roots, against) = match (root, trust) {
        (Some(path), _) => {
            let pem = std::fs::read(path).map_err(|e| PgError::Tls(format!("cannot read sslrootcert {path}: {e}")))?;
            (roots_from_pem(&pem, &format!("sslrootcert {path}"))?, ", against sslrootcert")
        }
        (None, Trust::ProjectCa(pem)) => (roots_from_pem(pem, "the project's CA")?, ", against the project's CA"),
        (None, _) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            (roots, ", against the web PKI roots")
        }
    };
    let verifier = || {
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots.clone()), provider())
            .build()
            .map_err(|e| PgError::Tls(e.to_string()))
    };
    let config = match (mode, trust) {
        (Tls::Off | Tls::Prefer, _) | (Tls::Require, Trust::Libpq | Trust::Insecure) => {
            return Ok(Plan { config: any(builder), against: "" })
        }
        (Tls::Require | Tls::VerifyFull, _) => {
            builder.dangerous().with_custom_certificate_verifier(verifier()?).with_no_client_auth()
        }
        (Tls::VerifyCa, _) => {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(ChainOnly(verifier()?))).with_no_client_auth()
        }
    };
    Ok(Plan { config, against })
}

/// When the handshake failed on the server's certificate, what was wrong with it.
pub fn certificate_problem(e: &tokio_postgres::Error) -> Option<String> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        // An io::Error hides the error it wraps from source(): look inside.
        let inner = s.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).map(|i| i as &dyn std::error::Error);
        for candidate in [Some(s), inner].into_iter().flatten() {
            if let Some(rustls::Error::InvalidCertificate(c)) = candidate.downcast_ref::<rustls::Error>() {
                return Some(format!("{c:?}"));
            }
        }
        src = s.source();
    }
    None
}

/// `verify-ca`: the chain must verify; the name in the certificate is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `prefer`, and `require` without a CA (libpq's meaning) or with `--pg-insecure-tls`: encrypt,
/// check the handshake signature, accept any certificate.
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
