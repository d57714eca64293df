//! Temp files and dirs in `<root>/tmp`. Names carry the creating pid so a
//! later skiff can remove what a killed one left behind without touching the
//! work of a live one.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{IoPath, Result};
use crate::Store;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_name(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}.{}.{n}.{nanos:x}", std::process::id())
}

/// Pid embedded in a temp name by [`temp_name`].
fn owner_pid(name: &str) -> Option<u32> {
    let mut parts = name.split('.');
    parts.next()?;
    parts.next()?.parse().ok()
}

fn pid_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

impl Store {
    /// A new private temp file in `tmp/` (mode 0600).
    pub fn create_temp_file(&self, prefix: &str) -> Result<(File, PathBuf)> {
        loop {
            let p = self.tmp_dir().join(temp_name(prefix));
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
            let p = self.tmp_dir().join(temp_name(prefix));
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
        for e in rd.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let stale = match owner_pid(name) {
                Some(pid) => !pid_alive(pid),
                None => false,
            };
            if !stale {
                continue;
            }
            let p = e.path();
            let r = if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_tree(&p)
            } else {
                fs::remove_file(&p)
            };
            if let Err(err) = r {
                tracing::warn!("removing stale temp {}: {err}", p.display());
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
