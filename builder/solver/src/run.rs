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
