//! `skiff update`: change containers' resource limits (`--cpus`,
//! `--cpu-shares`, `--memory`, `--memory-swap`, `--memory-reservation`,
//! `--pids-limit`), at once in a running container's cgroup and for its
//! next starts, and the restart policy (`--restart`) the monitor's next
//! decision follows.

use clap::Args as ClapArgs;
use skiff_runtime::restart_policy::RestartPolicy;
use skiff_runtime::run::ResourceOptions;
use skiff_runtime::update;

use super::each::{each_container, name, Containers, Order};
use crate::exit::Failure;
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    #[command(flatten)]
    pub resources: ResourceOptions,
    /// Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:N])
    #[arg(long)]
    pub restart: Option<String>,
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let mut limits = update::Limits::parse(&a.resources)?;
    if let Some(r) = a.restart.as_deref() {
        let policy = RestartPolicy::parse(r).map_err(|e| Failure::new(1, e.to_string()))?;
        limits.restart = Some(policy);
    }
    if limits.is_empty() {
        return Err(Failure::new(
            1,
            "you must provide one or more flags when using this command",
        ));
    }
    each_container(
        g,
        &a.containers,
        Order::Sequential,
        |layout, id| update::update(layout, id, &limits),
        name,
    )
}
