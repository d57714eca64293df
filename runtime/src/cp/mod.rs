//! `docker cp`'s container side: reading a path out of a container
//! ([`source`]) onto the host ([`to_host`]), writing files into one
//! ([`target`]) from a host tree ([`from_host`]) or a tar ([`untar`]),
//! plus docker's rules for where a copy lands ([`plan`]).
//!
//! The container is hostile: it may be running and swap any of its files
//! for a symlink while skiff works. Every path inside it goes through
//! skiff-core's resolve-in-root, every object is used through the
//! descriptor that resolution handed back, and nothing is created with a
//! call that follows a symlink in its last component. On the host side
//! ([`to_host`]) the entries are as hostile: they never replace a
//! directory with a link or the other way round, so nothing is written
//! through a link an earlier copy made.

pub mod from_host;
pub mod source;
pub mod target;
pub mod to_host;
pub mod untar;

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// What a path names, for docker's copy rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Missing,
    File,
    Dir,
}

/// Where the copy goes: the path the source's top entry becomes, and
/// whether only the source directory's contents are copied (`SRC/.`, or
/// a directory copied onto a path that does not exist yet, whose top is
/// then made as that path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub top: PathBuf,
}

/// A path inside the container as docker takes it: relative ones start
/// at the container's `/`.
pub fn in_container(p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

/// The name of the top entry of a tar written from container path `path`
/// (`cp CTR:SRC -`): its last component, or `.` for the contents of a
/// directory (`SRC/.`) and for `/`.
pub fn tar_top(path: &str) -> PathBuf {
    if path.ends_with("/.") {
        return PathBuf::from(".");
    }
    Path::new(path.trim_end_matches('/'))
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// docker's archive rules (`docker cp` reference, "SRC_PATH specifies a
/// file/directory"): a file lands in an existing directory under its own
/// name or replaces an existing file or becomes a new file (whose parent
/// must exist; a DEST ending in `/` must be an existing directory); a
/// directory lands in an existing directory under its own name, or only
/// its contents do when SRC ends in `/.`, or it becomes DEST when DEST
/// does not exist; a directory never replaces a file.
pub fn plan(src: &str, src_is_dir: bool, dst: &str, dst_is: Found) -> Result<Plan> {
    let base = Path::new(src.trim_end_matches('/'))
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_default();
    let contents_only = src.ends_with("/.") || src == ".";
    let dst_path = PathBuf::from(dst);
    let top = match (src_is_dir, dst_is) {
        (false, Found::Dir) => dst_path.join(base),
        (false, Found::File) => dst_path,
        (false, Found::Missing) if dst.ends_with('/') => {
            return Err(Error::Invalid(format!(
                "destination directory {dst} does not exist"
            )))
        }
        (false, Found::Missing) => dst_path,
        (true, Found::File) => {
            return Err(Error::Invalid(format!(
                "cannot copy a directory to a file: {dst}"
            )))
        }
        (true, Found::Dir) if contents_only => dst_path,
        (true, Found::Dir) => dst_path.join(base),
        (true, Found::Missing) => dst_path,
    };
    Ok(Plan { top })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn top(src: &str, dir: bool, dst: &str, is: Found) -> String {
        plan(src, dir, dst, is).unwrap().top.display().to_string()
    }

    #[test]
    fn docker_copy_rules() {
        assert_eq!(top("/etc/passwd", false, "/tmp", Found::Dir), "/tmp/passwd");
        assert_eq!(top("/etc/passwd", false, "/tmp/x", Found::File), "/tmp/x");
        assert_eq!(
            top("/etc/passwd", false, "/tmp/x", Found::Missing),
            "/tmp/x"
        );
        assert!(plan("/etc/passwd", false, "/tmp/x/", Found::Missing).is_err());
        assert_eq!(top("/etc", true, "/tmp", Found::Dir), "/tmp/etc");
        assert_eq!(top("/etc/", true, "/tmp", Found::Dir), "/tmp/etc");
        assert_eq!(top("/etc/.", true, "/tmp", Found::Dir), "/tmp");
        assert_eq!(top("/etc", true, "/tmp/new", Found::Missing), "/tmp/new");
        assert!(plan("/etc", true, "/tmp/f", Found::File).is_err());
    }

    #[test]
    fn container_paths_and_tar_names() {
        assert_eq!(in_container("etc/passwd"), "/etc/passwd");
        assert_eq!(in_container("/etc"), "/etc");
        assert_eq!(tar_top("/etc/passwd"), PathBuf::from("passwd"));
        assert_eq!(tar_top("/etc/"), PathBuf::from("etc"));
        assert_eq!(tar_top("/etc/."), PathBuf::from("."));
        assert_eq!(tar_top("/"), PathBuf::from("."));
    }
}
