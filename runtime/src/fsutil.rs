//! Small filesystem helpers: atomic replacement and advisory locks.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{io_at, Result};

/// Replace `path` with `data` atomically (temp file in the same directory,
/// then rename) so a concurrent reader sees the old or the new file, never a
/// torn one. `durable` adds an fsync before the rename; `--rm` containers
/// skip it because their state dies with the process anyway.
pub fn atomic_write(path: &Path, data: &[u8], durable: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut f = File::create(&tmp).map_err(|e| io_at("cannot create", &tmp, e))?;
    f.write_all(data)
        .map_err(|e| io_at("cannot write", &tmp, e))?;
    if durable {
        f.sync_all().map_err(|e| io_at("cannot sync", &tmp, e))?;
    }
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io_at("cannot rename onto", path, e))
}

/// An exclusive flock() held until dropped.
pub struct Lock {
    _file: File,
}

/// Take the exclusive advisory lock on `path` (created if missing), waiting
/// for other skiff processes that hold it.
pub fn lock(path: &Path) -> Result<Lock> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| io_at("cannot open lock", path, e))?;
    loop {
        // SAFETY: flock on an fd we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if rc == 0 {
            return Ok(Lock { _file: file });
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(io_at("cannot lock", path, err));
        }
    }
}

/// Resolve `path` (absolute, as seen inside the container) under `root`
/// without letting `..` or absolute symlinks escape it: every component is
/// looked up relative to the root, the way the container will see it.
pub fn resolve_in_root(root: &Path, path: &str) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    let mut pending: Vec<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut hops = 0;
    while let Some(comp) = pending.pop() {
        match comp.as_str() {
            "." => continue,
            ".." => {
                out.pop();
                continue;
            }
            _ => {}
        }
        let candidate = out.join(&comp);
        let full = root.join(&candidate);
        match std::fs::read_link(&full) {
            Ok(target) if hops < 40 => {
                hops += 1;
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    out = std::path::PathBuf::new();
                }
                for c in target.split('/').filter(|c| !c.is_empty()).rev() {
                    pending.push(c.to_string());
                }
            }
            _ => out = candidate,
        }
    }
    root.join(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("real/etc")).unwrap();
        std::os::unix::fs::symlink("/real/etc", root.join("etc")).unwrap();
        std::os::unix::fs::symlink("../../../../..", root.join("real/up")).unwrap();
        assert_eq!(
            resolve_in_root(root, "/etc/passwd"),
            root.join("real/etc/passwd")
        );
        assert_eq!(resolve_in_root(root, "/real/up/etc"), root.join("real/etc"));
        assert_eq!(resolve_in_root(root, "/../../x"), root.join("x"));
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        atomic_write(&p, b"one", true).unwrap();
        atomic_write(&p, b"two", false).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let _l = lock(&dir.path().join("lock")).unwrap();
    }
}
