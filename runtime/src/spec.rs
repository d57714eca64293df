//! The OCI runtime spec (`config.json`) for a container, built from its
//! [`ContainerConfig`] the way docker's daemon builds it: default mounts,
//! namespaces, capabilities, masked paths, device rules, cgroup resources.
//!
//! Built as JSON rather than through oci-spec's builders: the shape is the
//! documented runtime-spec one and reads like docker's own defaults.

use std::path::Path;

use serde_json::{json, Value};

use crate::config::{ContainerConfig, MountKind, Network};
use crate::error::Result;
use crate::security;
use crate::user::ResolvedUser;

/// Capabilities the init keeps only until our executor has installed the
/// seccomp filter and brought up loopback: they are in the effective and
/// permitted sets but not in the bounding, inheritable or ambient sets, so
/// the kernel drops them at execve. docker's runc installs seccomp before
/// dropping capabilities for the same reason (no_new_privs is off by
/// default, and without it seccomp() needs CAP_SYS_ADMIN).
pub const SETUP_CAPS: &[&str] = &["CAP_SYS_ADMIN", "CAP_NET_ADMIN"];

/// cgroup path: an explicit `/skiff/<id>` (libcontainer would otherwise use
/// `:youki:<id>`), absolute so the cgroupfs manager is used on v1, v2 and
/// hybrid hosts alike.
pub fn cgroups_path(id: &str) -> String {
    format!("/skiff/{id}")
}

pub struct SpecInputs<'a> {
    pub cfg: &'a ContainerConfig,
    pub user: &'a ResolvedUser,
    /// Absolute path of the container's directory (hosts, resolv.conf...).
    pub dir: &'a Path,
    /// Host source directory for each of `cfg.mounts` (binds and volumes).
    pub mount_sources: &'a [String],
    pub seccomp_active: bool,
}

pub fn build(inp: &SpecInputs) -> Result<Value> {
    let cfg = inp.cfg;
    let privileged = cfg.security.privileged;
    let caps = security::capabilities(privileged, &cfg.security.cap_add, &cfg.security.cap_drop)?;
    let mut held = caps.clone();
    let needs_setup_caps =
        (inp.seccomp_active && !cfg.security.no_new_privileges) || cfg.network == Network::None;
    if needs_setup_caps {
        for c in SETUP_CAPS {
            if !held.iter().any(|h| h == c) {
                held.push(c.to_string());
            }
        }
    }

    let mut env = cfg.env.clone();
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={}", inp.user.home));
    }

    let rlimits: Vec<Value> = cfg
        .ulimits
        .iter()
        .map(|u| {
            json!({"type": format!("RLIMIT_{}", u.name.to_ascii_uppercase()),
                   "soft": u.soft, "hard": u.hard})
        })
        .collect();

    let process = json!({
        "terminal": cfg.tty,
        "user": {
            "uid": inp.user.uid,
            "gid": inp.user.gid,
            "additionalGids": inp.user.additional_gids,
        },
        "args": cfg.args,
        "env": env,
        "cwd": if cfg.workdir.is_empty() { "/" } else { cfg.workdir.as_str() },
        "capabilities": {
            "bounding": caps,
            "effective": held,
            "permitted": held,
        },
        "rlimits": rlimits,
        "noNewPrivileges": cfg.security.no_new_privileges,
        "oomScoreAdj": cfg.host.oom_score_adj,
    });

    let mut mounts = default_mounts(privileged, cfg.host.shm_size);
    let dir = inp.dir;
    // docker mounts these read-only with a read-only rootfs: `--read-only`
    // means nothing under / is writable but volumes and tmpfs mounts.
    let etc_mode = if cfg.read_only { "ro" } else { "rw" };
    let etc = |name: &str, dest: &str| {
        json!({"destination": dest, "type": "bind",
               "source": dir.join(name).to_string_lossy(),
               "options": ["rbind", "rprivate", etc_mode]})
    };
    mounts.push(etc("hosts", "/etc/hosts"));
    mounts.push(etc("resolv.conf", "/etc/resolv.conf"));
    mounts.push(etc("hostname", "/etc/hostname"));

    // User mounts go after the defaults, parents before children, as
    // docker sorts them, so `-v x:/a -v y:/a/b` nests the right way round.
    let mut user: Vec<(usize, Value)> = Vec::new();
    for (i, m) in cfg.mounts.iter().enumerate() {
        let v = match m.kind {
            MountKind::Tmpfs => {
                let mut opts = vec!["nosuid".to_string(), "nodev".to_string()];
                if m.readonly {
                    opts.push("ro".into());
                }
                opts.extend(m.options.iter().cloned());
                json!({"destination": m.destination, "type": "tmpfs", "source": "tmpfs", "options": opts})
            }
            MountKind::Bind | MountKind::Volume => {
                let mut opts = vec!["rbind".to_string()];
                opts.push(if m.readonly { "ro" } else { "rw" }.into());
                if !m
                    .options
                    .iter()
                    .any(|o| o.contains("private") || o.contains("shared") || o.contains("slave"))
                {
                    opts.push("rprivate".into());
                }
                opts.extend(m.options.iter().cloned());
                json!({"destination": m.destination, "type": "bind",
                       "source": inp.mount_sources.get(i).cloned().unwrap_or_default(),
                       "options": opts})
            }
        };
        user.push((m.destination.trim_end_matches('/').matches('/').count(), v));
    }
    user.sort_by_key(|(depth, _)| *depth);
    mounts.extend(user.into_iter().map(|(_, v)| v));

    // `--pid host` / `--ipc host` share the host's: no namespace of its own.
    let mut namespaces = vec![json!({"type": "mount"}), json!({"type": "cgroup"})];
    if !cfg.host.pid_host {
        namespaces.push(json!({"type": "pid"}));
    }
    if !cfg.host.ipc_host {
        namespaces.push(json!({"type": "ipc"}));
    }
    match cfg.network {
        Network::None => namespaces.push(json!({"type": "network"})),
        Network::Default => {}
        Network::Bridge => {
            // The namespace skiff-network pinned and wired (net::attach).
            let root = inp.dir.parent().and_then(|p| p.parent()).unwrap_or(inp.dir);
            namespaces.push(json!({
                "type": "network",
                "path": skiff_network::netns_path(root, &cfg.id),
            }))
        }
        Network::Host => {}
    }
    // UTS: private unless `--network host` asked for the host's identity.
    if !cfg.host.uts_host && (cfg.network != Network::Host || !cfg.hostname.is_empty()) {
        namespaces.push(json!({"type": "uts"}));
    }

    let mut linux = json!({
        "cgroupsPath": cgroups_path(&cfg.id),
        "namespaces": namespaces,
        "resources": resources(cfg),
    });
    if !cfg.host.sysctls.is_empty() {
        let sysctl: serde_json::Map<String, Value> = cfg
            .host
            .sysctls
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        linux["sysctl"] = Value::Object(sysctl);
    }
    if !privileged {
        linux["maskedPaths"] = json!(security::MASKED_PATHS);
        linux["readonlyPaths"] = json!(security::READONLY_PATHS);
    } else {
        linux["devices"] = json!(host_devices());
    }

    let hostname = if (cfg.network == Network::Host || cfg.host.uts_host) && cfg.hostname.is_empty()
    {
        Value::Null
    } else {
        json!(cfg.hostname)
    };
    let annotations: serde_json::Map<String, Value> = cfg
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut spec = json!({
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": "rootfs", "readonly": cfg.read_only},
        "mounts": mounts,
        "linux": linux,
        "annotations": annotations,
    });
    if !hostname.is_null() {
        spec["hostname"] = hostname;
    }
    Ok(spec)
}

fn default_mounts(privileged: bool, shm_size: i64) -> Vec<Value> {
    // docker's 64 MiB /dev/shm unless `--shm-size` says otherwise.
    let shm_size = if shm_size > 0 { shm_size } else { 64 << 20 };
    let sys_opts: Vec<&str> = if privileged {
        vec!["nosuid", "noexec", "nodev"]
    } else {
        vec!["nosuid", "noexec", "nodev", "ro"]
    };
    // Read-only cgroupfs: a container must not raise its own limits by
    // writing memory.limit_in_bytes or pids.max (on v1 every controller is
    // mounted below this, see vendor/PATCHES.md). docker leaves it writable
    // for --privileged only.
    let mut cgroup_opts = vec!["nosuid", "noexec", "nodev", "relatime"];
    if !privileged {
        cgroup_opts.push("ro");
    }
    vec![
        json!({"destination": "/proc", "type": "proc", "source": "proc",
               "options": ["nosuid", "noexec", "nodev"]}),
        json!({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
               "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}),
        json!({"destination": "/dev/pts", "type": "devpts", "source": "devpts",
               "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}),
        json!({"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": sys_opts}),
        json!({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
               "options": cgroup_opts}),
        json!({"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
               "options": ["nosuid", "noexec", "nodev"]}),
        json!({"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
               "options": ["nosuid", "noexec", "nodev", "mode=1777", format!("size={shm_size}")]}),
    ]
}

fn resources(cfg: &ContainerConfig) -> Value {
    let r = &cfg.resources;
    let mut out = serde_json::Map::new();
    let devices: Vec<Value> = if cfg.security.privileged {
        vec![json!({"allow": true, "access": "rwm"})]
    } else {
        let mut d = vec![json!({"allow": false, "access": "rwm"})];
        for (kind, major, minor, access) in security::ALLOWED_DEVICES {
            let mut e = json!({"allow": true, "type": kind, "access": access});
            if *major >= 0 {
                e["major"] = json!(major);
            }
            if *minor >= 0 {
                e["minor"] = json!(minor);
            }
            d.push(e);
        }
        d
    };
    out.insert("devices".into(), json!(devices));
    let mut mem = serde_json::Map::new();
    if r.memory > 0 {
        mem.insert("limit".into(), json!(r.memory));
        // docker: swap unset means as much swap as memory (total 2x).
        let swap = match r.memory_swap {
            0 => r.memory * 2,
            s => s,
        };
        if swap_accounting_available() {
            mem.insert("swap".into(), json!(swap));
        }
    }
    if r.memory_reservation > 0 {
        mem.insert("reservation".into(), json!(r.memory_reservation));
    }
    if !mem.is_empty() {
        out.insert("memory".into(), Value::Object(mem));
    }
    let mut cpu = serde_json::Map::new();
    if r.nano_cpus > 0 {
        let period: u64 = 100_000;
        cpu.insert("period".into(), json!(period));
        cpu.insert(
            "quota".into(),
            json!(r.nano_cpus * period as i64 / 1_000_000_000),
        );
    }
    if r.cpu_shares > 0 {
        cpu.insert("shares".into(), json!(r.cpu_shares));
    }
    if !cpu.is_empty() {
        out.insert("cpu".into(), Value::Object(cpu));
    }
    if r.pids_limit != 0 {
        out.insert("pids".into(), json!({"limit": r.pids_limit}));
    }
    Value::Object(out)
}

/// Whether the host accounts swap (v1 `memory.memsw.*`, v2 `memory.swap.max`);
/// without it a swap limit cannot be set, and docker silently drops it too.
fn swap_accounting_available() -> bool {
    Path::new("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists()
        || Path::new("/sys/fs/cgroup/memory.swap.max").exists()
        || std::fs::read_to_string("/sys/fs/cgroup/cgroup.subtree_control")
            .map(|s| s.contains("memory"))
            .unwrap_or(false)
}

/// `--privileged` gives the container the host's device nodes, as docker does.
fn host_devices() -> Vec<Value> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/dev") else {
        return out;
    };
    for e in entries.flatten() {
        let Ok(md) = std::fs::symlink_metadata(e.path()) else {
            continue;
        };
        let ft = md.file_type();
        let kind = if ft.is_char_device() {
            "c"
        } else if ft.is_block_device() {
            "b"
        } else {
            continue;
        };
        let name = e.file_name().to_string_lossy().into_owned();
        // These are provided by the container's own /dev setup.
        if [
            "console", "ptmx", "tty", "null", "zero", "full", "random", "urandom",
        ]
        .contains(&name.as_str())
        {
            continue;
        }
        let rdev = md.rdev();
        out.push(json!({
            "path": format!("/dev/{name}"),
            "type": kind,
            "major": libc::major(rdev),
            "minor": libc::minor(rdev),
            "fileMode": md.mode() & 0o7777,
            "uid": md.uid(),
            "gid": md.gid(),
        }));
    }
    out
}
