//! Images: storing manifests, tagging, resolving a user's name/ID/digest to
//! an image, listing and removing.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use oci_spec::image::{Digest, ImageConfiguration, ImageIndex, ImageManifest};
use serde_json::json;

use crate::digest::{digest_hex, parse_digest};
use crate::error::{Error, Result};
use crate::index::{ImageRecord, IndexFile};
use crate::layers::LayerInfo;
use crate::media;
use crate::reference::{normalize_reference, ImageRef};
use crate::Store;
use skiff_core::Platform;

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

    /// Choose the manifest for `platform` from a stored index. Prefers
    /// entries whose manifest blob is present (a pull fetches one platform).
    pub fn select_manifest(
        &self,
        index_digest: &Digest,
        platform: &Platform,
        what: &str,
    ) -> Result<Digest> {
        let idx = self.read_index_blob(index_digest)?;
        let mut candidates = Vec::new();
        let mut available = Vec::new();
        for m in idx.manifests() {
            let Some(p) = m.platform() else { continue };
            let os = p.os().to_string();
            let arch = p.architecture().to_string();
            let variant = p.variant().clone();
            available.push(match &variant {
                Some(v) => format!("{os}/{arch}/{v}"),
                None => format!("{os}/{arch}"),
            });
            let entry = Platform::new(&os, &arch, variant.as_deref());
            if let Some(rank) = platform.rank(&entry) {
                candidates.push((rank, m.digest().clone()));
            }
        }
        // Best rank first; among equals, index order (stable sort).
        candidates.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
        let candidates: Vec<Digest> = candidates.into_iter().map(|(_, d)| d).collect();
        if let Some(d) = candidates.iter().find(|d| self.has_blob(d)) {
            return Ok(d.clone());
        }
        candidates
            .into_iter()
            .next()
            .ok_or_else(|| Error::NoMatchingPlatform {
                reference: what.to_string(),
                platform: platform.to_string(),
                available: available.join(", "),
            })
    }

    /// Resolve a top-level digest to its platform manifest.
    fn platform_manifest(
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
                // Only another platform's content is here (`pull --platform`):
                // show and run that rather than call the image missing.
                Err(e @ Error::NoMatchingPlatform { .. }) if lenient => self
                    .read_index_blob(top)?
                    .manifests()
                    .iter()
                    .map(|m| m.digest().clone())
                    .find(|d| self.has_blob(d))
                    .ok_or(e)?,
                Err(e) => return Err(e),
            }
        } else {
            top.clone()
        };
        let m = self.read_manifest(&md)?;
        Ok((md, m))
    }

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
        let id = match self.platform_manifest(digest, &mt, &Platform::host(), digest.as_ref(), true)
        {
            Ok((_, m)) => m.config().digest().to_string(),
            // An index without a manifest for this host: still an image
            // (save/push work); its ID is the index digest.
            Err(Error::NoMatchingPlatform { .. }) | Err(Error::BlobNotFound(_)) => {
                digest.to_string()
            }
            Err(e) => return Err(e),
        };
        self.update_index(|idx| {
            idx.images
                .entry(digest.to_string())
                .or_insert_with(|| ImageRecord {
                    media_type: mt.clone(),
                    id: id.clone(),
                    repo_digests: BTreeSet::new(),
                    added: Utc::now().to_rfc3339(),
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
        let m = self.put_blob(&bytes, None)?;
        self.add_image(&m.digest)?;
        Ok(m.digest)
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
    /// manifest for `platform` is [`Error::NoMatchingPlatform`].
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

    fn image_from_record(
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

    /// All images with their tags (one row per tag, one `<none>` row for an
    /// untagged image), newest first.
    pub fn list(&self) -> Result<Vec<ImageSummary>> {
        let idx = self.read_index()?;
        let host = Platform::host();
        let mut rows = Vec::new();
        for top in idx.images.keys() {
            let img = match self.image_from_record(&idx, top, &host, top, true) {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!("image {top}: {e}");
                    continue;
                }
            };
            let (created, size) = match self.image_config(&img) {
                Ok(c) => (
                    c.created()
                        .as_deref()
                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                        .map(|d| d.with_timezone(&Utc)),
                    self.image_size_with(&img, &c),
                ),
                Err(_) => (None, 0),
            };
            let base = ImageSummary {
                name: None,
                repository: "<none>".into(),
                tag: "<none>".into(),
                id: img.config_digest.clone(),
                digest: img.digest.clone(),
                repo_digest: None,
                created,
                size,
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

/// docker's lookup order: a full digest (image ID or manifest digest), a
/// reference (tag or name@digest), then an image ID prefix.
fn find_top_digest(idx: &IndexFile, name: &str) -> Result<String> {
    let not_found = || Error::ImageNotFound(name.to_string());
    if let Some(hex) = name.strip_prefix("sha256:") {
        if crate::digest::is_full_hex(hex) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256_digest;
    use std::io::Write;

    /// A one-layer image for `arch`, registered but untagged.
    fn image(s: &Store, arch: &str, content: &[u8]) -> (Digest, Digest) {
        let mut lw = s.layer_writer(None).unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "file", content).unwrap();
        lw.write_all(&tar.into_inner().unwrap()).unwrap();
        let layer = lw.commit(media::OCI_LAYER_GZIP).unwrap();
        let cfg = json!({
            "architecture": arch, "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id.to_string()]},
        });
        let bytes = serde_json::to_vec(&cfg).unwrap();
        let m = s
            .write_image_raw(&bytes, &[layer], ManifestFlavor::Oci)
            .unwrap();
        (m, sha256_digest(&bytes))
    }

    #[test]
    fn resolve_by_tag_id_prefix_digest_and_platform() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let (amd, amd_id) = image(&s, "amd64", b"amd");
        let (arm, arm_id) = image(&s, "arm64", b"arm");
        let index = json!({
            "schemaVersion": 2, "mediaType": media::OCI_INDEX,
            "manifests": [
                {"mediaType": media::OCI_MANIFEST, "digest": amd.to_string(), "size": s.blob_size(&amd).unwrap(),
                 "platform": {"os": "linux", "architecture": "amd64"}},
                {"mediaType": media::OCI_MANIFEST, "digest": arm.to_string(), "size": s.blob_size(&arm).unwrap(),
                 "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            ],
        });
        let ix = s
            .put_blob(&serde_json::to_vec(&index).unwrap(), None)
            .unwrap();
        s.tag("multi", &ix.digest).unwrap();

        let want_id = if Platform::host().architecture == "arm64" {
            &arm_id
        } else {
            &amd_id
        };
        let img = s.resolve("multi").unwrap();
        assert_eq!(img.digest, ix.digest);
        assert_eq!(img.id(), want_id);
        let arm_img = s
            .resolve_for("multi", &Platform::parse("linux/arm64").unwrap())
            .unwrap();
        assert_eq!(arm_img.id(), &arm_id);
        assert_eq!(arm_img.manifest_digest, arm);
        // Only arm64 content present: strict resolve_for fails for the host,
        // resolve falls back to what is there.
        let only_arm = json!({"schemaVersion": 2, "mediaType": media::OCI_INDEX, "manifests": [
            {"mediaType": media::OCI_MANIFEST, "digest": arm.to_string(), "size": s.blob_size(&arm).unwrap(),
             "platform": {"os": "linux", "architecture": "arm64"}}]});
        let oa = s
            .put_blob(&serde_json::to_vec(&only_arm).unwrap(), None)
            .unwrap();
        s.tag("onlyarm", &oa.digest).unwrap();
        if Platform::host().architecture != "arm64" {
            assert!(s.resolve_for("onlyarm", &Platform::host()).is_err());
            assert_eq!(s.resolve("onlyarm").unwrap().id(), &arm_id);
        }
        let err = s
            .resolve_for("multi", &Platform::parse("linux/s390x").unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("linux/arm64/v8"), "{err}");

        assert_eq!(
            s.resolve("docker.io/library/multi:latest").unwrap().digest,
            ix.digest
        );
        assert_eq!(s.resolve(&amd_id.digest()[..10]).unwrap().id(), &amd_id);
        assert_eq!(s.resolve(amd_id.as_ref()).unwrap().id(), &amd_id);
        assert_eq!(s.resolve(amd.as_ref()).unwrap().manifest_digest, amd);
        s.add_repo_digest(&ix.digest, "127.0.0.1:5000/multi", &ix.digest)
            .unwrap();
        assert_eq!(
            s.resolve(&format!("127.0.0.1:5000/multi@{}", ix.digest))
                .unwrap()
                .digest,
            ix.digest
        );
        assert!(matches!(s.resolve("nope"), Err(Error::ImageNotFound(_))));

        // Untagged single-platform images are listed as <none>.
        let rows = s.list().unwrap();
        assert_eq!(rows.iter().filter(|r| r.dangling).count(), 2);
        assert_eq!(
            rows.iter().filter(|r| r.repository == "onlyarm").count(),
            1,
            "{rows:?}"
        );
        assert_eq!(rows.iter().filter(|r| r.repository == "multi").count(), 1);
    }

    #[test]
    fn prune_keeps_tagged_and_pinned_content() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let (a, _) = image(&s, "amd64", b"a");
        let (b, _) = image(&s, "amd64", b"b");
        let (c, _) = image(&s, "amd64", b"c");
        s.tag("a", &a).unwrap();
        s.pin("containers", "ctr1", std::slice::from_ref(&b))
            .unwrap();
        let img_b = s.resolve(b.as_ref()).unwrap();
        let snaps = s.image_layers(&img_b).unwrap();
        assert!(snaps[0].join("file").is_file());

        let r = s.prune(false).unwrap();
        assert_eq!(
            r.deleted_images.len(),
            1,
            "only the unpinned dangling image"
        );
        assert!(s.lookup(c.as_ref()).is_err());
        assert!(s.has_blob(&a) && s.has_blob(&b) && !s.has_blob(&c));
        assert!(snaps[0].is_dir(), "pinned image keeps its snapshot");

        // rmi of a pinned image needs force.
        let err = s.remove_image(b.as_ref(), false).unwrap_err();
        assert!(err.to_string().contains("ctr1"), "{err}");
        s.unpin("containers", "ctr1").unwrap();
        let r = s.prune(true).unwrap();
        assert_eq!(r.deleted_images.len(), 2);
        assert_eq!(s.list_blobs().unwrap().len(), 0);
        assert_eq!(s.list_snapshots().unwrap().len(), 0);
    }
}
