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
    // In parallel, as docker does: a forced removal mostly waits for the
    // monitor to finish tearing down.
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = a
            .containers
            .iter()
            .map(|c| {
                let layout = &layout;
                let a = &a;
                scope.spawn(move || {
                    state::resolve(layout, c)
                        .and_then(|id| lifecycle::remove(layout, &id, a.force, a.volumes))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let mut code = 0;
    for (c, res) in a.containers.iter().zip(results) {
        match res {
            Ok(Ok(())) => println!("{c}"),
            Ok(Err(e)) => {
                eprintln!("Error response from daemon: {e}");
                code = 1;
            }
            Err(_) => code = 1,
        }
    }
    Ok(code)
}
