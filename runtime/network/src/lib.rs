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

pub mod error;
pub mod etc;
pub mod hold;
pub mod ipam;
pub mod link;
pub mod netlink;
pub mod netns;
pub mod nft;
pub mod ports;
pub mod prune;
pub mod store;

use std::net::Ipv4Addr;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use error::{Error, Result};
pub use hold::{hold_default_bridge, BridgeHold};
pub use ipam::Subnet;
pub use ports::{PortMapping, Proto};
use store::Store;
pub use store::{Attachment, Endpoint, NetworkInfo};

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

/// With `SKIFF_RUNTIME_TIMING` set (as the runtime's own marks), print
/// how long each networking step took: attach sits on the path to a
/// container's first instruction.
fn mark(step: &str) {
    use std::sync::Mutex;
    use std::time::Instant;
    static LAST: Mutex<Option<Instant>> = Mutex::new(None);
    if std::env::var_os("SKIFF_RUNTIME_TIMING").is_none() {
        return;
    }
    let now = Instant::now();
    if let Ok(mut last) = LAST.lock() {
        let d = last.map(|l| now - l).unwrap_or_default();
        eprintln!("[net +{:>7.3} ms] {step}", d.as_secs_f64() * 1000.0);
        *last = Some(now);
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn random_id() -> String {
    let mut b = [0u8; 32];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut b);
    }
    hex::encode(b)
}

fn write_sysctl(path: &str, value: &str) -> Result<()> {
    let cur = std::fs::read_to_string(path).unwrap_or_default();
    if cur.trim() == value {
        return Ok(());
    }
    std::fs::write(path, value).map_err(|e| error::io_at("cannot write", Path::new(path), e))
}

fn default_network(ctx: &NetContext, st: &Store) -> Result<NetworkInfo> {
    if let Some(mut n) = st.network(DEFAULT_NETWORK)? {
        // No bridge means no container on it: the range may be chosen
        // again, away from whatever appeared on the host since.
        if link::index(&n.bridge).is_none() && !ctx.subnet_explicit {
            let s = default_subnet(ctx);
            if s != n.subnet {
                n.subnet = s;
                n.gateway = s.gateway();
                st.save_network(&n)?;
            }
        }
        return Ok(n);
    }
    let subnet = default_subnet(ctx);
    let n = NetworkInfo {
        name: DEFAULT_NETWORK.into(),
        id: random_id(),
        driver: "bridge".into(),
        subnet,
        gateway: subnet.gateway(),
        bridge: ctx.bridge.clone(),
        internal: false,
        created: now(),
        labels: Default::default(),
    };
    st.save_network(&n)?;
    Ok(n)
}

/// The default network's subnet: 10.88.0.0/16 unless another device
/// already routes an overlapping range (podman's podman0 uses the same
/// default); then the first free range of docker's default pool
/// (172.17-31.0.0/16), as dockerd picks docker0's.
fn default_subnet(ctx: &NetContext) -> Subnet {
    if ctx.subnet_explicit {
        return ctx.subnet;
    }
    let routes: Vec<Subnet> = link::host_routes_by_dev()
        .into_iter()
        .filter(|(_, _, dev)| *dev != ctx.bridge)
        .map(|(a, p, _)| Subnet::new(a, p))
        .collect();
    std::iter::once(ctx.subnet)
        .chain((17..=31).map(|b| Subnet::new(Ipv4Addr::new(172, b, 0, 0), 16)))
        .find(|s| !routes.iter().any(|r| r.overlaps(s)))
        .unwrap_or(ctx.subnet)
}

fn resolve_network(ctx: &NetContext, st: &Store, name: &str) -> Result<NetworkInfo> {
    match name {
        "" | "default" | DEFAULT_NETWORK => default_network(ctx, st),
        _ => {
            if let Some(n) = st.network(name)? {
                return Ok(n);
            }
            // docker also accepts an id prefix.
            let all = st.networks()?;
            let m: Vec<_> = all.into_iter().filter(|n| n.id.starts_with(name)).collect();
            match m.len() {
                1 => Ok(m.into_iter().next().unwrap_or_else(|| unreachable!())),
                _ => Err(Error::NoSuchNetwork(name.into())),
            }
        }
    }
}

/// Make sure a network's bridge exists, is addressed and up (idempotent).
fn ensure_bridge(n: &NetworkInfo) -> Result<()> {
    if link::index(&n.bridge).is_none() {
        link::create_bridge(&n.bridge, link::uplink_mtu())?;
    }
    link::add_addr(&n.bridge, n.gateway, n.subnet.prefix())?;
    link::set_up(&n.bridge, None)?;
    // Published ports at 127.0.0.1 are DNATed towards the bridge: the kernel
    // drops 127/8 sources on a non-loopback device unless allowed.
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
fn drop_idle_bridges(nets: &[NetworkInfo], keep_default: bool) {
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

/// Rebuild the nftables table from every network and endpoint (and drop
/// bridges nobody uses any more).
pub(crate) fn sync_rules(ctx: &NetContext, st: &Store) -> Result<()> {
    let nets = st.networks()?;
    let held = hold::held(st);
    drop_idle_bridges(&nets, held);
    let eps = st.endpoints()?;
    let mut rs = nft::Ruleset::default();
    for n in &nets {
        if n.internal {
            rs.isolated.push(n.bridge.clone());
        } else {
            rs.masquerade.push(n.subnet);
        }
        rs.bridged.push(n.subnet);
    }
    for e in &eps {
        let Some(a) = e.attachments.first() else {
            continue;
        };
        for p in &e.ports {
            if p.host_port == 0 {
                continue;
            }
            rs.dnat.push(nft::Dnat {
                host_ip: p.host_ip,
                host_port: p.host_port,
                proto: p.proto.number(),
                to: a.ip,
                to_port: p.container_port,
            });
        }
    }
    // No container, no rules: the table goes with the last endpoint so a
    // store root that is deleted leaves nothing in the kernel but its idle
    // bridge. Unless held (a build between two RUNs).
    let record = st.dir.join("rules-applied");
    if eps.is_empty() && !held {
        let _ = std::fs::remove_file(&record);
        return nft::delete(&ctx.table);
    }
    nft::apply_if_changed(&ctx.table, &rs, &record)
}

/// Rewrite /etc/hosts of every endpoint that has one.
fn sync_hosts(st: &Store) -> Result<()> {
    let eps = st.endpoints()?;
    for me in &eps {
        let Some(dir) = &me.etc_dir else {
            continue;
        };
        let mut lines: Vec<(Ipv4Addr, Vec<String>)> = Vec::new();
        for a in &me.attachments {
            lines.push((a.ip, etc::names(me, &a.aliases)));
        }
        for peer in eps.iter().filter(|p| p.id != me.id) {
            for pa in &peer.attachments {
                if me.attachments.iter().any(|a| a.network == pa.network) {
                    lines.push((pa.ip, etc::names(peer, &pa.aliases)));
                }
            }
        }
        etc::write_hosts(dir, &lines);
    }
    Ok(())
}

fn veth_name(id: &str, n: usize) -> String {
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
    for a in &ep.attachments {
        let _ = link::delete(&a.host_veth);
    }
    netns::remove(&ep.netns);
    st.remove_endpoint(&ep.id);
}

/// Endpoints whose container directory has gone (a container removed by
/// something that did not call [`detach`], or a skiff killed mid-setup).
fn sweep_stale(st: &Store) -> Result<bool> {
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
    let st = ctx.store();
    let _lock = st.lock()?;
    let Some(ep) = st.endpoint(id)? else {
        // Still drop a namespace pinned by a run that died before writing.
        netns::remove(&st.netns_path(id));
        return Ok(());
    };
    unplumb(&st, &ep);
    sync_rules(ctx, &st)?;
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

/// Options of `network create`.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub subnet: Option<Subnet>,
    pub gateway: Option<Ipv4Addr>,
    pub internal: bool,
    pub labels: Vec<(String, String)>,
}

fn valid_name(name: &str) -> bool {
    let mut c = name.chars();
    c.next().is_some_and(|f| f.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || "_.-".contains(ch))
}

/// `network create`: record the network; its bridge appears on first use.
pub fn create_network(ctx: &NetContext, name: &str, o: &CreateOptions) -> Result<NetworkInfo> {
    if !valid_name(name) {
        return Err(Error::Invalid(format!(
            "invalid network name {name:?}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )));
    }
    if ["host", "none", "default", DEFAULT_NETWORK].contains(&name) {
        return Err(Error::Conflict(format!(
            "{name} is a pre-defined network and cannot be created"
        )));
    }
    let st = ctx.store();
    let _lock = st.lock()?;
    if st.network(name)?.is_some() {
        return Err(Error::Conflict(format!(
            "network with name {name} already exists"
        )));
    }
    let mut used: Vec<Subnet> = st.networks()?.iter().map(|n| n.subnet).collect();
    used.push(ctx.subnet);
    let routes: Vec<Subnet> = link::host_routes()
        .into_iter()
        .map(|(a, p)| Subnet::new(a, p))
        .collect();
    let subnet = match o.subnet {
        Some(s) => {
            if let Some(u) = used.iter().find(|u| u.overlaps(&s)) {
                return Err(Error::Conflict(format!(
                    "invalid pool request: Pool overlaps with other one on this address space ({u})"
                )));
            }
            s
        }
        None => (0..=255u8)
            .map(|i| Subnet::new(Ipv4Addr::new(10, 89, i, 0), 24))
            .find(|s| !used.iter().chain(routes.iter()).any(|u| u.overlaps(s)))
            .ok_or_else(|| Error::Conflict("no free subnet in 10.89.0.0/16".into()))?,
    };
    let gateway = o.gateway.unwrap_or_else(|| subnet.gateway());
    if !subnet.contains(gateway) {
        return Err(Error::Invalid(format!(
            "gateway {gateway} is not in subnet {subnet}"
        )));
    }
    let id = random_id();
    let n = NetworkInfo {
        name: name.into(),
        bridge: format!("br-{}", &id[..12]),
        id,
        driver: "bridge".into(),
        subnet,
        gateway,
        internal: o.internal,
        created: now(),
        labels: o.labels.iter().cloned().collect(),
    };
    st.save_network(&n)?;
    Ok(n)
}

/// All networks of this store, the default one first (created if absent).
pub fn list_networks(ctx: &NetContext) -> Result<Vec<NetworkInfo>> {
    let st = ctx.store();
    let _lock = st.lock()?;
    default_network(ctx, &st)?;
    let mut v = st.networks()?;
    v.sort_by_key(|n| (n.name != DEFAULT_NETWORK, n.name.clone()));
    Ok(v)
}

/// One network and the endpoints on it.
pub fn inspect_network(ctx: &NetContext, name: &str) -> Result<(NetworkInfo, Vec<Endpoint>)> {
    let st = ctx.store();
    let _lock = st.lock()?;
    let n = resolve_network(ctx, &st, name)?;
    let eps = st
        .endpoints()?
        .into_iter()
        .filter(|e| e.attachments.iter().any(|a| a.network == n.name))
        .collect();
    Ok((n, eps))
}

/// `network rm`: refuse while containers are attached; remove the bridge.
pub fn remove_network(ctx: &NetContext, name: &str) -> Result<String> {
    let st = ctx.store();
    let _lock = st.lock()?;
    if ["host", "none", "default", DEFAULT_NETWORK].contains(&name) {
        return Err(Error::Conflict(format!(
            "{name} is a pre-defined network and cannot be removed"
        )));
    }
    sweep_stale(&st)?;
    let n = resolve_network(ctx, &st, name)?;
    if st
        .endpoints()?
        .iter()
        .any(|e| e.attachments.iter().any(|a| a.network == n.name))
    {
        return Err(Error::Conflict(format!(
            "error while removing network: network {} id {} has active endpoints",
            n.name, n.id
        )));
    }
    link::delete(&n.bridge)?;
    st.remove_network(&n.name)?;
    sync_rules(ctx, &st)?;
    Ok(n.name)
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
