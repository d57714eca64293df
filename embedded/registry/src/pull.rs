//! `pull`: fetch an image into the store, as docker does.
//!
//! The manifest (or index, then the platform's manifest) is read raw so its
//! digest is checked and the exact bytes are stored. Layers are fetched
//! concurrently; each download is one pass: the compressed bytes go to the
//! store's blob writer (digest checked before the rename) and, through a
//! decompressor, to the snapshot unpacker (diff ID checked before the
//! rename) on a blocking thread, with a small bounded channel between the
//! network and the disk, so memory stays constant whatever the layer size.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use oci_client::Reference;
use serde::Deserialize;
use skiff_core::digest::sha256_digest;
use skiff_core::platform::ConfigPlatform;
use skiff_store::{media, Digest, ImageBudget, Store};
use tokio::sync::mpsc;

use crate::connect::Registry;
use crate::events::{layer, Event, Reporter, Status};
use crate::fetch::Fetcher;
use crate::limits::{MAX_CONFIG, MAX_MANIFEST};
use crate::platform::{self, IndexEntry, Platform};
use crate::transfer::{Chunk, FollowReader, Written};
use crate::Error;

/// docker downloads 3 layers at a time; one more keeps 2 cores busy while
/// a layer's tail is being unpacked.
const CONCURRENT_DOWNLOADS: usize = 4;

/// Chunks in flight between the network and the disk, per layer.
const CHANNEL_CHUNKS: usize = 32;

pub(crate) const ACCEPT: &[&str] = &[
    media::OCI_MANIFEST,
    media::DOCKER_MANIFEST,
    media::OCI_INDEX,
    media::DOCKER_MANIFEST_LIST,
];

#[derive(Debug, Clone, Default)]
pub struct PullOptions {
    /// `--platform`; the host's when `None`.
    pub platform: Option<Platform>,
}

#[derive(Debug, Clone)]
pub struct PullResult {
    /// The digest the reference resolved to in the registry (the index's
    /// for a multi-platform image): docker's `Digest:` line.
    pub digest: String,
    /// The platform manifest stored and tagged.
    pub manifest_digest: String,
    /// The image ID (config digest).
    pub id: String,
    /// False when everything was already there and the tag unchanged.
    pub downloaded: bool,
}

#[derive(Deserialize)]
struct RawIndex {
    #[serde(default)]
    manifests: Vec<IndexEntry>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawDescriptor {
    #[serde(default)]
    pub(crate) media_type: String,
    pub(crate) digest: String,
    #[serde(default)]
    pub(crate) size: i64,
}

#[derive(Deserialize)]
struct RawManifest {
    config: RawDescriptor,
    #[serde(default)]
    layers: Vec<RawDescriptor>,
}

#[derive(Deserialize)]
struct RawConfig {
    rootfs: RawRootfs,
    #[serde(flatten)]
    platform: ConfigPlatform,
}

#[derive(Deserialize)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
struct Sniff {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
}

fn store_err(e: skiff_store::Error) -> Error {
    match e {
        skiff_store::Error::DigestMismatch { expected, actual } => Error::DigestMismatch {
            digest: expected,
            actual,
        },
        other => Error::Store(other.to_string()),
    }
}

pub(crate) fn digest(s: &str) -> Result<Digest, Error> {
    skiff_store::parse_digest(s).map_err(store_err)
}

/// Pull `r` into `store`.
pub async fn pull(
    store: &Store,
    reg: &Registry,
    r: &Reference,
    opts: &PullOptions,
    report: Reporter,
) -> Result<PullResult, Error> {
    let whole = r.whole();
    let what = format!("pulling {whole}");
    let label = r.digest().or(r.tag()).unwrap_or("latest");
    report(Event::Line(format!(
        "{label}: Pulling from {}",
        r.repository()
    )));

    let fetcher = Fetcher::new(reg, r.repository(), &what);
    let (top, top_digest) = fetcher
        .manifest_checked(label, r.digest(), ACCEPT, MAX_MANIFEST)
        .await?;
    let sniff: Sniff = serde_json::from_slice(&top)
        .map_err(|e| Error::Registry(format!("{what}: the manifest is not valid JSON: {e}")))?;
    let is_index = match &sniff.media_type {
        Some(mt) => media::is_index(mt),
        None => sniff.manifests.is_some(),
    };

    let (manifest_bytes, manifest_digest) = if is_index {
        let idx: RawIndex = serde_json::from_slice(&top)
            .map_err(|e| Error::Registry(format!("{what}: invalid image index: {e}")))?;
        let want = opts.platform.clone().unwrap_or_else(Platform::host);
        let entry = platform::choose(&idx.manifests, &want).ok_or_else(|| {
            Error::Platform(format!(
                "no matching manifest for {want} in the manifest list entries of {whole} (it offers: {})",
                platform::offered(&idx.manifests)
            ))
        })?;
        // The index gives the manifest's size: no more is read.
        let limit = u64::try_from(entry.size).ok().filter(|n| *n > 0);
        let (bytes, _) = fetcher
            .manifest(&entry.digest, ACCEPT, limit.unwrap_or(MAX_MANIFEST))
            .await?;
        let got = sha256_digest(&bytes);
        if got != entry.digest {
            return Err(Error::DigestMismatch {
                digest: entry.digest.clone(),
                actual: got,
            });
        }
        (bytes, entry.digest.clone())
    } else {
        (top.clone(), top_digest.clone())
    };
    let manifest: RawManifest = serde_json::from_slice(&manifest_bytes).map_err(|e| {
        Error::Registry(format!(
            "{what}: manifest {manifest_digest} is invalid: {e}"
        ))
    })?;

    // Nothing written from here on may be collected by a concurrent prune
    // before the image is tagged.
    let _lease = store.lease().map_err(store_err)?;

    // Config first: its diff IDs name the snapshots.
    let config_digest = digest(&manifest.config.digest)?;
    if manifest.config.size > MAX_CONFIG as i64 {
        return Err(Error::TooLarge {
            what: format!("{what}: image config {config_digest}"),
            limit: MAX_CONFIG,
        });
    }
    if !store.has_blob(&config_digest) {
        fetch_blob(store, &fetcher, &manifest.config, None, &report).await?;
    }
    let config_bytes = store.read_blob(&config_digest).map_err(store_err)?;
    let config: RawConfig = serde_json::from_slice(&config_bytes).map_err(|e| {
        Error::Registry(format!(
            "{what}: image config {config_digest} is invalid: {e}"
        ))
    })?;
    // A single-platform image asked for another platform: refused rather
    // than stored and tagged as if it were that platform (it would run, or
    // be built on, as the wrong architecture).
    if let (false, Some(want)) = (is_index, &opts.platform) {
        let have = config.platform.platform();
        if !want.matches(&have) {
            return Err(Error::Platform(format!(
                "no matching manifest for {want} in {whole}: it is a single-platform image for {have}"
            )));
        }
    }
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(Error::Registry(format!(
            "{what}: the config lists {} layers, the manifest {}",
            config.rootfs.diff_ids.len(),
            manifest.layers.len()
        )));
    }
    let diff_ids = config
        .rootfs
        .diff_ids
        .iter()
        .map(|d| digest(d))
        .collect::<Result<Vec<_>, _>>()?;
    let chains = skiff_store::chain_ids(&diff_ids);

    let mut jobs = Vec::new();
    let mut downloaded = false;
    for (i, l) in manifest.layers.iter().enumerate() {
        let blob = digest(&l.digest)?;
        if l.size < 0 {
            return Err(Error::Registry(format!(
                "{what}: layer {blob} has a negative size in the manifest"
            )));
        }
        let have_blob = store.has_blob(&blob);
        let have_snap = store.has_snapshot(&chains[i]);
        if have_blob && have_snap {
            layer(&report, &l.digest, Status::AlreadyExists);
            continue;
        }
        downloaded = true;
        if !have_blob {
            layer(&report, &l.digest, Status::PullingFsLayer);
        }
        jobs.push((l.clone(), have_blob, diff_ids[i].clone(), chains[i].clone()));
    }
    let fetcher = &fetcher;
    // One per-image budget for all the layers unpacked at once.
    let budget = store.image_budget().map_err(store_err)?;
    futures_util::stream::iter(jobs.into_iter().map(|(l, have_blob, diff, chain)| {
        let report = &report;
        let image = budget.clone();
        async move {
            if have_blob {
                // Only the snapshot is missing: unpack the stored blob.
                let s = store.clone();
                let blob = digest(&l.digest)?;
                let mt = l.media_type.clone();
                tokio::task::spawn_blocking(move || {
                    s.unpack_layer_blob_in(&chain, &diff, &blob, Some(&mt), &image)
                })
                .await
                .map_err(|e| Error::Store(format!("unpacking {}: {e}", l.digest)))?
                .map_err(store_err)?;
            } else {
                fetch_blob(store, fetcher, &l, Some((diff, chain, image)), report).await?;
            }
            layer(report, &l.digest, Status::PullComplete);
            Ok::<(), Error>(())
        }
    }))
    .buffer_unordered(CONCURRENT_DOWNLOADS)
    .try_collect::<Vec<()>>()
    .await?;

    let md = digest(&manifest_digest)?;
    if !store.has_blob(&md) {
        downloaded = true;
        store
            .put_blob(&manifest_bytes, Some(&md))
            .map_err(store_err)?;
    }
    // The tag points at what the registry's tag points at: for a
    // multi-platform image its index, kept byte for byte (so its digest is
    // the registry's), with only the platforms pulled present in the store
    // (see skiff-store's images/platforms.rs). A second `--platform` pull
    // then adds its platform beside the first instead of re-pointing the
    // tag at one manifest. The index is stored after the manifest it
    // names, so a killed pull never leaves a tag on a half-pulled platform.
    let top_d = digest(&top_digest)?;
    if is_index && !store.has_blob(&top_d) {
        downloaded = true;
        store.put_blob(&top, Some(&top_d)).map_err(store_err)?;
    }
    // The platform manifest of an index is no image of its own (it would
    // be a dangling row in `images`): the index is.
    store.add_image(&top_d).map_err(store_err)?;
    if r.tag().is_some() && r.digest().is_none() {
        let before = store.lookup(&whole).ok();
        if before.as_ref() != Some(&top_d) {
            downloaded = true;
        }
        store.tag(&whole, &top_d).map_err(store_err)?;
    }
    let name = format!("{}/{}", r.registry(), r.repository());
    store
        .add_repo_digest(&top_d, &name, &top_d)
        .map_err(store_err)?;
    Ok(PullResult {
        digest: top_digest,
        manifest_digest,
        id: config_digest.to_string(),
        downloaded,
    })
}

/// Download one blob into the store. With `unpack` (diff ID, chain ID) the
/// same bytes are unpacked into the snapshot as they arrive.
pub(crate) async fn fetch_blob(
    store: &Store,
    fetcher: &Fetcher<'_>,
    desc: &RawDescriptor,
    unpack: Option<(Digest, Digest, ImageBudget)>,
    report: &Reporter,
) -> Result<(), Error> {
    let blob = digest(&desc.digest)?;
    let (tx, rx) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let worker = {
        let store = store.clone();
        let media_type = desc.media_type.clone();
        let blob = blob.clone();
        tokio::task::spawn_blocking(move || write_blob(&store, rx, &blob, &media_type, unpack))
    };

    let shown = !media::is_manifest(&desc.media_type)
        && desc.media_type != media::OCI_CONFIG
        && desc.media_type != media::DOCKER_CONFIG;
    let total = desc.size.max(0) as u64;
    let download = async {
        let mut body = fetcher.blob(&desc.digest, total).await?;
        let done = AtomicU64::new(0);
        let mut last_report = 0u64;
        loop {
            let chunk = match body.next().await {
                Ok(Some(c)) => c,
                Ok(None) => break,
                Err(err) => {
                    let _ = tx.send(Err(io::Error::other(err.to_string()))).await;
                    return Err(err);
                }
            };
            let n = done.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
            if shown && n - last_report >= 1 << 20 {
                last_report = n;
                layer(report, &desc.digest, Status::Downloading { done: n, total });
            }
            if tx.send(Ok(Some(chunk))).await.is_err() {
                // The writer stopped: its error says why.
                return Ok(());
            }
        }
        let _ = tx.send(Ok(None)).await;
        if shown {
            layer(report, &desc.digest, Status::DownloadComplete);
        }
        Ok(())
    };
    let downloaded: Result<(), Error> = download.await;
    drop(tx);
    let written = worker
        .await
        .map_err(|e| Error::Store(format!("writing {}: {e}", desc.digest)))?;
    match (downloaded, written) {
        // A digest mismatch is the root cause whichever side saw it.
        (_, Err(e @ Error::DigestMismatch { .. })) => Err(e),
        (Err(e), _) => Err(e),
        (Ok(()), w) => w,
    }
}

/// The blocking side of a download: the received chunks are written to
/// the blob's temp file, which the unpacker (its own thread) follows; the
/// end of the blob is released to the unpacker only after the digest check.
fn write_blob(
    store: &Store,
    mut rx: mpsc::Receiver<Chunk>,
    blob: &Digest,
    media_type: &str,
    unpack: Option<(Digest, Digest, ImageBudget)>,
) -> Result<(), Error> {
    let mut writer = store.blob_writer(Some(blob)).map_err(store_err)?;
    let written = Arc::new(Written::default());
    let unpacker = match unpack {
        Some((diff, chain, image)) => {
            let file = std::fs::File::open(writer.temp_path())
                .map_err(|e| Error::Io(format!("{}", writer.temp_path().display()), e))?;
            let follow = FollowReader::new(file, written.clone());
            let store = store.clone();
            let media_type = media_type.to_string();
            let blob = blob.clone();
            Some(std::thread::spawn(move || -> Result<(), Error> {
                // Inflate on a thread of its own: with hashing, tar parsing
                // and file creation on this one, that is two cores' work.
                let mut r = skiff_store::decompress_threaded(follow, Some(&media_type))
                    .map_err(|e| Error::Store(format!("layer {blob}: {e}")))?;
                store
                    .unpack_layer_in(&chain, Some(&diff), &mut r, &image)
                    .map_err(|e| Error::Store(format!("layer {blob}: {e}")))?;
                Ok(())
            }))
        }
        None => None,
    };
    let join = |u: Option<std::thread::JoinHandle<Result<(), Error>>>| match u {
        Some(h) => h
            .join()
            .unwrap_or_else(|_| Err(Error::Store(format!("unpacking {blob} panicked")))),
        None => Ok(()),
    };

    let received: Result<(), Error> = (|| loop {
        match rx.blocking_recv() {
            Some(Ok(Some(bytes))) => {
                writer
                    .write_all(&bytes)
                    .and_then(|_| writer.flush())
                    .map_err(|e| Error::Io(format!("writing {blob}"), e))?;
                written.advance(writer.written());
            }
            Some(Ok(None)) => return Ok(()),
            Some(Err(e)) => return Err(Error::Registry(e.to_string())),
            None => return Err(Error::Registry(format!("downloading {blob}: interrupted"))),
        }
    })();
    if let Err(e) = received {
        written.fail(e.to_string());
        drop(writer);
        let _ = join(unpacker);
        return Err(e);
    }
    // commit() checks the digest; on mismatch the temp file is removed and
    // the unpacker is told, so its half-made snapshot is discarded too.
    match writer.commit() {
        Ok(_) => written.finish(),
        Err(e) => {
            let err = store_err(e);
            written.fail(err.to_string());
            let _ = join(unpacker);
            return Err(err);
        }
    }
    join(unpacker)
}
