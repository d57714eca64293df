//! Multi-platform images: one tag, one image index, several platforms.
//!
//! How the store keeps them: a tag points at the index exactly as the
//! registry (or a build) made it, byte for byte, so its digest stays the
//! registry's (RepoDigests, `pull X@sha256:..` and `push` give the same
//! digest back, as docker's containerd store does). Which platforms are
//! present is not recorded beside it: it is what the blob store holds. An
//! entry is present when its manifest blob and config blob are stored; a
//! pull writes the manifest blob last, after the config and layers, so a
//! stored manifest means a complete platform. Pulling a second platform of
//! the same index only adds that platform's blobs: the tag already points
//! at the index, so the first platform is not dropped. Keeping a record of
//! "present platforms" instead would be a second truth that GC and a killed
//! pull could make disagree with the blobs.

use oci_spec::image::Digest;
use serde_json::json;

use super::{sniff_media_type, Image};
use crate::error::{Error, Result};
use crate::media;
use crate::reference::ImageRef;
use crate::Store;
use skiff_core::Platform;

/// One platform's manifest, to make an index of ([`Store::write_index`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformManifest {
    /// A stored single-platform manifest.
    pub digest: Digest,
    pub platform: Platform,
}

/// One entry of a stored image, as `images --tree` and `push` see it.
#[derive(Debug, Clone)]
pub struct PlatformEntry {
    /// The single-platform manifest.
    pub digest: Digest,
    pub media_type: String,
    /// Its size as the index gives it (or the blob's).
    pub size: u64,
    /// `None` for entries that are no image (attestations, `unknown/unknown`).
    pub platform: Option<Platform>,
    /// Whether its manifest and config are in the store.
    pub present: bool,
}

/// Entries with no runnable platform: BuildKit's attestation manifests.
fn is_image_platform(p: &Platform) -> bool {
    p.os != "unknown" && p.architecture != "unknown"
}

impl Store {
    /// Store an OCI image index over stored single-platform manifests and
    /// register it as an image (untagged; see [`Store::tag_index`]). The
    /// entries keep the order given. Every manifest must be stored.
    pub fn write_index(&self, manifests: &[PlatformManifest]) -> Result<Digest> {
        if manifests.is_empty() {
            return Err(Error::InvalidImage(
                "an image index needs a manifest".into(),
            ));
        }
        let mut entries = Vec::new();
        for m in manifests {
            let bytes = self.read_blob(&m.digest)?;
            let mt = sniff_media_type(&bytes, &format!("manifest {}", m.digest))?;
            if !media::is_manifest(&mt) {
                return Err(Error::InvalidImage(format!(
                    "{} is a {mt}, not a single-platform manifest",
                    m.digest
                )));
            }
            let mut p = json!({"architecture": m.platform.architecture, "os": m.platform.os});
            // BuildKit and docker spell arm64's implied v8 out in indexes.
            if let Some(v) = m.platform.variant_or_implied() {
                p["variant"] = json!(v);
            }
            entries.push(json!({
                "mediaType": mt,
                "digest": m.digest.to_string(),
                "size": bytes.len(),
                "platform": p,
            }));
        }
        let index = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": entries,
        });
        let bytes = serde_json::to_vec(&index).map_err(|source| Error::Json {
            what: "image index".into(),
            source,
        })?;
        let b = self.put_blob(&bytes, None)?;
        self.add_image(&b.digest)?;
        Ok(b.digest)
    }

    /// Store an index over `manifests` ([`Store::write_index`]) and point
    /// `reference` at it, replacing what the tag pointed to. Returns the
    /// normalised reference and the index digest.
    pub fn tag_index(
        &self,
        reference: &str,
        manifests: &[PlatformManifest],
    ) -> Result<(ImageRef, Digest)> {
        let d = self.write_index(manifests)?;
        let r = self.tag(reference, &d)?;
        Ok((r, d))
    }

    /// The platforms of a stored image (manifest or index digest): an
    /// index's entries in its order, or the one platform of a manifest
    /// (from its config).
    pub fn image_platforms(&self, top: &Digest) -> Result<Vec<PlatformEntry>> {
        let bytes = self.read_blob(top)?;
        let mt = sniff_media_type(&bytes, &format!("image {top}"))?;
        if !media::is_index(&mt) {
            let m = self.read_manifest(top)?;
            let platform = self.config_platform(m.config().digest()).ok();
            return Ok(vec![PlatformEntry {
                digest: top.clone(),
                media_type: mt,
                size: bytes.len() as u64,
                present: self.has_blob(m.config().digest()),
                platform,
            }]);
        }
        let ix = self.read_index_blob(top)?;
        Ok(ix
            .manifests()
            .iter()
            .map(|m| {
                let platform = m
                    .platform()
                    .as_ref()
                    .map(|p| {
                        Platform::new(
                            &p.os().to_string(),
                            &p.architecture().to_string(),
                            p.variant().as_deref(),
                        )
                    })
                    .filter(is_image_platform);
                PlatformEntry {
                    present: self.manifest_present(m.digest()),
                    digest: m.digest().clone(),
                    media_type: m.media_type().to_string(),
                    size: m.size(),
                    platform,
                }
            })
            .collect())
    }

    /// The platform of a resolved image, from its config.
    pub fn image_platform(&self, img: &Image) -> Result<Platform> {
        self.config_platform(&img.config_digest)
    }

    pub(super) fn config_platform(&self, config: &Digest) -> Result<Platform> {
        let p: skiff_core::platform::ConfigPlatform =
            super::parse_json(&self.read_blob(config)?, &format!("config {config}"))?;
        Ok(p.platform())
    }

    /// A manifest and its config are stored (see the module comment).
    pub(super) fn manifest_present(&self, manifest: &Digest) -> bool {
        self.has_blob(manifest)
            && self
                .read_manifest(manifest)
                .is_ok_and(|m| self.has_blob(m.config().digest()))
    }
}

/// `linux/amd64, linux/arm64/v8`: the image platforms of `entries`, as
/// errors name them.
pub fn platform_list(entries: &[PlatformEntry]) -> String {
    let v: Vec<String> = entries
        .iter()
        .filter_map(|e| e.platform.as_ref())
        .map(spelled)
        .collect();
    v.join(", ")
}

/// A platform as docker shows an index entry (arm64 with its `v8`).
pub fn spelled(p: &Platform) -> String {
    match p.variant_or_implied() {
        Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
        None => format!("{}/{}", p.os, p.architecture),
    }
}
