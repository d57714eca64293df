//! OCI image layout: saving the stored blobs as they are, and loading an
//! index.json's images.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};

use oci_spec::image::Digest;
use serde_json::json;

use super::load::{blob_path_digest, ArchiveFiles};
use super::{
    json_bytes, tar_append, tar_append_bytes, ArchiveManifest, LoadedImage, ANNOTATION_IMAGE_NAME,
    ANNOTATION_REF_NAME,
};
use crate::digest::digest_hex;
use crate::error::{Error, IoPath, Result};
use crate::images::{sniff_media_type, Image};
use crate::media;
use crate::reference::normalize_reference;
use crate::Store;

/// The OCI-layout tar being written and the blobs already in it: images
/// share blobs, and each goes in once.
struct BlobTar<'w> {
    tar: tar::Builder<&'w mut dyn Write>,
    written: HashSet<String>,
}

impl Store {
    /// Write `images` (each with the tags it carries) as an OCI-layout tar;
    /// `one_platform` when a platform was asked for.
    pub(super) fn write_oci_archive(
        &self,
        images: &[(Image, Vec<String>)],
        one_platform: bool,
        out: &mut dyn Write,
    ) -> Result<()> {
        let mut out = BlobTar {
            tar: tar::Builder::new(out),
            written: HashSet::new(),
        };
        tar_append_bytes(
            &mut out.tar,
            "oci-layout",
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        let mut manifests = Vec::new();
        for (img, tags) in images {
            // A multi-platform index is kept only when every platform's
            // content is here and no platform was asked for; otherwise the
            // chosen manifest alone.
            let (top, top_mt) = if !one_platform
                && media::is_index(&img.media_type)
                && self.index_complete(&img.digest)
            {
                (img.digest.clone(), img.media_type.clone())
            } else {
                let mt = sniff_media_type(&self.read_blob(&img.manifest_digest)?, "manifest")?;
                (img.manifest_digest.clone(), mt)
            };
            self.append_blob_tree(&mut out, &top)?;
            let size = self.blob_size(&top)?;
            let refs: Vec<Option<String>> = if tags.is_empty() {
                vec![None]
            } else {
                tags.iter().cloned().map(Some).collect()
            };
            for t in refs {
                let mut d = json!({"mediaType": top_mt, "digest": top.to_string(), "size": size});
                if let Some(t) = t.and_then(|t| normalize_reference(&t).ok()) {
                    d["annotations"] = json!({
                        ANNOTATION_IMAGE_NAME: t.to_string(),
                        ANNOTATION_REF_NAME: t.tag.clone().unwrap_or_default(),
                    });
                }
                manifests.push(d);
            }
        }
        let index = json!({
            "schemaVersion": 2,
            "mediaType": media::OCI_INDEX,
            "manifests": manifests,
        });
        tar_append_bytes(
            &mut out.tar,
            "index.json",
            &json_bytes(&index, "index.json")?,
        )?;
        out.tar
            .into_inner()
            .ctx(|| "finishing the archive".into())?;
        Ok(())
    }

    pub(super) fn index_complete(&self, index: &Digest) -> bool {
        let Ok(ix) = self.read_index_blob(index) else {
            return false;
        };
        ix.manifests().iter().all(|m| {
            self.read_manifest(m.digest())
                .map(|mf| {
                    self.has_blob(mf.config().digest())
                        && mf.layers().iter().all(|l| self.has_blob(l.digest()))
                })
                .unwrap_or(false)
        })
    }

    /// Append a manifest or index and everything it references.
    fn append_blob_tree(&self, out: &mut BlobTar, d: &Digest) -> Result<()> {
        let mut children = Vec::new();
        let bytes = self.read_blob(d)?;
        let mt = sniff_media_type(&bytes, &format!("blob {d}"))?;
        if media::is_index(&mt) {
            for m in self.read_index_blob(d)?.manifests() {
                self.append_blob_tree(out, m.digest())?;
            }
        } else {
            let m = self.read_manifest(d)?;
            children.push(m.config().digest().clone());
            children.extend(m.layers().iter().map(|l| l.digest().clone()));
        }
        for c in children {
            self.append_blob(out, &c)?;
        }
        self.append_blob(out, d)
    }

    fn append_blob(&self, out: &mut BlobTar, d: &Digest) -> Result<()> {
        let name = format!("blobs/sha256/{}", digest_hex(d));
        if !out.written.insert(name.clone()) {
            return Ok(());
        }
        let size = self.blob_size(d)?;
        let f = self.open_blob(d)?;
        tar_append(&mut out.tar, &name, size, &mut io::BufReader::new(f))
    }

    pub(super) fn load_oci_entries(&self, files: &ArchiveFiles) -> Result<Vec<LoadedImage>> {
        let ix: oci_spec::image::ImageIndex = serde_json::from_slice(&files.small["index.json"])
            .map_err(|source| Error::Json {
                what: "index.json in the archive".into(),
                source,
            })?;
        // docker ≥ 25 puts the tags in manifest.json; use them too.
        let mut docker_tags: HashMap<String, Vec<String>> = HashMap::new();
        if let Some(m) = files.small.get("manifest.json") {
            if let Ok(entries) = serde_json::from_slice::<Vec<ArchiveManifest>>(m) {
                for e in entries {
                    if let Some(d) = blob_path_digest(&e.config) {
                        docker_tags
                            .entry(d.to_string())
                            .or_default()
                            .extend(e.repo_tags.unwrap_or_default());
                    }
                }
            }
        }
        let mut out: Vec<LoadedImage> = Vec::new();
        for m in ix.manifests() {
            let d = m.digest().clone();
            if !self.has_blob(&d) {
                return Err(Error::InvalidArchive(format!(
                    "index.json names {d}, which the archive does not contain"
                )));
            }
            self.add_image(&d)?;
            let img = self.resolve(d.as_ref())?;
            let mut names: Vec<String> = Vec::new();
            if let Some(a) = m.annotations() {
                if let Some(n) = a.get(ANNOTATION_IMAGE_NAME) {
                    names.push(n.clone());
                } else if let Some(n) = a.get(ANNOTATION_REF_NAME) {
                    // A bare tag ("latest") names no repository: untagged.
                    if n.contains('/') || n.contains(':') {
                        names.push(n.clone());
                    }
                }
            }
            names.extend(
                docker_tags
                    .get(&img.config_digest.to_string())
                    .cloned()
                    .unwrap_or_default(),
            );
            let mut refs = Vec::new();
            for n in names {
                let r = self.tag(&n, &d)?.familiar();
                if !refs.contains(&r) {
                    refs.push(r);
                }
            }
            match out.iter_mut().find(|l| l.digest == d) {
                Some(l) => l.references.extend(refs),
                None => out.push(LoadedImage {
                    digest: d,
                    id: img.config_digest.clone(),
                    references: refs,
                }),
            }
        }
        Ok(out)
    }
}
