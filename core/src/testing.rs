//! Fixtures for tests in every skiff crate (feature `testing`, which only
//! dev-dependencies turn on): a temporary path, or a temporary directory
//! filled from a list, so a test states its files instead of building them
//! line by line.

use std::fs;
use std::path::PathBuf;

use tempfile::TempDir;

/// A path named `name` inside a fresh temporary directory; nothing is
/// created at the path. The directory lives as long as the returned guard.
pub fn temp_path(name: &str) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    (dir, path)
}

/// A fresh temporary directory holding `entries`, in order: `"a/b/"` (a
/// trailing slash) is a directory, `("a/f", text)` a file holding `text`.
/// Parent directories are made as needed.
pub fn temp_tree(entries: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (rel, text) in entries {
        let path = dir.path().join(rel);
        if rel.ends_with('/') {
            fs::create_dir_all(&path).expect("a fixture directory");
            continue;
        }
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("a fixture's parent directory");
        }
        fs::write(&path, text).expect("a fixture file");
    }
    dir
}

/// The hostile tree of resolve-in-root tests: a directory `root` holding
/// a symlink named `link` to the directory `outside` (which holds a file
/// `secret`), by its host path. Returns the guard, `root` and `outside`.
pub fn escape_tree(link: &str) -> (TempDir, PathBuf, PathBuf) {
    let dir = temp_tree(&[("root/", ""), ("outside/secret", "host")]);
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    std::os::unix::fs::symlink(&outside, root.join(link)).expect("a fixture symlink");
    (dir, root, outside)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trees_hold_the_listed_dirs_and_files() {
        let d = temp_tree(&[("empty/", ""), ("a/b/f", "text")]);
        assert!(d.path().join("empty").is_dir());
        assert_eq!(fs::read_to_string(d.path().join("a/b/f")).unwrap(), "text");
        let (guard, p) = temp_path("x");
        assert_eq!(p.parent(), Some(guard.path()));
        assert!(!p.exists());
        let (_d, root, outside) = escape_tree("esc");
        assert_eq!(fs::read_link(root.join("esc")).unwrap(), outside);
    }
}
