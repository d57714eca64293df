//! A network's Linux bridge: made (addressed, up, forwarding on) when a
//! container needs it, deleted when the last one leaves.

use std::path::Path;

use crate::error::{self, Result};
use crate::store::NetworkInfo;
use crate::{link, DEFAULT_NETWORK};

fn write_sysctl(path: &str, value: &str) -> Result<()> {
    let cur = std::fs::read_to_string(path).unwrap_or_default();
    if cur.trim() == value {
        return Ok(());
    }
    std::fs::write(path, value).map_err(|e| error::io_at("cannot write", Path::new(path), e))
}

/// Make sure a network's bridge exists, is addressed and up (idempotent).
pub(crate) fn ensure_bridge(n: &NetworkInfo) -> Result<()> {
    if link::index(&n.bridge).is_none() {
        link::create_bridge(&n.bridge, link::uplink_mtu())?;
    }
    link::add_addr(&n.bridge, n.gateway, n.subnet.prefix())?;
    link::set_up(&n.bridge, None)?;
    // Published ports at 127.0.0.1 are DNATed towards the bridge: the kernel
    // drops 127/8 sources on a non-loopback device unless allowed. This
    // alone would also let containers reach the host's 127.0.0.1: the
    // table's loopback guard (filter.rs) drops 127/8 arriving off `lo`.
    write_sysctl(
        &format!("/proc/sys/net/ipv4/conf/{}/route_localnet", n.bridge),
        "1",
    )?;
    if !n.internal {
        write_sysctl("/proc/sys/net/ipv4/ip_forward", "1")?;
    }
    Ok(())
}

/// Delete bridges with no port left. A bridge lives exactly as long as
/// containers use it: an idle skiff bridge would keep its address and
/// route, which shadow any other bridge on the same range (podman0 also
/// defaults to 10.88.0.0/16) and outlive the store root that chose them.
pub(crate) fn drop_idle_bridges(nets: &[NetworkInfo], keep_default: bool) {
    for n in nets {
        if keep_default && n.name == DEFAULT_NETWORK {
            continue;
        }
        let brif = format!("/sys/class/net/{}/brif", n.bridge);
        let idle = std::fs::read_dir(&brif)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if idle {
            let _ = link::delete(&n.bridge);
        }
    }
}
