//! TLS for sandbox API servers: a throw-away CA and a server certificate it signs.
//!
//! kubectl and kube-rs verify the server certificate against the CA written into the
//! kubeconfig (`certificate-authority-data`), exactly as with a real cluster, so HTTPS in the
//! sandbox exercises the same client code paths as production. The CA private key never
//! leaves this module: nothing can sign further certificates with it, and nothing can print it.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::fmt;
use std::sync::Arc;

/// Names the server certificate is valid for: what a kubeconfig `server:` URL may use.
pub const SERVER_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// Why the sandbox could not set up TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not generate a certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("could not build the TLS server configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The sandbox's certificate authority, as clients need it (public parts only).
#[derive(Clone)]
pub struct SandboxCa {
    /// The CA certificate, PEM; goes (base64) into `certificate-authority-data`.
    pub ca_pem: String,
    /// The CA certificate, DER; for clients built in-process (rustls root stores).
    pub ca_der: CertificateDer<'static>,
}

impl fmt::Debug for SandboxCa {
    /// Certificates are public, but a multi-line PEM makes logs unreadable: show its size.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxCa")
            .field(
                "ca_pem",
                &format_args!("<{} bytes of PEM>", self.ca_pem.len()),
            )
            .finish()
    }
}

/// Generate a fresh CA plus a server certificate for [`SERVER_NAMES`] signed by it, and the
/// rustls server configuration presenting that certificate (HTTP/1.1 over ALPN).
///
/// Uses the ring provider explicitly, so no process-wide default crypto provider is needed
/// (and none is installed as a side effect).
pub fn generate_ca_and_server_cert() -> Result<(SandboxCa, Arc<rustls::ServerConfig>), TlsError> {
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kubedrift-sandbox-ca");
    ca_params
        .distinguished_name
        .push(DnType::OrganizationName, "kubedrift sandbox");
    ca_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca = SandboxCa {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().clone(),
    };
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate()?;
    let mut server_params = CertificateParams::new(
        SERVER_NAMES
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
    )?;
    server_params
        .distinguished_name
        .push(DnType::CommonName, "kubedrift-sandbox-apiserver");
    server_params.use_authority_key_identifier_extension = true;
    server_params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = server_params.signed_by(&server_key, &issuer)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![server_cert.der().clone(), ca.ca_der.clone()], key_der)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok((ca, Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_pem_is_a_single_certificate() {
        let (ca, config) = generate_ca_and_server_cert().expect("tls setup");
        assert!(ca.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(ca.ca_pem.matches("BEGIN CERTIFICATE").count(), 1);
        assert!(!ca.ca_pem.contains("PRIVATE KEY"));
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn every_call_makes_a_new_ca() {
        let (first, _) = generate_ca_and_server_cert().expect("tls setup");
        let (second, _) = generate_ca_and_server_cert().expect("tls setup");
        assert_ne!(first.ca_pem, second.ca_pem);
    }

    #[test]
    fn debug_does_not_dump_the_pem() {
        let (ca, _) = generate_ca_and_server_cert().expect("tls setup");
        let shown = format!("{ca:?}");
        assert!(!shown.contains("BEGIN"), "{shown}");
    }
}
