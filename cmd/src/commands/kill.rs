//! `skiff kill`: send a signal (SIGKILL by default) to running containers.

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, sig, state, Layout};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Signal to send to the container
    #[arg(short = 's', long, default_value = "KILL")]
    pub signal: String,
    /// Container names or IDs
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let signal =
        sig::parse(&a.signal).ok_or_else(|| anyhow::anyhow!("invalid signal: {}", a.signal))?;
    let mut code = 0;
    for c in &a.containers {
        match state::resolve(&layout, c).and_then(|id| lifecycle::kill(&layout, &id, signal)) {
            Ok(()) => println!("{c}"),
            Err(e) => {
                eprintln!("Error response from daemon: {e}");
                code = 1;
            }
        }
    }
    Ok(code)
}
