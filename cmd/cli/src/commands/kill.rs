//! `skiff kill`: send a signal (SIGKILL by default) to running containers.

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, sig};

use super::each::{each_container, name, Containers, Order};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Signal to send to the container
    #[arg(short = 's', long, default_value = "KILL")]
    pub signal: String,
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let signal =
        sig::parse(&a.signal).ok_or_else(|| anyhow::anyhow!("invalid signal: {}", a.signal))?;
    each_container(
        g,
        &a.containers,
        Order::Sequential,
        |layout, id| lifecycle::kill(layout, id, signal),
        name,
    )
}
