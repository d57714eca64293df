//! The one atomic file write: a temp file in the same directory, fsync,
//! rename over the target, fsync of the directory. A concurrent reader sees
//! the old or the new file, never a torn one, and after a power cut the
//! file is either old or new (a Raspberry Pi's SD card loses power often).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How hard a write must survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync the file before the rename and the directory after it.
    Durable,
    /// Atomic against concurrent readers only: for state that dies with
    /// the process or the boot anyway (a `--rm` container's records).
    Volatile,
}

/// A failed atomic write, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} {}: {source}", path.display())]
pub struct AtomicWriteError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temp name beside `path`, unique across processes and threads.
pub fn temp_path_for(path: &Path) -> PathBuf {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

/// Replace `path` with `data` atomically, with the file's mode set to
/// `mode` before it becomes visible (so a secret is never readable, even
/// for a moment).
pub fn atomic_write_mode(
    path: &Path,
    data: &[u8],
    mode: u32,
    durability: Durability,
) -> Result<(), AtomicWriteError> {
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = temp_path_for(path);
    let fail = |action, p: &Path, source| AtomicWriteError {
        action,
        path: p.to_path_buf(),
        source,
    };
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .map_err(|e| fail("create", &tmp, e))?;
        // The umask may have narrowed the mode; set it exactly.
        f.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
            .map_err(|e| fail("chmod", &tmp, e))?;
        f.write_all(data).map_err(|e| fail("write", &tmp, e))?;
        if durability == Durability::Durable {
            f.sync_all().map_err(|e| fail("sync", &tmp, e))?;
        }
        drop(f);
        std::fs::rename(&tmp, path).map_err(|e| fail("rename onto", path, e))?;
        if durability == Durability::Durable {
            sync_dir(path.parent().unwrap_or(Path::new(".")))
                .map_err(|e| fail("sync the directory of", path, e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Replace `path` with `data` atomically (mode 0644).
pub fn atomic_write(
    path: &Path,
    data: &[u8],
    durability: Durability,
) -> Result<(), AtomicWriteError> {
    atomic_write_mode(path, data, 0o644, durability)
}

/// fsync a directory, so a rename or create in it survives a power cut.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::temp_path;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_with_the_mode_and_leaves_no_temp() {
        let (dir, p) = temp_path("f");
        atomic_write(&p, b"one", Durability::Durable).unwrap();
        atomic_write_mode(&p, b"two", 0o600, Durability::Volatile).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        let e = atomic_write(&dir.path().join("no/f"), b"x", Durability::Durable).unwrap_err();
        assert!(e.to_string().contains("no/"), "{e}");
    }
}
