//! Phase one of COPY: resolve sources (wildcards, symlinks) and the
//! destination, list every item, and hash what decides the result.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use sha2::{Digest as _, Sha256};
use skiff_dockerignore::PatternMatcher;

use crate::tree::{clean, join, Node, Tree};

use super::{glob, CopyPlan, CopyRequest, Item, Kind};

fn err(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, msg)
}

/// Resolve sources and destinations; hash what will be read.
pub fn plan(req: &CopyRequest) -> io::Result<CopyPlan> {
    let excludes = if req.excludes.is_empty() {
        None
    } else {
        Some(
            PatternMatcher::new(&req.excludes)
                .map_err(|e| io::Error::other(format!("--exclude: {e}")))?,
        )
    };
    // Expand wildcards.
    let mut matched: Vec<String> = Vec::new();
    for s in &req.sources {
        let c = clean(s);
        if glob::has_wildcards(&c) {
            let found = expand(req.src, &c);
            matched.extend(found);
        } else {
            let r = req.src.resolve(&c, true)?;
            if req.src.node(&r).is_none() {
                return Err(err(format!("\"/{c}\": not found")));
            }
            matched.push(r);
        }
    }
    if matched.is_empty() {
        return Err(err(format!(
            "no source files were specified (nothing matched {})",
            req.sources.join(" ")
        )));
    }
    let dest_raw = if req.dest.starts_with('/') {
        req.dest.clone()
    } else {
        format!("{}/{}", req.workdir.trim_end_matches('/'), req.dest)
    };
    let dest_slash = req.dest.ends_with('/') || req.dest == "." || req.dest.ends_with("/.");
    let dest_clean = req.image.resolve(&dest_raw, false)?;
    let dest_is_existing_dir = {
        let r = req.image.resolve(&dest_clean, true)?;
        req.image.node(&r).is_some_and(|n| n.md.is_dir())
    };
    if req.sources.len() > 1 && !dest_slash && !dest_is_existing_dir {
        return Err(io::Error::other(format!(
            "When using {} with more than one source file, the destination must be a directory and end with a /",
            req.verb
        )));
    }
    let dest_clean = if dest_is_existing_dir {
        req.image.resolve(&dest_clean, true)?
    } else {
        dest_clean
    };

    let mut p = CopyPlan {
        chown: req.chown,
        chmod: req.chmod.clone(),
        keep_owner: req.keep_owner,
        link: req.link,
        ..Default::default()
    };
    let dir_dest = dest_slash || dest_is_existing_dir || matched.len() > 1;
    for src_rel in matched {
        let node = req
            .src
            .node(&src_rel)
            .ok_or_else(|| err(format!("\"/{src_rel}\": not found")))?;
        let base = if req.parents {
            let parent = Path::new(&src_rel)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            join(&dest_clean, &parent)
        } else {
            dest_clean.clone()
        };
        if node.md.is_dir() {
            // The directory's contents; a destination it creates is new
            // (0755 or --chmod, root or --chown), not the source's.
            p.items.push(Item {
                src: node,
                dest: base.clone(),
                kind: Kind::Dir,
                top_dir: true,
            });
            walk(
                req.src,
                &src_rel,
                &base,
                "",
                excludes.as_ref(),
                &mut p.items,
            )?;
        } else {
            let name = Path::new(&src_rel)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let dest = if dir_dest || req.parents {
                join(&base, &name)
            } else {
                base.clone()
            };
            if let Some(m) = &excludes {
                if m.matches_or_parent_matches(&name).unwrap_or(false) {
                    continue;
                }
            }
            let kind = kind_of(req.src, &src_rel, &node)?;
            let kind = match kind {
                Kind::File { hash }
                    if req.unpack_archives && skiff_store::is_tar_archive(&node.real) =>
                {
                    // Extracted into the destination directory.
                    let dest_dir = if dir_dest { base.clone() } else { dest.clone() };
                    p.items.push(Item {
                        src: node,
                        dest: dest_dir,
                        kind: Kind::Archive { hash },
                        top_dir: false,
                    });
                    continue;
                }
                k => k,
            };
            p.items.push(Item {
                src: node,
                dest,
                kind,
                top_dir: false,
            });
        }
    }
    // Parents of every destination that the image does not have as a directory.
    let mut dirs = std::collections::BTreeSet::new();
    for it in &p.items {
        let mut cur = Path::new(&it.dest).parent();
        while let Some(d) = cur {
            let s = d.to_string_lossy().into_owned();
            if s.is_empty() {
                break;
            }
            dirs.insert(s);
            cur = d.parent();
        }
    }
    p.dest_dirs = dirs.into_iter().collect();

    let mut h = Sha256::new();
    for it in &p.items {
        h.update(it.dest.as_bytes());
        h.update([0]);
        let md = &it.src.md;
        let mode = md.mode() & 0o7777;
        let owner = if req.keep_owner {
            format!("{}:{}", md.uid(), md.gid())
        } else {
            String::new()
        };
        let what = match &it.kind {
            Kind::Dir => format!("dir {mode:o} {owner}"),
            Kind::File { hash } => format!("file {mode:o} {owner} {hash}"),
            Kind::Archive { hash } => format!("archive {hash}"),
            Kind::Symlink { target } => format!("link {owner} {}", target.display()),
            Kind::Other => format!("special {mode:o} {owner} {}", md.rdev()),
        };
        h.update(what.as_bytes());
        h.update([0]);
    }
    p.digest = format!("sha256:{}", hex::encode(h.finalize()));
    Ok(p)
}

fn kind_of(tree: &dyn Tree, rel: &str, node: &Node) -> io::Result<Kind> {
    let ft = node.md.file_type();
    Ok(if ft.is_dir() {
        Kind::Dir
    } else if ft.is_file() {
        Kind::File {
            hash: tree.content_hash(rel, node)?,
        }
    } else if ft.is_symlink() {
        Kind::Symlink {
            target: fs::read_link(&node.real)?,
        }
    } else {
        Kind::Other
    })
}

fn walk(
    tree: &dyn Tree,
    src_rel: &str,
    dest: &str,
    below: &str,
    excludes: Option<&PatternMatcher>,
    out: &mut Vec<Item>,
) -> io::Result<()> {
    for name in tree.children(&join(src_rel, below)) {
        let rel_below = join(below, &name);
        if let Some(m) = excludes {
            if m.matches_or_parent_matches(&rel_below).unwrap_or(false) {
                continue;
            }
        }
        let rel = join(src_rel, &rel_below);
        let Some(node) = tree.node(&rel) else {
            continue;
        };
        let kind = kind_of(tree, &rel, &node)?;
        let is_dir = matches!(kind, Kind::Dir);
        out.push(Item {
            src: node,
            dest: join(dest, &rel_below),
            kind,
            top_dir: false,
        });
        if is_dir {
            walk(tree, src_rel, dest, &rel_below, excludes, out)?;
        }
    }
    Ok(())
}

/// Expand a pattern one component at a time.
fn expand(tree: &dyn Tree, pattern: &str) -> Vec<String> {
    let mut cur = vec![String::new()];
    for comp in pattern.split('/') {
        let mut next = Vec::new();
        for base in &cur {
            if glob::has_wildcards(comp) {
                for name in tree.children(base) {
                    if glob::matches(comp, &name) {
                        next.push(join(base, &name));
                    }
                }
            } else {
                let p = join(base, comp);
                if tree.node(&p).is_some() {
                    next.push(p);
                }
            }
        }
        cur = next;
    }
    cur
}
