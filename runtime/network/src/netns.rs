//! Network namespaces as files, like `ip netns add`: a new namespace is
//! bind-mounted onto `<root>/networks/netns/<id>` so it outlives any
//! process and libcontainer can join it by path (the OCI spec's
//! `linux.namespaces[type=network].path`). All switching is per thread
//! (`/proc/thread-self`), so this is safe in the CLI's multi-threaded
//! process and in the runtime's single-threaded re-exec alike, and needs
//! no fork.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

use crate::error::{io_at, Result};

const SELF_NET: &str = "/proc/thread-self/ns/net";

/// Create a namespace and pin it at `path`.
pub fn create(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_at("cannot create", dir, e))?;
    }
    File::create(path).map_err(|e| io_at("cannot create", path, e))?;
    let orig = File::open(SELF_NET).map_err(|e| io_at("cannot open", Path::new(SELF_NET), e))?;
    // SAFETY: unshare/mount/setns on this thread only; we always switch back.
    let res = unsafe {
        if libc::unshare(libc::CLONE_NEWNET) != 0 {
            Err(io::Error::last_os_error())
        } else {
            let src = c"/proc/thread-self/ns/net";
            let dst =
                std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap_or_default();
            let r = if libc::mount(
                src.as_ptr(),
                dst.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND,
                std::ptr::null(),
            ) != 0
            {
                Err(io::Error::last_os_error())
            } else {
                Ok(())
            };
            if libc::setns(orig.as_raw_fd(), libc::CLONE_NEWNET) != 0 {
                // Left in the wrong namespace: nothing sane can follow.
                libc::abort();
            }
            r
        }
    };
    if let Err(e) = res {
        let _ = std::fs::remove_file(path);
        return Err(io_at("cannot create network namespace", path, e));
    }
    Ok(())
}

/// Run `f` with this thread inside the namespace at `path`.
pub fn enter<T>(path: &Path, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let target = File::open(path).map_err(|e| io_at("cannot open network namespace", path, e))?;
    let orig = File::open(SELF_NET).map_err(|e| io_at("cannot open", Path::new(SELF_NET), e))?;
    // SAFETY: setns of this thread, restored below.
    if unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io_at(
            "cannot enter network namespace",
            path,
            io::Error::last_os_error(),
        ));
    }
    let r = f();
    // SAFETY: back to where we were.
    if unsafe { libc::setns(orig.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        std::process::abort();
    }
    r
}

/// Unpin and remove a namespace file; missing is fine. The namespace itself
/// dies with its last user (the container's processes).
pub fn remove(path: &Path) {
    if let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) {
        // SAFETY: umount2 on a path we own.
        unsafe {
            libc::umount2(c.as_ptr(), libc::MNT_DETACH);
        }
    }
    let _ = std::fs::remove_file(path);
}

/// Is `path` a mounted namespace (and not just the placeholder file)?
pub fn is_pinned(path: &Path) -> bool {
    let Ok(m) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return false;
    };
    let p = path.to_string_lossy();
    m.lines().any(|l| l.split(' ').nth(4) == Some(&p))
}
