//! What `images` shows of an image besides its names: the platform
//! manifest chosen, the config's `created` and the unpacked size. They are
//! worked out when the image is registered ([`Store::add_image`]) and kept
//! in its index record, so listing 200 images reads the index alone instead
//! of a config blob and a size file per layer of every image.
//!
//! It is a cache, like the record's `id`, never the truth: `list` uses it
//! only while the manifest and config it names are still stored (a blob
//! deleted behind skiff's back sends the image down the full resolution,
//! which skips it or shows what is left), and a record without one (a
//! store written by an older skiff, or an image whose layers were not all
//! unpacked yet, whose size would still change) is listed the old way.

use chrono::{DateTime, Utc};
use oci_spec::image::{Digest, ImageManifest};
use serde::{Deserialize, Serialize};

use crate::digest::parse_digest;
use crate::Store;

/// The listing facts of one image record (`listing` in `images/index.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Listing {
    /// The single-platform manifest the facts are of: the top-level digest
    /// itself, or the entry of an index chosen for the host.
    pub manifest: String,
    /// The config's `created`, as written there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// Unpacked size: the sum of every layer's recorded content size.
    pub size: u64,
}

/// The two fields of an image config listing needs (parsing only these
/// skips the rest: history, env, labels).
#[derive(Deserialize)]
pub(super) struct ListedConfig {
    pub created: Option<String>,
    #[serde(default)]
    pub rootfs: ListedRootfs,
}

#[derive(Deserialize, Default)]
pub(super) struct ListedRootfs {
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

pub(super) fn created_of(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

impl Store {
    /// The two config fields listing needs, `None` when the config is
    /// missing or unreadable.
    pub(super) fn listed_config(&self, config: &Digest) -> Option<ListedConfig> {
        serde_json::from_slice(&self.read_blob(config).ok()?).ok()
    }

    /// Sum of the recorded unpacked sizes of `diff_ids`; `None` when one
    /// is not recorded (a layer stored but not unpacked yet).
    pub(super) fn recorded_size(&self, diff_ids: &[String]) -> Option<u64> {
        diff_ids
            .iter()
            .map(|d| self.layer_size(&parse_digest(d).ok()?))
            .sum()
    }

    /// The listing facts of manifest `md` (`m`), or `None` when they could
    /// still change: a layer whose unpacked size is not recorded yet is
    /// listed at its compressed size until it is unpacked.
    pub(super) fn listing_of(&self, md: &Digest, m: &ImageManifest) -> Option<Listing> {
        let c = self.listed_config(m.config().digest())?;
        if c.rootfs.diff_ids.len() != m.layers().len() {
            return None;
        }
        Some(Listing {
            manifest: md.to_string(),
            size: self.recorded_size(&c.rootfs.diff_ids)?,
            created: c.created,
        })
    }

    /// Cache the listing of image `top` if its record has none yet: called
    /// once a layer of it has been unpacked (a load registers an image
    /// before unpacking it; a run unpacks what a pull of another platform
    /// left packed), when its size has become known. Best effort: without
    /// it, `images` reads the config as before.
    pub(crate) fn refresh_listing(&self, top: &Digest) {
        let missing = self.read_index().map(|idx| {
            idx.images
                .get(top.as_ref())
                .is_some_and(|r| r.listing.is_none())
        });
        if matches!(missing, Ok(true)) {
            if let Err(e) = self.add_image(top) {
                tracing::debug!("caching the listing of {top}: {e}");
            }
        }
    }
}
