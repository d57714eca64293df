//! The build cache: step cache key → the step's result (its layer, if any,
//! and the image config after it), one small JSON file per key under
//! `<store>/buildcache/steps/`. Written atomically (temp + rename) so
//! concurrent builds and killed processes never leave a torn record; a
//! per-key lock makes two builds of the same step wait for one another
//! instead of doing the work twice. Layers a record names are pinned in the
//! store so image GC keeps them until `skiff builder prune`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use skiff_store::{LayerInfo, LockGuard, Store};

use crate::error::{io_at, Result};

/// Part of every stage's first key: bump it when what a step produces for
/// the same inputs changes (config defaults, layer format), so old records
/// are not reused. v2: COPY's created directories and hardlinks, WORKDIR's
/// owner, heredoc RUNs and mount modes as BuildKit makes them.
pub const FORMAT: &str = "skiff-buildcache-v2";

/// Owner name of the store pins the build cache holds.
pub const PIN_OWNER: &str = "buildcache";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LayerRecord {
    pub digest: String,
    pub size: u64,
    pub diff_id: String,
    pub media_type: String,
    pub uncompressed_size: u64,
}

impl LayerRecord {
    pub fn from_info(l: &LayerInfo) -> Self {
        LayerRecord {
            digest: l.digest.to_string(),
            size: l.size,
            diff_id: l.diff_id.to_string(),
            media_type: l.media_type.clone(),
            uncompressed_size: l.uncompressed_size,
        }
    }

    pub fn to_info(&self) -> Result<LayerInfo> {
        Ok(LayerInfo {
            digest: skiff_store::parse_digest(&self.digest)?,
            size: self.size,
            diff_id: skiff_store::parse_digest(&self.diff_id)?,
            media_type: self.media_type.clone(),
            uncompressed_size: self.uncompressed_size,
        })
    }
}

/// What a step produced.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Record {
    /// The layer the step added, if it added one.
    pub layer: Option<LayerRecord>,
    /// The image config after the step (history and diff_ids included).
    pub config: serde_json::Value,
}

/// Build a cache key from its parts, in order.
pub fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

#[derive(Clone)]
pub struct BuildCache {
    store: Store,
    dir: PathBuf,
}

impl BuildCache {
    pub fn open(store: &Store) -> Result<Self> {
        let dir = store.buildcache_dir().join("steps");
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        fs::create_dir_all(dir.join("locks")).map_err(io_at(&dir))?;
        Ok(BuildCache {
            store: store.clone(),
            dir,
        })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The record for `key`, when present and its layer blob is still in
    /// the store.
    pub fn get(&self, key: &str) -> Option<Record> {
        let bytes = fs::read(self.path(key)).ok()?;
        let rec: Record = serde_json::from_slice(&bytes).ok()?;
        if let Some(l) = &rec.layer {
            let d = skiff_store::parse_digest(&l.digest).ok()?;
            if !self.store.has_blob(&d) {
                return None;
            }
        }
        Some(rec)
    }

    /// Exclusive lock for computing `key`.
    pub fn lock(&self, key: &str) -> Result<LockGuard> {
        Ok(skiff_store::lock_file(
            &self.dir.join("locks").join(format!("{key}.lock")),
            skiff_store::LockKind::Exclusive,
        )?)
    }

    pub fn put(&self, key: &str, rec: &Record) -> Result<()> {
        if let Some(l) = &rec.layer {
            let d = skiff_store::parse_digest(&l.digest)?;
            self.store.pin(PIN_OWNER, key, &[d])?;
        }
        let path = self.path(key);
        let tmp = self.dir.join(format!(".{key}.{}.tmp", std::process::id()));
        let bytes = serde_json::to_vec(rec).unwrap_or_default();
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)
        };
        write().map_err(io_at(&path))
    }

    /// Remove every record (and its pins). Returns how many were removed.
    pub fn prune(&self) -> Result<usize> {
        let mut n = 0;
        for e in fs::read_dir(&self.dir).map_err(io_at(&self.dir))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(key) = name.strip_suffix(".json") {
                let _ = self.store.unpin(PIN_OWNER, key);
                if fs::remove_file(e.path()).is_ok() {
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_every_part_and_order() {
        assert_ne!(key(&["a", "bc"]), key(&["ab", "c"]));
        assert_ne!(key(&["a", "b"]), key(&["b", "a"]));
        assert_eq!(key(&["x"]), key(&["x"]));
    }

    #[test]
    fn records_roundtrip_and_prune() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path()).unwrap();
        let c = BuildCache::open(&store).unwrap();
        let rec = Record {
            layer: None,
            config: serde_json::json!({"config": {"Env": ["A=1"]}}),
        };
        let k = key(&["step"]);
        assert!(c.get(&k).is_none());
        c.put(&k, &rec).unwrap();
        assert_eq!(c.get(&k), Some(rec));
        // A record whose layer blob is gone is a miss.
        let blob = store.put_blob(b"layer", None).unwrap();
        let with_layer = Record {
            layer: Some(LayerRecord {
                digest: blob.digest.to_string(),
                size: 5,
                diff_id: blob.digest.to_string(),
                media_type: "x".into(),
                uncompressed_size: 5,
            }),
            config: serde_json::json!({}),
        };
        let k2 = key(&["step2"]);
        c.put(&k2, &with_layer).unwrap();
        assert!(c.get(&k2).is_some());
        assert_eq!(c.prune().unwrap(), 2);
        assert!(c.get(&k).is_none());
    }
}

/// What `skiff builder prune` removed.
#[derive(Debug, Default)]
pub struct PruneReport {
    /// Cache keys (and cache-mount ids) removed.
    pub removed: Vec<String>,
    /// Bytes freed (layer blobs no image uses any more, cache mounts).
    pub reclaimed: u64,
}

/// Drop every cache record (unpinning their layers, which the next image
/// prune collects unless an image uses them), the `ADD <url>` ETag records
/// (likewise their content), the context hash caches, and
/// with `all` the RUN cache mounts. Images are never touched.
pub fn prune(store: &Store, all: bool) -> Result<PruneReport> {
    let cache = BuildCache::open(store)?;
    let _lock = skiff_store::lock_file(
        &store.buildcache_dir().join("prune.lock"),
        skiff_store::LockKind::Exclusive,
    )?;
    let mut report = PruneReport::default();
    for e in fs::read_dir(cache.dir())
        .map_err(io_at(cache.dir()))?
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(key) = name.strip_suffix(".json") {
            let _ = store.unpin(PIN_OWNER, key);
            if fs::remove_file(e.path()).is_ok() {
                report.removed.push(key.to_string());
            }
        }
    }
    for id in crate::url_cache::UrlCache::open(store)?.prune()? {
        report.removed.push(id);
    }
    let _ = fs::remove_dir_all(store.buildcache_dir().join("filehash"));
    if all {
        let mounts = store.buildcache_dir().join("mounts");
        if let Ok(it) = fs::read_dir(&mounts) {
            for e in it.flatten() {
                report.reclaimed += dir_size(&e.path());
                report
                    .removed
                    .push(format!("cache mount {}", e.file_name().to_string_lossy()));
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }
    Ok(report)
}

fn dir_size(p: &Path) -> u64 {
    let Ok(md) = fs::symlink_metadata(p) else {
        return 0;
    };
    if !md.is_dir() {
        return md.len();
    }
    fs::read_dir(p)
        .map(|it| it.flatten().map(|e| dir_size(&e.path())).sum())
        .unwrap_or(0)
}
