//! OCI registry client over rustls with docker-style auth.
//!
//! - `connect`: one set-up per registry (scheme, TLS roots, credentials).
//! - `pull` / `push`: streaming transfers between a registry and the store.
//! - `artifact`: raw manifests and single blobs (the build cache).
//! - `auth`, `dockerconfig`, `login`: docker's credential files and checks.
//! - `endpoint`, `settings`, `tls`: transport security, docker's rules.
//! - `platform`: choosing a manifest in an index.
//! - `fetch`, `token`, `limits`: pull's bounded HTTP (sizes, time, redirects).
//! - `download`: the same bounds for a plain GET (`ADD <url>`).
//! - `proxy`: `HTTP(S)_PROXY`/`NO_PROXY`, never for loopback hosts (Go's rule).

pub mod artifact;
pub mod auth;
pub mod connect;
pub mod dockerconfig;
pub mod download;
pub mod endpoint;
mod error;
pub mod events;
mod fetch;
pub mod limits;
pub mod login;
pub mod platform;
pub mod proxy;
pub mod pull;
pub mod push;
pub mod settings;
pub mod tls;
mod token;
mod transfer;

pub use connect::{parse_reference, Options, Registry};
pub use error::Error;
pub use oci_client::Reference;
pub use platform::Platform;

/// A tokio runtime for one command. The async client runs here only, so the
/// rest of skiff (containers) can stay single-threaded.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Io("starting the async runtime".into(), e))
}

/// Username/password credentials, for callers that should not depend on
/// oci-client themselves.
pub fn oci_auth_basic(user: &str, password: &str) -> oci_client::secrets::RegistryAuth {
    oci_client::secrets::RegistryAuth::Basic(user.to_string(), password.to_string())
}
