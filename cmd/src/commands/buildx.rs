//! `skiff buildx`.

use clap::Subcommand;

use crate::globals::Globals;

#[derive(Debug, Subcommand)]
pub enum Command {}

pub fn run(_g: &Globals, c: Command) -> anyhow::Result<i32> {
    match c {}
}
