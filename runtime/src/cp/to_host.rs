//! `cp CTR:SRC DEST`: entries read out of a container ([`super::source`])
//! created on the host. Devices, FIFOs and sockets are not copied out.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::source::Entry;

/// Create entry `e` on the host at its name, owned as in the container
/// when `keep_owner` (`-a`); returns the bytes of file content copied.
pub fn write_entry(mut e: Entry, keep_owner: bool) -> std::io::Result<u64> {
    let mode = e.st.st_mode & 0o7777;
    let p = e.name.clone();
    let mut copied = 0;
    match e.st.st_mode & libc::S_IFMT {
        libc::S_IFDIR => {
            if !p.is_dir() {
                fs::create_dir(&p)?;
            }
        }
        libc::S_IFREG => {
            if fs::symlink_metadata(&p).is_ok_and(|m| m.file_type().is_symlink()) {
                fs::remove_file(&p)?;
            }
            let mut f = fs::File::create(&p)?;
            if let Some(src) = e.file.as_mut() {
                copied = std::io::copy(src, &mut f)?;
            }
        }
        libc::S_IFLNK => {
            let _ = fs::remove_file(&p);
            std::os::unix::fs::symlink(e.link.as_deref().unwrap_or(Path::new("")), &p)?;
            if keep_owner {
                std::os::unix::fs::lchown(&p, Some(e.st.st_uid), Some(e.st.st_gid))?;
            }
            return Ok(0);
        }
        _ => return Ok(0),
    }
    if keep_owner {
        std::os::unix::fs::chown(&p, Some(e.st.st_uid), Some(e.st.st_gid))?;
    }
    fs::set_permissions(&p, fs::Permissions::from_mode(mode))?;
    Ok(copied)
}
