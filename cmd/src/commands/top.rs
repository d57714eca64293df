//! `skiff top`: the container's processes (skiff-runtime's `top` reads
//! them), in ps's columns.

use clap::Args as ClapArgs;
use skiff_runtime::{state, top};

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Container name or ID
    pub container: String,
    /// ps options (not supported: skiff reads /proc itself, the columns are fixed)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub ps_options: Vec<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    if !a.ps_options.is_empty() {
        return Err(crate::exit::unsupported(
            &format!("ps options ({})", a.ps_options.join(" ")),
            "skiff reads /proc itself and shows fixed columns",
        ));
    }
    let layout = g.layout()?;
    let id = state::resolve(&layout, &a.container)?;
    let procs = top::processes(&layout, &id)?;
    say!(
        "{:<10}{:<10}{:<10}{:<6}{:<10}CMD",
        "UID",
        "PID",
        "PPID",
        "C",
        "TIME"
    );
    for p in procs {
        let t = p.cpu_secs;
        let time = format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
        say!(
            "{:<10}{:<10}{:<10}{:<6}{:<10}{}",
            p.uid,
            p.pid,
            p.ppid,
            0,
            time,
            p.cmd
        );
    }
    Ok(0)
}
