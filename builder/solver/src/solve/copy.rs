//! COPY and ADD: expand the flags, find the source tree (context, stage,
//! image, or a temp dir of heredoc files and downloads), plan the copy (its
//! digest goes into the cache key), then copy into a fresh layer.

use std::fs;

use skiff_frontend::instructions::{AddCommand, Chmod, CopyCommand};
use skiff_frontend::EnvList;

use crate::copy::{self, CopyRequest};
use crate::error::{io_at, BuildError, Result};
use crate::tree::{self, DirTree, LayerTree, Tree};

use super::commit::layer_in_temp_dir;
use super::stage::{expand, expand_raw, one_line, Prepared, Produced, State};
use super::Shared;

/// COPY and ADD share everything but a few flags.
pub(super) struct CopyLike {
    verb: &'static str,
    sources: Vec<String>,
    contents: Vec<(String, String, bool)>,
    dest: String,
    from: Option<String>,
    chown: Option<String>,
    chmod: Option<String>,
    parents: bool,
    excludes: Vec<String>,
    checksum: Option<String>,
    unpack: bool,
    /// `--link`: the layer is made on its own, as if on an empty image.
    link: bool,
}

impl CopyLike {
    pub(super) fn from_copy(c: &CopyCommand) -> Self {
        CopyLike {
            verb: "COPY",
            sources: c.sources.clone(),
            contents: c
                .contents
                .iter()
                .map(|s| (s.path.clone(), s.data.clone(), s.expand))
                .collect(),
            dest: c.dest.clone(),
            from: c.from.clone(),
            chown: c.chown.clone(),
            chmod: c.chmod.clone(),
            parents: c.parents,
            excludes: c.excludes.clone(),
            checksum: None,
            unpack: false,
            link: c.link,
        }
    }

    pub(super) fn from_add(a: &AddCommand) -> Self {
        CopyLike {
            verb: "ADD",
            sources: a.sources.clone(),
            contents: a
                .contents
                .iter()
                .map(|s| (s.path.clone(), s.data.clone(), s.expand))
                .collect(),
            dest: a.dest.clone(),
            from: None,
            chown: a.chown.clone(),
            chmod: a.chmod.clone(),
            parents: false,
            excludes: a.excludes.clone(),
            checksum: a.checksum.clone(),
            unpack: a.unpack.unwrap_or(true),
            link: a.link,
        }
    }
}

/// A source tree that owns what it needs (a stage's layers, a temp dir).
enum SourceTree {
    Context,
    Layers(LayerTree),
    /// The temp dir lives as long as the tree that reads it.
    Temp(#[allow(dead_code)] tempfile::TempDir, DirTree),
}

pub(super) fn prepare(
    sh: &Shared,
    st: &State,
    env: &EnvList,
    c: CopyLike,
    source: &str,
) -> Result<Prepared> {
    let mut sources = Vec::new();
    for s in &c.sources {
        sources.push(expand(sh, s, env)?);
    }
    let dest = expand(sh, &c.dest, env)?;
    let chown = c.chown.as_ref().map(|s| expand(sh, s, env)).transpose()?;
    let chmod = match &c.chmod {
        Some(s) => Some(Chmod::parse(&expand(sh, s, env)?).map_err(BuildError::Invalid)?),
        None => None,
    };
    let mut excludes = Vec::new();
    for e in &c.excludes {
        excludes.push(expand(sh, e, env)?);
    }
    let from = c.from.as_ref().map(|f| expand(sh, f, env)).transpose()?;
    let checksum = c
        .checksum
        .as_ref()
        .map(|s| expand(sh, s, env))
        .transpose()?;

    // Where sources come from.
    let mut from_key = String::from("context");
    let mut keep_owner = false;
    let mut tree_src = SourceTree::Context;
    if let Some(f) = &from {
        keep_owner = true;
        if let Some(j) = sh.stage_by_ref(f) {
            let o = sh.wait_stage(j)?;
            from_key = format!("stage:{}", o.key);
            tree_src = SourceTree::Layers(LayerTree::new(&o.snapshots));
        } else if let Some(b) = sh.bases.get(f) {
            from_key = format!("image:{}", b.id);
            tree_src = SourceTree::Layers(LayerTree::new(&b.snapshots));
        } else {
            return Err(BuildError::Invalid(format!(
                "--from={f}: no such stage or image"
            )));
        }
    }
    let urls: Vec<String> = sources
        .iter()
        .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
        .cloned()
        .collect();
    if !c.contents.is_empty() || !urls.is_empty() {
        // Heredoc files and downloads are materialised in a temp dir.
        let t = tempfile::Builder::new()
            .prefix("skiff-copy-")
            .tempdir_in(sh.store.tmp_dir())
            .map_err(io_at(sh.store.tmp_dir()))?;
        let mut names = Vec::new();
        for (path, data, exp) in &c.contents {
            let data = if *exp {
                expand_raw(sh, data, env)?
            } else {
                data.clone()
            };
            let name = tree::clean(path);
            let p = t.path().join(&name);
            fs::write(&p, data).map_err(io_at(&p))?;
            copy::set_times(&p, 0, 0).map_err(io_at(&p))?;
            names.push(name);
        }
        for u in &urls {
            let name = crate::fetch::download(u, t.path(), checksum.as_deref())
                .map_err(|e| BuildError::Invalid(format!("{u}: {e}")))?;
            names.push(name);
        }
        if sources.len() != urls.len() && c.contents.is_empty() {
            return Err(BuildError::Unsupported(
                "ADD mixing URLs and local sources is not supported yet".into(),
            ));
        }
        sources = names;
        let dt = DirTree::new(t.path()).map_err(io_at(t.path()))?;
        tree_src = SourceTree::Temp(t, dt);
        from_key = "inline".into();
    } else if checksum.is_some() {
        return Err(BuildError::Invalid(
            "ADD --checksum applies to URL sources only".into(),
        ));
    }

    let image = LayerTree::new(&st.snapshots);
    let owner = match &chown {
        Some(spec) => Some(copy::chown::resolve(spec, &image).map_err(BuildError::Invalid)?),
        None => None,
    };
    // --link: the layer does not depend on what is below it. Parents it
    // creates are new (0755, or the --chown owner) even where the image has
    // them, and it replaces what it lands on.
    let image = if c.link { LayerTree::default() } else { image };
    let src_tree: &dyn Tree = match &tree_src {
        SourceTree::Context => &sh.ctx,
        SourceTree::Layers(l) => l,
        SourceTree::Temp(_, d) => d,
    };
    let req = CopyRequest {
        sources: sources.clone(),
        dest: dest.clone(),
        workdir: st.config.workdir(),
        src: src_tree,
        image: &image,
        chown: owner,
        chmod: chmod.clone(),
        keep_owner,
        parents: c.parents,
        link: c.link,
        excludes,
        unpack_archives: c.unpack && from.is_none() && urls.is_empty(),
        verb: c.verb,
    };
    let plan = copy::plan(&req).map_err(|e| BuildError::Invalid(format!("{e}")))?;
    let material = format!(
        "{} from={from_key} src={sources:?} dest={dest} owner={owner:?} chmod={chmod:?} parents={} link={} digest={}",
        c.verb, c.parents, c.link, plan.digest
    );
    let by = format!("{} # buildkit", one_line(source));
    Ok(Prepared {
        material,
        work: Box::new(move |sh, st, _| {
            let _keep = tree_src;
            let layer = layer_in_temp_dir(sh, st, "build-copy", |upper| {
                copy::execute(&plan, &image, upper).map_err(io_at(upper))
            })?;
            Ok(Produced::step(sh, st.config.clone(), &by, layer))
        }),
        after: Box::new(|_| {}),
    })
}
