//! Listing images (with their configs and sizes) and removing them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use oci_spec::image::{Digest, ImageConfiguration, ImageManifest};

use super::listing::created_of;
use super::resolve::find_top_digest;
use super::{parse_json, Image, ImageSummary, RemovedImage};
use crate::digest::parse_digest;
use crate::error::{Error, Result};
use crate::index::IndexFile;
use crate::media;
use crate::reference::{normalize_reference, ImageRef};
use crate::Store;
use skiff_core::Platform;

/// One image as `list` shows it.
struct Listed {
    config_digest: Digest,
    digest: Digest,
    references: Vec<ImageRef>,
    repo_digests: Vec<String>,
    created: Option<DateTime<Utc>>,
    size: u64,
}

impl Store {
    /// All images with their tags (one row per tag, one `<none>` row for an
    /// untagged image), newest first.
    pub fn list(&self) -> Result<Vec<ImageSummary>> {
        let idx = self.read_index()?;
        let host = Platform::host();
        // Each image's tags, in one pass (not a scan of every tag per image).
        let mut tags: HashMap<&str, Vec<&String>> = HashMap::new();
        for (r, d) in &idx.refs {
            tags.entry(d.as_str()).or_default().push(r);
        }
        let mut rows = Vec::new();
        for top in idx.images.keys() {
            let refs = tags.get(top.as_str()).map_or(&[][..], Vec::as_slice);
            let img = match self.listed_image(&idx, top, refs, &host) {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!("image {top}: {e}");
                    continue;
                }
            };
            let base = ImageSummary {
                name: None,
                repository: "<none>".into(),
                tag: "<none>".into(),
                id: img.config_digest.clone(),
                digest: img.digest.clone(),
                repo_digest: None,
                created: img.created,
                size: img.size,
                dangling: img.references.is_empty(),
            };
            if img.references.is_empty() {
                let mut row = base.clone();
                // An untagged image pulled by digest still shows its name.
                if let Some(rd) = img.repo_digests.first() {
                    if let Some((n, d)) = rd.split_once('@') {
                        row.repository = crate::reference::familiar_name(n);
                        row.name = Some(n.to_string());
                        row.repo_digest = Some(d.to_string());
                    }
                }
                rows.push(row);
            }
            for r in &img.references {
                let name = r.name();
                let repo_digest = img
                    .repo_digests
                    .iter()
                    .find_map(|rd| rd.strip_prefix(&format!("{name}@")).map(str::to_string));
                rows.push(ImageSummary {
                    name: Some(name),
                    repository: r.familiar_name(),
                    tag: r.tag.clone().unwrap_or_else(|| "<none>".into()),
                    repo_digest,
                    ..base.clone()
                });
            }
        }
        rows.sort_by(|a, b| {
            b.created
                .cmp(&a.created)
                .then_with(|| a.repository.cmp(&b.repository))
                .then_with(|| a.tag.cmp(&b.tag))
        });
        Ok(rows)
    }

    /// What a row of `list` shows of one image record: from the record's
    /// cached listing when the blobs it names are still stored (the usual
    /// case: no file read at all), else from the config of the ID the
    /// index caches, else by full resolution, which also skips an image
    /// whose manifest is gone (with a warning).
    fn listed_image(
        &self,
        idx: &IndexFile,
        top: &str,
        refs: &[&String],
        host: &Platform,
    ) -> Result<Listed> {
        if let Some(l) = self.listed_from_index(idx, top, refs) {
            return Ok(l);
        }
        let img = self.image_from_record(idx, top, host, top, true)?;
        let (created, size) = match self.image_config(&img) {
            Ok(c) => (
                created_of(c.created().as_deref()),
                self.image_size_with(&img, &c),
            ),
            Err(_) => (None, 0),
        };
        Ok(Listed {
            config_digest: img.config_digest,
            digest: img.digest,
            references: img.references,
            repo_digests: img.repo_digests,
            created,
            size,
        })
    }

    /// [`Store::listed_image`] without resolving: `None` sends the image
    /// down the full resolution.
    fn listed_from_index(&self, idx: &IndexFile, top: &str, refs: &[&String]) -> Option<Listed> {
        let rec = idx.images.get(top)?;
        let digest = parse_digest(top).ok()?;
        let config_digest = parse_digest(&rec.id).ok()?;
        let (created, size) = match &rec.listing {
            Some(l) => {
                // The platform manifest is the top-level blob itself
                // unless this is an index: checked once, not twice.
                let manifest_gone = l.manifest != top
                    && !parse_digest(&l.manifest).is_ok_and(|m| self.has_blob(&m));
                if manifest_gone || !self.has_blob(&digest) || !self.has_blob(&config_digest) {
                    return None;
                }
                (created_of(l.created.as_deref()), l.size)
            }
            // Written by an older skiff, or not all layers unpacked when
            // it was registered. An index must be resolved to know its
            // manifest is here.
            None if media::is_index(&rec.media_type) || !self.has_blob(&digest) => return None,
            None => {
                let c = self.listed_config(&config_digest)?;
                (
                    created_of(c.created.as_deref()),
                    self.recorded_size(&c.rootfs.diff_ids)?,
                )
            }
        };
        Some(Listed {
            config_digest,
            digest,
            references: refs
                .iter()
                .filter_map(|r| normalize_reference(r).ok())
                .collect(),
            repo_digests: rec.repo_digests.iter().cloned().collect(),
            created,
            size,
        })
    }

    /// Parsed image config.
    pub fn image_config(&self, img: &Image) -> Result<ImageConfiguration> {
        parse_json(
            &self.read_blob(&img.config_digest)?,
            &format!("image config {}", img.config_digest),
        )
    }

    /// The exact config JSON bytes.
    pub fn image_config_raw(&self, img: &Image) -> Result<Vec<u8>> {
        self.read_blob(&img.config_digest)
    }

    /// The image's platform manifest.
    pub fn manifest<'a>(&self, img: &'a Image) -> &'a ImageManifest {
        &img.manifest
    }

    /// Unpacked size (docker's SIZE): the sum of the layers' content sizes
    /// where known (recorded at unpack), else their compressed sizes.
    pub fn image_size(&self, img: &Image) -> Result<u64> {
        let c = self.image_config(img)?;
        Ok(self.image_size_with(img, &c))
    }

    fn image_size_with(&self, img: &Image, c: &ImageConfiguration) -> u64 {
        let diffs = c.rootfs().diff_ids();
        img.manifest
            .layers()
            .iter()
            .enumerate()
            .map(|(i, l)| {
                diffs
                    .get(i)
                    .and_then(|d| parse_digest(d).ok())
                    .and_then(|d| self.layer_size(&d))
                    .unwrap_or(l.size())
            })
            .sum()
    }

    /// docker's `rmi`: untag `name`; when no tag is left, delete the image
    /// record (its blobs and snapshots go at the next GC, which runs right
    /// away when no other skiff holds a lease). Deleting an image by ID that
    /// several references point at needs `force`; so does one a container
    /// pins.
    pub fn remove_image(&self, name: &str, force: bool) -> Result<RemovedImage> {
        let idx = self.read_index()?;
        let top = find_top_digest(&idx, name)?;
        let by_reference = normalize_reference(name)
            .ok()
            .filter(|r| r.digest.is_none() && idx.refs.get(&r.to_string()) == Some(&top));
        let rec = idx
            .images
            .get(&top)
            .cloned()
            .ok_or_else(|| Error::ImageNotFound(name.to_string()))?;
        let refs: Vec<String> = idx.refs_to(&top).cloned().collect();
        let short = short_of(&rec.id);
        let mut out = RemovedImage::default();

        let pinned_by = self.pinned_by(&top, &rec.id)?;
        if let Some(r) = &by_reference {
            if refs.len() > 1 {
                self.untag(&r.to_string())?;
                out.untagged.push(r.familiar());
                return Ok(out);
            }
            if let (Some(p), false) = (pinned_by.first(), force) {
                return Err(Error::Conflict(format!(
                    "conflict: unable to remove repository reference \"{}\" (must force) - container {} is using its referenced image {}",
                    r.familiar(), p, short
                )));
            }
        } else if refs.len() > 1 && !force {
            return Err(Error::Conflict(format!(
                "conflict: unable to delete {short} (must be forced) - image is referenced in multiple repositories"
            )));
        } else if let (Some(p), false) = (pinned_by.first(), force) {
            return Err(Error::Conflict(format!(
                "conflict: unable to delete {short} (must be forced) - image is being used by container {p}"
            )));
        }

        self.update_index(|idx| {
            for r in idx.refs_to(&top).cloned().collect::<Vec<_>>() {
                idx.refs.remove(&r);
                if let Ok(ir) = normalize_reference(&r) {
                    out.untagged.push(ir.familiar());
                }
            }
            if let Some(rec) = idx.images.remove(&top) {
                for rd in rec.repo_digests {
                    if let Some((n, d)) = rd.split_once('@') {
                        out.untagged
                            .push(format!("{}@{d}", crate::reference::familiar_name(n)));
                    }
                }
                out.deleted.push(rec.id);
            }
            Ok(())
        })?;
        if let Err(e) = self.collect_garbage_if_idle() {
            tracing::warn!("collecting unreferenced content: {e}");
        }
        Ok(out)
    }
}

fn short_of(id: &str) -> String {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    hex.chars().take(12).collect()
}
