//! Running one stage, step by step: cache lookup by chained key, else the
//! step's work (metadata into the config, COPY/ADD/WORKDIR/RUN into a new
//! layer), then a cache record.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{json, Value};
use skiff_frontend::instructions::{
    AddCommand, Chmod, Command, CommandLine, CopyCommand, Healthcheck, Instruction, MountType,
    RunCommand,
};
use skiff_frontend::{Base, EnvGetter, EnvList, ShellLex};
use skiff_store::{Digest, LayerInfo};

use crate::cache::{self, LayerRecord, Record};
use crate::copy::{self, CopyRequest};
use crate::error::{io_at, BuildError, Result};
use crate::imageconfig::ImageConfig;
use crate::layer::{tarball, Compression, LayerEncoder, TarOptions};
use crate::progress::Event;
use crate::run::{RunMount, RunRequest};
use crate::tree::{self, DirTree, LayerTree, Tree};

use super::{Shared, StageOut};

/// A stage being built.
struct State {
    config: ImageConfig,
    layers: Vec<LayerInfo>,
    snapshots: Vec<PathBuf>,
    chain: Option<Digest>,
    key: String,
    /// ARG values in scope.
    args: EnvList,
    base_layers: usize,
    /// A CMD was set in this stage (then ENTRYPOINT keeps it, as BuildKit).
    cmd_set: bool,
    /// Not the target stage: its layers are never exported, so they are
    /// compressed at the fastest level.
    intermediate: bool,
}

/// Result of executing a step (not from cache).
struct Produced {
    config: ImageConfig,
    layer: Option<LayerInfo>,
}

const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn one_line(s: &str) -> String {
    let s = s.replace("\\\n", " ").replace('\n', " ");
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn now(sh: &Shared) -> String {
    match sh.opts.source_date_epoch {
        Some(e) => chrono::DateTime::from_timestamp(e, 0)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        None => chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
    }
}

pub(crate) fn run_stage(sh: &Shared, i: usize) -> Result<StageOut> {
    let stage = &sh.plan.stages[i];
    let sname = stage.name.clone().unwrap_or_else(|| format!("stage-{i}"));
    let total = stage.instructions.len() + 1;
    let platform = stage
        .platform
        .as_ref()
        .unwrap_or(&sh.plan.target_platform)
        .clone();

    // FROM
    let id = sh.step_id();
    let t0 = Instant::now();
    let from_title = match &stage.base {
        Base::Image(n) => n.clone(),
        Base::Stage(j) => sh.plan.stages[*j].display_name(),
        Base::Scratch => "scratch".into(),
    };
    sh.progress.event(Event::Start {
        id,
        title: format!("[{sname} 1/{total}] FROM {from_title}"),
    });
    // Layers made under SOURCE_DATE_EPOCH differ (clamped mtimes): never
    // mix them with layers made without it.
    let epoch = format!("{:?}", sh.opts.source_date_epoch);
    let mut st = match &stage.base {
        Base::Image(name) => {
            let b = sh.bases.get(name).ok_or_else(|| {
                BuildError::Invalid(format!("base image {name} was not resolved"))
            })?;
            let chains = chain_ids(&b.layers);
            State {
                config: b.config.clone(),
                layers: b.layers.clone(),
                snapshots: b.snapshots.clone(),
                chain: chains.last().cloned(),
                key: cache::key(&[cache::FORMAT, &epoch, "from", &b.id, &platform.to_string()]),
                args: EnvList::new(),
                base_layers: b.layers.len(),
                cmd_set: false,
                intermediate: i != sh.plan.target,
            }
        }
        Base::Stage(j) => {
            let o = sh.wait_stage(*j)?;
            let chains = chain_ids(&o.layers);
            State {
                config: o.config.clone(),
                layers: o.layers.clone(),
                snapshots: o.snapshots.clone(),
                chain: chains.last().cloned(),
                key: cache::key(&[cache::FORMAT, "from-stage", &o.key]),
                args: EnvList::new(),
                base_layers: o.layers.len(),
                cmd_set: false,
                intermediate: i != sh.plan.target,
            }
        }
        Base::Scratch => State {
            config: ImageConfig::scratch(
                &platform.os,
                &platform.architecture,
                platform.variant.as_deref(),
            ),
            layers: Vec::new(),
            snapshots: Vec::new(),
            chain: None,
            key: cache::key(&[cache::FORMAT, &epoch, "scratch", &platform.to_string()]),
            args: EnvList::new(),
            base_layers: 0,
            cmd_set: false,
            intermediate: i != sh.plan.target,
        },
    };
    if !st.config.env().iter().any(|(k, _)| k == "PATH") {
        // BuildKit gives images without a PATH the default one.
        st.config.set_env("PATH", DEFAULT_PATH);
    }
    sh.progress.event(Event::Done {
        id,
        secs: t0.elapsed().as_secs_f64(),
    });

    // ONBUILD triggers of the base run first, and are not inherited.
    let mut steps: Vec<Instruction> = Vec::new();
    if let Some(triggers) = st.config.get("OnBuild").and_then(Value::as_array).cloned() {
        for t in triggers.iter().filter_map(Value::as_str) {
            let ast = skiff_frontend::parse(t.as_bytes())
                .map_err(|e| BuildError::Dockerfile(format!("ONBUILD {t}: {}", e.message)))?;
            for node in &ast.children {
                match skiff_frontend::instructions::parse_node(node) {
                    Ok(skiff_frontend::instructions::Parsed::Command(mut ins)) => {
                        ins.lines = stage.lines;
                        steps.push(ins);
                    }
                    _ => {
                        return Err(BuildError::Dockerfile(format!(
                            "{}:{}: invalid ONBUILD trigger {t:?}",
                            sh.dockerfile_name(),
                            stage.lines.start
                        )))
                    }
                }
            }
        }
        st.config.set("OnBuild", Value::Null);
    }
    steps.extend(stage.instructions.iter().cloned());
    let total = steps.len() + 1;

    let use_cache = sh.cache_allowed(i);
    for (k, ins) in steps.iter().enumerate() {
        let id = sh.step_id();
        let t0 = Instant::now();
        sh.progress.event(Event::Start {
            id,
            title: format!("[{sname} {}/{total}] {}", k + 2, one_line(&ins.source)),
        });
        match run_step(sh, &mut st, ins, id, use_cache) {
            Ok(cached) => {
                if cached {
                    sh.progress.event(Event::Cached { id });
                }
                sh.progress.event(Event::Done {
                    id,
                    secs: t0.elapsed().as_secs_f64(),
                });
            }
            Err(e) => {
                let message = match &e {
                    BuildError::Step { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                sh.progress.event(Event::Error {
                    id,
                    message: message.clone(),
                });
                return Err(match e {
                    BuildError::Step {
                        message,
                        exit_code,
                        output_tail,
                        ..
                    } => BuildError::Step {
                        file: sh.dockerfile_name().to_string(),
                        line: ins.lines.start,
                        instruction: one_line(&ins.source),
                        message,
                        exit_code,
                        output_tail,
                    },
                    _ => BuildError::Step {
                        file: sh.dockerfile_name().to_string(),
                        line: ins.lines.start,
                        instruction: one_line(&ins.source),
                        message,
                        exit_code: None,
                        output_tail: Vec::new(),
                    },
                });
            }
        }
    }
    Ok(StageOut {
        config: st.config,
        layers: st.layers,
        snapshots: st.snapshots,
        key: st.key,
        base_layers: st.base_layers,
    })
}

fn chain_ids(layers: &[LayerInfo]) -> Vec<Digest> {
    let diffs: Vec<Digest> = layers.iter().map(|l| l.diff_id.clone()).collect();
    skiff_store::chain_ids(&diffs)
}

/// The environment words expand against: ENV wins over ARG.
fn expand_env(st: &State) -> EnvList {
    let mut env = EnvList::new();
    for (k, v) in st.args.entries() {
        env.set(k, v);
    }
    for (k, v) in st.config.env() {
        env.set(&k, &v);
    }
    env
}

fn lex(sh: &Shared) -> ShellLex {
    ShellLex::new(sh.plan.escape)
}

fn expand(sh: &Shared, word: &str, env: &dyn EnvGetter) -> Result<String> {
    lex(sh)
        .process_word(word, env)
        .map_err(|e| BuildError::Invalid(e.message))
}

/// Apply a cache record or do the work; returns whether it was cached.
fn run_step(
    sh: &Shared,
    st: &mut State,
    ins: &Instruction,
    id: usize,
    use_cache: bool,
) -> Result<bool> {
    let env = expand_env(st);
    let prepared = prepare(sh, st, ins, &env)?;
    let key = cache::key(&[&st.key, &prepared.material]);
    if use_cache {
        if let Some(rec) = sh.cache.get(&key) {
            apply_record(sh, st, &rec)?;
            st.key = key;
            (prepared.after)(st);
            return Ok(true);
        }
    }
    let _lock = sh.cache.lock(&key)?;
    if use_cache {
        // Another build may have done it while we waited for the lock.
        if let Some(rec) = sh.cache.get(&key) {
            apply_record(sh, st, &rec)?;
            st.key = key;
            (prepared.after)(st);
            return Ok(true);
        }
    }
    let produced = (prepared.work)(sh, st, id)?;
    let rec = Record {
        layer: produced.layer.as_ref().map(LayerRecord::from_info),
        config: produced.config.0.clone(),
    };
    apply_record(sh, st, &rec)?;
    sh.cache.put(&key, &rec)?;
    st.key = key;
    (prepared.after)(st);
    Ok(false)
}

fn apply_record(sh: &Shared, st: &mut State, rec: &Record) -> Result<()> {
    st.config = ImageConfig(rec.config.clone());
    if let Some(l) = &rec.layer {
        let info = l.to_info()?;
        let chain = skiff_store::chain_id(st.chain.as_ref(), &info.diff_id);
        let snap = sh.store.unpack_layer_blob(
            &chain,
            &info.diff_id,
            &info.digest,
            Some(&info.media_type),
        )?;
        st.layers.push(info);
        st.snapshots.push(snap);
        st.chain = Some(chain);
    }
    Ok(())
}

type Work = Box<dyn FnOnce(&Shared, &State, usize) -> Result<Produced>>;

struct Prepared {
    /// What decides the step's result besides its parent: into the key.
    material: String,
    work: Work,
    /// State changes that are not in the config (ARG values).
    after: Box<dyn FnOnce(&mut State)>,
}

fn meta(
    material: String,
    created_by: String,
    f: impl FnOnce(&mut ImageConfig) + 'static,
) -> Prepared {
    Prepared {
        material,
        work: Box::new(move |sh, st, _| {
            let mut c = st.config.clone();
            f(&mut c);
            c.push_history(&now(sh), &created_by, true);
            Ok(Produced {
                config: c,
                layer: None,
            })
        }),
        after: Box::new(|_| {}),
    }
}

fn cmdline(st: &State, c: &CommandLine) -> Vec<String> {
    if c.prepend_shell {
        let mut v = st.config.shell();
        v.push(c.args.join(" "));
        v
    } else {
        c.args.clone()
    }
}

fn nanos(d: std::time::Duration) -> Value {
    json!(d.as_nanos() as u64)
}

fn prepare(sh: &Shared, st: &State, ins: &Instruction, env: &EnvList) -> Result<Prepared> {
    let src = one_line(&ins.source);
    Ok(match &ins.command {
        Command::Env(kvs) => {
            let mut pairs = Vec::new();
            let mut scratch = env.clone();
            for kv in kvs {
                let k = expand(sh, &kv.key, &scratch)?;
                let v = expand(sh, &kv.value, &scratch)?;
                scratch.set(&k, &v);
                pairs.push((k, v));
            }
            let by = format!(
                "ENV {}",
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            meta(by.clone(), by, move |c| {
                for (k, v) in &pairs {
                    c.set_env(k, v);
                }
            })
        }
        Command::Label(kvs) => {
            let mut pairs = Vec::new();
            for kv in kvs {
                pairs.push((expand(sh, &kv.key, env)?, expand(sh, &kv.value, env)?));
            }
            let by = format!(
                "LABEL {}",
                pairs
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            meta(by.clone(), by, move |c| {
                for (k, v) in &pairs {
                    c.insert_map("Labels", k, json!(v));
                }
            })
        }
        Command::Maintainer(m) => {
            let m = m.clone();
            meta(
                format!("MAINTAINER {m}"),
                format!("MAINTAINER {m}"),
                move |c| {
                    c.0["author"] = json!(m);
                },
            )
        }
        Command::User(u) => {
            let u = expand(sh, u, env)?;
            meta(format!("USER {u}"), format!("USER {u}"), move |c| {
                c.set("User", json!(u))
            })
        }
        Command::StopSignal(s) => {
            let s = expand(sh, s, env)?;
            meta(
                format!("STOPSIGNAL {s}"),
                format!("STOPSIGNAL {s}"),
                move |c| c.set("StopSignal", json!(s)),
            )
        }
        Command::Expose(ports) => {
            let mut list = Vec::new();
            for p in ports {
                for w in lex(sh)
                    .process_words(p, env)
                    .map_err(|e| BuildError::Invalid(e.message))?
                {
                    let w = if w.contains('/') {
                        w.to_lowercase()
                    } else {
                        format!("{w}/tcp")
                    };
                    list.push(w);
                }
            }
            let by = format!(
                "EXPOSE map[{}]",
                list.iter()
                    .map(|p| format!("{p}:{{}}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
            meta(by.clone(), by, move |c| {
                for p in &list {
                    c.insert_map("ExposedPorts", p, json!({}));
                }
            })
        }
        Command::Volume(vols) => {
            let mut list = Vec::new();
            for v in vols {
                list.push(expand(sh, v, env)?);
            }
            let by = format!("VOLUME {list:?}");
            meta(by.clone(), by, move |c| {
                for v in &list {
                    c.insert_map("Volumes", v, json!({}));
                }
            })
        }
        Command::Cmd(cl) => {
            let v = cmdline(st, cl);
            let by = format!("CMD {}", serde_json::to_string(&v).unwrap_or_default());
            let mut p = meta(by.clone(), by, move |c| c.set("Cmd", json!(v)));
            p.after = Box::new(|st| st.cmd_set = true);
            p
        }
        Command::Entrypoint(cl) => {
            let v = cmdline(st, cl);
            let by = format!(
                "ENTRYPOINT {}",
                serde_json::to_string(&v).unwrap_or_default()
            );
            let reset = !st.cmd_set;
            meta(format!("{by} reset={reset}"), by, move |c| {
                c.set("Entrypoint", json!(v));
                // An ENTRYPOINT resets the CMD inherited from the base, not
                // one set earlier in this stage.
                if reset {
                    c.set("Cmd", Value::Null);
                }
            })
        }
        Command::Shell(v) => {
            let v = v.clone();
            let by = format!("SHELL {}", serde_json::to_string(&v).unwrap_or_default());
            meta(by.clone(), by, move |c| c.set("Shell", json!(v)))
        }
        Command::Onbuild(t) => {
            let t = t.clone();
            let by = format!("ONBUILD {t}");
            meta(by.clone(), by, move |c| c.push_list("OnBuild", json!(t)))
        }
        Command::Healthcheck(h) => {
            let v = match h {
                Healthcheck::None => json!({"Test": ["NONE"]}),
                Healthcheck::Check {
                    test,
                    interval,
                    timeout,
                    start_period,
                    start_interval,
                    retries,
                } => {
                    let mut o = json!({ "Test": test });
                    for (k, d) in [
                        ("Interval", interval),
                        ("Timeout", timeout),
                        ("StartPeriod", start_period),
                        ("StartInterval", start_interval),
                    ] {
                        if !d.is_zero() {
                            o[k] = nanos(*d);
                        }
                    }
                    if *retries != 0 {
                        o["Retries"] = json!(retries);
                    }
                    o
                }
            };
            let by = format!("HEALTHCHECK {v}");
            meta(by.clone(), by, move |c| c.set("Healthcheck", v))
        }
        Command::Arg(decls) => {
            let mut vals: Vec<(String, Option<String>)> = Vec::new();
            let mut scratch = env.clone();
            for d in decls {
                let v = sh
                    .plan
                    .resolve_arg(d, &scratch)
                    .map_err(|e| BuildError::Invalid(e.message))?;
                if let Some(v) = &v {
                    scratch.set(&d.key, v);
                }
                vals.push((d.key.clone(), v));
            }
            let material = format!("ARG {vals:?}");
            Prepared {
                material,
                work: Box::new(|_, st, _| {
                    Ok(Produced {
                        config: st.config.clone(),
                        layer: None,
                    })
                }),
                after: Box::new(move |st| {
                    for (k, v) in vals {
                        st.args.set(&k, v.as_deref().unwrap_or(""));
                    }
                }),
            }
        }
        Command::Workdir(w) => {
            let w = expand(sh, w, env)?;
            let full = if w.starts_with('/') {
                tree::clean(&w)
            } else {
                tree::join(&tree::clean(&st.config.workdir()), &tree::clean(&w))
            };
            let abs = format!("/{full}");
            let by = format!("WORKDIR {abs}");
            Prepared {
                material: by.clone(),
                work: Box::new(move |sh, st, _| {
                    let mut c = st.config.clone();
                    c.set("WorkingDir", json!(abs));
                    let view = LayerTree::new(&st.snapshots);
                    let exists = tree::resolve(&view, &full, true)
                        .ok()
                        .and_then(|r| view.node(&r))
                        .is_some_and(|n| n.md.is_dir());
                    let mut layer = None;
                    if !exists && !full.is_empty() {
                        let upper = sh.store.create_temp_dir("build-workdir")?;
                        let r = (|| -> Result<Option<LayerInfo>> {
                            mkdir_like_image(&view, &upper, &full).map_err(io_at(&upper))?;
                            commit_layer(sh, &upper, layer_compression(sh, st))
                        })();
                        let _ = fs::remove_dir_all(&upper);
                        layer = r?;
                    }
                    c.push_history(&now(sh), &by, layer.is_none());
                    if let Some(l) = &layer {
                        c.push_diff_id(l.diff_id.as_ref());
                    }
                    Ok(Produced { config: c, layer })
                }),
                after: Box::new(|_| {}),
            }
        }
        Command::Copy(c) => prepare_copy(sh, st, env, CopyLike::from_copy(c), src)?,
        Command::Add(a) => prepare_copy(sh, st, env, CopyLike::from_add(a), src)?,
        Command::Run(r) => prepare_run(sh, st, env, r, src)?,
    })
}

/// Create `rel` (and missing parents) in `upper`; parents that exist in
/// the image keep its metadata so the layer changes nothing else.
fn mkdir_like_image(view: &dyn Tree, upper: &Path, rel: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let mut cur = String::new();
    let mut times = Vec::new();
    for comp in rel.split('/').filter(|c| !c.is_empty()) {
        cur = tree::join(&cur, comp);
        let target = upper.join(&cur);
        fs::create_dir(&target)?;
        if let Some(n) = view.node(&cur).filter(|n| n.md.is_dir()) {
            fs::set_permissions(&target, fs::Permissions::from_mode(n.md.mode() & 0o7777))?;
            let _ = std::os::unix::fs::lchown(&target, Some(n.md.uid()), Some(n.md.gid()));
            times.push((target, n.md.mtime(), n.md.mtime_nsec()));
        } else {
            fs::set_permissions(&target, fs::Permissions::from_mode(0o755))?;
        }
    }
    for (t, s, ns) in times.into_iter().rev() {
        copy::set_times(&t, s, ns)?;
    }
    Ok(())
}

/// Tar `upper` into a layer blob in the store; None when it is empty.
/// What a step's layer is compressed with.
fn layer_compression(sh: &Shared, st: &State) -> Compression {
    match sh.compression {
        Compression::Gzip(_) if st.intermediate => Compression::Gzip(1),
        c => c,
    }
}

pub(crate) fn commit_layer(
    sh: &Shared,
    upper: &Path,
    compression: Compression,
) -> Result<Option<LayerInfo>> {
    if tarball::dir_is_empty(upper)? {
        return Ok(None);
    }
    let bw = sh.store.blob_writer(None)?;
    let tmp_path = bw.temp_path().to_path_buf();
    let enc = LayerEncoder::new(bw, compression).map_err(io_at(&tmp_path))?;
    let opts = TarOptions {
        source_date_epoch: sh.opts.source_date_epoch,
        overlay_whiteouts: true,
    };
    let (enc, _) = tarball::write_dir_tar(upper, enc, &opts)?;
    let (bw, encoded) = enc.finish().map_err(io_at(&tmp_path))?;
    let info = bw.commit()?;
    Ok(Some(LayerInfo {
        digest: info.digest,
        size: info.size,
        diff_id: skiff_store::parse_digest(&encoded.diff_id)?,
        media_type: compression.oci_media_type().to_string(),
        uncompressed_size: encoded.uncompressed_size,
    }))
}

/// COPY and ADD share everything but a few flags.
struct CopyLike {
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
}

impl CopyLike {
    fn from_copy(c: &CopyCommand) -> Self {
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
        }
    }

    fn from_add(a: &AddCommand) -> Self {
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

fn prepare_copy(
    sh: &Shared,
    st: &State,
    env: &EnvList,
    c: CopyLike,
    src: String,
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
                expand(sh, data, env)?
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
        let dt = DirTree {
            root: t.path().to_path_buf(),
        };
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
        excludes,
        unpack_archives: c.unpack && from.is_none() && urls.is_empty(),
        verb: c.verb,
    };
    let plan = copy::plan(&req).map_err(|e| BuildError::Invalid(format!("{e}")))?;
    let material = format!(
        "{} from={from_key} src={sources:?} dest={dest} owner={owner:?} chmod={chmod:?} parents={} digest={}",
        c.verb, c.parents, plan.digest
    );
    let by = format!("{src} # buildkit");
    Ok(Prepared {
        material,
        work: Box::new(move |sh, st, _| {
            let _keep = tree_src;
            let upper = sh.store.create_temp_dir("build-copy")?;
            let r = (|| -> Result<Option<LayerInfo>> {
                copy::execute(&plan, &image, &upper).map_err(io_at(&upper))?;
                commit_layer(sh, &upper, layer_compression(sh, st))
            })();
            let _ = fs::remove_dir_all(&upper);
            let layer = r?;
            let mut c = st.config.clone();
            c.push_history(&now(sh), &by, layer.is_none());
            if let Some(l) = &layer {
                c.push_diff_id(l.diff_id.as_ref());
            }
            Ok(Produced { config: c, layer })
        }),
        after: Box::new(|_| {}),
    })
}

fn prepare_run(
    sh: &Shared,
    st: &State,
    _env: &EnvList,
    r: &RunCommand,
    src: String,
) -> Result<Prepared> {
    let args = cmdline(st, &r.cmd);
    // RUN sees ARGs as environment variables, ENV winning.
    let mut run_env: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in st.args.entries() {
        run_env.insert(k.clone(), v.clone());
    }
    for (k, v) in st.config.env() {
        run_env.insert(k, v);
    }
    if !run_env.contains_key("PATH") {
        run_env.insert("PATH".into(), DEFAULT_PATH.into());
    }
    // `RUN --network=default` (or none given) means the build's
    // `--network`, whose own default is the bridge network, as BuildKit's
    // sandbox networking.
    let network = match r.network {
        Some(skiff_frontend::instructions::NetworkMode::None) => "none".to_string(),
        Some(skiff_frontend::instructions::NetworkMode::Host) => "host".to_string(),
        _ => match sh.opts.network.as_str() {
            "none" => "none".into(),
            "host" => "host".into(),
            _ => "default".into(),
        },
    };
    // The cache key keeps the form it had when every networked RUN used the
    // host's network: networking decides how a RUN reaches the outside,
    // not what it produces, and caches built before the bridge network
    // stay valid. Only `none` differs, as it always did.
    let key_network = if network == "none" { "none" } else { "host" };
    let mut mounts = Vec::new();
    let mut mount_key = Vec::new();
    let mut temps: Vec<tempfile::TempDir> = Vec::new();
    for m in &r.mounts {
        let target = m.target.clone().unwrap_or_default();
        match m.kind {
            MountType::Secret => {
                let id = m.id.clone().unwrap_or_else(|| {
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
                    Some(s) => mounts.push(RunMount {
                        kind: "secret".into(),
                        source: s.src.clone(),
                        target: target.clone(),
                        read_only: true,
                    }),
                    None if m.required => {
                        return Err(BuildError::Invalid(format!(
                            "secret {id}: not provided (use --secret id={id},src=...)"
                        )))
                    }
                    None => {}
                }
                // The secret's id, never its value, is part of the key.
                mount_key.push(format!("secret:{id}:{target}"));
            }
            MountType::Cache => {
                let id = m.id.clone().unwrap_or_else(|| target.clone());
                let dir = sh
                    .store
                    .buildcache_dir()
                    .join("mounts")
                    .join(cache::key(&[&id]));
                fs::create_dir_all(&dir).map_err(io_at(&dir))?;
                mounts.push(RunMount {
                    kind: "cache".into(),
                    source: dir,
                    target: target.clone(),
                    read_only: m.read_only,
                });
                mount_key.push(format!("cache:{id}:{target}"));
            }
            MountType::Tmpfs => {
                mounts.push(RunMount {
                    kind: "tmpfs".into(),
                    source: PathBuf::new(),
                    target: target.clone(),
                    read_only: false,
                });
                mount_key.push(format!("tmpfs:{target}"));
            }
            MountType::Bind => {
                let source = tree::clean(m.source.as_deref().unwrap_or(""));
                let (host, what) = match &m.from {
                    None => (sh.ctx.dir.join(&source), "context".to_string()),
                    Some(f) => {
                        let layers = if let Some(j) = sh.stage_by_ref(f) {
                            let o = sh.wait_stage(j)?;
                            (o.snapshots.clone(), o.key.clone())
                        } else if let Some(b) = sh.bases.get(f) {
                            (b.snapshots.clone(), b.id.clone())
                        } else {
                            return Err(BuildError::Invalid(format!(
                                "--mount from={f}: no such stage or image"
                            )));
                        };
                        // Materialise the subtree: a merged view has no single host path.
                        let t = tempfile::Builder::new()
                            .prefix("skiff-bind-")
                            .tempdir_in(sh.store.tmp_dir())
                            .map_err(io_at(sh.store.tmp_dir()))?;
                        let view = LayerTree::new(&layers.0);
                        let req = CopyRequest {
                            sources: vec![source.clone()],
                            dest: "/".into(),
                            workdir: "/".into(),
                            src: &view,
                            image: &DirTree {
                                root: t.path().to_path_buf(),
                            },
                            chown: None,
                            chmod: None,
                            keep_owner: true,
                            parents: false,
                            excludes: vec![],
                            unpack_archives: false,
                            verb: "RUN --mount",
                        };
                        let p = copy::plan(&req)
                            .map_err(|e| BuildError::Invalid(format!("--mount from={f}: {e}")))?;
                        copy::execute(
                            &p,
                            &DirTree {
                                root: t.path().to_path_buf(),
                            },
                            t.path(),
                        )
                        .map_err(io_at(t.path()))?;
                        let host = t.path().to_path_buf();
                        temps.push(t);
                        (host, format!("{}:{}", layers.1, p.digest))
                    }
                };
                // A context bind is keyed by the content it exposes.
                let digest = if m.from.is_none() {
                    let req = CopyRequest {
                        sources: vec![if source.is_empty() {
                            ".".into()
                        } else {
                            source.clone()
                        }],
                        dest: "/x/".into(),
                        workdir: "/".into(),
                        src: &sh.ctx,
                        image: &LayerTree::default(),
                        chown: None,
                        chmod: None,
                        keep_owner: false,
                        parents: false,
                        excludes: vec![],
                        unpack_archives: false,
                        verb: "RUN --mount",
                    };
                    copy::plan(&req).map(|p| p.digest).unwrap_or_default()
                } else {
                    String::new()
                };
                mounts.push(RunMount {
                    kind: "bind".into(),
                    source: host,
                    target: target.clone(),
                    read_only: m.read_only,
                });
                mount_key.push(format!("bind:{what}:{source}:{target}:{digest}"));
            }
            MountType::Ssh => {
                return Err(BuildError::Unsupported(
                    "RUN --mount=type=ssh is not supported yet".into(),
                ));
            }
        }
    }
    let user = st.config.user();
    let workdir = st.config.workdir();
    let env_list: Vec<String> = run_env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let material = format!(
        "RUN args={args:?} env={env_list:?} user={user} workdir={workdir} network={key_network} mounts={mount_key:?} heredocs={:?}",
        r.cmd.files
    );
    let by = format!("RUN {} # buildkit", args.join(" "));
    let heredocs = r.cmd.files.clone();
    let _ = src;
    Ok(Prepared {
        material,
        work: Box::new(move |sh, st, id| {
            let _keep = temps;
            let runner = sh.runner.clone().ok_or_else(|| {
                BuildError::Unsupported(
                    "RUN needs the container runtime, which this skiff cannot use yet".into(),
                )
            })?;
            let upper = sh.store.create_temp_dir("build-run")?;
            let work = sh.store.create_temp_dir("build-work")?;
            let mut args = args;
            // Heredoc RUN: the body is the script, fed as a file.
            let script_dir;
            if !heredocs.is_empty() && args.len() >= 2 {
                script_dir = tempfile::Builder::new()
                    .prefix("skiff-heredoc-")
                    .tempdir_in(sh.store.tmp_dir())
                    .map_err(io_at(sh.store.tmp_dir()))?;
                let h = &heredocs[0];
                let p = script_dir.path().join("script");
                fs::write(&p, &h.content).map_err(io_at(&p))?;
                mounts.push(RunMount {
                    kind: "bind".into(),
                    source: p,
                    target: "/dev/pipes/heredoc-script".into(),
                    read_only: true,
                });
                let shell = st.config.shell();
                args = shell
                    .into_iter()
                    .take(1)
                    .chain(["/dev/pipes/heredoc-script".to_string()])
                    .collect();
            }
            let req = RunRequest {
                lower: st.snapshots.clone(),
                upper: upper.clone(),
                work: work.clone(),
                args,
                env: env_list,
                user,
                workdir,
                network,
                mounts,
                add_hosts: sh.opts.add_hosts.clone(),
            };
            let mut tail: Vec<String> = Vec::new();
            let progress = &sh.progress;
            let mut out = |line: &str| {
                progress.event(Event::Log {
                    id,
                    line: line.to_string(),
                });
                tail.push(line.to_string());
                if tail.len() > 10 {
                    tail.remove(0);
                }
            };
            let res = runner.run(&req, &mut out);
            let result = (|| -> Result<Option<LayerInfo>> {
                let outcome = res.map_err(BuildError::Invalid)?;
                if outcome.exit_code != 0 {
                    return Err(BuildError::Step {
                        file: sh.dockerfile_name().to_string(),
                        line: 0,
                        instruction: String::new(),
                        message: format!(
                            "process \"{}\" did not complete successfully: exit code: {}",
                            req.args.join(" "),
                            outcome.exit_code
                        ),
                        exit_code: Some(outcome.exit_code),
                        output_tail: tail.clone(),
                    });
                }
                commit_layer(sh, &upper, layer_compression(sh, st))
            })();
            let _ = fs::remove_dir_all(&upper);
            let _ = fs::remove_dir_all(&work);
            let layer = result?;
            let mut c = st.config.clone();
            c.push_history(&now(sh), &by, layer.is_none());
            if let Some(l) = &layer {
                c.push_diff_id(l.diff_id.as_ref());
            }
            Ok(Produced { config: c, layer })
        }),
        after: Box::new(|_| {}),
    })
}

/// `--squash`: everything above the base image as one layer.
pub(crate) fn squash(sh: &Shared, out: &StageOut) -> Result<(LayerInfo, PathBuf)> {
    let upper = sh.store.create_temp_dir("build-squash")?;
    let r = (|| -> Result<(LayerInfo, PathBuf)> {
        // Apply the new layers in order onto one directory, overlay style.
        for snap in &out.snapshots[out.base_layers..] {
            crate::squash::apply_overlay_layer(snap, &upper).map_err(io_at(snap))?;
        }
        let l = commit_layer(sh, &upper, sh.compression)?
            .ok_or_else(|| BuildError::Invalid("squash produced an empty layer".into()))?;
        let chains = chain_ids(&out.layers[..out.base_layers]);
        let chain = skiff_store::chain_id(chains.last(), &l.diff_id);
        let snap =
            sh.store
                .unpack_layer_blob(&chain, &l.diff_id, &l.digest, Some(&l.media_type))?;
        Ok((l, snap))
    })();
    let _ = fs::remove_dir_all(&upper);
    r
}
