//! Images: storing manifests, tagging (`write`), resolving a user's
//! name/ID/digest to an image (`resolve`), listing and removing
//! (`list`). This file holds the types and the manifest readers.

mod list;
mod listing;
#[cfg(test)]
mod listing_tests;
#[cfg(test)]
mod platform_tests;
mod platforms;
mod resolve;
#[cfg(test)]
mod tests;
mod write;

pub(crate) use listing::Listing;
pub use platforms::{platform_list, spelled, PlatformEntry, PlatformManifest};

use chrono::{DateTime, Utc};
use oci_spec::image::{Digest, ImageIndex, ImageManifest};

use crate::digest::digest_hex;
use crate::error::{Error, Result};
use crate::media;
use crate::reference::ImageRef;
use crate::Store;

/// Which manifest format to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ManifestFlavor {
    /// `application/vnd.docker.distribution.manifest.v2+json` (docker's default).
    #[default]
    Docker,
    /// `application/vnd.oci.image.manifest.v1+json`.
    Oci,
}

/// A resolved image: the stored top-level blob (manifest or index) and the
/// manifest chosen for the platform.
#[derive(Debug, Clone)]
pub struct Image {
    /// Digest references point to: a manifest, or an index.
    pub digest: Digest,
    /// Media type of that blob.
    pub media_type: String,
    /// The single-platform manifest chosen (equal to `digest` when the
    /// image is not multi-platform).
    pub manifest_digest: Digest,
    pub manifest: ImageManifest,
    /// Digest of the config blob: the image ID, as docker shows it.
    pub config_digest: Digest,
    /// Tags pointing at `digest` (fully qualified).
    pub references: Vec<ImageRef>,
    /// `name@sha256:...` registry digests.
    pub repo_digests: Vec<String>,
}

impl Image {
    /// docker's image ID (`sha256:<config digest hex>`).
    pub fn id(&self) -> &Digest {
        &self.config_digest
    }
    /// The 12-character short ID docker prints.
    pub fn short_id(&self) -> String {
        digest_hex(&self.config_digest)[..12].to_string()
    }
    /// Layer descriptors' digests (compressed blobs), base first.
    pub fn layer_digests(&self) -> Vec<Digest> {
        self.manifest
            .layers()
            .iter()
            .map(|l| l.digest().clone())
            .collect()
    }
}

/// One row of `skiff images`.
#[derive(Debug, Clone)]
pub struct ImageSummary {
    /// Fully qualified reference name (`docker.io/library/busybox`), `None` for dangling.
    pub name: Option<String>,
    /// docker's short name (`busybox`) or `<none>`.
    pub repository: String,
    /// Tag or `<none>`.
    pub tag: String,
    /// Image ID (config digest).
    pub id: Digest,
    /// Top-level digest (manifest or index).
    pub digest: Digest,
    /// Registry digest for this repository, if known (`sha256:...`).
    pub repo_digest: Option<String>,
    /// Config `created`.
    pub created: Option<DateTime<Utc>>,
    /// Unpacked size in bytes (docker's SIZE).
    pub size: u64,
    /// Whether no reference points at it.
    pub dangling: bool,
}

/// What `remove_image` did, in docker's terms.
#[derive(Debug, Clone, Default)]
pub struct RemovedImage {
    /// References removed (familiar form, e.g. `busybox:latest`, `busybox@sha256:..`).
    pub untagged: Vec<String>,
    /// Image IDs deleted.
    pub deleted: Vec<String>,
}

/// The fields of a manifest or index needed to tell them apart.
#[derive(serde::Deserialize)]
struct Sniff {
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    manifests: Option<serde_json::Value>,
    config: Option<serde_json::Value>,
}

/// Media type of a manifest or index document, from its `mediaType` field or
/// its shape.
pub(crate) fn sniff_media_type(bytes: &[u8], what: &str) -> Result<String> {
    let s: Sniff = serde_json::from_slice(bytes).map_err(|source| Error::Json {
        what: what.to_string(),
        source,
    })?;
    Ok(match (s.media_type, s.manifests, s.config) {
        (Some(mt), _, _) => mt,
        (None, Some(_), _) => media::OCI_INDEX.to_string(),
        (None, None, Some(_)) => media::OCI_MANIFEST.to_string(),
        _ => {
            return Err(Error::InvalidImage(format!(
                "{what}: neither an image manifest nor an image index"
            )))
        }
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| Error::Json {
        what: what.to_string(),
        source,
    })
}

impl Store {
    /// Parse a stored manifest.
    pub fn read_manifest(&self, digest: &Digest) -> Result<ImageManifest> {
        parse_json(&self.read_blob(digest)?, &format!("manifest {digest}"))
    }

    /// Parse a stored image index / manifest list.
    pub fn read_index_blob(&self, digest: &Digest) -> Result<ImageIndex> {
        parse_json(&self.read_blob(digest)?, &format!("image index {digest}"))
    }
}
