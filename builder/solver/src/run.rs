//! RUN steps: what the solver asks of a container runtime.
//!
//! Why a trait: RUN is the one step that needs a container. The solver
//! describes it with a typed [`RunRequest`] (host paths, typed mounts and
//! network, no Dockerfile strings) and gets a typed [`RunOutcome`] back; it
//! never sees skiff-runtime's types. The build without containers (no RUN,
//! or a fake executor in tests) needs no root, and `skiff build` plugs in
//! [`crate::runtime_runner::RuntimeRunner`], backed by skiff-runtime.

use std::path::PathBuf;

/// One RUN mount, resolved to host paths. Cache mounts, secrets, context
/// and stage binds and the heredoc script are all binds of a host path by
/// the time they get here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunMount {
    Bind {
        source: PathBuf,
        target: String,
        read_only: bool,
    },
    /// An empty tmpfs, of at most `size` bytes when given.
    Tmpfs { target: String, size: Option<u64> },
}

impl RunMount {
    /// Where the mount appears in the container.
    pub fn target(&self) -> &str {
        match self {
            RunMount::Bind { target, .. } | RunMount::Tmpfs { target, .. } => target,
        }
    }
}

/// The network a RUN gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunNetwork {
    /// A namespace of its own on the default bridge, with outbound NAT.
    Bridge,
    Host,
    None,
}

/// Everything needed to run one RUN command.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Layer snapshot dirs, base first (overlay lower dirs).
    pub lower: Vec<PathBuf>,
    /// Empty directory that becomes the overlay upper dir; what it holds
    /// afterwards is the step's layer.
    pub upper: PathBuf,
    /// Empty scratch directory on the same filesystem (overlay workdir).
    pub work: PathBuf,
    /// argv, shell already prepended for the shell form.
    pub args: Vec<String>,
    /// `KEY=VALUE`.
    pub env: Vec<String>,
    /// USER (name or uid[:gid]), resolved by the runtime in the rootfs.
    pub user: String,
    pub workdir: String,
    pub network: RunNetwork,
    pub mounts: Vec<RunMount>,
    /// `--add-host` entries as (host, address).
    pub add_hosts: Vec<(String, String)>,
    /// The build's limits and security options.
    pub sandbox: RunSandbox,
}

/// What `skiff build` flags ask of every RUN's container: limits and
/// security options, already validated by the caller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSandbox {
    /// `--ulimit`: (name as docker spells it, soft, hard).
    pub ulimits: Vec<(String, u64, u64)>,
    /// `--shm-size` in bytes: the size of /dev/shm (docker's 64 MiB when None).
    pub shm_size: Option<u64>,
    /// `--memory` in bytes (0: none).
    pub memory: i64,
    /// `--memory-swap` as docker means it (memory + swap; -1 unlimited).
    pub memory_swap: i64,
    /// `--cpu-shares` (0: the default weight).
    pub cpu_shares: u64,
    /// `--security-opt` values (seccomp=, no-new-privileges, apparmor=, label=).
    pub security_opts: Vec<String>,
    /// `RUN --security=insecure` with `--allow security.insecure`: every
    /// capability, no seccomp, all devices (docker's `--privileged`).
    pub privileged: bool,
}

/// How a RUN ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub exit_code: i32,
}

/// Why a RUN could not be run at all (not: it ran and failed).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct RunError(pub String);

/// Runs RUN commands. `output` receives each line of stdout/stderr as it
/// comes.
pub trait RunExecutor: Send + Sync {
    fn run(&self, req: &RunRequest, output: &mut dyn FnMut(&str)) -> Result<RunOutcome, RunError>;
}
