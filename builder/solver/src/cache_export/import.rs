//! `--cache-from`: the cache manifests (and their config blobs) are read
//! up front, bounded and digest-checked; a layer blob is fetched only when
//! a step's key hits, before the step's result is used. A source that
//! cannot be read is a warning and the build goes on without it, as buildx
//! does.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde::Deserialize;
use skiff_core::inroot::Root;
use skiff_registry::limits::MAX_MANIFEST;
use skiff_registry::{Reference, Registry};
use skiff_store::{media, Store};

use super::format::{self, CacheConfig, Descriptor, Manifest};
use super::spec::CacheFrom;
use crate::cache::Record;
use crate::error::{BuildError, Result};
use crate::progress::{Event, Progress};

/// An index (a multi-platform image with inline cache) is read up to this
/// many manifests.
const MAX_INDEX_ENTRIES: usize = 16;

enum Source {
    Registry {
        reference: Reference,
        reg: Box<Registry>,
    },
    Local {
        dir: PathBuf,
    },
}

struct Hit {
    record: Record,
    layer: Option<Descriptor>,
    source: usize,
}

/// The records every `--cache-from` offers, first source first.
#[derive(Default)]
pub(crate) struct Imported {
    rt: Option<tokio::runtime::Runtime>,
    sources: Vec<(String, Source)>,
    records: HashMap<String, Hit>,
}

fn reg_err(e: skiff_registry::Error) -> BuildError {
    BuildError::Registry(e.to_string())
}

impl Imported {
    /// Read every source; what cannot be read is reported and skipped.
    pub(crate) fn load(
        from: &[CacheFrom],
        progress: &Arc<dyn Progress>,
        ids: &AtomicUsize,
    ) -> Imported {
        let mut me = Imported::default();
        for f in from {
            let id = ids.fetch_add(1, Ordering::SeqCst);
            let name = f.name();
            progress.event(Event::Start {
                id,
                title: format!("importing cache manifest from {name}"),
            });
            let t0 = std::time::Instant::now();
            match me.load_one(f) {
                Ok(n) => progress.event(Event::Log {
                    id,
                    line: format!("{n} cached steps"),
                }),
                Err(e) => progress.event(Event::Log {
                    id,
                    line: format!("WARNING: failed to import cache from {name}: {e}"),
                }),
            }
            progress.event(Event::Done {
                id,
                secs: t0.elapsed().as_secs_f64(),
            });
        }
        me
    }

    fn runtime(&mut self) -> Result<&tokio::runtime::Runtime> {
        if self.rt.is_none() {
            self.rt = Some(skiff_registry::runtime().map_err(reg_err)?);
        }
        Ok(self.rt.as_ref().expect("set above"))
    }

    /// Read one source's records; returns how many it offered.
    fn load_one(&mut self, f: &CacheFrom) -> Result<usize> {
        let (source, found) = match f {
            CacheFrom::Registry { reference } => {
                let (r, reg) = crate::export::registry::connect(reference).map_err(reg_err)?;
                let found = self.runtime()?.block_on(read_registry(&reg, &r))?;
                (
                    Source::Registry {
                        reference: r,
                        reg: Box::new(reg),
                    },
                    found,
                )
            }
            CacheFrom::Local { src, tag } => {
                let found = read_layout(src, tag)?;
                (Source::Local { dir: src.clone() }, found)
            }
        };
        let source_index = self.sources.len();
        self.sources.push((f.name(), source));
        let mut n = 0;
        for (cfg, layers) in found {
            for (key, record, layer) in format::validate(cfg, &layers)? {
                n += 1;
                self.records.entry(key).or_insert(Hit {
                    record,
                    layer,
                    source: source_index,
                });
            }
        }
        Ok(n)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record for `key`, its layer's descriptor, and the source's name.
    pub(crate) fn get(&self, key: &str) -> Option<(&Record, Option<&Descriptor>, &str)> {
        let h = self.records.get(key)?;
        Some((&h.record, h.layer.as_ref(), &self.sources[h.source].0))
    }

    /// Bring the layer of `key`'s record into the store (digest-checked).
    pub(crate) fn fetch_layer(&self, store: &Store, key: &str) -> Result<()> {
        let Some(h) = self.records.get(key) else {
            return Ok(());
        };
        let Some(d) = &h.layer else {
            return Ok(());
        };
        let digest = skiff_store::parse_digest(&d.digest)?;
        if store.has_blob(&digest) {
            return Ok(());
        }
        match &self.sources[h.source].1 {
            Source::Registry { reference, reg } => {
                let rt = self
                    .rt
                    .as_ref()
                    .ok_or_else(|| BuildError::Invalid("no registry runtime".into()))?;
                rt.block_on(skiff_registry::artifact::fetch_blob_into(
                    store,
                    reg,
                    reference,
                    &d.digest,
                    d.size,
                    &d.media_type,
                ))
                .map_err(reg_err)
            }
            Source::Local { dir } => {
                let root = layout_root(dir)?;
                let rel = blob_path(&d.digest)?;
                let f = root
                    .open(&rel, libc::O_RDONLY | libc::O_NONBLOCK, 0)
                    .map_err(|e| in_layout(&root, e))?;
                if !f.metadata().map_err(crate::error::io_at(&rel))?.is_file() {
                    return Err(BuildError::Registry(format!(
                        "{}: {} is not a regular file",
                        dir.display(),
                        rel.display()
                    )));
                }
                store.put_blob_from(&mut f.take(d.size.saturating_add(1)), Some(&digest))?;
                Ok(())
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    annotations: HashMap<String, String>,
    #[serde(default)]
    platform: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Index {
    #[serde(default)]
    manifests: Vec<Entry>,
}

/// What one manifest offers: its cache config and its layers.
type Found = Vec<(CacheConfig, Vec<Descriptor>)>;

fn invalid(what: &str, e: impl std::fmt::Display) -> BuildError {
    BuildError::Registry(format!("{what} is invalid: {e}"))
}

fn is_index(bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Sniff {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    match serde_json::from_slice::<Sniff>(bytes) {
        Ok(s) => s.media_type.as_deref().is_some_and(media::is_index) || s.manifests.is_some(),
        Err(_) => false,
    }
}

/// The cache config a manifest's config blob holds: a cache config, or an
/// image config's inline field (None when the image has none).
fn cache_config(config_media_type: &str, bytes: &[u8]) -> Result<Option<CacheConfig>> {
    if config_media_type == format::CONFIG_MEDIA_TYPE {
        return serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|e| invalid("the cache config", e));
    }
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid("the image config", e))?;
    match v.get(format::INLINE_FIELD) {
        None => Ok(None),
        Some(f) => serde_json::from_value(f.clone())
            .map(Some)
            .map_err(|e| invalid("the inline cache", e)),
    }
}

async fn read_registry(reg: &Registry, r: &Reference) -> Result<Found> {
    use skiff_registry::artifact;
    let (top, _) = artifact::get_manifest(reg, r).await.map_err(reg_err)?;
    let manifests: Vec<Vec<u8>> = if is_index(&top) {
        let idx: Index = serde_json::from_slice(&top).map_err(|e| invalid("the index", e))?;
        let mut out = Vec::new();
        for e in idx
            .manifests
            .iter()
            .filter(|e| media::is_manifest(&e.media_type) && !is_attestation(e))
            .take(MAX_INDEX_ENTRIES)
        {
            let size = manifest_limit(e.size);
            out.push(
                artifact::get_manifest_digest(reg, r, &e.digest, size)
                    .await
                    .map_err(reg_err)?,
            );
        }
        out
    } else {
        vec![top]
    };
    let mut found = Vec::new();
    for bytes in manifests {
        let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| invalid("the manifest", e))?;
        let cfg = artifact::get_blob(reg, r, &m.config.digest, m.config.size, format::MAX_CONFIG)
            .await
            .map_err(reg_err)?;
        if let Some(c) = cache_config(&m.config.media_type, &cfg)? {
            found.push((c, m.layers));
        }
    }
    if found.is_empty() {
        return Err(BuildError::Registry(format!(
            "{} holds no skiff build cache",
            r.whole()
        )));
    }
    Ok(found)
}

/// How much of a manifest an index entry lets us read: its size, capped;
/// an entry without one (0) up to the cap, as pull reads it.
fn manifest_limit(size: u64) -> u64 {
    if size == 0 {
        MAX_MANIFEST
    } else {
        size.min(MAX_MANIFEST)
    }
}

/// BuildKit's attestation manifests sit in an index as `unknown/unknown`.
fn is_attestation(e: &Entry) -> bool {
    e.platform
        .as_ref()
        .and_then(|p| p.get("os"))
        .and_then(|o| o.as_str())
        == Some("unknown")
}

/// A local cache directory, opened once: every file of it is read through
/// skiff_core's resolve-in-root, so a symlink planted in a cache restored
/// from a CI artifact cannot lead out of it, nor a FIFO hang the build.
fn layout_root(dir: &Path) -> Result<Root> {
    Root::new(dir).map_err(|e| BuildError::Registry(format!("cache {}: {e}", dir.display())))
}

fn in_layout(root: &Root, e: skiff_core::inroot::InRootError) -> BuildError {
    BuildError::Registry(format!("cache {}: {e}", root.path().display()))
}

/// `blobs/<alg>/<hex>` of a checked digest (never a path of its own).
fn blob_path(digest: &str) -> Result<PathBuf> {
    let d = skiff_store::parse_digest(digest)?;
    let s = d.to_string();
    let (alg, hex) = s.split_once(':').unwrap_or(("sha256", &s));
    Ok(Path::new("blobs").join(alg).join(hex))
}

/// Read a regular file of the layout, at most `limit` bytes, checked to
/// hash to `digest` when given.
fn read_capped(root: &Root, rel: &Path, limit: u64, digest: Option<&str>) -> Result<Vec<u8>> {
    let out = root
        .read_regular(rel, limit)
        .map_err(|e| in_layout(root, e))?;
    if let Some(want) = digest {
        let got = skiff_store::sha256_digest(&out).to_string();
        if got != want {
            return Err(BuildError::Registry(format!(
                "{}: content does not match digest {want} (got {got})",
                root.path().join(rel).display()
            )));
        }
    }
    Ok(out)
}

/// An OCI layout directory as buildx's local cache writes it: index.json
/// names the cache manifest by its `org.opencontainers.image.ref.name`.
fn read_layout(dir: &Path, tag: &str) -> Result<Found> {
    let root = layout_root(dir)?;
    let index = read_capped(&root, Path::new("index.json"), MAX_MANIFEST, None)?;
    let idx: Index = serde_json::from_slice(&index).map_err(|e| invalid("index.json", e))?;
    let e = idx
        .manifests
        .iter()
        .find(|e| e.annotations.get(super::REF_NAME).map(String::as_str) == Some(tag))
        .ok_or_else(|| {
            BuildError::Registry(format!(
                "{}: index.json names no cache tagged {tag:?}",
                dir.display()
            ))
        })?;
    let mbytes = read_capped(
        &root,
        &blob_path(&e.digest)?,
        manifest_limit(e.size),
        Some(&e.digest),
    )?;
    let m: Manifest = serde_json::from_slice(&mbytes).map_err(|e| invalid("the manifest", e))?;
    if m.config.size > format::MAX_CONFIG {
        return Err(BuildError::Registry(format!(
            "{}: the cache config is larger than {} bytes",
            dir.display(),
            format::MAX_CONFIG
        )));
    }
    let cfg = read_capped(
        &root,
        &blob_path(&m.config.digest)?,
        m.config.size,
        Some(&m.config.digest),
    )?;
    let c = cache_config(&m.config.media_type, &cfg)?.ok_or_else(|| {
        BuildError::Registry(format!("{}: holds no skiff build cache", dir.display()))
    })?;
    Ok(vec![(c, m.layers)])
}
