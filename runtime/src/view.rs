//! A container's filesystem as the container sees it (its image's layers
//! with its own changes on top), read-only, for `export` and `cp` out of a
//! container, whether it runs or not.
//!
//! The view is an overlay with no upper dir whose top-most lower dir is the
//! container's upper dir. It is mounted, opened, and at once lazily
//! detached: the open directory is all that keeps it, so it vanishes with
//! the process that reads it and no crash leaves a mount behind.
//!
//! The container may be running and hostile: it can swap any of its files
//! for a symlink to a host path while skiff reads. [`enter`] therefore
//! makes the view the reading process's root (`chroot`), so no path the
//! reader follows can lead out of it.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use crate::error::{errno, io, io_at, Error, Result};
use crate::paths::Layout;
use crate::{rootfs, state};

/// Mount, open and detach the read-only view of container `id`; the
/// returned directory is its root.
pub fn open(layout: &Layout, id: &str) -> Result<OwnedFd> {
    let dir = layout.container(id);
    let cfg = state::load_config(&dir)?;
    let upper = dir.join("upper");
    std::fs::create_dir_all(&upper).map_err(|e| io_at("cannot create", &upper, e))?;
    if cfg.layers.is_empty() {
        // Nothing below the container's own files (FROM scratch, nothing
        // imported): its upper dir is the whole view.
        return open_dir(&upper);
    }
    let lower = rootfs::link_layers(&dir, &cfg.layers)?;
    let target = format!("view-{}", std::process::id());
    let mnt = dir.join(&target);
    std::fs::create_dir_all(&mnt).map_err(|e| io_at("cannot create", &mnt, e))?;
    // The layer links are relative to the container dir, which keeps the
    // mount data under a page for dozens of layers (see rootfs).
    let data = format!("lowerdir=upper:{lower}");
    let prev = std::env::current_dir().ok();
    let res = std::env::set_current_dir(&dir)
        .map_err(|e| io_at("cannot enter", &dir, e))
        .and_then(|()| {
            nix::mount::mount(
                Some("overlay"),
                target.as_str(),
                Some("overlay"),
                nix::mount::MsFlags::MS_RDONLY,
                Some(data.as_str()),
            )
            .map_err(|e| errno(format!("cannot mount the view of container {id}"), e))
        });
    let _ = std::env::set_current_dir(prev.as_deref().unwrap_or(Path::new("/")));
    res.inspect_err(|_| {
        let _ = std::fs::remove_dir(&mnt);
    })?;
    let fd = open_dir(&mnt);
    // Lazily: the fd keeps the view; nothing else can reach it.
    if let Ok(c) = CString::new(mnt.as_os_str().as_encoded_bytes()) {
        // SAFETY: plain syscall on a NUL-terminated path.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    }
    let _ = std::fs::remove_dir(&mnt);
    fd
}

fn open_dir(path: &Path) -> Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| Error::Invalid(format!("bad path {}", path.display())))?;
    // SAFETY: open(2) of a NUL-terminated path; the fd is owned below.
    let fd = unsafe {
        libc::open(
            c.as_ptr(),
            libc::O_DIRECTORY | libc::O_RDONLY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io_at("cannot open", path, std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Make `view` this process's root and working directory. For a process
/// that only reads the view and then exits (`export`, `cp` out): every
/// path it follows afterwards, symlinks included, stays inside.
pub fn enter(view: &OwnedFd) -> Result<()> {
    // SAFETY: fchdir on an fd we own, then chroot(".") of that directory.
    unsafe {
        if libc::fchdir(view.as_raw_fd()) != 0 {
            return Err(io(
                "cannot enter the container's filesystem",
                std::io::Error::last_os_error(),
            ));
        }
        if libc::chroot(c".".as_ptr()) != 0 {
            return Err(io(
                "cannot enter the container's filesystem",
                std::io::Error::last_os_error(),
            ));
        }
    }
    Ok(())
}
