//! TLS like Aiven's: a certificate authority of this control plane (generated at the first start,
//! kept as `<data-dir>/ca/ca.crt` and `ca.key`, 0600) signs each cluster's server certificate for
//! `127.0.0.1` and `localhost`. Service URIs say `sslmode=require`, and the CA is served at
//! `GET /v1/project/{project}/kms/ca`, so clients verify the server as they do on Aiven.

use std::net::IpAddr;
use std::net::Ipv4Addr;
use std::path::Path;

use rcgen::BasicConstraints;
use rcgen::CertificateParams;
use rcgen::DistinguishedName;
use rcgen::DnType;
use rcgen::ExtendedKeyUsagePurpose;
use rcgen::IsCa;
use rcgen::Issuer;
use rcgen::KeyPair;
use rcgen::KeyUsagePurpose;
use rcgen::SanType;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate: {0}")]
    Cert(#[from] rcgen::Error),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
}

/// The CA: its certificate (PEM) and what signs with it.
pub struct Authority {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// The CA's parameters. The same every time, so an issuer rebuilt from the stored key signs
/// certificates that chain to the stored CA certificate.
fn ca_params() -> Result<CertificateParams, rcgen::Error> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "avn local CA");
    dn.push(DnType::OrganizationName, "avn");
    p.distinguished_name = dn;
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    Ok(p)
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> TlsError {
    move |source| TlsError::Io { context, source }
}

/// Write `text` to `path` atomically with `mode`.
fn write_private(path: &Path, text: &str, mode: u32) -> Result<(), TlsError> {
    avn_util::crashsafe::write(path, text.as_bytes(), mode).map_err(io(format!("cannot write {}", path.display())))
}

impl Authority {
    /// Load the CA from `<data_dir>/ca`, creating it on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<Authority, TlsError> {
        let dir = data_dir.join("ca");
        let (cert_path, key_path) = (dir.join("ca.crt"), dir.join("ca.key"));
        if let (Ok(cert_pem), Ok(key_pem)) = (std::fs::read_to_string(&cert_path), std::fs::read_to_string(&key_path)) {
            let key = KeyPair::from_pem(&key_pem)?;
            return Ok(Authority { cert_pem, issuer: Issuer::new(ca_params()?, key) });
        }
        {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)
                .map_err(io(format!("cannot create {}", dir.display())))?;
        }
        let key = KeyPair::generate()?;
        let params = ca_params()?;
        let cert_pem = params.self_signed(&key)?.pem();
        // The key first: a certificate without its key is never left behind.
        write_private(&key_path, &key.serialize_pem(), 0o600)?;
        write_private(&cert_path, &cert_pem, 0o600)?;
        Ok(Authority { cert_pem, issuer: Issuer::new(params, key) })
    }

    /// The CA certificate (PEM), as `kms/ca` serves it.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Write a new server certificate and key and the CA into `dir` (`server-cert.pem`,
    /// `server-key.pem`, `ca.pem`): each file created anew, 0600 (never written through what
    /// another user left under its name), then given to `owner` (the server's user and group,
    /// when the control plane runs as root).
    pub fn write_server_files(&self, dir: &std::path::Path, owner: Option<(u32, u32)>) -> Result<(), TlsError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let (cert, key) = self.issue_server()?;
        for (name, body) in
            [("server-cert.pem", cert.as_str()), ("server-key.pem", key.as_str()), ("ca.pem", self.cert_pem())]
        {
            let path = dir.join(name);
            let io = |source| TlsError::Io { context: path.display().to_string(), source };
            let _ = std::fs::remove_file(&path);
            let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io)?;
            f.write_all(body.as_bytes()).map_err(io)?;
            if let Some((u, g)) = owner {
                std::os::unix::fs::lchown(&path, Some(u), Some(g)).map_err(io)?;
            }
        }
        Ok(())
    }

    /// A new server certificate and key (PEM) for a cluster on this machine.
    pub fn issue_server(&self) -> Result<(String, String), TlsError> {
        let mut p = CertificateParams::new(vec!["localhost".to_string()])?;
        p.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        let key = KeyPair::generate()?;
        let cert = p.signed_by(&key, &self.issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_created_once_private_and_signs_servers() {
        let dir = tempfile::tempdir().unwrap();
        let a = Authority::load_or_create(dir.path()).unwrap();
        let b = Authority::load_or_create(dir.path()).unwrap();
        assert_eq!(a.cert_pem(), b.cert_pem(), "loaded, not created again");
        use std::os::unix::fs::PermissionsExt;
        for f in ["ca/ca.key", "ca/ca.crt"] {
            let mode = std::fs::metadata(dir.path().join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{f}");
        }
        assert_eq!(std::fs::metadata(dir.path().join("ca")).unwrap().permissions().mode() & 0o777, 0o700);
        let (cert, key) = b.issue_server().unwrap();
        assert!(cert.starts_with("-----BEGIN CERTIFICATE-----") && key.contains("PRIVATE KEY"));
    }
}
