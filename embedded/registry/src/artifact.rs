//! Content that is no image of the store: a manifest read or written as
//! raw bytes, and blobs moved one at a time. skiff-solver's build cache
//! export (`--cache-to type=registry`) and import (`--cache-from`) use
//! these; every read is bounded and digest-checked as pull's are, since a
//! cache ref names content anyone may have pushed.

use std::sync::Arc;

use oci_client::{Reference, RegistryOperation};
use reqwest::header::HeaderValue;
use skiff_core::digest::sha256_digest;
use skiff_store::Store;

use crate::connect::Registry;
use crate::error::from_oci;
use crate::events::Reporter;
use crate::fetch::Fetcher;
use crate::limits::MAX_MANIFEST;
use crate::pull::{fetch_blob, RawDescriptor, ACCEPT};
use crate::push::{push_blob, Blob};
use crate::Error;

/// The manifest (or index) `r` names and its digest, checked against the
/// digest asked for or the one the registry announced.
pub async fn get_manifest(reg: &Registry, r: &Reference) -> Result<(Vec<u8>, String), Error> {
    let what = format!("importing cache from {}", r.whole());
    let label = r.digest().or(r.tag()).unwrap_or("latest");
    let fetcher = Fetcher::new(reg, r.repository(), &what);
    fetcher
        .manifest_checked(label, r.digest(), ACCEPT, MAX_MANIFEST)
        .await
}

/// The manifest `digest` of `r`'s repository (an index entry), at most
/// `size` bytes, digest-checked.
pub async fn get_manifest_digest(
    reg: &Registry,
    r: &Reference,
    digest: &str,
    size: u64,
) -> Result<Vec<u8>, Error> {
    // A digest from a hostile index goes into the URL only once it parses.
    crate::pull::digest(digest)?;
    let what = format!("importing cache from {}", r.whole());
    let fetcher = Fetcher::new(reg, r.repository(), &what);
    let (bytes, _) = fetcher.manifest(digest, ACCEPT, size).await?;
    check_digest(&bytes, digest)?;
    Ok(bytes)
}

/// A small blob (a config) read whole: refused when its descriptor says
/// more than `limit`, digest-checked.
pub async fn get_blob(
    reg: &Registry,
    r: &Reference,
    digest: &str,
    size: u64,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    crate::pull::digest(digest)?;
    let what = format!("importing cache from {}", r.whole());
    if size > limit {
        return Err(Error::TooLarge {
            what: format!("{what}: blob {digest}"),
            limit,
        });
    }
    let fetcher = Fetcher::new(reg, r.repository(), &what);
    let mut body = fetcher.blob(digest, size).await?;
    let mut out = Vec::with_capacity(size as usize);
    while let Some(c) = body.next().await? {
        out.extend_from_slice(&c);
    }
    check_digest(&out, digest)?;
    Ok(out)
}

/// Download blob `digest` of `r`'s repository into the store (the store's
/// writer checks the digest before the blob exists).
pub async fn fetch_blob_into(
    store: &Store,
    reg: &Registry,
    r: &Reference,
    digest: &str,
    size: u64,
    media_type: &str,
) -> Result<(), Error> {
    let what = format!("importing cache from {}", r.whole());
    let fetcher = Fetcher::new(reg, r.repository(), &what);
    let desc = RawDescriptor {
        media_type: media_type.to_string(),
        digest: digest.to_string(),
        size: i64::try_from(size).map_err(|_| Error::Registry(format!("{what}: size")))?,
    };
    let quiet: Reporter = Arc::new(|_| {});
    fetch_blob(store, &fetcher, &desc, None, &quiet).await
}

/// Push store blobs `layers` (digest, size), the `config` bytes and the
/// manifest `manifest` (its media type `media_type`) to `target`; the
/// manifest goes last so the tag never names missing content. Returns the
/// manifest's digest.
pub async fn push_artifact(
    store: &Store,
    reg: &Registry,
    target: &Reference,
    layers: &[(String, u64)],
    config: &[u8],
    manifest: &[u8],
    media_type: &str,
) -> Result<String, Error> {
    let host = reg.host.clone();
    let what = format!("exporting cache to {}", target.whole());
    reg.client
        .auth(target, &reg.auth, RegistryOperation::Push)
        .await
        .map_err(|e| from_oci(&host, &what, e))?;
    let quiet: Reporter = Arc::new(|_| {});
    for (digest, size) in layers {
        let b = Blob {
            digest: digest.clone(),
            size: *size,
            shown: false,
        };
        push_blob(store, reg, target, &b, &[], &quiet).await?;
    }
    let config_digest = sha256_digest(config);
    let there = reg
        .client
        .blob_exists(target, &config_digest)
        .await
        .map_err(|e| from_oci(&host, &what, e))?;
    if !there {
        reg.client
            .push_blob(target, config.to_vec(), &config_digest)
            .await
            .map_err(|e| from_oci(&host, &what, e))?;
    }
    let content_type = HeaderValue::from_str(media_type)
        .map_err(|_| Error::Registry(format!("{what}: bad media type {media_type:?}")))?;
    reg.client
        .push_manifest_raw(target, manifest.to_vec(), content_type)
        .await
        .map_err(|e| from_oci(&host, &what, e))?;
    Ok(sha256_digest(manifest))
}

fn check_digest(bytes: &[u8], want: &str) -> Result<(), Error> {
    let got = sha256_digest(bytes);
    if got != want {
        return Err(Error::DigestMismatch {
            digest: want.to_string(),
            actual: got,
        });
    }
    Ok(())
}
