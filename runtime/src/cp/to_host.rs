//! `cp CTR:SRC DEST`: entries read out of a container ([`super::source`])
//! created on the host. Devices, FIFOs and sockets are not copied out.
//!
//! The entries are hostile: a container can copy out a symlink to a host
//! directory and, in a later copy to the same destination (or a second
//! entry of the same name in this one), a directory of that name whose
//! contents would then land wherever the link points. As docker's cp
//! (`NoOverwriteDirNonDir`), an entry never replaces a directory with a
//! non-directory or the other way round, so every directory the walk
//! writes below is a real one it made or found; and nothing is opened,
//! chowned or chmodded through a path whose last component could be a
//! link.

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{lchown, OpenOptionsExt};
use std::path::Path;

use super::source::Entry;
use super::target::set_meta;
use crate::error::{io_at, Error, Result};

/// Create entry `e` on the host at its name, with its mode and mtime (as
/// docker's untar), owned as in the container when `keep_owner` (`-a`);
/// returns the bytes of file content copied.
pub fn write_entry(mut e: Entry, keep_owner: bool) -> Result<u64> {
    let p = e.name.clone();
    let owner = keep_owner.then_some((e.st.st_uid, e.st.st_gid));
    let kind = e.st.st_mode & libc::S_IFMT;
    if !matches!(kind, libc::S_IFDIR | libc::S_IFREG | libc::S_IFLNK) {
        return Ok(0);
    }
    let there = match fs::symlink_metadata(&p) {
        Ok(m) => Some(m.is_dir()),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(io_at("lstat", &p, e)),
    };
    match (kind, there) {
        (libc::S_IFDIR, Some(false)) => {
            return Err(Error::Invalid(format!(
                "cannot overwrite non-directory {} with directory",
                p.display()
            )))
        }
        (libc::S_IFREG | libc::S_IFLNK, Some(true)) => {
            return Err(Error::Invalid(format!(
                "cannot overwrite directory {} with non-directory",
                p.display()
            )))
        }
        (libc::S_IFREG | libc::S_IFLNK, Some(false)) => {
            fs::remove_file(&p).map_err(|e| io_at("removing", &p, e))?
        }
        _ => {}
    }
    let mode = e.st.st_mode & 0o7777;
    // time_t is 32-bit on armhf: the conversion is real there.
    #[allow(clippy::useless_conversion)]
    let mtime = i64::from(e.st.st_mtime);
    match kind {
        libc::S_IFDIR => {
            if there.is_none() {
                fs::create_dir(&p).map_err(|e| io_at("creating directory", &p, e))?;
            }
            let dir = open_nofollow(&p, libc::O_RDONLY | libc::O_DIRECTORY, false)?;
            set_meta(&dir, &p, owner, mode, mtime)?;
            Ok(0)
        }
        libc::S_IFREG => {
            let mut f = open_nofollow(&p, libc::O_WRONLY, true)?;
            let mut copied = 0;
            if let Some(src) = e.file.as_mut() {
                copied = std::io::copy(src, &mut f).map_err(|e| io_at("writing", &p, e))?;
            }
            set_meta(&f, &p, owner, mode, mtime)?;
            Ok(copied)
        }
        _ => {
            let target = e.link.as_deref().unwrap_or(Path::new(""));
            std::os::unix::fs::symlink(target, &p).map_err(|e| io_at("symlink", &p, e))?;
            if let Some((uid, gid)) = owner {
                lchown(&p, Some(uid), Some(gid)).map_err(|e| io_at("lchown", &p, e))?;
            }
            Ok(0)
        }
    }
}

/// Open `p` refusing a symlink in its last component; `create` makes a
/// new file (it must not exist: an old one was removed above).
fn open_nofollow(p: &Path, flags: i32, create: bool) -> Result<File> {
    let mut o = OpenOptions::new();
    o.custom_flags(flags | libc::O_NOFOLLOW | libc::O_CLOEXEC);
    if create {
        o.write(true).create_new(true).mode(0o600);
    } else {
        o.read(true);
    }
    o.open(p).map_err(|e| io_at("open", p, e))
}

/// docker's cp follows DEST itself when it is a symlink (the user's own
/// link: one level, a relative target taken from the link's directory),
/// so the copy lands where it points; links below DEST are never followed.
pub fn resolve_dest(dst: &str) -> String {
    let p = Path::new(dst);
    let is_link = fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    let Some(target) = is_link.then(|| fs::read_link(p).ok()).flatten() else {
        return dst.to_string();
    };
    let parent = p.parent().unwrap_or(Path::new(""));
    match parent.join(target).to_str() {
        Some(r) => r.to_string(),
        None => dst.to_string(),
    }
}
