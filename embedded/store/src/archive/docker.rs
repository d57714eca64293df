//! docker-archive: saving (uncompressed layer tars, manifest.json,
//! repositories) and loading its entries.

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};

use oci_spec::image::Digest;

use super::load::ArchiveFiles;
use super::{json_bytes, tar_append, tar_append_bytes, ArchiveManifest, LoadedImage};
use crate::chain::chain_ids;
use crate::compression::{decompress, Compression};
use crate::digest::{digest_hex, parse_digest, HashingReader};
use crate::error::{Error, IoPath, Result};
use crate::images::{Image, ManifestFlavor};
use crate::layers::LayerInfo;
use crate::media;
use crate::reference::normalize_reference;
use crate::Store;

impl Store {
    /// Write `images` (each with the tags it carries) as a docker-archive tar.
    pub(super) fn write_docker_archive(
        &self,
        images: &[(Image, Vec<String>)],
        out: &mut dyn Write,
    ) -> Result<()> {
        let mut b = tar::Builder::new(out);
        let mut written: HashSet<String> = HashSet::new();
        let mut manifest: Vec<ArchiveManifest> = Vec::new();
        let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (img, tags) in images {
            let config = self.image_config_raw(img)?;
            let config_name = format!("{}.json", digest_hex(&img.config_digest));
            if written.insert(config_name.clone()) {
                tar_append_bytes(&mut b, &config_name, &config)?;
            }
            let diffs = self.image_diff_ids(img)?;
            let mut layer_names = Vec::new();
            for (desc, diff) in img.manifest.layers().iter().zip(&diffs) {
                let name = format!("{}.tar", digest_hex(diff));
                if written.insert(name.clone()) {
                    self.append_uncompressed_layer(&mut b, &name, desc.digest(), diff)?;
                }
                layer_names.push(name);
            }
            let familiar: Vec<String> = tags
                .iter()
                .filter_map(|t| normalize_reference(t).ok())
                .map(|r| r.familiar())
                .collect();
            if let Some(top) = chain_ids(&diffs).last() {
                for t in tags.iter().filter_map(|t| normalize_reference(t).ok()) {
                    repositories.entry(t.familiar_name()).or_default().insert(
                        t.tag.clone().unwrap_or_default(),
                        digest_hex(top).to_string(),
                    );
                }
            }
            manifest.push(ArchiveManifest {
                config: config_name,
                repo_tags: if familiar.is_empty() {
                    None
                } else {
                    Some(familiar)
                },
                layers: layer_names,
            });
        }
        tar_append_bytes(
            &mut b,
            "manifest.json",
            &json_bytes(&manifest, "manifest.json")?,
        )?;
        if !repositories.is_empty() {
            tar_append_bytes(
                &mut b,
                "repositories",
                &json_bytes(&repositories, "repositories")?,
            )?;
        }
        b.into_inner().ctx(|| "finishing the archive".into())?;
        Ok(())
    }

    /// Append a layer as an uncompressed tar. The tar header needs the size
    /// first, so a compressed layer is inflated to a temp file on the way.
    pub(super) fn append_uncompressed_layer(
        &self,
        b: &mut tar::Builder<&mut dyn Write>,
        name: &str,
        blob: &Digest,
        diff: &Digest,
    ) -> Result<()> {
        let f = self.open_blob(blob)?;
        let mut head = [0u8; 4];
        let n = {
            let mut f2 = self.open_blob(blob)?;
            f2.read(&mut head).at(self.blob_path(blob))?
        };
        if Compression::sniff(&head[..n]) == Compression::None {
            let size = self.blob_size(blob)?;
            return tar_append(b, name, size, &mut io::BufReader::new(f));
        }
        let (mut tmp, tmp_path) = self.create_temp_file("save")?;
        let result = (|| -> Result<()> {
            let mut hr = HashingReader::new(decompress(f, None).at(self.blob_path(blob))?);
            io::copy(&mut hr, &mut io::BufWriter::new(&mut tmp)).at(&tmp_path)?;
            let (_, got, size) = hr.finish();
            if got != diff.as_ref() {
                return Err(Error::DigestMismatch {
                    expected: diff.to_string(),
                    actual: got.to_string(),
                });
            }
            let mut r = File::open(&tmp_path).at(&tmp_path)?;
            tar_append(b, name, size, &mut io::BufReader::new(&mut r))
        })();
        let _ = fs::remove_file(&tmp_path);
        result
    }

    pub(super) fn load_docker_entries(&self, files: &ArchiveFiles) -> Result<Vec<LoadedImage>> {
        let entries: Vec<ArchiveManifest> = serde_json::from_slice(&files.small["manifest.json"])
            .map_err(|source| Error::Json {
            what: "manifest.json in the archive".into(),
            source,
        })?;
        let mut out = Vec::new();
        for e in entries {
            let config = files.read_small(self, &e.config)?;
            let cfg: oci_spec::image::ImageConfiguration = serde_json::from_slice(&config)
                .map_err(|source| Error::Json {
                    what: format!("{} in the archive", e.config),
                    source,
                })?;
            let diffs = cfg.rootfs().diff_ids();
            if diffs.len() != e.layers.len() {
                return Err(Error::InvalidArchive(format!(
                    "{}: config lists {} layers, manifest.json {}",
                    e.config,
                    diffs.len(),
                    e.layers.len()
                )));
            }
            let mut layers = Vec::new();
            for (path, diff) in e.layers.iter().zip(diffs) {
                let diff = parse_digest(diff)?;
                let mut r = files.open(self, path)?;
                let mut lw = self.layer_writer(None)?;
                let mut hr = HashingReader::new(
                    decompress(&mut r, None).ctx(|| format!("reading layer {path}"))?,
                );
                io::copy(&mut hr, &mut lw).ctx(|| format!("storing layer {path}"))?;
                let (_, got, _) = hr.finish();
                if got != diff.as_ref() {
                    return Err(Error::InvalidArchive(format!(
                        "layer {path}: content is {got}, but the config says {diff}"
                    )));
                }
                let info: LayerInfo = lw.commit(media::DOCKER_LAYER_GZIP)?;
                layers.push(info);
            }
            let digest = self.write_image_raw(&config, &layers, ManifestFlavor::Docker)?;
            let mut refs = Vec::new();
            for t in e.repo_tags.unwrap_or_default() {
                let r = self.tag(&t, &digest)?;
                refs.push(r.familiar());
            }
            let id = crate::digest::sha256_digest(&config);
            out.push(LoadedImage {
                digest,
                id,
                references: refs,
            });
        }
        Ok(out)
    }
}
