//! `skiff build`: docker-classic `docker build` flags; `--check` is served by
//! the frontend alone (build_check.rs), everything else by the build solver.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Args as ClapArgs;
use skiff_solver::export;
use skiff_solver::progress::{Plain, Progress, Quiet, Tty};
use skiff_solver::{BuildError, BuildOptions};

use crate::exit::Failure;
use crate::globals::Globals;

#[derive(Debug, Default, Clone, ClapArgs)]
pub struct Args {
    /// Build context: a directory, or "-" to read a Dockerfile or tar from stdin
    #[arg(value_name = "PATH | URL | -")]
    pub context: String,

    /// Name and optionally a tag in the "name:tag" format
    #[arg(short = 't', long = "tag", value_name = "NAME")]
    pub tags: Vec<String>,

    /// Name of the Dockerfile (default: "PATH/Dockerfile")
    #[arg(short = 'f', long, value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Set build-time variables
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_args: Vec<String>,

    /// Set the target build stage to build
    #[arg(long)]
    pub target: Option<String>,

    /// Set platform for the build
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Vec<String>,

    /// Do not use cache when building the image
    #[arg(long)]
    pub no_cache: bool,

    /// Do not cache specified stages
    #[arg(long, value_name = "STAGE")]
    pub no_cache_filter: Vec<String>,

    /// Always attempt to pull all referenced images
    #[arg(long)]
    pub pull: bool,

    /// Set metadata for an image
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// Set type of progress output ("auto", "plain", "tty", "quiet")
    #[arg(long, default_value = "auto", value_parser = ["auto", "plain", "tty", "quiet", "rawjson"])]
    pub progress: String,

    /// Suppress the build output and print image ID on success
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Write the image ID to the file
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,

    /// Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")
    #[arg(long = "secret", value_name = "SPEC")]
    pub secrets: Vec<String>,

    /// SSH agent socket or keys to expose to the build
    #[arg(long, value_name = "SPEC")]
    pub ssh: Vec<String>,

    /// Set the networking mode for the RUN instructions during build
    #[arg(long, default_value = "default")]
    pub network: String,

    /// Output destination (format: "type=local,dest=path")
    #[arg(short = 'o', long = "output", value_name = "SPEC")]
    pub outputs: Vec<String>,

    /// Shorthand for "--output=type=registry"
    #[arg(long)]
    pub push: bool,

    /// Shorthand for "--output=type=docker" (built images always land in
    /// skiff's store, which is what docker's --load asks for)
    #[arg(long)]
    pub load: bool,

    /// Squash newly built layers into a single new layer
    #[arg(long)]
    pub squash: bool,

    /// Shorthand for "--call=check": parse and validate without building
    #[arg(long)]
    pub check: bool,

    /// Add a custom host-to-IP mapping ("host:ip")
    #[arg(long = "add-host", value_name = "HOST:IP")]
    pub add_hosts: Vec<String>,

    /// Size of /dev/shm
    #[arg(long, value_name = "BYTES")]
    pub shm_size: Option<String>,

    /// Ulimit options
    #[arg(long = "ulimit", value_name = "ULIMIT")]
    pub ulimits: Vec<String>,

    /// Layer compression ("gzip" or "zstd")
    #[arg(long, default_value = "gzip", value_parser = ["gzip", "zstd"])]
    pub compression: String,

    /// docker's flags beyond these: applied, accepted or refused by name
    /// in build_flags.rs.
    #[command(flatten)]
    pub docker: super::build_flags::DockerFlags,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    super::build_flags::refuse_unsupported(&a.docker)?;
    if a.check || a.docker.is_check()? {
        return super::build_check::run(g, &a);
    }
    check_network(&a.network)?;
    let platforms = super::build_platforms::parse_platforms(&a.platform)?;
    let platform = platforms.first().map(|p| p.to_string());
    let outputs = export::parse_outputs(&a.outputs, a.push)?;
    if platforms.len() > 1 {
        super::build_platforms::check_outputs(&outputs)?;
    }
    let store = skiff_store::Store::open(&g.root)
        .with_context(|| format!("opening the store at {}", g.root.display()))?;
    // Owns the files env secrets were written to: removed when dropped.
    let secrets = skiff_solver::secrets::parse_secrets(&a.secrets, &store)?;
    let build_args = kv_args(&a.build_args, true);
    // SOURCE_DATE_EPOCH from the environment or as a build arg, as BuildKit.
    let epoch = build_args
        .get("SOURCE_DATE_EPOCH")
        .cloned()
        .or_else(|| std::env::var("SOURCE_DATE_EPOCH").ok())
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<i64>().map_err(|_| {
                anyhow::anyhow!("invalid SOURCE_DATE_EPOCH {v:?}: expected seconds since 1970")
            })
        })
        .transpose()?;
    let (cache_from, cache_to) =
        skiff_solver::cache_export::parse_flags(&a.docker.cache_from, &a.docker.cache_to)?;
    let opts = BuildOptions {
        context: skiff_solver::context::ContextSpec {
            context: a.context.clone(),
            file: a.file.clone(),
        },
        tags: a.tags.clone(),
        build_args,
        target: a.target.clone(),
        platform,
        no_cache: a.no_cache,
        no_cache_filter: a.no_cache_filter.clone(),
        pull: a.pull,
        labels: kv_args(&a.labels, false),
        squash: a.squash,
        compression: Some(a.compression.parse().map_err(anyhow::Error::msg)?),
        source_date_epoch: epoch,
        network: a.network.clone(),
        secrets: secrets.secrets.clone(),
        add_hosts: super::build_flags::add_hosts(&a.add_hosts)?,
        ssh: skiff_solver::ssh_agent::parse_ssh(&a.ssh)?,
        sandbox: super::build_flags::sandbox(&a)?,
        allow_insecure: a.docker.allow_insecure()?,
        cache_from,
        cache_to,
    };
    let quiet = a.quiet || a.progress == "quiet";
    let progress: Arc<dyn Progress> = if quiet {
        Arc::new(Quiet)
    } else if a.progress == "plain" || a.progress == "rawjson" || !std::io::stderr().is_terminal() {
        Arc::new(Plain::new(Box::new(std::io::stderr())))
    } else {
        Arc::new(Tty::new())
    };
    let runner: Option<Arc<dyn skiff_solver::run::RunExecutor>> = Some(Arc::new(
        skiff_solver::runtime_runner::RuntimeRunner::new(&g.root)?,
    ));
    if platforms.len() > 1 {
        let r =
            super::build_platforms::run(&store, &a, &opts, &platforms, &outputs, progress, runner);
        drop(secrets);
        return finish(&a, &r?, quiet);
    }
    let result = skiff_solver::build(
        &store,
        &opts,
        Arc::clone(&progress),
        runner,
        &mut std::io::stdin().lock(),
    );
    drop(secrets);
    let result = match result {
        Ok(r) => r,
        Err(e) => return Err(render_failure(e)),
    };
    let built = export::Built::Image(&result);
    export::export_all(&store, built, &outputs, &a.tags, &progress)?;
    if let Some(p) = &a.docker.metadata_file {
        super::build_flags::write_metadata(p, &result, &a.tags)?;
    }
    finish(&a, &result.image_id, quiet)
}

/// `--iidfile` and `-q`: the image ID (the index digest of a
/// multi-platform build, as buildx).
fn finish(a: &Args, id: &str, quiet: bool) -> anyhow::Result<i32> {
    if let Some(p) = &a.iidfile {
        std::fs::write(p, id).with_context(|| format!("writing --iidfile {}", p.display()))?;
    }
    if quiet {
        say!("{id}");
    }
    Ok(0)
}

/// docker BuildKit exits 1 for a failed build, with the failing instruction.
pub(super) fn render_failure(e: BuildError) -> anyhow::Error {
    match e {
        BuildError::Step {
            file,
            line,
            instruction,
            message,
            exit_code,
            output_tail,
        } => {
            let mut msg = format!("failed to solve: {file}:{line}: {instruction}: {message}");
            if let Some(c) = exit_code {
                if !message.contains("exit code") {
                    msg.push_str(&format!(" (exit code: {c})"));
                }
            }
            if !output_tail.is_empty() {
                msg.push_str("\n--- last lines of output ---\n");
                msg.push_str(&output_tail.join("\n"));
            }
            Failure::new(1, msg)
        }
        BuildError::Dockerfile(m) | BuildError::NoMatchingPlatform(m) => {
            Failure::new(1, format!("failed to solve: {m}"))
        }
        // "unable to prepare context: path ... not found": docker exits 1.
        e @ BuildError::Context(_) => Failure::new(1, e.to_string()),
        other => anyhow::Error::new(other),
    }
}

/// `K=V` pairs; with `from_env`, a bare `K` takes K from the environment
/// (skipped when unset), as docker does for --build-arg.
pub fn kv_args(raw: &[String], from_env: bool) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for a in raw {
        match a.split_once('=') {
            Some((k, v)) => {
                out.insert(k.to_string(), v.to_string());
            }
            None if from_env => {
                if let Ok(v) = std::env::var(a) {
                    out.insert(a.clone(), v);
                }
            }
            None => {
                out.insert(a.clone(), String::new());
            }
        }
    }
    out
}

/// `--network`: the modes BuildKit knows, with dockerd's message for others
/// (user networks and `container:` are the classic builder's only).
fn check_network(mode: &str) -> anyhow::Result<()> {
    match mode {
        "default" | "host" | "none" => Ok(()),
        _ => anyhow::bail!("network mode {mode:?} not supported by buildkit"),
    }
}
