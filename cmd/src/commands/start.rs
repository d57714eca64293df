//! `skiff start`: start stopped containers again (`-a` in the foreground).

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, state, Layout};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Attach STDOUT/STDERR and forward signals
    #[arg(short = 'a', long)]
    pub attach: bool,
    /// Attach container's STDIN
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Container names or IDs
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    if a.attach || a.interactive {
        if a.containers.len() != 1 {
            return Err(anyhow::anyhow!(
                "you cannot start and attach multiple containers at once"
            ));
        }
        let id = state::resolve(&layout, &a.containers[0])?;
        if !lifecycle::prepare_start(&layout, &id)? {
            return Ok(0);
        }
        return Err(lifecycle::exec_foreground(&layout, &id).into());
    }
    let mut code = 0;
    for c in &a.containers {
        let res = state::resolve(&layout, c).and_then(|id| {
            if !lifecycle::prepare_start(&layout, &id)? {
                return Ok(());
            }
            lifecycle::start_detached(&layout, &id).map(|_| ())
        });
        match res {
            Ok(()) => println!("{c}"),
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                code = 1;
            }
        }
    }
    Ok(code)
}
