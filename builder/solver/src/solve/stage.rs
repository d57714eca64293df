//! Running one stage, step by step: cache lookup by chained key, else the
//! step's work, then a cache record. What each instruction does is in its
//! family's file: `metadata` (config-only steps and WORKDIR), `copy`
//! (COPY/ADD), `run` (RUN, with `run_mounts`); `commit` turns a step's upper
//! directory into a layer.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;
use skiff_frontend::instructions::{Command, CommandLine, Instruction};
use skiff_frontend::{Base, EnvGetter, EnvList, Platform, ShellLex};
use skiff_store::{Digest, LayerInfo};

use crate::cache::{self, LayerRecord, Record};
use crate::error::{BuildError, Result};
use crate::imageconfig::ImageConfig;
use crate::progress::Event;

use super::numbering::{makes_step, Numbering};
use super::{Shared, StageOut};

/// A stage being built.
pub(super) struct State {
    pub(super) config: ImageConfig,
    pub(super) layers: Vec<LayerInfo>,
    pub(super) snapshots: Vec<PathBuf>,
    pub(super) chain: Option<Digest>,
    pub(super) key: String,
    /// ARG values in scope.
    pub(super) args: EnvList,
    pub(super) base_layers: usize,
    /// A CMD was set in this stage (then ENTRYPOINT keeps it, as BuildKit).
    pub(super) cmd_set: bool,
    /// Not the target stage: its layers are never exported, so they are
    /// compressed at the fastest level.
    pub(super) intermediate: bool,
    /// The platform the stage builds for: what its RUNs must execute.
    pub(super) platform: Platform,
}

impl State {
    /// A stage starting on an image or an earlier stage.
    fn on(
        config: &ImageConfig,
        layers: &[LayerInfo],
        snapshots: &[PathBuf],
        key: String,
        intermediate: bool,
        platform: &Platform,
    ) -> State {
        State {
            config: config.clone(),
            layers: layers.to_vec(),
            snapshots: snapshots.to_vec(),
            chain: chain_ids(layers).last().cloned(),
            key,
            args: EnvList::new(),
            base_layers: layers.len(),
            cmd_set: false,
            intermediate,
            platform: platform.clone(),
        }
    }
}

/// Result of executing a step (not from cache).
pub(super) struct Produced {
    pub(super) config: ImageConfig,
    pub(super) layer: Option<LayerInfo>,
}

impl Produced {
    /// A step's result: `config` with the step's history entry and, when
    /// it made one, its layer.
    pub(super) fn step(
        sh: &Shared,
        mut config: ImageConfig,
        created_by: &str,
        layer: Option<LayerInfo>,
    ) -> Produced {
        config.push_history(&now(sh), created_by, layer.is_none());
        if let Some(l) = &layer {
            config.push_diff_id(l.diff_id.as_ref());
        }
        Produced { config, layer }
    }
}

pub(super) const DEFAULT_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

pub(super) fn one_line(s: &str) -> String {
    let s = s.replace("\\\n", " ").replace('\n', " ");
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(super) fn now(sh: &Shared) -> String {
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
    let platform = super::base::stage_platform(&sh.plan, i);
    let prefix = &sh.title_prefix;

    // FROM: a step of its own only for an image (BuildKit's vertex).
    let t0 = Instant::now();
    // Layers made under SOURCE_DATE_EPOCH differ (clamped mtimes): never
    // mix them with layers made without it.
    let epoch = format!("{:?}", sh.opts.source_date_epoch);
    let mut st = match &stage.base {
        Base::Image(name) => {
            let b = sh.bases.get_for(name, &platform).ok_or_else(|| {
                BuildError::Invalid(format!("base image {name} was not resolved"))
            })?;
            let key = cache::key(&[cache::FORMAT, &epoch, "from", &b.id, &platform.to_string()]);
            let mut config = b.config.clone();
            config.normalize_platform();
            // A base built with inline cache: its records are no part of
            // this image.
            if let Some(o) = config.0.as_object_mut() {
                o.remove(crate::cache_export::format::INLINE_FIELD);
            }
            let intermediate = i != sh.plan.target;
            State::on(
                &config,
                &b.layers,
                &b.snapshots,
                key,
                intermediate,
                &platform,
            )
        }
        Base::Stage(j) => {
            let o = sh.wait_stage(*j)?;
            let key = cache::key(&[cache::FORMAT, "from-stage", &o.key]);
            let intermediate = i != sh.plan.target;
            // The files are the parent stage's: its RUNs execute what it
            // built for, unless this FROM names a platform itself.
            let runs_as = match &stage.platform {
                Some(p) => p.clone(),
                None => super::base::stage_platform(&sh.plan, *j),
            };
            State::on(
                &o.config,
                &o.layers,
                &o.snapshots,
                key,
                intermediate,
                &runs_as,
            )
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
            platform: platform.clone(),
        },
    };
    if !st.config.env().iter().any(|(k, _)| k == "PATH") {
        // BuildKit gives images without a PATH the default one.
        st.config.set_env("PATH", DEFAULT_PATH);
    }

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
    let triggers = steps.len();
    steps.extend(stage.instructions.iter().cloned());
    let from_image = matches!(stage.base, Base::Image(_));
    let mut numbers = Numbering::new(format!("{prefix}{sname}"), from_image, triggers, &steps);
    if let Base::Image(name) = &stage.base {
        let id = sh.step_id();
        let title = numbers.next(&format!("FROM {name}"));
        sh.progress.event(Event::Start { id, title });
        sh.progress.event(Event::Done {
            id,
            secs: t0.elapsed().as_secs_f64(),
        });
    }

    let use_cache = sh.cache_allowed(i);
    for (k, ins) in steps.iter().enumerate() {
        // Steps without a vertex show nothing (a warning of theirs goes
        // to #0, as BuildKit's own lines), unless they fail.
        let shown = makes_step(&ins.command);
        let onbuild = if k < triggers { "ONBUILD " } else { "" };
        let text = format!("{onbuild}{}", one_line(&ins.source));
        let id = if shown { sh.step_id() } else { 0 };
        let t0 = Instant::now();
        if shown {
            let title = numbers.next(&text);
            sh.progress.event(Event::Start { id, title });
        }
        match run_step(sh, &mut st, ins, id, use_cache, sh.in_final[i]) {
            Ok(cached) => {
                if cached && shown {
                    sh.progress.event(Event::Cached { id });
                }
                if shown {
                    sh.progress.event(Event::Done {
                        id,
                        secs: t0.elapsed().as_secs_f64(),
                    });
                }
            }
            Err(e) => {
                let message = match &e {
                    BuildError::Step { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                let id = if shown {
                    id
                } else {
                    let id = sh.step_id();
                    let title = format!("[{prefix}{sname}] {text}");
                    sh.progress.event(Event::Start { id, title });
                    id
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

pub(super) fn chain_ids(layers: &[LayerInfo]) -> Vec<Digest> {
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

pub(super) fn lex(sh: &Shared) -> ShellLex {
    ShellLex::new(sh.plan.escape)
}

pub(super) fn expand(sh: &Shared, word: &str, env: &dyn EnvGetter) -> Result<String> {
    lex(sh)
        .process_word(word, env)
        .map_err(|e| BuildError::Invalid(e.message))
}

/// Expand variables in a `COPY <<EOF` body (unquoted delimiter): quotes are
/// ordinary characters there and stay, as BuildKit's `ExpandRaw`.
pub(super) fn expand_raw(sh: &Shared, text: &str, env: &dyn EnvGetter) -> Result<String> {
    let mut lex = lex(sh);
    lex.skip_process_quotes = true;
    lex.process_word(text, env)
        .map_err(|e| BuildError::Invalid(e.message))
}

/// Apply a cache record or do the work; returns whether it was cached.
fn run_step(
    sh: &Shared,
    st: &mut State,
    ins: &Instruction,
    id: usize,
    use_cache: bool,
    in_final: bool,
) -> Result<bool> {
    let env = expand_env(st);
    let prepared = prepare(sh, st, ins, &env)?;
    let key = cache::key(&[&st.key, &prepared.material]);
    let lookup = || if use_cache { sh.cache.get(&key) } else { None };
    let mut found = lookup();
    let _lock = match found {
        Some(_) => None,
        None => Some(sh.cache.lock(&key)?),
    };
    if found.is_none() {
        // Another build may have done it while we waited for the lock.
        found = lookup();
    }
    // Else `--cache-from`: the record's layer is fetched now, so a hit
    // never re-runs the step and the blob is here for the image.
    let imported = found.is_none() && use_cache && {
        found = sh
            .session
            .hit(&sh.store, &st.config, &key, sh.progress.as_ref(), id);
        found.is_some()
    };
    let cached = found.is_some();
    let rec = match found {
        Some(rec) => rec,
        None => {
            let produced = (prepared.work)(sh, st, id)?;
            Record {
                layer: produced.layer.as_ref().map(LayerRecord::from_info),
                config: produced.config.0,
            }
        }
    };
    apply_record(sh, st, &rec)?;
    if !cached || imported {
        sh.cache.put(&key, &rec)?;
    }
    if let Ok(mut steps) = sh.steps.lock() {
        steps.push(crate::cache_export::Step {
            key: key.clone(),
            record: rec,
            in_final,
        });
    }
    st.key = key;
    (prepared.after)(st);
    Ok(cached)
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

pub(super) type Work = Box<dyn FnOnce(&Shared, &State, usize) -> Result<Produced>>;

pub(super) struct Prepared {
    /// What decides the step's result besides its parent: into the key.
    pub(super) material: String,
    pub(super) work: Work,
    /// State changes that are not in the config (ARG values).
    pub(super) after: Box<dyn FnOnce(&mut State)>,
}

pub(super) fn cmdline(st: &State, c: &CommandLine) -> Vec<String> {
    if c.prepend_shell {
        let mut v = st.config.shell();
        v.push(c.args.join(" "));
        v
    } else {
        c.args.clone()
    }
}

/// What a step does, by instruction family.
fn prepare(sh: &Shared, st: &State, ins: &Instruction, env: &EnvList) -> Result<Prepared> {
    match &ins.command {
        Command::Copy(c) => super::copy::prepare(
            sh,
            st,
            env,
            super::copy::CopyLike::from_copy(c),
            &ins.source,
        ),
        Command::Add(a) => {
            super::copy::prepare(sh, st, env, super::copy::CopyLike::from_add(a), &ins.source)
        }
        Command::Run(r) => super::run::prepare(sh, st, r, env),
        Command::Workdir(w) => super::metadata::prepare_workdir(sh, st, w, env),
        other => super::metadata::prepare(sh, st, other, env),
    }
}
