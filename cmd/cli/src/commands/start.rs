//! `skiff start`: start stopped containers again (`-a` in the foreground).

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, state};

use super::each::{each_container, name, Containers, Order};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Attach STDOUT/STDERR and forward signals
    #[arg(short = 'a', long)]
    pub attach: bool,
    /// Attach container's STDIN
    #[arg(short = 'i', long)]
    pub interactive: bool,
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if a.attach || a.interactive {
        let [one] = a.containers.containers.as_slice() else {
            anyhow::bail!("you cannot start and attach multiple containers at once");
        };
        let layout = g.layout()?;
        let id = state::resolve(&layout, one)?;
        if !lifecycle::prepare_start(&layout, &id)? {
            return Ok(0);
        }
        return Err(lifecycle::exec_foreground(&layout, &id).into());
    }
    each_container(
        g,
        &a.containers,
        Order::Sequential,
        |layout, id| {
            if lifecycle::prepare_start(layout, id)? {
                lifecycle::start_detached(layout, id)?;
            }
            Ok(())
        },
        name,
    )
}
