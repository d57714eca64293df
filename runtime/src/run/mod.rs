//! `docker run` and `docker exec` as the CLI hands them over: the image and
//! the parsed flags ([`options`]) in, a created and started container out.
//! Every rule docker applies between the two lives here: how the image's
//! config and the flags combine (`process.rs`, `mounts.rs`,
//! `resources.rs`, `network.rs`), what is refused, what happens to a
//! container whose runtime process cannot be started.

mod health;
mod host;
mod image;
mod mounts;
mod network;
pub mod options;
mod process;
pub(crate) mod resources;
mod validate;

use skiff_core::atomic::Durability;
use skiff_network::NetContext;

pub use image::RunImage;
use image::{list, text};
pub use options::{
    ExecOptions, Fetch, HealthOptions, HostOptions, ImageSource, MountOptions, NetworkOptions,
    Platform, ProcessOptions, Pull, PullRequest, ResourceOptions, RunOptions, SecurityOptions,
};
/// docker's rules for --memory, --memory-swap, --cpus..., for `skiff build` too.
pub use resources::resolve as resolve_resources;

use crate::config::{ContainerConfig, Seccomp, Security};
use crate::error::{Error, Result};
use crate::paths::Layout;
use crate::{flags, lifecycle, net, sig, state};

/// Build the container's config from `image` and `opts`, register it and
/// pin its image in the store. `warn` hears what docker prints as a
/// WARNING and then ignores (ports published in a mode without ports);
/// `fetch` pulls the image when `--pull` says so.
pub fn create(
    layout: &Layout,
    image: &ImageSource,
    opts: RunOptions,
    warn: &mut dyn FnMut(&str),
    fetch: &mut Fetch<'_>,
) -> Result<ContainerConfig> {
    // The kernel's wait before a cgroup migration (an RCU grace period,
    // 6 to 28 ms here) runs while we register, exec and set up, not after.
    // First thing: the runner's first cgroup write is ~8 ms away, the
    // grace period often longer. (`skiff create` alone pays one fork.)
    crate::cgroup_prime::prime();
    // Lease before the image is resolved (and pulled) and its layers
    // unpacked, held until the pin below: a concurrent `rmi` or prune must
    // not collect the blobs or snapshots in between. A pull under the lease
    // only ever tries the GC lock, so it cannot wait on itself. The store
    // is opened once for the whole run (open makes its dirs and sweeps
    // stale temps: start-up is a hot path).
    let store = skiff_store::Store::open(layout.root()).map_err(|e| Error::Store(e.to_string()))?;
    let _lease = store.lease().map_err(|e| Error::Store(e.to_string()))?;
    crate::mark("store opened, leased");
    let (cfg, pins) = build(layout, &store, image, opts, warn, fetch)?;
    crate::mark("image resolved, config built");
    let name = (!cfg.name.is_empty()).then(|| cfg.name.clone());
    let cfg = lifecycle::create(layout, cfg, name.as_deref())?;
    crate::mark("container registered");
    if !pins.is_empty() {
        // The image stays in the store while a container uses it. A `--rm`
        // container's pin dies with it, like its records (lifecycle::create):
        // no fsync, which under disk load costs more than the rest of the
        // start (a crash kills the container, and a lost pin of a dead
        // container only lets its image be removed).
        let durability = if cfg.auto_remove {
            Durability::Volatile
        } else {
            Durability::Durable
        };
        let pinned = store.pin_with("containers", &cfg.id, &pins, durability);
        if let Err(e) = pinned {
            let _ = lifecycle::remove(layout, &cfg.id, true, true);
            return Err(Error::Store(format!("cannot pin image {}: {e}", cfg.image)));
        }
    }
    Ok(cfg)
}

/// Start a created container. Detached (`-d`): under its monitor, returning
/// once it runs. In the foreground: this process is replaced by the
/// foreground runner, which exits with the container's own code; this
/// returns only if that fails, after removing the container.
pub fn start(layout: &Layout, cfg: &ContainerConfig) -> Result<()> {
    if cfg.detach {
        return lifecycle::start_detached(layout, &cfg.id).map(|_| ());
    }
    crate::mark("exec into the foreground runner");
    let err = lifecycle::exec_foreground(layout, &cfg.id);
    let _ = lifecycle::remove(layout, &cfg.id, true, true);
    Err(err)
}

/// docker's rules, applied in a fixed order: when several flags are bad,
/// the first in this order is the one reported (the order skiff's CLI has
/// always had).
fn build(
    layout: &Layout,
    store: &skiff_store::Store,
    source: &ImageSource,
    o: RunOptions,
    warn: &mut dyn FnMut(&str),
    fetch: &mut Fetch<'_>,
) -> Result<(ContainerConfig, Vec<skiff_store::oci_spec::image::Digest>)> {
    let ctx = NetContext::new(layout.root()).map_err(net::net_err)?;
    let mut net = network::choose(&ctx, &o.network, warn)?;
    // What needs no image is resolved before the image is looked up or
    // pulled, so a bad flag value fails first, as in docker's CLI; the
    // checks whose final form needs the image are in [`validate`].
    validate::flags(&o)?;
    let resources = resources::resolve(&o.resources)?;
    let ulimits = o
        .ulimits
        .iter()
        .map(|u| flags::parse_ulimit(u))
        .collect::<Result<Vec<_>>>()?;
    let security = security(&o.security)?;
    let add_hosts = o
        .add_hosts
        .iter()
        .map(|h| flags::parse_add_host(h))
        .collect::<Result<Vec<_>>>()?;
    if let Some(n) = &o.name {
        state::checked_name(n)?;
    }
    let host = host::resolve(&o.host, o.auto_remove, net.network, o.hostname.is_some())?;
    let image = RunImage::resolve(store, source, fetch)?;
    if let (ImageSource::Store { platform, .. }, Some(have)) = (source, &image.platform) {
        if platform.is_none() {
            if let Some(w) = image::foreign_platform_warning(have) {
                warn(&w);
            }
        }
        // A foreign platform asked for must be runnable here (natively or
        // by a binfmt handler); without --platform the image's config may
        // just name the wrong platform, so that only warns.
        if let Err(e) = crate::emulation::check(have) {
            if platform.is_some() {
                return Err(Error::Invalid(e.to_string()));
            }
            warn(&e.to_string());
        }
    }
    let argv = process::argv(&o, &image)?;
    let env = process::env(&o.process, &image)?;
    let workdir = process::workdir(&o.process, &image)?;
    let mut volumes = list(image.config.volumes());
    volumes.sort();
    let mounts = mounts::resolve(&o.mounts, &volumes)?;
    let mut labels: Vec<(String, String)> = image
        .config
        .labels()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    for l in &o.labels {
        let (k, v) = flags::parse_label(l);
        labels.retain(|(ek, _)| ek != &k);
        labels.push((k, v));
    }
    let stop_signal = o
        .stop_signal
        .clone()
        .unwrap_or_else(|| text(image.config.stop_signal()));
    if !stop_signal.is_empty() && sig::parse(&stop_signal).is_none() {
        return Err(Error::Invalid(format!("invalid signal: {stop_signal}")));
    }
    // `-h host.example.com` sets the domain name too.
    let (hostname, domainname) = match o.hostname.as_deref().map(|h| h.split_once('.')) {
        Some(Some((host, domain))) => (host.to_string(), domain.to_string()),
        Some(None) => (o.hostname.clone().unwrap_or_default(), String::new()),
        None => (String::new(), String::new()),
    };
    let healthcheck = health::resolve(&o.host.health, health::of_image(store, &image).as_ref())?;
    let exposed = list(image.config.exposed_ports());
    network::publish_exposed(&ctx, &mut net, o.network.publish_all, &exposed)?;
    let cfg = ContainerConfig {
        name: o.name.unwrap_or_default(),
        image: image.reference,
        image_id: image.id,
        layers: image.layers,
        args: argv.args,
        entrypoint: argv.entrypoint,
        cmd: argv.cmd,
        env,
        workdir,
        user: o.process.user.unwrap_or_else(|| text(image.config.user())),
        group_add: o.group_add,
        hostname,
        domainname,
        tty: o.process.tty,
        open_stdin: o.process.interactive,
        detach: o.detach,
        auto_remove: o.auto_remove,
        mounts,
        read_only: o.mounts.read_only,
        resources,
        ulimits,
        security,
        init: o.init,
        add_hosts,
        labels,
        stop_signal,
        stop_timeout: o.stop_timeout,
        network: net.network,
        network_name: net.name,
        network_aliases: o.network.aliases,
        ports: net.ports,
        host,
        healthcheck,
        ..Default::default()
    };
    Ok((cfg, image.pins))
}

/// `--security-opt`, and the capability names checked now so the error
/// names the flag.
fn security(o: &SecurityOptions) -> Result<Security> {
    let sec = flags::parse_security_opts(&o.security_opts)?;
    crate::security::capabilities(o.privileged, &o.cap_add, &o.cap_drop)?;
    Ok(Security {
        privileged: o.privileged,
        cap_add: o.cap_add.clone(),
        cap_drop: o.cap_drop.clone(),
        seccomp: sec.seccomp.unwrap_or(Seccomp::Default),
        no_new_privileges: sec.no_new_privileges,
    })
}
