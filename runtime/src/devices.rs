//! The device allow-list on the container's cgroup v2 directory.
//!
//! libcontainer enforces `linux.resources.devices` through the v1 devices
//! controller only: on v2 it needs libbpf, a C library. skiff-devices
//! attaches the eBPF filter instead, once libcontainer has created the
//! container (its init waits for the start signal; its /dev is populated)
//! and before it starts. On hybrid hosts the container also gets a cgroup
//! in the v2 tree, `/sys/fs/cgroup/unified/skiff/<id>`, so the filter
//! enforces there as well as v1; `cgroups::sweep` removes it with the
//! others.

use std::path::PathBuf;

use serde_json::Value;
use skiff_devices::cgroup::{self, Host, Joined};

use crate::error::{Error, Result};
use crate::spec;

/// Set up before libcontainer creates the container: on hybrid hosts the
/// calling process sits in the container's v2 cgroup until [`attach`]
/// (or a drop on error), so the container's processes are born there and
/// their cgroup namespace is rooted at it, as on a pure v2 host.
///
/// [`attach`]: Pending::attach
pub(crate) struct Pending {
    host: Host,
    dir: Option<PathBuf>,
    joined: Option<Joined>,
}

pub(crate) fn prepare(id: &str) -> Pending {
    let host = Host::detect();
    let dir = host.v2_dir(&spec::cgroups_path(id));
    let mut joined = None;
    if let (Host::Hybrid, Some(d)) = (&host, &dir) {
        match cgroup::join(d) {
            Ok(j) => joined = Some(j),
            // v1's devices controller still enforces the list.
            Err(e) => tracing::warn!("device filter on the v2 tree skipped: {e}"),
        }
    }
    Pending { host, dir, joined }
}

impl Pending {
    /// Attach the filter for the spec's `linux.resources.devices`.
    pub(crate) fn attach(self, spec: &Value) -> Result<()> {
        let Pending { host, dir, joined } = self;
        let hybrid = host == Host::Hybrid;
        if hybrid && joined.is_none() {
            return Ok(());
        }
        drop(joined);
        let Some(dir) = dir else {
            return Ok(());
        };
        let rules = spec["linux"]["resources"]
            .get("devices")
            .cloned()
            .unwrap_or(Value::Array(Vec::new()));
        let rules: Vec<skiff_devices::LinuxDeviceCgroup> = serde_json::from_value(rules)
            .map_err(|e| Error::Invalid(format!("linux.resources.devices: {e}")))?;
        match skiff_devices::apply(&dir, &rules) {
            Ok(()) => Ok(()),
            Err(e) if hybrid => {
                tracing::warn!("device filter on the v2 tree not attached: {e}");
                Ok(())
            }
            Err(e) => Err(Error::Runtime(format!("device allow-list: {e}"))),
        }
    }
}

/// For `skiff exec` on hybrid hosts: the calling process in the running
/// container's v2 cgroup until dropped, so the process it starts is born
/// there and under the filter (on pure v2 libcontainer's tenant joins the
/// container's cgroup itself).
pub(crate) fn join_for_exec(id: &str) -> Option<Joined> {
    let host = Host::detect();
    if host != Host::Hybrid {
        return None;
    }
    let dir = host.v2_dir(&spec::cgroups_path(id))?;
    if !dir.is_dir() {
        return None;
    }
    cgroup::join(&dir)
        .inspect_err(|e| tracing::warn!("exec outside the v2 device filter: {e}"))
        .ok()
}
