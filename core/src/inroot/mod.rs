//! The one resolve-in-root: a path as a container (or a build) sees it,
//! resolved inside a root directory on the host, handed back as a file
//! descriptor. `..` stops at the root, absolute symlinks restart at the
//! root, and nothing is ever looked up by its host path after the check,
//! so a hostile image or build context cannot point skiff at host files,
//! not even by swapping a directory for a symlink while skiff works.
//!
//! The kernel does this itself with `openat2(RESOLVE_IN_ROOT |
//! RESOLVE_NO_MAGICLINKS)` (Linux 5.6+); [`Root::open`] uses it when it is
//! there. The walk below is the fallback and also serves the callers that
//! need to know *where* a path led (the resolved relative path) or want
//! missing directories created: every step is an `openat(O_PATH |
//! O_NOFOLLOW)` relative to the previous directory's descriptor, symlinks
//! are read from their own descriptor and re-resolved by us, and `..` pops
//! our own stack of descriptors instead of asking the kernel. More than 40
//! symlinks is an error (ELOOP), never a fallback to the raw path.

use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Symlinks followed in one resolution before giving up (Linux's limit).
pub const MAX_SYMLINKS: u32 = 40;

/// A path that could not be resolved inside its root.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {} inside {}: {source}", path.display(), root.display())]
pub struct InRootError {
    /// The path as given (as the container sees it).
    pub path: PathBuf,
    /// The root on the host.
    pub root: PathBuf,
    #[source]
    pub source: io::Error,
}

impl InRootError {
    /// The OS error kind (NotFound, NotADirectory, ...).
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }
}

/// What to do with the path being resolved.
#[derive(Debug, Clone, Copy, Default)]
pub struct Walk {
    /// Follow a symlink in the last component (`stat`), or hand back the
    /// link itself (`lstat`).
    pub follow_last: bool,
    /// Create missing directories (every component, the last one too).
    pub create_dirs: Option<u32>,
}

impl Walk {
    /// Resolve as `stat` does: a symlink at the end is followed; nothing is
    /// created.
    pub const FOLLOW: Walk = Walk {
        follow_last: true,
        create_dirs: None,
    };
    /// Resolve as `lstat` does: a symlink at the end is handed back itself;
    /// nothing is created.
    pub const NOFOLLOW: Walk = Walk {
        follow_last: false,
        create_dirs: None,
    };
}

/// A path resolved inside a root: an `O_PATH` descriptor of what it names
/// and where that is, relative to the root.
#[derive(Debug)]
pub struct Resolved {
    pub fd: OwnedFd,
    /// The resolved path relative to the root, with no symlink left in it.
    pub rel: PathBuf,
}

impl Resolved {
    /// `/proc/self/fd/N`: a path for APIs that only take paths (mount
    /// sources and targets), naming exactly the object resolved.
    pub fn proc_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    /// `fstat` of the resolved object.
    pub fn metadata(&self) -> io::Result<libc::stat> {
        fstat(self.fd.as_fd())
    }

    /// Whether it is a directory.
    pub fn is_dir(&self) -> io::Result<bool> {
        Ok(self.metadata()?.st_mode & libc::S_IFMT == libc::S_IFDIR)
    }
}

/// An open root directory that paths are resolved inside.
#[derive(Debug)]
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
}

impl Root {
    /// Open `path` (a host path the caller trusts: a snapshot, a rootfs, a
    /// build context) as a root.
    pub fn new(path: &Path) -> Result<Root, InRootError> {
        let c = cstr(path.as_os_str()).map_err(|e| err(path, path, e))?;
        // SAFETY: plain open(2) of a NUL-terminated path.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(err(path, path, io::Error::last_os_error()));
        }
        Ok(Root {
            // SAFETY: a fresh descriptor we own.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            path: path.to_path_buf(),
        })
    }

    /// The root's host path (for messages).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root's descriptor.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Open `path` inside the root with `open(2)` `flags` (O_RDONLY,
    /// O_WRONLY|O_CREAT, ...; O_CLOEXEC is added, and with O_CREAT the
    /// file gets `mode`). The last component is followed unless `flags`
    /// has O_NOFOLLOW. openat2 where the kernel has it, the walk otherwise.
    pub fn open(&self, path: impl AsRef<Path>, flags: i32, mode: u32) -> Result<File, InRootError> {
        let path = path.as_ref();
        match openat2_in_root(self.fd.as_raw_fd(), path, flags | libc::O_CLOEXEC, mode) {
            Ok(fd) => return Ok(File::from(fd)),
            Err(e) if !openat2_unavailable(&e) => return Err(self.err(path, e)),
            Err(_) => {}
        }
        self.open_by_walk(path, flags, mode)
    }

    fn open_by_walk(&self, path: &Path, flags: i32, mode: u32) -> Result<File, InRootError> {
        let (dir, name) = self.parent(path, None)?;
        let Some(name) = name else {
            // The root itself (or a path that resolves to it).
            return reopen(dir.fd.as_fd(), flags)
                .map(File::from)
                .map_err(|e| self.err(path, e));
        };
        let follow = flags & libc::O_NOFOLLOW == 0;
        let fd = if follow {
            // The last component may be a symlink: resolve it fully (it
            // may not exist yet when creating, then open beside its parent).
            match self.resolve(path, Walk::FOLLOW) {
                Ok(r) => reopen(r.fd.as_fd(), flags),
                Err(e) if e.kind() == io::ErrorKind::NotFound && flags & libc::O_CREAT != 0 => {
                    openat(dir.fd.as_fd(), &name, flags | libc::O_NOFOLLOW, mode)
                }
                Err(e) => return Err(e),
            }
        } else {
            openat(dir.fd.as_fd(), &name, flags, mode)
        };
        fd.map(File::from).map_err(|e| self.err(path, e))
    }

    /// Read a regular file inside the root, at most `max` bytes: a FIFO, a
    /// device or a directory is an error (naming the path), never a hang,
    /// and so is a file larger than `max`.
    pub fn read_regular(&self, path: impl AsRef<Path>, max: u64) -> Result<Vec<u8>, InRootError> {
        let path = path.as_ref();
        // O_NONBLOCK: opening a FIFO must not wait for a writer.
        let f = self.open(path, libc::O_RDONLY | libc::O_NONBLOCK, 0)?;
        let st = fstat(f.as_fd()).map_err(|e| self.err(path, e))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(self.err(path, io::Error::other("not a regular file")));
        }
        if st.st_size as u64 > max {
            return Err(self.err(
                path,
                io::Error::other(format!("larger than {max} bytes ({} bytes)", st.st_size)),
            ));
        }
        let mut buf = Vec::with_capacity(st.st_size as usize);
        f.take(max + 1)
            .read_to_end(&mut buf)
            .map_err(|e| self.err(path, e))?;
        if buf.len() as u64 > max {
            return Err(self.err(path, io::Error::other(format!("larger than {max} bytes"))));
        }
        Ok(buf)
    }

    /// Create `path` and its missing parents as directories inside the
    /// root (mode `mode` for the ones made) and return the last one.
    pub fn mkdir_all(&self, path: impl AsRef<Path>, mode: u32) -> Result<Resolved, InRootError> {
        let r = self.resolve(
            path.as_ref(),
            Walk {
                follow_last: true,
                create_dirs: Some(mode),
            },
        )?;
        Ok(r)
    }

    /// The directory that holds `path`'s last component (missing ones made
    /// with `create_dirs`'s mode) and that component's name; `None` as the
    /// name when the path is the root itself. For creating entries with
    /// `mknodat`, `symlinkat`, `openat(O_CREAT | O_NOFOLLOW)` and the like.
    pub fn parent(
        &self,
        path: impl AsRef<Path>,
        create_dirs: Option<u32>,
    ) -> Result<(Resolved, Option<OsString>), InRootError> {
        let path = path.as_ref();
        let mut comps = clean_components(path);
        let last = comps.pop();
        let dir = self.walk(
            path,
            comps.into(),
            Walk {
                follow_last: true,
                create_dirs,
            },
        )?;
        Ok((dir, last))
    }

    /// Resolve `path` inside the root by the descriptor walk.
    pub fn resolve(&self, path: impl AsRef<Path>, how: Walk) -> Result<Resolved, InRootError> {
        let path = path.as_ref();
        let comps: VecDeque<OsString> = path
            .as_os_str()
            .as_bytes()
            .split(|b| *b == b'/')
            .map(|c| OsStr::from_bytes(c).to_os_string())
            .collect();
        self.walk(path, comps, how)
    }

    fn walk(
        &self,
        path: &Path,
        mut pending: VecDeque<OsString>,
        how: Walk,
    ) -> Result<Resolved, InRootError> {
        let fail = |e: io::Error| self.err(path, e);
        // Directories from the root down to the current one.
        let mut stack: Vec<(OwnedFd, OsString)> = Vec::new();
        let mut links = 0u32;
        let dup_root = || self.fd.try_clone().map_err(fail);
        while let Some(c) = pending.pop_front() {
            match c.as_bytes() {
                b"" | b"." => continue,
                b".." => {
                    stack.pop();
                    continue;
                }
                _ => {}
            }
            let is_last = pending.iter().all(|p| matches!(p.as_bytes(), b"" | b"."));
            let cur = stack
                .last()
                .map(|(fd, _)| fd.as_fd())
                .unwrap_or(self.fd.as_fd());
            let fd = match openat(cur, &c, libc::O_PATH | libc::O_NOFOLLOW, 0) {
                Ok(fd) => fd,
                Err(e) if e.kind() == io::ErrorKind::NotFound && how.create_dirs.is_some() => {
                    mkdirat(cur, &c, how.create_dirs.unwrap_or(0o755))
                        .or_else(|e| {
                            // Made by someone else meanwhile: fine.
                            if e.kind() == io::ErrorKind::AlreadyExists {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        })
                        .map_err(fail)?;
                    openat(cur, &c, libc::O_PATH | libc::O_NOFOLLOW, 0).map_err(fail)?
                }
                Err(e) => return Err(fail(e)),
            };
            let st = fstat(fd.as_fd()).map_err(fail)?;
            match st.st_mode & libc::S_IFMT {
                libc::S_IFLNK if !is_last || how.follow_last => {
                    links += 1;
                    if links > MAX_SYMLINKS {
                        return Err(fail(io::Error::from_raw_os_error(libc::ELOOP)));
                    }
                    let target = readlink_fd(fd.as_fd()).map_err(fail)?;
                    if target.as_bytes().starts_with(b"/") {
                        stack.clear();
                    }
                    for part in target.as_bytes().split(|b| *b == b'/').rev() {
                        pending.push_front(OsStr::from_bytes(part).to_os_string());
                    }
                }
                libc::S_IFDIR => stack.push((fd, c)),
                _ if is_last => {
                    let mut rel = PathBuf::new();
                    rel.extend(stack.iter().map(|(_, n)| n));
                    rel.push(&c);
                    return Ok(Resolved { fd, rel });
                }
                _ => return Err(fail(io::Error::from_raw_os_error(libc::ENOTDIR))),
            }
        }
        let mut rel = PathBuf::new();
        rel.extend(stack.iter().map(|(_, n)| n));
        let fd = match stack.pop() {
            Some((fd, _)) => fd,
            None => dup_root()?,
        };
        Ok(Resolved { fd, rel })
    }

    fn err(&self, path: &Path, source: io::Error) -> InRootError {
        err(path, &self.path, source)
    }
}

fn err(path: &Path, root: &Path, source: io::Error) -> InRootError {
    InRootError {
        path: path.to_path_buf(),
        root: root.to_path_buf(),
        source,
    }
}

/// Lexically cleaned components of a path inside a root: no `.`, no empty
/// ones, `..` applied and stopped at the root. (Symlinks are not looked at:
/// the walk resolves them.)
pub fn clean_components(path: &Path) -> Vec<OsString> {
    let mut out: Vec<OsString> = Vec::new();
    for c in path.as_os_str().as_bytes().split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            other => out.push(OsStr::from_bytes(other).to_os_string()),
        }
    }
    out
}

mod sys;
#[cfg(test)]
mod tests;

pub use sys::fstat;
use sys::{cstr, mkdirat, openat, openat2_in_root, openat2_unavailable, readlink_fd, reopen};
