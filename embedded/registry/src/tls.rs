//! TLS trust for registry connections: rustls with ring (never OpenSSL), and
//! the roots docker would trust.
//!
//! A static binary may land on a minimal host with no CA store at all, so the
//! Mozilla roots are bundled (`webpki-root-certs`); the host's bundle is added
//! when present, and so is docker's per-registry convention
//! `/etc/docker/certs.d/<host[:port]>/*.crt` (`SKIFF_CERTS_D` moves that dir,
//! for tests and unprivileged users).

use std::path::{Path, PathBuf};
use std::sync::Once;

use oci_client::client::{Certificate, CertificateEncoding};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// Where docker looks for per-registry CAs.
pub const DEFAULT_CERTS_D: &str = "/etc/docker/certs.d";

/// Install ring as rustls' process-wide provider. reqwest is built with
/// `rustls-no-provider`, so nothing else picks one; doing it twice is harmless
/// but `install_default` reports the second call as an error, hence `Once`.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The certs.d directory in use.
pub fn certs_d() -> PathBuf {
    std::env::var_os("SKIFF_CERTS_D")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CERTS_D))
}

/// The directory docker reads extra CAs for `registry` (`host[:port]`) from.
pub fn registry_certs_dir(registry: &str) -> PathBuf {
    // `:` stays as is: docker's directory for a port is `host:port`.
    certs_d().join(registry)
}

/// Every root to trust when talking to `registry`.
pub fn roots_for(registry: &str) -> Vec<Certificate> {
    let mut roots: Vec<Certificate> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .map(|c| der(c.as_ref().to_vec()))
        .collect();
    roots.extend(system_roots());
    roots.extend(certs_d_roots(registry));
    roots
}

/// CAs from `<certs.d>/<registry>/*.crt` (docker reads ca.crt and any other
/// `.crt`; client key pairs `*.cert`/`*.key` are not supported yet).
pub fn certs_d_roots(registry: &str) -> Vec<Certificate> {
    let dir = registry_certs_dir(registry);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "crt"))
        .collect();
    files.sort();
    files.iter().flat_map(|f| pem_file(f)).collect()
}

fn system_roots() -> Vec<Certificate> {
    // Debian, Ubuntu, Alpine: one bundle. Reading the hashed links in
    // /etc/ssl/certs as well would only add duplicates.
    for bundle in [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/cert.pem",
    ] {
        let p = Path::new(bundle);
        if p.is_file() {
            return pem_file(p);
        }
    }
    let Ok(entries) = std::fs::read_dir("/etc/ssl/certs") else {
        return Vec::new();
    };
    entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pem" || e == "crt"))
        .flat_map(|p| pem_file(&p))
        .collect()
}

/// All certificates of a PEM file, as DER: reqwest's `from_pem` keeps only
/// the first certificate of a bundle. Unreadable files are skipped with a
/// warning rather than failing every pull.
fn pem_file(path: &Path) -> Vec<Certificate> {
    match CertificateDer::pem_file_iter(path) {
        Ok(iter) => iter
            .filter_map(|c| match c {
                Ok(c) => Some(der(c.as_ref().to_vec())),
                Err(e) => {
                    tracing::warn!("skipping a certificate in {}: {e}", path.display());
                    None
                }
            })
            .collect(),
        Err(e) => {
            tracing::warn!("cannot read certificates from {}: {e}", path.display());
            Vec::new()
        }
    }
}

fn der(data: Vec<u8>) -> Certificate {
    Certificate {
        encoding: CertificateEncoding::Der,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_roots_are_present() {
        assert!(roots_for("example.invalid:1").len() > 100);
    }

    #[test]
    fn certs_d_reads_every_crt() {
        let dir = tempfile::tempdir().unwrap();
        std::env::set_var("SKIFF_CERTS_D", dir.path());
        let host = dir.path().join("127.0.0.1:5000");
        std::fs::create_dir(&host).unwrap();
        // One bundled root re-encoded as PEM stands in for a private CA.
        let c = &webpki_root_certs::TLS_SERVER_ROOT_CERTS[0];
        let pem = pem_encode(c.as_ref());
        std::fs::write(host.join("ca.crt"), &pem).unwrap();
        std::fs::write(host.join("ignored.txt"), &pem).unwrap();
        let got = certs_d_roots("127.0.0.1:5000");
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].data, c.as_ref());
        assert!(certs_d_roots("127.0.0.1:5001").is_empty());
    }

    fn pem_encode(der: &[u8]) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            s.push_str(std::str::from_utf8(line).unwrap());
            s.push('\n');
        }
        s.push_str("-----END CERTIFICATE-----\n");
        s
    }
}
