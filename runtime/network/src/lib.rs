//! skiff's container networking, in-process and daemonless: Linux bridges,
//! veth pairs, a file-locked IPAM, nftables NAT and published ports, all
//! over netlink in pure Rust (no CNI plugins, no `ip`/`iptables`/`nft`
//! binaries, no C library).
//!
//! # Model
//! - Each container gets a network namespace pinned at
//!   `<root>/networks/netns/<id>` ([`netns`]), which the runtime puts in the
//!   OCI spec's `linux.namespaces` as a path: the network is ready before
//!   the container's first instruction runs.
//! - A veth pair per attached network: host end `vs<id12><n>` in the
//!   network's bridge, `eth<n>` inside; addresses from [`ipam`]; a default
//!   route via the first network's gateway; the MTU of the host's uplink.
//! - The default network `bridge` uses the `skiff0` bridge on
//!   10.88.0.0/16, or the first free /16 of docker's 172.17-31 pool when
//!   another device already routes 10.88/16 (podman0 does by default);
//!   `SKIFF_BRIDGE` / `SKIFF_BRIDGE_SUBNET` set both (tests use them to own
//!   their subnets); the range is chosen again whenever the bridge is
//!   (re)created.
//! - The bridge is **torn down** with its last container (any network),
//!   except while a build holds the default one between RUNs ([`hold`]):
//!   an idle bridge keeps its address and connected route, which shadow
//!   podman's podman0 on the same default range and outlive the store
//!   root that chose them; re-creating it costs ~1 ms on the next run.
//!   Within one store root the network lock orders teardown against a
//!   concurrent attach. `skiff network rm` removes the record too.
//! - NAT and published ports: one nftables table per store root, rebuilt
//!   atomically from the state files on every change ([`nft`]). Ports are
//!   published by **DNAT rules only** (no userspace proxy): they work at
//!   127.0.0.1 (output chain, `route_localnet` on the bridge, masquerade of
//!   127.0.0.0/8 towards the bridge) and at every other host address
//!   (prerouting, `fib daddr type local`), and need no process to live as
//!   long as the container. The cost: the client's source address is
//!   masqueraded for loopback clients only; others keep theirs.
//! - The loopback guard: `route_localnet` would otherwise let a container
//!   (through its gateway) or a LAN neighbour reach the host's 127.0.0.1,
//!   so packets from or to 127.0.0.0/8 that did not arrive on `lo` are
//!   dropped before NAT (CVE-2020-8558; `filter`).
//! - Networks are isolated from each other as docker's are: nothing is
//!   forwarded from one network's bridge to another's (the default
//!   network's included), except connections to a published port.
//! - Internal networks (`network create --internal`): no masquerade, no
//!   default route in the container, no published ports (docker publishes
//!   none there either), and filter rules that drop whatever enters or
//!   leaves the bridge from or to another interface and any new connection
//!   from the bridge to the host itself (its gateway address included):
//!   members reach each other and nothing else. The host may still
//!   connect to them, as with docker.
//! - Names: peers on a network appear in each member's `/etc/hosts`
//!   ([`etc`]); `/etc/resolv.conf` is the host's minus loopback resolvers.
//! - IP forwarding is switched on when a NATed bridge is set up, not before.
//!
//! All state lives under `<root>/networks` ([`store`]) behind one flock.
//! Nothing here starts a thread or an async runtime: namespace switching is
//! per thread and netlink is blocking, so the runtime can call [`attach`]
//! from its single-threaded re-exec right before libcontainer forks.

mod bridge;
mod endpoints;
pub mod error;
pub mod etc;
mod filter;
pub mod hold;
pub mod ipam;
pub mod link;
pub mod netlink;
pub mod netns;
mod networks;
pub mod nft;
pub mod ports;
pub mod prune;
mod settle;
pub mod store;
mod sync;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use endpoints::{
    attach, check_ports, connect, detach, detach_with, disconnect, endpoint, netns_path, prune,
};
pub use error::{Error, Result};
pub use hold::{hold_default_bridge, BridgeHold};
pub use ipam::Subnet;
pub use networks::{create_network, inspect_network, list_networks, remove_network, CreateOptions};
pub use ports::{PortMapping, Proto};
pub use settle::Deferred;
use store::Store;
pub use store::{Attachment, Endpoint, NetworkInfo};
pub use sync::Idle;

/// The name of docker's (and skiff's) default network.
pub const DEFAULT_NETWORK: &str = "bridge";

/// Where and how networking state is kept for one store root.
#[derive(Debug, Clone)]
pub struct NetContext {
    pub root: PathBuf,
    /// Bridge device of the default network.
    pub bridge: String,
    pub subnet: Subnet,
    /// `subnet` was chosen by the user (`SKIFF_BRIDGE_SUBNET`): never moved.
    pub subnet_explicit: bool,
    /// The nftables table (`ip` family) owned by this store root.
    pub table: String,
}

impl NetContext {
    /// Defaults, overridden by `SKIFF_BRIDGE` and `SKIFF_BRIDGE_SUBNET`.
    pub fn new(root: &Path) -> Result<NetContext> {
        let bridge = std::env::var("SKIFF_BRIDGE").unwrap_or_else(|_| "skiff0".into());
        if bridge.is_empty() || bridge.len() > 15 || bridge.contains('/') {
            return Err(Error::Invalid(format!(
                "SKIFF_BRIDGE={bridge:?}: not a valid interface name"
            )));
        }
        let subnet = match std::env::var("SKIFF_BRIDGE_SUBNET") {
            Ok(s) => s
                .parse()
                .map_err(|e| Error::Invalid(format!("SKIFF_BRIDGE_SUBNET: {e}")))?,
            Err(_) => Subnet::new(Ipv4Addr::new(10, 88, 0, 0), 16),
        };
        let abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let h = hex::encode(Sha256::digest(abs.as_os_str().as_encoded_bytes()));
        Ok(NetContext {
            root: root.to_path_buf(),
            bridge,
            subnet,
            subnet_explicit: std::env::var_os("SKIFF_BRIDGE_SUBNET").is_some(),
            table: format!("skiff_{}", &h[..10]),
        })
    }

    fn store(&self) -> Store {
        Store::new(&self.root)
    }

    /// The pinned namespace path of a container.
    pub fn netns_path(&self, id: &str) -> PathBuf {
        self.store().netns_path(id)
    }
}

/// What a container asks for.
#[derive(Debug, Clone, Default)]
pub struct NetworkRequest {
    /// Network name (`bridge`/`default` for the default one).
    pub network: String,
    pub aliases: Vec<String>,
    pub ports: Vec<PortMapping>,
    /// Container name and hostname, resolvable by peers.
    pub name: String,
    pub hostname: String,
    /// The container's directory with `hosts`/`resolv.conf` to maintain.
    pub etc_dir: Option<PathBuf>,
}

/// A phase mark for `--debug-timing` (skiff_core::timing): attach sits on
/// the path to a container's first instruction.
fn mark(step: &str) {
    if skiff_core::timing::enabled() {
        skiff_core::timing::mark(&format!("net: {step}"));
    }
}
