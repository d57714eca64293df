//! `--squash`: the stage's own layers merged into one upper directory,
//! deletions kept as overlay whiteouts so the single layer still removes
//! what the base had.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

fn remove(p: &Path) -> io::Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p),
        Ok(_) => fs::remove_file(p),
        Err(_) => Ok(()),
    }
}

fn whiteout(p: &Path) -> io::Result<()> {
    let c = CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: valid NUL-terminated path; a 0/0 char device is overlay's whiteout.
    if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Apply one snapshot (overlay format) on top of `dest`, keeping deletions
/// as whiteouts (for a layer).
pub fn apply_overlay_layer(snap: &Path, dest: &Path) -> io::Result<()> {
    apply(snap, dest, true)
}

/// Apply one snapshot on top of `dest` as a plain filesystem (for a rootfs).
pub fn apply_to_rootfs(snap: &Path, dest: &Path) -> io::Result<()> {
    apply(snap, dest, false)
}

fn apply(snap: &Path, dest: &Path, keep_whiteouts: bool) -> io::Result<()> {
    for e in fs::read_dir(snap)? {
        let e = e?;
        let src = e.path();
        let dst = dest.join(e.file_name());
        let md = fs::symlink_metadata(&src)?;
        let ft = md.file_type();
        if ft.is_char_device() && md.rdev() == 0 {
            remove(&dst)?;
            if keep_whiteouts {
                whiteout(&dst)?;
            }
            continue;
        }
        if ft.is_dir() {
            let opaque =
                matches!(xattr::get(&src, "trusted.overlay.opaque"), Ok(Some(v)) if v == b"y");
            match fs::symlink_metadata(&dst) {
                Ok(m) if m.is_dir() && !opaque => {}
                _ => {
                    remove(&dst)?;
                    fs::create_dir(&dst)?;
                }
            }
            if opaque && keep_whiteouts {
                let _ = xattr::set(&dst, "trusted.overlay.opaque", b"y");
            }
            apply(&src, &dst, keep_whiteouts)?;
            copy_meta(&md, &dst)?;
            continue;
        }
        remove(&dst)?;
        if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
        } else if ft.is_file() {
            fs::copy(&src, &dst)?;
        } else {
            let c = CString::new(dst.as_os_str().as_bytes()).map_err(io::Error::other)?;
            // SAFETY: valid path; recreating a device/fifo node as it was.
            if unsafe { libc::mknod(c.as_ptr(), md.mode(), md.rdev()) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        copy_meta(&md, &dst)?;
    }
    Ok(())
}

fn copy_meta(md: &fs::Metadata, dst: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::os::unix::fs::lchown(dst, Some(md.uid()), Some(md.gid()));
    if !md.file_type().is_symlink() {
        fs::set_permissions(dst, fs::Permissions::from_mode(md.mode() & 0o7777))?;
    }
    crate::copy::set_times(dst, md.mtime(), md.mtime_nsec())
}
