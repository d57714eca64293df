//! The one way to set a file's timestamps without following a symlink
//! (std's `File::set_times` needs an open file, which a symlink is not).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Set atime and mtime of `p` to `secs`.`nsec`, not following a symlink
/// in the last component (utimensat with AT_SYMLINK_NOFOLLOW).
pub fn set_times(p: &Path, secs: i64, nsec: i64) -> io::Result<()> {
    // libc deprecates `time_t` on musl because it will widen to 64 bits
    // (musl 1.2 did). Naming it is the point here: the clamp below must
    // follow whatever width libc links against (32-bit on armhf today,
    // where the plain `utimensat` symbol is musl's time32 entry point).
    #[allow(deprecated)]
    let ts = libc::timespec {
        // Clamped, not wrapped, where time_t is 32-bit (armhf musl in libc 0.2).
        tv_sec: libc::time_t::try_from(secs).unwrap_or(if secs < 0 {
            libc::time_t::MIN
        } else {
            libc::time_t::MAX
        }),
        tv_nsec: nsec as libc::c_long,
    };
    let times = [ts, ts];
    let c = CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains NUL"))?;
    // SAFETY: c is a valid NUL-terminated path, times points to two timespecs.
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt};

    #[test]
    fn nul_in_path_is_invalid_input() {
        let e = set_times(Path::new("a\0b"), 0, 0).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    }

    // Layers carry a symlink's own mtime: setting it must leave the target
    // (maybe a host file, for a link made by an earlier layer) untouched.
    #[test]
    fn sets_the_link_not_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let link = dir.path().join("link");
        std::fs::write(&target, b"").unwrap();
        symlink(&target, &link).unwrap();
        set_times(&link, 12345, 678).unwrap();
        let l = std::fs::symlink_metadata(&link).unwrap();
        assert_eq!((l.mtime(), l.mtime_nsec()), (12345, 678));
        assert_ne!(std::fs::metadata(&target).unwrap().mtime(), 12345);
    }
}
