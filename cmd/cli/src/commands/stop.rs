//! `skiff stop`: the stop signal, then SIGKILL after the timeout;
//! `skiff restart`: the same stop, then a detached start.

use clap::Args as ClapArgs;
use skiff_runtime::lifecycle::{self, StopOptions};

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
    stop_then(g, a, false)
}

pub fn restart(g: &Globals, a: Args) -> anyhow::Result<i32> {
    stop_then(g, a, true)
}

fn stop_then(g: &Globals, a: Args, start_again: bool) -> anyhow::Result<i32> {
    a.stop.check()?;
    // docker stops the containers it is given in parallel; so does skiff
    // (threads only wait and signal there). Restarting forks monitors:
    // one container at a time.
    let order = if start_again {
        Order::Sequential
    } else {
        Order::Parallel
    };
    each_container(
        g,
        &a.containers,
        order,
        |layout, id| {
            let how = StopOptions {
                timeout: a.stop.time,
                signal: a.stop.signal.as_deref(),
            };
            if start_again {
                skiff_runtime::restart::restart(layout, id, how)
            } else {
                lifecycle::stop(layout, id, how)
            }
        },
        name,
    )
}
