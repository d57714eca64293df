//! `skiff build --check`: parse and validate a Dockerfile without building,
//! reporting problems with `file:line` as `docker build --check` does.

use crate::globals::Globals;

pub fn run(_g: &Globals, _a: &super::build::Args) -> anyhow::Result<i32> {
    super::not_yet("build --check")
}
