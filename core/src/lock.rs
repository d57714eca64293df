//! The one advisory file lock (flock through std's `File::lock`) that makes
//! concurrent skiff processes safe. A lock is released when its guard is
//! dropped or the process dies (the kernel drops flock locks with the last
//! descriptor), so a killed skiff never leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

/// Lock kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// Many holders at once (readers, leases).
    Shared,
    /// One holder, nobody else (writers, GC).
    Exclusive,
}

/// A lock that could not be taken, naming the lock file.
#[derive(Debug, thiserror::Error)]
#[error("cannot lock {}: {source}", path.display())]
pub struct LockError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// A held lock; released on drop.
#[derive(Debug)]
pub struct LockGuard {
    file: File,
    path: PathBuf,
}

impl LockGuard {
    /// Path of the lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// The open lock file (to write an owner token into, for example).
    pub fn file(&self) -> &File {
        &self.file
    }
}

fn open(path: &Path) -> Result<File, LockError> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|source| LockError {
            path: path.to_path_buf(),
            source,
        })
}

/// Block until the lock at `path` (created if missing) is held. A signal
/// interrupting the wait is retried, not reported.
pub fn lock_file(path: &Path, kind: LockKind) -> Result<LockGuard, LockError> {
    let file = open(path)?;
    loop {
        let r = match kind {
            LockKind::Shared => file.lock_shared(),
            LockKind::Exclusive => file.lock(),
        };
        match r {
            Ok(()) => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(LockError {
                    path: path.to_path_buf(),
                    source,
                })
            }
        }
    }
    Ok(LockGuard {
        file,
        path: path.to_path_buf(),
    })
}

/// Take the lock at `path` if nobody holds a conflicting one; `None` otherwise.
pub fn try_lock_file(path: &Path, kind: LockKind) -> Result<Option<LockGuard>, LockError> {
    let file = open(path)?;
    let r = match kind {
        LockKind::Shared => file.try_lock_shared(),
        LockKind::Exclusive => file.try_lock(),
    };
    match r {
        Ok(()) => Ok(Some(LockGuard {
            file,
            path: path.to_path_buf(),
        })),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(source)) => Err(LockError {
            path: path.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::temp_path;

    #[test]
    fn exclusive_excludes_and_shared_shares() {
        let (dir, p) = temp_path("x.lock");
        let a = lock_file(&p, LockKind::Shared).unwrap();
        let b = try_lock_file(&p, LockKind::Shared).unwrap();
        assert!(b.is_some(), "two shared holders");
        assert!(try_lock_file(&p, LockKind::Exclusive).unwrap().is_none());
        drop(a);
        drop(b);
        let x = try_lock_file(&p, LockKind::Exclusive).unwrap();
        assert!(x.is_some());
        assert!(try_lock_file(&p, LockKind::Shared).unwrap().is_none());
        drop(x);
        assert!(try_lock_file(&p, LockKind::Shared).unwrap().is_some());
        let e = lock_file(&dir.path().join("no/such/dir"), LockKind::Exclusive).unwrap_err();
        assert!(e.to_string().contains("no/such/dir"), "{e}");
    }
}
