//! docker's security defaults: the capability set, the masked and read-only
//! /proc and /sys paths, and the device allow-list (moby's
//! `oci/defaults.go` and `oci/caps`).

use crate::error::{Error, Result};

use skiff_core::caps::{ALL_CAPABILITIES, DEFAULT_CAPABILITIES};

/// Paths docker hides from containers (bind of /dev/null or an empty ro tmpfs).
pub const MASKED_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths docker remounts read-only.
pub const READONLY_PATHS: &[&str] = &[
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// docker's device cgroup allow-list: (type, major, minor, access);
/// -1 is a wildcard.
pub const ALLOWED_DEVICES: &[(&str, i64, i64, &str)] = &[
    ("c", -1, -1, "m"),
    ("b", -1, -1, "m"),
    ("c", 1, 3, "rwm"),    // /dev/null
    ("c", 1, 8, "rwm"),    // /dev/random
    ("c", 1, 7, "rwm"),    // /dev/full
    ("c", 5, 0, "rwm"),    // /dev/tty
    ("c", 1, 5, "rwm"),    // /dev/zero
    ("c", 1, 9, "rwm"),    // /dev/urandom
    ("c", 136, -1, "rwm"), // /dev/pts/*
    ("c", 5, 2, "rwm"),    // /dev/ptmx
    ("c", 10, 200, "rwm"), // /dev/net/tun
];

/// Normalise a capability name as docker accepts it (`net_admin`,
/// `NET_ADMIN`, `CAP_NET_ADMIN`, `ALL`).
pub fn normalize_cap(name: &str) -> Result<String> {
    let up = name.trim().to_ascii_uppercase();
    if up == "ALL" {
        return Ok(up);
    }
    let full = if up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    };
    if ALL_CAPABILITIES.contains(&full.as_str()) {
        Ok(full)
    } else {
        Err(Error::Invalid(format!("unknown capability: \"{name}\"")))
    }
}

/// The effective capability set: docker's defaults (or all of them when
/// privileged), plus `--cap-add`, minus `--cap-drop` (docker applies the
/// drop after the add, and `ALL` in either means every capability).
pub fn capabilities(privileged: bool, add: &[String], drop: &[String]) -> Result<Vec<String>> {
    let add: Vec<String> = add
        .iter()
        .map(|c| normalize_cap(c))
        .collect::<Result<_>>()?;
    let drop: Vec<String> = drop
        .iter()
        .map(|c| normalize_cap(c))
        .collect::<Result<_>>()?;
    let mut caps: Vec<String> = if privileged || add.iter().any(|c| c == "ALL") {
        ALL_CAPABILITIES.iter().map(|s| s.to_string()).collect()
    } else {
        DEFAULT_CAPABILITIES.iter().map(|s| s.to_string()).collect()
    };
    if drop.iter().any(|c| c == "ALL") {
        // `--cap-drop ALL --cap-add X` keeps exactly X, as in docker.
        return Ok(add.into_iter().filter(|c| c != "ALL").collect());
    }
    for c in add {
        if c != "ALL" && !caps.contains(&c) {
            caps.push(c);
        }
    }
    caps.retain(|c| !drop.contains(c));
    // A process cannot hand out capabilities it lacks (this VM's bounding
    // set has no CAP_SYS_RESOURCE, for one): "all" means all the host has,
    // as with docker, whose daemon's set bounds --privileged.
    let host = host_bounding_set();
    caps.retain(|c| match skiff_core::caps::number(c) {
        Some(bit) => host & (1u64 << bit) != 0,
        None => false,
    });
    Ok(caps)
}

/// The calling process's capability bounding set (all bits if unreadable).
fn host_bounding_set() -> u64 {
    procfs::process::Process::myself()
        .and_then(|p| p.status())
        .ok()
        .and_then(|s| s.capbnd)
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_and_drop() {
        let c = capabilities(false, &["net_admin".into()], &["CAP_CHOWN".into()]).unwrap();
        assert!(c.contains(&"CAP_NET_ADMIN".to_string()));
        assert!(!c.contains(&"CAP_CHOWN".to_string()));
        assert!(capabilities(true, &[], &[]).unwrap().len() >= DEFAULT_CAPABILITIES.len());
        assert!(capabilities(false, &[], &["ALL".into()])
            .unwrap()
            .is_empty());
        assert!(normalize_cap("bogus").is_err());
    }
}
