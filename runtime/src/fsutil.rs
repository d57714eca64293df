//! Small filesystem helpers.

use std::path::Path;

/// Resolve `path` (absolute, as seen inside the container) under `root`
/// without letting `..` or absolute symlinks escape it: every component is
/// looked up relative to the root, the way the container will see it.
pub fn resolve_in_root(root: &Path, path: &str) -> std::path::PathBuf {
    let mut out = std::path::PathBuf::new();
    let mut pending: Vec<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut hops = 0;
    while let Some(comp) = pending.pop() {
        match comp.as_str() {
            "." => continue,
            ".." => {
                out.pop();
                continue;
            }
            _ => {}
        }
        let candidate = out.join(&comp);
        let full = root.join(&candidate);
        match std::fs::read_link(&full) {
            Ok(target) if hops < 40 => {
                hops += 1;
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    out = std::path::PathBuf::new();
                }
                for c in target.split('/').filter(|c| !c.is_empty()).rev() {
                    pending.push(c.to_string());
                }
            }
            _ => out = candidate,
        }
    }
    root.join(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("real/etc")).unwrap();
        std::os::unix::fs::symlink("/real/etc", root.join("etc")).unwrap();
        std::os::unix::fs::symlink("../../../../..", root.join("real/up")).unwrap();
        assert_eq!(
            resolve_in_root(root, "/etc/passwd"),
            root.join("real/etc/passwd")
        );
        assert_eq!(resolve_in_root(root, "/real/up/etc"), root.join("real/etc"));
        assert_eq!(resolve_in_root(root, "/../../x"), root.join("x"));
    }
}
