//! Volume copy-up: what the image has at a mount point copied into a new,
//! empty volume, as docker does, so `-v data:/etc/app` (or an image
//! `VOLUME`) starts with the image's files.
//!
//! The mount point is an image-controlled path, so it is resolved inside
//! the rootfs with [`skiff_core::inroot`] (a symlink chain or `..` cannot
//! lead to the host; too many symlinks is an error, not a fallback), and
//! the tree below it is walked by descriptors (`openat(O_NOFOLLOW)`) from
//! there, never by host path. The copies are made with `O_EXCL` and
//! `O_NOFOLLOW` relative to the volume's descriptor, so a symlink planted in
//! the volume by a container already using it cannot redirect a write.

use std::ffi::{CStr, OsStr};
use std::fs::File;
use std::io::ErrorKind;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag};
use nix::sys::stat::{Mode, SFlag};
use nix::unistd::{Gid, Uid};
use skiff_core::inroot::{Root, Walk};

use crate::error::{io, Error, Result};

/// Directories nested deeper than this are refused: each level holds two
/// descriptors, and no real image comes near it.
const MAX_DEPTH: usize = 256;

/// Copy the rootfs's `dest` (as the container sees it) into the volume
/// directory `volume`. Nothing there (or not a directory) copies nothing.
pub fn copy_up(rootfs: &Path, dest: &str, volume: &Path) -> Result<()> {
    let root = Root::new(rootfs)?;
    let src = match root.resolve(dest, Walk::FOLLOW) {
        Ok(r) => r,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(())
        }
        Err(e) => {
            return Err(Error::Invalid(format!(
                "cannot copy the image's {dest} into its volume: {e}"
            )))
        }
    };
    if !src.is_dir().unwrap_or(false) {
        return Ok(());
    }
    let fail = |what: &str, e: Errno| io(format!("volume copy-up of {dest}: {what}"), e.into());
    let src = open_dir(src.fd.as_raw_fd(), c".").map_err(|e| fail("cannot open", e))?;
    let dst = nix::fcntl::open(
        volume,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| io(format!("cannot open volume {}", volume.display()), e.into()))?;
    // SAFETY: a fresh descriptor we own.
    let dst = unsafe { OwnedFd::from_raw_fd(dst) };
    copy_dir(&src, &dst, 0).map_err(|(name, e)| {
        io(
            format!(
                "volume copy-up of {dest}: cannot copy {}",
                Path::new(dest).join(name).display()
            ),
            e.into(),
        )
    })
}

/// A failure and the path (below the copied directory) it concerns.
type CopyError = (std::path::PathBuf, Errno);

fn open_dir(dir: RawFd, name: &CStr) -> std::result::Result<OwnedFd, Errno> {
    let fd = nix::fcntl::openat(
        Some(dir),
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Give `dst` the owner and mode of `st` (owner first: a chown clears the
/// setuid and setgid bits the mode then restores). Best effort, as docker.
fn copy_owner_and_mode(dst: RawFd, st: &nix::sys::stat::FileStat) {
    let _ = nix::unistd::fchown(
        dst,
        Some(Uid::from_raw(st.st_uid)),
        Some(Gid::from_raw(st.st_gid)),
    );
    let _ = nix::sys::stat::fchmod(dst, Mode::from_bits_truncate(st.st_mode & 0o7777));
}

fn copy_dir(src: &OwnedFd, dst: &OwnedFd, depth: usize) -> std::result::Result<(), CopyError> {
    let here = |e: Errno| (std::path::PathBuf::new(), e);
    if depth > MAX_DEPTH {
        return Err(here(Errno::ELOOP));
    }
    let st = nix::sys::stat::fstat(src.as_raw_fd()).map_err(here)?;
    copy_owner_and_mode(dst.as_raw_fd(), &st);
    // Names first, then the directory stream is closed: one level holds
    // only its two directory descriptors while the next is copied.
    let names: Vec<std::ffi::CString> = {
        let mut d = nix::dir::Dir::openat(
            Some(src.as_raw_fd()),
            c".",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(here)?;
        d.iter()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_owned())
            .filter(|n| n.as_bytes() != b"." && n.as_bytes() != b"..")
            .collect()
    };
    for name in names {
        let within = |(p, e): CopyError| (Path::new(OsStr::from_bytes(name.as_bytes())).join(p), e);
        copy_entry(src, dst, &name, depth).map_err(within)?;
    }
    Ok(())
}

fn copy_entry(
    src: &OwnedFd,
    dst: &OwnedFd,
    name: &CStr,
    depth: usize,
) -> std::result::Result<(), CopyError> {
    let at = |e: Errno| (std::path::PathBuf::new(), e);
    let (s, d) = (src.as_raw_fd(), dst.as_raw_fd());
    // Vanished meanwhile: skip it, as before.
    let Ok(st) = nix::sys::stat::fstatat(Some(s), name, AtFlags::AT_SYMLINK_NOFOLLOW) else {
        return Ok(());
    };
    match SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFDIR => {
            let _ = nix::sys::stat::mkdirat(Some(d), name, Mode::from_bits_truncate(0o700));
            let from = open_dir(s, name).map_err(at)?;
            let to = open_dir(d, name).map_err(at)?;
            copy_dir(&from, &to, depth + 1)
        }
        SFlag::S_IFLNK => {
            if let Ok(target) = nix::fcntl::readlinkat(Some(s), name) {
                if nix::unistd::symlinkat(target.as_os_str(), Some(d), name).is_ok() {
                    let _ = nix::unistd::fchownat(
                        Some(d),
                        name,
                        Some(Uid::from_raw(st.st_uid)),
                        Some(Gid::from_raw(st.st_gid)),
                        AtFlags::AT_SYMLINK_NOFOLLOW,
                    );
                }
            }
            Ok(())
        }
        SFlag::S_IFREG => {
            let open = |dir, flags, mode| {
                nix::fcntl::openat(
                    Some(dir),
                    name,
                    flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                    mode,
                )
                // SAFETY: a fresh descriptor we own.
                .map(|fd| File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
            };
            let mut from =
                open(s, OFlag::O_RDONLY | OFlag::O_NONBLOCK, Mode::empty()).map_err(at)?;
            let mut to = open(
                d,
                OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL,
                Mode::from_bits_truncate(0o600),
            )
            .map_err(at)?;
            std::io::copy(&mut from, &mut to)
                .map_err(|e| at(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))))?;
            copy_owner_and_mode(to.as_raw_fd(), &st);
            Ok(())
        }
        // FIFOs, sockets and devices are not copied (nor were they before).
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

    fn image() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let d = skiff_core::testing::temp_tree(&[
            ("rootfs/data/a", "alpha"),
            ("rootfs/data/sub/b", "beta"),
            ("volume/", ""),
        ]);
        let root = d.path().join("rootfs");
        let vol = d.path().join("volume");
        std::fs::set_permissions(root.join("data/a"), std::fs::Permissions::from_mode(0o4751))
            .unwrap();
        symlink("/etc/shadow", root.join("data/link")).unwrap();
        (d, root, vol)
    }

    #[test]
    fn copies_files_dirs_links_and_modes() {
        let (_d, root, vol) = image();
        copy_up(&root, "/data", &vol).unwrap();
        assert_eq!(std::fs::read(vol.join("a")).unwrap(), b"alpha");
        assert_eq!(std::fs::read(vol.join("sub/b")).unwrap(), b"beta");
        assert_eq!(
            std::fs::read_link(vol.join("link")).unwrap(),
            Path::new("/etc/shadow")
        );
        // The owner is copied before the mode, so setuid survives.
        assert_eq!(
            std::fs::metadata(vol.join("a")).unwrap().mode() & 0o7777,
            0o4751
        );
        // Nothing there, or not a directory: nothing to copy.
        copy_up(&root, "/nowhere", &vol).unwrap();
        copy_up(&root, "/data/a", &vol).unwrap();
        copy_up(&root, "/data/a/below", &vol).unwrap();
    }

    // Issue 13, item 1: a VOLUME path that is a chain of 41 symlinks made
    // the old resolver give up and hand back the raw host path
    // (`<rootfs>/l41`), whose symlinks the host then followed out of the
    // rootfs: the copy-up read the canary dir outside it.
    #[test]
    fn a_41_symlink_volume_path_copies_nothing_from_outside() {
        let (d, root, vol) = image();
        let canary = d.path().join("canary");
        std::fs::create_dir(&canary).unwrap();
        std::fs::write(canary.join("host-secret"), b"secret").unwrap();
        symlink(&canary, root.join("l0")).unwrap();
        for i in 1..=41 {
            symlink(format!("/l{}", i - 1), root.join(format!("l{i}"))).unwrap();
        }
        let e = copy_up(&root, "/l41", &vol).unwrap_err().to_string();
        assert!(e.contains("/l41"), "{e}");
        assert!(e.contains("symbolic links"), "{e}");
        assert_eq!(std::fs::read_dir(&vol).unwrap().count(), 0);
        // And a short chain to the canary's host path resolves inside the
        // rootfs, where it does not exist: nothing copied either.
        copy_up(&root, "/l30", &vol).unwrap();
        assert_eq!(std::fs::read_dir(&vol).unwrap().count(), 0);
    }

    #[test]
    fn a_symlink_planted_in_the_volume_is_not_followed() {
        let (d, root, vol) = image();
        let target = d.path().join("host-file");
        std::fs::write(&target, b"untouched").unwrap();
        symlink(&target, vol.join("a")).unwrap();
        let e = copy_up(&root, "/data", &vol).unwrap_err().to_string();
        assert!(e.contains("/data/a"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"untouched");
    }
}
