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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::PathBuf;

use oci_spec::image::Digest;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::chain::chain_ids;
use crate::compression::{decompress, Compression};
use crate::digest::{digest_hex, parse_digest, HashingReader};
use crate::error::{Error, IoPath, Result};
use crate::images::{sniff_media_type, Image, ManifestFlavor};
use crate::layers::LayerInfo;
use crate::media;
use crate::reference::normalize_reference;
use crate::Store;

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
struct ArchiveManifest {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";

/// Small documents of an archive kept in memory while loading.
const SMALL_FILE_LIMIT: u64 = 16 << 20;

fn tar_append(
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

fn tar_append_bytes(b: &mut tar::Builder<&mut dyn Write>, path: &str, bytes: &[u8]) -> Result<()> {
    tar_append(b, path, bytes.len() as u64, &mut &bytes[..])
}

fn json_bytes(v: &impl Serialize, what: &str) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|source| Error::Json {
        what: what.into(),
        source,
    })
}

impl Store {
    /// Write a docker-archive or OCI-layout tar of the images `names`.
    pub fn save(&self, names: &[String], format: ArchiveFormat, out: &mut dyn Write) -> Result<()> {
        match format {
            ArchiveFormat::Docker => self.save_docker_archive(names, out),
            ArchiveFormat::Oci => self.save_oci_archive(names, out),
        }
    }

    /// Resolve the names to save, with the tags each should carry.
    fn images_to_save(&self, names: &[String]) -> Result<Vec<(Image, Vec<String>)>> {
        let mut out: Vec<(Image, Vec<String>)> = Vec::new();
        for n in names {
            let img = self.resolve(n)?;
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

    /// Write the images `names` as a docker-archive tar.
    pub fn save_docker_archive(&self, names: &[String], out: &mut dyn Write) -> Result<()> {
        let images = self.images_to_save(names)?;
        let mut b = tar::Builder::new(out);
        let mut written: HashSet<String> = HashSet::new();
        let mut manifest: Vec<ArchiveManifest> = Vec::new();
        let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (img, tags) in &images {
            let config = self.image_config_raw(img)?;
            let cfg = self.image_config(img)?;
            let config_name = format!("{}.json", digest_hex(&img.config_digest));
            if written.insert(config_name.clone()) {
                tar_append_bytes(&mut b, &config_name, &config)?;
            }
            let diffs = cfg.rootfs().diff_ids();
            if diffs.len() != img.manifest.layers().len() {
                return Err(Error::InvalidImage(format!(
                    "image {}: config lists {} layers, manifest {}",
                    img.config_digest,
                    diffs.len(),
                    img.manifest.layers().len()
                )));
            }
            let mut layer_names = Vec::new();
            for (desc, diff) in img.manifest.layers().iter().zip(diffs) {
                let diff = parse_digest(diff)?;
                let name = format!("{}.tar", digest_hex(&diff));
                if written.insert(name.clone()) {
                    self.append_uncompressed_layer(&mut b, &name, desc.digest(), &diff)?;
                }
                layer_names.push(name);
            }
            let familiar: Vec<String> = tags
                .iter()
                .filter_map(|t| normalize_reference(t).ok())
                .map(|r| r.familiar())
                .collect();
            if let Some(top) = diffs.last().and_then(|_| {
                let ds: Vec<Digest> = diffs.iter().filter_map(|d| parse_digest(d).ok()).collect();
                chain_ids(&ds).last().cloned()
            }) {
                for t in tags.iter().filter_map(|t| normalize_reference(t).ok()) {
                    repositories.entry(t.familiar_name()).or_default().insert(
                        t.tag.clone().unwrap_or_default(),
                        digest_hex(&top).to_string(),
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
    fn append_uncompressed_layer(
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

    /// Write the images `names` as an OCI-layout tar.
    pub fn save_oci_archive(&self, names: &[String], out: &mut dyn Write) -> Result<()> {
        let images = self.images_to_save(names)?;
        let mut b = tar::Builder::new(out);
        tar_append_bytes(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let mut written: HashSet<String> = HashSet::new();
        let mut manifests = Vec::new();
        for (img, tags) in &images {
            // A multi-platform index is kept only when every platform's
            // content is here; otherwise the host manifest alone.
            let (top, top_mt) =
                if media::is_index(&img.media_type) && self.index_complete(&img.digest) {
                    (img.digest.clone(), img.media_type.clone())
                } else {
                    let mt = sniff_media_type(&self.read_blob(&img.manifest_digest)?, "manifest")?;
                    (img.manifest_digest.clone(), mt)
                };
            self.append_blob_tree(&mut b, &top, &mut written)?;
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
        tar_append_bytes(&mut b, "index.json", &json_bytes(&index, "index.json")?)?;
        b.into_inner().ctx(|| "finishing the archive".into())?;
        Ok(())
    }

    fn index_complete(&self, index: &Digest) -> bool {
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
    fn append_blob_tree(
        &self,
        b: &mut tar::Builder<&mut dyn Write>,
        d: &Digest,
        written: &mut HashSet<String>,
    ) -> Result<()> {
        let mut children = Vec::new();
        let bytes = self.read_blob(d)?;
        let mt = sniff_media_type(&bytes, &format!("blob {d}"))?;
        if media::is_index(&mt) {
            for m in self.read_index_blob(d)?.manifests() {
                self.append_blob_tree(b, m.digest(), written)?;
            }
        } else {
            let m = self.read_manifest(d)?;
            children.push(m.config().digest().clone());
            children.extend(m.layers().iter().map(|l| l.digest().clone()));
        }
        for c in children {
            self.append_blob(b, &c, written)?;
        }
        self.append_blob(b, d, written)
    }

    fn append_blob(
        &self,
        b: &mut tar::Builder<&mut dyn Write>,
        d: &Digest,
        written: &mut HashSet<String>,
    ) -> Result<()> {
        let name = format!("blobs/sha256/{}", digest_hex(d));
        if !written.insert(name.clone()) {
            return Ok(());
        }
        let size = self.blob_size(d)?;
        let f = self.open_blob(d)?;
        tar_append(b, &name, size, &mut io::BufReader::new(f))
    }

    /// Load a docker-archive or OCI-layout tar (plain or compressed).
    /// Blobs are verified against their digests, layers against the
    /// config's diff IDs; snapshots are unpacked.
    pub fn load_archive(&self, input: &mut dyn Read) -> Result<Vec<LoadedImage>> {
        let _lease = self.lease()?;
        let tmp = self.create_temp_dir("load")?;
        let result = self.load_archive_in(input, &tmp);
        let _ = crate::tmp::remove_tree(&tmp);
        result
    }

    fn load_archive_in(
        &self,
        input: &mut dyn Read,
        tmp: &std::path::Path,
    ) -> Result<Vec<LoadedImage>> {
        let mut files = ArchiveFiles::default();
        let r = decompress(input, None).ctx(|| "reading the archive".into())?;
        let mut ar = tar::Archive::new(r);
        let bad = |e: io::Error| Error::InvalidArchive(format!("reading the archive: {e}"));
        let mut n_spilled = 0u32;
        for entry in ar.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let raw = entry.path_bytes().into_owned();
            let Some(comps) = crate::unpack::clean_path(&raw) else {
                return Err(Error::InvalidArchive(format!(
                    "archive entry {:?} climbs out of the archive",
                    String::from_utf8_lossy(&raw)
                )));
            };
            let path = comps
                .iter()
                .map(|c| c.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            match entry.header().entry_type() {
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    if let Some(t) = entry.link_name_bytes() {
                        let t = String::from_utf8_lossy(&t).into_owned();
                        let target = if entry.header().entry_type() == tar::EntryType::Link {
                            t
                        } else {
                            let base = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                            format!("{base}/{t}")
                        };
                        let clean = crate::unpack::clean_path(target.as_bytes())
                            .map(|c| {
                                c.iter()
                                    .map(|c| c.to_string_lossy())
                                    .collect::<Vec<_>>()
                                    .join("/")
                            })
                            .unwrap_or_default();
                        files.links.insert(path, clean);
                    }
                    continue;
                }
                tar::EntryType::Regular | tar::EntryType::Continuous => {}
                _ => continue,
            }
            let size = entry.header().size().unwrap_or(0);
            if let Some(d) = blob_path_digest(&path) {
                let mut w = self.blob_writer(Some(&d))?;
                io::copy(&mut entry, &mut w).map_err(bad)?;
                w.commit().map_err(|e| match e {
                    Error::DigestMismatch { expected, actual } => Error::InvalidArchive(format!(
                        "archive blob {path} does not match its digest {expected} (content is {actual})"
                    )),
                    e => e,
                })?;
                files.blobs.insert(path, d);
            } else if size <= SMALL_FILE_LIMIT && !path.ends_with(".tar") {
                let mut v = Vec::with_capacity(size as usize);
                entry.read_to_end(&mut v).map_err(bad)?;
                files.small.insert(path, v);
            } else {
                n_spilled += 1;
                let p = tmp.join(format!("f{n_spilled}"));
                let mut f = File::create(&p).at(&p)?;
                io::copy(&mut entry, &mut f).map_err(bad)?;
                files.spilled.insert(path, p);
            }
        }

        let loaded = if files.small.contains_key("manifest.json") && !self.prefer_oci(&files) {
            self.load_docker_entries(&files)?
        } else if files.small.contains_key("index.json") {
            self.load_oci_entries(&files)?
        } else {
            return Err(Error::InvalidArchive(
                "the archive has neither manifest.json (docker-archive) nor index.json (OCI layout)".into(),
            ));
        };
        for l in &loaded {
            if let Ok(img) = self.resolve(l.digest.as_ref()) {
                self.image_layers(&img)?;
            }
        }
        Ok(loaded)
    }

    /// docker ≥ 25 writes both formats in one tar; the OCI side keeps the
    /// manifest digest, so use it when its blobs are all there.
    fn prefer_oci(&self, files: &ArchiveFiles) -> bool {
        let Some(ix) = files.small.get("index.json") else {
            return false;
        };
        let Ok(ix) = serde_json::from_slice::<oci_spec::image::ImageIndex>(ix) else {
            return false;
        };
        !ix.manifests().is_empty()
            && ix.manifests().iter().all(|m| {
                self.read_manifest(m.digest())
                    .map(|mf| {
                        mf.layers().iter().all(|l| self.has_blob(l.digest()))
                            && self.has_blob(mf.config().digest())
                    })
                    .unwrap_or(false)
            })
    }

    fn load_docker_entries(&self, files: &ArchiveFiles) -> Result<Vec<LoadedImage>> {
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

    fn load_oci_entries(&self, files: &ArchiveFiles) -> Result<Vec<LoadedImage>> {
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

/// `blobs/sha256/<hex>` -> its digest.
fn blob_path_digest(path: &str) -> Option<Digest> {
    let hex = path.strip_prefix("blobs/sha256/")?;
    parse_digest(&format!("sha256:{hex}")).ok()
}

/// What a streamed archive held.
#[derive(Default)]
struct ArchiveFiles {
    small: HashMap<String, Vec<u8>>,
    spilled: HashMap<String, PathBuf>,
    blobs: HashMap<String, Digest>,
    links: HashMap<String, String>,
}

impl ArchiveFiles {
    fn resolve_name(&self, path: &str) -> String {
        let mut p = crate::unpack::clean_path(path.as_bytes())
            .map(|c| {
                c.iter()
                    .map(|c| c.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default();
        for _ in 0..16 {
            match self.links.get(&p) {
                Some(t) => p = t.clone(),
                None => break,
            }
        }
        p
    }

    fn open(&self, store: &Store, path: &str) -> Result<Box<dyn Read>> {
        let p = self.resolve_name(path);
        if let Some(b) = self.small.get(&p) {
            return Ok(Box::new(io::Cursor::new(b.clone())));
        }
        if let Some(f) = self.spilled.get(&p) {
            return Ok(Box::new(File::open(f).at(f)?));
        }
        if let Some(d) = self.blobs.get(&p).cloned().or_else(|| blob_path_digest(&p)) {
            return Ok(Box::new(store.open_blob(&d)?));
        }
        Err(Error::InvalidArchive(format!(
            "the archive has no file {path}"
        )))
    }

    fn read_small(&self, store: &Store, path: &str) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.open(store, path)?
            .read_to_end(&mut v)
            .ctx(|| format!("reading {path} from the archive"))?;
        Ok(v)
    }
}
