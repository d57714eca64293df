//! RUN steps: what the solver needs from a container runtime, as a trait so
//! the solver does not depend on how containers are started. skiff's CLI
//! supplies the implementation backed by skiff-runtime.

use std::path::PathBuf;

/// One RUN mount, resolved to host paths.
#[derive(Debug, Clone)]
pub struct RunMount {
    /// "bind", "tmpfs" (source unused) or "secret" (a bind of a file that
    /// never goes into a layer).
    pub kind: String,
    pub source: PathBuf,
    pub target: String,
    pub read_only: bool,
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
    /// "default" (the default bridge network), "host" or "none".
    pub network: String,
    pub mounts: Vec<RunMount>,
    pub add_hosts: Vec<String>,
}

/// How a RUN ended.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub exit_code: i32,
}

/// Runs RUN commands. `output` receives each line of stdout/stderr as it
/// comes.
pub trait RunExecutor: Send + Sync {
    fn run(&self, req: &RunRequest, output: &mut dyn FnMut(&str)) -> Result<RunOutcome, String>;
}
