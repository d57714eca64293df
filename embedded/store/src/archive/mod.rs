//! `save` and `load`: docker-archive and OCI-layout tars.
//!
//! docker-archive as docker classic and containers/image write it:
//! `manifest.json` (`[{Config, RepoTags, Layers}]`), `repositories`, the
//! config as `<hex>.json` and each layer as an uncompressed `<diffid>.tar`.
//! OCI layout: `oci-layout`, `index.json`, `blobs/sha256/<hex>` with the
//! stored blobs as they are, so manifest digests survive a round trip.
//!
//! `load` streams the archive once: `blobs/<alg>/<hex>` files go straight
//! into the blob store (verified against their names), small JSON documents
//! stay in memory, anything else (classic layer tars) goes to a temp dir.
//!
//! Files: `docker` and `oci` save and load their format, `load` streams an
//! archive in; this file holds the shared types and tar helpers.

mod docker;
mod load;
mod oci;

use std::io::{Read, Write};

use oci_spec::image::Digest;
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoPath, Result};
use crate::images::Image;
use crate::reference::normalize_reference;
use crate::Store;
use skiff_core::Platform;

/// Archive formats `save` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchiveFormat {
    /// docker-archive: manifest.json + repositories + config + layer tars.
    #[default]
    Docker,
    /// OCI image layout (oci-layout, index.json, blobs/sha256/...).
    Oci,
}

/// An image `load` added.
#[derive(Debug, Clone)]
pub struct LoadedImage {
    /// Top-level digest stored (manifest or index).
    pub digest: Digest,
    /// Image ID.
    pub id: Digest,
    /// References tagged (familiar form, `busybox:latest`); empty when the
    /// archive named none.
    pub references: Vec<String>,
}

/// One entry of a docker-archive `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct ArchiveManifest {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

pub(super) const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
pub(super) const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";

/// Small documents of an archive kept in memory while loading.
pub(super) const SMALL_FILE_LIMIT: u64 = 16 << 20;

pub(super) fn tar_append(
    b: &mut tar::Builder<&mut dyn Write>,
    path: &str,
    size: u64,
    r: &mut dyn Read,
) -> Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    b.append_data(&mut h, path, r)
        .ctx(|| format!("writing {path} to the archive"))
}

pub(super) fn tar_append_bytes(
    b: &mut tar::Builder<&mut dyn Write>,
    path: &str,
    bytes: &[u8],
) -> Result<()> {
    tar_append(b, path, bytes.len() as u64, &mut &bytes[..])
}

pub(super) fn json_bytes(v: &impl Serialize, what: &str) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|source| Error::Json {
        what: what.into(),
        source,
    })
}

impl Store {
    /// Write a docker-archive or OCI-layout tar of the images `names`.
    pub fn save(&self, names: &[String], format: ArchiveFormat, out: &mut dyn Write) -> Result<()> {
        self.save_platform(names, format, None, out)
    }

    /// [`Store::save`]; with `platform` (docker's `save --platform`) each
    /// image is saved as that platform's manifest alone, and an image
    /// without it is an error naming the platforms it has.
    pub fn save_platform(
        &self,
        names: &[String],
        format: ArchiveFormat,
        platform: Option<&Platform>,
        out: &mut dyn Write,
    ) -> Result<()> {
        let images = self.images_to_save(names, platform)?;
        match format {
            ArchiveFormat::Docker => self.write_docker_archive(&images, out),
            ArchiveFormat::Oci => self.write_oci_archive(&images, platform.is_some(), out),
        }
    }

    /// Resolve the names to save, with the tags each should carry.
    fn images_to_save(
        &self,
        names: &[String],
        platform: Option<&Platform>,
    ) -> Result<Vec<(Image, Vec<String>)>> {
        let mut out: Vec<(Image, Vec<String>)> = Vec::new();
        for n in names {
            let img = match platform {
                Some(p) => self.resolve_for(n, p)?,
                None => self.resolve(n)?,
            };
            let tags: Vec<String> = match normalize_reference(n) {
                Ok(r) if r.digest.is_none() && img.references.contains(&r) => vec![r.to_string()],
                _ if n.contains('@') || n.starts_with("sha256:") || img.references.is_empty() => {
                    vec![]
                }
                _ => img.references.iter().map(|r| r.to_string()).collect(),
            };
            match out.iter_mut().find(|(i, _)| i.digest == img.digest) {
                Some((_, t)) => t.extend(tags),
                None => out.push((img, tags)),
            }
        }
        Ok(out)
    }
}
