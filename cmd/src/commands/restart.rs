//! `skiff restart`: stop (with the timeout), then start detached.

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
    each_container(
        g,
        &a.containers,
        Order::Sequential,
        |layout, id| {
            lifecycle::stop_with(layout, id, a.stop.time, a.stop.signal.as_deref())?;
            if !lifecycle::prepare_start(layout, id)? {
                return Err(skiff_runtime::Error::Invalid(format!(
                    "container {id} did not stop"
                )));
            }
            skiff_runtime::state::update_state(&layout.container(id), true, |s| {
                s.restart_count += 1
            })?;
            lifecycle::start_detached(layout, id).map(|_| ())
        },
        name,
    )
}
