//! What `ADD <url>` (without `--checksum`) remembers between builds, as
//! BuildKit's http source does: per URL and auth identity, the ETag and the
//! digest of the content last downloaded, so the next build can ask with
//! `If-None-Match` and reuse the content on a `304` instead of downloading
//! it again. One small JSON record per URL under
//! `<store>/buildcache/urls/`, named by the sha256 of URL and Authorization
//! (a different token never reuses another's download); the content itself
//! is a store blob, deduplicated with everything else and pinned by the
//! build cache until `skiff builder prune`.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use skiff_core::atomic::{atomic_write, Durability};
use skiff_store::{LockGuard, Store};

use crate::cache::PIN_OWNER;
use crate::error::{io_at, BuildError, Result};

/// What was downloaded from a URL last time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct UrlRecord {
    /// Without its weak `W/` prefix.
    pub etag: String,
    /// `sha256:<hex>`: the store blob holding the content.
    pub digest: String,
    pub last_modified: Option<String>,
}

pub struct UrlCache {
    store: Store,
    dir: PathBuf,
}

impl UrlCache {
    pub fn open(store: &Store) -> Result<Self> {
        let dir = store.buildcache_dir().join("urls");
        fs::create_dir_all(dir.join("locks")).map_err(io_at(&dir))?;
        Ok(UrlCache {
            store: store.clone(),
            dir,
        })
    }

    /// The record's name for `url` fetched with Authorization `auth`.
    pub fn id(url: &str, auth: Option<&str>) -> String {
        crate::cache::key(&[url, auth.unwrap_or("")])
    }

    fn path(&self, id: &str) -> PathBuf {
        self.dir.join(format!("{id}.json"))
    }

    fn pin_name(id: &str) -> String {
        format!("url-{id}")
    }

    /// Exclusive lock on `id`: two builds asking for one URL take turns,
    /// so the second sees the first's record.
    pub fn lock(&self, id: &str) -> Result<LockGuard> {
        Ok(skiff_store::lock_file(
            &self.dir.join("locks").join(format!("{id}.lock")),
            skiff_store::LockKind::Exclusive,
        )?)
    }

    /// The record for `id`, when present and its content still stored (a
    /// record whose blob is gone is a plain miss).
    pub fn get(&self, id: &str) -> Option<UrlRecord> {
        let rec: UrlRecord = serde_json::from_slice(&fs::read(self.path(id)).ok()?).ok()?;
        let d = skiff_store::parse_digest(&rec.digest).ok()?;
        self.store.has_blob(&d).then_some(rec)
    }

    /// The stored content of `rec`.
    pub fn open_content(&self, rec: &UrlRecord) -> Result<fs::File> {
        Ok(self
            .store
            .open_blob(&skiff_store::parse_digest(&rec.digest)?)?)
    }

    /// Keep `file` (just downloaded, hashing to `rec.digest`) as the
    /// content of `id` and record it, replacing what was there.
    pub fn put(&self, id: &str, rec: &UrlRecord, file: &Path) -> Result<()> {
        let d = skiff_store::parse_digest(&rec.digest)?;
        if !self.store.has_blob(&d) {
            let mut f = fs::File::open(file).map_err(io_at(file))?;
            self.store.put_blob_from(&mut f, Some(&d))?;
        }
        self.store.pin(PIN_OWNER, &Self::pin_name(id), &[d])?;
        let path = self.path(id);
        let bytes = serde_json::to_vec(rec)
            .map_err(|e| BuildError::Invalid(format!("{}: {e}", path.display())))?;
        atomic_write(&path, &bytes, Durability::Durable).map_err(|e| io_at(&path)(e.source))
    }

    /// Forget `id` (a download without an ETag replaces nothing to ask
    /// about next time).
    pub fn remove(&self, id: &str) -> Result<()> {
        let path = self.path(id);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_at(&path)(e)),
            _ => {}
        }
        Ok(self.store.unpin(PIN_OWNER, &Self::pin_name(id))?)
    }

    /// Remove every record and its pin; the ids removed.
    pub fn prune(&self) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for e in fs::read_dir(&self.dir).map_err(io_at(&self.dir))?.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(id) = name.strip_suffix(".json") {
                let _lock = self.lock(id)?;
                self.remove(id)?;
                removed.push(id.to_string());
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest as _, Sha256};

    #[test]
    fn records_follow_their_content_and_prune() {
        let id = UrlCache::id("http://h/f", None);
        assert_ne!(id, UrlCache::id("http://h/f", Some("Bearer t")));
        let d = tempfile::tempdir().unwrap();
        let store = Store::open(d.path()).unwrap();
        let c = UrlCache::open(&store).unwrap();
        assert!(c.get(&id).is_none());
        let file = d.path().join("f");
        fs::write(&file, b"content").unwrap();
        let rec = UrlRecord {
            etag: "\"1\"".into(),
            digest: format!("sha256:{}", hex::encode(Sha256::digest(b"content"))),
            last_modified: None,
        };
        c.put(&id, &rec, &file).unwrap();
        assert_eq!(c.get(&id), Some(rec.clone()));
        let mut got = String::new();
        std::io::Read::read_to_string(&mut c.open_content(&rec).unwrap(), &mut got).unwrap();
        assert_eq!(got, "content");
        // Content gone: a miss.
        let blob = store.blob_path(&skiff_store::parse_digest(&rec.digest).unwrap());
        fs::remove_file(&blob).unwrap();
        assert!(c.get(&id).is_none());
        c.put(&id, &rec, &file).unwrap();
        assert_eq!(c.prune().unwrap(), vec![id.clone()]);
        assert!(c.get(&id).is_none());
        assert!(store.pins().unwrap().is_empty());
    }
}
