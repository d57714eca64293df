//! `docker update`: change a container's resource limits and restart
//! policy. The new values are stored in `container.json` (so the next
//! start applies them, and the monitor's next restart decision reads the
//! policy from there) and, for a running container, limits are written to
//! its cgroup at once: v1 controllers (the hybrid layout included) or the
//! v2 unified files.

use std::path::Path;

use crate::cgroups;
use crate::error::{io_at, Error, Result};
use crate::flags;
use crate::paths::Layout;
use crate::restart_policy::RestartPolicy;
use crate::run::resources::MIN_MEMORY;
use crate::run::ResourceOptions;
use crate::state;

/// The limits (and `--restart` policy) `update` changes; None leaves one
/// as it is.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub memory: Option<i64>,
    pub memory_swap: Option<i64>,
    pub memory_reservation: Option<i64>,
    pub nano_cpus: Option<i64>,
    pub cpu_shares: Option<u64>,
    pub pids_limit: Option<i64>,
    pub restart: Option<RestartPolicy>,
}

impl Limits {
    /// `update`'s resource flags (`run`'s but `--ulimit`), in docker's
    /// syntax as `run` parses them. `--restart` is parsed apart: docker
    /// refuses a bad policy as the daemon's error (exit 1), a bad size as
    /// the flag's (exit 125).
    pub fn parse(o: &ResourceOptions) -> Result<Limits> {
        let size = |flag: &str, v: &Option<String>| {
            v.as_deref().map(|s| flags::parse_size(flag, s)).transpose()
        };
        Ok(Limits {
            memory: size("--memory", &o.memory)?,
            memory_swap: o
                .memory_swap
                .as_deref()
                .map(flags::parse_swap)
                .transpose()?,
            memory_reservation: size("--memory-reservation", &o.memory_reservation)?,
            nano_cpus: o.cpus.as_deref().map(flags::parse_cpus).transpose()?,
            cpu_shares: o.cpu_shares,
            pids_limit: o.pids_limit,
            restart: None,
        })
    }

    /// No limit given: docker refuses an `update` without one.
    pub fn is_empty(&self) -> bool {
        self.memory.is_none()
            && self.memory_swap.is_none()
            && self.memory_reservation.is_none()
            && self.nano_cpus.is_none()
            && self.cpu_shares.is_none()
            && self.pids_limit.is_none()
            && self.restart.is_none()
    }
}

const CFS_PERIOD: i64 = 100_000;

/// Apply `l` to container `id`.
pub fn update(layout: &Layout, id: &str, l: &Limits) -> Result<()> {
    let dir = layout.container(id);
    let _lock = state::lock(&dir)?;
    let mut cfg = state::load_config(&dir)?;
    if let Some(p) = l.restart {
        if cfg.auto_remove && !p.is_none() {
            return Err(Error::Invalid(
                "Restart policy cannot be updated because AutoRemove is enabled for the container"
                    .into(),
            ));
        }
        cfg.host.restart = p;
    }
    let r = &mut cfg.resources;
    if let Some(m) = l.memory {
        if m > 0 && m < MIN_MEMORY {
            return Err(Error::Invalid("Minimum memory limit allowed is 6MB".into()));
        }
        r.memory = m;
    }
    if let Some(s) = l.memory_swap {
        r.memory_swap = s;
    }
    if r.memory_swap > 0 && r.memory_swap < r.memory {
        return Err(Error::Invalid(
            "Minimum memoryswap limit should be larger than memory limit, see usage".into(),
        ));
    }
    if let Some(m) = l.memory_reservation {
        r.memory_reservation = m;
    }
    if let Some(c) = l.nano_cpus {
        r.nano_cpus = c;
    }
    if let Some(s) = l.cpu_shares {
        r.cpu_shares = s;
    }
    if let Some(p) = l.pids_limit {
        r.pids_limit = p.max(0);
    }
    let res = r.clone();
    let running = state::load_state(&dir)?.status == state::Status::Running
        && crate::lifecycle::is_mounted(&dir.join("rootfs"));
    if running {
        apply_cgroup(id, &res, l)?;
    }
    state::save_config(&dir, &cfg, true)?;
    crate::events::container(layout, &cfg, "update", &[]);
    Ok(())
}

fn write(path: &Path, value: &str) -> Result<()> {
    std::fs::write(path, value).map_err(|e| io_at(&format!("cannot write {value} to"), path, e))
}

/// Write what changed into the running container's cgroup.
/// `pids.max` (the same file in cgroup v1 and v2) for a limit, 0 being none.
fn pids_max(limit: i64) -> String {
    if limit > 0 {
        limit.to_string()
    } else {
        "max".into()
    }
}

fn apply_cgroup(id: &str, r: &crate::Resources, l: &Limits) -> Result<()> {
    let mem_changed = l.memory.is_some() || l.memory_swap.is_some();
    if cgroups::unified() {
        let d = cgroups::dir(id, "");
        if mem_changed {
            let max = if r.memory > 0 {
                r.memory.to_string()
            } else {
                "max".into()
            };
            write(&d.join("memory.max"), &max)?;
            let swap_file = d.join("memory.swap.max");
            if swap_file.exists() {
                let swap = match (r.memory, r.memory_swap) {
                    (0, _) | (_, -1) => "max".to_string(),
                    (m, 0) => m.to_string(),
                    (m, s) => (s - m).max(0).to_string(),
                };
                write(&swap_file, &swap)?;
            }
        }
        if l.memory_reservation.is_some() {
            write(&d.join("memory.low"), &r.memory_reservation.to_string())?;
        }
        if l.nano_cpus.is_some() {
            let quota = if r.nano_cpus > 0 {
                (r.nano_cpus * CFS_PERIOD / 1_000_000_000).to_string()
            } else {
                "max".into()
            };
            write(&d.join("cpu.max"), &format!("{quota} {CFS_PERIOD}"))?;
        }
        if let Some(s) = l.cpu_shares.filter(|s| *s > 0) {
            // runc's conversion of shares (2..262144) to weight (1..10000).
            let weight = 1 + ((s.clamp(2, 262_144) - 2) * 9999) / 262_142;
            write(&d.join("cpu.weight"), &weight.to_string())?;
        }
        if l.pids_limit.is_some() {
            write(&d.join("pids.max"), &pids_max(r.pids_limit))?;
        }
        return Ok(());
    }
    if mem_changed {
        let m = cgroups::dir(id, "memory");
        let limit = if r.memory > 0 { r.memory } else { -1 };
        let memsw = m.join("memory.memsw.limit_in_bytes");
        let swap = match (r.memory, r.memory_swap) {
            (0, _) | (_, -1) => -1,
            (m, 0) => m * 2,
            (_, s) => s,
        };
        // memory may never exceed memory+swap: raise whichever has to
        // move first.
        if write(&m.join("memory.limit_in_bytes"), &limit.to_string()).is_err() && memsw.exists() {
            write(&memsw, &swap.to_string())?;
            write(&m.join("memory.limit_in_bytes"), &limit.to_string())?;
        } else if memsw.exists() {
            write(&memsw, &swap.to_string())?;
        }
    }
    if l.memory_reservation.is_some() {
        let m = cgroups::dir(id, "memory");
        let v = if r.memory_reservation > 0 {
            r.memory_reservation
        } else {
            -1
        };
        write(&m.join("memory.soft_limit_in_bytes"), &v.to_string())?;
    }
    let cpu = cgroups::dir(id, "cpu");
    if l.nano_cpus.is_some() {
        write(&cpu.join("cpu.cfs_period_us"), &CFS_PERIOD.to_string())?;
        let quota = if r.nano_cpus > 0 {
            r.nano_cpus * CFS_PERIOD / 1_000_000_000
        } else {
            -1
        };
        write(&cpu.join("cpu.cfs_quota_us"), &quota.to_string())?;
    }
    if let Some(s) = l.cpu_shares.filter(|s| *s > 0) {
        write(&cpu.join("cpu.shares"), &s.to_string())?;
    }
    if l.pids_limit.is_some() {
        write(
            &cgroups::dir(id, "pids").join("pids.max"),
            &pids_max(r.pids_limit),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_runs_syntax_and_none_is_empty() {
        let o = ResourceOptions {
            memory: Some("64m".into()),
            memory_swap: Some("-1".into()),
            cpus: Some("1.5".into()),
            ..Default::default()
        };
        let l = Limits::parse(&o).unwrap();
        assert_eq!(l.memory, Some(64 << 20));
        assert_eq!(l.memory_swap, Some(-1));
        assert_eq!(l.nano_cpus, Some(1_500_000_000));
        assert_eq!((l.memory_reservation, l.pids_limit), (None, None));
        assert!(!l.is_empty());
        assert!(Limits::parse(&ResourceOptions::default())
            .unwrap()
            .is_empty());
        let bad = ResourceOptions {
            memory: Some("lots".into()),
            ..Default::default()
        };
        assert!(Limits::parse(&bad)
            .unwrap_err()
            .to_string()
            .contains("--memory"));
    }
}
