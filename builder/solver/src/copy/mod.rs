//! COPY/ADD with docker's semantics, in two phases: `plan` resolves sources
//! and destinations and computes the content digest that goes into the
//! cache key (no writes); `execute` fills a fresh upper directory that then
//! becomes the step's layer.
//!
//! Rules (docker's): a directory source copies its contents, not itself;
//! several sources (after wildcards) need a destination ending in `/`; a
//! file goes to `dest/<name>` when dest ends in `/` or is an existing
//! directory, else to `dest` itself; context files are owned by 0:0,
//! `COPY --from` keeps owners; `--chown`/`--chmod` override; mtimes kept.

pub mod chmod;
pub mod chown;
pub mod glob;

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use skiff_dockerignore::PatternMatcher;
use skiff_frontend::instructions::Chmod;

use skiff_core::inroot::{Resolved, Root};

use crate::tree::{clean, in_root_err, join, Node, Tree};

/// What to copy.
pub struct CopyRequest<'a> {
    /// Source paths/patterns, expanded, relative to the source tree.
    pub sources: Vec<String>,
    /// Destination as written (expanded), absolute or relative to `workdir`.
    pub dest: String,
    pub workdir: String,
    pub src: &'a dyn Tree,
    /// The stage's filesystem before this step.
    pub image: &'a dyn Tree,
    pub chown: Option<(u32, u32)>,
    pub chmod: Option<Chmod>,
    /// Keep source owners (COPY --from); context files become 0:0.
    pub keep_owner: bool,
    pub parents: bool,
    pub excludes: Vec<String>,
    /// ADD: unpack local tar archives into the destination.
    pub unpack_archives: bool,
    /// "COPY" or "ADD", for messages.
    pub verb: &'static str,
}

impl<'a> CopyRequest<'a> {
    /// A plain copy of `sources` to `dest` (from `/`): no owner or mode
    /// changes, source owners become 0:0, no excludes, no unpacking.
    pub fn new(
        sources: Vec<String>,
        dest: &str,
        src: &'a dyn Tree,
        image: &'a dyn Tree,
        verb: &'static str,
    ) -> Self {
        CopyRequest {
            sources,
            dest: dest.to_string(),
            workdir: "/".into(),
            src,
            image,
            chown: None,
            chmod: None,
            keep_owner: false,
            parents: false,
            excludes: Vec::new(),
            unpack_archives: false,
            verb,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Dir,
    File { hash: String },
    Symlink { target: PathBuf },
    Archive { hash: String },
    Other,
}

#[derive(Debug, Clone)]
struct Item {
    src: Node,
    /// Clean path in the image.
    dest: String,
    kind: Kind,
    /// The destination directory of a directory source.
    top_dir: bool,
}

/// A resolved COPY, ready to run.
#[derive(Debug, Default)]
pub struct CopyPlan {
    items: Vec<Item>,
    /// sha256 over everything that decides the result: goes into the cache key.
    pub digest: String,
    chown: Option<(u32, u32)>,
    chmod: Option<Chmod>,
    keep_owner: bool,
    /// Directories the destination needs (clean image paths).
    dest_dirs: Vec<String>,
}

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
            // The directory's contents, and the destination takes its metadata.
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
                Kind::File { hash } if req.unpack_archives && is_tar_archive(&node.real) => {
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

fn is_tar_archive(path: &Path) -> bool {
    use std::io::Read;
    let Ok(f) = fs::File::open(path) else {
        return false;
    };
    let mut head = Vec::with_capacity(512);
    let mut r: Box<dyn Read> = Box::new(f);
    let mut magic = [0u8; 2];
    if r.read_exact(&mut magic).is_err() {
        return false;
    }
    let Ok(f) = fs::File::open(path) else {
        return false;
    };
    let mut r: Box<dyn Read> = if magic == [0x1f, 0x8b] {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    if r.by_ref().take(512).read_to_end(&mut head).is_err() || head.len() < 512 {
        return false;
    }
    &head[257..262] == b"ustar"
}

/// Fill `upper` (a fresh directory standing for the image root) with the
/// copy. `image` provides the metadata of destination parents that exist.
pub fn execute(p: &CopyPlan, image: &dyn Tree, upper: &Path) -> io::Result<()> {
    let root = Root::new(upper).map_err(in_root_err)?;
    let now = chrono::Utc::now().timestamp();
    // Directory times, by path in the image: set last, re-resolved then.
    let mut times: Vec<(String, i64, i64)> = Vec::new();
    for d in &p.dest_dirs {
        let target = InUpper::new(&root, d)?;
        let target = &target.path;
        if target.exists() {
            continue;
        }
        fs::create_dir(target)?;
        match image.node(d).filter(|n| n.md.is_dir()) {
            Some(n) => {
                // Same metadata as in the image, so the layer changes nothing.
                set_owner(target, n.md.uid(), n.md.gid())?;
                set_mode(target, n.md.mode() & 0o7777)?;
                times.push((d.clone(), n.md.mtime(), n.md.mtime_nsec()));
            }
            None => {
                let (uid, gid) = p.chown.unwrap_or((0, 0));
                set_owner(target, uid, gid)?;
                set_mode(target, 0o755)?;
                times.push((d.clone(), now, 0));
            }
        }
    }
    for it in &p.items {
        let target = InUpper::new(&root, &it.dest)?;
        let target = &target.path;
        let md = &it.src.md;
        let (uid, gid) = match p.chown {
            Some(o) => o,
            None if p.keep_owner => (md.uid(), md.gid()),
            None => (0, 0),
        };
        let is_dir = matches!(it.kind, Kind::Dir);
        let mode = match &p.chmod {
            Some(c) => chmod::apply(c, md.mode(), is_dir),
            None => md.mode() & 0o7777,
        };
        match &it.kind {
            Kind::Dir => {
                if it.dest.is_empty() {
                    continue; // COPY dir / : the root keeps its metadata
                }
                let existing = image.node(&it.dest).filter(|n| it.top_dir && n.md.is_dir());
                if let Some(n) = existing {
                    // An existing destination directory keeps its metadata.
                    if !target.exists() {
                        fs::create_dir(target)?;
                    }
                    set_owner(target, n.md.uid(), n.md.gid())?;
                    set_mode(target, n.md.mode() & 0o7777)?;
                    times.push((it.dest.clone(), n.md.mtime(), n.md.mtime_nsec()));
                    continue;
                }
                match fs::symlink_metadata(target) {
                    Ok(m) if m.is_dir() => {}
                    Ok(_) => {
                        fs::remove_file(target)?;
                        fs::create_dir(target)?;
                    }
                    Err(_) => fs::create_dir(target)?,
                }
                set_owner(target, uid, gid)?;
                set_mode(target, mode)?;
                times.push((it.dest.clone(), md.mtime(), md.mtime_nsec()));
            }
            Kind::File { .. } => {
                remove_existing(target)?;
                fs::copy(&it.src.real, target)?;
                set_owner(target, uid, gid)?;
                set_mode(target, mode)?;
                set_times(target, md.mtime(), md.mtime_nsec())?;
            }
            Kind::Symlink { target: link } => {
                remove_existing(target)?;
                symlink(link, target)?;
                set_owner(target, uid, gid)?;
                set_times(target, md.mtime(), md.mtime_nsec())?;
            }
            Kind::Archive { .. } => {
                let dir = root.mkdir_all(&it.dest, 0o755).map_err(in_root_err)?;
                unpack_archive(&it.src.real, &dir.proc_path(), p.chown)?;
            }
            Kind::Other => {
                remove_existing(target)?;
                let c = CString::new(target.as_os_str().as_bytes()).map_err(io::Error::other)?;
                // SAFETY: c is a valid NUL-terminated path; mknod has no other preconditions.
                if unsafe { libc::mknod(c.as_ptr(), md.mode(), md.rdev()) } != 0 {
                    return Err(io::Error::last_os_error());
                }
                set_owner(target, uid, gid)?;
                set_times(target, md.mtime(), md.mtime_nsec())?;
            }
        }
    }
    // Directory mtimes last, deepest first: adding children changed them.
    times.sort_by(|a, b| b.0.cmp(&a.0));
    for (rel, s, ns) in times {
        set_times(&InUpper::new(&root, &rel)?.path, s, ns)?;
    }
    Ok(())
}

/// A path of the image inside `upper`, reached through the one
/// resolve-in-root: a symlink an earlier item of this COPY made cannot
/// lead a later one out of `upper`. The path goes through the parent's
/// descriptor (`/proc/self/fd/N/name`), held open while it is used.
struct InUpper {
    _dir: Resolved,
    path: PathBuf,
}

impl InUpper {
    fn new(root: &Root, rel: &str) -> io::Result<InUpper> {
        let (dir, name) = root.parent(rel, None).map_err(in_root_err)?;
        let path = match name {
            Some(n) => dir.proc_path().join(n),
            None => dir.proc_path(),
        };
        Ok(InUpper { _dir: dir, path })
    }
}

fn remove_existing(p: &Path) -> io::Result<()> {
    match fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(p),
        Ok(_) => fs::remove_file(p),
        Err(_) => Ok(()),
    }
}

fn unpack_archive(src: &Path, dest: &Path, chown: Option<(u32, u32)>) -> io::Result<()> {
    use std::io::Read;
    let mut magic = [0u8; 2];
    fs::File::open(src)?.read_exact(&mut magic)?;
    let f = fs::File::open(src)?;
    let r: Box<dyn Read> = if magic == [0x1f, 0x8b] {
        Box::new(flate2::read::GzDecoder::new(f))
    } else {
        Box::new(f)
    };
    let mut ar = tar::Archive::new(r);
    ar.set_preserve_permissions(true);
    ar.set_preserve_ownerships(true);
    ar.set_preserve_mtime(true);
    ar.set_unpack_xattrs(true);
    ar.unpack(dest)?;
    if let Some((uid, gid)) = chown {
        chown_tree(dest, uid, gid)?;
    }
    Ok(())
}

fn chown_tree(p: &Path, uid: u32, gid: u32) -> io::Result<()> {
    set_owner(p, uid, gid)?;
    if fs::symlink_metadata(p)?.is_dir() {
        for e in fs::read_dir(p)? {
            chown_tree(&e?.path(), uid, gid)?;
        }
    }
    Ok(())
}

fn set_owner(p: &Path, uid: u32, gid: u32) -> io::Result<()> {
    match std::os::unix::fs::lchown(p, Some(uid), Some(gid)) {
        Ok(()) => Ok(()),
        // Unprivileged builds keep the caller's ownership.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => Ok(()),
        Err(e) => Err(e),
    }
}

fn set_mode(p: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
}

pub fn set_times(p: &Path, secs: i64, nsec: i64) -> io::Result<()> {
    // libc deprecates `time_t` on musl because it will widen to 64 bits
    // (musl 1.2 did). Naming it is the point here: the clamp below must
    // follow whatever width libc links against (32-bit on armhf today,
    // where the plain `utimensat` symbol is musl's time32 entry point).
    #[allow(deprecated)]
    let ts = libc::timespec {
        // Clamped, not wrapped, where time_t is 32-bit (armhf musl in libc 0.2).
        tv_sec: libc::time_t::try_from(secs).unwrap_or(if secs < 0 {
            libc::time_t::MIN
        } else {
            libc::time_t::MAX
        }),
        tv_nsec: nsec as libc::c_long,
    };
    let times = [ts, ts];
    let c = CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: valid path and a two-element timespec array, as utimensat requires.
    let r = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            times.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::DirTree;
    use std::os::unix::fs::PermissionsExt;

    struct Setup {
        _d: tempfile::TempDir,
        ctx: DirTree,
        img: DirTree,
        upper: PathBuf,
    }

    fn setup() -> Setup {
        let d = tempfile::tempdir().unwrap();
        let ctx = d.path().join("ctx");
        let img = d.path().join("img");
        let upper = d.path().join("upper");
        for p in [&ctx, &img, &upper] {
            fs::create_dir_all(p).unwrap();
        }
        fs::create_dir_all(ctx.join("src/sub")).unwrap();
        fs::write(ctx.join("src/a.txt"), "a").unwrap();
        fs::write(ctx.join("src/b.txt"), "b").unwrap();
        fs::write(ctx.join("src/sub/c.go"), "c").unwrap();
        fs::write(ctx.join("main.go"), "m").unwrap();
        fs::create_dir_all(img.join("app")).unwrap();
        Setup {
            ctx: DirTree::new(&ctx).unwrap(),
            img: DirTree::new(&img).unwrap(),
            upper,
            _d: d,
        }
    }

    fn req<'a>(s: &'a Setup, sources: &[&str], dest: &str) -> CopyRequest<'a> {
        let sources = sources.iter().map(|s| s.to_string()).collect();
        CopyRequest::new(sources, dest, &s.ctx, &s.img, "COPY")
    }

    fn files(root: &Path) -> Vec<String> {
        let mut v = Vec::new();
        fn rec(root: &Path, rel: &str, v: &mut Vec<String>) {
            let mut names: Vec<_> = fs::read_dir(root.join(rel))
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for n in names {
                let r = join(rel, &n);
                v.push(r.clone());
                if root.join(&r).is_dir() {
                    rec(root, &r, v);
                }
            }
        }
        rec(root, "", &mut v);
        v
    }

    #[test]
    fn dir_contents_not_the_dir() {
        let s = setup();
        let p = plan(&req(&s, &["src"], "/dst")).unwrap();
        execute(&p, &s.img, &s.upper).unwrap();
        assert_eq!(
            files(&s.upper),
            vec!["dst", "dst/a.txt", "dst/b.txt", "dst/sub", "dst/sub/c.go"]
        );
    }

    #[test]
    fn file_into_existing_dir_and_renamed() {
        let s = setup();
        let p = plan(&req(&s, &["main.go"], "/app")).unwrap();
        execute(&p, &s.img, &s.upper).unwrap();
        assert!(s.upper.join("app/main.go").is_file());
        let p = plan(&req(&s, &["main.go"], "/bin/server")).unwrap();
        execute(&p, &s.img, &s.upper).unwrap();
        assert!(s.upper.join("bin/server").is_file());
    }

    #[test]
    fn wildcards_need_slash_and_match() {
        let s = setup();
        let p = plan(&req(&s, &["src/*.txt"], "/out/")).unwrap();
        execute(&p, &s.img, &s.upper).unwrap();
        assert_eq!(files(&s.upper), vec!["out", "out/a.txt", "out/b.txt"]);
        let e = plan(&req(&s, &["main.go", "src/a.txt"], "/x")).unwrap_err();
        assert!(e.to_string().contains("must be a directory"), "{e}");
        assert!(plan(&req(&s, &["nope*"], "/x/")).is_err());
        assert!(plan(&req(&s, &["missing"], "/x/")).is_err());
    }

    #[test]
    fn relative_dest_uses_workdir() {
        let s = setup();
        let mut r = req(&s, &["main.go"], ".");
        r.workdir = "/app".into();
        let p = plan(&r).unwrap();
        execute(&p, &s.img, &s.upper).unwrap();
        assert!(s.upper.join("app/main.go").is_file());
    }

    #[test]
    fn chmod_chown_exclude_parents() {
        let s = setup();
        let mut r = req(&s, &["src"], "/d/");
        r.chmod = Some(Chmod::Octal(0o600));
        r.chown = Some((1000, 1000));
        r.excludes = vec!["*.txt".into()];
        let p = plan(&r).unwrap();
        execute(&p, &s.img, &s.upper).unwrap();
        assert_eq!(files(&s.upper), vec!["d", "d/sub", "d/sub/c.go"]);
        let md = fs::metadata(s.upper.join("d/sub/c.go")).unwrap();
        assert_eq!(md.permissions().mode() & 0o7777, 0o600);
        if unsafe { libc::geteuid() } == 0 {
            assert_eq!(md.uid(), 1000);
        }
        let s = setup();
        let mut r = req(&s, &["src/sub/*.go"], "/p/");
        r.parents = true;
        let p = plan(&r).unwrap();
        execute(&p, &s.img, &s.upper).unwrap();
        assert!(s.upper.join("p/src/sub/c.go").is_file());
    }

    #[test]
    fn digest_ignores_mtime_but_not_content() {
        let s = setup();
        let d1 = plan(&req(&s, &["src"], "/d")).unwrap().digest;
        crate::copy::set_times(&s.ctx.path().join("src/a.txt"), 12345, 0).unwrap();
        let d2 = plan(&req(&s, &["src"], "/d")).unwrap().digest;
        assert_eq!(d1, d2);
        fs::write(s.ctx.path().join("src/a.txt"), "changed").unwrap();
        let d3 = plan(&req(&s, &["src"], "/d")).unwrap().digest;
        assert_ne!(d1, d3);
    }

    // COPY writes into its upper dir through resolve-in-root: a symlink
    // there (made by an earlier item) never leads a write to the host.
    #[test]
    fn writes_stay_in_upper() {
        let d = tempfile::tempdir().unwrap();
        let upper = d.path().join("upper");
        let outside = d.path().join("outside");
        fs::create_dir_all(&upper).unwrap();
        fs::create_dir_all(&outside).unwrap();
        symlink(&outside, upper.join("esc")).unwrap();
        let root = Root::new(&upper).unwrap();
        let t = InUpper::new(&root, "esc/f");
        if let Ok(t) = t {
            let _ = fs::write(&t.path, "x");
        }
        assert!(!outside.join("f").exists());
    }
}
