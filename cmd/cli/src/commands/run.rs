//! `skiff run`: docker's flags parsed into skiff-runtime's typed run
//! options; the runtime applies docker's rules to them and the image's
//! config, creates the container and starts it (see that crate's docs).

use clap::Args as ClapArgs;
use skiff_runtime::run::{
    self as container, HostOptions, ImageSource, Pull, PullRequest, RunOptions,
};
use skiff_runtime::Layout;

use super::pull::pull_image;
use super::transfer::Transfer;
use crate::exit::Failure;
use crate::globals::Globals;

/// `run`'s flags: `create`'s, boxed (they are many, and the command enum
/// stays small), and `-d`.
#[derive(Debug, Default, ClapArgs)]
#[command(disable_help_flag = true)]
pub struct Args {
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    #[command(flatten)]
    pub opts: Box<Options>,
}

/// The flags `run` and `create` share: everything about the container.
/// The runtime's option structs declare most of them (its `clap`
/// feature); what only the CLI handles is declared here.
#[derive(Debug, Default, ClapArgs)]
pub struct Options {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    #[command(flatten)]
    pub run: RunOptions,
    /// The IMAGE argument is a root filesystem directory (as podman's --rootfs)
    #[arg(long)]
    pub rootfs: bool,
    /// Pull image before running ("always", "missing", "never")
    #[arg(long, default_value = "missing")]
    pub pull: String,
    /// Set platform if server is multi-platform capable (os/arch[/variant])
    #[arg(long, env = "DOCKER_DEFAULT_PLATFORM", value_name = "PLATFORM")]
    pub platform: Option<String>,
    /// Suppress the pull output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[command(flatten)]
    pub host: HostOptions,
    #[command(flatten)]
    pub cli: super::run_cli::CliFlags,
    #[command(flatten)]
    pub image_and_command: TargetAndCommand<Image>,
}

/// A command line's target (an image, a container) and the command to run
/// in it, the docker way: every word after the target is the command's,
/// even one that looks like a flag.
#[derive(Debug, Default, ClapArgs)]
pub struct TargetAndCommand<T: Target> {
    #[arg(
        value_name = T::VALUE_NAME,
        help = T::VALUE_NAME,
        required = true,
        num_args = T::MIN_WORDS..,
        // Not allow_hyphen_values: with it clap takes an unknown flag
        // before the target (`--foo`, or `-e=K=V` whose `=` is no known
        // short) for the target itself. trailing_var_arg alone already
        // keeps every word after the target, flags included.
        trailing_var_arg = true
    )]
    words: Vec<String>,
    #[arg(skip)]
    target: std::marker::PhantomData<T>,
}

/// What a [`TargetAndCommand`] names, for its usage text and arity.
pub trait Target: Default + Send + Sync + 'static {
    const VALUE_NAME: &'static str;
    /// The fewest words: the target, and for some commands a command.
    const MIN_WORDS: usize;
}

/// `run`'s target: an image, and optionally a command replacing its Cmd.
#[derive(Debug, Default)]
pub struct Image;

impl Target for Image {
    const VALUE_NAME: &'static str = "IMAGE [COMMAND] [ARG...]";
    const MIN_WORDS: usize = 1;
}

impl<T: Target> TargetAndCommand<T> {
    /// The target and the command's words.
    pub fn split(self) -> (String, Vec<String>) {
        let mut it = self.words.into_iter();
        (it.next().unwrap_or_default(), it.collect())
    }
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    let cfg = create_container(g, &layout, *a.opts, a.detach)?;
    // In the foreground this process becomes the container's runner, which
    // exits with the container's code: it returns only when detached.
    container::start(&layout, &cfg).map_err(runtime_failure)?;
    say!("{}", cfg.id);
    Ok(0)
}

/// What `run` and `create` share: the flags to options, the image (pulled
/// as `--pull` says, through `skiff pull`'s code), the container registered.
pub fn create_container(
    g: &Globals,
    layout: &Layout,
    mut flags: Options,
    detach: bool,
) -> anyhow::Result<skiff_runtime::ContainerConfig> {
    let quiet = flags.quiet;
    flags.cli.check()?;
    flags.cli.check_cidfile()?;
    let cli = std::mem::take(&mut flags.cli);
    let (image, mut opts) = run_options(flags)?;
    opts.detach = detach;
    let mut labels = cli.file_labels()?;
    labels.append(&mut opts.labels);
    opts.labels = labels;
    let warn = &mut |w: &str| crate::exit::warn(&format!("WARNING: {w}"));
    // The runtime decides when to pull (docker's --pull rules, beside its
    // image lookup); the registry client is the CLI's, so it comes in as
    // this callback and the runtime never depends on skiff-registry.
    let fetch = &mut |req: PullRequest<'_>| {
        auto_pull(g, req, quiet).map_err(|e| skiff_runtime::Error::Invalid(format!("{e:#}")))
    };
    let cfg = container::create(layout, &image, opts, warn, fetch).map_err(runtime_failure)?;
    cli.write_cidfile(&cfg.id)?;
    Ok(cfg)
}

/// docker run's pull: "Unable to find image 'X' locally" when it is
/// missing, then `skiff pull`'s own progress and Digest/Status lines, all
/// on stderr so stdout keeps the container's output (or `-d`'s id).
fn auto_pull(g: &Globals, req: PullRequest<'_>, quiet: bool) -> anyhow::Result<()> {
    let t = Transfer::auto_pull(g, req.reference, req.platform.cloned(), quiet)?;
    if req.missing && !quiet {
        let familiar = skiff_store::normalize_reference(req.reference)
            .map(|r| r.familiar())
            .unwrap_or_else(|_| req.reference.to_string());
        t.say(&format!("Unable to find image '{familiar}' locally"));
    }
    pull_image(&t).map(|_| ())
}

/// A runtime error with docker's exit code for it (125, or 126/127 when
/// the container's command could not be started).
pub fn runtime_failure(e: skiff_runtime::Error) -> anyhow::Error {
    Failure::new(e.exit_code(), e.to_string())
}

/// The flags as the runtime's typed options.
fn run_options(a: Options) -> anyhow::Result<(ImageSource, RunOptions)> {
    let (reference, command) = a.image_and_command.split();
    let image = if a.rootfs {
        ImageSource::RootfsDir(reference)
    } else {
        let pull: Pull = a.pull.parse()?;
        let platform = super::transfer::platform_flag(a.platform.as_deref())?;
        ImageSource::Store {
            reference,
            pull,
            platform,
        }
    };
    let opts = RunOptions {
        command,
        host: a.host,
        ..a.run
    };
    Ok((image, opts))
}
