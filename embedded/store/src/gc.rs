//! Garbage collection: mark everything reachable from the image index, from
//! pins (files other crates write, e.g. one per container) and from
//! registered [`GcRoots`] providers, then sweep unreferenced blobs and
//! snapshots. Runs under the exclusive `locks/gc.lock`, so it waits for every
//! [`Store::lease`] (pulls, builds and loads in flight).

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use oci_spec::image::Digest;
use skiff_core::atomic::Durability;

use crate::chain::chain_ids;
use crate::digest::{digest_hex, parse_digest};
use crate::error::{Error, IoPath, Result};
use crate::images::sniff_media_type;
use crate::media;
use crate::reference::normalize_reference;
use crate::Store;
use crate::{lock_file, try_lock_file, LockKind};

/// Something outside the image index that keeps content alive: the runtime
/// (snapshots under live containers), the builder (its cache). Return blob
/// digests (manifests, indexes, configs, layers: a manifest or index keeps
/// everything it references) and/or snapshot chain IDs.
pub trait GcRoots: Send + Sync {
    fn roots(&self, store: &Store) -> Vec<Digest>;
}

/// What a prune removed.
#[derive(Debug, Clone, Default)]
pub struct PruneReport {
    /// References removed (familiar form).
    pub untagged: Vec<String>,
    /// Image IDs deleted.
    pub deleted_images: Vec<String>,
    /// Blobs removed.
    pub deleted_blobs: Vec<String>,
    /// Snapshot chain IDs removed.
    pub deleted_snapshots: Vec<String>,
    /// Bytes freed.
    pub reclaimed: u64,
}

impl Store {
    /// Register a provider of extra GC roots on this handle (and its clones).
    pub fn register_gc_roots(&self, roots: Arc<dyn GcRoots>) {
        self.gc_roots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(roots);
    }

    fn pins_dir(&self) -> PathBuf {
        self.root.join("pins")
    }

    /// Pin content for `owner`/`name` (e.g. `containers`/`<id>`): the
    /// digests (an image's manifest or index digest, blobs, snapshot chain
    /// IDs) survive GC until [`Store::unpin`]. A pin by owner `containers` on
    /// an image also makes `rmi` refuse without force.
    pub fn pin(&self, owner: &str, name: &str, digests: &[Digest]) -> Result<()> {
        self.pin_with(owner, name, digests, Durability::Durable)
    }

    /// [`Store::pin`] with the given durability. `Volatile` (no fsync) is
    /// for pins of owners that cannot outlive a crash or reboot, such as a
    /// `--rm` container: the pin is visible to every process at once (the
    /// rename), and after a power cut a lost or empty pin of a dead owner
    /// only lets GC and `rmi` treat its image as unused, which it is.
    pub fn pin_with(
        &self,
        owner: &str,
        name: &str,
        digests: &[Digest],
        durability: Durability,
    ) -> Result<()> {
        check_pin_part(owner)?;
        check_pin_part(name)?;
        let dir = self.pins_dir().join(owner);
        fs::create_dir_all(&dir).at(&dir)?;
        let list: Vec<String> = digests.iter().map(|d| d.to_string()).collect();
        let bytes = serde_json::to_vec(&list).map_err(|source| Error::Json {
            what: "pin".into(),
            source,
        })?;
        self.write_file_atomic_with(&dir.join(name), &bytes, durability)
    }

    /// Remove a pin (no error when absent).
    pub fn unpin(&self, owner: &str, name: &str) -> Result<()> {
        check_pin_part(owner)?;
        check_pin_part(name)?;
        let p = self.pins_dir().join(owner).join(name);
        match fs::remove_file(&p) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).at(&p),
            _ => Ok(()),
        }
    }

    /// Every pin: (owner, name, digests).
    pub fn pins(&self) -> Result<Vec<(String, String, Vec<Digest>)>> {
        let mut out = Vec::new();
        let dir = self.pins_dir();
        let Ok(owners) = fs::read_dir(&dir) else {
            return Ok(out);
        };
        for o in owners.flatten() {
            let owner = o.file_name().to_string_lossy().into_owned();
            let Ok(names) = fs::read_dir(o.path()) else {
                continue;
            };
            for n in names.flatten() {
                let name = n.file_name().to_string_lossy().into_owned();
                let Ok(bytes) = fs::read(n.path()) else {
                    continue;
                };
                let list: Vec<String> = serde_json::from_slice(&bytes).unwrap_or_default();
                let ds = list.iter().filter_map(|s| parse_digest(s).ok()).collect();
                out.push((owner.clone(), name, ds));
            }
        }
        Ok(out)
    }

    /// Names of `containers` pins that hold this image (by top digest or ID).
    pub(crate) fn pinned_by(&self, top: &str, id: &str) -> Result<Vec<String>> {
        Ok(self
            .pins()?
            .into_iter()
            .filter(|(owner, _, ds)| {
                owner == "containers" && ds.iter().any(|d| d.as_ref() == top || d.as_ref() == id)
            })
            .map(|(_, name, _)| name)
            .collect())
    }

    /// Directory of snapshots.
    pub(crate) fn snapshots_dir(&self) -> PathBuf {
        self.root.join("snapshots")
    }

    /// Remove images (untagged ones, or with `all` every image no pin holds)
    /// and then every blob and snapshot nothing references.
    pub fn prune(&self, all: bool) -> Result<PruneReport> {
        let _gc = lock_file(&self.locks_dir().join("gc.lock"), LockKind::Exclusive)?;
        let mut report = PruneReport::default();
        let pinned: HashSet<String> = self
            .pins()?
            .into_iter()
            .flat_map(|(_, _, ds)| ds.into_iter().map(|d| d.to_string()))
            .collect();
        self.update_index(|idx| {
            let victims: Vec<String> = idx
                .images
                .iter()
                .filter(|(top, rec)| {
                    let tagged = idx.refs.values().any(|v| v == *top);
                    (all || !tagged) && !pinned.contains(*top) && !pinned.contains(&rec.id)
                })
                .map(|(top, _)| top.clone())
                .collect();
            for top in victims {
                for r in idx.refs_to(&top).cloned().collect::<Vec<_>>() {
                    idx.refs.remove(&r);
                    if let Ok(ir) = normalize_reference(&r) {
                        report.untagged.push(ir.familiar());
                    }
                }
                if let Some(rec) = idx.images.remove(&top) {
                    report.deleted_images.push(rec.id);
                }
            }
            Ok(())
        })?;
        self.sweep(&mut report)?;
        Ok(report)
    }

    /// Collect unreferenced content now unless another skiff holds a lease
    /// (then a later prune does it).
    pub(crate) fn collect_garbage_if_idle(&self) -> Result<Option<PruneReport>> {
        let Some(_gc) = try_lock_file(&self.locks_dir().join("gc.lock"), LockKind::Exclusive)?
        else {
            return Ok(None);
        };
        let mut report = PruneReport::default();
        self.sweep(&mut report)?;
        Ok(Some(report))
    }

    /// Mark and sweep; the caller holds the exclusive GC lock.
    fn sweep(&self, report: &mut PruneReport) -> Result<()> {
        let mut roots: Vec<Digest> = Vec::new();
        let idx = self.read_index()?;
        roots.extend(idx.images.keys().filter_map(|d| parse_digest(d).ok()));
        roots.extend(self.pins()?.into_iter().flat_map(|(_, _, ds)| ds));
        let providers = self
            .gc_roots
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        for p in providers {
            roots.extend(p.roots(self));
        }
        let mut blobs: HashSet<String> = HashSet::new();
        let mut snaps: HashSet<String> = HashSet::new();
        for r in &roots {
            self.mark(r, &mut blobs, &mut snaps);
        }
        for b in self.list_blobs()? {
            if !blobs.contains(digest_hex(&b)) {
                report.reclaimed += self.blob_size(&b).unwrap_or(0);
                self.delete_blob(&b)?;
                report.deleted_blobs.push(b.to_string());
            }
        }
        let dir = self.snapshots_dir();
        for e in fs::read_dir(&dir).at(&dir)?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !snaps.contains(&name) {
                report.reclaimed += crate::snapshots::dir_size(&e.path());
                crate::tmp::remove_tree(&e.path()).at(e.path())?;
                report.deleted_snapshots.push(format!("sha256:{name}"));
                // Its lock file too, unless an unpacker holds it right now.
                let lock = self.locks_dir().join(format!("snapshot-{name}.lock"));
                if let Ok(Some(_g)) = try_lock_file(&lock, LockKind::Exclusive) {
                    let _ = fs::remove_file(&lock);
                }
            }
        }
        self.sweep_stale_temps();
        Ok(())
    }

    /// Mark a root: a blob (following manifests and indexes) or a snapshot.
    fn mark(&self, d: &Digest, blobs: &mut HashSet<String>, snaps: &mut HashSet<String>) {
        let hex = digest_hex(d).to_string();
        if self.snapshots_dir().join(&hex).exists() {
            snaps.insert(hex.clone());
        }
        if !blobs.insert(hex) || !self.has_blob(d) {
            return;
        }
        // Only small JSON documents can be manifests; don't read layers.
        if self.blob_size(d).unwrap_or(u64::MAX) > 4 << 20 {
            return;
        }
        let Ok(bytes) = self.read_blob(d) else { return };
        let Ok(mt) = sniff_media_type(&bytes, "") else {
            return;
        };
        if media::is_index(&mt) {
            if let Ok(ix) = self.read_index_blob(d) {
                for m in ix.manifests() {
                    self.mark(m.digest(), blobs, snaps);
                }
            }
        } else if media::is_manifest(&mt) {
            let Ok(m) = self.read_manifest(d) else { return };
            blobs.insert(digest_hex(m.config().digest()).to_string());
            for l in m.layers() {
                blobs.insert(digest_hex(l.digest()).to_string());
            }
            if let Ok(cfg) = self.read_blob(m.config().digest()) {
                if let Ok(c) = serde_json::from_slice::<oci_spec::image::ImageConfiguration>(&cfg) {
                    let diffs: Vec<Digest> = c
                        .rootfs()
                        .diff_ids()
                        .iter()
                        .filter_map(|s| parse_digest(s).ok())
                        .collect();
                    for c in chain_ids(&diffs) {
                        snaps.insert(digest_hex(&c).to_string());
                    }
                }
            }
        }
    }
}

fn check_pin_part(s: &str) -> Result<()> {
    if s.is_empty() || s.starts_with('.') || s.contains('/') || s.contains('\0') {
        return Err(Error::InvalidImage(format!("invalid pin name {s:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::temp_store;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn prune_waits_for_leases() {
        let (_dir, s) = temp_store();
        let orphan = s.put_blob(b"not referenced yet", None).unwrap();
        let lease = s.lease().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let t = {
            let (s, done) = (s.clone(), done.clone());
            std::thread::spawn(move || {
                let r = s.prune(false).unwrap();
                done.store(true, Ordering::SeqCst);
                r
            })
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(
            !done.load(Ordering::SeqCst),
            "prune ran while a lease was held"
        );
        assert!(s.has_blob(&orphan.digest));
        drop(lease);
        let r = t.join().unwrap();
        assert_eq!(r.deleted_blobs, vec![orphan.digest.to_string()]);
    }

    #[test]
    fn gc_roots_providers_protect_content() {
        struct Keep(Digest);
        impl GcRoots for Keep {
            fn roots(&self, _: &Store) -> Vec<Digest> {
                vec![self.0.clone()]
            }
        }
        let (_dir, s) = temp_store();
        let kept = s.put_blob(b"kept", None).unwrap();
        let gone = s.put_blob(b"gone", None).unwrap();
        s.register_gc_roots(Arc::new(Keep(kept.digest.clone())));
        s.prune(false).unwrap();
        assert!(s.has_blob(&kept.digest));
        assert!(!s.has_blob(&gone.digest));
    }
}
