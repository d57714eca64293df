//! Storing images: manifests written from a config and layers, images
//! registered, tagged and untagged.

use std::collections::BTreeSet;

use chrono::Utc;
use oci_spec::image::{Digest, ImageConfiguration};
use serde_json::json;

use super::{sniff_media_type, ManifestFlavor};
use crate::digest::parse_digest;
use crate::error::{Error, Result};
use crate::index::ImageRecord;
use crate::layers::LayerInfo;
use crate::media;
use crate::reference::{normalize_reference, ImageRef};
use crate::Store;
use skiff_core::Platform;

impl Store {
    /// Register a manifest or index already stored as a blob, so it is an
    /// image of the store (untagged until [`Store::tag`]). Idempotent.
    pub fn add_image(&self, digest: &Digest) -> Result<()> {
        let bytes = self.read_blob(digest)?;
        let mt = sniff_media_type(&bytes, &format!("blob {digest}"))?;
        if !media::is_index(&mt) && !media::is_manifest(&mt) {
            return Err(Error::InvalidImage(format!(
                "blob {digest} has media type {mt}, not an image manifest or index"
            )));
        }
        let (id, listing) =
            match self.platform_manifest(digest, &mt, &Platform::host(), digest.as_ref(), true) {
                Ok((md, m)) => (m.config().digest().to_string(), self.listing_of(&md, &m)),
                // An index without a manifest for this host: still an image
                // (save/push work); its ID is the index digest.
                Err(Error::NoMatchingPlatform { .. }) | Err(Error::BlobNotFound(_)) => {
                    (digest.to_string(), None)
                }
                Err(e) => return Err(e),
            };
        self.update_index(|idx| {
            idx.images
                .entry(digest.to_string())
                // The ID follows the manifest resolution picks: a later pull
                // of the host's platform of an index changes it, and ID
                // lookups (`rmi <id>`) must find what `images` shows.
                // So does what `images` shows of it.
                .and_modify(|r| {
                    r.id.clone_from(&id);
                    r.listing.clone_from(&listing);
                })
                .or_insert_with(|| ImageRecord {
                    media_type: mt.clone(),
                    id: id.clone(),
                    repo_digests: BTreeSet::new(),
                    added: Utc::now().to_rfc3339(),
                    listing: listing.clone(),
                });
            Ok(())
        })
    }

    /// Store a config and a manifest over already stored layers, register the
    /// image and return the manifest digest (not tagged yet).
    pub fn write_image(
        &self,
        config: &ImageConfiguration,
        layers: &[LayerInfo],
        flavor: ManifestFlavor,
    ) -> Result<Digest> {
        let bytes = serde_json::to_vec(config).map_err(|source| Error::Json {
            what: "image config".into(),
            source,
        })?;
        self.write_image_raw(&bytes, layers, flavor)
    }

    /// Like [`Store::write_image`] with the config given as its exact JSON bytes.
    pub fn write_image_raw(
        &self,
        config: &[u8],
        layers: &[LayerInfo],
        flavor: ManifestFlavor,
    ) -> Result<Digest> {
        let d = self.put_manifest_raw(config, layers, flavor)?;
        self.add_image(&d)?;
        Ok(d)
    }

    /// Store a config and a manifest over stored layers without making the
    /// manifest an image of its own: one platform of a multi-platform
    /// image, which the index written next registers (the caller holds a
    /// [`Store::lease`] until then).
    pub fn put_manifest_raw(
        &self,
        config: &[u8],
        layers: &[LayerInfo],
        flavor: ManifestFlavor,
    ) -> Result<Digest> {
        let cfg = self.put_blob(config, None)?;
        let (manifest_mt, config_mt) = match flavor {
            ManifestFlavor::Docker => (media::DOCKER_MANIFEST, media::DOCKER_CONFIG),
            ManifestFlavor::Oci => (media::OCI_MANIFEST, media::OCI_CONFIG),
        };
        let layer_mt = |mt: &str| -> String {
            match (flavor, mt) {
                (ManifestFlavor::Docker, media::OCI_LAYER_GZIP) => media::DOCKER_LAYER_GZIP.into(),
                (ManifestFlavor::Docker, media::OCI_LAYER_TAR) => media::DOCKER_LAYER_TAR.into(),
                (ManifestFlavor::Oci, media::DOCKER_LAYER_GZIP) => media::OCI_LAYER_GZIP.into(),
                (ManifestFlavor::Oci, media::DOCKER_LAYER_TAR) => media::OCI_LAYER_TAR.into(),
                _ => mt.to_string(),
            }
        };
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": manifest_mt,
            "config": {"mediaType": config_mt, "size": cfg.size, "digest": cfg.digest.to_string()},
            "layers": layers.iter().map(|l| json!({
                "mediaType": layer_mt(&l.media_type),
                "size": l.size,
                "digest": l.digest.to_string(),
            })).collect::<Vec<_>>(),
        });
        let bytes = serde_json::to_vec_pretty(&manifest).map_err(|source| Error::Json {
            what: "image manifest".into(),
            source,
        })?;
        Ok(self.put_blob(&bytes, None)?.digest)
    }

    /// Point `reference` (e.g. `busybox`, `127.0.0.1:5000/x:1`) at a stored
    /// image (manifest or index digest), replacing what it pointed to.
    /// Returns the normalised reference.
    pub fn tag(&self, reference: &str, digest: &Digest) -> Result<ImageRef> {
        let r = normalize_reference(reference)?;
        if r.digest.is_some() {
            return Err(Error::InvalidReference {
                reference: reference.to_string(),
                reason: "refusing to create a tag with a digest reference".into(),
            });
        }
        if !self.read_index()?.images.contains_key(&digest.to_string()) {
            self.add_image(digest)?;
        }
        self.update_index(|idx| {
            idx.refs.insert(r.to_string(), digest.to_string());
            Ok(())
        })?;
        crate::events::record(
            self.root(),
            "image",
            "tag",
            digest.as_ref(),
            &[("name", &r.to_string())],
        );
        Ok(r)
    }

    /// Remove a tag; returns the digest it pointed to.
    pub fn untag(&self, reference: &str) -> Result<Digest> {
        let r = normalize_reference(reference)?;
        let key = r.to_string();
        let d = self.update_index(|idx| {
            idx.refs
                .remove(&key)
                .ok_or_else(|| Error::ImageNotFound(reference.to_string()))
        })?;
        crate::events::record(self.root(), "image", "untag", &d, &[("name", &key)]);
        parse_digest(&d)
    }

    /// Remember that `image_digest` is known as `name@digest` in a registry
    /// (after a pull or push), for `images --digests` and RepoDigests.
    pub fn add_repo_digest(
        &self,
        image_digest: &Digest,
        name: &str,
        digest: &Digest,
    ) -> Result<()> {
        let r = normalize_reference(name)?;
        let entry = format!("{}@{}", r.name(), digest);
        self.update_index(|idx| {
            let rec = idx
                .images
                .get_mut(&image_digest.to_string())
                .ok_or_else(|| Error::ImageNotFound(image_digest.to_string()))?;
            rec.repo_digests.insert(entry);
            Ok(())
        })
    }
}
