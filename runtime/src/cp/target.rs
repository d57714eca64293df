//! Writing into a container for `cp`: its rootfs (the running container's
//! own overlay mount, or, for a stopped one, the same overlay mounted for
//! the copy), every entry created beside its parent's resolved descriptor
//! with calls that never follow a symlink in the last component.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use skiff_core::inroot::{Root, Walk};

use super::Found;
use crate::error::{io, Error, Result};
use crate::paths::Layout;
use crate::{rootfs, state};

/// A container's filesystem, open for writing.
pub struct Target {
    root: Root,
    /// The container dir whose rootfs this copy mounted (and unmounts).
    mounted: Option<PathBuf>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(dir) = &self.mounted {
            rootfs::unmount(dir);
        }
    }
}

/// Owner and times to give a created entry.
#[derive(Debug, Clone, Copy)]
pub struct Meta {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
}

impl Meta {
    /// docker's rule for what a copy creates in a container: owned by
    /// root unless `-a` kept the source's uid and gid (`kept`; the caller
    /// reads them only with `-a`, as docker ignores them otherwise).
    pub fn copied(mode: u32, kept: Option<(u32, u32)>, mtime: i64) -> Meta {
        let (uid, gid) = kept.unwrap_or((0, 0));
        Meta {
            mode,
            uid,
            gid,
            mtime,
        }
    }
}

fn cstr(name: &OsStr) -> Result<CString> {
    CString::new(name.as_bytes()).map_err(|_| Error::Invalid(format!("bad file name {name:?}")))
}

fn last_err(what: &Path) -> Error {
    io(what.display().to_string(), std::io::Error::last_os_error())
}

impl Target {
    pub fn open(layout: &Layout, id: &str) -> Result<Target> {
        let dir = layout.container(id);
        let rec = state::load(layout, id)?;
        let mut mounted = None;
        if !rootfs::is_mounted(&dir) {
            let _lock = state::lock(&dir)?;
            rootfs::mount_overlay(&dir, &rec.config.layers, false)?;
            mounted = Some(dir.clone());
        }
        let root = Root::new(&dir.join("rootfs"));
        let root = match root {
            Ok(r) => r,
            Err(e) => {
                if mounted.is_some() {
                    rootfs::unmount(&dir);
                }
                return Err(e.into());
            }
        };
        Ok(Target { root, mounted })
    }

    /// What `path` is inside the container; a symlink is followed (inside
    /// the container), as docker resolves a destination.
    pub fn stat(&self, path: &str) -> Found {
        match self.root.resolve(path, Walk::FOLLOW).and_then(|r| {
            r.is_dir().map_err(|e| skiff_core::inroot::InRootError {
                path: path.into(),
                root: self.root.path().into(),
                source: e,
            })
        }) {
            Ok(true) => Found::Dir,
            Ok(false) => Found::File,
            Err(_) => Found::Missing,
        }
    }

    /// The directory that holds `path` (which must exist) and the name.
    fn parent(&self, path: &Path) -> Result<(OwnedFd, CString)> {
        let (dir, name) = self.root.parent(path, None)?;
        let name = name.ok_or_else(|| {
            Error::Invalid(format!(
                "cannot replace the container's root with {}",
                path.display()
            ))
        })?;
        if !dir.is_dir().unwrap_or(false) {
            return Err(Error::Invalid(format!(
                "{}: its parent is not a directory",
                path.display()
            )));
        }
        Ok((dir.fd, cstr(&name)?))
    }

    /// Make directory `path` (an existing directory is kept) and give it
    /// `meta`.
    pub fn mkdir(&self, path: &Path, meta: Meta) -> Result<()> {
        let (dir, name) = self.parent(path)?;
        // SAFETY: mkdirat relative to a descriptor we own.
        if unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), 0o700) } != 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(io(path.display().to_string(), e));
            }
        }
        // SAFETY: openat of the name, refusing a symlink.
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                name.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(Error::Invalid(format!(
                "cannot overwrite non-directory {} with directory",
                path.display()
            )));
        }
        // SAFETY: a fresh descriptor we own.
        let f = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        set_meta(&f, path, Some((meta.uid, meta.gid)), meta.mode, meta.mtime)
    }

    /// Write regular file `path` from `data` (replacing a file or a link
    /// there, never following it) and give it `meta`.
    pub fn file(&self, path: &Path, meta: Meta, data: &mut dyn Read) -> Result<u64> {
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_NOFOLLOW;
        let mut f = match self.root.open(path, flags, 0o600) {
            Ok(f) => f,
            // A symlink (ELOOP) or a special file there: replace it.
            Err(_) => {
                self.unlink(path)?;
                self.root.open(path, flags | libc::O_EXCL, 0o600)?
            }
        };
        let n = std::io::copy(data, &mut f).map_err(|e| io(path.display().to_string(), e))?;
        set_meta(&f, path, Some((meta.uid, meta.gid)), meta.mode, meta.mtime)?;
        Ok(n)
    }

    /// Make symlink `path` -> `target` (replacing a non-directory there).
    pub fn symlink(&self, path: &Path, target: &Path, meta: Meta) -> Result<()> {
        let _ = self.unlink(path);
        let (dir, name) = self.parent(path)?;
        let t = cstr(target.as_os_str())?;
        // SAFETY: symlinkat/fchownat relative to a descriptor we own;
        // AT_SYMLINK_NOFOLLOW changes the link itself.
        unsafe {
            if libc::symlinkat(t.as_ptr(), dir.as_raw_fd(), name.as_ptr()) != 0 {
                return Err(last_err(path));
            }
            libc::fchownat(
                dir.as_raw_fd(),
                name.as_ptr(),
                meta.uid,
                meta.gid,
                libc::AT_SYMLINK_NOFOLLOW,
            );
        }
        Ok(())
    }

    fn unlink(&self, path: &Path) -> Result<()> {
        let (dir, name) = self.parent(path)?;
        // SAFETY: unlinkat of a non-directory name relative to our fd.
        if unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) } != 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(Error::Invalid(format!(
                    "cannot overwrite {}: {e}",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

/// Owner (when given), then mode (chown clears set-id bits), then times,
/// all through the open descriptor: for what a copy creates in a
/// container, and on the host ([`super::to_host`]).
pub(super) fn set_meta(
    f: &File,
    path: &Path,
    owner: Option<(u32, u32)>,
    mode: u32,
    mtime: i64,
) -> Result<()> {
    let fd = f.as_raw_fd();
    let times = [
        libc::timespec {
            tv_sec: mtime as _,
            tv_nsec: 0,
        },
        libc::timespec {
            tv_sec: mtime as _,
            tv_nsec: 0,
        },
    ];
    // SAFETY: plain syscalls on a descriptor we own.
    unsafe {
        if owner.is_some_and(|(uid, gid)| libc::fchown(fd, uid, gid) != 0)
            || libc::fchmod(fd, mode & 0o7777) != 0
            || libc::futimens(fd, times.as_ptr()) != 0
        {
            return Err(last_err(path));
        }
    }
    Ok(())
}
