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
    // docker stops the containers it is given in parallel; so does skiff
    // (threads only wait and signal here, no container is started).
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = a
            .containers
            .iter()
            .map(|c| {
                let layout = &layout;
                let a = &a;
                scope.spawn(move || {
                    state::resolve(layout, c).and_then(|id| {
                        if let Some(s) = &a.signal {
                            if skiff_runtime::sig::parse(s).is_none() {
                                return Err(skiff_runtime::Error::Invalid(format!(
                                    "invalid signal: {s}"
                                )));
                            }
                        }
                        lifecycle::stop_with(layout, &id, a.time, a.signal.as_deref())
                    })
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
