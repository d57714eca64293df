//! The command tree: docker-classic top-level commands plus the `image`,
//! `container`, `system`, `volume` management groups that map onto the same
//! implementations.

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::commands::*;
use crate::globals::{GlobalArgs, Globals};

#[derive(Debug, Parser)]
#[command(
    name = "skiff",
    version,
    about = "Build, run, push and list OCI container images with no daemon",
    disable_version_flag = true,
    // docker accepts flags after positionals (`docker push img --quiet`).
    args_override_self = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// Set the logging level (--log-level). Before the command only, as
    /// docker's: after `run` and `create`, `-l` is --label.
    #[arg(short = 'l', value_name = "LEVEL")]
    pub log_level_short: Option<String>,

    /// Print version information and quit
    #[arg(short = 'v', long, global = false)]
    pub version: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

// One value per process, parsed once: variant sizes don't matter here.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    // --- images -----------------------------------------------------------
    #[command(flatten)]
    ImageOps(ImageOps),
    /// List images
    Images(images::Args),
    /// Remove one or more images
    Rmi(rmi::Args),
    /// Show the history of an image
    History(history::Args),
    /// Log in to a registry
    Login(login::Args),
    /// Log out from a registry
    Logout(logout::Args),
    /// Manage images
    #[command(subcommand)]
    Image(ImageCommand),

    // --- build --------------------------------------------------------------
    /// Manage the build cache
    #[command(subcommand)]
    Builder(builder::Command),
    /// docker buildx shapes that tools such as faas-cli call
    #[command(subcommand)]
    Buildx(buildx::Command),

    // --- containers ---------------------------------------------------------
    #[command(flatten)]
    ContainerOps(ContainerOps),
    /// List containers
    Ps(ps::Args),
    /// Remove one or more containers
    Rm(rm::Args),
    /// Manage containers
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Manage volumes
    #[command(subcommand)]
    Volume(volume::Command),
    /// Manage networks
    #[command(subcommand)]
    Network(network::Command),
    /// List port mappings or a specific mapping for the container
    Port(port::Args),

    // --- everything --------------------------------------------------------
    /// Return low-level information on images or containers
    Inspect(inspect::Args),
    /// Manage skiff's store
    #[command(subcommand)]
    System(system::Command),
    /// Show the skiff version information
    Version(version::Args),
    /// Display system-wide information
    Info(info::Args),
    /// Get real time events from skiff's event log
    Events(events::Args),
    /// Generate the autocompletion script for the specified shell
    Completion(completion::Args),
    /// Developer tools (`debug parse FILE` dumps a Dockerfile's parse tree)
    #[command(subcommand, hide = true)]
    Debug(debug::Command),
}

/// Image commands docker has both at the top level and under `image`.
// One value per process, parsed once: variant sizes don't matter here.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ImageOps {
    /// Download an image from a registry
    Pull(pull::Args),
    /// Upload an image to a registry
    Push(push::Args),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(tag::Args),
    /// Import the contents from a tarball to create a filesystem image
    Import(import::Args),
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    Save(save::Args),
    /// Load an image from a tar archive or STDIN
    Load(load::Args),
    /// Build an image from a Dockerfile
    Build(build::Args),
}

// One value per process, parsed once: variant sizes don't matter here.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ImageCommand {
    /// List images
    #[command(visible_alias = "list")]
    Ls(images::Args),
    #[command(flatten)]
    Ops(ImageOps),
    /// Remove one or more images
    #[command(visible_alias = "remove")]
    Rm(rmi::Args),
    /// Display detailed information on one or more images
    Inspect(image_inspect::Args),
    /// Show the history of an image
    History(history::Args),
    /// Remove unused images
    Prune(image_prune::Args),
}

/// Container commands docker has both at the top level and under `container`.
// One value per process, parsed once: variant sizes don't matter here.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ContainerOps {
    /// Create and run a new container from an image
    Run(run::Args),
    /// Create a new container
    Create(create::Args),
    /// Attach to a running container's output (stdin is not attached yet)
    Attach(attach::Args),
    /// Fetch the logs of a container
    Logs(logs::Args),
    /// Execute a command in a running container
    Exec(exec::Args),
    /// Stop one or more running containers
    Stop(stop::Args),
    /// Kill one or more running containers
    Kill(kill::Args),
    /// Start one or more stopped containers
    Start(start::Args),
    /// Restart one or more containers
    Restart(stop::Args),
    /// Block until one or more containers stop, then print their exit codes
    Wait(wait::Args),
    /// Display the running processes of a container
    Top(top::Args),
    /// Display a live stream of container(s) resource usage statistics
    Stats(stats::Args),
    /// Rename a container
    Rename(rename::Args),
    /// Pause all processes within one or more containers
    Pause(pause::Args),
    /// Unpause all processes within one or more containers
    Unpause(pause::Args),
    /// Inspect changes to files or directories on a container's filesystem
    Diff(diff::Args),
    /// Export a container's filesystem as a tar archive
    Export(export::Args),
    /// Copy files/folders between a container and the local filesystem
    Cp(cp::Args),
    /// Create a new image from a container's changes
    Commit(commit::Args),
    /// Update configuration of one or more containers
    Update(update::Args),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ContainerCommand {
    /// List containers
    #[command(visible_aliases = ["list", "ps"])]
    Ls(ps::Args),
    #[command(flatten)]
    Ops(ContainerOps),
    /// Remove one or more containers
    #[command(visible_alias = "remove")]
    Rm(rm::Args),
    /// Display detailed information on one or more containers
    Inspect(inspect::Args),
    /// Remove all stopped containers
    Prune(container_prune::Args),
}

/// A parsed command line, ready to run.
pub struct Invocation {
    cli: Cli,
}

/// The command tree as argv is parsed with. Every subcommand's flags are
/// deferred (`#[command(defer = true)]`): clap adds them when the parser
/// enters that subcommand, or when the whole tree is built (help of a
/// group, completion scripts, man pages), so `skiff images` does not make
/// the ~1000 flags of the other ~100 commands (over a millisecond).
pub fn command() -> clap::Command {
    let mut cli = Cli::command();
    for (name, groups, flags) in DEFERRED_FLAGS {
        for group in groups {
            cli = match *group {
                "" => cli.mut_subcommand(name, |c| c.defer(flags)),
                g => cli.mut_subcommand(g, |g| g.mut_subcommand(name, |c| c.defer(flags))),
            };
        }
    }
    cli
}

/// What a deferred subcommand runs to make its flags.
type MakeFlags = fn(clap::Command) -> clap::Command;

/// The subcommands whose deferred flags the derive's own deferral would
/// get wrong, with what makes them instead, and the groups they are in
/// ("" is the top level). Their `Args` flatten a documented struct, whose
/// doc becomes the command's about when the flags are made after it (the
/// derive sets the variant's about first, then defers); and run, create
/// and exec's boolean flags take pflag's `--flag=true|false` (what scripts
/// and tools generate argv for). cli_command_tree checks every command's
/// about.
const DEFERRED_FLAGS: [(&str, &[&str], MakeFlags); 16] = [
    ("pull", &["", "image"], flags::<pull::Args>),
    ("push", &["", "image"], flags::<push::Args>),
    ("build", &["", "image"], flags::<build::Args>),
    ("login", &[""], flags::<login::Args>),
    ("run", &["", "container"], bool_flags::<run::Args>),
    ("create", &["", "container"], bool_flags::<create::Args>),
    ("exec", &["", "container"], bool_flags::<exec::Args>),
    ("stop", &["", "container"], flags::<stop::Args>),
    ("restart", &["", "container"], flags::<stop::Args>),
    ("kill", &["", "container"], flags::<kill::Args>),
    ("start", &["", "container"], flags::<start::Args>),
    ("wait", &["", "container"], flags::<wait::Args>),
    ("pause", &["", "container"], flags::<pause::Args>),
    ("unpause", &["", "container"], flags::<pause::Args>),
    ("update", &["", "container"], flags::<update::Args>),
    ("rm", &["", "container"], flags::<rm::Args>),
];

/// `T`'s flags on `c`, keeping the about `c` was given.
fn flags<T: clap::Args>(c: clap::Command) -> clap::Command {
    use clap::builder::Resettable;
    let kept = |s: Option<&clap::builder::StyledStr>| {
        s.cloned().map_or(Resettable::Reset, Resettable::Value)
    };
    let (about, long_about) = (kept(c.get_about()), kept(c.get_long_about()));
    T::augment_args(c).about(about).long_about(long_about)
}

/// [`flags`], with pflag's optional `=VALUE` on the boolean ones.
fn bool_flags<T: clap::Args>(c: clap::Command) -> clap::Command {
    crate::pflag::bool_values(flags::<T>(c))
}

/// Parse argv the docker way: clap's usage errors exit 125 like docker's
/// flag errors, help and version exit 0.
pub fn parse() -> Result<Invocation, i32> {
    let mut cmd = command();
    // Reached through a `docker` link, show `docker` in help and errors.
    if let Some(name) = invoked_as() {
        // clap wants a 'static name; this runs once per process.
        let name: &'static str = Box::leak(name.into_boxed_str());
        cmd = cmd.name(name).bin_name(name);
    }
    let matches = cmd.try_get_matches().map_err(|e| {
        if let Some(text) = crate::pflag::docker_text(&e) {
            crate::exit::warn(&text);
            return crate::exit::SKIFF_ERROR;
        }
        // The positionals of the command the error is about: the tree
        // built whole (an error path, so its cost does not matter).
        let mut tree = command();
        tree.build();
        let wrong_words =
            crate::pflag::args_text(&e, &tree).or_else(|| crate::pflag::unknown_command_text(&e));
        if let Some(text) = wrong_words {
            crate::exit::warn(&text);
            return 1;
        }
        if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            // `docker image` alone: the group's help on stdout, exit 0.
            crate::format::emit(&e.render().to_string());
            return 0;
        }
        let code = if !e.use_stderr() {
            0
        } else if crate::pflag::positional_value(&e) {
            // A word docker's command checks itself (`completion bogus`):
            // its CLI exits 1; a bad flag value stays pflag's 125.
            1
        } else {
            crate::exit::SKIFF_ERROR
        };
        let _ = e.print();
        code
    })?;
    let cli = Cli::from_arg_matches(&matches).map_err(|e| {
        let _ = e.print();
        crate::exit::SKIFF_ERROR
    })?;
    Ok(Invocation { cli })
}

fn invoked_as() -> Option<String> {
    let argv0 = std::env::args_os().next()?;
    let name = std::path::Path::new(&argv0)
        .file_name()?
        .to_str()?
        .to_string();
    (name != "skiff").then_some(name)
}

impl Invocation {
    /// `started`: when main began, the zero of `--debug-timing`.
    pub fn run(self, started: u64) -> anyhow::Result<i32> {
        let mut cli = self.cli;
        if let Some(level) = cli.log_level_short.take() {
            cli.global.log_level = level;
        }
        if cli.global.debug_timing {
            skiff_core::timing::enable_from(started);
        }
        skiff_core::timing::mark("command line parsed");
        cli.global.init_logging()?;
        let g = cli.global.resolve();
        if cli.version {
            return version::run(&g, version::Args::default());
        }
        match cli.command {
            None => {
                let _ = command().print_help();
                Ok(0)
            }
            Some(command) => dispatch(&g, command),
        }
    }
}

fn dispatch(g: &Globals, command: Command) -> anyhow::Result<i32> {
    match command {
        Command::ImageOps(c) => c.run(g),
        Command::Images(a) => images::run(g, a),
        Command::Rmi(a) => rmi::run(g, a),
        Command::History(a) => history::run(g, a),
        Command::Login(a) => login::run(g, a),
        Command::Logout(a) => logout::run(g, a),
        Command::Image(c) => match c {
            ImageCommand::Ls(a) => images::run(g, a),
            ImageCommand::Ops(c) => c.run(g),
            ImageCommand::Rm(a) => rmi::run(g, a),
            ImageCommand::Inspect(a) => image_inspect::run(g, a),
            ImageCommand::History(a) => history::run(g, a),
            ImageCommand::Prune(a) => image_prune::run(g, a),
        },
        Command::Builder(c) => builder::run(g, c),
        Command::Buildx(c) => buildx::run(g, c),
        Command::ContainerOps(c) => c.run(g),
        Command::Ps(a) => ps::run(g, a),
        Command::Rm(a) => rm::run(g, a),
        Command::Container(c) => match c {
            ContainerCommand::Ls(a) => ps::run(g, a),
            ContainerCommand::Ops(c) => c.run(g),
            ContainerCommand::Rm(a) => rm::run(g, a),
            ContainerCommand::Inspect(a) => inspect::run(g, a),
            ContainerCommand::Prune(a) => container_prune::run(g, a),
        },
        Command::Volume(c) => volume::run(g, c),
        Command::Network(c) => network::run(g, c),
        Command::Port(a) => port::run(g, a),
        Command::Inspect(a) => inspect::run(g, a),
        Command::System(c) => system::run(g, c),
        Command::Version(a) => version::run(g, a),
        Command::Info(a) => info::run(g, a),
        Command::Events(a) => events::run(g, a),
        Command::Completion(a) => completion::run(g, a),
        Command::Debug(c) => debug::run(g, c),
    }
}

impl ImageOps {
    fn run(self, g: &Globals) -> anyhow::Result<i32> {
        match self {
            ImageOps::Pull(a) => pull::run(g, a),
            ImageOps::Push(a) => push::run(g, a),
            ImageOps::Tag(a) => tag::run(g, a),
            ImageOps::Import(a) => import::run(g, a),
            ImageOps::Save(a) => save::run(g, a),
            ImageOps::Load(a) => load::run(g, a),
            ImageOps::Build(a) => build::run(g, a),
        }
    }
}

impl ContainerOps {
    fn run(self, g: &Globals) -> anyhow::Result<i32> {
        match self {
            ContainerOps::Run(a) => run::run(g, a),
            ContainerOps::Create(a) => create::run(g, a),
            ContainerOps::Attach(a) => attach::run(g, a),
            ContainerOps::Logs(a) => logs::run(g, a),
            ContainerOps::Exec(a) => exec::run(g, a),
            ContainerOps::Stop(a) => stop::run(g, a),
            ContainerOps::Kill(a) => kill::run(g, a),
            ContainerOps::Start(a) => start::run(g, a),
            ContainerOps::Restart(a) => stop::restart(g, a),
            ContainerOps::Wait(a) => wait::run(g, a),
            ContainerOps::Top(a) => top::run(g, a),
            ContainerOps::Stats(a) => stats::run(g, a),
            ContainerOps::Rename(a) => rename::run(g, a),
            ContainerOps::Pause(a) => pause::run(g, a),
            ContainerOps::Unpause(a) => pause::unpause(g, a),
            ContainerOps::Diff(a) => diff::run(g, a),
            ContainerOps::Export(a) => export::run(g, a),
            ContainerOps::Cp(a) => cp::run(g, a),
            ContainerOps::Commit(a) => commit::run(g, a),
            ContainerOps::Update(a) => update::run(g, a),
        }
    }
}
