//! `skiff wait`: block until containers stop; print their exit codes.

use clap::Args as ClapArgs;
use skiff_runtime::lifecycle;

use super::each::{each_container, Containers, Order};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    each_container(
        g,
        &a.containers,
        Order::Sequential,
        lifecycle::wait,
        |_, code| code.to_string(),
    )
}
