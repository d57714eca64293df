//! The network records: the default `bridge` network (its range chosen
//! away from routes already on the host), lookup by name or id prefix, and
//! `network create`, `ls`, `inspect` and `rm`.

use std::net::Ipv4Addr;

use crate::error::{Error, Result};
use crate::ipam::Subnet;
use crate::store::{Endpoint, NetworkInfo, Store};
use crate::sync::sync_rules;
use crate::{endpoints::sweep_stale, link, NetContext, DEFAULT_NETWORK};

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

pub(crate) fn default_network(ctx: &NetContext, st: &Store) -> Result<NetworkInfo> {
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

pub(crate) fn resolve_network(ctx: &NetContext, st: &Store, name: &str) -> Result<NetworkInfo> {
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
