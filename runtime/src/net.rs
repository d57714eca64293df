//! Bridge networking for containers, through skiff-network: the runtime
//! process attaches the container right before libcontainer starts it (the
//! namespace is pinned at a path the OCI spec joins), and detaches it on
//! teardown and on `rm` (idempotent, so a monitor that was SIGKILLed
//! leaves nothing `rm` or `system prune` cannot release).

use std::path::PathBuf;

use skiff_network as net;

use crate::config::{ContainerConfig, Network};
use crate::error::{Error, Result};
use crate::paths::Layout;

fn ctx(layout: &Layout) -> Result<net::NetContext> {
    net::NetContext::new(layout.root()).map_err(net_err)
}

pub(crate) fn net_err(e: net::Error) -> Error {
    match e {
        net::Error::Invalid(m) => Error::Invalid(m),
        e => Error::Runtime(e.to_string()),
    }
}

/// Attach a bridge-network container; returns the namespace path for the
/// spec, None for other network modes.
pub fn attach(layout: &Layout, cfg: &ContainerConfig) -> Result<Option<PathBuf>> {
    if cfg.network != Network::Bridge {
        return Ok(None);
    }
    let req = net::NetworkRequest {
        network: cfg.network_name.clone(),
        aliases: cfg.network_aliases.clone(),
        ports: cfg.ports.clone(),
        name: cfg.name.clone(),
        hostname: cfg.hostname.clone(),
        etc_dir: Some(layout.container(&cfg.id)),
    };
    let ep = net::attach(&ctx(layout)?, &cfg.id, &req).map_err(net_err)?;
    Ok(Some(ep.netns))
}

/// Release the container's networking (nothing to do if it has none).
pub fn detach(layout: &Layout, id: &str) {
    if let Ok(c) = ctx(layout) {
        let _ = net::detach(&c, id);
    }
}

/// [`detach`], but the container's veths are left to die with its
/// namespace and the bridges and the table nothing uses any more stay for
/// [`settle_after`] (a foreground `run --rm`, whose background child
/// settles): the kernel's ~50 ms of deleting devices are not on the path
/// of the command's exit.
pub fn detach_keeping_idle(layout: &Layout, id: &str) {
    if let Ok(c) = ctx(layout) {
        let _ = net::detach_with(&c, id, net::Idle::Keep);
    }
}

/// How long a bridge left by [`detach_keeping_idle`] may sit idle: long
/// enough for a script's next `run` to plug into it again.
pub const IDLE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// What a later [`settle_after`] needs, read now: a foreground `run --rm`
/// exits right after forking the child that settles, and a script may
/// delete the store root at once (its networks must be known by then).
pub fn defer_settle(layout: &Layout, id: &str) -> Option<net::Deferred> {
    ctx(layout).ok().map(|c| net::Deferred::new(&c, id))
}

/// Wait `grace` (a little over it), then drop the bridges and the table
/// still idle (unless another container came or went meanwhile: it
/// settles then). Blocks: for a background process.
pub fn settle_after(deferred: Option<net::Deferred>, grace: std::time::Duration) {
    let Some(deferred) = deferred else {
        return;
    };
    if !grace.is_zero() {
        // A little over the grace, so our own detach is always older.
        std::thread::sleep(grace + std::time::Duration::from_millis(20));
    }
    let _ = deferred.settle(grace);
}

/// The container's endpoint (addresses, published ports), if attached.
pub fn endpoint(layout: &Layout, id: &str) -> Option<net::Endpoint> {
    net::endpoint(&ctx(layout).ok()?, id).ok().flatten()
}

/// The hook for `skiff system prune`: release the networking of every
/// container that is neither running nor being created (a monitor killed with SIGKILL, a
/// runtime process that died mid-setup) and namespaces nobody records.
/// Returns the container ids released.
pub fn prune(layout: &Layout) -> Result<Vec<String>> {
    let live = |id: &str| {
        crate::state::load(layout, id)
            // Created: possibly starting right now (attached, not yet
            // marked running); `rm` releases it if it never runs.
            .map(|r| r.is_running() || r.state.status == crate::state::Status::Created)
            .unwrap_or(false)
    };
    net::prune(&ctx(layout)?, &live).map_err(net_err)
}

/// docker's `NetworkSettings` for `inspect`: addresses and published ports
/// while the container is attached.
pub fn settings_json(layout: &Layout, id: &str) -> serde_json::Value {
    use serde_json::{json, Map, Value};
    let Some(ep) = endpoint(layout, id) else {
        return json!({"Networks": {}, "Ports": {}, "IPAddress": ""});
    };
    let mut ports = Map::new();
    for p in &ep.ports {
        let key = format!("{}/{}", p.container_port, p.proto.as_str());
        let host_ip = p
            .host_ip
            .map(|i| i.to_string())
            .unwrap_or_else(|| "0.0.0.0".into());
        if let Some(list) = ports
            .entry(key)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
        {
            list.push(json!({"HostIp": host_ip, "HostPort": p.host_port.to_string()}));
        }
    }
    let networks: Map<String, Value> = ep
        .attachments
        .iter()
        .map(|a| {
            (
                a.network.clone(),
                json!({
                    "Aliases": a.aliases,
                    "EndpointID": a.host_veth,
                    "Gateway": a.gateway.to_string(),
                    "IPAddress": a.ip.to_string(),
                    "IPPrefixLen": a.prefix,
                    "MacAddress": "",
                }),
            )
        })
        .collect();
    let first = ep.attachments.first();
    json!({
        "SandboxKey": ep.netns,
        "Ports": ports,
        "IPAddress": first.map(|a| a.ip.to_string()).unwrap_or_default(),
        "IPPrefixLen": first.map(|a| a.prefix).unwrap_or(0),
        "Gateway": first.map(|a| a.gateway.to_string()).unwrap_or_default(),
        "Networks": networks,
    })
}
