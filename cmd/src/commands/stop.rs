//! `skiff stop`: the stop signal, then SIGKILL after the timeout.

use clap::Args as ClapArgs;
use skiff_runtime::lifecycle;

use super::each::{each_container, name, Containers, Order, StopArgs};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub stop: StopArgs,
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    a.stop.check()?;
    // docker stops the containers it is given in parallel; so does skiff
    // (threads only wait and signal here, no container is started).
    each_container(
        g,
        &a.containers,
        Order::Parallel,
        |layout, id| lifecycle::stop_with(layout, id, a.stop.time, a.stop.signal.as_deref()),
        name,
    )
}
