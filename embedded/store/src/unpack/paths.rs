//! Tar paths inside the layer root: the lexical rule that refuses a `..`
//! climbing out, and parent directories resolved inside the root by
//! `skiff_core::inroot` (symlinks followed with the root as `/`).

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use skiff_core::inroot::{Root, Walk};

/// Lexically clean a tar path: drop leading `/`, `.` and empty components,
/// apply `..`. `None` when `..` would climb above the root (refused, where
/// `skiff_core::inroot::clean_components` would stop at the root).
pub(crate) fn clean_path(raw: &[u8]) -> Option<Vec<OsString>> {
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

/// The host path of the directory `comps` names inside `root` (at
/// `root_path`), symlinks followed with `root` as `/`. With `create`,
/// missing directories are made (mode 0755, as tar does for implied
/// parents). An error when it is not a directory.
pub(super) fn resolve_dir(
    root: &Root,
    root_path: &Path,
    comps: &[OsString],
    create: bool,
) -> io::Result<PathBuf> {
    if comps.is_empty() {
        return Ok(root_path.to_path_buf());
    }
    let path: PathBuf = comps.iter().collect();
    let how = Walk {
        follow_last: true,
        create_dirs: create.then_some(0o755),
    };
    let r = root.resolve(&path, how).map_err(|e| e.source)?;
    if !r.is_dir()? {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("/{} is not a directory", r.rel.display()),
        ));
    }
    Ok(root_path.join(r.rel))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
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
    fn parents_resolve_inside_root() {
        let d = tempfile::tempdir().unwrap();
        let root_path = d.path().join("root");
        fs::create_dir(&root_path).unwrap();
        symlink("/", root_path.join("up")).unwrap();
        symlink("../../../../tmp", root_path.join("dots")).unwrap();
        symlink("/run", root_path.join("varrun")).unwrap();
        fs::write(root_path.join("file"), b"").unwrap();
        let root = Root::new(&root_path).unwrap();
        let dir = |p: &str| {
            let comps = clean_path(p.as_bytes()).unwrap();
            resolve_dir(&root, &root_path, &comps, true)
        };
        assert_eq!(dir("up/etc").unwrap(), root_path.join("etc"));
        assert_eq!(dir("dots").unwrap(), root_path.join("tmp"));
        assert_eq!(dir("varrun/x").unwrap(), root_path.join("run/x"));
        assert_eq!(dir("").unwrap(), root_path);
        let e = dir("file").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotADirectory, "{e}");
        symlink("loop", root_path.join("loop")).unwrap();
        assert!(dir("loop").is_err());
        assert!(!d.path().join("etc").exists());
    }
}
