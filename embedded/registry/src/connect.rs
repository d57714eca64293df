//! One connection set-up per registry: the scheme decided by `endpoint`, the
//! trusted roots from `tls`, the credentials from `auth`, and an oci-client
//! `Client` built from them.

use std::str::FromStr;
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::endpoint::{self, Scheme};
use crate::settings::Settings;
use crate::{limits, tls, Error};

/// What the user said about transport security.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Registries named with `--insecure-registry`.
    pub insecure_registries: Vec<String>,
}

impl Options {
    /// The flag's entries plus those of skiff's config file.
    pub fn with_settings(mut self) -> Result<Options, Error> {
        let s = Settings::load()?;
        self.insecure_registries.extend(s.insecure_registries);
        Ok(self)
    }
}

/// Parse an image reference as docker does (`busybox` is
/// `docker.io/library/busybox:latest`).
pub fn parse_reference(s: &str) -> Result<Reference, Error> {
    Reference::from_str(s).map_err(|e| Error::Reference(format!("{s:?}: {e}")))
}

/// docker's display form: `docker.io/library/busybox:latest`,
/// `127.0.0.1:5000/busybox:latest`, `r/x@sha256:...`.
pub fn display_reference(r: &Reference) -> String {
    r.whole()
}

/// A registry ready to talk to.
pub struct Registry {
    /// `host[:port]` as used on the wire (`index.docker.io` for Docker Hub).
    pub host: String,
    pub scheme: Scheme,
    /// oci-client, for pushes.
    pub client: Client,
    /// skiff's own bounded client, for pulls (see `fetch`) and login.
    pub http: reqwest::Client,
    pub auth: RegistryAuth,
}

impl Registry {
    /// Set up a client for the registry of `reference`. Blocking: it may
    /// probe the server (see `endpoint`) and run a credential helper.
    pub fn connect(reference: &Reference, opts: &Options) -> Result<Registry, Error> {
        let auth = crate::auth::credentials_for(reference.registry())?;
        Self::connect_with(reference, opts, auth)
    }

    /// As `connect`, with the given credentials (login checks new ones).
    pub fn connect_with(
        reference: &Reference,
        opts: &Options,
        auth: RegistryAuth,
    ) -> Result<Registry, Error> {
        tls::init();
        let host = reference.resolve_registry().to_string();
        let scheme = endpoint::choose(&host, &opts.insecure_registries);
        tracing::debug!(registry = %host, ?scheme, "registry endpoint");
        // The system bundle plus certs.d, read once for both clients.
        let roots = tls::roots_for(&host);
        let http = http_client(&host, scheme, &roots)?;
        let config = client_config(&host, scheme, roots);
        let client = Client::try_from(config)
            .map_err(|e| crate::error::from_oci(&host, "setting up the registry client", e))?;
        Ok(Registry {
            host,
            scheme,
            client,
            http,
            auth,
        })
    }

    /// `http` or `https`.
    pub fn url_scheme(&self) -> &'static str {
        match self.scheme {
            Scheme::Http => "http",
            _ => "https",
        }
    }

    /// The bounded reqwest client, for the calls oci-client does not offer
    /// (checking credentials at login).
    pub fn http_client(&self) -> Result<reqwest::Client, Error> {
        Ok(self.http.clone())
    }
}

/// A reqwest client with the registry's TLS set-up and skiff's limits:
/// connect timeout, idle timeout, redirect policy (see `limits`).
fn http_client(
    host: &str,
    scheme: Scheme,
    roots: &[oci_client::client::Certificate],
) -> Result<reqwest::Client, Error> {
    let mut certs = Vec::new();
    for c in roots {
        if let Ok(c) = reqwest::Certificate::from_der(&c.data) {
            certs.push(c);
        }
    }
    let builder = crate::proxy::EnvProxies::from_env()
        .apply(reqwest::Client::builder())
        .map_err(|e| crate::error::from_reqwest(host, "reading the proxy settings", &e))?;
    builder
        .tls_certs_only(certs)
        .tls_danger_accept_invalid_certs(scheme == Scheme::HttpsUnverified)
        .connect_timeout(limits::CONNECT_TIMEOUT)
        .read_timeout(limits::idle_timeout())
        .redirect(limits::redirect_policy())
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| crate::error::from_reqwest(host, "setting up the HTTP client", &e))
}

pub const USER_AGENT: &str = concat!("skiff/", env!("CARGO_PKG_VERSION"));

fn client_config(
    host: &str,
    scheme: Scheme,
    roots: Vec<oci_client::client::Certificate>,
) -> ClientConfig {
    let mut config = ClientConfig {
        protocol: match scheme {
            Scheme::Http => ClientProtocol::HttpsExcept(vec![host.to_string()]),
            _ => ClientProtocol::Https,
        },
        accept_invalid_certificates: scheme == Scheme::HttpsUnverified,
        tls_certs_only: roots,
        // skiff reads indexes itself (see platform.rs).
        platform_resolver: None,
        connect_timeout: Some(limits::CONNECT_TIMEOUT),
        // A stalled registry must not hang a pull forever.
        read_timeout: Some(Duration::from_secs(120)),
        user_agent: USER_AGENT,
        // A blob goes up as one streamed PUT (POST, then PUT ?digest=
        // with the whole body, as oras does), not a PATCH per 4 MiB
        // chunk, each a round trip the upload stalls on.
        use_monolithic_push: true,
        ..Default::default()
    };
    crate::proxy::EnvProxies::from_env().apply_oci(&mut config);
    config
}
