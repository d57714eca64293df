//! `inspect` output in docker's JSON shape (the fields tools read:
//! Id, Name, State.*, Config.*, HostConfig.*, Mounts).

use serde_json::{json, Value};

use crate::config::MountKind;
use crate::paths::Layout;
use crate::state::Record;
use crate::volumes;

/// HostConfig's restart, logging, DNS, sysctl and namespace keys (a
/// separate object: one json! of every key passes the macro's recursion
/// limit).
fn host_extras(c: &crate::config::ContainerConfig) -> Value {
    json!({
            "RestartPolicy": {"Name": c.host.restart.name(), "MaximumRetryCount": c.host.restart.max_retries},
        "LogConfig": {"Type": c.host.log.driver, "Config": log_opts(&c.host.log)},
        "Dns": c.host.dns.servers,
        "DnsSearch": c.host.dns.search,
        "DnsOptions": c.host.dns.options,
        "Sysctls": c.host.sysctls.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<String, Value>>(),
        "ShmSize": if c.host.shm_size > 0 { c.host.shm_size } else { 64 << 20 },
        "OomScoreAdj": c.host.oom_score_adj,
        "PidMode": if c.host.pid_host { "host" } else { "" },
        "IpcMode": if c.host.ipc_host { "host" } else { "private" },
        "UTSMode": if c.host.uts_host { "host" } else { "" },
    })
}

/// `--log-opt`s as docker shows them (only those that were set).
fn log_opts(l: &crate::config::LogConfig) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    if l.max_size > 0 {
        m.insert("max-size".into(), json!(l.max_size.to_string()));
    }
    if l.max_file > 1 {
        m.insert("max-file".into(), json!(l.max_file.to_string()));
    }
    m
}

fn zero_time(s: &str) -> &str {
    if s.is_empty() {
        "0001-01-01T00:00:00Z"
    } else {
        s
    }
}

pub fn to_docker(layout: &Layout, r: &Record) -> Value {
    let c = &r.config;
    let s = &r.state;
    let running = r.is_running();
    let mounts: Vec<Value> = c
        .mounts
        .iter()
        .map(|m| match m.kind {
            MountKind::Bind => json!({
                "Type": "bind", "Source": m.source, "Destination": m.destination,
                "Mode": if m.readonly { "ro" } else { "" }, "RW": !m.readonly, "Propagation": "rprivate"
            }),
            MountKind::Volume => json!({
                "Type": "volume", "Name": m.source,
                "Source": volumes::data_dir(layout, &m.source),
                "Destination": m.destination, "Driver": "local",
                "Mode": if m.readonly { "ro" } else { "z" }, "RW": !m.readonly, "Propagation": ""
            }),
            MountKind::Tmpfs => json!({
                "Type": "tmpfs", "Source": "", "Destination": m.destination,
                "Mode": "", "RW": !m.readonly, "Propagation": ""
            }),
        })
        .collect();
    let labels: serde_json::Map<String, Value> = c
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let (path, args) = match c.args.split_first() {
        Some((p, a)) => (p.clone(), a.to_vec()),
        None => (String::new(), Vec::new()),
    };
    let dir = layout.container(&c.id);
    let mut v = json!({
        "Id": c.id,
        "Created": c.created,
        "Path": path,
        "Args": args,
        "State": {
            "Status": r.status_word(),
            "Running": running,
            "Paused": r.status_word() == "paused",
            "Restarting": r.is_restarting(),
            "OOMKilled": s.oom_killed,
            "Dead": false,
            "Pid": if running { s.pid } else { 0 },
            "ExitCode": s.exit_code,
            "Error": s.error,
            "StartedAt": zero_time(&s.started_at),
            "FinishedAt": zero_time(&s.finished_at),
            "Health": s.health,
        },
        "Image": c.image_id,
        "ResolvConfPath": dir.join("resolv.conf"),
        "HostnamePath": dir.join("hostname"),
        "HostsPath": dir.join("hosts"),
        "LogPath": dir.join("ctr.log"),
        "Name": format!("/{}", c.name),
        "RestartCount": s.restart_count,
        "Driver": "overlay",
        "Platform": "linux",
        "HostConfig": {
            "Binds": c.mounts.iter().filter(|m| m.kind != MountKind::Tmpfs && !m.anonymous)
                .map(|m| format!("{}:{}{}", m.source, m.destination, if m.readonly { ":ro" } else { "" }))
                .collect::<Vec<_>>(),
            "NetworkMode": if c.network_name.is_empty() { c.network.docker_name() } else { c.network_name.as_str() },
            "AutoRemove": c.auto_remove,
            "Privileged": c.security.privileged,
            "ReadonlyRootfs": c.read_only,
            "CapAdd": c.security.cap_add,
            "CapDrop": c.security.cap_drop,
            "Init": c.init,
            "Memory": c.resources.memory,
            "MemoryReservation": c.resources.memory_reservation,
            "MemorySwap": c.resources.memory_swap,
            "NanoCpus": c.resources.nano_cpus,
            "CpuShares": c.resources.cpu_shares,
            "PidsLimit": c.resources.pids_limit,
            "Ulimits": c.ulimits.iter().map(|u| json!({"Name": u.name, "Soft": u.soft, "Hard": u.hard})).collect::<Vec<_>>(),
            "ExtraHosts": c.add_hosts.iter().map(|(h, ip)| format!("{h}:{ip}")).collect::<Vec<_>>(),
            "SecurityOpt": security_opts(c),
            "CgroupParent": "/skiff",
        },
        "Mounts": mounts,
        "Config": {
            "Hostname": c.hostname,
            "Domainname": c.domainname,
            "User": c.user,
            "AttachStdin": false,
            "AttachStdout": !c.detach,
            "AttachStderr": !c.detach,
            "Tty": c.tty,
            "OpenStdin": c.open_stdin,
            "Env": c.env,
            "Cmd": c.cmd,
            "Image": c.image,
            "WorkingDir": c.workdir,
            "Entrypoint": if c.entrypoint.is_empty() { Value::Null } else { json!(c.entrypoint) },
            "Labels": labels,
            "StopSignal": if c.stop_signal.is_empty() { "SIGTERM" } else { c.stop_signal.as_str() },
            "StopTimeout": c.stop_timeout,
        },
        "NetworkSettings": crate::net::settings_json(layout, &c.id),
    });
    if let (Some(h), Value::Object(extra)) = (v["HostConfig"].as_object_mut(), host_extras(c)) {
        h.extend(extra);
    }
    if let Some(hc) = &c.healthcheck {
        v["Config"]["Healthcheck"] = json!(hc);
    }
    crate::inspect_defaults::fill(layout, c, &mut v);
    v
}

fn security_opts(c: &crate::ContainerConfig) -> Vec<String> {
    let mut v = Vec::new();
    match &c.security.seccomp {
        crate::Seccomp::Unconfined => v.push("seccomp=unconfined".to_string()),
        crate::Seccomp::Profile(_) => v.push("seccomp=<profile>".to_string()),
        crate::Seccomp::Default => {}
    }
    if c.security.no_new_privileges {
        v.push("no-new-privileges".into());
    }
    v
}
