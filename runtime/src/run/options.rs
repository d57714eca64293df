//! What `docker run` and `docker exec` were asked for, as the CLI parsed
//! it: typed, and still in docker's syntax where a value has one (`32m`,
//! `/src:/dst:ro`, `nofile=1024:2048`). The runtime turns these into a
//! [`crate::ContainerConfig`] (see [`super::create`]) so that every rule
//! docker applies to run flags lives in one place, and every error names
//! the flag ([`crate::flags`]).
//!
//! With the `clap` feature (only skiff's CLI enables it) these structs are
//! also the flags themselves: each flag, its docker name, aliases and help
//! text is declared once, on the field it fills. The doc comment on a
//! field is its help text, so explanations beyond docker's wording are
//! plain comments.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
pub use skiff_core::Platform;

use crate::config::Dns;
use crate::error::{Error, Result};
use crate::flags;

/// The process flags `run` and `exec` share.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ProcessOptions {
    /// Keep STDIN open even if not attached
    #[cfg_attr(feature = "clap", arg(short = 'i', long))]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[cfg_attr(feature = "clap", arg(short = 't', long))]
    pub tty: bool,
    /// Set environment variables
    // `-e KEY` alone takes the value from skiff's own environment.
    #[cfg_attr(feature = "clap", arg(short = 'e', long, value_name = "KEY=VALUE"))]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[cfg_attr(feature = "clap", arg(long = "env-file", value_name = "FILE"))]
    pub env_files: Vec<PathBuf>,
    /// Working directory inside the container
    #[cfg_attr(feature = "clap", arg(short = 'w', long))]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[cfg_attr(feature = "clap", arg(short = 'u', long))]
    pub user: Option<String>,
}

impl ProcessOptions {
    /// The environment the flags add: `--env-file` lines first, then `-e`
    /// values, so that a later one wins when merged.
    pub fn env_overrides(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        for f in &self.env_files {
            out.extend(flags::read_env_file(f)?);
        }
        out.extend(self.env.iter().filter_map(|e| flags::env_value(e)));
        Ok(out)
    }

    /// `-w`, which docker refuses unless it is absolute.
    pub fn checked_workdir(&self) -> Result<Option<&str>> {
        match self.workdir.as_deref() {
            Some(w) if !w.starts_with('/') => Err(Error::Invalid(format!(
                "the working directory '{w}' is invalid, it needs to be an absolute path"
            ))),
            w => Ok(w),
        }
    }
}

/// Where the container's image comes from.
#[derive(Debug, Clone)]
pub enum ImageSource {
    /// An image in skiff's store, by reference or id; `pull` says when to
    /// fetch it first, `platform` (`--platform`) which one it must be.
    Store {
        reference: String,
        pull: Pull,
        platform: Option<Platform>,
    },
    /// `--rootfs DIR`: a directory used as the (read-only) lower layer.
    RootfsDir(String),
}

/// `--pull`: docker's policy for fetching the image before the container
/// is created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Pull {
    /// Pull when the image (for the platform) is not in the store: docker's default.
    #[default]
    Missing,
    /// Pull every time, to pick up a newer image behind the tag.
    Always,
    /// Never pull: a missing image is an error.
    Never,
}

impl std::str::FromStr for Pull {
    type Err = Error;

    fn from_str(s: &str) -> Result<Pull> {
        match s {
            "missing" => Ok(Pull::Missing),
            "always" => Ok(Pull::Always),
            "never" => Ok(Pull::Never),
            // docker's wording.
            other => Err(Error::Invalid(format!(
                "invalid pull option: '{other}': must be one of \"always\", \"missing\" or \"never\""
            ))),
        }
    }
}

/// What the runtime asks of its [`Fetch`]: put `reference` (for `platform`,
/// or the host's) into the store.
#[derive(Debug, Clone, Copy)]
pub struct PullRequest<'a> {
    pub reference: &'a str,
    pub platform: Option<&'a Platform>,
    /// True when the image is not in the store (docker then says "Unable
    /// to find image locally"); false for `--pull=always`.
    pub missing: bool,
}

/// The CLI's registry client as the runtime sees it. The runtime decides
/// when an image must be pulled (docker's `--pull` rules, next to the
/// lookup that decides whether the image is there); it knows no registry,
/// so the pull itself is the caller's.
pub type Fetch<'f> = dyn FnMut(PullRequest<'_>) -> Result<()> + 'f;

/// The cgroup limits `run`/`create` and `update` share: `-m`,
/// `--memory-reservation`, `--memory-swap`, `--cpus`, `-c`, `--pids-limit`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ResourceOptions {
    /// Memory limit
    #[cfg_attr(feature = "clap", arg(short = 'm', long))]
    pub memory: Option<String>,
    /// Memory soft limit
    #[cfg_attr(feature = "clap", arg(long))]
    pub memory_reservation: Option<String>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[cfg_attr(feature = "clap", arg(long, allow_hyphen_values = true))]
    pub memory_swap: Option<String>,
    /// Number of CPUs
    #[cfg_attr(feature = "clap", arg(long))]
    pub cpus: Option<String>,
    /// CPU shares (relative weight)
    #[cfg_attr(feature = "clap", arg(short = 'c', long))]
    pub cpu_shares: Option<u64>,
    /// Tune container pids limit (set -1 for unlimited)
    // 0 is unlimited too.
    #[cfg_attr(feature = "clap", arg(long, allow_hyphen_values = true))]
    pub pids_limit: Option<i64>,
}

/// Security flags: `--cap-add`, `--cap-drop`, `--privileged`, `--security-opt`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct SecurityOptions {
    /// Add Linux capabilities
    #[cfg_attr(feature = "clap", arg(long))]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[cfg_attr(feature = "clap", arg(long))]
    pub cap_drop: Vec<String>,
    /// Give extended privileges to this container
    #[cfg_attr(feature = "clap", arg(long))]
    pub privileged: bool,
    /// Security Options (seccomp=unconfined|FILE, no-new-privileges)
    #[cfg_attr(
        feature = "clap",
        arg(long = "security-opt", value_name = "SECURITY_OPT")
    )]
    pub security_opts: Vec<String>,
}

/// Network flags: `--network`, `-p`, `-P`, `--network-alias`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct NetworkOptions {
    /// Connect a container to a network (bridge, host, none, or a user network)
    // None: bridge, docker's default; a user network by name or id.
    #[cfg_attr(feature = "clap", arg(long, alias = "net"))]
    pub network: Option<String>,
    /// Publish a container's port(s) to the host
    #[cfg_attr(feature = "clap", arg(short = 'p', long))]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[cfg_attr(feature = "clap", arg(short = 'P', long))]
    pub publish_all: bool,
    /// Add network-scoped alias for the container
    #[cfg_attr(
        feature = "clap",
        arg(
            long = "network-alias",
            alias = "net-alias",
            value_name = "NETWORK_ALIAS"
        )
    )]
    pub aliases: Vec<String>,
}

/// Mount flags: `-v`, `--mount`, `--tmpfs`, `--read-only`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct MountOptions {
    /// Bind mount a volume (SRC:DST[:ro], NAME:DST, or DST for an anonymous volume)
    #[cfg_attr(
        feature = "clap",
        arg(short = 'v', long = "volume", value_name = "VOLUME")
    )]
    pub volumes: Vec<String>,
    /// Attach a filesystem mount (type=bind|volume|tmpfs,source=,target=,readonly)
    #[cfg_attr(feature = "clap", arg(long = "mount", value_name = "MOUNT"))]
    pub mounts: Vec<String>,
    /// Mount a tmpfs directory (PATH[:OPTIONS])
    #[cfg_attr(feature = "clap", arg(long))]
    pub tmpfs: Vec<String>,
    /// Mount the container's root filesystem as read only
    #[cfg_attr(feature = "clap", arg(long))]
    pub read_only: bool,
}

/// docker's HostConfig flags that are neither resources nor mounts:
/// `--restart`, `--log-driver`, `--log-opt`, `--dns`, `--dns-search`,
/// `--dns-option`, `--sysctl`, `--shm-size`, `--oom-score-adj`, `--pid`,
/// `--ipc`, `--uts`, and the health check's.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct HostOptions {
    /// Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:N])
    #[cfg_attr(feature = "clap", arg(long))]
    pub restart: Option<String>,
    /// Logging driver for the container (json-file, local, none)
    #[cfg_attr(feature = "clap", arg(long))]
    pub log_driver: Option<String>,
    /// Log driver options (max-size, max-file)
    #[cfg_attr(feature = "clap", arg(long = "log-opt", value_name = "LOG_OPT"))]
    pub log_opts: Vec<String>,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub dns: Dns,
    /// Sysctl options (namespaced ones: net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*)
    #[cfg_attr(feature = "clap", arg(long = "sysctl", value_name = "SYSCTL"))]
    pub sysctls: Vec<String>,
    /// Size of /dev/shm
    #[cfg_attr(feature = "clap", arg(long))]
    pub shm_size: Option<String>,
    /// Tune host's OOM preferences (-1000 to 1000)
    #[cfg_attr(feature = "clap", arg(long, allow_hyphen_values = true))]
    pub oom_score_adj: Option<i32>,
    /// PID namespace to use (host)
    #[cfg_attr(feature = "clap", arg(long))]
    pub pid: Option<String>,
    /// IPC mode to use (host, private, shareable)
    #[cfg_attr(feature = "clap", arg(long))]
    pub ipc: Option<String>,
    /// UTS namespace to use (host)
    #[cfg_attr(feature = "clap", arg(long))]
    pub uts: Option<String>,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub health: HealthOptions,
}

/// The health check's flags; the durations in Go's syntax.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct HealthOptions {
    // Each field is named as its flag, so clap derives the flag and its
    // value name (`--health-interval HEALTH_INTERVAL`) from the name alone.
    /// Command to run to check health
    #[cfg_attr(feature = "clap", arg(long))]
    pub health_cmd: Option<String>,
    /// Time between running the check (ms|s|m|h) (default 0s)
    #[cfg_attr(feature = "clap", arg(long))]
    pub health_interval: Option<String>,
    /// Maximum time to allow one check to run (ms|s|m|h) (default 0s)
    #[cfg_attr(feature = "clap", arg(long))]
    pub health_timeout: Option<String>,
    /// Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)
    #[cfg_attr(feature = "clap", arg(long))]
    pub health_start_period: Option<String>,
    /// Time between running the check during the start period (ms|s|m|h) (default 0s)
    #[cfg_attr(feature = "clap", arg(long))]
    pub health_start_interval: Option<String>,
    /// Consecutive failures needed to report unhealthy
    #[cfg_attr(feature = "clap", arg(long, allow_hyphen_values = true))]
    pub health_retries: Option<i64>,
    /// Disable any container-specified HEALTHCHECK
    #[cfg_attr(feature = "clap", arg(long))]
    pub no_healthcheck: bool,
}

/// Everything `docker run` takes besides the global options and the image.
/// With the `clap` feature these are `run`'s flags, in the order its help
/// lists them; the CLI fills in the skipped fields (and the image, pull
/// and host flags it lists after the network ones).
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct RunOptions {
    /// The arguments after the image (they replace its Cmd).
    #[cfg_attr(feature = "clap", arg(skip))]
    pub command: Vec<String>,
    /// `-d`
    #[cfg_attr(feature = "clap", arg(skip))]
    pub detach: bool,
    /// Automatically remove the container and its anonymous volumes when it exits
    #[cfg_attr(feature = "clap", arg(id = "rm", long = "rm"))]
    pub auto_remove: bool,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub process: ProcessOptions,
    /// Assign a name to the container
    #[cfg_attr(feature = "clap", arg(long))]
    pub name: Option<String>,
    /// Add additional groups to join
    #[cfg_attr(feature = "clap", arg(long))]
    pub group_add: Vec<String>,
    /// Overwrite the default ENTRYPOINT of the image
    // An empty one: no entrypoint at all.
    #[cfg_attr(feature = "clap", arg(long, allow_hyphen_values = true))]
    pub entrypoint: Option<String>,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub mounts: MountOptions,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub resources: ResourceOptions,
    /// Ulimit options (type=soft[:hard])
    #[cfg_attr(feature = "clap", arg(long = "ulimit", value_name = "ULIMIT"))]
    pub ulimits: Vec<String>,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub security: SecurityOptions,
    /// Run an init inside the container that forwards signals and reaps processes
    #[cfg_attr(feature = "clap", arg(long))]
    pub init: bool,
    /// Container host name
    // Possibly with a domain (`host.example.com`).
    #[cfg_attr(feature = "clap", arg(short = 'h', long))]
    pub hostname: Option<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[cfg_attr(feature = "clap", arg(long = "add-host", value_name = "ADD_HOST"))]
    pub add_hosts: Vec<String>,
    /// Set meta data on a container
    #[cfg_attr(
        feature = "clap",
        arg(short = 'l', long = "label", value_name = "LABEL")
    )]
    pub labels: Vec<String>,
    /// Signal to stop the container
    #[cfg_attr(feature = "clap", arg(long))]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) to stop a container
    #[cfg_attr(feature = "clap", arg(long, allow_hyphen_values = true))]
    pub stop_timeout: Option<i64>,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub network: NetworkOptions,
    #[cfg_attr(feature = "clap", arg(skip))]
    pub host: HostOptions,
}

/// Everything `docker exec` takes (and, resolved, what the CLI hands the
/// exec entry); with the `clap` feature, `exec`'s flags.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ExecOptions {
    /// The container's name or (a prefix of) its id.
    #[cfg_attr(feature = "clap", arg(skip))]
    pub container: String,
    #[cfg_attr(feature = "clap", arg(skip))]
    pub args: Vec<String>,
    /// Detached mode: run command in the background
    #[cfg_attr(feature = "clap", arg(short = 'd', long))]
    pub detach: bool,
    #[cfg_attr(feature = "clap", command(flatten))]
    pub process: ProcessOptions,
    /// Give extended privileges to the command
    #[cfg_attr(feature = "clap", arg(long))]
    pub privileged: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_takes_dockers_three_words_only() {
        assert_eq!("missing".parse::<Pull>().unwrap(), Pull::Missing);
        assert_eq!("always".parse::<Pull>().unwrap(), Pull::Always);
        assert_eq!("never".parse::<Pull>().unwrap(), Pull::Never);
        assert_eq!(Pull::default(), Pull::Missing);
        let e = "Always".parse::<Pull>().unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid pull option: 'Always': must be one of \"always\", \"missing\" or \"never\""
        );
    }
}
