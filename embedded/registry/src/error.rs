//! The registry crate's errors, and the translation of oci-client/reqwest
//! failures into messages a user can act on (unauthorized, TLS, digest).

use oci_client::errors::OciDistributionError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("{file}: line {line}: {message}")]
    Config {
        file: String,
        line: usize,
        message: String,
    },
    #[error("invalid reference format: {0}")]
    Reference(String),
    #[error("{0}")]
    Platform(String),
    #[error("{0}")]
    Credentials(String),
    /// The registry refused the credentials (or their absence).
    #[error("{0}")]
    Unauthorized(String),
    /// The TLS handshake failed (unknown CA, wrong name...).
    #[error("{0}")]
    Tls(String),
    /// A blob's bytes do not hash to its digest.
    #[error("{digest}: the registry sent content that does not match the digest (got {actual})")]
    DigestMismatch { digest: String, actual: String },
    #[error("manifest unknown: {0}")]
    NotFound(String),
    #[error("{0}")]
    Registry(String),
    /// A reply longer than skiff accepts for its kind (manifest, token...).
    #[error("{what}: the registry sent more than the {} limit", crate::limits::show(*.limit))]
    TooLarge { what: String, limit: u64 },
    #[error("{0}")]
    Store(String),
}

/// Make `e`, raised while doing `what` against `registry`, readable.
pub fn from_oci(registry: &str, what: &str, e: OciDistributionError) -> Error {
    use OciDistributionError as O;
    match e {
        O::UnauthorizedError { url } => unauthorized(registry, what, &url),
        O::AuthenticationFailure(reason) => Error::Unauthorized(format!(
            "unauthorized: {what}: the registry {registry} refused the credentials: {}",
            reason.trim()
        )),
        O::RegistryError { envelope, url } => {
            let text = envelope.to_string();
            let upper = text.to_ascii_uppercase();
            if upper.contains("UNAUTHORIZED") || upper.contains("DENIED") {
                unauthorized(registry, what, &url)
            } else if upper.contains("MANIFEST_UNKNOWN") || upper.contains("NAME_UNKNOWN") {
                Error::NotFound(format!("{what}: {text}"))
            } else {
                Error::Registry(format!("{what}: {text}"))
            }
        }
        O::ImageManifestNotFoundError(m) => Error::NotFound(format!("{what}: {m}")),
        O::DigestError(oci_client::errors::DigestError::VerificationError { expected, actual }) => {
            Error::DigestMismatch {
                digest: expected,
                actual,
            }
        }
        O::DigestError(d) => digest_error(&d.to_string()),
        O::ServerError { code, url, message } if code == 401 || code == 403 => {
            let _ = message;
            unauthorized(registry, what, &url)
        }
        O::RequestError(r) => from_reqwest(registry, what, &r),
        O::IoError(io) => from_io(registry, what, io),
        other => Error::Registry(format!("{what}: {other}")),
    }
}

pub(crate) fn unauthorized(registry: &str, what: &str, url: &str) -> Error {
    let _ = url;
    Error::Unauthorized(format!(
        "unauthorized: {what}: authentication required by {registry} \
         (run `skiff login {registry}`, or check the credentials stored for it)"
    ))
}

/// oci-client's VerifyingStream reports a mismatch as an io::Error.
pub fn from_io(registry: &str, what: &str, e: std::io::Error) -> Error {
    if let Some(inner) = e.get_ref() {
        if let Some(oci_client::errors::DigestError::VerificationError { expected, actual }) =
            inner.downcast_ref::<oci_client::errors::DigestError>()
        {
            return Error::DigestMismatch {
                digest: expected.clone(),
                actual: actual.clone(),
            };
        }
        if let Some(r) = inner.downcast_ref::<reqwest::Error>() {
            return from_reqwest(registry, what, r);
        }
    }
    Error::Io(format!("{what} ({registry})"), e)
}

fn digest_error(text: &str) -> Error {
    // "Expected digest sha256:x, got sha256:y" and variants: name both.
    let digests: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '\'')
        .filter(|w| w.starts_with("sha256:") || w.starts_with("sha512:"))
        .collect();
    match digests.as_slice() {
        [expected, actual, ..] => Error::DigestMismatch {
            digest: expected.to_string(),
            actual: actual.to_string(),
        },
        _ => Error::Registry(format!("digest verification failed: {text}")),
    }
}

/// Find a rustls error anywhere in reqwest's error chain.
fn tls_cause(e: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t.clone());
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(t) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                return Some(t.clone());
            }
        }
        cur = err.source();
    }
    None
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

pub fn from_reqwest(registry: &str, what: &str, e: &reqwest::Error) -> Error {
    // hyper-util boxes the connector's error in a way that can hide the
    // rustls error from `downcast_ref`; its text is still rustls' own.
    let text = chain(e);
    let tls = tls_cause(e).or_else(|| {
        if text.contains("invalid peer certificate: UnknownIssuer") {
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        } else if text.contains("invalid peer certificate") {
            Some(rustls::Error::General(
                text.rsplit(": ").next().unwrap_or(&text).to_string(),
            ))
        } else {
            None
        }
    });
    if let Some(t) = tls {
        let certs = crate::tls::registry_certs_dir(registry);
        let hint = match &t {
            rustls::Error::InvalidCertificate(_) | rustls::Error::General(_) => format!(
                " (if {registry} uses a private CA, put the CA certificate in {}/ca.crt)",
                certs.display()
            ),
            _ => String::new(),
        };
        return Error::Tls(format!(
            "{what}: TLS handshake with {registry} failed: {}{hint}",
            describe_tls(&t)
        ));
    }
    if let Some(code) = e.status() {
        if code.as_u16() == 401 || code.as_u16() == 403 {
            return unauthorized(registry, what, "");
        }
        if code.as_u16() == 404 {
            return Error::NotFound(format!("{what}: {registry} answered 404 Not Found"));
        }
    }
    if e.is_timeout() && !e.is_connect() {
        return Error::Registry(format!(
            "{what}: {registry} sent nothing for {} s (the limit is set by {})",
            crate::limits::idle_timeout().as_secs(),
            crate::limits::IDLE_TIMEOUT_ENV
        ));
    }
    if e.is_connect() {
        return Error::Registry(format!(
            "{what}: cannot connect to {registry}: {}",
            chain(e)
        ));
    }
    Error::Registry(format!("{what}: {}", chain(e)))
}

fn describe_tls(t: &rustls::Error) -> String {
    match t {
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
            "x509: certificate signed by unknown authority".into()
        }
        rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName)
        | rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext {
            ..
        }) => "x509: certificate is not valid for this host name".into(),
        rustls::Error::InvalidCertificate(rustls::CertificateError::Expired)
        | rustls::Error::InvalidCertificate(rustls::CertificateError::ExpiredContext { .. }) => {
            "x509: certificate has expired".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_errors_name_both_digests() {
        let e = digest_error("Expected digest sha256:aaa but got sha256:bbb");
        match e {
            Error::DigestMismatch { digest, actual } => {
                assert_eq!(digest, "sha256:aaa");
                assert_eq!(actual, "sha256:bbb");
            }
            other => panic!("{other:?}"),
        }
    }
}
