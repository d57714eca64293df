//! `skiff logout`.

use clap::Args as ClapArgs;

use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {}

pub fn run(_g: &Globals, _a: Args) -> anyhow::Result<i32> {
    super::not_yet("logout")
}
