//! Thin wrappers over the few syscalls std lacks (mknod, lsetxattr,
//! utimensat without following symlinks, lchown with 64-bit ids).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))
}

pub fn mknod(p: &Path, mode: u32, major: u32, minor: u32) -> io::Result<()> {
    let c = cpath(p)?;
    let dev = libc::makedev(major, minor);
    // SAFETY: c is a valid NUL-terminated path.
    let r = unsafe { libc::mknod(c.as_ptr(), mode as libc::mode_t, dev) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn lsetxattr(p: &Path, name: &[u8], value: &[u8]) -> io::Result<()> {
    let c = cpath(p)?;
    let n = CString::new(name)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "xattr name contains NUL"))?;
    // SAFETY: pointers are valid for the given lengths.
    let r = unsafe {
        libc::lsetxattr(
            c.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

pub fn lchown(p: &Path, uid: u64, gid: u64) -> io::Result<()> {
    let c = cpath(p)?;
    let uid = u32::try_from(uid).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let gid = u32::try_from(gid).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: c is a valid path.
    let r = unsafe { libc::lchown(c.as_ptr(), uid, gid) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Set atime and mtime to `mtime` (seconds) without following a symlink.
pub fn set_mtime(p: &Path, mtime: i64) -> io::Result<()> {
    let c = cpath(p)?;
    // libc deprecates `time_t` on musl because it will widen to 64 bits
    // (musl 1.2 did). Naming it is the point here: the clamp below must
    // follow whatever width libc links against (32-bit on armhf today,
    // where the plain `utimensat` symbol is musl's time32 entry point).
    #[allow(deprecated)]
    let ts = libc::timespec {
        // Clamped, not wrapped, where time_t is 32-bit (armhf musl in libc 0.2).
        tv_sec: libc::time_t::try_from(mtime).unwrap_or(if mtime < 0 {
            libc::time_t::MIN
        } else {
            libc::time_t::MAX
        }),
        tv_nsec: 0,
    };
    let times = [ts, ts];
    // SAFETY: c is valid, times points to two timespecs.
    let r = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
