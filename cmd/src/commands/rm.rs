//! `skiff rm`: remove containers (their rootfs, cgroup, state and name).

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, state, Layout};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long = "volumes")]
    pub volumes: bool,
    /// Container names or IDs
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let mut code = 0;
    for c in &a.containers {
        match state::resolve(&layout, c)
            .and_then(|id| lifecycle::remove(&layout, &id, a.force, a.volumes))
        {
            Ok(()) => println!("{c}"),
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                code = 1;
            }
        }
    }
    Ok(code)
}
