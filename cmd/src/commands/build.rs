//! `skiff build`: docker-classic `docker build` flags; `--check` is served by
//! the frontend alone (build_check.rs), everything else by the build solver.

use std::path::PathBuf;

use clap::Args as ClapArgs;

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
    #[arg(short = 'f', long = "file", value_name = "FILE")]
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
    #[arg(long = "no-cache-filter", value_name = "STAGE")]
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
    #[arg(long = "ssh", value_name = "SPEC")]
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

    /// Shorthand for "--output=type=docker"
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
    #[arg(long = "shm-size", value_name = "BYTES")]
    pub shm_size: Option<String>,

    /// Ulimit options
    #[arg(long = "ulimit", value_name = "ULIMIT")]
    pub ulimits: Vec<String>,

    /// Layer compression ("gzip" or "zstd")
    #[arg(long, default_value = "gzip", value_parser = ["gzip", "zstd"])]
    pub compression: String,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.check {
        return super::build_check::run(g, &a);
    }
    super::not_yet("build")
}
