//! `skiff rm`: remove containers (their rootfs, cgroup, state and name).

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, state};

use super::each::{each_container, name, Containers, Order};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long)]
    pub volumes: bool,
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, mut a: Args) -> anyhow::Result<i32> {
    if a.force {
        // docker's `rm -f` reports a container that does not exist but
        // does not fail for it (scripts clean up with `rm -f name`).
        let layout = g.layout()?;
        a.containers
            .containers
            .retain(|n| match state::resolve(&layout, n) {
                Err(e @ skiff_runtime::Error::NoSuchContainer(_)) => {
                    crate::exit::warn(&format!("Error response from daemon: {e}"));
                    false
                }
                _ => true,
            });
    }
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
