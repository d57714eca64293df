//! `push`: send an image of the store to a registry, as docker does.
//!
//! Order matters for a clean failure: credentials are checked against the
//! registry before anything is uploaded; then blobs the registry already has
//! are skipped (HEAD), blobs another repository of the same registry holds
//! are mounted, the rest are streamed concurrently from the store's files,
//! each in one request; the manifest goes last, so the tag never points at
//! missing content.

use futures_util::{StreamExt, TryStreamExt};
use oci_client::{Reference, RegistryOperation};
use reqwest::header::HeaderValue;
use skiff_store::{media, Digest, Store};

use crate::connect::Registry;
use crate::error::from_oci;
use crate::events::{layer, Event, Reporter, Status};
use crate::platform::Platform;
use crate::transfer::file_stream;
use crate::Error;

/// Uploads at once: docker pushes 5 layers at a time.
const CONCURRENT_UPLOADS: usize = 4;

#[derive(Debug, Clone)]
pub struct PushResult {
    /// The tag pushed (`latest`), or the digest for a digest reference.
    pub tag: String,
    /// Digest of the manifest (or index) now in the registry.
    pub digest: String,
    /// Its size in bytes.
    pub size: usize,
}

/// One blob to send.
pub(crate) struct Blob {
    pub(crate) digest: String,
    pub(crate) size: u64,
    /// Shown as a layer line; the config is sent silently, as docker does.
    pub(crate) shown: bool,
}

/// Push the store image `source` (any name the store resolves) to `target`:
/// a multi-platform image as its index and every manifest.
pub async fn push(
    store: &Store,
    reg: &Registry,
    source: &str,
    target: &Reference,
    report: Reporter,
) -> Result<PushResult, Error> {
    push_platform(store, reg, source, target, None, report).await
}

/// [`push`]; with `platform` (docker's `push --platform`) only that
/// platform's manifest is pushed, as a single-platform image: the index is
/// not.
pub async fn push_platform(
    store: &Store,
    reg: &Registry,
    source: &str,
    target: &Reference,
    platform: Option<&Platform>,
    report: Reporter,
) -> Result<PushResult, Error> {
    let resolved = match platform {
        Some(p) => store.resolve_for(source, p),
        None => store.resolve(source),
    };
    let img = resolved.map_err(|e| match e {
        skiff_store::Error::ImageNotFound(_) => Error::NotFound(format!(
            "An image does not exist locally with the tag: {source}"
        )),
        e @ skiff_store::Error::NoMatchingPlatform { .. } => Error::Platform(e.to_string()),
        other => Error::Store(other.to_string()),
    })?;
    let host = reg.host.clone();
    let repo_name = format!("{}/{}", target.registry(), target.repository());
    report(Event::Line(format!(
        "The push refers to repository [{repo_name}]"
    )));

    // The manifests to send: the chosen platform's, the image's own, or
    // every manifest of an index, then the index. docker's containerd
    // store refuses an index whose manifests are neither here nor in the
    // target repository (the registry would refuse the index anyway).
    let whole_index = platform.is_none() && media::is_index(&img.media_type);
    let top = if whole_index {
        img.digest.clone()
    } else {
        img.manifest_digest.clone()
    };
    let mut manifests: Vec<Digest> = Vec::new();
    let mut absent: Vec<Digest> = Vec::new();
    if whole_index {
        let entries = store
            .image_platforms(&img.digest)
            .map_err(|e| Error::Store(e.to_string()))?;
        for e in entries {
            if e.present {
                manifests.push(e.digest);
            } else {
                absent.push(e.digest);
            }
        }
    } else {
        manifests.push(top.clone());
    }

    let mut blobs: Vec<Blob> = Vec::new();
    for md in &manifests {
        let m = store
            .read_manifest(md)
            .map_err(|e| Error::Store(e.to_string()))?;
        for l in m.layers() {
            if !blobs.iter().any(|b| b.digest == l.digest().to_string()) {
                blobs.push(Blob {
                    digest: l.digest().to_string(),
                    size: l.size(),
                    shown: true,
                });
            }
        }
        let c = m.config();
        blobs.push(Blob {
            digest: c.digest().to_string(),
            size: c.size(),
            shown: false,
        });
    }
    for b in &blobs {
        if !store.has_blob(&parse(&b.digest)?) {
            return Err(Error::Store(format!(
                "blob {} of {source} is not in the store",
                b.digest
            )));
        }
    }

    // Fail on credentials before anything is uploaded.
    reg.client
        .auth(target, &reg.auth, RegistryOperation::Push)
        .await
        .map_err(|e| from_oci(&host, &format!("pushing to {repo_name}"), e))?;
    for d in &absent {
        let there = reg
            .client
            .fetch_manifest_digest(&target.clone_with_digest(d.to_string()), &reg.auth)
            .await
            .is_ok();
        if !there {
            return Err(Error::NotFound(format!(
                "missing content: manifest {d} of {source} is not in the store\n\
                 Note: You're trying to push a manifest list/index which references multiple platform specific manifests, but not all of them are available locally or available to the remote repository.\n\
                 Make sure you have all the referenced content and try again.\n\
                 You can also push only a single platform specific manifest directly by specifying the platform you want to push with the --platform flag."
            )));
        }
    }
    let config = blobs
        .last()
        .expect("a manifest has a config")
        .digest
        .clone();
    reg.client
        .blob_exists(target, &config)
        .await
        .map_err(|e| from_oci(&host, &format!("pushing to {repo_name}"), e))?;

    // Layers from the top of the image down, as docker lists them.
    for b in blobs.iter().rev().filter(|b| b.shown) {
        layer(&report, &b.digest, Status::Preparing);
    }
    let mounts = mount_sources(&img.repo_digests, target);
    futures_util::stream::iter(
        blobs
            .iter()
            .map(|b| push_blob(store, reg, target, b, &mounts, &report)),
    )
    .buffer_unordered(CONCURRENT_UPLOADS)
    .try_collect::<Vec<()>>()
    .await?;

    // Manifests (index children first), exactly the stored bytes, so the
    // digest in the registry is the digest in the store.
    let mut last = None;
    let mut order = manifests.clone();
    if whole_index {
        order.push(img.digest.clone());
    }
    for md in &order {
        let bytes = store
            .read_blob(md)
            .map_err(|e| Error::Store(e.to_string()))?;
        let mt = media_type_of(&bytes);
        let dest = if md == &top {
            target.clone()
        } else {
            target.clone_with_digest(md.to_string())
        };
        let size = bytes.len();
        let content_type = HeaderValue::from_str(&mt)
            .map_err(|_| Error::Registry(format!("manifest {md}: bad media type {mt:?}")))?;
        reg.client
            .push_manifest_raw(&dest, bytes, content_type)
            .await
            .map_err(|e| from_oci(&host, &format!("pushing manifest {md} to {repo_name}"), e))?;
        last = Some((md.to_string(), size));
    }
    let (digest, size) = last.expect("at least one manifest");
    // Remember where the image lives, for `images --digests` and mounts.
    if let Ok(d) = parse(&digest) {
        if whole_index || !media::is_index(&img.media_type) {
            let _ = store.add_repo_digest(&img.digest, &repo_name, &d);
        }
    }
    let tag = target
        .tag()
        .map(str::to_string)
        .or_else(|| target.digest().map(str::to_string))
        .unwrap_or_else(|| "latest".into());
    Ok(PushResult { tag, digest, size })
}

pub(crate) async fn push_blob(
    store: &Store,
    reg: &Registry,
    target: &Reference,
    b: &Blob,
    mounts: &[Reference],
    report: &Reporter,
) -> Result<(), Error> {
    let host = &reg.host;
    let what = format!("pushing {}", b.digest);
    let exists = reg
        .client
        .blob_exists(target, &b.digest)
        .await
        .map_err(|e| from_oci(host, &what, e))?;
    if exists {
        if b.shown {
            layer(report, &b.digest, Status::LayerAlreadyExists);
        }
        return Ok(());
    }
    for from in mounts {
        // A mount the registry cannot do is answered with a fresh upload
        // session (202), which oci-client reports as an error: then upload.
        if reg.client.mount_blob(target, from, &b.digest).await.is_ok() {
            if b.shown {
                layer(
                    report,
                    &b.digest,
                    Status::MountedFrom(from.repository().to_string()),
                );
            }
            return Ok(());
        }
    }
    let path = store.blob_path(&parse(&b.digest)?);
    let total = b.size;
    let progress = {
        let report = report.clone();
        let digest = b.digest.clone();
        let shown = b.shown;
        move |done: u64| {
            if shown {
                layer(&report, &digest, Status::Pushing { done, total });
            }
        }
    };
    reg.client
        .push_blob_stream(target, file_stream(path, progress), &b.digest, Some(b.size))
        .await
        .map_err(|e| from_oci(host, &what, e))?;
    if b.shown {
        layer(report, &b.digest, Status::Pushed);
    }
    Ok(())
}

/// Other repositories of the target's registry known to hold the image
/// (from its repo digests): blobs can be mounted from there.
fn mount_sources(repo_digests: &[String], target: &Reference) -> Vec<Reference> {
    let mut out: Vec<Reference> = Vec::new();
    for rd in repo_digests {
        let Some((name, _)) = rd.split_once('@') else {
            continue;
        };
        let Ok(r) = crate::parse_reference(name) else {
            continue;
        };
        if r.resolve_registry() == target.resolve_registry()
            && r.repository() != target.repository()
            && !out.iter().any(|o| o.repository() == r.repository())
        {
            out.push(r);
        }
    }
    out
}

fn media_type_of(bytes: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Sniff {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Sniff>(bytes) {
        Ok(Sniff {
            media_type: Some(mt),
            ..
        }) => mt,
        Ok(Sniff {
            manifests: Some(_), ..
        }) => media::OCI_INDEX.into(),
        _ => media::OCI_MANIFEST.into(),
    }
}

fn parse(d: &str) -> Result<Digest, Error> {
    skiff_store::parse_digest(d).map_err(|e| Error::Store(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounts_only_from_the_same_registry() {
        let target = crate::parse_reference("127.0.0.1:5000/new:1").unwrap();
        let rds = vec![
            "127.0.0.1:5000/busybox@sha256:aa".to_string(),
            "127.0.0.1:5001/busybox@sha256:aa".to_string(),
            "127.0.0.1:5000/new@sha256:aa".to_string(),
            "docker.io/library/busybox@sha256:aa".to_string(),
        ];
        let m = mount_sources(&rds, &target);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].repository(), "busybox");
    }
}
