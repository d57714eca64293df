//! `docker diff`: what a container changed in its filesystem, read from its
//! overlay upper dir against the image's layers. A path in the upper dir is
//! Added when no layer has it and Changed when one does; a whiteout (the
//! 0/0 character device overlayfs leaves for a deleted file) is Deleted.
//! Directories that only hold changes are Changed, as docker lists them.
//!
//! The upper dir belongs to a container that may be running and hostile:
//! it is walked through skiff-core's resolve-in-root, so a directory
//! swapped for a symlink mid-walk cannot lead the listing out of it.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use skiff_core::inroot::{Root, Walk};

use crate::error::{io_at, Result};
use crate::paths::Layout;
use crate::state;

/// One change, as docker prints it (`A /path`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Added,
    Changed,
    Deleted,
}

impl Kind {
    pub fn letter(self) -> char {
        match self {
            Kind::Changed => 'C',
            Kind::Added => 'A',
            Kind::Deleted => 'D',
        }
    }
}

/// Every change of container `id`, sorted by path.
pub fn changes(layout: &Layout, id: &str) -> Result<Vec<(Kind, PathBuf)>> {
    let dir = layout.container(id);
    let cfg = state::load_config(&dir)?;
    let upper = dir.join("upper");
    if !upper.is_dir() {
        return Ok(Vec::new());
    }
    let root = Root::new(&upper)?;
    // Top-most layer first: the first one that knows a path decides.
    let lowers: Vec<Root> = cfg
        .layers
        .iter()
        .rev()
        .map(|l| Root::new(l))
        .collect::<std::result::Result<_, _>>()?;
    let mut out = Vec::new();
    walk(&root, &lowers, Path::new("/"), &mut out)?;
    drop_placeholders(&root, &mut out);
    out.sort_by(|a, b| a.1.as_os_str().as_bytes().cmp(b.1.as_os_str().as_bytes()));
    Ok(out)
}

/// The files skiff bind-mounts over (see `rootfs::write_etc_files`).
const PLACEHOLDERS: [&str; 3] = ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"];

/// docker keeps the empty mount targets of /etc/hosts, /etc/hostname and
/// /etc/resolv.conf in an "init" layer below the container's, so its diff
/// never lists them; skiff's runtime makes them in the upper dir. Drop them
/// when they are still skiff's empty placeholders, and /etc with them when
/// nothing else in it changed.
fn drop_placeholders(root: &Root, out: &mut Vec<(Kind, PathBuf)>) {
    let placeholder = |kind: Kind, p: &Path| {
        kind == Kind::Added
            && PLACEHOLDERS.iter().any(|h| p == Path::new(h))
            && root
                .resolve(p, Walk::NOFOLLOW)
                .ok()
                .and_then(|r| r.metadata().ok())
                .is_some_and(|st| st.st_mode & S_IFMT == libc::S_IFREG && st.st_size == 0)
    };
    let before = out.len();
    out.retain(|(k, p)| !placeholder(*k, p));
    let etc = Path::new("/etc");
    if out.len() != before && !out.iter().any(|(_, p)| p.starts_with(etc) && p != etc) {
        out.retain(|(k, p)| !(*k == Kind::Changed && p == etc));
    }
}

const S_IFMT: u32 = libc::S_IFMT;

fn walk(root: &Root, lowers: &[Root], rel: &Path, out: &mut Vec<(Kind, PathBuf)>) -> Result<()> {
    let d = root.resolve(rel, Walk::NOFOLLOW)?;
    let proc = d.proc_path();
    let mut names: Vec<OsString> = std::fs::read_dir(&proc)
        .map_err(|e| {
            io_at(
                "cannot read",
                &root.path().join(rel.strip_prefix("/").unwrap_or(rel)),
                e,
            )
        })?
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    names.sort();
    for name in names {
        let path = rel.join(&name);
        let Ok(r) = root.resolve(&path, Walk::NOFOLLOW) else {
            continue; // removed by the running container meanwhile
        };
        let Ok(st) = r.metadata() else { continue };
        let fmt = st.st_mode & S_IFMT;
        if fmt == libc::S_IFCHR && st.st_rdev == 0 {
            out.push((Kind::Deleted, path));
            continue;
        }
        let kind = if in_lowers(lowers, &path) {
            Kind::Changed
        } else {
            Kind::Added
        };
        out.push((kind, path.clone()));
        // A new directory's contents are new too, but docker lists them
        // all; an opaque one hides the layers below, so what it holds is
        // added whatever the layers have.
        if fmt == libc::S_IFDIR {
            if kind == Kind::Added || opaque(&r.proc_path()) {
                let mut sub = Vec::new();
                walk(root, &[], &path, &mut sub)?;
                out.extend(sub);
            } else {
                walk(root, lowers, &path, out)?;
            }
        }
    }
    Ok(())
}

/// Whether the image's layers have `path`: the top-most layer holding it
/// or a whiteout for it decides; an opaque directory on the way hides
/// everything below.
fn in_lowers(lowers: &[Root], path: &Path) -> bool {
    for l in lowers {
        if let Ok(r) = l.resolve(path, Walk::NOFOLLOW) {
            let Ok(st) = r.metadata() else { return false };
            return !(st.st_mode & S_IFMT == libc::S_IFCHR && st.st_rdev == 0);
        }
        if hidden_below(l, path) {
            return false;
        }
    }
    false
}

/// Whether a directory on `path`'s way is opaque in this layer.
fn hidden_below(layer: &Root, path: &Path) -> bool {
    path.ancestors()
        .skip(1)
        .filter(|a| *a != Path::new("/"))
        .any(|a| match layer.resolve(a, Walk::NOFOLLOW) {
            Ok(r) => opaque(&r.proc_path()),
            Err(_) => false,
        })
}

fn opaque(proc_path: &Path) -> bool {
    matches!(xattr::get(proc_path, "trusted.overlay.opaque"), Ok(Some(v)) if v == b"y")
}
