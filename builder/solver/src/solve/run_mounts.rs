//! `RUN --mount`s resolved to host paths for the runtime, each with what it
//! adds to the step's cache key.

use std::fs;
use std::path::{Path, PathBuf};

use skiff_frontend::instructions::Mount;

use crate::cache;
use crate::copy::{self, CopyRequest};
use crate::error::{io_at, BuildError, Result};
use crate::run::RunMount;
use crate::tree::{self, DirTree, LayerTree};

use super::Shared;

/// A RUN's mounts, ready for the runtime.
#[derive(Default)]
pub(super) struct ResolvedMounts {
    pub mounts: Vec<RunMount>,
    /// What the mounts add to the cache key (a secret's id, never its value).
    pub key: Vec<String>,
    /// Stage subtrees materialised for binds; alive until the RUN is done.
    pub temps: Vec<tempfile::TempDir>,
}

pub(super) fn resolve(sh: &Shared, mounts: &[Mount]) -> Result<ResolvedMounts> {
    let mut out = ResolvedMounts::default();
    for m in mounts {
        let target = m.target().unwrap_or_default().to_string();
        match m {
            Mount::Secret { id, required, .. } => {
                secret(sh, &mut out, id.as_deref(), *required, target)?
            }
            Mount::Cache { id, read_only, .. } => {
                let id = id.clone().unwrap_or_else(|| target.clone());
                let dir = sh
                    .store
                    .buildcache_dir()
                    .join("mounts")
                    .join(cache::key(&[&id]));
                fs::create_dir_all(&dir).map_err(io_at(&dir))?;
                out.key.push(format!("cache:{id}:{target}"));
                out.mounts.push(RunMount::Bind {
                    source: dir,
                    target,
                    read_only: *read_only,
                });
            }
            Mount::Tmpfs { .. } => {
                out.key.push(format!("tmpfs:{target}"));
                out.mounts.push(RunMount::Tmpfs { target });
            }
            Mount::Bind {
                from,
                source,
                read_only,
                ..
            } => bind(
                sh,
                &mut out,
                from.as_deref(),
                source.as_deref(),
                *read_only,
                target,
            )?,
            Mount::Ssh { .. } => {
                return Err(BuildError::Unsupported(
                    "RUN --mount=type=ssh is not supported yet".into(),
                ));
            }
        }
    }
    Ok(out)
}

/// A `--secret` file, bound read-only; its id (default: the target's file
/// name) goes into the key, its content never.
fn secret(
    sh: &Shared,
    out: &mut ResolvedMounts,
    id: Option<&str>,
    required: bool,
    target: String,
) -> Result<()> {
    let id = id.map(str::to_string).unwrap_or_else(|| {
        Path::new(&target)
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let target = if target.is_empty() {
        format!("/run/secrets/{id}")
    } else {
        target
    };
    match sh.opts.secrets.iter().find(|s| s.id == id) {
        Some(s) => out.mounts.push(RunMount::Bind {
            source: s.src.clone(),
            target: target.clone(),
            read_only: true,
        }),
        None if required => {
            return Err(BuildError::Invalid(format!(
                "secret {id}: not provided (use --secret id={id},src=...)"
            )))
        }
        None => {}
    }
    out.key.push(format!("secret:{id}:{target}"));
    Ok(())
}

/// A bind of the context (keyed by the content it exposes) or of a stage's
/// or image's subtree (keyed by the stage and the subtree's digest).
fn bind(
    sh: &Shared,
    out: &mut ResolvedMounts,
    from: Option<&str>,
    source: Option<&str>,
    read_only: bool,
    target: String,
) -> Result<()> {
    let source = tree::clean(source.unwrap_or(""));
    let (host, what, digest) = match from {
        None => {
            let sources = vec![if source.is_empty() {
                ".".into()
            } else {
                source.clone()
            }];
            let image = LayerTree::default();
            let req = CopyRequest::new(sources, "/x/", &sh.ctx, &image, "RUN --mount");
            let digest = copy::plan(&req).map(|p| p.digest).unwrap_or_default();
            let host = sh.ctx.host_path(&source).map_err(io_at(&sh.ctx.dir))?;
            (host, "context".to_string(), digest)
        }
        Some(f) => {
            let (host, what) = bind_from(sh, out, f, &source)?;
            (host, what, String::new())
        }
    };
    out.mounts.push(RunMount::Bind {
        source: host,
        target: target.clone(),
        read_only,
    });
    out.key
        .push(format!("bind:{what}:{source}:{target}:{digest}"));
    Ok(())
}

/// Materialise `source` of stage or image `f` in a temp dir: a merged view
/// of layers has no single host path to bind.
fn bind_from(
    sh: &Shared,
    out: &mut ResolvedMounts,
    f: &str,
    source: &str,
) -> Result<(PathBuf, String)> {
    let (layers, key) = if let Some(j) = sh.stage_by_ref(f) {
        let o = sh.wait_stage(j)?;
        (o.snapshots.clone(), o.key.clone())
    } else if let Some(b) = sh.bases.get(f) {
        (b.snapshots.clone(), b.id.clone())
    } else {
        return Err(BuildError::Invalid(format!(
            "--mount from={f}: no such stage or image"
        )));
    };
    let t = tempfile::Builder::new()
        .prefix("skiff-bind-")
        .tempdir_in(sh.store.tmp_dir())
        .map_err(io_at(sh.store.tmp_dir()))?;
    let view = LayerTree::new(&layers);
    let dest = DirTree::new(t.path()).map_err(io_at(t.path()))?;
    let mut req = CopyRequest::new(vec![source.to_string()], "/", &view, &dest, "RUN --mount");
    req.keep_owner = true;
    let p = copy::plan(&req).map_err(|e| BuildError::Invalid(format!("--mount from={f}: {e}")))?;
    copy::execute(&p, &dest, t.path()).map_err(io_at(t.path()))?;
    let host = t.path().to_path_buf();
    out.temps.push(t);
    Ok((host, format!("{key}:{}", p.digest)))
}
