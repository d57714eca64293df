//! `skiff exec`: run a command in a running container (libcontainer's
//! tenant, in skiff-runtime's single-threaded exec process).

use clap::Args as ClapArgs;
use skiff_runtime::run::ExecOptions;

use super::run::{runtime_failure, Target, TargetAndCommand};
use crate::globals::Globals;

/// `exec`'s flags are the runtime's [`ExecOptions`] (its `clap` feature).
#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub opts: ExecOptions,
    #[command(flatten)]
    pub target_and_command: TargetAndCommand<Container>,
}

/// `exec`'s target: a running container, and the command (required).
#[derive(Debug, Default)]
pub struct Container;

impl Target for Container {
    const VALUE_NAME: &'static str = "CONTAINER COMMAND [ARG...]";
    const MIN_WORDS: usize = 2;
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    let (container, args) = a.target_and_command.split();
    let opts = ExecOptions {
        container,
        args,
        ..a.opts
    };
    // Replaces this process; returns only on failure. A missing container
    // keeps its type: docker exits 1 for it, not 125 (exit::report).
    Err(match skiff_runtime::exec::exec(&layout, opts) {
        e @ skiff_runtime::Error::NoSuchContainer(_) => e.into(),
        e => runtime_failure(e),
    })
}
