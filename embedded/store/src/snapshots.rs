//! Layer snapshots: `snapshots/<chainid-hex>/` holds ONE layer unpacked on
//! its own (not stacked on its parent), with overlayfs whiteouts, so an
//! image's snapshots, base first, are its overlayfs lower dirs.
//!
//! Each unpack goes to a private temp dir and is renamed into place, so a
//! killed or failed unpack never leaves a half snapshot; a per-snapshot lock
//! makes concurrent unpackers of one layer wait for the first.

use std::fs;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use oci_spec::image::{Digest, ImageConfiguration};

use crate::chain::chain_ids;
use crate::digest::{digest_hex, hashed, parse_digest, HashingReader};
use crate::error::{Error, IoPath, Result};
use crate::images::Image;
use crate::inflate_thread::decompress_threaded;
use crate::limits::{Budget, ImageBudget};
use crate::Store;
use crate::{lock_file, LockKind};

impl Store {
    /// Directory of the snapshot with this chain ID (whether or not it exists).
    pub fn snapshot_path(&self, chain_id: &Digest) -> PathBuf {
        self.snapshots_dir().join(digest_hex(chain_id))
    }

    /// Whether the snapshot is complete and present.
    pub fn has_snapshot(&self, chain_id: &Digest) -> bool {
        self.snapshot_path(chain_id).is_dir()
    }

    /// Unpack an UNCOMPRESSED layer tar into the snapshot `chain_id`. With
    /// `diff_id`, the stream must hash to it or nothing is kept. Returns the
    /// snapshot dir; when it already exists the reader is not consumed.
    pub fn unpack_layer(
        &self,
        chain_id: &Digest,
        diff_id: Option<&Digest>,
        tar: &mut dyn Read,
    ) -> Result<PathBuf> {
        self.unpack_layer_in(chain_id, diff_id, tar, &self.image_budget()?)
    }

    /// A fresh per-image budget: give the same one to every layer of one
    /// image (a pull's concurrent unpacks included).
    pub fn image_budget(&self) -> Result<ImageBudget> {
        Ok(ImageBudget::new(crate::UnpackLimits::current()?, 0))
    }

    /// [`Store::unpack_layer`] for a layer of an image whose budget is
    /// `image` (shared with its other layers).
    pub fn unpack_layer_in(
        &self,
        chain_id: &Digest,
        diff_id: Option<&Digest>,
        tar: &mut dyn Read,
        image: &ImageBudget,
    ) -> Result<PathBuf> {
        let dest = self.snapshot_path(chain_id);
        if dest.is_dir() {
            return Ok(dest);
        }
        let lock = self
            .locks_dir()
            .join(format!("snapshot-{}.lock", digest_hex(chain_id)));
        let _g = lock_file(&lock, LockKind::Exclusive)?;
        if dest.is_dir() {
            return Ok(dest);
        }
        let layer_name = diff_id.unwrap_or(chain_id).to_string();
        let tmp = self.create_temp_dir("unpack")?;
        let result = (|| -> Result<()> {
            let mut hr = HashingReader::new(tar);
            let budget = Budget::in_image(crate::UnpackLimits::current()?, image.clone());
            let stats = crate::unpack::unpack_tar(&mut hr, &tmp, &layer_name, budget)?;
            let (_, got, _) = hr.finish();
            let got = hashed(got);
            if let Some(want) = diff_id {
                if &got != want {
                    return Err(Error::DigestMismatch {
                        expected: want.to_string(),
                        actual: got.to_string(),
                    });
                }
            }
            self.record_layer_size(&got, stats.content_size)?;
            crate::snapshot_sync::sync_snapshot(&tmp).at(&tmp)?;
            fs::rename(&tmp, &dest).at(&dest)?;
            crate::tmp::sync_dir_best_effort(&self.snapshots_dir());
            Ok(())
        })();
        if let Err(e) = result {
            let _ = crate::tmp::remove_tree(&tmp);
            return Err(e);
        }
        Ok(dest)
    }

    /// Unpack a stored layer blob (gzip, zstd or plain, by magic bytes or
    /// `media_type`) into the snapshot `chain_id`, checking `diff_id`.
    pub fn unpack_layer_blob(
        &self,
        chain_id: &Digest,
        diff_id: &Digest,
        blob: &Digest,
        media_type: Option<&str>,
    ) -> Result<PathBuf> {
        self.unpack_layer_blob_in(chain_id, diff_id, blob, media_type, &self.image_budget()?)
    }

    /// [`Store::unpack_layer_blob`] within an image's shared budget.
    pub fn unpack_layer_blob_in(
        &self,
        chain_id: &Digest,
        diff_id: &Digest,
        blob: &Digest,
        media_type: Option<&str>,
        image: &ImageBudget,
    ) -> Result<PathBuf> {
        if self.has_snapshot(chain_id) {
            return Ok(self.snapshot_path(chain_id));
        }
        let f = self.open_blob(blob)?;
        let mut r = decompress_threaded(f, media_type).at(self.blob_path(blob))?;
        self.unpack_layer_in(chain_id, Some(diff_id), &mut r, image)
    }

    /// The image's chain IDs, base first (from the config's diff IDs).
    pub fn image_chain_ids(&self, img: &Image) -> Result<Vec<Digest>> {
        Ok(chain_ids(&self.image_diff_ids(img)?))
    }

    /// The diff IDs of an image's layers, from its config, checked to be
    /// one per manifest layer.
    pub(crate) fn image_diff_ids(&self, img: &Image) -> Result<Vec<Digest>> {
        diff_ids_of(img, &self.image_config(img)?)
    }

    /// The image's snapshot dirs, base first (overlayfs wants the reverse in
    /// `lowerdir=`: top first). Missing snapshots are unpacked from their
    /// blobs, within the per-image size limit.
    pub fn image_layers(&self, img: &Image) -> Result<Vec<PathBuf>> {
        self.image_layers_with(img, &self.image_config(img)?)
    }

    /// [`Store::image_layers`] for a caller that already read the image's
    /// config (`run` does, to build the container): the config blob is
    /// read and parsed once per start, not three times.
    pub fn image_layers_with(&self, img: &Image, cfg: &ImageConfiguration) -> Result<Vec<PathBuf>> {
        let diffs = diff_ids_of(img, cfg)?;
        let chains = chain_ids(&diffs);
        let mut out = Vec::with_capacity(chains.len());
        // Made only when a layer must be unpacked (a run of an unpacked
        // image reads no limits and no layer sizes); the layers below,
        // already unpacked, count against it.
        let mut budget: Option<ImageBudget> = None;
        for (i, (chain, diff)) in chains.iter().zip(&diffs).enumerate() {
            if self.has_snapshot(chain) {
                out.push(self.snapshot_path(chain));
                continue;
            }
            let image = match &budget {
                Some(b) => b.clone(),
                None => {
                    let below: u64 = diffs[..i]
                        .iter()
                        .map(|d| self.layer_size(d).unwrap_or(0))
                        .fold(0, u64::saturating_add);
                    let b = ImageBudget::new(crate::UnpackLimits::current()?, below);
                    budget = Some(b.clone());
                    b
                }
            };
            let desc = &img.manifest.layers()[i];
            let mt = desc.media_type().to_string();
            out.push(self.unpack_layer_blob_in(chain, diff, desc.digest(), Some(&mt), &image)?);
        }
        if budget.is_some() {
            // A layer was unpacked: its size is known now.
            self.refresh_listing(&img.digest);
        }
        Ok(out)
    }

    /// Chain IDs of every snapshot present.
    pub fn list_snapshots(&self) -> Result<Vec<Digest>> {
        let dir = self.snapshots_dir();
        let mut out = Vec::new();
        for e in fs::read_dir(&dir).at(&dir)?.flatten() {
            if let Ok(d) = parse_digest(&format!("sha256:{}", e.file_name().to_string_lossy())) {
                out.push(d);
            }
        }
        Ok(out)
    }
}

/// Disk usage of a tree (apparent sizes of regular files, each inode once).
pub fn dir_size(p: &Path) -> u64 {
    let mut seen = std::collections::HashSet::new();
    dir_size_inner(p, &mut seen)
}

fn dir_size_inner(p: &Path, seen: &mut std::collections::HashSet<(u64, u64)>) -> u64 {
    let Ok(rd) = fs::read_dir(p) else { return 0 };
    let mut total = 0;
    for e in rd.flatten() {
        let Ok(m) = e.path().symlink_metadata() else {
            continue;
        };
        if m.is_dir() {
            total += dir_size_inner(&e.path(), seen);
        } else if m.is_file() && seen.insert((m.dev(), m.ino())) {
            total += m.len();
        }
    }
    total
}

/// The diff IDs of an image's layers, from its config, checked to be one
/// per manifest layer.
fn diff_ids_of(img: &Image, cfg: &ImageConfiguration) -> Result<Vec<Digest>> {
    let diffs = cfg
        .rootfs()
        .diff_ids()
        .iter()
        .map(|s| parse_digest(s))
        .collect::<Result<Vec<_>>>()?;
    if diffs.len() != img.manifest.layers().len() {
        return Err(Error::InvalidImage(format!(
            "image {}: config lists {} layers, manifest {}",
            img.config_digest,
            diffs.len(),
            img.manifest.layers().len()
        )));
    }
    Ok(diffs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::sha256_digest;
    use crate::testutil::temp_store;

    fn layer_tar() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "etc/x", &b"hi"[..]).unwrap();
        b.into_inner().unwrap()
    }

    // A pull unpacks an image's layers one by one (or at once) through
    // unpack_layer_in: the per-image limit must count them together. It
    // used to start from zero for every layer, so it never fired there.
    #[test]
    fn layers_of_one_image_share_the_image_budget() {
        let (_dir, s) = temp_store();
        let layer = |name: &str| {
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_gnu();
            h.set_size(600);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, &[b'x'; 600][..]).unwrap();
            b.into_inner().unwrap()
        };
        let limits = crate::UnpackLimits {
            layer: 1000,
            image: 1000,
        };
        let image = ImageBudget::new(limits, 0);
        let (a, b) = (layer("a"), layer("b"));
        let (da, db) = (sha256_digest(&a), sha256_digest(&b));
        s.unpack_layer_in(&da, Some(&da), &mut &a[..], &image)
            .unwrap();
        let e = s
            .unpack_layer_in(&db, Some(&db), &mut &b[..], &image)
            .unwrap_err();
        assert!(e.to_string().contains("per-image limit"), "{e}");
        assert!(!s.has_snapshot(&db));
        // Another image starts from its own budget.
        let other = ImageBudget::new(limits, 0);
        s.unpack_layer_in(&db, Some(&db), &mut &b[..], &other)
            .unwrap();
    }

    #[test]
    fn unpack_is_atomic_and_checks_the_diff_id() {
        let (_dir, s) = temp_store();
        let tar = layer_tar();
        let good = sha256_digest(&tar);
        let wrong = sha256_digest(b"something else");
        let err = s
            .unpack_layer(&wrong, Some(&wrong), &mut &tar[..])
            .unwrap_err();
        assert!(err.to_string().contains(&wrong.to_string()), "{err}");
        assert!(!s.has_snapshot(&wrong));
        assert_eq!(fs::read_dir(s.tmp_dir()).unwrap().count(), 0);

        let p = s.unpack_layer(&good, Some(&good), &mut &tar[..]).unwrap();
        assert_eq!(fs::read(p.join("etc/x")).unwrap(), b"hi");
        assert_eq!(s.layer_size(&good), Some(2));
        // Idempotent: the second call does not even read its input.
        let p2 = s
            .unpack_layer(&good, Some(&good), &mut std::io::empty())
            .unwrap();
        assert_eq!(p, p2);
    }

    #[test]
    fn concurrent_unpacks_of_one_layer_make_one_snapshot() {
        let (_dir, s) = temp_store();
        let tar = layer_tar();
        let d = sha256_digest(&tar);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (s, tar, d) = (s.clone(), tar.clone(), d.clone());
                std::thread::spawn(move || s.unpack_layer(&d, Some(&d), &mut &tar[..]).unwrap())
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(s.list_snapshots().unwrap(), vec![d]);
        assert_eq!(fs::read_dir(s.tmp_dir()).unwrap().count(), 0);
    }
}
