//! The pull side of the distribution protocol (manifests and blobs by GET)
//! over skiff's own HTTP client, so every reply is bounded: manifests by
//! `MAX_MANIFEST`, blobs by their descriptor's size, tokens by `MAX_TOKEN`,
//! silence by the idle timeout, redirects by `limits::redirect_policy`.
//! (oci-client reads replies whole, without a limit.)

use std::sync::Mutex;

use base64::Engine;
use bytes::Bytes;
use oci_client::secrets::RegistryAuth;
use reqwest::header::{ACCEPT, AUTHORIZATION, WWW_AUTHENTICATE};
use reqwest::{Response, StatusCode};
use serde::Deserialize;
use skiff_core::digest::sha256_digest;

use crate::connect::Registry;
use crate::error::{from_reqwest, unauthorized};
use crate::limits::{self, read_capped, MAX_MANIFEST};
use crate::token::{fetch_token, parse_challenge, Challenge};
use crate::Error;

/// GETs against one repository of one registry, authenticated on demand
/// (the first 401 is answered once, then its answer is reused).
pub struct Fetcher<'a> {
    reg: &'a Registry,
    repo: String,
    /// `what` in error messages: `pulling <reference>`.
    what: String,
    authorization: Mutex<Option<String>>,
}

impl<'a> Fetcher<'a> {
    pub fn new(reg: &'a Registry, repo: &str, what: &str) -> Fetcher<'a> {
        let authorization = match &reg.auth {
            RegistryAuth::Bearer(t) => Some(format!("Bearer {t}")),
            _ => None,
        };
        Fetcher {
            reg,
            repo: repo.to_string(),
            what: what.to_string(),
            authorization: Mutex::new(authorization),
        }
    }

    fn url(&self, kind: &str, reference: &str) -> String {
        format!(
            "{}://{}/v2/{}/{kind}/{reference}",
            self.reg.url_scheme(),
            self.reg.host,
            self.repo
        )
    }

    /// The manifest (or index) named by a tag or digest, and the digest the
    /// registry says it has (`Docker-Content-Digest`). More than `limit`
    /// bytes (at most `MAX_MANIFEST`) is an error naming the reference.
    pub async fn manifest(
        &self,
        reference: &str,
        accept: &[&str],
        limit: u64,
    ) -> Result<(Vec<u8>, Option<String>), Error> {
        let mut resp = self
            .get(&self.url("manifests", reference), Some(&accept.join(", ")))
            .await?;
        let said = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let what = format!("{}: manifest {reference}", self.what);
        let limit = limit.min(MAX_MANIFEST);
        let body = read_capped(&mut resp, limit, &what, |e| self.reqwest_err(e)).await?;
        Ok((body, said))
    }

    /// [`Fetcher::manifest`], whose bytes must hash to `want` (the digest
    /// asked for) or else to the digest the registry announced; returns
    /// the bytes and their digest.
    pub async fn manifest_checked(
        &self,
        label: &str,
        want: Option<&str>,
        accept: &[&str],
        limit: u64,
    ) -> Result<(Vec<u8>, String), Error> {
        let (bytes, said) = self.manifest(label, accept, limit).await?;
        let got = sha256_digest(&bytes);
        if let Some(want) = want.map(str::to_string).or(said) {
            if want.starts_with("sha256:") && want != got {
                return Err(Error::DigestMismatch {
                    digest: want,
                    actual: got,
                });
            }
        }
        Ok((bytes, got))
    }

    /// A blob as a stream of exactly `size` bytes: a reply that announces
    /// or sends more, or ends before, is an error naming the digest.
    pub async fn blob(&self, digest: &str, size: u64) -> Result<BlobBody<'_>, Error> {
        let resp = self.get(&self.url("blobs", digest), None).await?;
        if let Some(len) = resp.content_length() {
            if len > size {
                return Err(Error::Registry(format!(
                    "{}: blob {digest} is {len} bytes long, its descriptor says {size}",
                    self.what
                )));
            }
        }
        Ok(BlobBody {
            fetcher: self,
            resp,
            digest: digest.to_string(),
            size,
            left: size,
        })
    }

    fn reqwest_err(&self, e: &reqwest::Error) -> Error {
        from_reqwest(&self.reg.host, &self.what, e)
    }

    async fn send(&self, url: &str, accept: Option<&str>) -> Result<Response, Error> {
        let mut req = self.reg.http.get(url);
        if let Some(a) = accept {
            req = req.header(ACCEPT, a);
        }
        let auth = self.authorization.lock().ok().and_then(|a| a.clone());
        if let Some(a) = auth {
            // reqwest drops it on a redirect to another host.
            req = req.header(AUTHORIZATION, a);
        }
        req.send().await.map_err(|e| self.reqwest_err(&e))
    }

    /// GET `url`; a 401 is answered once (token or basic credentials).
    async fn get(&self, url: &str, accept: Option<&str>) -> Result<Response, Error> {
        let resp = self.send(url, accept).await?;
        if resp.status() != StatusCode::UNAUTHORIZED {
            return self.check(resp).await;
        }
        let challenge = resp
            .headers()
            .get(WWW_AUTHENTICATE)
            .and_then(|h| h.to_str().ok())
            .and_then(parse_challenge);
        let header = match (challenge, &self.reg.auth) {
            (Some(Challenge::Basic), RegistryAuth::Basic(user, password)) => {
                let raw = format!("{user}:{password}");
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                )
            }
            (
                Some(Challenge::Bearer {
                    realm,
                    service,
                    scope,
                }),
                auth,
            ) => {
                let scope = scope.unwrap_or_else(|| format!("repository:{}:pull", self.repo));
                let token = fetch_token(
                    &self.reg.http,
                    &self.reg.host,
                    &self.what,
                    auth,
                    &realm,
                    service.as_deref(),
                    &scope,
                )
                .await?;
                format!("Bearer {token}")
            }
            _ => return Err(unauthorized(&self.reg.host, &self.what, url)),
        };
        if let Ok(mut a) = self.authorization.lock() {
            *a = Some(header);
        }
        let resp = self.send(url, accept).await?;
        self.check(resp).await
    }

    /// A success passes; a failure becomes an error from the start of its
    /// body (the distribution spec's `{"errors":[...]}`).
    async fn check(&self, mut resp: Response) -> Result<Response, Error> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let url = resp.url().to_string();
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(unauthorized(&self.reg.host, &self.what, &url));
        }
        let body = limits::read_prefix(&mut resp).await;
        let errors = serde_json::from_slice::<Envelope>(&body)
            .map(|e| e.errors)
            .unwrap_or_default();
        let text = if errors.is_empty() {
            format!(
                "{} answered {status}: {}",
                self.reg.host,
                String::from_utf8_lossy(&body).trim()
            )
        } else {
            errors
                .iter()
                .map(|e| format!("{}: {}", e.code.to_lowercase().replace('_', " "), e.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let code = |c: &str| errors.iter().any(|e| e.code.eq_ignore_ascii_case(c));
        if code("UNAUTHORIZED") || code("DENIED") {
            Err(unauthorized(&self.reg.host, &self.what, &url))
        } else if status == StatusCode::NOT_FOUND
            || code("MANIFEST_UNKNOWN")
            || code("NAME_UNKNOWN")
            || code("BLOB_UNKNOWN")
        {
            Err(Error::NotFound(format!("{}: {text}", self.what)))
        } else {
            Err(Error::Registry(format!("{}: {text}", self.what)))
        }
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errors: Vec<EnvelopeError>,
}

#[derive(Deserialize)]
struct EnvelopeError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// A blob reply read up to its descriptor's size and no further.
pub struct BlobBody<'a> {
    fetcher: &'a Fetcher<'a>,
    resp: Response,
    digest: String,
    size: u64,
    left: u64,
}

impl BlobBody<'_> {
    /// The next piece, `None` at the end; too many or too few bytes is an
    /// error naming the digest.
    pub async fn next(&mut self) -> Result<Option<Bytes>, Error> {
        let what = &self.fetcher.what;
        match self
            .resp
            .chunk()
            .await
            .map_err(|e| self.fetcher.reqwest_err(&e))?
        {
            Some(c) if c.len() as u64 > self.left => Err(Error::Registry(format!(
                "{what}: blob {} is longer than the {} bytes its descriptor says",
                self.digest, self.size
            ))),
            Some(c) => {
                self.left -= c.len() as u64;
                Ok(Some(c))
            }
            None if self.left > 0 => Err(Error::Registry(format!(
                "{what}: blob {} ended after {} of the {} bytes its descriptor says",
                self.digest,
                self.size - self.left,
                self.size
            ))),
            None => Ok(None),
        }
    }
}
