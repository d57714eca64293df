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
mod execute;
pub mod glob;
mod plan;

use std::path::PathBuf;

use skiff_frontend::instructions::Chmod;

use crate::tree::{Node, Tree};

pub use execute::{execute, set_owner, set_times};
pub use plan::plan;

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
    /// COPY --link: parents the copy creates are plain (0755 root), as
    /// the layer is made apart from the image.
    pub link: bool,
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
            link: false,
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
    link: bool,
    /// Directories the destination needs (clean image paths).
    dest_dirs: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{join, DirTree};
    use std::fs;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::path::Path;

    struct Setup {
        _d: tempfile::TempDir,
        ctx: DirTree,
        img: DirTree,
        upper: PathBuf,
    }

    fn setup() -> Setup {
        let d = skiff_core::testing::temp_tree(&[
            ("ctx/src/a.txt", "a"),
            ("ctx/src/b.txt", "b"),
            ("ctx/src/sub/c.go", "c"),
            ("ctx/main.go", "m"),
            ("img/app/", ""),
            ("upper/", ""),
        ]);
        Setup {
            ctx: DirTree::new(&d.path().join("ctx")).unwrap(),
            img: DirTree::new(&d.path().join("img")).unwrap(),
            upper: d.path().join("upper"),
            _d: d,
        }
    }

    impl Setup {
        /// Plans and runs `r` into the upper dir.
        fn copy(&self, r: &CopyRequest) {
            execute(&plan(r).unwrap(), &self.img, &self.upper).unwrap();
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
        s.copy(&req(&s, &["src"], "/dst"));
        assert_eq!(
            files(&s.upper),
            vec!["dst", "dst/a.txt", "dst/b.txt", "dst/sub", "dst/sub/c.go"]
        );
    }

    #[test]
    fn file_into_existing_dir_and_renamed() {
        let s = setup();
        s.copy(&req(&s, &["main.go"], "/app"));
        assert!(s.upper.join("app/main.go").is_file());
        s.copy(&req(&s, &["main.go"], "/bin/server"));
        assert!(s.upper.join("bin/server").is_file());
    }

    #[test]
    fn wildcards_need_slash_and_match() {
        let s = setup();
        s.copy(&req(&s, &["src/*.txt"], "/out/"));
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
        s.copy(&r);
        assert!(s.upper.join("app/main.go").is_file());
    }

    #[test]
    fn chmod_chown_exclude_parents() {
        let s = setup();
        let mut r = req(&s, &["src"], "/d/");
        r.chmod = Some(Chmod::Octal(0o600));
        r.chown = Some((1000, 1000));
        r.excludes = vec!["*.txt".into()];
        s.copy(&r);
        assert_eq!(files(&s.upper), vec!["d", "d/sub", "d/sub/c.go"]);
        let md = fs::metadata(s.upper.join("d/sub/c.go")).unwrap();
        assert_eq!(md.permissions().mode() & 0o7777, 0o600);
        if unsafe { libc::geteuid() } == 0 {
            assert_eq!(md.uid(), 1000);
        }
        let s = setup();
        let mut r = req(&s, &["src/sub/*.go"], "/p/");
        r.parents = true;
        s.copy(&r);
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
}
