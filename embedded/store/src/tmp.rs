//! Temp files and dirs in `<root>/tmp`. Each process that makes temps
//! holds an exclusive flock on `locks/owner-<token>.lock` for its whole life
//! and puts `<token>` in every temp name; a later skiff removes the temps of
//! tokens whose lock it can take (the owner died: a killed pull or unpack)
//! and never touches a live process's work. flock rather than a pid check
//! because pids are reused and differ between pid namespaces.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::error::{IoPath, Result};
use crate::Store;
use crate::{lock_file, try_lock_file, LockGuard, LockKind};

/// fsync a directory after a temp was renamed into it, so the rename
/// survives a power cut. Best effort: some filesystems refuse fsync on
/// directories, and the rename has happened anyway.
pub(crate) fn sync_dir_best_effort(dir: &Path) {
    let _ = skiff_core::atomic::sync_dir(dir);
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// This process's owner token and the lock guards proving it is alive (one
/// per store root used).
static OWNER: Mutex<Option<Owner>> = Mutex::new(None);

struct Owner {
    token: String,
    held: Vec<(PathBuf, LockGuard)>,
}

fn owner_token(locks_dir: &Path) -> Result<String> {
    let mut g = OWNER.lock().unwrap_or_else(|e| e.into_inner());
    let owner = g.get_or_insert_with(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Owner {
            token: format!("{:x}{:x}", std::process::id(), nanos),
            held: Vec::new(),
        }
    });
    if !owner.held.iter().any(|(d, _)| d == locks_dir) {
        let p = locks_dir.join(format!("owner-{}.lock", owner.token));
        // A sweeper in another skiff may take the file between our create
        // and our lock (it saw an unlocked owner file), and then unlink it.
        // Wait for it rather than fail: it holds the lock only while
        // unlinking (nobody else uses our token), and 20 concurrent `run -d`
        // hit that window. Then make sure the file we locked is the one the
        // path names, else start again.
        loop {
            let guard = lock_file(&p, LockKind::Exclusive)?;
            let same = match (fs::metadata(&p), guard.file().metadata()) {
                (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
                _ => false,
            };
            if same {
                owner.held.push((locks_dir.to_path_buf(), guard));
                break;
            }
        }
    }
    Ok(owner.token.clone())
}

fn temp_name(token: &str, prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix}.{token}.{n}")
}

/// Owner token embedded in a temp name by [`temp_name`].
fn name_token(name: &str) -> Option<&str> {
    let mut parts = name.split('.');
    parts.next()?;
    parts.next()
}

impl Store {
    /// A new private temp file in `tmp/` (mode 0600).
    pub fn create_temp_file(&self, prefix: &str) -> Result<(File, PathBuf)> {
        loop {
            let p = self
                .tmp_dir()
                .join(temp_name(&owner_token(&self.locks_dir())?, prefix));
            match OpenOptions::new()
                .write(true)
                .read(true)
                .create_new(true)
                .mode(0o600)
                .open(&p)
            {
                Ok(f) => return Ok((f, p)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).at(&p),
            }
        }
    }

    /// A new private temp dir in `tmp/`.
    pub fn create_temp_dir(&self, prefix: &str) -> Result<PathBuf> {
        loop {
            let p = self
                .tmp_dir()
                .join(temp_name(&owner_token(&self.locks_dir())?, prefix));
            match fs::create_dir(&p) {
                Ok(()) => return Ok(p),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e).at(&p),
            }
        }
    }

    /// Remove temp files and dirs whose creating process is gone (a killed
    /// pull or unpack). Best effort: errors are logged, never fatal.
    pub(crate) fn sweep_stale_temps(&self) {
        let Ok(rd) = fs::read_dir(self.tmp_dir()) else {
            return;
        };
        let mut dead_owners: Vec<PathBuf> = Vec::new();
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(token) = name_token(name) else {
                continue;
            };
            let lock = self.locks_dir().join(format!("owner-{token}.lock"));
            // Taking the owner's lock means the owner is gone. Keep holding
            // it while removing so a (theoretical) token reuse waits.
            let guard = match try_lock_file(&lock, LockKind::Exclusive) {
                Ok(Some(g)) => g,
                _ => continue,
            };
            let p = e.path();
            let r = if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_tree(&p)
            } else {
                fs::remove_file(&p)
            };
            if let Err(err) = r {
                tracing::warn!("removing stale temp {}: {err}", p.display());
            }
            drop(guard);
            dead_owners.push(lock);
        }
        // Owner files of finished processes (with or without temps left).
        if let Ok(rd) = fs::read_dir(self.locks_dir()) {
            for e in rd.flatten() {
                if e.file_name()
                    .to_str()
                    .is_some_and(|n| n.starts_with("owner-"))
                {
                    dead_owners.push(e.path());
                }
            }
        }
        for l in dead_owners {
            if let Ok(Some(_g)) = try_lock_file(&l, LockKind::Exclusive) {
                let _ = fs::remove_file(&l);
            }
        }
    }
}

/// remove_dir_all that also copes with read-only dirs left by an unpack
/// (a layer may contain dirs without write permission; as non-root we would
/// otherwise fail to delete their content).
pub(crate) fn remove_tree(p: &Path) -> io::Result<()> {
    match fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(first) => {
            make_writable(p);
            fs::remove_dir_all(p).map_err(|_| first)
        }
    }
}

fn make_writable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(m) = fs::symlink_metadata(p) {
        if m.is_dir() {
            let _ = fs::set_permissions(p, fs::Permissions::from_mode(0o700));
            if let Ok(rd) = fs::read_dir(p) {
                for e in rd.flatten() {
                    make_writable(&e.path());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::temp_store;

    #[test]
    fn sweep_removes_dead_owners_temps_only() {
        let (dir, s) = temp_store();
        let (_f, mine) = s.create_temp_file("blob").unwrap();
        let dead = s.tmp_dir().join("blob.deadbeef.1");
        fs::write(&dead, b"left by a killed skiff").unwrap();
        fs::create_dir(s.tmp_dir().join("unpack.deadbeef.2")).unwrap();
        fs::write(s.locks_dir().join("owner-cafe.lock"), b"").unwrap();
        let s2 = Store::open(dir.path()).unwrap();
        assert!(mine.exists(), "a live owner's temp survives");
        assert!(!dead.exists());
        assert!(!s2.tmp_dir().join("unpack.deadbeef.2").exists());
        assert!(!s2.locks_dir().join("owner-cafe.lock").exists());
    }

    /// Another skiff's sweeper can hold our owner file for an instant (it
    /// found it created but not yet locked) and unlink it: making a temp
    /// waits for it and locks a fresh file instead of failing.
    #[test]
    fn owner_file_held_by_a_sweeper_is_waited_for() {
        let first = tempfile::tempdir().unwrap();
        let token = owner_token(first.path()).unwrap();
        let (_dir, s) = temp_store();
        let p = s.locks_dir().join(format!("owner-{token}.lock"));
        // flock conflicts between open file descriptions, even in one process.
        let sweeper = lock_file(&p, LockKind::Exclusive).unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(200));
            fs::remove_file(sweeper.path()).unwrap();
            drop(sweeper);
        });
        let (_f, temp) = s.create_temp_file("blob").unwrap();
        t.join().unwrap();
        assert!(temp.exists());
        assert!(p.exists(), "a fresh owner file is locked in its place");
        assert!(try_lock_file(&p, LockKind::Exclusive).unwrap().is_none());
    }
}
