//! Resource limits: docker's sizes, its minimums and its rules for how
//! memory and swap limits combine.

use super::options::ResourceOptions;
use crate::config::Resources;
use crate::error::{Error, Result};
use crate::flags;

/// docker's smallest memory limit (a smaller one would kill the init), for
/// `run` and `update` alike.
pub(crate) const MIN_MEMORY: i64 = 6 << 20;

pub fn resolve(o: &ResourceOptions) -> Result<Resources> {
    let mut r = Resources::default();
    if let Some(m) = &o.memory {
        r.memory = flags::parse_size("--memory", m)?;
        if r.memory > 0 && r.memory < MIN_MEMORY {
            return Err(Error::Invalid("Minimum memory limit allowed is 6MB".into()));
        }
    }
    if let Some(m) = &o.memory_reservation {
        r.memory_reservation = flags::parse_size("--memory-reservation", m)?;
    }
    if let Some(m) = &o.memory_swap {
        r.memory_swap = flags::parse_swap(m)?;
        if r.memory == 0 && r.memory_swap > 0 {
            return Err(Error::Invalid(
                "You should always set the Memory limit when using Memoryswap limit, see usage"
                    .into(),
            ));
        }
        if r.memory_swap > 0 && r.memory_swap < r.memory {
            return Err(Error::Invalid(
                "Minimum memoryswap limit should be larger than memory limit, see usage".into(),
            ));
        }
    }
    if let Some(c) = &o.cpus {
        r.nano_cpus = flags::parse_cpus(c)?;
    }
    r.cpu_shares = o.cpu_shares.unwrap_or(0);
    if let Some(p) = o.pids_limit {
        r.pids_limit = if p <= 0 { 0 } else { p };
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(memory: Option<&str>, swap: Option<&str>, pids: Option<i64>) -> Result<Resources> {
        let o = ResourceOptions {
            memory: memory.map(str::to_string),
            memory_swap: swap.map(str::to_string),
            pids_limit: pids,
            ..Default::default()
        };
        resolve(&o)
    }

    #[test]
    fn dockers_memory_and_swap_rules() {
        assert_eq!(limits(Some("32m"), None, None).unwrap().memory, 32 << 20);
        assert!(limits(Some("1m"), None, None).is_err(), "below 6MB");
        assert!(
            limits(None, Some("1g"), None).is_err(),
            "swap without memory"
        );
        assert!(
            limits(Some("64m"), Some("32m"), None).is_err(),
            "swap below memory"
        );
        assert_eq!(
            limits(Some("64m"), Some("-1"), None).unwrap().memory_swap,
            -1
        );
        assert_eq!(limits(None, None, Some(-1)).unwrap().pids_limit, 0);
        assert_eq!(limits(None, None, Some(64)).unwrap().pids_limit, 64);
    }
}
