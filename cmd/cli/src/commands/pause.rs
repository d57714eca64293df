//! `skiff pause` / `skiff unpause`: freeze and thaw all processes of
//! containers (the cgroup freezer, see skiff-runtime's `pause`).

use clap::Args as ClapArgs;
use skiff_runtime::pause;

use super::each::{each_container, name, Containers, Order};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    each_container(g, &a.containers, Order::Sequential, pause::pause, name)
}

pub fn unpause(g: &Globals, a: Args) -> anyhow::Result<i32> {
    each_container(g, &a.containers, Order::Sequential, pause::unpause, name)
}
