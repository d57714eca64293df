//! `skiff exec`: run a command in a running container (libcontainer's
//! tenant, in skiff-runtime's single-threaded exec process).

use clap::Args as ClapArgs;
use skiff_runtime::exec::{exec_into, ExecRequest};
use skiff_runtime::{state, Layout};

use crate::exit::Failure;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Detached mode: run command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Set environment variables
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    pub env_file: Vec<std::path::PathBuf>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Give extended privileges to the command
    #[arg(long)]
    pub privileged: bool,
    /// CONTAINER COMMAND [ARG...]
    #[arg(
        value_name = "CONTAINER COMMAND [ARG...]",
        required = true,
        num_args = 2..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub target_and_command: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let id = state::resolve(&layout, &a.target_and_command[0])?;
    let rec = state::load(&layout, &id)?;
    if !rec.is_running() {
        return Err(Failure::new(125, format!("container {id} is not running")));
    }
    let mut env = Vec::new();
    for f in &a.env_file {
        env.extend(skiff_runtime::flags::read_env_file(f)?);
    }
    env.extend(
        a.env
            .iter()
            .filter_map(|e| skiff_runtime::flags::env_value(e)),
    );
    if let Some(w) = &a.workdir {
        if !w.starts_with('/') {
            return Err(anyhow::anyhow!(
                "the working directory '{w}' is invalid, it needs to be an absolute path"
            ));
        }
    }
    let req = ExecRequest {
        args: a.target_and_command[1..].to_vec(),
        env,
        user: a.user.unwrap_or_default(),
        workdir: a.workdir.unwrap_or_default(),
        tty: a.tty,
        interactive: a.interactive,
        detach: a.detach,
        privileged: a.privileged,
    };
    // Replaces this process; returns only on failure.
    Err(exec_into(&layout, &id, &req).into())
}
