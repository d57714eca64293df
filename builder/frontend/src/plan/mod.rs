//! Planning: from a parsed Dockerfile to stages with resolved bases,
//! platforms, dependencies, the target and warnings.

mod graph;
mod platform_args;
mod walker;
mod warnings;

use std::collections::{BTreeMap, BTreeSet};

pub use platform_args::automatic_args;
pub use skiff_core::Platform;
pub use warnings::Warning;

use graph::{check_cycles, find_stage, Deps};
use walker::Walker;

use crate::error::{Error, LineRange};
use crate::instructions::{
    parse_node, ArgDecl, Command, FromInstruction, Instruction, Mount, Parsed,
};
use crate::parser::Ast;
use crate::shell::{EnvGetter, EnvList, Layered, ShellLex};

/// What planning needs besides the Dockerfile.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// `--build-arg KEY=VALUE` (a later duplicate wins).
    pub build_args: BTreeMap<String, String>,
    /// `--target`; `None` builds the last stage.
    pub target: Option<String>,
    /// The platform built for (`--platform`); defaults to the build platform.
    pub target_platform: Option<Platform>,
    /// The platform the build runs on.
    pub build_platform: Platform,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            build_args: BTreeMap::new(),
            target: None,
            target_platform: None,
            build_platform: Platform::host(),
        }
    }
}

/// Where a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    /// An image reference (global ARGs expanded).
    Image(String),
    /// An earlier (or, erroneously, later) stage, by index.
    Stage(usize),
    /// `FROM scratch`.
    Scratch,
}

/// One build stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    pub index: usize,
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    pub base: Base,
    pub from: FromInstruction,
    /// `--platform` expanded and parsed; `None` means the target platform.
    pub platform: Option<Platform>,
    /// The instructions after FROM, typed, values not yet expanded.
    pub instructions: Vec<Instruction>,
    /// Stages this one needs (FROM, COPY --from, RUN --mount from=), sorted.
    pub deps: Vec<usize>,
    /// Images used by COPY --from / RUN --mount from= (not stages).
    pub image_deps: Vec<String>,
    /// Not needed for the target.
    pub skipped: bool,
    /// From the FROM line to the stage's last instruction.
    pub lines: LineRange,
}

impl Stage {
    /// `name` or the index, as BuildKit shows stages.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.index.to_string())
    }
}

/// The result of planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildPlan {
    pub stages: Vec<Stage>,
    /// Index of the target stage.
    pub target: usize,
    /// Global ARGs (before the first FROM), resolved; they are visible in
    /// FROM lines, and inside a stage only when re-declared there.
    pub meta_args: EnvList,
    /// Global ARG declarations as written.
    pub meta_decls: Vec<ArgDecl>,
    pub build_args: BTreeMap<String, String>,
    pub target_platform: Platform,
    pub build_platform: Platform,
    /// The escape token, for the [`ShellLex`] the solver uses.
    pub escape: char,
    pub warnings: Vec<Warning>,
    /// What to tell the user about the `# syntax=` line (see [`crate::syntax`]).
    pub syntax_note: Option<String>,
}

/// Build args any Dockerfile may use without declaring them.
pub const BUILTIN_ARGS: &[&str] = &[
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Variables base images commonly define; not reported as undefined because
/// planning does not see the base image's config.
pub(crate) const IMAGE_ENV: &[&str] = &[
    "PATH", "HOME", "HOSTNAME", "TERM", "LANG", "USER", "PWD", "SHELL",
];

impl BuildPlan {
    /// The automatic platform args (TARGETPLATFORM ... BUILDVARIANT).
    pub fn platform_args(&self) -> EnvList {
        automatic_args(&self.target_platform, &self.build_platform)
    }

    /// The value an `ARG` declaration takes inside a stage: the build arg if
    /// given, else the default expanded against the stage's env, else the
    /// global ARG of that name, else an automatic platform arg.
    pub fn resolve_arg(
        &self,
        decl: &ArgDecl,
        stage_env: &dyn EnvGetter,
    ) -> Result<Option<String>, Error> {
        if let Some(v) = self.build_args.get(&decl.key) {
            return Ok(Some(v.clone()));
        }
        if let Some(d) = &decl.value {
            let lex = ShellLex::new(self.escape);
            return lex
                .process_word(d, stage_env)
                .map(Some)
                .map_err(|e| Error::new(e.message));
        }
        if let Some(v) = self.meta_args.get(&decl.key) {
            return Ok(Some(v.to_string()));
        }
        Ok(self.platform_args().get(&decl.key).map(str::to_string))
    }

    /// Stages to build, in an order where dependencies come first.
    pub fn build_order(&self) -> Vec<usize> {
        let mut order = Vec::new();
        let mut seen = vec![false; self.stages.len()];
        fn visit(p: &BuildPlan, i: usize, seen: &mut Vec<bool>, order: &mut Vec<usize>) {
            if seen[i] {
                return;
            }
            seen[i] = true;
            for &d in &p.stages[i].deps {
                visit(p, d, seen, order);
            }
            order.push(i);
        }
        visit(self, self.target, &mut seen, &mut order);
        order
    }
}

/// Plan a parsed Dockerfile.
pub fn plan(ast: &Ast, opts: &PlanOptions) -> Result<BuildPlan, Error> {
    let target_platform = opts
        .target_platform
        .clone()
        .unwrap_or_else(|| opts.build_platform.clone());
    let syntax_note = crate::syntax::check(ast)?;
    let auto = automatic_args(&target_platform, &opts.build_platform);
    let mut w = Walker {
        lex: ShellLex::new(ast.escape),
        warnings: Vec::new(),
        declared_anywhere: BTreeSet::new(),
    };
    for pw in &ast.warnings {
        w.warnings.push(Warning::from_parser(pw));
    }

    // Type every node and group them into stages.
    let mut meta_decls: Vec<(ArgDecl, LineRange)> = Vec::new();
    let mut heads: Vec<(FromInstruction, Vec<Instruction>)> = Vec::new();
    for node in &ast.children {
        match parse_node(node)? {
            Parsed::From(f) => heads.push((f, Vec::new())),
            Parsed::Command(i) => match heads.last_mut() {
                Some((_, list)) => list.push(i),
                None => match &i.command {
                    Command::Arg(decls) => {
                        meta_decls.extend(decls.iter().map(|d| (d.clone(), i.lines)))
                    }
                    _ => {
                        return Err(Error::at(
                            format!(
                                "no build stage in current context (\"{}\" before the first FROM)",
                                i.command.name()
                            ),
                            i.lines,
                        ))
                    }
                },
            },
        }
    }
    if heads.is_empty() {
        let at = ast.children.first().map(|n| n.lines).unwrap_or_default();
        return Err(Error::at(
            "no build stage in current context: the Dockerfile has no FROM",
            at,
        ));
    }

    // Global ARGs: defaults expand against earlier ones and the automatic
    // platform args; --build-arg overrides.
    let mut meta = EnvList::new();
    let mut meta_known: BTreeSet<String> = auto.keys().map(str::to_string).collect();
    for (d, at) in &meta_decls {
        w.declared_anywhere.insert(d.key.clone());
        meta_known.insert(d.key.clone());
        let value = if let Some(v) = opts.build_args.get(&d.key) {
            Some(v.clone())
        } else if let Some(def) = &d.value {
            let env = Layered {
                first: &meta,
                second: &auto,
            };
            Some(w.expand(def, &env, &meta_known, *at)?)
        } else {
            None
        };
        if let Some(v) = value {
            meta.set(&d.key, &v);
        }
    }

    let names: Vec<Option<String>> = heads.iter().map(|(f, _)| f.name.clone()).collect();
    for (i, n) in names.iter().enumerate() {
        if let Some(n) = n {
            if names[..i].iter().any(|m| m.as_deref() == Some(n)) {
                return Err(Error::at(
                    format!("duplicate stage name \"{n}\""),
                    heads[i].0.lines,
                ));
            }
        }
    }

    let mut stages: Vec<Stage> = Vec::new();
    let mut final_envs: Vec<EnvList> = Vec::new();
    for (index, (from, instructions)) in heads.into_iter().enumerate() {
        w.warnings.extend(warnings::from_instruction(&from));
        let meta_env = Layered {
            first: &meta,
            second: &auto,
        };
        let base_name = w.expand(&from.base, &meta_env, &meta_known, from.lines)?;
        if base_name.is_empty() {
            return Err(Error::at(
                format!("base name ({}) should not be blank", from.base),
                from.lines,
            ));
        }
        let platform = match &from.platform {
            Some(p) => {
                let v = w.expand(p, &meta_env, &meta_known, from.lines)?;
                Some(Platform::parse(&v).map_err(|e| {
                    Error::at(format!("failed to parse platform {v}: {e}"), from.lines)
                })?)
            }
            None => None,
        };
        let mut deps = Deps::new(index, &names);
        let base = if let Some(s) = find_stage(&names, &base_name, false) {
            if s == index {
                return Err(Error::at(
                    format!("circular dependency detected on stage: {base_name}"),
                    from.lines,
                ));
            }
            deps.stages.insert(s);
            Base::Stage(s)
        } else if base_name.eq_ignore_ascii_case("scratch") {
            Base::Scratch
        } else {
            Base::Image(base_name)
        };

        // Walk the stage: ENV/ARG build the env words expand against.
        let mut env = match base {
            Base::Stage(s) if s < final_envs.len() => final_envs[s].clone(),
            _ => EnvList::new(),
        };
        let mut known: BTreeSet<String> = env.keys().map(str::to_string).collect();
        for ins in &instructions {
            let at = ins.lines;
            match &ins.command {
                Command::Arg(decls) => {
                    for d in decls {
                        w.declared_anywhere.insert(d.key.clone());
                        known.insert(d.key.clone());
                        let v = if let Some(v) = opts.build_args.get(&d.key) {
                            Some(v.clone())
                        } else if let Some(def) = &d.value {
                            Some(w.expand(def, &env, &known, at)?)
                        } else {
                            meta.get(&d.key)
                                .or_else(|| auto.get(&d.key))
                                .map(str::to_string)
                        };
                        if let Some(v) = v {
                            env.set(&d.key, &v);
                        }
                    }
                }
                Command::Env(kvs) => {
                    for kv in kvs {
                        let k = w.expand(&kv.key, &env, &known, at)?;
                        let v = w.expand(&kv.value, &env, &known, at)?;
                        known.insert(k.clone());
                        env.set(&k, &v);
                    }
                }
                Command::Label(kvs) => {
                    for kv in kvs {
                        w.expand(&kv.key, &env, &known, at)?;
                        w.expand(&kv.value, &env, &known, at)?;
                    }
                }
                Command::User(s) | Command::Workdir(s) | Command::StopSignal(s) => {
                    w.expand(s, &env, &known, at)?;
                }
                Command::Volume(v) => {
                    for s in v {
                        w.expand(s, &env, &known, at)?;
                    }
                }
                Command::Expose(ports) => {
                    for p in ports {
                        w.lex
                            .process_words(p, &env)
                            .map_err(|e| Error::at(e.message, at))?;
                    }
                }
                Command::Copy(c) => {
                    if let Some(v) = w.expand_files(&c.files, &env, &known, at)? {
                        crate::instructions::Chmod::parse(&v).map_err(|e| Error::at(e, at))?;
                    }
                    if let Some(f) = &c.from {
                        let f = w.expand(f, &env, &known, at)?;
                        deps.add(&f, &mut w.warnings, at, "COPY --from")?;
                    }
                }
                Command::Add(a) => {
                    w.expand_files(&a.files, &env, &known, at)?;
                    if let Some(s) = &a.checksum {
                        w.expand(s, &env, &known, at)?;
                    }
                }
                Command::Run(r) => {
                    for spec in &r.mount_specs {
                        let undefined = std::cell::RefCell::new(Vec::new());
                        let m = {
                            let lex = w.lex;
                            let env_ref = &env;
                            let known_ref = &known;
                            let expander = |v: &str| -> Result<String, String> {
                                let r = lex.process(v, env_ref).map_err(|e| e.message)?;
                                undefined.borrow_mut().extend(
                                    r.unmatched.into_iter().filter(|n| !known_ref.contains(n)),
                                );
                                Ok(r.result)
                            };
                            Mount::parse(spec, Some(&expander)).map_err(|e| Error::at(e, at))?
                        };
                        for n in undefined.into_inner() {
                            if !IMAGE_ENV.contains(&n.as_str()) {
                                w.warnings.push(Warning::undefined_var(&n, at));
                            }
                        }
                        if let Some(f) = m.from() {
                            deps.add(f, &mut w.warnings, at, "RUN --mount from")?;
                        }
                    }
                }
                _ => {}
            }
        }
        w.warnings.extend(warnings::stage_rules(&instructions));
        let lines = LineRange::new(
            from.lines.start,
            instructions
                .last()
                .map(|i| i.lines.end)
                .unwrap_or(from.lines.end),
        );
        final_envs.push(env);
        stages.push(Stage {
            index,
            name: from.name.clone(),
            base,
            from,
            platform,
            instructions,
            deps: deps.stages.into_iter().collect(),
            image_deps: deps.images,
            skipped: false,
            lines,
        });
    }

    // A FROM may name a later stage; resolve those now that all exist.
    let target = match &opts.target {
        Some(t) => find_stage(&names, t, false).ok_or_else(|| {
            let mut msg = format!("target stage \"{t}\" could not be found");
            let known: Vec<&str> = names.iter().flatten().map(String::as_str).collect();
            if let Some(s) = crate::suggest::did_you_mean(t, &known) {
                msg.push_str(&format!(" (did you mean {s}?)"));
            }
            Error::new(msg)
        })?,
        None => stages.len() - 1,
    };

    check_cycles(&stages)?;

    let mut needed = vec![false; stages.len()];
    let mut stack = vec![target];
    while let Some(i) = stack.pop() {
        if !needed[i] {
            needed[i] = true;
            stack.extend(stages[i].deps.iter().copied());
        }
    }
    for (s, n) in stages.iter_mut().zip(&needed) {
        s.skipped = !n;
    }

    let unused: Vec<&String> = opts
        .build_args
        .keys()
        .filter(|k| !w.declared_anywhere.contains(*k) && !BUILTIN_ARGS.contains(&k.as_str()))
        .collect();
    if !unused.is_empty() {
        w.warnings.push(Warning::unused_build_args(&unused));
    }

    Ok(BuildPlan {
        stages,
        target,
        meta_args: meta,
        meta_decls: meta_decls.into_iter().map(|(d, _)| d).collect(),
        build_args: opts.build_args.clone(),
        target_platform,
        build_platform: opts.build_platform.clone(),
        escape: ast.escape,
        warnings: w.warnings,
        syntax_note,
    })
}
