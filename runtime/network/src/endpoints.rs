//! A container's endpoint: its pinned namespace, one veth per attached
//! network, addresses and published ports, recorded before any kernel
//! object is made so that a skiff killed half-way is undone by the next
//! change (`attach`, `detach`, `connect`, `disconnect`, `prune`).

use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use crate::bridge::ensure_bridge;
use crate::error::{self, Error, Result};
use crate::networks::resolve_network;
use crate::ports::{self, PortMapping};
use crate::store::{Attachment, Endpoint, NetworkInfo, Store};
use crate::sync::{sync_hosts, sync_rules, sync_rules_with, Idle};
use crate::{etc, link, mark, netns, NetContext, NetworkRequest};

pub(crate) fn veth_name(id: &str, n: usize) -> String {
    format!("vs{}{}", &id[..id.len().min(12)], n % 10)
}

/// Kernel side of one attachment: veth, bridge port, address, and the
/// default route via this network's gateway when `default_route`.
fn plumb(ep: &Endpoint, a: &Attachment, net: &NetworkInfo, default_route: bool) -> Result<()> {
    ensure_bridge(net)?;
    mark("bridge ensured");
    let ns = std::fs::File::open(&ep.netns)
        .map_err(|e| error::io_at("cannot open network namespace", &ep.netns, e))?;
    let mtu = std::fs::read_to_string(format!("/sys/class/net/{}/mtu", net.bridge))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(link::uplink_mtu);
    link::delete(&a.host_veth)?;
    link::create_veth(&a.host_veth, &a.ifname, ns.as_raw_fd(), mtu)?;
    let br = link::index(&net.bridge).ok_or_else(|| Error::NoSuchNetwork(net.name.clone()))?;
    link::set_up(&a.host_veth, Some(br))?;
    mark("veth made and in the bridge");
    netns::enter(&ep.netns, || {
        link::set_up("lo", None)?;
        link::add_addr(&a.ifname, a.ip, a.prefix)?;
        link::set_up(&a.ifname, None)?;
        if default_route {
            link::add_default_route(&a.ifname, a.gateway)?;
        }
        Ok(())
    })
}

/// The pinned namespace path of container `id` in store `root`, for the
/// OCI spec (the same as [`NetContext::netns_path`]).
pub fn netns_path(root: &Path, id: &str) -> PathBuf {
    Store::new(root).netns_path(id)
}

/// Undo everything an endpoint may have created (each step tolerant of
/// the object being gone: this is also the recovery path).
fn unplumb(st: &Store, ep: &Endpoint) {
    unplumb_with(st, ep, Idle::Drop)
}

/// [`unplumb`]; with [`Idle::Keep`] the veths are left to die with the
/// namespace: the kernel deletes a veth pair when the namespace of one end
/// goes, in the background, where an explicit delete waits 10 to 40 ms for
/// RCU. [`crate::Deferred::settle`] deletes any that survived.
fn unplumb_with(st: &Store, ep: &Endpoint, idle: Idle) {
    if idle == Idle::Drop {
        for a in &ep.attachments {
            let _ = link::delete(&a.host_veth);
        }
    }
    netns::remove(&ep.netns);
    st.remove_endpoint(&ep.id);
}

/// Endpoints whose container directory has gone (a container removed by
/// something that did not call [`detach`], or a skiff killed mid-setup).
pub(crate) fn sweep_stale(st: &Store) -> Result<bool> {
    let mut any = false;
    for ep in st.endpoints()? {
        if ep.etc_dir.as_ref().is_some_and(|d| !d.exists()) {
            unplumb(st, &ep);
            any = true;
        }
    }
    Ok(any)
}

/// Create the container's namespace and attach it to `req.network`,
/// publishing `req.ports`. Returns the endpoint with the chosen addresses
/// and host ports. On error nothing is left behind.
pub fn attach(ctx: &NetContext, id: &str, req: &NetworkRequest) -> Result<Endpoint> {
    if id.len() < 12 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::Invalid(format!("invalid container id {id:?}")));
    }
    mark("attach");
    let st = ctx.store();
    let _lock = st.lock()?;
    mark("locked");
    sweep_stale(&st)?;
    if let Some(old) = st.endpoint(id)? {
        // A restart, or a previous attempt killed half-way.
        unplumb(&st, &old);
    }
    let net = resolve_network(ctx, &st, &req.network)?;
    let others = st.endpoints()?;
    let taken_ports: Vec<PortMapping> = others.iter().flat_map(|e| e.ports.clone()).collect();
    // An internal network publishes nothing (docker sets up no port
    // mapping there either: `port` lists none, no host port is taken).
    let mut ports = if net.internal {
        Vec::new()
    } else {
        req.ports.clone()
    };
    ports::allocate(&mut ports, &taken_ports)?;
    let taken_ips: Vec<Ipv4Addr> = others
        .iter()
        .flat_map(|e| e.attachments.iter())
        .filter(|a| a.network == net.name)
        .map(|a| a.ip)
        .collect();
    let ip = net.subnet.allocate(&taken_ips)?;
    let ep = Endpoint {
        id: id.to_string(),
        name: req.name.clone(),
        hostname: req.hostname.clone(),
        netns: st.netns_path(id),
        etc_dir: req.etc_dir.clone(),
        attachments: vec![Attachment {
            network: net.name.clone(),
            ip,
            prefix: net.subnet.prefix(),
            gateway: net.gateway,
            host_veth: veth_name(id, 0),
            ifname: "eth0".into(),
            aliases: req.aliases.clone(),
        }],
        ports,
    };
    mark("endpoint chosen");
    st.save_endpoint(&ep)?;
    mark("endpoint saved");
    let r = (|| {
        netns::create(&ep.netns)?;
        mark("namespace pinned");
        // No default route out of an internal network: a connect() to
        // anywhere else fails fast, as with docker.
        plumb(&ep, &ep.attachments[0], &net, !net.internal)?;
        mark("plumbed");
        sync_rules(ctx, &st)?;
        mark("rules synced");
        if let Some(dir) = &ep.etc_dir {
            let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
            let p = dir.join("resolv.conf");
            std::fs::write(&p, etc::resolv_conf(&host))
                .map_err(|e| error::io_at("cannot write", &p, e))?;
        }
        let r = sync_hosts(&st);
        mark("resolv.conf and hosts written");
        r
    })();
    if let Err(e) = r {
        unplumb(&st, &ep);
        let _ = sync_rules(ctx, &st);
        return Err(e);
    }
    Ok(ep)
}

/// Would `ports` be publishable now? For a CLI to refuse a taken port
/// with docker's message before it creates anything; [`attach`] checks
/// again under the lock, which is what guarantees it.
pub fn check_ports(ctx: &NetContext, ports: &[PortMapping]) -> Result<()> {
    let st = ctx.store();
    let _lock = st.lock()?;
    sweep_stale(&st)?;
    let taken: Vec<PortMapping> = st.endpoints()?.into_iter().flat_map(|e| e.ports).collect();
    ports::allocate(&mut ports.to_vec(), &taken)
}

/// Release everything a container holds: veths, namespace, address, ports,
/// rules; peers' /etc/hosts forget it. Missing state is fine.
pub fn detach(ctx: &NetContext, id: &str) -> Result<()> {
    detach_with(ctx, id, Idle::Drop)
}

/// [`detach`]; with [`Idle::Keep`] the bridges and the table nothing uses
/// any more stay for a later [`crate::Deferred::settle`].
pub fn detach_with(ctx: &NetContext, id: &str, idle: Idle) -> Result<()> {
    let st = ctx.store();
    let _lock = st.lock()?;
    let Some(ep) = st.endpoint(id)? else {
        // Still drop a namespace pinned by a run that died before writing.
        netns::remove(&st.netns_path(id));
        return Ok(());
    };
    unplumb_with(&st, &ep, idle);
    sync_rules_with(ctx, &st, idle)?;
    sync_hosts(&st)
}

/// The endpoint of a container, if attached.
pub fn endpoint(ctx: &NetContext, id: &str) -> Result<Option<Endpoint>> {
    ctx.store().endpoint(id)
}

/// `network connect`: another interface in an attached container.
pub fn connect(ctx: &NetContext, id: &str, network: &str, aliases: &[String]) -> Result<Endpoint> {
    let st = ctx.store();
    let _lock = st.lock()?;
    let mut ep = st.endpoint(id)?.ok_or_else(|| {
        Error::Invalid(format!(
            "container {id} has no network namespace of its own (not running on a bridge network)"
        ))
    })?;
    let net = resolve_network(ctx, &st, network)?;
    if ep.attachments.iter().any(|a| a.network == net.name) {
        return Err(Error::Conflict(format!(
            "endpoint with name {} already exists in network {}",
            ep.name, net.name
        )));
    }
    let n = (0..10)
        .find(|n| !ep.attachments.iter().any(|a| a.ifname == format!("eth{n}")))
        .ok_or_else(|| Error::Conflict("too many networks".into()))?;
    let taken: Vec<Ipv4Addr> = st
        .endpoints()?
        .iter()
        .flat_map(|e| e.attachments.iter())
        .filter(|a| a.network == net.name)
        .map(|a| a.ip)
        .collect();
    let a = Attachment {
        network: net.name.clone(),
        ip: net.subnet.allocate(&taken)?,
        prefix: net.subnet.prefix(),
        gateway: net.gateway,
        host_veth: veth_name(id, n),
        ifname: format!("eth{n}"),
        aliases: aliases.to_vec(),
    };
    // The first network with a way out gives the default route.
    let routed = ep.attachments.iter().any(|x| {
        st.network(&x.network)
            .ok()
            .flatten()
            .is_some_and(|n| !n.internal)
    });
    let default_route = !net.internal && !routed;
    ep.attachments.push(a.clone());
    st.save_endpoint(&ep)?;
    if let Err(e) = plumb(&ep, &a, &net, default_route) {
        let _ = link::delete(&a.host_veth);
        ep.attachments.pop();
        st.save_endpoint(&ep)?;
        return Err(e);
    }
    sync_rules(ctx, &st)?;
    sync_hosts(&st)?;
    Ok(ep)
}

/// `network disconnect`.
pub fn disconnect(ctx: &NetContext, id: &str, network: &str) -> Result<()> {
    let st = ctx.store();
    let _lock = st.lock()?;
    let net = resolve_network(ctx, &st, network)?;
    let mut ep = st
        .endpoint(id)?
        .filter(|e| e.attachments.iter().any(|a| a.network == net.name))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "container {id} is not connected to network {}",
                net.name
            ))
        })?;
    for a in ep.attachments.iter().filter(|a| a.network == net.name) {
        link::delete(&a.host_veth)?;
    }
    ep.attachments.retain(|a| a.network != net.name);
    st.save_endpoint(&ep)?;
    sync_rules(ctx, &st)?;
    sync_hosts(&st)
}

/// Stale-state cleanup for `skiff system prune` (and after crashes):
/// endpoints whose container `is_live` denies (or whose directory is gone)
/// and namespaces pinned without an endpoint. Returns the container ids
/// whose networking was released.
pub fn prune(ctx: &NetContext, is_live: &dyn Fn(&str) -> bool) -> Result<Vec<String>> {
    let st = ctx.store();
    let _lock = st.lock()?;
    let mut released = Vec::new();
    let eps = st.endpoints()?;
    for ep in &eps {
        let gone = ep.etc_dir.as_ref().is_some_and(|d| !d.exists());
        if gone || !is_live(&ep.id) {
            unplumb(&st, ep);
            released.push(ep.id.clone());
        }
    }
    let eps = st.endpoints()?;
    if let Ok(rd) = std::fs::read_dir(st.dir.join("netns")) {
        for e in rd.flatten() {
            let id = e.file_name().to_string_lossy().into_owned();
            if !eps.iter().any(|ep| ep.id == id) {
                netns::remove(&e.path());
                released.push(id);
            }
        }
    }
    // Veths need no sweep: both ends die with the namespace once it is
    // unpinned and its last process is gone, and a bridge may be shared
    // with another store root whose veths are not ours to judge.
    released.sort();
    released.dedup();
    sync_rules(ctx, &st)?;
    sync_hosts(&st)?;
    Ok(released)
}
