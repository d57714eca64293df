//! `skiff stop`: the stop signal, then SIGKILL after the timeout.

use clap::Args as ClapArgs;
use skiff_runtime::{lifecycle, state, Layout};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Seconds to wait before killing the container
    #[arg(
        short = 't',
        long = "time",
        visible_alias = "timeout",
        allow_hyphen_values = true
    )]
    pub time: Option<i64>,
    /// Signal to send to the container
    #[arg(short = 's', long)]
    pub signal: Option<String>,
    /// Container names or IDs
    #[arg(required = true)]
    pub containers: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = Layout::new(super::run::absolute_root(&g.root)?);
    let mut code = 0;
    for c in &a.containers {
        let res = state::resolve(&layout, c).and_then(|id| {
            if let Some(s) = &a.signal {
                if skiff_runtime::sig::parse(s).is_none() {
                    return Err(skiff_runtime::Error::Invalid(format!(
                        "invalid signal: {s}"
                    )));
                }
            }
            lifecycle::stop_with(&layout, &id, a.time, a.signal.as_deref())
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
