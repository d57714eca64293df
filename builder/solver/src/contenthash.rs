//! Content hashes of files keyed by what `stat` says (size, mtime, ctime,
//! inode), as BuildKit's contenthash: a file whose stat data did not change
//! is never read again. Two users:
//!
//! - the build context ([`crate::context`]): one cache file per context
//!   directory, keyed by the path inside it;
//! - layer snapshots, the sources of `COPY --from`: one cache file for the
//!   store, keyed by the file's path on the host. Without it a no-op
//!   rebuild re-read and re-hashed every file a `COPY --from` names (a Go
//!   binary: megabytes) only to find the step cached.
//!
//! The ctime is in the key: no one can set it, so a file changed and its
//! mtime put back still misses. Both live under
//! `<store>/buildcache/filehash/`, written atomically; a lost or stale
//! cache only costs re-hashing.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::tree::hash_file;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
struct Stat {
    size: u64,
    mtime: i64,
    mtime_ns: i64,
    ctime: i64,
    ctime_ns: i64,
    ino: u64,
}

impl Stat {
    fn of(md: &fs::Metadata) -> Stat {
        Stat {
            size: md.size(),
            mtime: md.mtime(),
            mtime_ns: md.mtime_nsec(),
            ctime: md.ctime(),
            ctime_ns: md.ctime_nsec(),
            ino: md.ino(),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
struct HashFile {
    files: BTreeMap<String, (Stat, String)>,
}

/// One cache file: key -> (stat, sha256 hex).
pub(crate) struct HashCache {
    path: Option<PathBuf>,
    old: HashFile,
    new: HashFile,
    changed: bool,
}

impl HashCache {
    /// The cache in `<cache_dir>/filehash/<name>.json` (empty when missing
    /// or unreadable).
    pub(crate) fn load(cache_dir: &Path, name: &str) -> HashCache {
        let dir = cache_dir.join("filehash");
        let path = fs::create_dir_all(&dir)
            .ok()
            .map(|_| dir.join(format!("{name}.json")));
        let old = path
            .as_ref()
            .and_then(|p| fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        HashCache {
            path,
            old,
            new: HashFile::default(),
            changed: false,
        }
    }

    /// The cached hash of `key` when its stat data is unchanged.
    fn lookup(&mut self, key: &str, st: &Stat) -> Option<String> {
        if let Some((s, h)) = self.new.files.get(key) {
            return (s == st).then(|| h.clone());
        }
        let (s, h) = self.old.files.get(key)?;
        if s != st {
            return None;
        }
        let h = h.clone();
        self.new
            .files
            .insert(key.to_string(), (st.clone(), h.clone()));
        Some(h)
    }

    fn insert(&mut self, key: &str, st: Stat, hash: &str) {
        self.changed = true;
        self.new
            .files
            .insert(key.to_string(), (st, hash.to_string()));
    }

    /// sha256 hex of the file at `path`, known as `key`: from the cache
    /// when `md` matches what it recorded, else read and recorded.
    pub(crate) fn hash(&mut self, key: &str, path: &Path, md: &fs::Metadata) -> io::Result<String> {
        let st = Stat::of(md);
        if let Some(h) = self.lookup(key, &st) {
            return Ok(h);
        }
        let h = hash_file(path)?;
        self.insert(key, st, &h);
        Ok(h)
    }

    /// Write what this run saw (the context: exactly its files now).
    /// Best effort: atomic (concurrent builds read the old or the new
    /// file, never a torn one) but not fsynced, a lost cache only costs
    /// one re-hash.
    pub(crate) fn save(&mut self) {
        if !self.changed && self.new.files.len() == self.old.files.len() {
            return;
        }
        self.write(&self.new);
        self.changed = false;
    }

    /// Write the old entries still true on disk plus the new ones (the
    /// snapshot cache: a build sees only some of the store's files).
    fn save_merged(&mut self) {
        if !self.changed {
            return;
        }
        let mut all = std::mem::take(&mut self.old);
        all.files
            .retain(|k, (st, _)| fs::symlink_metadata(k).is_ok_and(|md| Stat::of(&md) == *st));
        all.files.append(&mut self.new.files);
        self.write(&all);
        self.old = all;
        self.changed = false;
    }

    fn write(&self, data: &HashFile) {
        let Some(path) = &self.path else { return };
        let Ok(bytes) = serde_json::to_vec(data) else {
            return;
        };
        let _ = skiff_core::atomic::atomic_write(
            path,
            &bytes,
            skiff_core::atomic::Durability::Volatile,
        );
    }
}

/// The store's snapshot-file cache, for the build running in this process.
static SNAPSHOTS: Mutex<Option<(PathBuf, HashCache)>> = Mutex::new(None);

fn snapshots() -> std::sync::MutexGuard<'static, Option<(PathBuf, HashCache)>> {
    SNAPSHOTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Use `<cache_dir>/filehash/snapshots.json` for snapshot files from now
/// on (a build calls it as it loads its context).
pub(crate) fn open_snapshot_cache(cache_dir: &Path) {
    let mut g = snapshots();
    if g.as_ref().is_some_and(|(d, _)| d == cache_dir) {
        return;
    }
    if let Some((_, mut old)) = g.take() {
        old.save_merged();
    }
    *g = Some((
        cache_dir.to_path_buf(),
        HashCache::load(cache_dir, "snapshots"),
    ));
}

/// Record what this build hashed (when the build ends).
pub(crate) fn save_snapshot_cache() {
    if let Some((_, c)) = snapshots().as_mut() {
        c.save_merged();
    }
}

/// sha256 hex of a file in a layer snapshot (`real`, lstat `md`). The file
/// is hashed outside the lock, so stages hash in parallel.
pub(crate) fn snapshot_file_hash(real: &Path, md: &fs::Metadata) -> io::Result<String> {
    let key = real.to_string_lossy();
    let st = Stat::of(md);
    if let Some((_, c)) = snapshots().as_mut() {
        if let Some(h) = c.lookup(&key, &st) {
            return Ok(h);
        }
    } else {
        return hash_file(real);
    }
    let h = hash_file(real)?;
    if let Some((_, c)) = snapshots().as_mut() {
        c.insert(&key, st, &h);
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_hashes_are_cached_by_stat() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("handler");
        fs::write(&f, b"binary").unwrap();
        let cache_dir = d.path().join("cache");
        open_snapshot_cache(&cache_dir);
        let md = fs::symlink_metadata(&f).unwrap();
        let h = snapshot_file_hash(&f, &md).unwrap();
        assert_eq!(h, hash_file(&f).unwrap());
        save_snapshot_cache();
        // A fresh process (a new cache read from disk) trusts the record:
        // the lie planted below is served, so the file was not read again.
        let mut c = HashCache::load(&cache_dir, "snapshots");
        let key = f.to_string_lossy().into_owned();
        assert_eq!(c.old.files[&key].1, h);
        c.old.files.get_mut(&key).unwrap().1 = "cached".into();
        assert_eq!(c.hash(&key, &f, &md).unwrap(), "cached");
        // A changed file (new size, new ctime) misses.
        fs::write(&f, b"other binary").unwrap();
        let md2 = fs::symlink_metadata(&f).unwrap();
        let mut c = HashCache::load(&cache_dir, "snapshots");
        assert_eq!(c.lookup(&key, &Stat::of(&md2)), None);
        assert_eq!(c.hash(&key, &f, &md2).unwrap(), hash_file(&f).unwrap());
    }
}
