//! The build context: a directory, or `-` (a tar or a bare Dockerfile on
//! stdin), with `.dockerignore` applied, and where the Dockerfile comes from
//! (`-f` anywhere, `-f -`).
//!
//! The context is walked once per build. Content hashes of regular files
//! come from [`crate::contenthash`] (keyed by path, size, mtime, inode,
//! ctime), so an unchanged context is verified with stat calls only;
//! touching a file (new mtime, same bytes) re-hashes it and finds the same
//! digest, so the build cache still hits. Loading the context also opens
//! the store's snapshot-file hash cache for the build; dropping it (the
//! build is over) saves that.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use skiff_core::inroot::Root;
use skiff_dockerignore::PatternMatcher;

use crate::contenthash::HashCache;
use crate::error::{io_at, BuildError, Result};
use crate::tree::{hash_file, node_in_root, Node, Tree};

/// Where the context and the Dockerfile come from.
#[derive(Debug, Clone, Default)]
pub struct ContextSpec {
    /// A directory, or "-" for stdin.
    pub context: String,
    /// `-f`: a path (relative to the current directory) or "-".
    pub file: Option<PathBuf>,
}

/// A checked build context plus the Dockerfile to build.
pub struct Context {
    /// Directory holding the context files.
    pub dir: PathBuf,
    /// The same directory, opened: what COPY and RUN mounts reach in the
    /// context is resolved in it, never by host path.
    root: Root,
    /// Keeps an unpacked stdin tar alive for the build.
    _tmp: Option<tempfile::TempDir>,
    /// Visible paths (after .dockerignore).
    included: BTreeSet<String>,
    /// Content sha256 of each visible regular file.
    hashes: HashMap<String, String>,
    /// The Dockerfile's bytes.
    pub dockerfile: Vec<u8>,
    /// How to name the Dockerfile in messages (`Dockerfile`, `build/Dockerfile.prod`).
    pub dockerfile_name: String,
}

impl Context {
    /// Load the context and Dockerfile. `stdin` is read only when the spec
    /// says "-".
    pub fn load(spec: &ContextSpec, cache_dir: &Path, stdin: &mut dyn Read) -> Result<Context> {
        let mut tmp = None;
        let mut dockerfile: Option<(Vec<u8>, String)> = None;
        let dir = if spec.context == "-" {
            let mut data = Vec::new();
            stdin
                .read_to_end(&mut data)
                .map_err(|e| BuildError::Context(format!("reading stdin: {e}")))?;
            if looks_like_archive(&data) {
                let t = tempfile::Builder::new()
                    .prefix("skiff-context-")
                    .tempdir()
                    .map_err(|e| BuildError::Context(format!("temp dir: {e}")))?;
                let reader: Box<dyn Read> = if data.starts_with(&[0x1f, 0x8b]) {
                    Box::new(flate2::read::GzDecoder::new(data.as_slice()))
                } else {
                    Box::new(data.as_slice())
                };
                let mut ar = tar::Archive::new(reader);
                ar.set_preserve_permissions(true);
                ar.unpack(t.path()).map_err(|e| {
                    BuildError::Context(format!("unpacking the context tar from stdin: {e}"))
                })?;
                let p = t.path().to_path_buf();
                tmp = Some(t);
                p
            } else {
                // A bare Dockerfile: the context is empty.
                dockerfile = Some((data, "Dockerfile".into()));
                let t = tempfile::Builder::new()
                    .prefix("skiff-context-")
                    .tempdir()
                    .map_err(|e| BuildError::Context(format!("temp dir: {e}")))?;
                let p = t.path().to_path_buf();
                tmp = Some(t);
                p
            }
        } else {
            let p = PathBuf::from(&spec.context);
            let md = fs::metadata(&p).map_err(|e| {
                BuildError::Context(format!(
                    "unable to prepare context: path {:?} not found: {e}",
                    spec.context
                ))
            })?;
            if !md.is_dir() {
                return Err(BuildError::Context(format!(
                    "unable to prepare context: {:?} is not a directory",
                    spec.context
                )));
            }
            fs::canonicalize(&p).map_err(io_at(&p))?
        };

        let mut dockerfile_path: Option<PathBuf> = None;
        if dockerfile.is_none() {
            match &spec.file {
                Some(f) if f.as_os_str() == "-" => {
                    if spec.context == "-" {
                        return Err(BuildError::Context(
                            "invalid argument: can't use stdin for both build context and dockerfile".into(),
                        ));
                    }
                    let mut data = Vec::new();
                    stdin.read_to_end(&mut data).map_err(|e| {
                        BuildError::Context(format!("reading the Dockerfile from stdin: {e}"))
                    })?;
                    dockerfile = Some((data, "Dockerfile".into()));
                }
                Some(f) => {
                    // A stdin tar's -f is inside the tar; otherwise relative
                    // to the current directory, as docker resolves it.
                    let p = if tmp.is_some() {
                        dir.join(f)
                    } else {
                        f.clone()
                    };
                    let data = fs::read(&p).map_err(|e| {
                        BuildError::Context(format!(
                            "failed to read dockerfile {}: {e}",
                            p.display()
                        ))
                    })?;
                    dockerfile = Some((data, f.display().to_string()));
                    dockerfile_path = Some(p);
                }
                None => {
                    let p = dir.join("Dockerfile");
                    let data = fs::read(&p).map_err(|e| {
                        BuildError::Context(format!(
                            "failed to read dockerfile: open {}: {}",
                            if tmp.is_some() {
                                "Dockerfile".into()
                            } else {
                                p.display().to_string()
                            },
                            e
                        ))
                    })?;
                    dockerfile = Some((data, "Dockerfile".into()));
                    dockerfile_path = Some(p);
                }
            }
        }
        let (dockerfile, dockerfile_name) = dockerfile.unwrap_or_default();

        let ignore_file = match &dockerfile_path {
            Some(df) => skiff_dockerignore::ignore_file_for(&dir, df),
            None => {
                let p = dir.join(".dockerignore");
                p.exists().then_some(p)
            }
        };
        let patterns = match ignore_file {
            Some(p) => skiff_dockerignore::read_ignore_file(&fs::read(&p).map_err(io_at(&p))?),
            None => Vec::new(),
        };
        let matcher = PatternMatcher::new(&patterns)
            .map_err(|e| BuildError::Context(format!(".dockerignore: {e}")))?;

        let root = Root::new(&dir).map_err(|e| BuildError::Context(e.to_string()))?;
        let mut ctx = Context {
            dir,
            root,
            _tmp: tmp,
            included: BTreeSet::new(),
            hashes: HashMap::new(),
            dockerfile,
            dockerfile_name,
        };
        let key = hex::encode(Sha256::digest(ctx.dir.as_os_str().as_encoded_bytes()));
        let mut cache = HashCache::load(cache_dir, &key);
        crate::contenthash::open_snapshot_cache(cache_dir);
        let mut walker = Walker {
            matcher: (!patterns.is_empty()).then_some(matcher),
            cache: &mut cache,
            ctx: &mut ctx,
        };
        walker.walk("")?;
        cache.save();
        Ok(ctx)
    }

    /// Number of visible files and directories.
    pub fn len(&self) -> usize {
        self.included.len()
    }

    pub fn is_empty(&self) -> bool {
        self.included.is_empty()
    }
}

fn looks_like_archive(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b]) || (data.len() > 262 && &data[257..262] == b"ustar")
}

struct Walker<'a> {
    matcher: Option<PatternMatcher>,
    cache: &'a mut HashCache,
    ctx: &'a mut Context,
}

impl Walker<'_> {
    /// Returns whether anything below `rel` is visible.
    fn walk(&mut self, rel: &str) -> Result<bool> {
        let dir = if rel.is_empty() {
            self.ctx.dir.clone()
        } else {
            self.ctx.dir.join(rel)
        };
        let mut names: Vec<String> = fs::read_dir(&dir)
            .map_err(io_at(&dir))?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<_>>()
            .map_err(io_at(&dir))?;
        names.sort();
        let mut any = false;
        for name in names {
            let child = crate::tree::join(rel, &name);
            let path = self.ctx.dir.join(&child);
            let md = fs::symlink_metadata(&path).map_err(io_at(&path))?;
            let excluded = match &self.matcher {
                Some(m) => m
                    .matches_or_parent_matches(&child)
                    .map_err(|e| BuildError::Context(format!(".dockerignore: {e}")))?,
                None => false,
            };
            let has_exceptions = self.matcher.as_ref().is_some_and(|m| m.exclusions());
            if md.is_dir() {
                if excluded && !has_exceptions {
                    continue;
                }
                let inner = self.walk(&child)?;
                if !excluded || inner {
                    self.ctx.included.insert(child);
                    any = true;
                }
                continue;
            }
            if excluded {
                continue;
            }
            if md.is_file() {
                let h = self.cache.hash(&child, &path, &md).map_err(io_at(&path))?;
                self.ctx.hashes.insert(child.clone(), h);
            }
            self.ctx.included.insert(child);
            any = true;
        }
        Ok(any)
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        crate::contenthash::save_snapshot_cache();
    }
}

impl Tree for Context {
    fn node(&self, rel: &str) -> Option<Node> {
        if !rel.is_empty() && !self.included.contains(rel) {
            return None;
        }
        node_in_root(&self.root, rel)
    }

    fn children(&self, rel: &str) -> Vec<String> {
        let prefix = if rel.is_empty() {
            String::new()
        } else {
            format!("{rel}/")
        };
        self.included
            .range(prefix.clone()..)
            .take_while(|p| p.starts_with(&prefix))
            .filter(|p| !p[prefix.len()..].contains('/'))
            .map(|p| p[prefix.len()..].to_string())
            .collect()
    }

    fn content_hash(&self, rel: &str, node: &Node) -> io::Result<String> {
        match self.hashes.get(rel) {
            Some(h) => Ok(h.clone()),
            None => hash_file(&node.real),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_core::testing::temp_tree;

    #[test]
    fn ignores_and_caches() {
        let d = temp_tree(&[
            ("ctx/Dockerfile", "FROM scratch\n"),
            ("ctx/.dockerignore", "secret\n*.log\n"),
            ("ctx/a.txt", "a"),
            ("ctx/x.log", "x"),
            ("ctx/sub/b", "b"),
            ("ctx/secret/key", "k"),
        ]);
        let c = d.path().join("ctx");
        let cache = d.path().join("cache");
        let spec = ContextSpec {
            context: c.display().to_string(),
            file: None,
        };
        let ctx = Context::load(&spec, &cache, &mut io::empty()).unwrap();
        assert_eq!(ctx.dockerfile, b"FROM scratch\n");
        assert_eq!(
            ctx.children(""),
            vec![".dockerignore", "Dockerfile", "a.txt", "sub"]
        );
        assert!(ctx.node("secret/key").is_none());
        let n = ctx.node("a.txt").unwrap();
        let h1 = ctx.content_hash("a.txt", &n).unwrap();
        assert_eq!(h1, hex::encode(Sha256::digest(b"a")));
        // Cached: a second load hashes nothing.
        let ctx2 = Context::load(&spec, &cache, &mut io::empty()).unwrap();
        assert_eq!(ctx2.hashes, ctx.hashes);
    }

    #[test]
    fn dockerfile_on_stdin() {
        let d = tempfile::tempdir().unwrap();
        let spec = ContextSpec {
            context: "-".into(),
            file: None,
        };
        let ctx = Context::load(&spec, d.path(), &mut &b"FROM scratch\n"[..]).unwrap();
        assert_eq!(ctx.dockerfile, b"FROM scratch\n");
        assert!(ctx.is_empty());
    }
}
