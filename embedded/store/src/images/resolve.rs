//! Resolving a user's name, ID or digest to an image, and choosing the
//! manifest for a platform.

use std::collections::BTreeSet;

use oci_spec::image::{Digest, ImageManifest};

use super::platforms::{platform_list, spelled, PlatformEntry};
use super::Image;
use crate::digest::{is_full_hex, parse_digest};
use crate::error::{Error, Result};
use crate::index::IndexFile;
use crate::media;
use crate::reference::normalize_reference;
use crate::Store;
use skiff_core::Platform;

impl Store {
    /// Choose the manifest for `platform` from a stored index: the best
    /// ranked entry whose content is in the store. An index that lists the
    /// platform without its content here, or that has no such platform,
    /// is [`Error::NoMatchingPlatform`] (`listed` tells which).
    pub fn select_manifest(
        &self,
        index_digest: &Digest,
        platform: &Platform,
        what: &str,
    ) -> Result<Digest> {
        let entries = self.image_platforms(index_digest)?;
        let mut candidates: Vec<(u32, &PlatformEntry)> = entries
            .iter()
            .filter_map(|e| Some((platform.rank(e.platform.as_ref()?)?, e)))
            .collect();
        // Best rank first; among equals, index order (stable sort).
        candidates.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
        if let Some((_, e)) = candidates.iter().find(|(_, e)| e.present) {
            return Ok(e.digest.clone());
        }
        let listed = !candidates.is_empty();
        let shown: Vec<PlatformEntry> = entries
            .iter()
            .filter(|e| !listed || e.present)
            .cloned()
            .collect();
        Err(Error::NoMatchingPlatform {
            reference: what.to_string(),
            platform: platform.to_string(),
            available: match platform_list(&shown) {
                s if s.is_empty() => "none".into(),
                s => s,
            },
            listed,
        })
    }

    /// Resolve a top-level digest to its platform manifest. `lenient`
    /// (no `--platform` given): an index without the host's platform here
    /// gives the first platform present, as docker's containerd store
    /// prefers the host but takes what was pulled. Strict: a
    /// single-platform image of another platform is refused too.
    pub(super) fn platform_manifest(
        &self,
        top: &Digest,
        media_type: &str,
        platform: &Platform,
        what: &str,
        lenient: bool,
    ) -> Result<(Digest, ImageManifest)> {
        let md = if media::is_index(media_type) {
            match self.select_manifest(top, platform, what) {
                Ok(d) => d,
                Err(e @ Error::NoMatchingPlatform { .. }) if lenient => self
                    .image_platforms(top)?
                    .into_iter()
                    .find(|e| e.present && e.platform.is_some())
                    .map(|e| e.digest)
                    .ok_or(e)?,
                Err(e) => return Err(e),
            }
        } else {
            top.clone()
        };
        let m = self.read_manifest(&md)?;
        if !lenient && !media::is_index(media_type) {
            let have = self.config_platform(m.config().digest())?;
            if !platform.matches(&have) {
                return Err(Error::NoMatchingPlatform {
                    reference: what.to_string(),
                    platform: platform.to_string(),
                    available: spelled(&have),
                    listed: false,
                });
            }
        }
        Ok((md, m))
    }

    /// Find an image by reference (`busybox`, `busybox:1`, `name@sha256:..`),
    /// full or short image ID, or manifest digest; multi-platform images
    /// resolve to the host platform's manifest.
    /// When a multi-platform image holds no manifest for the host (pulled
    /// with `--platform`), the platform whose content is present is used.
    pub fn resolve(&self, name: &str) -> Result<Image> {
        let idx = self.read_index()?;
        let top = find_top_digest(&idx, name)?;
        self.image_from_record(&idx, &top, &Platform::host(), name, true)
    }

    /// [`Store::resolve`] for a given platform, strictly: an index without a
    /// manifest for `platform` here, or a single-platform image of another
    /// platform, is [`Error::NoMatchingPlatform`].
    pub fn resolve_for(&self, name: &str, platform: &Platform) -> Result<Image> {
        let idx = self.read_index()?;
        let top = find_top_digest(&idx, name)?;
        self.image_from_record(&idx, &top, platform, name, false)
    }

    /// The top-level digest `name` designates, without reading manifests.
    pub fn lookup(&self, name: &str) -> Result<Digest> {
        let idx = self.read_index()?;
        parse_digest(&find_top_digest(&idx, name)?)
    }

    pub(super) fn image_from_record(
        &self,
        idx: &IndexFile,
        top: &str,
        platform: &Platform,
        what: &str,
        lenient: bool,
    ) -> Result<Image> {
        let rec = idx
            .images
            .get(top)
            .ok_or_else(|| Error::ImageNotFound(what.to_string()))?;
        let digest = parse_digest(top)?;
        let (manifest_digest, manifest) =
            self.platform_manifest(&digest, &rec.media_type, platform, what, lenient)?;
        let references = idx
            .refs_to(top)
            .filter_map(|r| normalize_reference(r).ok())
            .collect();
        Ok(Image {
            config_digest: manifest.config().digest().clone(),
            digest,
            media_type: rec.media_type.clone(),
            manifest_digest,
            manifest,
            references,
            repo_digests: rec.repo_digests.iter().cloned().collect(),
        })
    }
}

/// docker's lookup order: a full digest (image ID or manifest digest), a
/// reference (tag or name@digest), then an image ID prefix.
pub(super) fn find_top_digest(idx: &IndexFile, name: &str) -> Result<String> {
    let not_found = || Error::ImageNotFound(name.to_string());
    if let Some(hex) = name.strip_prefix("sha256:") {
        if is_full_hex(hex) {
            if idx.images.contains_key(name) {
                return Ok(name.to_string());
            }
            return idx
                .images
                .iter()
                .find(|(_, r)| r.id == name)
                .map(|(d, _)| d.clone())
                .ok_or_else(not_found);
        }
        return find_by_id_prefix(idx, hex, name);
    }
    if let Ok(r) = normalize_reference(name) {
        if let Some(d) = &r.digest {
            let wanted = format!("{}@{}", r.name(), d);
            if let Some((top, _)) = idx
                .images
                .iter()
                .find(|(top, rec)| rec.repo_digests.contains(&wanted) || *top == d)
            {
                return Ok(top.clone());
            }
            return Err(not_found());
        }
        if let Some(d) = idx.refs.get(&r.to_string()) {
            return Ok(d.clone());
        }
    }
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        return find_by_id_prefix(idx, &name.to_ascii_lowercase(), name);
    }
    Err(not_found())
}

fn find_by_id_prefix(idx: &IndexFile, hex: &str, name: &str) -> Result<String> {
    let mut found: Vec<(&String, &String)> = idx
        .images
        .iter()
        .filter(|(_, r)| {
            r.id.strip_prefix("sha256:")
                .unwrap_or(&r.id)
                .starts_with(hex)
        })
        .map(|(d, r)| (d, &r.id))
        .collect();
    found.dedup_by(|a, b| a.1 == b.1);
    match found.len() {
        0 => Err(Error::ImageNotFound(name.to_string())),
        1 => Ok(found[0].0.clone()),
        _ => {
            // Several records with one ID (the same image as docker and OCI
            // manifests) are one image to the user: take the tagged one.
            let ids: BTreeSet<&String> = found.iter().map(|f| f.1).collect();
            if ids.len() == 1 {
                let tagged = found
                    .iter()
                    .find(|(d, _)| idx.refs.values().any(|v| v == *d));
                Ok(tagged.unwrap_or(&found[0]).0.clone())
            } else {
                Err(Error::AmbiguousId(name.to_string()))
            }
        }
    }
}
