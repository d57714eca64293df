//! `skiff create`: docker create, `run` without the start. The container
//! is registered with every flag `run` takes (the image pulled as `--pull`
//! says), its full id printed; `skiff start` starts it later.

use super::run::{create_container, Options};
use crate::globals::Globals;
use clap::Args as ClapArgs;

#[derive(Debug, Default, ClapArgs)]
#[command(disable_help_flag = true)]
pub struct Args {
    #[command(flatten)]
    pub opts: Box<Options>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let layout = g.layout()?;
    // `start` runs it in the background, under a monitor that keeps its
    // output for `logs` (`start -a` attaches instead).
    let cfg = create_container(g, &layout, *a.opts, true)?;
    say!("{}", cfg.id);
    Ok(0)
}
