//! `skiff run`: docker's flags turned into a container config; the
//! container itself is started by skiff-runtime in a single-threaded
//! runtime process (see that crate's docs).

use std::path::PathBuf;

use anyhow::{anyhow, Context};
use clap::Args as ClapArgs;
use skiff_runtime::{flags, ContainerConfig, Layout, MountSpec, Network, Seccomp};

use crate::exit::Failure;
use crate::globals::Globals;

/// docker's default PATH when the image sets none.
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// `run`'s flags, boxed: they are many, and the command enum stays small.
#[derive(Debug, Default, ClapArgs)]
#[command(disable_help_flag = true)]
pub struct Args {
    #[command(flatten)]
    pub opts: Box<Options>,
}

#[derive(Debug, Default, ClapArgs)]
pub struct Options {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    /// Run container in background and print container ID
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Automatically remove the container and its anonymous volumes when it exits
    #[arg(long)]
    pub rm: bool,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Working directory inside the container
    #[arg(short = 'w', long = "workdir")]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Add additional groups to join
    #[arg(long = "group-add")]
    pub group_add: Vec<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long, allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// Bind mount a volume (SRC:DST[:ro], NAME:DST, or DST for an anonymous volume)
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Attach a filesystem mount (type=bind|volume|tmpfs,source=,target=,readonly)
    #[arg(long)]
    pub mount: Vec<String>,
    /// Mount a tmpfs directory (PATH[:OPTIONS])
    #[arg(long)]
    pub tmpfs: Vec<String>,
    /// Mount the container's root filesystem as read only
    #[arg(long = "read-only")]
    pub read_only: bool,
    /// Memory limit
    #[arg(short = 'm', long)]
    pub memory: Option<String>,
    /// Memory soft limit
    #[arg(long = "memory-reservation")]
    pub memory_reservation: Option<String>,
    /// Swap limit equal to memory plus swap: -1 to enable unlimited swap
    #[arg(long = "memory-swap", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Number of CPUs
    #[arg(long)]
    pub cpus: Option<String>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long = "cpu-shares")]
    pub cpu_shares: Option<u64>,
    /// Tune container pids limit (-1 for unlimited)
    #[arg(long = "pids-limit", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Ulimit options (type=soft[:hard])
    #[arg(long)]
    pub ulimit: Vec<String>,
    /// Add Linux capabilities
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Give extended privileges to this container
    #[arg(long)]
    pub privileged: bool,
    /// Security Options (seccomp=unconfined|FILE, no-new-privileges)
    #[arg(long = "security-opt")]
    pub security_opt: Vec<String>,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long)]
    pub init: bool,
    /// Container host name
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host")]
    pub add_host: Vec<String>,
    /// Set meta data on a container
    #[arg(long = "label")]
    pub label: Vec<String>,
    /// Signal to stop the container
    #[arg(long = "stop-signal")]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) to stop a container
    #[arg(long = "stop-timeout", allow_hyphen_values = true)]
    pub stop_timeout: Option<i64>,
    /// Connect a container to a network (bridge, host, none, or a user network)
    #[arg(long = "network", alias = "net")]
    pub network: Option<String>,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Add network-scoped alias for the container
    #[arg(long = "network-alias", alias = "net-alias")]
    pub network_alias: Vec<String>,
    /// The IMAGE argument is a root filesystem directory (as podman's --rootfs)
    #[arg(long)]
    pub rootfs: bool,
    /// Pull image before running ("missing", "never")
    #[arg(long, default_value = "missing")]
    pub pull: String,
    /// IMAGE [COMMAND] [ARG...]
    #[arg(
        value_name = "IMAGE [COMMAND] [ARG...]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub image_and_command: Vec<String>,
}

/// The image pieces a container needs.
pub struct ImageInfo {
    pub reference: String,
    pub id: String,
    pub layers: Vec<PathBuf>,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub workdir: String,
    /// EXPOSEd ports ("8080/tcp"), for `-P`.
    pub exposed: Vec<String>,
    pub user: String,
    pub stop_signal: String,
    pub labels: Vec<(String, String)>,
    pub volumes: Vec<String>,
    /// What the container pins in the store against GC and `rmi`.
    pub pins: Vec<skiff_store::oci_spec::image::Digest>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let a = *a.opts;
    let layout = Layout::new(absolute_root(&g.root)?);
    let detach = a.detach;
    let (cfg, pins) = build_config(g, a)?;
    let name = if cfg.name.is_empty() {
        None
    } else {
        Some(cfg.name.clone())
    };
    let cfg = skiff_runtime::lifecycle::create(&layout, cfg, name.as_deref())?;
    if !pins.is_empty() {
        // The image stays in the store while a container uses it.
        let pinned = skiff_store::Store::open(layout.root())
            .and_then(|s| s.pin("containers", &cfg.id, &pins));
        if let Err(e) = pinned {
            let _ = skiff_runtime::lifecycle::remove(&layout, &cfg.id, true, true);
            return Err(anyhow!("cannot pin image {}: {e}", cfg.image));
        }
    }
    if detach {
        if let Err(e) = skiff_runtime::lifecycle::start_detached(&layout, &cfg.id) {
            return Err(Failure::new(e.exit_code(), e.to_string()));
        }
        println!("{}", cfg.id);
        return Ok(0);
    }
    // Replaces this process; only returns on failure.
    let err = skiff_runtime::lifecycle::exec_foreground(&layout, &cfg.id);
    let _ = skiff_runtime::lifecycle::remove(&layout, &cfg.id, true, true);
    Err(err.into())
}

pub fn absolute_root(root: &std::path::Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    std::fs::canonicalize(root).with_context(|| format!("cannot resolve {}", root.display()))
}

fn build_config(
    g: &Globals,
    a: Options,
) -> anyhow::Result<(ContainerConfig, Vec<skiff_store::oci_spec::image::Digest>)> {
    let net = super::network::context(g)?;
    let (network, network_name) = match a.network.as_deref() {
        None | Some("default") | Some("bridge") => (Network::Bridge, String::new()),
        Some("host") => (Network::Host, String::new()),
        Some("none") => (Network::None, String::new()),
        Some(other) if other.starts_with("container:") => {
            return Err(anyhow!(
                "--network {other}: joining another container's network namespace is not supported"
            ))
        }
        Some(other) => {
            let (n, _) = skiff_runtime::network::inspect_network(&net, other)?;
            (Network::Bridge, n.name)
        }
    };
    let mut ports = Vec::new();
    for p in &a.publish {
        ports.extend(skiff_runtime::network::ports::parse(p)?);
    }
    if network != Network::Bridge && (!ports.is_empty() || a.publish_all) {
        eprintln!(
            "WARNING: Published ports are discarded when using {} network mode",
            network.docker_name()
        );
        ports.clear();
    }
    if !a.network_alias.is_empty() && network_name.is_empty() {
        return Err(anyhow!(
            "network-scoped alias is supported only for containers in user defined networks"
        ));
    }
    let mut it = a.image_and_command.into_iter();
    let image_ref = it
        .next()
        .ok_or_else(|| anyhow!("\"skiff run\" requires at least 1 argument"))?;
    let command: Vec<String> = it.collect();
    if a.pull == "always" {
        // Pulling from `run` waits for the registry client to be wired in.
        super::not_yet("run --pull always")?;
    }
    let image = if a.rootfs {
        rootfs_image(&image_ref)?
    } else {
        store_image(g, &image_ref, &a.pull)?
    };

    // Entrypoint/Cmd, docker's rules: --entrypoint resets the image's Cmd;
    // arguments after the image replace Cmd.
    let (entrypoint, cmd) = match &a.entrypoint {
        Some(e) => (
            if e.is_empty() {
                vec![]
            } else {
                vec![e.clone()]
            },
            command.clone(),
        ),
        None => (
            image.entrypoint.clone(),
            if command.is_empty() {
                image.cmd.clone()
            } else {
                command.clone()
            },
        ),
    };
    let args: Vec<String> = entrypoint.iter().chain(cmd.iter()).cloned().collect();
    if args.is_empty() {
        return Err(anyhow!("No command specified"));
    }

    let mut env = image.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    if a.tty {
        flags::merge_env(&mut env, &["TERM=xterm".to_string()]);
    }
    let mut overrides = Vec::new();
    for f in &a.env_file {
        overrides.extend(flags::read_env_file(f)?);
    }
    overrides.extend(a.env.iter().filter_map(|e| flags::env_value(e)));
    flags::merge_env(&mut env, &overrides);

    let workdir = match &a.workdir {
        Some(w) if !w.starts_with('/') => {
            return Err(anyhow!(
                "the working directory '{w}' is invalid, it needs to be an absolute path"
            ))
        }
        Some(w) => w.clone(),
        None => image.workdir.clone(),
    };

    let mut mounts: Vec<MountSpec> = Vec::new();
    for v in &a.volume {
        let m = flags::parse_volume(v)?;
        if m.kind == skiff_runtime::MountKind::Bind && !std::path::Path::new(&m.source).exists() {
            // docker creates a missing -v host directory.
            std::fs::create_dir_all(&m.source)
                .with_context(|| format!("cannot create bind source {}", m.source))?;
        }
        mounts.push(m);
    }
    for m in &a.mount {
        mounts.push(flags::parse_mount(m)?);
    }
    for t in &a.tmpfs {
        mounts.push(flags::parse_tmpfs(t)?);
    }
    for (i, m) in mounts.iter().enumerate() {
        if mounts[..i].iter().any(|o| o.destination == m.destination) {
            return Err(anyhow!("Duplicate mount point: {}", m.destination));
        }
    }
    // The image's VOLUMEs not covered by a mount become anonymous volumes.
    for v in &image.volumes {
        if !mounts
            .iter()
            .any(|m| m.destination.trim_end_matches('/') == v.trim_end_matches('/'))
        {
            mounts.push(flags::parse_volume(v)?);
        }
    }

    let mut resources = skiff_runtime::Resources::default();
    if let Some(m) = &a.memory {
        resources.memory = flags::parse_size("--memory", m)?;
        if resources.memory > 0 && resources.memory < 6 << 20 {
            return Err(anyhow!("Minimum memory limit allowed is 6MB"));
        }
    }
    if let Some(m) = &a.memory_reservation {
        resources.memory_reservation = flags::parse_size("--memory-reservation", m)?;
    }
    if let Some(m) = &a.memory_swap {
        resources.memory_swap = flags::parse_swap(m)?;
        if resources.memory == 0 && resources.memory_swap > 0 {
            return Err(anyhow!(
                "You should always set the Memory limit when using Memoryswap limit, see usage"
            ));
        }
        if resources.memory_swap > 0 && resources.memory_swap < resources.memory {
            return Err(anyhow!(
                "Minimum memoryswap limit should be larger than memory limit, see usage"
            ));
        }
    }
    if let Some(c) = &a.cpus {
        resources.nano_cpus = flags::parse_cpus(c)?;
    }
    resources.cpu_shares = a.cpu_shares.unwrap_or(0);
    if let Some(p) = a.pids_limit {
        resources.pids_limit = if p <= 0 { 0 } else { p };
    }
    let ulimits = a
        .ulimit
        .iter()
        .map(|u| flags::parse_ulimit(u))
        .collect::<Result<Vec<_>, _>>()?;
    let sec = flags::parse_security_opts(&a.security_opt)?;
    // Validate capability names now, with the flag in the message.
    skiff_runtime::security::capabilities(a.privileged, &a.cap_add, &a.cap_drop)?;
    let add_hosts = a
        .add_host
        .iter()
        .map(|h| flags::parse_add_host(h))
        .collect::<Result<Vec<_>, _>>()?;
    let mut labels = image.labels.clone();
    for l in &a.label {
        let (k, v) = flags::parse_label(l);
        labels.retain(|(ek, _)| ek != &k);
        labels.push((k, v));
    }
    let stop_signal = a.stop_signal.clone().unwrap_or(image.stop_signal.clone());
    if !stop_signal.is_empty() && skiff_runtime::sig::parse(&stop_signal).is_none() {
        return Err(anyhow!("invalid signal: {stop_signal}"));
    }
    if let Some(n) = &a.name {
        if !skiff_runtime::state::valid_name(n.trim_start_matches('/')) {
            return Err(anyhow!(
                "Invalid container name ({n}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            ));
        }
    }
    let (hostname, domainname) = match &a.hostname {
        Some(h) => match h.split_once('.') {
            Some((host, domain)) => (host.to_string(), domain.to_string()),
            None => (h.clone(), String::new()),
        },
        None => (String::new(), String::new()),
    };

    if a.publish_all && network == Network::Bridge {
        for e in &image.exposed {
            let spec = e.strip_suffix("/sctp").unwrap_or(e);
            for mut p in skiff_runtime::network::ports::parse(spec)? {
                if !ports
                    .iter()
                    .any(|q| q.container_port == p.container_port && q.proto == p.proto)
                {
                    p.host_port = 0;
                    ports.push(p);
                }
            }
        }
    }
    // docker's refusal of a taken host port, before anything is created
    // (attach checks again under the network lock).
    skiff_runtime::network::check_ports(&net, &ports)?;
    let pins = image.pins.clone();
    let cfg = ContainerConfig {
        name: a.name.clone().unwrap_or_default(),
        image: image.reference,
        image_id: image.id,
        layers: image.layers,
        args,
        entrypoint,
        cmd,
        env,
        workdir,
        user: a.user.clone().unwrap_or(image.user),
        group_add: a.group_add.clone(),
        hostname,
        domainname,
        tty: a.tty,
        open_stdin: a.interactive,
        detach: a.detach,
        auto_remove: a.rm,
        mounts,
        read_only: a.read_only,
        resources,
        ulimits,
        security: skiff_runtime::Security {
            privileged: a.privileged,
            cap_add: a.cap_add.clone(),
            cap_drop: a.cap_drop.clone(),
            seccomp: sec.seccomp.unwrap_or(Seccomp::Default),
            no_new_privileges: sec.no_new_privileges,
        },
        init: a.init,
        add_hosts,
        labels,
        stop_signal,
        stop_timeout: a.stop_timeout,
        network,
        network_name,
        network_aliases: a.network_alias.clone(),
        ports,
        ..Default::default()
    };
    Ok((cfg, pins))
}

/// `--rootfs DIR`: the directory is the (read-only) lower layer.
fn rootfs_image(dir: &str) -> anyhow::Result<ImageInfo> {
    let p = std::fs::canonicalize(dir).with_context(|| format!("rootfs {dir}"))?;
    if !p.is_dir() {
        return Err(anyhow!("rootfs {dir} is not a directory"));
    }
    Ok(ImageInfo {
        reference: p.to_string_lossy().into_owned(),
        id: String::new(),
        layers: vec![p],
        env: vec![],
        entrypoint: vec![],
        cmd: vec![],
        workdir: String::new(),
        exposed: vec![],
        user: String::new(),
        stop_signal: String::new(),
        labels: vec![],
        volumes: vec![],
        pins: vec![],
    })
}

/// Resolve an image in skiff's store and unpack its layers if needed.
pub fn store_image(g: &Globals, reference: &str, pull: &str) -> anyhow::Result<ImageInfo> {
    let store = skiff_store::Store::open(&g.root)?;
    let img = match store.resolve(reference) {
        Ok(i) => i,
        Err(e) => {
            if pull == "never" {
                return Err(anyhow!("{e}"));
            }
            return Err(anyhow!(
                "Unable to find image '{reference}' locally: {e} (pull it first with `skiff pull {reference}`)"
            ));
        }
    };
    let layers = store.image_layers(&img)?;
    let config = store.image_config(&img)?;
    let c = config.config().clone().unwrap_or_default();
    let labels = c
        .labels()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect::<Vec<_>>();
    let mut volumes: Vec<String> = c
        .volumes()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    volumes.sort();
    Ok(ImageInfo {
        reference: reference.to_string(),
        id: img.id().to_string(),
        layers,
        env: c.env().clone().unwrap_or_default(),
        entrypoint: c.entrypoint().clone().unwrap_or_default(),
        cmd: c.cmd().clone().unwrap_or_default(),
        workdir: c.working_dir().clone().unwrap_or_default(),
        exposed: c.exposed_ports().clone().unwrap_or_default(),
        user: c.user().clone().unwrap_or_default(),
        stop_signal: c.stop_signal().clone().unwrap_or_default(),
        labels,
        volumes,
        pins: vec![img.digest.clone(), img.config_digest.clone()],
    })
}
