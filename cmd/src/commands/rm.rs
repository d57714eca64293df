//! `skiff rm`: remove containers (their rootfs, cgroup, state and name).

use clap::Args as ClapArgs;
use skiff_runtime::lifecycle;

use super::each::{each_container, name, Containers, Order};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long = "volumes")]
    pub volumes: bool,
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    // In parallel, as docker does: a forced removal mostly waits for the
    // monitor to finish tearing down.
    each_container(
        g,
        &a.containers,
        Order::Parallel,
        |layout, id| lifecycle::remove(layout, id, a.force, a.volumes),
        name,
    )
}
