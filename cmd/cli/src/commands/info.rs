//! `skiff info`: docker's system-wide information, with docker's field
//! names for `--format` (`{{.ServerVersion}}`, `{{.Containers}}`,
//! `{{json .}}`...). There is no daemon: the "server" is this binary and
//! its store. `SkiffVersion` (and `Name` of `DefaultRuntime`, "skiff")
//! let a tool that reaches skiff through a `docker` link tell it apart;
//! `ServerVersion` is skiff's version too, as in `skiff version`.

use std::collections::BTreeSet;

use clap::Args as ClapArgs;
use serde_json::{json, Value};
use skiff_runtime::state;

use crate::format::{bytes_size, emit, Template};
use crate::globals::Globals;

#[derive(Debug, Default, ClapArgs)]
pub struct Args {
    /// Format output using a custom template ('json' or a Go template such as '{{.ServerVersion}}')
    #[arg(short = 'f', long, value_name = "FORMAT")]
    pub format: Option<String>,
}

pub fn run(g: &Globals, a: Args) -> anyhow::Result<i32> {
    let info = gather(g)?;
    match a.format.as_deref() {
        Some("json") => say!("{}", serde_json::to_string(&info)?),
        Some(t) => say!("{}", Template::parse(t)?.render(&info)?),
        None => emit(&human(&info)),
    }
    Ok(0)
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// `PRETTY_NAME` of /etc/os-release, as docker's OperatingSystem.
fn operating_system() -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| "Linux".into())
}

/// `uname -m`, docker's Architecture (armv7l where Go would say arm).
fn machine() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.machine().to_string_lossy().into_owned())
        .unwrap_or_else(|_| std::env::consts::ARCH.to_string())
}

/// docker's `system.Info` (plus the CLI's `ClientInfo`) for this host.
fn gather(g: &Globals) -> anyhow::Result<Value> {
    let layout = g.layout()?;
    let recs = state::list(&layout).unwrap_or_default();
    let count = |w: &str| recs.iter().filter(|r| r.status_word() == w).count();
    let (running, paused) = (count("running"), count("paused"));
    let images = skiff_store::Store::open(&g.root)
        .and_then(|s| s.list())
        .map(|l| {
            l.iter()
                .map(|i| i.id.to_string())
                .collect::<BTreeSet<_>>()
                .len()
        })
        .unwrap_or(0);
    let version = env!("CARGO_PKG_VERSION");
    let cgroup_version = if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        "2"
    } else {
        "1"
    };
    let name = read_trim("/proc/sys/kernel/hostname");
    let warnings: Vec<String> = Vec::new();
    let mut info = json!({
        "ID": "",
        "Containers": recs.len(),
        "ContainersRunning": running,
        "ContainersPaused": paused,
        "ContainersStopped": recs.len() - running - paused,
        "Images": images,
        "Driver": "overlay",
        "DriverStatus": [["Backing Filesystem", ""], ["Supports d_type", "true"]],
        "Plugins": {
            "Volume": ["local"],
            "Network": ["bridge", "host", "none"],
            "Authorization": null,
            "Log": ["json-file"],
        },
        "MemoryLimit": true,
        "SwapLimit": true,
        "CpuCfsPeriod": true,
        "CpuCfsQuota": true,
        "CPUShares": true,
        "CPUSet": true,
        "PidsLimit": true,
        "IPv4Forwarding": read_trim("/proc/sys/net/ipv4/ip_forward") == "1",
        "BridgeNfIptables": false,
        "BridgeNfIp6tables": false,
        "Debug": false,
        "NFd": std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0),
        "OomKillDisable": false,
        "NGoroutines": 0,
        "SystemTime": skiff_runtime::now_rfc3339(),
        "LoggingDriver": "json-file",
        "CgroupDriver": "cgroupfs",
        "CgroupVersion": cgroup_version,
        "NEventsListener": 0,
        "KernelVersion": read_trim("/proc/sys/kernel/osrelease"),
        "OperatingSystem": operating_system(),
        "OSVersion": "",
        "OSType": "linux",
        "Architecture": machine(),
    });
    // Two halves: one json! of every field exceeds the macro's recursion limit.
    let rest = json!({
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": {
            "AllowNondistributableArtifactsCIDRs": null,
            "AllowNondistributableArtifactsHostnames": null,
            "InsecureRegistryCIDRs": ["127.0.0.0/8", "::1/128"],
            "IndexConfigs": {},
            "Mirrors": null,
        },
        "NCPU": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "MemTotal": skiff_runtime::stats::host_memory(),
        "GenericResources": null,
        "DockerRootDir": g.root,
        "HttpProxy": std::env::var("HTTP_PROXY").or_else(|_| std::env::var("http_proxy")).unwrap_or_default(),
        "HttpsProxy": std::env::var("HTTPS_PROXY").or_else(|_| std::env::var("https_proxy")).unwrap_or_default(),
        "NoProxy": std::env::var("NO_PROXY").or_else(|_| std::env::var("no_proxy")).unwrap_or_default(),
        "Name": name,
        "Labels": [],
        "ExperimentalBuild": false,
        "ServerVersion": version,
        "SkiffVersion": version,
        "Runtimes": {"skiff": {"path": "skiff"}},
        "DefaultRuntime": "skiff",
        "Swarm": {
            "NodeID": "",
            "NodeAddr": "",
            "LocalNodeState": "inactive",
            "ControlAvailable": false,
            "Error": "",
            "RemoteManagers": null,
        },
        "LiveRestoreEnabled": false,
        "Isolation": "",
        "InitBinary": "",
        "ContainerdCommit": {"ID": ""},
        "RuncCommit": {"ID": ""},
        "InitCommit": {"ID": ""},
        "SecurityOptions": ["name=seccomp,profile=builtin"],
        "Warnings": warnings,
        "ClientInfo": {
            "Debug": false,
            "Version": version,
            "Context": "default",
            "Plugins": [],
            "Warnings": null,
        },
    });
    if let (Some(all), Value::Object(rest)) = (info.as_object_mut(), rest) {
        all.extend(rest);
    }
    Ok(info)
}

/// docker's plain-text layout of the same facts.
fn human(i: &Value) -> String {
    let s = |k: &str| match &i[k] {
        Value::String(v) => v.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    };
    let list = |k: &str| {
        i["Plugins"][k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    };
    let mut o = String::new();
    let mut line = |t: String| {
        o.push_str(&t);
        o.push('\n');
    };
    line("Client:".into());
    line(format!(
        " Version:    {}",
        i["ClientInfo"]["Version"].as_str().unwrap_or("")
    ));
    line(" Context:    default".into());
    line(" Debug Mode: false".into());
    line(String::new());
    line("Server:".into());
    for (label, key) in [
        (" Containers", "Containers"),
        ("  Running", "ContainersRunning"),
        ("  Paused", "ContainersPaused"),
        ("  Stopped", "ContainersStopped"),
        (" Images", "Images"),
        (" Server Version", "ServerVersion"),
        (" Skiff Version", "SkiffVersion"),
        (" Storage Driver", "Driver"),
        (" Logging Driver", "LoggingDriver"),
        (" Cgroup Driver", "CgroupDriver"),
        (" Cgroup Version", "CgroupVersion"),
    ] {
        line(format!("{label}: {}", s(key)));
    }
    line(" Plugins:".into());
    line(format!("  Volume: {}", list("Volume")));
    line(format!("  Network: {}", list("Network")));
    line(format!("  Log: {}", list("Log")));
    line(" Swarm: inactive".into());
    line(format!(" Runtimes: {}", s("DefaultRuntime")));
    line(format!(" Default Runtime: {}", s("DefaultRuntime")));
    line(" Security Options:".into());
    line("  seccomp".into());
    line("   Profile: builtin".into());
    for (label, key) in [
        (" Kernel Version", "KernelVersion"),
        (" Operating System", "OperatingSystem"),
        (" OSType", "OSType"),
        (" Architecture", "Architecture"),
        (" CPUs", "NCPU"),
    ] {
        line(format!("{label}: {}", s(key)));
    }
    line(format!(
        " Total Memory: {}",
        bytes_size(i["MemTotal"].as_u64().unwrap_or(0))
    ));
    line(format!(" Name: {}", s("Name")));
    line(format!(" Docker Root Dir: {}", s("DockerRootDir")));
    line(" Debug Mode: false".into());
    line(" Experimental: false".into());
    line(" Insecure Registries:".into());
    for r in i["RegistryConfig"]["InsecureRegistryCIDRs"]
        .as_array()
        .into_iter()
        .flatten()
    {
        line(format!("  {}", r.as_str().unwrap_or("")));
    }
    line(" Live Restore Enabled: false".into());
    o
}
