//! Advisory file locks (flock through std's `File::lock`) that make
//! concurrent skiff processes safe. Locks live in `<root>/locks/` and are
//! released when the guard is dropped or the process dies (the kernel drops
//! flock locks with the last descriptor), so a killed skiff never leaves a
//! stale lock behind.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::{IoPath, Result};

/// A held lock; released on drop.
#[derive(Debug)]
pub struct LockGuard {
    pub(crate) file: File,
    path: PathBuf,
}

impl LockGuard {
    /// Path of the lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Lock kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// Many holders at once (readers, leases).
    Shared,
    /// One holder, nobody else (writers, GC).
    Exclusive,
}

fn open_lock_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .at(path)
}

/// Block until the lock at `path` is held.
pub fn lock_file(path: &Path, kind: LockKind) -> Result<LockGuard> {
    let file = open_lock_file(path)?;
    match kind {
        LockKind::Shared => file.lock_shared(),
        LockKind::Exclusive => file.lock(),
    }
    .at(path)?;
    Ok(LockGuard {
        file,
        path: path.to_path_buf(),
    })
}

/// Take the lock at `path` if nobody holds a conflicting one; `None` otherwise.
pub fn try_lock_file(path: &Path, kind: LockKind) -> Result<Option<LockGuard>> {
    let file = open_lock_file(path)?;
    let r = match kind {
        LockKind::Shared => file.try_lock_shared(),
        LockKind::Exclusive => file.try_lock(),
    };
    match r {
        Ok(()) => Ok(Some(LockGuard {
            file,
            path: path.to_path_buf(),
        })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e).at(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_excludes_and_shared_shares() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
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
    }
}
