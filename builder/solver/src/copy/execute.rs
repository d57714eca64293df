//! Phase two of COPY: fill a fresh upper directory with the planned items,
//! every write reached through the one resolve-in-root.

use std::collections::hash_map::{Entry, HashMap};
use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};

use skiff_core::inroot::{Resolved, Root};
/// The one timestamp setter (no symlink following), re-exported for the
/// other build steps that copy files.
pub use skiff_core::times::set_times;

use crate::tree::{in_root_err, Tree};

use super::{chmod, CopyPlan, Kind};

/// copy. `image` provides the metadata of destination parents that exist.
pub fn execute(p: &CopyPlan, image: &dyn Tree, upper: &Path) -> io::Result<()> {
    let root = Root::new(upper).map_err(in_root_err)?;
    let now = chrono::Utc::now().timestamp();
    // Directory times, by path in the image: set last, re-resolved then.
    let mut times: Vec<(String, i64, i64)> = Vec::new();
    for d in &p.dest_dirs {
        let target = InUpper::new(&root, d)?;
        let target = &target.path;
        if target.exists() {
            continue;
        }
        fs::create_dir(target)?;
        match image.node(d).filter(|n| n.md.is_dir()) {
            Some(n) => {
                // Same metadata as in the image, so the layer changes nothing.
                set_owner(target, n.md.uid(), n.md.gid())?;
                set_mode(target, n.md.mode() & 0o7777)?;
                times.push((d.clone(), n.md.mtime(), n.md.mtime_nsec()));
            }
            None => {
                let (uid, gid, mode) = if p.link { (0, 0, 0o755) } else { new_dir(p) };
                set_owner(target, uid, gid)?;
                set_mode(target, mode)?;
                times.push((d.clone(), now, 0));
            }
        }
    }
    // Files with several links: (dev, inode) of the source → the first
    // destination written, so names linked in the source stay linked.
    let mut linked: HashMap<(u64, u64), String> = HashMap::new();
    for it in &p.items {
        let target = InUpper::new(&root, &it.dest)?;
        let target = &target.path;
        let md = &it.src.md;
        let (uid, gid) = match p.chown {
            Some(o) => o,
            None if p.keep_owner => (md.uid(), md.gid()),
            None => (0, 0),
        };
        let is_dir = matches!(it.kind, Kind::Dir);
        let mode = match &p.chmod {
            Some(c) => chmod::apply(c, md.mode(), is_dir),
            None => md.mode() & 0o7777,
        };
        match &it.kind {
            Kind::Dir => {
                if it.dest.is_empty() {
                    continue; // COPY dir / : the root keeps its metadata
                }
                let existing = image.node(&it.dest).filter(|n| it.top_dir && n.md.is_dir());
                if let Some(n) = existing {
                    // An existing destination directory keeps its metadata.
                    if !target.exists() {
                        fs::create_dir(target)?;
                    }
                    set_owner(target, n.md.uid(), n.md.gid())?;
                    set_mode(target, n.md.mode() & 0o7777)?;
                    times.push((it.dest.clone(), n.md.mtime(), n.md.mtime_nsec()));
                    continue;
                }
                match fs::symlink_metadata(target) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        fs::remove_file(target)?;
                        fs::create_dir(target)?;
                    }
                    Err(_) => fs::create_dir(target)?,
                }
                // The destination a directory source creates is a new
                // directory, as BuildKit makes it: not the source's mode.
                let (uid, gid, mode) = if it.top_dir {
                    new_dir(p)
                } else {
                    (uid, gid, mode)
                };
                set_owner(target, uid, gid)?;
                set_mode(target, mode)?;
                times.push((it.dest.clone(), md.mtime(), md.mtime_nsec()));
            }
            Kind::File { .. } => {
                remove_existing(target)?;
                if md.nlink() > 1 {
                    match linked.entry((md.dev(), md.ino())) {
                        Entry::Occupied(first) => {
                            let first = InUpper::new(&root, first.get())?;
                            fs::hard_link(&first.path, target)?;
                            continue;
                        }
                        Entry::Vacant(v) => {
                            v.insert(it.dest.clone());
                        }
                    }
                }
                fs::copy(&it.src.real, target)?;
                set_owner(target, uid, gid)?;
                set_mode(target, mode)?;
                set_times(target, md.mtime(), md.mtime_nsec())?;
            }
            Kind::Symlink { target: link } => {
                remove_existing(target)?;
                symlink(link, target)?;
                set_owner(target, uid, gid)?;
                set_times(target, md.mtime(), md.mtime_nsec())?;
            }
            Kind::Archive { .. } => {
                let dir = root.mkdir_all(&it.dest, 0o755).map_err(in_root_err)?;
                unpack_archive(&it.src.real, &dir.proc_path(), p.chown)?;
            }
            Kind::Other => {
                remove_existing(target)?;
                let c = CString::new(target.as_os_str().as_bytes()).map_err(io::Error::other)?;
                // SAFETY: c is a valid NUL-terminated path; mknod has no other preconditions.
                if unsafe { libc::mknod(c.as_ptr(), md.mode(), md.rdev()) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                set_owner(target, uid, gid)?;
                set_times(target, md.mtime(), md.mtime_nsec())?;
            }
        }
    }
    // Directory mtimes last, deepest first: adding children changed them.
    times.sort_by(|a, b| b.0.cmp(&a.0));
    for (rel, s, ns) in times {
        set_times(&InUpper::new(&root, &rel)?.path, s, ns)?;
    }
    Ok(())
}

/// (uid, gid, mode) of a directory the copy creates: --chown's owner or
/// root, and 0755 or what --chmod makes of it (BuildKit applies both to
/// the parents it creates).
fn new_dir(p: &CopyPlan) -> (u32, u32, u32) {
    let (uid, gid) = p.chown.unwrap_or((0, 0));
    let mode = match &p.chmod {
        Some(c) => chmod::apply(c, 0o755, true),
        None => 0o755,
    };
    (uid, gid, mode)
}

/// A path of the image inside `upper`, reached through the one
/// resolve-in-root: a symlink an earlier item of this COPY made cannot
/// lead a later one out of `upper`. The path goes through the parent's
/// descriptor (`/proc/self/fd/N/name`), held open while it is used.
struct InUpper {
    _dir: Resolved,
    path: PathBuf,
}

impl InUpper {
    fn new(root: &Root, rel: &str) -> io::Result<InUpper> {
        let (dir, name) = root.parent(rel, None).map_err(in_root_err)?;
        let path = match name {
            Some(n) => dir.proc_path().join(n),
            None => dir.proc_path(),
        };
        Ok(InUpper { _dir: dir, path })
    }
}

fn remove_existing(p: &Path) -> io::Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p),
        Ok(_) => fs::remove_file(p),
        Err(_) => Ok(()),
    }
}

fn unpack_archive(src: &Path, dest: &Path, chown: Option<(u32, u32)>) -> io::Result<()> {
    use std::io::Read;
    let mut magic = [0u8; 2];
    fs::File::open(src)?.read_exact(&mut magic)?;
    let f = fs::File::open(src)?;
    let r: Box<dyn Read> = if magic == [0x1f, 0x8b] {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut ar = tar::Archive::new(r);
    ar.set_preserve_permissions(true);
    ar.set_preserve_ownerships(true);
    ar.set_preserve_mtime(true);
    ar.set_unpack_xattrs(true);
    ar.unpack(dest)?;
    if let Some((uid, gid)) = chown {
        chown_tree(dest, uid, gid)?;
    }
    Ok(())
}

fn chown_tree(p: &Path, uid: u32, gid: u32) -> io::Result<()> {
    set_owner(p, uid, gid)?;
    if fs::symlink_metadata(p)?.is_dir() {
        for e in fs::read_dir(p)? {
            chown_tree(&e?.path(), uid, gid)?;
        }
    }
    Ok(())
}

/// lchown, where the build may: unprivileged builds keep the caller's
/// ownership.
pub fn set_owner(p: &Path, uid: u32, gid: u32) -> io::Result<()> {
    match std::os::unix::fs::lchown(p, Some(uid), Some(gid)) {
        Ok(()) => Ok(()),
        // Unprivileged builds keep the caller's ownership.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => Ok(()),
        Err(e) => Err(e),
    }
}

fn set_mode(p: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_core::testing::escape_tree;

    // COPY writes into its upper dir through resolve-in-root: a symlink
    // there (made by an earlier item) never leads a write to the host.
    #[test]
    fn writes_stay_in_upper() {
        let (_d, upper, outside) = escape_tree("esc");
        let root = Root::new(&upper).unwrap();
        let t = InUpper::new(&root, "esc/f");
        if let Ok(t) = t {
            let _ = fs::write(&t.path, "x");
        }
        assert!(!outside.join("f").exists());
    }
}
