//! Read-only filesystem trees that COPY/ADD read from and that steps
//! inspect (does /app exist? what does /etc/passwd say?): a stack of layer
//! snapshots seen as overlayfs would merge them, without mounting anything
//! (so it works unprivileged and from any thread), or the build context.
//!
//! Paths are relative and clean: "" is the root, "a/b" below it.
//!
//! Two ways to resolve a path in a tree: trees on a real directory (the
//! build context, [`DirTree`]) go through the one resolve-in-root,
//! [`skiff_core::inroot::Root`], so no symlink in them can lead skiff to a
//! host file. A stack of layer snapshots ([`LayerTree`]) is no one
//! directory (each component may come from another layer, whiteouts and
//! opaque dirs hide lower ones), so it keeps the node-by-node walk
//! ([`resolve_by_nodes`]): every step is a lookup in the merged view, and
//! symlink targets are re-read as paths of the view, never of the host.

use std::collections::BTreeSet;
use std::fs::{self, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use skiff_core::inroot::{Root, Walk};

/// One visible filesystem object.
#[derive(Debug, Clone)]
pub struct Node {
    /// Where its data lives on the host.
    pub real: PathBuf,
    /// lstat of `real`.
    pub md: Metadata,
}

/// Something COPY can read from.
pub trait Tree: Send + Sync {
    /// The object at `rel` (not following a final symlink), if visible.
    fn node(&self, rel: &str) -> Option<Node>;
    /// Sorted names inside the directory `rel`.
    fn children(&self, rel: &str) -> Vec<String>;
    /// sha256 hex of a regular file's content.
    fn content_hash(&self, _rel: &str, node: &Node) -> io::Result<String> {
        hash_file(&node.real)
    }
    /// Resolve symlinks inside the tree (absolute targets are relative to
    /// the tree's root, never the host's): every component, and the last
    /// one too when `follow_last`. Returns the clean path of what it
    /// designates, which may not exist.
    fn resolve(&self, path: &str, follow_last: bool) -> io::Result<String> {
        resolve_by_nodes(self, path, follow_last)
    }
}

/// A shared tree is that tree: the build context is shared by the builds
/// of every platform of one command.
impl<T: Tree + ?Sized> Tree for std::sync::Arc<T> {
    fn node(&self, rel: &str) -> Option<Node> {
        (**self).node(rel)
    }
    fn children(&self, rel: &str) -> Vec<String> {
        (**self).children(rel)
    }
    fn content_hash(&self, rel: &str, node: &Node) -> io::Result<String> {
        (**self).content_hash(rel, node)
    }
    fn resolve(&self, path: &str, follow_last: bool) -> io::Result<String> {
        (**self).resolve(path, follow_last)
    }
}

pub fn hash_file(path: &Path) -> io::Result<String> {
    let mut f = fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Join clean relative paths.
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_string(),
        (_, true) => a.to_string(),
        _ => format!("{a}/{b}"),
    }
}

/// Clean a path into the relative form: no leading `/`, no `.`, `..` popped
/// (never above the root), no empty components.
pub fn clean(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.join("/")
}

/// [`Tree::resolve`] by looking each component up in the tree: for trees
/// that are no single directory (merged layers), and for the build context,
/// where what .dockerignore hides must not exist even as a step on the way
/// (its nodes are looked up in root, see [`Context`](crate::context::Context)).
pub fn resolve_by_nodes<T: Tree + ?Sized>(
    tree: &T,
    path: &str,
    follow_last: bool,
) -> io::Result<String> {
    let mut todo: Vec<String> = clean(path)
        .split('/')
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    todo.reverse();
    let mut cur: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(comp) = todo.pop() {
        if comp == ".." {
            cur.pop();
            continue;
        }
        if comp == "." {
            continue;
        }
        cur.push(comp);
        let is_last = todo.is_empty();
        if is_last && !follow_last {
            break;
        }
        let rel = cur.join("/");
        let Some(node) = tree.node(&rel) else {
            continue;
        };
        if !node.md.file_type().is_symlink() {
            continue;
        }
        hops += 1;
        if hops > 40 {
            return Err(io::Error::other(format!(
                "too many levels of symbolic links at /{rel}"
            )));
        }
        let target = fs::read_link(&node.real)?;
        let target = target.to_string_lossy().into_owned();
        cur.pop();
        if target.starts_with('/') {
            cur.clear();
        }
        let mut parts: Vec<String> = target
            .split('/')
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect();
        parts.reverse();
        todo.extend(parts);
    }
    Ok(cur.join("/"))
}

/// A plain directory (a temp dir of downloads, a rootfs being filled...):
/// every lookup goes through the one resolve-in-root.
pub struct DirTree {
    root: Root,
}

impl DirTree {
    pub fn new(dir: &Path) -> io::Result<DirTree> {
        Ok(DirTree {
            root: Root::new(dir).map_err(in_root_err)?,
        })
    }

    /// The directory on the host.
    pub fn path(&self) -> &Path {
        self.root.path()
    }
}

impl Tree for DirTree {
    fn node(&self, rel: &str) -> Option<Node> {
        node_in_root(&self.root, rel)
    }

    fn children(&self, rel: &str) -> Vec<String> {
        children_in_root(&self.root, rel)
    }

    fn resolve(&self, path: &str, follow_last: bool) -> io::Result<String> {
        resolve_in_root(&self.root, &clean(path), follow_last)
    }
}

pub(crate) fn in_root_err(e: skiff_core::inroot::InRootError) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}

/// The object at `rel` inside `root`, not following a final symlink: the
/// components before it are resolved in root, and the host path handed
/// back has no symlink left in it.
pub(crate) fn node_in_root(root: &Root, rel: &str) -> Option<Node> {
    let r = root.resolve(rel, Walk::NOFOLLOW).ok()?;
    let real = root.path().join(&r.rel);
    let md = fs::symlink_metadata(&real).ok()?;
    Some(Node { real, md })
}

/// Sorted names in the directory `rel` of `root` (resolved in root).
pub(crate) fn children_in_root(root: &Root, rel: &str) -> Vec<String> {
    let Ok(dir) = root.resolve(rel, Walk::FOLLOW) else {
        return Vec::new();
    };
    let mut v: Vec<String> = fs::read_dir(root.path().join(&dir.rel))
        .map(|it| {
            it.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// [`Tree::resolve`] for a clean path in a real directory. What does not
/// exist is resolved as far as it does, the rest kept as written (as the
/// node walk does), so its lookup then reports it missing.
pub(crate) fn resolve_in_root(root: &Root, clean: &str, follow_last: bool) -> io::Result<String> {
    if clean.is_empty() {
        return Ok(String::new());
    }
    let walk = if follow_last {
        Walk::FOLLOW
    } else {
        Walk::NOFOLLOW
    };
    match root.resolve(clean, walk) {
        Ok(r) => Ok(r.rel.to_string_lossy().into_owned()),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            let (parent, name) = clean.rsplit_once('/').unwrap_or(("", clean));
            Ok(join(&resolve_in_root(root, parent, true)?, name))
        }
        Err(e) => Err(in_root_err(e)),
    }
}

/// Layer snapshots (overlayfs format: 0/0 char devices are whiteouts,
/// `trusted.overlay.opaque=y` hides lower contents) seen merged.
#[derive(Debug, Clone, Default)]
pub struct LayerTree {
    /// Top layer first.
    top_first: Vec<PathBuf>,
}

fn is_whiteout(md: &Metadata) -> bool {
    md.file_type().is_char_device() && md.rdev() == 0
}

fn is_opaque(p: &Path) -> bool {
    matches!(xattr::get(p, "trusted.overlay.opaque"), Ok(Some(v)) if v == b"y")
}

enum InLayer {
    /// The layer has the object.
    Found(Node),
    /// The layer hides the path from every layer below it.
    Hidden,
    /// The layer says nothing; look below. `blocked`: an opaque directory on
    /// the way hides the lower layers anyway.
    Absent { blocked: bool },
}

impl LayerTree {
    /// `base_first`: snapshot dirs in image order.
    pub fn new(base_first: &[PathBuf]) -> Self {
        let mut top_first = base_first.to_vec();
        top_first.reverse();
        LayerTree { top_first }
    }

    pub fn is_empty(&self) -> bool {
        self.top_first.is_empty()
    }

    fn in_layer(layer: &Path, comps: &[&str]) -> InLayer {
        let mut cur = layer.to_path_buf();
        let mut blocked = false;
        for (i, c) in comps.iter().enumerate() {
            cur.push(c);
            let md = match fs::symlink_metadata(&cur) {
                Ok(md) => md,
                Err(_) => return InLayer::Absent { blocked },
            };
            if is_whiteout(&md) {
                return InLayer::Hidden;
            }
            if i + 1 == comps.len() {
                return InLayer::Found(Node { real: cur, md });
            }
            if !md.is_dir() {
                return InLayer::Hidden;
            }
            if is_opaque(&cur) {
                blocked = true;
            }
        }
        InLayer::Absent { blocked }
    }
}

impl Tree for LayerTree {
    fn node(&self, rel: &str) -> Option<Node> {
        let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
        if comps.is_empty() {
            let real = self.top_first.first()?.clone();
            let md = fs::symlink_metadata(&real).ok()?;
            return Some(Node { real, md });
        }
        for layer in &self.top_first {
            match Self::in_layer(layer, &comps) {
                InLayer::Found(n) => return Some(n),
                InLayer::Hidden => return None,
                InLayer::Absent { blocked: true } => return None,
                InLayer::Absent { blocked: false } => {}
            }
        }
        None
    }

    /// Snapshots do not change once committed: their hashes are cached
    /// by stat data across builds (a no-op rebuild re-reads nothing).
    fn content_hash(&self, _rel: &str, node: &Node) -> io::Result<String> {
        crate::contenthash::snapshot_file_hash(&node.real, &node.md)
    }

    fn children(&self, rel: &str) -> Vec<String> {
        let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
        let mut names = BTreeSet::new();
        let mut hidden = BTreeSet::new();
        for layer in &self.top_first {
            let dir = if comps.is_empty() {
                match fs::symlink_metadata(layer) {
                    Ok(_) => layer.clone(),
                    Err(_) => continue,
                }
            } else {
                match Self::in_layer(layer, &comps) {
                    InLayer::Found(n) if n.md.is_dir() => n.real,
                    InLayer::Found(_) | InLayer::Hidden => break,
                    InLayer::Absent { blocked: true } => break,
                    InLayer::Absent { blocked: false } => continue,
                }
            };
            if let Ok(it) = fs::read_dir(&dir) {
                for e in it.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    if hidden.contains(&name) || names.contains(&name) {
                        continue;
                    }
                    match e.metadata() {
                        Ok(md) if is_whiteout(&md) => {
                            hidden.insert(name);
                        }
                        Ok(md) => {
                            if !md.is_dir() {
                                // A non-directory hides the same name below.
                                hidden.insert(name.clone());
                            }
                            names.insert(name);
                        }
                        Err(_) => {}
                    }
                }
            }
            if is_opaque(&dir) {
                break;
            }
        }
        names.into_iter().collect()
    }
}

/// Read a small file of a tree (e.g. /etc/passwd), following symlinks.
pub fn read_small(tree: &dyn Tree, path: &str) -> Option<Vec<u8>> {
    let rel = tree.resolve(path, true).ok()?;
    let node = tree.node(&rel)?;
    if !node.md.is_file() || node.md.len() > 16 << 20 {
        return None;
    }
    fs::read(&node.real).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_core::testing::{escape_tree, temp_tree};
    use std::os::unix::fs::symlink;

    #[test]
    fn clean_paths() {
        assert_eq!(clean("/a/./b/../c/"), "a/c");
        assert_eq!(clean("../../x"), "x");
        assert_eq!(clean("/"), "");
    }

    #[test]
    fn merged_layers_and_symlinks() {
        let d = temp_tree(&[
            ("base/etc/passwd", "root:x:0:0::/root:/bin/sh\n"),
            ("base/data/old", "1"),
            ("top/data/new", "2"),
        ]);
        let base = d.path().join("base");
        let top = d.path().join("top");
        symlink("/data", base.join("link")).unwrap();
        let t = LayerTree::new(&[base.clone(), top.clone()]);
        assert_eq!(t.children("data"), vec!["new", "old"]);
        assert_eq!(t.resolve("/link/new", true).unwrap(), "data/new");
        assert!(read_small(&t, "/etc/passwd").is_some());
        assert_eq!(t.children(""), vec!["data", "etc", "link"]);
        // A file in the top layer hides a directory below.
        fs::remove_dir_all(top.join("data")).unwrap();
        fs::write(top.join("data"), "f").unwrap();
        assert!(t.node("data/old").is_none());
        assert!(t.node("data").unwrap().md.is_file());
    }

    // A symlink in a real directory (the context, a temp dir) is resolved
    // inside it: an absolute target never reaches the host's file.
    #[test]
    fn dir_tree_symlinks_stay_inside() {
        let (_d, root, _) = escape_tree("link");
        symlink("../../outside", root.join("rel")).unwrap();
        let t = DirTree::new(&root).unwrap();
        assert!(t.node("link/secret").is_none());
        assert!(t.node("rel/secret").is_none());
        for p in ["link/secret", "rel/secret"] {
            let r = t.resolve(p, true).unwrap();
            assert!(t.node(&r).is_none(), "{p} -> {r}");
        }
        // Absolute targets are the tree's own paths.
        fs::create_dir_all(root.join("data")).unwrap();
        fs::write(root.join("data/x"), "in").unwrap();
        symlink("/data", root.join("abs")).unwrap();
        assert_eq!(t.resolve("abs/x", true).unwrap(), "data/x");
        assert!(t.node("abs/x").unwrap().md.is_file());
        assert!(t.children("link").is_empty());
        assert!(read_small(&t, "link/secret").is_none());
    }
}
