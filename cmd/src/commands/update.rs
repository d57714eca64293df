//! `skiff update`: change containers' resource limits (`--cpus`,
//! `--cpu-shares`, `--memory`, `--memory-swap`, `--memory-reservation`,
//! `--pids-limit`), at once in a running container's cgroup and for its
//! next starts. `--restart` is not handled yet.

use clap::Args as ClapArgs;
use skiff_runtime::update;

use super::each::{each_container, name, Containers, Order};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub resources: super::run::ResourceFlags,
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let limits = update::Limits::parse(&a.resources.options(Vec::new()))?;
    if limits.is_empty() {
        return Err(crate::exit::Failure::new(
            1,
            "you must provide one or more flags when using this command",
        ));
    }
    each_container(
        g,
        &a.containers,
        Order::Sequential,
        |layout, id| update::update(layout, id, &limits),
        name,
    )
}
