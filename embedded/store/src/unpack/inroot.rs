//! Path resolution confined to a root directory, the way a chroot (or
//! openat2's RESOLVE_IN_ROOT) would resolve it: `..` stops at the root and
//! absolute symlink targets restart at the root. The tar crate instead checks
//! paths against the host's symlink resolution, which both rejects valid
//! images (`var/run -> /run` plus files under it) and is not what a
//! container will see.
//!
//! Doing it in user space is sound here because the tree being resolved is a
//! private temp dir that only this unpack writes to (no concurrent renames
//! can race the checks); every path handed back is made of real directories
//! only, and the caller operates on the final component without following it.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// Symlinks followed in one resolution before giving up (Linux uses 40).
const MAX_SYMLINKS: u32 = 40;

/// Lexically clean a tar path: drop leading `/`, `.` and empty components,
/// apply `..`. `None` when `..` would climb above the root.
pub fn clean_path(raw: &[u8]) -> Option<Vec<OsString>> {
    let mut out: Vec<OsString> = Vec::new();
    for c in raw.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                out.pop()?;
            }
            other => out.push(OsStr::from_bytes(other).to_os_string()),
        }
    }
    Some(out)
}

/// Resolve the directory `comps` inside `root`, following symlinks with
/// `root` as `/`. With `create`, missing directories are made (mode 0755,
/// as tar does for implied parents). Errors when a component is not a
/// directory.
pub fn resolve_dir(root: &Path, comps: &[OsString], create: bool) -> io::Result<PathBuf> {
    let mut cur: Vec<OsString> = Vec::new();
    let mut pending: std::collections::VecDeque<OsString> = comps.iter().cloned().collect();
    let mut links = 0u32;
    while let Some(c) = pending.pop_front() {
        match c.as_bytes() {
            b"" | b"." => continue,
            b".." => {
                cur.pop();
                continue;
            }
            _ => {}
        }
        let mut candidate = root.to_path_buf();
        candidate.extend(&cur);
        candidate.push(&c);
        match fs::symlink_metadata(&candidate) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(io::Error::other(format!(
                        "too many levels of symbolic links at {}",
                        candidate.display()
                    )));
                }
                let target = fs::read_link(&candidate)?;
                let tb = target.as_os_str().as_bytes();
                if tb.starts_with(b"/") {
                    cur.clear();
                }
                let parts: Vec<&[u8]> = tb.split(|b| *b == b'/').collect();
                for part in parts.into_iter().rev() {
                    pending.push_front(OsStr::from_bytes(part).to_os_string());
                }
            }
            Ok(m) if m.is_dir() => cur.push(c),
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    format!("{} is not a directory", display_rel(&cur, &c)),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                fs::DirBuilder::new().mode(0o755).create(&candidate)?;
                cur.push(c);
            }
            Err(e) => return Err(e),
        }
    }
    let mut p = root.to_path_buf();
    p.extend(&cur);
    Ok(p)
}

fn display_rel(cur: &[OsString], c: &OsStr) -> String {
    let mut p = PathBuf::from("/");
    p.extend(cur);
    p.push(c);
    p.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn clean_rejects_escapes_and_strips_absolute() {
        assert!(clean_path(b"../x").is_none());
        assert!(clean_path(b"a/../../x").is_none());
        assert_eq!(
            clean_path(b"/etc/./passwd").unwrap(),
            vec![OsString::from("etc"), OsString::from("passwd")]
        );
        assert_eq!(clean_path(b"a/../b").unwrap(), vec![OsString::from("b")]);
    }

    #[test]
    fn symlinks_resolve_inside_root() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        fs::create_dir(&root).unwrap();
        symlink("/", root.join("up")).unwrap();
        symlink("../../../../tmp", root.join("dots")).unwrap();
        symlink("/run", root.join("varrun")).unwrap();
        let p = resolve_dir(&root, &[OsString::from("up"), OsString::from("etc")], true).unwrap();
        assert_eq!(p, root.join("etc"));
        let p = resolve_dir(&root, &[OsString::from("dots")], true).unwrap();
        assert_eq!(p, root.join("tmp"));
        let p = resolve_dir(
            &root,
            &[OsString::from("varrun"), OsString::from("x")],
            true,
        )
        .unwrap();
        assert_eq!(p, root.join("run/x"));
        symlink("loop", root.join("loop")).unwrap();
        assert!(resolve_dir(&root, &[OsString::from("loop")], true).is_err());
    }
}
