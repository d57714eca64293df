//! `skiff wait`: block until containers stop; print their exit codes.

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, state, Layout};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Container names or IDs
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let mut code = 0;
    for c in &a.containers {
        match state::resolve(&layout, c).and_then(|id| lifecycle::wait(&layout, &id)) {
            Ok(exit) => println!("{exit}"),
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                code = 1;
            }
        }
    }
    Ok(code)
}
