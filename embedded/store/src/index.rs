//! The image index: `images/index.json`, mapping references to the digest of
//! a manifest or image index, and recording every image (tagged or not).
//! Read without locks (it is only ever replaced by an atomic rename);
//! read-modify-write under `locks/index.lock`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use skiff_core::atomic::Durability;

use crate::error::{Error, IoPath, Result};
use crate::tmp::sync_dir_best_effort;
use crate::Store;
use crate::{lock_file, LockKind};

/// One stored image: a manifest or an image index.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct ImageRecord {
    /// Media type of the top-level blob (manifest or index).
    pub media_type: String,
    /// Image ID (config digest) of the host-platform manifest, cached so
    /// listing and ID lookups don't read every manifest.
    pub id: String,
    /// `name@sha256:...` digests this image is known by in registries.
    #[serde(default)]
    pub repo_digests: BTreeSet<String>,
    /// When the image was added to this store (RFC 3339).
    pub added: String,
    /// What `images` shows of it, cached when it was registered (absent in
    /// stores written by older skiff; see images/listing.rs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing: Option<crate::images::Listing>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct IndexFile {
    #[serde(default)]
    pub version: u32,
    /// Top-level digest -> record.
    #[serde(default)]
    pub images: BTreeMap<String, ImageRecord>,
    /// Fully qualified `registry/repo:tag` -> top-level digest.
    #[serde(default)]
    pub refs: BTreeMap<String, String>,
}

impl IndexFile {
    pub fn refs_to<'a>(&'a self, digest: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.refs
            .iter()
            .filter(move |(_, d)| d.as_str() == digest)
            .map(|(r, _)| r)
    }
}

impl Store {
    fn index_path(&self) -> PathBuf {
        self.root.join("images").join("index.json")
    }

    pub(crate) fn read_index(&self) -> Result<IndexFile> {
        let p = self.index_path();
        match fs::read(&p) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                what: p.display().to_string(),
                source,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(IndexFile {
                version: 1,
                ..Default::default()
            }),
            Err(e) => Err(e).at(&p),
        }
    }

    /// Read-modify-write the index under its lock; `f`'s changes are written
    /// atomically only when it returns Ok.
    pub(crate) fn update_index<T>(&self, f: impl FnOnce(&mut IndexFile) -> Result<T>) -> Result<T> {
        let _g = lock_file(&self.locks_dir().join("index.lock"), LockKind::Exclusive)?;
        let mut idx = self.read_index()?;
        let before = serde_json::to_vec(&idx).unwrap_or_default();
        let out = f(&mut idx)?;
        let bytes = serde_json::to_vec_pretty(&idx).map_err(|source| Error::Json {
            what: "image index".into(),
            source,
        })?;
        if bytes != before {
            self.write_file_atomic(&self.index_path(), &bytes)?;
        }
        Ok(out)
    }

    /// Write a small file atomically (temp in tmp/, fsync, rename). Not
    /// `skiff_core::atomic`: its temp beside the target would outlive a
    /// killed skiff, while tmp/ is swept by the store.
    pub(crate) fn write_file_atomic(&self, dest: &std::path::Path, bytes: &[u8]) -> Result<()> {
        self.write_file_atomic_with(dest, bytes, Durability::Durable)
    }

    /// [`Store::write_file_atomic`]; `Volatile` leaves out both fsyncs (still
    /// atomic for concurrent readers).
    pub(crate) fn write_file_atomic_with(
        &self,
        dest: &std::path::Path,
        bytes: &[u8],
        durability: Durability,
    ) -> Result<()> {
        let durable = durability == Durability::Durable;
        let (mut f, tmp) = self.create_temp_file("meta")?;
        let r = f
            .write_all(bytes)
            .and_then(|_| if durable { f.sync_all() } else { Ok(()) })
            .at(&tmp)
            .and_then(|_| fs::rename(&tmp, dest).at(dest));
        if r.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        r?;
        if let (true, Some(parent)) = (durable, dest.parent()) {
            sync_dir_best_effort(parent);
        }
        Ok(())
    }
}
