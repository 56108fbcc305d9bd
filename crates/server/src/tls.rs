//! TLS material: loading the configured certificate into a rustls server config
//! (ring provider, named explicitly: DEPENDENCIES.md trap 4), and making
//! self-signed certificates for `init` and `serve --dev`.

use anyhow::{Context, Result, anyhow};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use std::{path::Path, sync::Arc};

pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| anyhow!("tls.cert {}: {e}", cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow!("tls.cert {}: {e}", cert.display()))?;
    if certs.is_empty() {
        anyhow::bail!("tls.cert {}: no certificate in the file", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| anyhow!("tls.key {}: {e}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("tls.cert and tls.key do not form a usable pair")?;
    Ok(Arc::new(config))
}

/// Writes a self-signed certificate for `names` to `cert` and its key to `key`
/// (mode 0600).
pub fn write_self_signed(names: &[&str], cert: &Path, key: &Path) -> Result<()> {
    let ck =
        rcgen::generate_simple_self_signed(names.iter().map(|s| s.to_string()).collect::<Vec<_>>()).context("generating a certificate")?;
    std::fs::write(cert, ck.cert.pem()).with_context(|| format!("writing {}", cert.display()))?;
    crate::init::write_private(key, ck.signing_key.serialize_pem().as_bytes())?;
    Ok(())
}
