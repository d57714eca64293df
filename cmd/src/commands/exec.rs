//! `skiff exec`: run a command in a running container (libcontainer's
//! tenant, in skiff-runtime's single-threaded exec process).

use clap::Args as ClapArgs;
use skiff_runtime::run::ExecOptions;
use skiff_runtime::Layout;

use super::run::{absolute_root, runtime_failure, ProcessFlags};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Detached mode: run command in the background
    #[arg(short = 'd', long)]
    pub detach: bool,
    #[command(flatten)]
    pub process: ProcessFlags,
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
    let layout = Layout::new(absolute_root(&g.root)?);
    let mut it = a.target_and_command.into_iter();
    let opts = ExecOptions {
        container: it.next().unwrap_or_default(),
        args: it.collect(),
        process: a.process.into(),
        detach: a.detach,
        privileged: a.privileged,
    };
    // Replaces this process; returns only on failure.
    Err(runtime_failure(skiff_runtime::exec::exec(&layout, opts)))
}
