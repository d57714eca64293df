//! `skiff update`: change containers' resource limits (`--cpus`,
//! `--cpu-shares`, `--memory`, `--memory-swap`, `--memory-reservation`,
//! `--pids-limit`), at once in a running container's cgroup and for its
//! next starts. `--restart` is not handled yet.

use clap::Args as ClapArgs;
use skiff_runtime::{flags, update};

use super::each::{each_container, name, Containers, Order};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Number of CPUs
    #[arg(long)]
    pub cpus: Option<String>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long)]
    pub cpu_shares: Option<u64>,
    /// Memory limit
    #[arg(short = 'm', long)]
    pub memory: Option<String>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long, allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Memory soft limit
    #[arg(long)]
    pub memory_reservation: Option<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long, allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    #[command(flatten)]
    pub containers: Containers,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let limits = update::Limits {
        memory: a
            .memory
            .as_deref()
            .map(|m| flags::parse_size("--memory", m))
            .transpose()?,
        memory_swap: a
            .memory_swap
            .as_deref()
            .map(flags::parse_swap)
            .transpose()?,
        memory_reservation: a
            .memory_reservation
            .as_deref()
            .map(|m| flags::parse_size("--memory-reservation", m))
            .transpose()?,
        nano_cpus: a.cpus.as_deref().map(flags::parse_cpus).transpose()?,
        cpu_shares: a.cpu_shares,
        pids_limit: a.pids_limit,
    };
    if limits.memory.is_none()
        && limits.memory_swap.is_none()
        && limits.memory_reservation.is_none()
        && limits.nano_cpus.is_none()
        && limits.cpu_shares.is_none()
        && limits.pids_limit.is_none()
    {
        return Err(crate::exit::Failure::new(
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
