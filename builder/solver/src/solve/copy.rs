//! COPY and ADD: expand the flags, find the source tree (context, stage,
//! image, or a temp dir of heredoc files, downloads and git checkouts), plan
//! the copy (its digest goes into the cache key), then copy into a fresh
//! layer. ADD's sources are taken in order, each remote one apart, as
//! BuildKit makes one copy per source into the same layer.

use std::fs;

use skiff_frontend::instructions::{AddCommand, Chmod, CopyCommand, CopyFiles};
use skiff_frontend::EnvList;

use crate::add_source::{self, Remote};
use crate::copy::{self, CopyPlan, CopyRequest};
use crate::error::{io_at, BuildError, Result};
use crate::tree::{self, DirTree, LayerTree, Tree};

use super::add_remote::{self, Later};
use super::commit::layer_in_temp_dir;
use super::stage::{expand, expand_raw, one_line, Prepared, Produced, State};
use super::Shared;

/// COPY and ADD share everything but a few flags.
pub(super) struct CopyLike {
    verb: &'static str,
    files: CopyFiles,
    from: Option<String>,
    parents: bool,
    checksum: Option<String>,
    /// `--unpack`: ADD's default is to unpack local archives only.
    unpack: Option<bool>,
    keep_git_dir: Option<bool>,
}

impl CopyLike {
    pub(super) fn from_copy(c: &CopyCommand) -> Self {
        CopyLike {
            verb: "COPY",
            files: c.files.clone(),
            from: c.from.clone(),
            parents: c.parents,
            checksum: None,
            unpack: Some(false),
            keep_git_dir: None,
        }
    }

    pub(super) fn from_add(a: &AddCommand) -> Self {
        CopyLike {
            verb: "ADD",
            files: a.files.clone(),
            from: None,
            parents: false,
            checksum: a.checksum.clone(),
            unpack: a.unpack,
            keep_git_dir: a.keep_git_dir,
        }
    }
}

/// A source tree that owns what it needs (a stage's layers, a temp dir).
pub(super) enum SourceTree {
    Context,
    Layers(LayerTree),
    /// The temp dir lives as long as the tree that reads it.
    Temp(#[allow(dead_code)] tempfile::TempDir, DirTree),
}

impl SourceTree {
    fn tree<'a>(&'a self, ctx: &'a dyn Tree) -> &'a dyn Tree {
        match self {
            SourceTree::Context => ctx,
            SourceTree::Layers(l) => l,
            SourceTree::Temp(_, d) => d,
        }
    }
}

/// What every part of one COPY/ADD shares.
struct Common {
    dest: String,
    workdir: String,
    chown: Option<(u32, u32)>,
    chmod: Option<Chmod>,
    parents: bool,
    link: bool,
    excludes: Vec<String>,
    verb: &'static str,
}

impl Common {
    fn request<'a>(
        &self,
        sources: Vec<String>,
        src: &'a dyn Tree,
        image: &'a dyn Tree,
        keep_owner: bool,
        unpack: bool,
    ) -> CopyRequest<'a> {
        CopyRequest {
            sources,
            dest: self.dest.clone(),
            workdir: self.workdir.clone(),
            src,
            image,
            chown: self.chown,
            chmod: self.chmod.clone(),
            keep_owner,
            parents: self.parents,
            link: self.link,
            excludes: self.excludes.clone(),
            unpack_archives: unpack,
            verb: self.verb,
        }
    }
}

impl Common {
    /// The plan of a remote part: `name` in its own tree, owned by root
    /// (BuildKit's http and git sources make root's files).
    fn plan_remote(
        &self,
        ctx: &dyn Tree,
        tree: &SourceTree,
        name: String,
        image: &dyn Tree,
        unpack: bool,
    ) -> Result<CopyPlan> {
        let req = self.request(vec![name], tree.tree(ctx), image, false, unpack);
        copy::plan(&req).map_err(|e| BuildError::Invalid(format!("{e}")))
    }
}

/// One part of the copy: planned now, or fetched and planned when the step
/// runs (a git commit or a checksum-pinned download: its key is known
/// without the content, so a cached build needs no network, as BuildKit).
enum Part {
    Now(SourceTree, CopyPlan),
    Later(Later),
}

pub(super) fn prepare(
    sh: &Shared,
    st: &State,
    env: &EnvList,
    c: CopyLike,
    source: &str,
) -> Result<Prepared> {
    let mut sources = Vec::new();
    for s in &c.files.sources {
        sources.push(expand(sh, s, env)?);
    }
    let dest = expand(sh, &c.files.dest, env)?;
    let chown = c
        .files
        .chown
        .as_ref()
        .map(|s| expand(sh, s, env))
        .transpose()?;
    let chmod = match &c.files.chmod {
        Some(s) => Some(Chmod::parse(&expand(sh, s, env)?).map_err(BuildError::Invalid)?),
        None => None,
    };
    let mut excludes = Vec::new();
    for e in &c.files.excludes {
        excludes.push(expand(sh, e, env)?);
    }
    let from = c.from.as_ref().map(|f| expand(sh, f, env)).transpose()?;
    let checksum = c
        .checksum
        .as_ref()
        .map(|s| expand(sh, s, env))
        .transpose()?;

    // Where local sources come from.
    let mut from_key = String::from("context");
    let mut keep_owner = false;
    let mut local_tree = SourceTree::Context;
    if let Some(f) = &from {
        keep_owner = true;
        if let Some(j) = sh.stage_by_ref(f) {
            let o = sh.wait_stage(j)?;
            from_key = format!("stage:{}", o.key);
            local_tree = SourceTree::Layers(LayerTree::new(&o.snapshots));
        } else if let Some(b) = sh.bases.get(f) {
            from_key = format!("image:{}", b.id);
            local_tree = SourceTree::Layers(LayerTree::new(&b.snapshots));
        } else {
            return Err(BuildError::Invalid(format!(
                "--from={f}: no such stage or image"
            )));
        }
    }
    // ADD tells git references and URLs from paths; COPY takes paths only.
    let mut classified = Vec::new();
    for s in &sources {
        if c.verb == "ADD" && from.is_none() {
            classified.push(add_source::classify(s).map_err(BuildError::Invalid)?);
        } else {
            classified.push(Remote::Local(s.clone()));
        }
    }
    let remotes = classified
        .iter()
        .filter(|r| !matches!(r, Remote::Local(_)))
        .count();
    if checksum.is_some() {
        if sources.len() != 1 {
            return Err(BuildError::Invalid(
                "checksum can't be specified for multiple sources".into(),
            ));
        }
        if remotes == 0 {
            return Err(BuildError::Invalid(
                "checksum requires HTTP(S) or Git sources".into(),
            ));
        }
    }
    if remotes > 0 && sources.len() + c.files.contents.len() > 1 && !dest.ends_with('/') {
        return Err(BuildError::Invalid(format!(
            "When using {} with more than one source file, the destination must be a directory and end with a /",
            c.verb
        )));
    }

    let image = LayerTree::new(&st.snapshots);
    let owner = match &chown {
        Some(spec) => Some(copy::chown::resolve(spec, &image).map_err(BuildError::Invalid)?),
        None => None,
    };
    // --link: the layer does not depend on what is below it. Parents it
    // creates are new (0755, or the --chown owner) even where the image has
    // them, and it replaces what it lands on.
    let image = if c.files.link {
        LayerTree::default()
    } else {
        image
    };
    let common = Common {
        dest: dest.clone(),
        workdir: st.config.workdir(),
        chown: owner,
        chmod: chmod.clone(),
        parents: c.parents,
        link: c.files.link,
        excludes,
        verb: c.verb,
    };
    let plan_err = |e: std::io::Error| BuildError::Invalid(format!("{e}"));
    let unpack_local = c.unpack.unwrap_or(c.verb == "ADD") && from.is_none();
    let unpack_remote = c.unpack.unwrap_or(false);

    let mut parts: Vec<Part> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    // Consecutive local sources are one copy from the local tree.
    let mut locals: Vec<String> = Vec::new();
    let mut local_tree = Some(local_tree);
    let mut flush_locals =
        |locals: &mut Vec<String>, parts: &mut Vec<Part>, keys: &mut Vec<String>| -> Result<()> {
            if locals.is_empty() {
                return Ok(());
            }
            // A second run of local sources (after a remote one) reads the
            // context again: with --from every source is local, one run.
            let tree = local_tree.take().unwrap_or(SourceTree::Context);
            let req = common.request(
                std::mem::take(locals),
                tree.tree(&sh.ctx),
                &image,
                keep_owner,
                unpack_local,
            );
            let plan = copy::plan(&req).map_err(plan_err)?;
            keys.push(format!(
                "from={from_key} src={:?} digest={}",
                req.sources, plan.digest
            ));
            parts.push(Part::Now(tree, plan));
            Ok(())
        };
    for r in classified {
        match r {
            Remote::Local(p) => locals.push(p),
            remote => {
                flush_locals(&mut locals, &mut parts, &mut keys)?;
                match add_remote::prepare(sh, remote, checksum.as_deref(), c.keep_git_dir)? {
                    add_remote::Prepared::Now { key, tree, name } => {
                        let plan =
                            common.plan_remote(&sh.ctx, &tree, name, &image, unpack_remote)?;
                        keys.push(format!("{key} digest={}", plan.digest));
                        parts.push(Part::Now(tree, plan));
                    }
                    add_remote::Prepared::Later(later) => {
                        keys.push(later.key.clone());
                        parts.push(Part::Later(later));
                    }
                }
            }
        }
    }
    flush_locals(&mut locals, &mut parts, &mut keys)?;

    if !c.files.contents.is_empty() {
        // Heredoc files are materialised in a temp dir.
        let t = tempfile::Builder::new()
            .prefix("skiff-copy-")
            .tempdir_in(sh.store.tmp_dir())
            .map_err(io_at(sh.store.tmp_dir()))?;
        let mut names = Vec::new();
        for content in &c.files.contents {
            let data = if content.expand {
                expand_raw(sh, &content.data, env)?
            } else {
                content.data.clone()
            };
            let name = tree::clean(&content.path);
            let p = t.path().join(&name);
            fs::write(&p, data).map_err(io_at(&p))?;
            copy::set_times(&p, 0, 0).map_err(io_at(&p))?;
            names.push(name);
        }
        let dt = DirTree::new(t.path()).map_err(io_at(t.path()))?;
        let tree = SourceTree::Temp(t, dt);
        let req = common.request(names, tree.tree(&sh.ctx), &image, false, false);
        let plan = copy::plan(&req).map_err(plan_err)?;
        keys.push(format!(
            "inline src={:?} digest={}",
            req.sources, plan.digest
        ));
        parts.push(Part::Now(tree, plan));
    }

    let material = format!(
        "{} dest={dest} owner={owner:?} chmod={chmod:?} parents={} link={} parts={}",
        c.verb,
        c.parents,
        c.files.link,
        keys.join(" | ")
    );
    let by = format!("{} # buildkit", one_line(source));
    Ok(Prepared {
        material,
        work: Box::new(move |sh, st, _| {
            let layer = layer_in_temp_dir(sh, st, "build-copy", |upper| {
                for part in parts {
                    match part {
                        Part::Now(_tree, plan) => {
                            copy::execute(&plan, &image, upper).map_err(io_at(upper))?;
                        }
                        Part::Later(later) => {
                            let (tree, name) = later.fetch(sh)?;
                            let plan =
                                common.plan_remote(&sh.ctx, &tree, name, &image, unpack_remote)?;
                            copy::execute(&plan, &image, upper).map_err(io_at(upper))?;
                        }
                    }
                }
                Ok(())
            })?;
            Ok(Produced::step(sh, st.config.clone(), &by, layer))
        }),
        after: Box::new(|_| {}),
    })
}
