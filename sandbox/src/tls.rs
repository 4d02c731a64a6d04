//! HTTPS for the sandbox (`--tls`, [`SandboxConfig::tls`](crate::SandboxConfig::tls)):
//! a certificate authority made at start, a server certificate it signs for
//! the names asked for, and the CA's PEM for clients to trust (the binary
//! writes it to a file and names it `INGO_CA_CERT`). HTTP/1.1 only, as the
//! gateway speaks to a signing client.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A server's TLS: how to accept, and the CA to trust.
#[derive(Clone)]
pub(crate) struct Tls {
    pub acceptor: TlsAcceptor,
    /// The certificate authority that signed the server's certificate, PEM.
    pub ca_pem: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

fn io(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("cannot set up TLS: {e}"))
}

/// A fresh CA, and a server certificate it signs for `names` (DNS names or
/// IP addresses, e.g. `localhost`, `127.0.0.1`).
pub(crate) fn make(names: &[String]) -> std::io::Result<Tls> {
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(io)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(
        DnType::CommonName,
        "ingo-sandbox test CA (not for production)",
    );
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(io)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(io)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(names.to_vec()).map_err(io)?;
    leaf.distinguished_name.push(
        DnType::CommonName,
        names.first().map_or("localhost", String::as_str),
    );
    leaf.use_authority_key_identifier_extension = true;
    let leaf_key = KeyPair::generate().map_err(io)?;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(io)?;

    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io)?
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf_cert.der().clone(), ca_cert.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .map_err(io)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem: ca_cert.pem(),
    })
}

/// The names a certificate is made for when none are given.
pub(crate) fn default_names() -> Vec<String> {
    vec!["localhost".into(), "127.0.0.1".into()]
}
