//! What `docker run` and `docker exec` were asked for, as the CLI parsed
//! it: typed, free of clap, and still in docker's syntax where a value has
//! one (`32m`, `/src:/dst:ro`, `nofile=1024:2048`). The runtime turns these
//! into a [`crate::ContainerConfig`] (see [`super::create`]) so that every
//! rule docker applies to run flags lives in one place, and every error
//! names the flag ([`crate::flags`]).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
pub use skiff_core::Platform;

use crate::config::Dns;
use crate::error::{Error, Result};
use crate::flags;

/// The process flags `run` and `exec` share.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ProcessOptions {
    /// `-i`: keep stdin open.
    pub interactive: bool,
    /// `-t`: a pseudo-terminal.
    pub tty: bool,
    /// `-e KEY=VALUE` or `-e KEY` (taken from skiff's own environment).
    pub env: Vec<String>,
    /// `--env-file`
    pub env_files: Vec<PathBuf>,
    /// `-u name|uid[:group|gid]`
    pub user: Option<String>,
    /// `-w`
    pub workdir: Option<String>,
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

/// Resource flags: `-m`, `--memory-reservation`, `--memory-swap`, `--cpus`,
/// `-c`, `--pids-limit`, `--ulimit`.
#[derive(Debug, Clone, Default)]
pub struct ResourceOptions {
    pub memory: Option<String>,
    pub memory_reservation: Option<String>,
    /// A size, or -1 for unlimited swap.
    pub memory_swap: Option<String>,
    pub cpus: Option<String>,
    pub cpu_shares: Option<u64>,
    /// -1 (or 0) for unlimited.
    pub pids_limit: Option<i64>,
    pub ulimits: Vec<String>,
}

/// Security flags: `--privileged`, `--cap-add`, `--cap-drop`, `--security-opt`.
#[derive(Debug, Clone, Default)]
pub struct SecurityOptions {
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub security_opts: Vec<String>,
}

/// Network flags: `--network`, `-p`, `-P`, `--network-alias`.
#[derive(Debug, Clone, Default)]
pub struct NetworkOptions {
    /// bridge (default), host, none, or a user network's name or id.
    pub network: Option<String>,
    pub publish: Vec<String>,
    pub publish_all: bool,
    pub aliases: Vec<String>,
}

/// Mount flags: `-v`, `--mount`, `--tmpfs`, `--read-only`.
#[derive(Debug, Clone, Default)]
pub struct MountOptions {
    pub volumes: Vec<String>,
    pub mounts: Vec<String>,
    pub tmpfs: Vec<String>,
    pub read_only: bool,
}

/// docker's HostConfig flags that are neither resources nor mounts:
/// `--restart`, `--log-driver`, `--log-opt`, `--dns`, `--dns-search`,
/// `--dns-option`, `--sysctl`, `--shm-size`, `--oom-score-adj`, `--pid`,
/// `--ipc`, `--uts`.
#[derive(Debug, Clone, Default)]
pub struct HostOptions {
    pub restart: Option<String>,
    pub log_driver: Option<String>,
    pub log_opts: Vec<String>,
    pub dns: Dns,
    pub sysctls: Vec<String>,
    pub shm_size: Option<String>,
    pub oom_score_adj: Option<i32>,
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub uts: Option<String>,
    pub health: HealthOptions,
}

/// `--health-cmd`, `--health-interval`, `--health-timeout`,
/// `--health-start-period`, `--health-start-interval` (Go durations),
/// `--health-retries`, `--no-healthcheck`.
#[derive(Debug, Clone, Default)]
pub struct HealthOptions {
    pub cmd: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    pub start_interval: Option<String>,
    pub retries: Option<i64>,
    pub disable: bool,
}

/// Everything `docker run` takes besides the global options and the image.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The arguments after the image (they replace its Cmd).
    pub command: Vec<String>,
    pub process: ProcessOptions,
    /// `-d`
    pub detach: bool,
    /// `--rm`
    pub auto_remove: bool,
    /// `--init`
    pub init: bool,
    pub name: Option<String>,
    /// `--entrypoint` (empty: none at all).
    pub entrypoint: Option<String>,
    pub group_add: Vec<String>,
    /// `-h`, possibly with a domain (`host.example.com`).
    pub hostname: Option<String>,
    /// `--add-host name:ip`
    pub add_hosts: Vec<String>,
    /// `--label k=v`
    pub labels: Vec<String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<i64>,
    pub mounts: MountOptions,
    pub resources: ResourceOptions,
    pub security: SecurityOptions,
    pub network: NetworkOptions,
    pub host: HostOptions,
}

/// Everything `docker exec` takes (and, resolved, what the CLI hands the
/// exec entry).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExecOptions {
    /// The container's name or (a prefix of) its id.
    pub container: String,
    pub args: Vec<String>,
    pub process: ProcessOptions,
    /// `-d`
    pub detach: bool,
    /// `--privileged` (for this command only).
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
