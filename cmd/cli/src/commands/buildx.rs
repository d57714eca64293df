//! `skiff buildx`: the shapes of `docker buildx` that tools such as faas-cli
//! call. skiff has one built-in builder, so `create`/`use`/`rm` succeed
//! without doing anything (idempotent) and `build` is `skiff build`.

use clap::{Args, Subcommand};

use crate::globals::Globals;

/// The one builder skiff has.
const BUILDER: &str = "skiff";

// Parsed once per process: the size of the build variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a build (same as `skiff build`)
    Build(super::build::Args),
    /// Create a new builder instance (a no-op: skiff has one built-in builder)
    Create(CreateArgs),
    /// Set the current builder instance (a no-op)
    Use(UseArgs),
    /// List builder instances
    Ls,
    /// Inspect current builder instance
    Inspect(InspectArgs),
    /// Remove a builder instance (a no-op)
    Rm(UseArgs),
    /// Stop builder instance (a no-op)
    Stop(InspectArgs),
    /// Show buildx version information
    Version,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Context or endpoint (ignored)
    pub context: Option<String>,
    /// Builder instance name
    #[arg(long)]
    pub name: Option<String>,
    /// Create/modify node with given name (ignored)
    #[arg(long)]
    pub node: Option<String>,
    /// Driver to use (ignored)
    #[arg(long)]
    pub driver: Option<String>,
    /// Options for the driver (ignored)
    #[arg(long)]
    pub driver_opt: Vec<String>,
    /// Fixed platforms for current node (ignored)
    #[arg(long)]
    pub platform: Vec<String>,
    /// BuildKit config file (ignored)
    #[arg(long)]
    pub config: Option<String>,
    /// BuildKit flags (ignored)
    #[arg(long)]
    pub buildkitd_flags: Option<String>,
    /// Set the current builder instance
    #[arg(long = "use")]
    pub use_: bool,
    /// Bootstrap builder after creation
    #[arg(long)]
    pub bootstrap: bool,
    /// Append a node to builder instead of changing it
    #[arg(long)]
    pub append: bool,
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// Builder name
    pub name: Option<String>,
    /// Set builder as default for current context
    #[arg(long)]
    pub default: bool,
    /// Builder persists context changes
    #[arg(long)]
    pub global: bool,
    /// Do not prompt / remove even if in use (accepted)
    #[arg(short, long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Builder name
    pub name: Option<String>,
    /// Ensure builder has booted before inspecting
    #[arg(long)]
    pub bootstrap: bool,
}

/// What this host builds for, as buildx lists a node's platforms: the
/// native ones first, then each a registered qemu handler emulates.
fn platforms() -> String {
    let host = skiff_store::Platform::host();
    let mut out = vec![host.clone()];
    // The platforms buildx's binfmt installer knows, in its order.
    for p in [
        "linux/amd64",
        "linux/386",
        "linux/arm64",
        "linux/riscv64",
        "linux/ppc64le",
        "linux/s390x",
        "linux/mips64le",
        "linux/loong64",
        "linux/arm/v7",
        "linux/arm/v6",
    ] {
        let Ok(p) = skiff_store::Platform::parse(p) else {
            continue;
        };
        if !out.contains(&p) && skiff_runtime::emulation::check(&p).is_ok() {
            out.push(p);
        }
    }
    out.iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn run(g: &Globals, c: Command) -> anyhow::Result<i32> {
    match c {
        Command::Build(a) => super::build::run(g, a),
        Command::Create(a) => {
            // docker prints the new builder's name.
            say!("{}", a.name.unwrap_or_else(|| BUILDER.to_string()));
            Ok(0)
        }
        Command::Use(_) | Command::Rm(_) | Command::Stop(_) => Ok(0),
        Command::Ls => {
            say!("NAME/NODE    DRIVER/ENDPOINT   STATUS    BUILDKIT   PLATFORMS");
            say!("{BUILDER}*       skiff                                  ");
            say!(
                " \\_ {BUILDER}    \\_ local         running   skiff      {}",
                platforms()
            );
            Ok(0)
        }
        Command::Inspect(a) => {
            // One builder, whatever it was created as: a name faas-cli gave
            // `create --name` is this one.
            let name = a.name.unwrap_or_else(|| BUILDER.to_string());
            say!("Name:          {name}");
            say!("Driver:        skiff (built in, no daemon)");
            say!();
            say!("Nodes:");
            say!("Name:          {name}");
            say!("Endpoint:      local");
            say!("Status:        running");
            say!("Platforms:     {}", platforms());
            Ok(0)
        }
        Command::Version => {
            say!(
                "skiff buildx-compatible builder {}",
                env!("CARGO_PKG_VERSION")
            );
            Ok(0)
        }
    }
}
