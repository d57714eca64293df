//! `skiff run`: docker's flags parsed into skiff-runtime's typed run
//! options; the runtime applies docker's rules to them and the image's
//! config, creates the container and starts it (see that crate's docs).

use std::path::PathBuf;

use clap::Args as ClapArgs;
use skiff_runtime::run::{
    self as container, ImageSource, MountOptions, NetworkOptions, ProcessOptions, Pull,
    PullRequest, ResourceOptions, RunOptions, SecurityOptions,
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
#[derive(Debug, Default, ClapArgs)]
pub struct Options {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Automatically remove the container and its anonymous volumes when it exits
    #[arg(long)]
    pub rm: bool,
    #[command(flatten)]
    pub process: ProcessFlags,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Add additional groups to join
    #[arg(long = "group-add")]
    pub group_add: Vec<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long, allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// Bind mount a volume (SRC:DST[:ro], NAME:DST, or DST for an anonymous volume)
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Attach a filesystem mount (type=bind|volume|tmpfs,source=,target=,readonly)
    #[arg(long)]
    pub mount: Vec<String>,
    /// Mount a tmpfs directory (PATH[:OPTIONS])
    #[arg(long)]
    pub tmpfs: Vec<String>,
    /// Mount the container's root filesystem as read only
    #[arg(long = "read-only")]
    pub read_only: bool,
    #[command(flatten)]
    pub resources: ResourceFlags,
    /// Ulimit options (type=soft[:hard])
    #[arg(long)]
    pub ulimit: Vec<String>,
    /// Add Linux capabilities
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Give extended privileges to this container
    #[arg(long)]
    pub privileged: bool,
    /// Security Options (seccomp=unconfined|FILE, no-new-privileges)
    #[arg(long = "security-opt")]
    pub security_opt: Vec<String>,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long)]
    pub init: bool,
    /// Container host name
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host")]
    pub add_host: Vec<String>,
    /// Set meta data on a container
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Signal to stop the container
    #[arg(long = "stop-signal")]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) to stop a container
    #[arg(long = "stop-timeout", allow_hyphen_values = true)]
    pub stop_timeout: Option<i64>,
    /// Connect a container to a network (bridge, host, none, or a user network)
    #[arg(long = "network", alias = "net")]
    pub network: Option<String>,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Add network-scoped alias for the container
    #[arg(long = "network-alias", alias = "net-alias")]
    pub network_alias: Vec<String>,
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
    pub host: super::run_host::HostFlags,
    #[command(flatten)]
    pub image_and_command: TargetAndCommand<Image>,
}

/// The resource limits `run`/`create` and `update` share.
#[derive(Debug, Default, ClapArgs)]
pub struct ResourceFlags {
    /// Memory limit
    #[arg(short = 'm', long)]
    pub memory: Option<String>,
    /// Memory soft limit
    #[arg(long = "memory-reservation")]
    pub memory_reservation: Option<String>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long = "memory-swap", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Number of CPUs
    #[arg(long)]
    pub cpus: Option<String>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long = "cpu-shares")]
    pub cpu_shares: Option<u64>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long = "pids-limit", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
}

impl ResourceFlags {
    /// The runtime's options; `--ulimit` is `run`'s alone.
    pub fn options(self, ulimits: Vec<String>) -> ResourceOptions {
        ResourceOptions {
            memory: self.memory,
            memory_reservation: self.memory_reservation,
            memory_swap: self.memory_swap,
            cpus: self.cpus,
            cpu_shares: self.cpu_shares,
            pids_limit: self.pids_limit,
            ulimits,
        }
    }
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

/// The flags of the container's process that `run` and `exec` share.
#[derive(Debug, Default, ClapArgs)]
pub struct ProcessFlags {
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Working directory inside the container
    #[arg(short = 'w', long = "workdir")]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long)]
    pub user: Option<String>,
}

impl From<ProcessFlags> for ProcessOptions {
    fn from(f: ProcessFlags) -> Self {
        ProcessOptions {
            interactive: f.interactive,
            tty: f.tty,
            env: f.env,
            env_files: f.env_file,
            user: f.user,
            workdir: f.workdir,
        }
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
    flags.host.check()?;
    flags.host.check_cidfile()?;
    let host = std::mem::take(&mut flags.host);
    let (image, mut opts) = run_options(flags)?;
    opts.detach = detach;
    opts.host = host.options();
    let mut labels = host.file_labels()?;
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
    host.write_cidfile(&cfg.id)?;
    Ok(cfg)
}

/// docker run's pull: "Unable to find image 'X' locally" when it is
/// missing, then `skiff pull`'s own progress and Digest/Status lines, all
/// on stderr so stdout keeps the container's output (or `-d`'s id).
fn auto_pull(g: &Globals, req: PullRequest<'_>, quiet: bool) -> anyhow::Result<()> {
    let t = Transfer::auto_pull(g, req.reference, quiet)?;
    if req.missing && !quiet {
        let familiar = skiff_store::normalize_reference(req.reference)
            .map(|r| r.familiar())
            .unwrap_or_else(|_| req.reference.to_string());
        t.say(&format!("Unable to find image '{familiar}' locally"));
    }
    pull_image(&t, req.platform.cloned()).map(|_| ())
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
        process: a.process.into(),
        detach: false,
        auto_remove: a.rm,
        init: a.init,
        name: a.name,
        entrypoint: a.entrypoint,
        group_add: a.group_add,
        hostname: a.hostname,
        add_hosts: a.add_host,
        labels: a.label,
        stop_signal: a.stop_signal,
        stop_timeout: a.stop_timeout,
        mounts: MountOptions {
            volumes: a.volume,
            mounts: a.mount,
            tmpfs: a.tmpfs,
            read_only: a.read_only,
        },
        resources: a.resources.options(a.ulimit),
        security: SecurityOptions {
            privileged: a.privileged,
            cap_add: a.cap_add,
            cap_drop: a.cap_drop,
            security_opts: a.security_opt,
        },
        network: NetworkOptions {
            network: a.network,
            publish: a.publish,
            publish_all: a.publish_all,
            aliases: a.network_alias,
        },
        host: Default::default(),
    };
    Ok((image, opts))
}
