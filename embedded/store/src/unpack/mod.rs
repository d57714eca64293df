//! Applying one layer tar to an empty directory, safely.
//!
//! We read entries with the tar crate (long names, PAX headers, GNU sparse
//! files) but create everything ourselves, because its `unpack` writes device
//! nodes and FIFOs as regular files, knows no whiteouts and resolves paths
//! through the host's symlinks, which both rejects valid images (`var/run ->
//! /run` plus files under it) and is not what a container will see. Rules:
//! - paths are cleaned lexically; leading `/` is dropped (contained), a `..`
//!   that climbs above the root is refused;
//! - parents are resolved inside the root (symlinks included) by
//!   `skiff_core::inroot`, the final component is never followed. The
//!   resolved directory is then used by its host path (root + `rel`, real
//!   directories only): sound because the tree is a private temp dir that
//!   only this unpack writes to, so nothing can swap a directory for a
//!   symlink between the walk and the use;
//! - hardlink targets must already exist inside this layer;
//! - `.wh.<name>` becomes an overlayfs whiteout (char device 0/0 `<name>`),
//!   `.wh..wh..opq` sets `trusted.overlay.opaque=y` on its directory;
//! - owners, modes (after chown, which clears setuid), allow-listed xattrs
//!   (`xattr_allowed`) and mtimes are applied; directory metadata last so
//!   children don't disturb it;
//! - declared sizes are checked against the budget (`limits`) before any
//!   data is read; GNU sparse holes are seeked over, never written.

mod add_archive;
mod paths;
mod sys;

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use skiff_core::inroot::Root;
use skiff_core::times::set_times;
use tar::EntryType;

use crate::error::{Error, Result};
use crate::limits::Budget;

pub use add_archive::{is_tar_archive, unpack_add_archive};
pub(crate) use paths::clean_path;
use paths::resolve_dir;

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";

/// Metadata applied to a directory once everything under it is written.
struct DirMeta {
    /// Cleaned components under the root (empty: the root itself). Resolved
    /// again at the end: a later entry may have replaced the directory, or
    /// one of its parents, with a symlink.
    comps: Vec<OsString>,
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: i64,
}

/// What an unpack wrote.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct UnpackStats {
    /// Sum of regular file sizes (docker's notion of layer size).
    pub content_size: u64,
    pub entries: u64,
}

/// One unpack: the root, and the last parent directory resolved (layers
/// list a directory's entries together, so most entries reuse it). The
/// cache is dropped whenever an entry removes anything, since only a
/// removal can change where an existing path leads.
struct Unpacker<'a> {
    root: Root,
    root_path: &'a Path,
    last_dir: Option<(Vec<OsString>, PathBuf)>,
    dirs: Vec<DirMeta>,
    stats: UnpackStats,
    budget: Budget,
}

impl Unpacker<'_> {
    fn dir(&mut self, comps: &[OsString], create: bool) -> io::Result<PathBuf> {
        if let Some((k, p)) = &self.last_dir {
            if k.as_slice() == comps {
                return Ok(p.clone());
            }
        }
        let p = resolve_dir(&self.root, self.root_path, comps, create)?;
        self.last_dir = Some((comps.to_vec(), p.clone()));
        Ok(p)
    }

    /// Remove whatever is at `path` (never following it). Directories only
    /// when `dirs_too` (an entry replacing a directory with a file).
    fn remove_existing(&mut self, path: &Path, dirs_too: bool) -> io::Result<()> {
        let removed = match fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => {
                dirs_too && {
                    crate::tmp::remove_tree(path)?;
                    true
                }
            }
            Ok(_) => {
                fs::remove_file(path)?;
                true
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        if removed {
            self.last_dir = None;
        }
        Ok(())
    }
}

/// Header facts with PAX overrides applied.
struct Meta {
    mode: u32,
    uid: u64,
    gid: u64,
    mtime: i64,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

fn read_meta<R: Read>(e: &mut tar::Entry<'_, R>) -> io::Result<Meta> {
    let entry_name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
    let h = e.header();
    let mut m = Meta {
        mode: h.mode().unwrap_or(0o644) & 0o7777,
        uid: h.uid().unwrap_or(0),
        gid: h.gid().unwrap_or(0),
        mtime: h.mtime().unwrap_or(0) as i64,
        xattrs: Vec::new(),
    };
    if let Some(pax) = e.pax_extensions()? {
        for ext in pax.flatten() {
            let Ok(key) = ext.key() else { continue };
            let val = ext.value_bytes();
            let num = || {
                std::str::from_utf8(val)
                    .ok()
                    .and_then(|s| s.split('.').next()?.parse::<i64>().ok())
            };
            match key {
                "uid" => m.uid = num().map(|v| v as u64).unwrap_or(m.uid),
                "gid" => m.gid = num().map(|v| v as u64).unwrap_or(m.gid),
                "mtime" => m.mtime = num().unwrap_or(m.mtime),
                k => {
                    if let Some(name) = k.strip_prefix("SCHILY.xattr.") {
                        if xattr_allowed(name) {
                            m.xattrs.push((name.as_bytes().to_vec(), val.to_vec()));
                        } else {
                            tracing::debug!("{entry_name}: dropping xattr {name} from the layer");
                        }
                    }
                }
            }
        }
    }
    Ok(m)
}

/// Whether a layer may set the xattr `name`. `trusted.*` (overlayfs keeps
/// its opaque/redirect/metacopy bookkeeping there, so a layer could
/// redirect lookups or hide directories) and every other namespace are
/// dropped; only what images legitimately carry is applied: `user.*`, file
/// capabilities and POSIX ACLs (docker and containerd keep the same).
fn xattr_allowed(name: &str) -> bool {
    name.starts_with("user.")
        || matches!(
            name,
            "security.capability" | "system.posix_acl_access" | "system.posix_acl_default"
        )
}

/// Unpack the uncompressed layer tar `r` into the empty directory `root`.
/// `layer` names the layer in errors. The stream is read to its very end so
/// a caller hashing it gets the whole diff ID.
/// `budget` caps the declared size of its regular files (see `limits`).
pub(crate) fn unpack_tar<R: Read>(
    r: R,
    root: &Path,
    layer: &str,
    budget: Budget,
) -> Result<UnpackStats> {
    let mut ar = tar::Archive::new(r);
    let mut u = Unpacker {
        root: Root::new(root).map_err(|e| Error::Unpack {
            layer: layer.to_string(),
            entry: String::new(),
            source: e.source,
        })?,
        root_path: root,
        last_dir: None,
        dirs: Vec::new(),
        stats: UnpackStats::default(),
        budget,
    };
    let entries = ar.entries().map_err(|source| Error::Unpack {
        layer: layer.to_string(),
        entry: String::new(),
        source,
    })?;
    let mut last_entry = String::new();
    for entry in entries {
        let mut entry = entry.map_err(|source| Error::Unpack {
            layer: layer.to_string(),
            entry: format!("after {last_entry}"),
            source,
        })?;
        let raw = entry.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&raw).into_owned();
        last_entry = name.clone();
        u.stats.entries += 1;
        u.apply_entry(&mut entry, &raw).map_err(|e| match e {
            EntryError::Unsafe(reason) => Error::UnsafeEntry {
                layer: layer.to_string(),
                entry: name.clone(),
                reason,
            },
            EntryError::Io(source) => Error::Unpack {
                layer: layer.to_string(),
                entry: name.clone(),
                source,
            },
        })?;
    }
    // Drain the end-of-archive blocks and any padding so the caller's hash
    // covers the whole stream.
    let mut inner = ar.into_inner();
    io::copy(&mut inner, &mut io::sink()).map_err(|source| Error::Unpack {
        layer: layer.to_string(),
        entry: "end of archive".into(),
        source,
    })?;
    for d in u.dirs.iter().rev() {
        apply_dir_meta(&u.root, root, d).map_err(|source| Error::Unpack {
            layer: layer.to_string(),
            entry: d
                .comps
                .iter()
                .map(|c| c.to_string_lossy())
                .collect::<Vec<_>>()
                .join("/"),
            source,
        })?;
    }
    Ok(u.stats)
}

enum EntryError {
    Unsafe(String),
    Io(io::Error),
}

impl From<io::Error> for EntryError {
    fn from(e: io::Error) -> Self {
        EntryError::Io(e)
    }
}

impl Unpacker<'_> {
    fn apply_entry<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        raw: &[u8],
    ) -> std::result::Result<(), EntryError> {
        let kind = entry.header().entry_type();
        if matches!(
            kind,
            EntryType::XGlobalHeader
                | EntryType::XHeader
                | EntryType::GNULongName
                | EntryType::GNULongLink
        ) {
            return Ok(());
        }
        let comps = clean_path(raw).ok_or_else(|| {
            EntryError::Unsafe("its path climbs out of the layer root with \"..\"".into())
        })?;
        let meta = read_meta(entry)?;

        // The root itself ("./"): only its metadata.
        let Some((base, parents)) = comps.split_last() else {
            if kind == EntryType::Directory {
                self.dirs.push(DirMeta {
                    comps: Vec::new(),
                    mode: meta.mode,
                    uid: meta.uid,
                    gid: meta.gid,
                    mtime: meta.mtime,
                });
            }
            return Ok(());
        };
        let base_bytes = base.as_bytes();

        // Whiteouts.
        if base_bytes.starts_with(WHITEOUT_PREFIX.as_bytes()) {
            let parent = self.dir(parents, true)?;
            if base_bytes == OPAQUE_WHITEOUT.as_bytes() {
                xattr::set(&parent, "trusted.overlay.opaque", b"y")?;
            } else if base_bytes.starts_with(b".wh..wh.") {
                // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs): meaningless here.
            } else {
                let target = parent.join(OsString::from(std::ffi::OsStr::from_bytes(
                    &base_bytes[WHITEOUT_PREFIX.len()..],
                )));
                let name = &base_bytes[WHITEOUT_PREFIX.len()..];
                if name.is_empty() || name == b"." || name == b".." {
                    return Err(EntryError::Unsafe("whiteout without a name".into()));
                }
                self.remove_existing(&target, false)?;
                sys::mknod(&target, libc::S_IFCHR, 0, 0)?;
                let _ = sys::lchown(&target, meta.uid, meta.gid);
            }
            return Ok(());
        }

        let parent = self.dir(parents, true)?;
        let path = parent.join(base);
        match kind {
            EntryType::Directory => {
                match fs::symlink_metadata(&path) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        self.remove_existing(&path, true)?;
                        fs::DirBuilder::new().mode(0o700).create(&path)?;
                    }
                    Err(_) => fs::DirBuilder::new().mode(0o700).create(&path)?,
                }
                set_owner(&path, &meta)?;
                set_xattrs(&path, &meta.xattrs)?;
                self.dirs.push(DirMeta {
                    comps: comps.clone(),
                    mode: meta.mode,
                    uid: meta.uid,
                    gid: meta.gid,
                    mtime: meta.mtime,
                });
            }
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                // The declared size (a sparse entry's apparent size) is
                // checked before any data is read: a tiny tar can declare
                // a petabyte.
                self.budget.take(entry.size()).map_err(EntryError::Unsafe)?;
                self.remove_existing(&path, true)?;
                let n = if kind == EntryType::GNUSparse {
                    // The tar crate's own unpack seeks over a sparse
                    // entry's holes (its Read would hand them to us as
                    // zeros, byte by byte). It creates the file with
                    // O_EXCL, so never through a symlink; the metadata is
                    // ours, set below.
                    entry.unpack(&path)?;
                    entry.size()
                } else {
                    let mut f = OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .custom_flags(libc::O_NOFOLLOW)
                        .open(&path)?;
                    copy_sparse(entry, &mut f)?
                };
                self.stats.content_size += n;
                set_meta(&path, &meta)?;
            }
            EntryType::Symlink => {
                let target = link_target(entry, "symlink")?;
                self.remove_existing(&path, true)?;
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&target), &path)?;
                set_owner(&path, &meta)?;
                set_times(&path, meta.mtime, 0)?;
            }
            EntryType::Link => {
                let raw_target = link_target(entry, "hardlink")?;
                let tcomps = clean_path(&raw_target).ok_or_else(|| {
                    EntryError::Unsafe(format!(
                        "hardlink target {:?} climbs out of the layer root",
                        String::from_utf8_lossy(&raw_target)
                    ))
                })?;
                let Some((tbase, tparents)) = tcomps.split_last() else {
                    return Err(EntryError::Unsafe("hardlink to the layer root".into()));
                };
                let missing = || {
                    EntryError::Unsafe(format!(
                        "hardlink target {:?} is not a file of this layer",
                        String::from_utf8_lossy(&raw_target)
                    ))
                };
                let tparent = self.dir(tparents, false).map_err(|_| missing())?;
                let target = tparent.join(tbase);
                match fs::symlink_metadata(&target) {
                    Ok(m) if !m.is_dir() => {}
                    _ => return Err(missing()),
                }
                if target == path {
                    return Ok(());
                }
                self.remove_existing(&path, true)?;
                fs::hard_link(&target, &path)?;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let h = entry.header();
                let major = h.device_major().ok().flatten().unwrap_or(0);
                let minor = h.device_minor().ok().flatten().unwrap_or(0);
                let fmt = match kind {
                    EntryType::Char => libc::S_IFCHR,
                    EntryType::Block => libc::S_IFBLK,
                    _ => libc::S_IFIFO,
                };
                self.remove_existing(&path, true)?;
                match sys::mknod(&path, fmt | (meta.mode & 0o7777), major, minor) {
                    Ok(()) => {}
                    // Without CAP_MKNOD (rootless) devices can't exist; docker
                    // skips them the same way in user namespaces.
                    Err(e) if e.raw_os_error() == Some(libc::EPERM) && fmt != libc::S_IFIFO => {
                        tracing::warn!("skipping device node {}: {e}", path.display());
                        return Ok(());
                    }
                    Err(e) => return Err(e.into()),
                }
                // mknod's mode went through the umask: set it again.
                set_meta(&path, &meta)?;
            }
            other => {
                tracing::warn!(
                    "skipping tar entry {} of unsupported type {other:?}",
                    path.display()
                );
            }
        }
        Ok(())
    }
}

/// The tar entry's link target (symlink or hardlink, `what`).
fn link_target<R: Read>(
    entry: &tar::Entry<'_, R>,
    what: &str,
) -> std::result::Result<Vec<u8>, EntryError> {
    entry
        .link_name_bytes()
        .map(|t| t.into_owned())
        .ok_or_else(|| EntryError::Unsafe(format!("{what} without a target")))
}

/// Owner, then mode (chown clears setuid, so after it), xattrs and mtime of
/// a file or device node, never following a symlink.
fn set_meta(path: &Path, meta: &Meta) -> io::Result<()> {
    set_owner(path, meta)?;
    fs::set_permissions(
        path,
        std::os::unix::fs::PermissionsExt::from_mode(meta.mode),
    )?;
    set_xattrs(path, &meta.xattrs)?;
    set_times(path, meta.mtime, 0)
}

fn set_owner(path: &Path, meta: &Meta) -> io::Result<()> {
    match sys::lchown(path, meta.uid, meta.gid) {
        Ok(()) => Ok(()),
        // Rootless: files end up owned by the caller, as with rootless podman
        // without an ID map.
        Err(e)
            if e.raw_os_error() == Some(libc::EPERM) || e.raw_os_error() == Some(libc::EINVAL) =>
        {
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn set_xattrs(path: &Path, xattrs: &[(Vec<u8>, Vec<u8>)]) -> io::Result<()> {
    for (k, v) in xattrs {
        if let Err(e) = xattr::set(path, std::ffi::OsStr::from_bytes(k), v) {
            match e.raw_os_error() {
                Some(libc::EPERM) | Some(libc::ENOTSUP) => tracing::warn!(
                    "{}: cannot set xattr {}: {e}",
                    path.display(),
                    String::from_utf8_lossy(k)
                ),
                _ => return Err(e),
            }
        }
    }
    Ok(())
}

/// Apply a directory's metadata, unless it is no longer a directory (chmod
/// follows symlinks: a dir replaced by `dir -> /etc` must not chmod the
/// host's /etc).
fn apply_dir_meta(root: &Root, root_path: &Path, d: &DirMeta) -> io::Result<()> {
    let path = match d.comps.split_last() {
        None => root_path.to_path_buf(),
        Some((base, parents)) => match resolve_dir(root, root_path, parents, false) {
            Ok(p) => p.join(base),
            Err(_) => return Ok(()),
        },
    };
    match fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => {}
        _ => return Ok(()),
    }
    let _ = sys::lchown(&path, d.uid, d.gid);
    fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(d.mode))?;
    set_times(&path, d.mtime, 0)
}

/// Copy file data, seeking over all-zero blocks so sparse files (and
/// zero-filled ones) stay sparse on disk.
fn copy_sparse(r: &mut dyn Read, f: &mut File) -> io::Result<u64> {
    let mut buf = vec![0u8; 128 << 10];
    let mut total = 0u64;
    let mut pending_hole = false;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = &buf[..n];
        if chunk.len() >= 4096 && chunk.iter().all(|b| *b == 0) {
            f.seek(SeekFrom::Current(n as i64))?;
            pending_hole = true;
        } else {
            f.write_all(chunk)?;
            pending_hole = false;
        }
        total += n as u64;
    }
    if pending_hole {
        f.set_len(total)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
