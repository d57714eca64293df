//! Reading a path out of a container for `cp` (to a host directory or as a
//! tar on stdout): the container's read-only view ([`crate::view`]) as a
//! resolve-in-root [`Root`], walked entry by entry, each one opened from
//! the descriptor its resolution returned.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};

use skiff_core::inroot::{Resolved, Root, Walk};

use crate::error::{io, Error, Result};
use crate::paths::Layout;

/// One object read from the container, named as it lands (relative to the
/// copy's top).
pub struct Entry {
    pub name: PathBuf,
    pub st: libc::stat,
    /// A symlink's target, as stored.
    pub link: Option<PathBuf>,
    /// A regular file's contents.
    pub file: Option<File>,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.st.st_mode & libc::S_IFMT == libc::S_IFDIR
    }
}

/// A container's filesystem, open for reading.
pub struct Source {
    root: Root,
    _view: OwnedFd,
}

impl Source {
    pub fn open(layout: &Layout, id: &str) -> Result<Source> {
        let view = crate::view::open(layout, id)?;
        let root = Root::new(&PathBuf::from(format!(
            "/proc/self/fd/{}",
            view.as_raw_fd()
        )))?;
        Ok(Source { root, _view: view })
    }

    /// `path` resolved inside the container (its last symlink followed
    /// when `follow`); None when it does not exist.
    pub fn stat(&self, path: &str, follow: bool) -> Result<Option<libc::stat>> {
        let how = if follow { Walk::FOLLOW } else { Walk::NOFOLLOW };
        match self.root.resolve(path, how) {
            Ok(r) => Ok(Some(r.metadata().map_err(|e| io(path.to_string(), e))?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Hand `path` and, for a directory, everything below it to `each`,
    /// parents first; the top is named `top`.
    pub fn walk(
        &self,
        path: &str,
        follow: bool,
        top: &Path,
        each: &mut dyn FnMut(Entry) -> Result<()>,
    ) -> Result<()> {
        let how = if follow { Walk::FOLLOW } else { Walk::NOFOLLOW };
        let r = self.root.resolve(path, how)?;
        self.visit(r, top.to_path_buf(), each)
    }

    fn visit(
        &self,
        r: Resolved,
        name: PathBuf,
        each: &mut dyn FnMut(Entry) -> Result<()>,
    ) -> Result<()> {
        let st = r
            .metadata()
            .map_err(|e| io(name.display().to_string(), e))?;
        let fmt = st.st_mode & libc::S_IFMT;
        let mut entry = Entry {
            name: name.clone(),
            st,
            link: None,
            file: None,
        };
        match fmt {
            libc::S_IFLNK => entry.link = Some(readlink(&r)?),
            // Reopened through its own descriptor: the very inode that was
            // checked, whatever the container did to the path meanwhile.
            libc::S_IFREG => {
                entry.file =
                    Some(File::open(r.proc_path()).map_err(|e| io(name.display().to_string(), e))?)
            }
            _ => {}
        }
        each(entry)?;
        if fmt != libc::S_IFDIR {
            return Ok(());
        }
        let mut names: Vec<OsString> = std::fs::read_dir(r.proc_path())
            .map_err(|e| io(format!("cannot read {}", name.display()), e))?
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect();
        names.sort();
        for child in names {
            // Below the resolved directory, never through a symlink.
            let path = r.rel.join(&child);
            match self.root.resolve(&path, Walk::NOFOLLOW) {
                Ok(c) => self.visit(c, name.join(&child), each)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {} // gone meanwhile
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

fn readlink(r: &Resolved) -> Result<PathBuf> {
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: readlinkat on the symlink's own O_PATH descriptor with an
    // empty path reads that link; buf is large enough for PATH_MAX.
    let n = unsafe {
        libc::readlinkat(
            r.fd.as_raw_fd(),
            c"".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(Error::Io {
            context: format!("cannot read link {}", r.rel.display()),
            source: std::io::Error::last_os_error(),
        });
    }
    buf.truncate(n as usize);
    Ok(PathBuf::from(OsString::from_vec(buf)))
}
