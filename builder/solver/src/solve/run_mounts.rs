//! `RUN --mount`s resolved to host paths for the runtime, each with what it
//! adds to the step's cache key.

use std::fs;
use std::path::{Path, PathBuf};

use skiff_frontend::instructions::Mount;

use crate::cache;
use crate::copy::{self, CopyRequest};
use crate::error::{io_at, BuildError, Result};
use crate::run::RunMount;
use crate::tree::{self, DirTree, LayerTree, Tree};

use super::run_secret::SecretMount;
use super::run_ssh::{PendingSsh, SshMount};
use super::Shared;
use crate::ssh_agent::AgentProxy;

/// A RUN's mounts, ready for the runtime.
#[derive(Default)]
pub(super) struct ResolvedMounts {
    pub mounts: Vec<RunMount>,
    /// What the mounts add to the cache key (a secret's id, never its value).
    pub key: Vec<String>,
    /// `KEY=VALUE` for secrets given as environment variables (`env=`);
    /// never part of the key.
    pub env: Vec<String>,
    /// Bind sources planned but not yet copied into their temp dir: the
    /// copy is made only when the RUN runs, never for a cached step.
    pending: Vec<(copy::CopyPlan, PathBuf)>,
    /// Stage subtrees materialised for binds and secret copies; alive
    /// until the RUN is done.
    pub temps: Vec<tempfile::TempDir>,
    /// The first ssh mount's target, for `SSH_AUTH_SOCK`.
    pub ssh_auth_sock: Option<String>,
    /// Agent proxies to start when the RUN runs ([`Self::fill`]).
    pub(super) ssh: Vec<PendingSsh>,
    /// The running agent proxies; alive until the RUN is done.
    pub proxies: Vec<AgentProxy>,
}

impl ResolvedMounts {
    /// Bind `source`, a private file made in the temp dir `dir`, at
    /// `target`; `dir` stays until the RUN is done.
    pub(super) fn bind_private(
        &mut self,
        dir: tempfile::TempDir,
        source: PathBuf,
        target: String,
        read_only: bool,
    ) {
        self.mounts.push(RunMount::Bind {
            source,
            target,
            read_only,
        });
        self.temps.push(dir);
    }

    /// Copy the bind sources into their temp dirs, just before the RUN.
    pub fn fill(&mut self) -> Result<()> {
        for (plan, dir) in self.pending.drain(..) {
            let dest = DirTree::new(&dir).map_err(io_at(&dir))?;
            copy::execute(&plan, &dest, &dir).map_err(io_at(&dir))?;
        }
        for p in self.ssh.drain(..) {
            let proxy = AgentProxy::start(&p.upstream, &p.socket, p.mode, p.owner)
                .map_err(io_at(&p.socket))?;
            self.proxies.push(proxy);
        }
        Ok(())
    }
}

pub(super) fn resolve(sh: &Shared, mounts: &[Mount]) -> Result<ResolvedMounts> {
    let mut out = ResolvedMounts::default();
    let mut ssh_index = 0;
    for m in mounts {
        let target = m.target().unwrap_or_default().to_string();
        match m {
            Mount::Secret {
                id,
                required,
                env,
                mode,
                uid,
                gid,
                ..
            } => {
                let owner = (uid.unwrap_or(0), gid.unwrap_or(0));
                let how = SecretMount {
                    id: id.as_deref(),
                    required: *required,
                    env: env.as_deref(),
                    mode: mode.unwrap_or(0o400),
                    owner,
                };
                super::run_secret::resolve(sh, &mut out, how, target)?
            }
            Mount::Cache {
                id,
                read_only,
                mode,
                uid,
                gid,
                ..
            } => {
                let id = id.clone().unwrap_or_else(|| target.clone());
                let dir = sh
                    .store
                    .buildcache_dir()
                    .join("mounts")
                    .join(cache::key(&[&id]));
                if !dir.exists() {
                    new_cache_dir(
                        &dir,
                        mode.unwrap_or(0o755),
                        (uid.unwrap_or(0), gid.unwrap_or(0)),
                    )?;
                }
                out.key.push(format!("cache:{id}:{target}"));
                out.mounts.push(RunMount::Bind {
                    source: dir,
                    target,
                    read_only: *read_only,
                });
            }
            Mount::Tmpfs { size_limit, .. } => {
                out.key.push(format!("tmpfs:{target}"));
                out.mounts.push(RunMount::Tmpfs {
                    target,
                    size: *size_limit,
                });
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
            Mount::Ssh {
                id,
                target,
                required,
                mode,
                uid,
                gid,
            } => {
                let how = SshMount {
                    id: id.as_deref(),
                    target: target.as_deref(),
                    required: *required,
                    // BuildKit's socket defaults: 0600, root.
                    mode: mode.unwrap_or(0o600),
                    owner: (uid.unwrap_or(0), gid.unwrap_or(0)),
                };
                super::run_ssh::resolve(sh, &mut out, ssh_index, how)?;
                ssh_index += 1;
            }
        }
    }
    Ok(out)
}

/// A new cache mount's directory: its mode and owner are the mount's
/// `mode`, `uid`, `gid` (BuildKit's defaults 0755 root), set once, when the
/// cache is created; later RUNs find what the first left.
fn new_cache_dir(dir: &Path, mode: u32, owner: (u32, u32)) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let parent = dir.parent().unwrap_or(dir);
    fs::create_dir_all(parent).map_err(io_at(parent))?;
    // Made under a temporary name and renamed, so a concurrent build never
    // sees it before its owner and mode are right.
    let tmp = tempfile::Builder::new()
        .prefix(".new-cache-")
        .tempdir_in(parent)
        .map_err(io_at(parent))?;
    let made = tmp.path();
    fs::set_permissions(made, fs::Permissions::from_mode(mode & 0o7777)).map_err(io_at(made))?;
    copy::set_owner(made, owner.0, owner.1).map_err(io_at(made))?;
    let made = tmp.keep();
    if let Err(e) = fs::rename(&made, dir) {
        let _ = fs::remove_dir(&made);
        if !dir.is_dir() {
            return Err(io_at(dir)(e));
        }
    }
    Ok(())
}

/// A bind of the context or of a stage's or image's subtree. Either is
/// a private copy (the context as .dockerignore filters it), so a `rw`
/// bind's writes are thrown away with it and never reach the context.
/// Keyed by what it exposes: the context's content digest, or the stage
/// and the subtree's digest.
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
            let (host, digest) = materialize(sh, out, &sh.ctx, &source, false, "type=bind")?;
            (host, "context".to_string(), digest)
        }
        Some(f) => {
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
            let view = LayerTree::new(&layers);
            let (host, digest) = materialize(sh, out, &view, &source, true, &format!("from={f}"))?;
            (host, key, digest)
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

/// Plan the copy of `source` of `src` into a temp dir that lives as long
/// as the RUN (made by [`ResolvedMounts::fill`]): returns the host path to
/// bind (the dir, or the file in it) and the digest of what it copies.
fn materialize(
    sh: &Shared,
    out: &mut ResolvedMounts,
    src: &dyn Tree,
    source: &str,
    keep_owner: bool,
    label: &str,
) -> Result<(PathBuf, String)> {
    let t = tempfile::Builder::new()
        .prefix("skiff-bind-")
        .tempdir_in(sh.store.tmp_dir())
        .map_err(io_at(sh.store.tmp_dir()))?;
    let dest = DirTree::new(t.path()).map_err(io_at(t.path()))?;
    let what = if source.is_empty() { "." } else { source };
    let mut req = CopyRequest::new(vec![what.to_string()], "/", src, &dest, "RUN --mount");
    req.keep_owner = keep_owner;
    let p = copy::plan(&req).map_err(|e| BuildError::Invalid(format!("--mount {label}: {e}")))?;
    let digest = p.digest.clone();
    out.pending.push((p, t.path().to_path_buf()));
    let is_dir = src
        .resolve(source, true)
        .ok()
        .and_then(|r| src.node(&r))
        .is_none_or(|n| n.md.is_dir());
    let host = match Path::new(source).file_name() {
        Some(name) if !is_dir => t.path().join(name),
        _ => t.path().to_path_buf(),
    };
    out.temps.push(t);
    Ok((host, digest))
}
