//! ADD's remote parts: what goes into the step's cache key, and the fetch
//! into a private temp dir that becomes the part's source tree. As in
//! BuildKit the key is the content: the downloaded file's digest (with its
//! name and Last-Modified), the `--checksum` it is pinned to, or the git
//! commit (with subdir and options); never the URL alone.

use std::os::unix::fs::DirBuilderExt;

use crate::add_source::git::{self, GitLimits};
use crate::add_source::git_ref::GitRef;
use crate::add_source::{http, Remote};
use crate::error::{io_at, BuildError, Result};
use crate::tree::DirTree;
use crate::url_cache::{UrlCache, UrlRecord};
use skiff_registry::download::Downloaded;

use super::copy::SourceTree;
use super::Shared;

/// A remote part, fetched now or when the step runs.
pub(super) enum Prepared {
    Now {
        key: String,
        tree: SourceTree,
        /// The source to copy, relative to the tree.
        name: String,
    },
    Later(Later),
}

/// A part whose key is known before its content.
pub(super) struct Later {
    pub key: String,
    kind: LaterKind,
}

enum LaterKind {
    Http {
        url: String,
        checksum: String,
    },
    Git {
        r: GitRef,
        commit: String,
        keep: bool,
    },
}

impl Later {
    /// Fetch the part: its tree and the source to copy from it.
    pub(super) fn fetch(self, sh: &Shared) -> Result<(SourceTree, String)> {
        match self.kind {
            LaterKind::Http { url, checksum } => {
                let t = temp_dir(sh)?;
                let auth = auth_for(sh, &url);
                let got = http::fetch(&url, t.path(), auth, max_bytes()?, Some(&checksum), None)
                    .map_err(BuildError::Invalid)?;
                let http::Fetch::Body(f) = got else {
                    return Err(not_modified(&url));
                };
                Ok((tree_of(t)?, f.name))
            }
            LaterKind::Git { r, commit, keep } => {
                let t = temp_dir(sh)?;
                let work = t.path().join("checkout");
                std::fs::DirBuilder::new()
                    .mode(0o755)
                    .create(&work)
                    .map_err(io_at(&work))?;
                let root = git::checkout(&r, &commit, keep, &work, git_limits()?)
                    .map_err(|e| BuildError::Invalid(format!("{}: {e}", r.remote)))?;
                let dt = DirTree::new(&root).map_err(io_at(&root))?;
                Ok((SourceTree::Temp(t, dt), "/".into()))
            }
        }
    }
}

pub(super) fn prepare(
    sh: &Shared,
    remote: Remote,
    checksum: Option<&str>,
    keep_git_dir: Option<bool>,
) -> Result<Prepared> {
    match remote {
        Remote::Local(_) => Err(BuildError::Invalid("a local source is not remote".into())),
        Remote::Http(url) => match checksum {
            Some(c) => {
                check_digest(c)?;
                Ok(Prepared::Later(Later {
                    key: format!("url name={} checksum={c}", http::file_name(&url)),
                    kind: LaterKind::Http {
                        url,
                        checksum: c.to_string(),
                    },
                }))
            }
            None => {
                let (tree, f) = download(sh, &url)?;
                Ok(Prepared::Now {
                    key: format!(
                        "url name={} content={} modified={:?}",
                        f.name, f.content.digest, f.content.last_modified
                    ),
                    tree,
                    name: f.name,
                })
            }
        },
        Remote::Git(mut r) => {
            if let (Some(a), Some(b)) = (keep_git_dir, r.keep_git_dir) {
                if a != b {
                    return Err(BuildError::Invalid(
                        "inconsistent keep-git-dir configuration".into(),
                    ));
                }
            }
            let keep = keep_git_dir.or(r.keep_git_dir).unwrap_or(false);
            if let (Some(a), Some(b)) = (checksum, &r.checksum) {
                if a != b {
                    return Err(BuildError::Invalid(format!(
                        "checksum mismatch {a:?} != {b:?}"
                    )));
                }
            }
            if r.checksum.is_none() {
                r.checksum = checksum.map(str::to_string);
            }
            let commit = git::resolve(&r, git_limits()?)
                .map_err(|e| BuildError::Invalid(format!("{}: {e}", r.remote)))?;
            let key = format!(
                "git commit={commit} subdir={:?} keep-git-dir={keep} submodules={} mtime-commit={}",
                r.subdir,
                r.submodules != Some(false),
                r.mtime_commit
            );
            Ok(Prepared::Later(Later {
                key,
                kind: LaterKind::Git { r, commit, keep },
            }))
        }
    }
}

/// `--checksum` for a URL: `sha256:<64 hex>` (the digest skiff computes).
fn check_digest(c: &str) -> Result<()> {
    match c.split_once(':') {
        Some(("sha256", hex)) if skiff_core::digest::is_full_hex(hex) => Ok(()),
        Some((algo @ ("sha384" | "sha512"), _)) => Err(BuildError::Unsupported(format!(
            "--checksum={c}: {algo} is not supported, only sha256"
        ))),
        _ => Err(BuildError::Invalid(format!(
            "invalid checksum digest format \"{c}\": expected sha256:<64 hex digits>"
        ))),
    }
}

fn temp_dir(sh: &Shared) -> Result<tempfile::TempDir> {
    tempfile::Builder::new()
        .prefix("skiff-add-")
        .tempdir_in(sh.store.tmp_dir())
        .map_err(io_at(sh.store.tmp_dir()))
}

/// A download and a remote checkout are bounded like a layer.
fn max_bytes() -> Result<u64> {
    Ok(skiff_store::UnpackLimits::current()?.layer)
}

fn git_limits() -> Result<GitLimits> {
    Ok(GitLimits::new(max_bytes()?))
}

/// A download whose key is its content: BuildKit's conditional GET. The
/// ETag recorded for this URL and auth (unless `--no-cache`) goes out as
/// `If-None-Match`; a `304` naming it (or naming nothing) reuses the kept
/// content, a `200` replaces the record (or drops it when the server sends
/// no ETag). Either way the file and its key are the same as a download's.
fn download(sh: &Shared, url: &str) -> Result<(SourceTree, http::Fetched)> {
    let auth = auth_for(sh, url);
    let urls = UrlCache::open(&sh.store)?;
    let id = UrlCache::id(url, auth.as_deref());
    let _lock = urls.lock(&id)?;
    let known = if sh.opts.no_cache {
        None
    } else {
        urls.get(&id)
    };
    let t = temp_dir(sh)?;
    let inm = known.as_ref().map(|r| r.etag.as_str());
    let got =
        http::fetch(url, t.path(), auth, max_bytes()?, None, inm).map_err(BuildError::Invalid)?;
    let f = match (got, known) {
        (http::Fetch::Body(f), _) => {
            match &f.content.etag {
                Some(etag) => {
                    let rec = UrlRecord {
                        etag: etag.clone(),
                        digest: f.content.digest.clone(),
                        last_modified: f.content.last_modified.clone(),
                    };
                    urls.put(&id, &rec, &t.path().join(&f.name))?;
                }
                None => urls.remove(&id)?,
            }
            f
        }
        (http::Fetch::NotModified { etag }, Some(rec))
            if etag.as_ref().is_none_or(|e| *e == rec.etag) =>
        {
            let mut content = urls.open_content(&rec)?;
            let kept = Downloaded {
                digest: rec.digest,
                last_modified: rec.last_modified,
                etag: Some(rec.etag),
                ..Default::default() // the size: restore counts it
            };
            http::restore(url, t.path(), &mut content, kept).map_err(BuildError::Invalid)?
        }
        (http::Fetch::NotModified { .. }, _) => return Err(not_modified(url)),
    };
    Ok((tree_of(t)?, f))
}

/// A `304` that answers no ETag this build sent (BuildKit's words).
fn not_modified(url: &str) -> BuildError {
    BuildError::Invalid(format!("{url}: invalid not-modified ETag"))
}

fn tree_of(t: tempfile::TempDir) -> Result<SourceTree> {
    let dt = DirTree::new(t.path()).map_err(io_at(t.path()))?;
    Ok(SourceTree::Temp(t, dt))
}

/// BuildKit's http auth: the build secret `HTTP_AUTH_HEADER_<host>` is the
/// Authorization header, `HTTP_AUTH_TOKEN_<host>` a bearer token (which
/// wins when both are given).
fn auth_for(sh: &Shared, url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let hostport = rest.split(['/', '?', '#']).next()?;
    let hostport = hostport.rsplit('@').next()?;
    let host = match hostport.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => hostport.split(':').next()?,
    };
    let read = |id: String| -> Option<String> {
        let s = sh.opts.secrets.iter().find(|s| s.id == id)?;
        let mut v = String::new();
        use std::io::Read;
        std::fs::File::open(&s.src)
            .ok()?
            .take(64 << 10)
            .read_to_string(&mut v)
            .ok()?;
        Some(v.trim_end_matches(['\r', '\n']).to_string())
    };
    let header = read(format!("HTTP_AUTH_HEADER_{host}"));
    let token = read(format!("HTTP_AUTH_TOKEN_{host}")).map(|t| format!("Bearer {t}"));
    token.or(header)
}
