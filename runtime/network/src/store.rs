//! Networking state in the store root, all under one flock:
//!
//! ```text
//! <root>/networks/lock               flock()ed by every change
//! /run/skiff-network.lock            then this one: bridges are host-wide
//! <root>/networks/nets/<name>.json   a network (the default `bridge` too, once used)
//! <root>/networks/endpoints/<id>.json a container's attachments and published ports
//! <root>/networks/netns/<id>         its pinned network namespace
//! ```
//!
//! Endpoint files are written *before* any kernel object is made, so a
//! skiff killed mid-setup leaves a record naming everything it may have
//! created; the next change (or `prune`) undoes it.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use skiff_core::atomic::{atomic_write_mode, Durability};
use skiff_core::lock::{lock_file, LockGuard, LockKind};

use crate::error::{io_at, Error, Result};
use crate::ipam::Subnet;
use crate::ports::PortMapping;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkInfo {
    pub name: String,
    pub id: String,
    pub driver: String,
    pub subnet: Subnet,
    pub gateway: Ipv4Addr,
    /// The Linux bridge device.
    pub bridge: String,
    /// No outbound NAT (docker's `--internal`).
    #[serde(default)]
    pub internal: bool,
    pub created: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attachment {
    pub network: String,
    pub ip: Ipv4Addr,
    pub prefix: u8,
    pub gateway: Ipv4Addr,
    /// Host end of the veth pair, in the bridge.
    pub host_veth: String,
    /// Name inside the container (eth0, eth1...).
    pub ifname: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Endpoint {
    pub id: String,
    /// Container name, resolvable by peers.
    pub name: String,
    pub hostname: String,
    pub netns: PathBuf,
    /// The container's directory holding `hosts` and `resolv.conf`; when set
    /// and gone, the endpoint is stale.
    pub etc_dir: Option<PathBuf>,
    pub attachments: Vec<Attachment>,
    pub ports: Vec<PortMapping>,
}

pub struct Store {
    pub dir: PathBuf,
}

/// The held network locks (the store's, then the host's); released on drop.
pub struct Lock(
    #[allow(dead_code)] LockGuard,
    #[allow(dead_code)] Option<LockGuard>,
);

/// Bridge devices are host-wide while the store lock is per root: two
/// roots on the same bridge name (`skiff0` unless `SKIFF_BRIDGE`) must not
/// delete the idle bridge while the other is plugging a veth into it. Taken
/// after the store's lock, never without it, so the order is fixed.
const HOST_LOCK: &str = "/run/skiff-network.lock";

/// The host-wide lock alone (no /run, a bare chroot: none). Only for work
/// on a store root that is gone, whose own lock went with it.
pub(crate) fn host_lock() -> Result<Option<LockGuard>> {
    Ok(Path::new(HOST_LOCK)
        .parent()
        .is_some_and(|d| d.is_dir())
        .then(|| lock_file(Path::new(HOST_LOCK), LockKind::Exclusive))
        .transpose()?)
}

impl Store {
    pub fn new(root: &Path) -> Store {
        Store {
            dir: root.join("networks"),
        }
    }

    pub fn lock(&self) -> Result<Lock> {
        for d in ["nets", "endpoints", "netns"] {
            let p = self.dir.join(d);
            std::fs::create_dir_all(&p).map_err(|e| io_at("cannot create", &p, e))?;
        }
        let own = lock_file(&self.dir.join("lock"), LockKind::Exclusive)?;
        Ok(Lock(own, host_lock()?))
    }

    pub fn netns_path(&self, id: &str) -> PathBuf {
        self.dir.join("netns").join(id)
    }

    fn net_path(&self, name: &str) -> PathBuf {
        self.dir.join("nets").join(format!("{name}.json"))
    }

    fn ep_path(&self, id: &str) -> PathBuf {
        self.dir.join("endpoints").join(format!("{id}.json"))
    }

    pub fn network(&self, name: &str) -> Result<Option<NetworkInfo>> {
        read_json(&self.net_path(name))
    }

    pub fn networks(&self) -> Result<Vec<NetworkInfo>> {
        list_json(&self.dir.join("nets"))
    }

    pub fn save_network(&self, n: &NetworkInfo) -> Result<()> {
        write_json(&self.net_path(&n.name), n, Durability::Durable)
    }

    pub fn remove_network(&self, name: &str) -> Result<()> {
        let p = self.net_path(name);
        std::fs::remove_file(&p).map_err(|e| io_at("cannot remove", &p, e))
    }

    pub fn endpoint(&self, id: &str) -> Result<Option<Endpoint>> {
        read_json(&self.ep_path(id))
    }

    pub fn endpoints(&self) -> Result<Vec<Endpoint>> {
        let dir = self.dir.join("endpoints");
        // An empty record is what a power cut can leave of an unsynced
        // write (see save_endpoint): its kernel objects died with the
        // reboot, so it is dropped rather than failing every later run.
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "json")
                    && e.metadata().is_ok_and(|m| m.len() == 0)
                {
                    let _ = std::fs::remove_file(&p);
                }
            }
        }
        list_json(&dir)
    }

    /// Atomic (temp file, rename) but not fsynced: an endpoint describes
    /// kernel objects (namespace, veths, rules) that a reboot erases
    /// anyway, and what recovery needs (a record that survives a SIGKILL
    /// of skiff) the page cache already gives. The fsync cost ~5 ms of
    /// every container start on the bridge.
    pub fn save_endpoint(&self, e: &Endpoint) -> Result<()> {
        write_json(&self.ep_path(&e.id), e, Durability::Volatile)
    }

    pub fn remove_endpoint(&self, id: &str) {
        let _ = std::fs::remove_file(self.ep_path(id));
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(p: &Path) -> Result<Option<T>> {
    match std::fs::read(p) {
        Ok(b) => serde_json::from_slice(&b)
            .map(Some)
            .map_err(|e| Error::Invalid(format!("corrupt {}: {e}", p.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_at("cannot read", p, e)),
    }
}

fn list_json<T: for<'de> Deserialize<'de>>(dir: &Path) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    let mut paths: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.extension().is_some_and(|x| x == "json") {
            if let Some(v) = read_json(&p)? {
                out.push(v);
            }
        }
    }
    Ok(out)
}

fn write_json<T: Serialize>(p: &Path, v: &T, durability: Durability) -> Result<()> {
    let data = serde_json::to_vec_pretty(v).map_err(|e| Error::Invalid(e.to_string()))?;
    // Root only, like every other state file of the store.
    Ok(atomic_write_mode(p, &data, 0o600, durability)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(id: &str) -> Endpoint {
        Endpoint {
            id: id.into(),
            name: "n".into(),
            hostname: "h".into(),
            netns: PathBuf::from("/nonexistent"),
            etc_dir: None,
            attachments: Vec::new(),
            ports: Vec::new(),
        }
    }

    #[test]
    fn empty_endpoint_records_are_dropped_corrupt_ones_are_errors() {
        let d = tempfile::tempdir().unwrap();
        let st = Store::new(d.path());
        let _l = st.lock().unwrap();
        st.save_endpoint(&endpoint("aaaaaaaaaaaa")).unwrap();
        // What a power cut can leave of an unsynced record.
        let torn = st.ep_path("bbbbbbbbbbbb");
        std::fs::write(&torn, b"").unwrap();
        let eps = st.endpoints().unwrap();
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].id, "aaaaaaaaaaaa");
        assert!(!torn.exists());
        // Anything else that does not parse is still reported.
        std::fs::write(&torn, b"{").unwrap();
        let e = st.endpoints().unwrap_err().to_string();
        assert!(e.contains("bbbbbbbbbbbb"), "{e}");
    }
}
