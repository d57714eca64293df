//! Streaming an archive in once: blobs straight into the store, small JSON
//! documents in memory, other files in a temp dir; then the format's
//! entries are loaded (OCI layout preferred when both are present).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;

use oci_spec::image::Digest;

use super::{LoadedImage, SMALL_FILE_LIMIT};
use crate::compression::decompress;
use crate::digest::parse_digest;
use crate::error::{Error, IoPath, Result};
use crate::Store;

impl Store {
    /// Load a docker-archive or OCI-layout tar (plain or compressed).
    /// Blobs are verified against their digests, layers against the
    /// config's diff IDs; snapshots are unpacked.
    pub fn load_archive(&self, input: &mut dyn Read) -> Result<Vec<LoadedImage>> {
        let _lease = self.lease()?;
        let tmp = self.create_temp_dir("load")?;
        let result = self.load_archive_in(input, &tmp);
        let _ = crate::tmp::remove_tree(&tmp);
        result
    }

    pub(super) fn load_archive_in(
        &self,
        input: &mut dyn Read,
        tmp: &std::path::Path,
    ) -> Result<Vec<LoadedImage>> {
        let mut files = ArchiveFiles::default();
        let r = decompress(input, None).ctx(|| "reading the archive".into())?;
        let mut ar = tar::Archive::new(r);
        let bad = |e: io::Error| Error::InvalidArchive(format!("reading the archive: {e}"));
        let mut n_spilled = 0u32;
        for entry in ar.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let raw = entry.path_bytes().into_owned();
            let Some(comps) = crate::unpack::clean_path(&raw) else {
                return Err(Error::InvalidArchive(format!(
                    "archive entry {:?} climbs out of the archive",
                    String::from_utf8_lossy(&raw)
                )));
            };
            let path = comps
                .iter()
                .map(|c| c.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            match entry.header().entry_type() {
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    if let Some(t) = entry.link_name_bytes() {
                        let t = String::from_utf8_lossy(&t).into_owned();
                        let target = if entry.header().entry_type() == tar::EntryType::Link {
                            t
                        } else {
                            let base = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                            format!("{base}/{t}")
                        };
                        files.links.insert(path, clean_name(&target));
                    }
                    continue;
                }
                tar::EntryType::Regular | tar::EntryType::Continuous => {}
                _ => continue,
            }
            let size = entry.header().size().unwrap_or(0);
            if let Some(d) = blob_path_digest(&path) {
                let mut w = self.blob_writer(Some(&d))?;
                io::copy(&mut entry, &mut w).map_err(bad)?;
                w.commit().map_err(|e| match e {
                    Error::DigestMismatch { expected, actual } => Error::InvalidArchive(format!(
                        "archive blob {path} does not match its digest {expected} (content is {actual})"
                    )),
                    e => e,
                })?;
                files.blobs.insert(path, d);
            } else if size <= SMALL_FILE_LIMIT && !path.ends_with(".tar") {
                let mut v = Vec::with_capacity(size as usize);
                entry.read_to_end(&mut v).map_err(bad)?;
                files.small.insert(path, v);
            } else {
                n_spilled += 1;
                let p = tmp.join(format!("f{n_spilled}"));
                let mut f = File::create(&p).at(&p)?;
                io::copy(&mut entry, &mut f).map_err(bad)?;
                files.spilled.insert(path, p);
            }
        }

        let loaded = if files.small.contains_key("manifest.json") && !self.prefer_oci(&files) {
            self.load_docker_entries(&files)?
        } else if files.small.contains_key("index.json") {
            self.load_oci_entries(&files)?
        } else {
            return Err(Error::InvalidArchive(
                "the archive has neither manifest.json (docker-archive) nor index.json (OCI layout)".into(),
            ));
        };
        for l in &loaded {
            if let Ok(img) = self.resolve(l.digest.as_ref()) {
                self.image_layers(&img)?;
            }
        }
        Ok(loaded)
    }

    /// docker ≥ 25 writes both formats in one tar; the OCI side keeps the
    /// manifest digest, so use it when its blobs are all there.
    pub(super) fn prefer_oci(&self, files: &ArchiveFiles) -> bool {
        let Some(ix) = files.small.get("index.json") else {
            return false;
        };
        let Ok(ix) = serde_json::from_slice::<oci_spec::image::ImageIndex>(ix) else {
            return false;
        };
        !ix.manifests().is_empty()
            && ix.manifests().iter().all(|m| {
                self.read_manifest(m.digest())
                    .map(|mf| {
                        mf.layers().iter().all(|l| self.has_blob(l.digest()))
                            && self.has_blob(mf.config().digest())
                    })
                    .unwrap_or(false)
            })
    }
}

/// `blobs/sha256/<hex>` -> its digest.
pub(super) fn blob_path_digest(path: &str) -> Option<Digest> {
    let hex = path.strip_prefix("blobs/sha256/")?;
    parse_digest(&format!("sha256:{hex}")).ok()
}

/// What a streamed archive held.
#[derive(Default)]
pub(super) struct ArchiveFiles {
    pub(super) small: HashMap<String, Vec<u8>>,
    pub(super) spilled: HashMap<String, PathBuf>,
    pub(super) blobs: HashMap<String, Digest>,
    pub(super) links: HashMap<String, String>,
}

/// An archive path cleaned lexically (`a/./b/../c` is `a/c`); empty when it
/// climbs out of the archive.
fn clean_name(path: &str) -> String {
    crate::unpack::clean_path(path.as_bytes())
        .map(|c| {
            c.iter()
                .map(|c| c.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/")
        })
        .unwrap_or_default()
}

impl ArchiveFiles {
    pub(super) fn resolve_name(&self, path: &str) -> String {
        let mut p = clean_name(path);
        for _ in 0..16 {
            match self.links.get(&p) {
                Some(t) => p = t.clone(),
                None => break,
            }
        }
        p
    }

    pub(super) fn open(&self, store: &Store, path: &str) -> Result<Box<dyn Read>> {
        let p = self.resolve_name(path);
        if let Some(b) = self.small.get(&p) {
            return Ok(Box::new(io::Cursor::new(b.clone())));
        }
        if let Some(f) = self.spilled.get(&p) {
            return Ok(Box::new(File::open(f).at(f)?));
        }
        if let Some(d) = self.blobs.get(&p).cloned().or_else(|| blob_path_digest(&p)) {
            return Ok(Box::new(store.open_blob(&d)?));
        }
        Err(Error::InvalidArchive(format!(
            "the archive has no file {path}"
        )))
    }

    /// A JSON document of the archive, in memory: at most
    /// [`SMALL_FILE_LIMIT`] bytes (a config named by the manifest could be
    /// any file of the archive, a layer included).
    pub(super) fn read_small(&self, store: &Store, path: &str) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.open(store, path)?
            .take(SMALL_FILE_LIMIT + 1)
            .read_to_end(&mut v)
            .ctx(|| format!("reading {path} from the archive"))?;
        if v.len() as u64 > SMALL_FILE_LIMIT {
            return Err(Error::InvalidArchive(format!(
                "archive file {path} is larger than {} MiB: not an image document",
                SMALL_FILE_LIMIT >> 20
            )));
        }
        Ok(v)
    }
}
