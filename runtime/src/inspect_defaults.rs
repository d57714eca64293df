//! The rest of docker's container inspect key set: what `inspect::to_docker`
//! does not fill from skiff's own state gets the value docker shows for a
//! container that did not set it, so tools that index a key (`{{.HostConfig
//! .CpuQuota}}`, `.GraphDriver.Data.UpperDir`) find it. Keys are from
//! docker 27's API types (ContainerJSONBase, Config, HostConfig).

use serde_json::{json, Map, Value};

use crate::config::ContainerConfig;
use crate::paths::Layout;
use crate::security::{MASKED_PATHS, READONLY_PATHS};

/// Add every key of [`defaults`] that `v` lacks; what is there stays.
pub fn fill(layout: &Layout, c: &ContainerConfig, v: &mut Value) {
    merge(v, defaults(layout, c));
}

fn merge(into: &mut Value, from: Value) {
    let (Value::Object(into), Value::Object(from)) = (into, from) else {
        return;
    };
    for (k, val) in from {
        match into.get_mut(&k) {
            Some(have @ Value::Object(_)) if val.is_object() => merge(have, val),
            Some(_) => {}
            None => {
                into.insert(k, val);
            }
        }
    }
}

fn defaults(layout: &Layout, c: &ContainerConfig) -> Value {
    let dir = layout.container(&c.id);
    let lower: Vec<String> = c.layers.iter().map(|p| p.display().to_string()).collect();
    json!({
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": null,
        "GraphDriver": {
            "Name": "overlay",
            "Data": {
                "LowerDir": lower.join(":"),
                "MergedDir": dir.join("rootfs"),
                "UpperDir": dir.join("upper"),
                "WorkDir": dir.join("work"),
            },
        },
        "Config": {
            "StdinOnce": false,
            "Volumes": null,
            "OnBuild": null,
        },
        "HostConfig": host_config(c),
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "",
            "SandboxKey": "",
            "Ports": {},
            "HairpinMode": false,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": null,
            "SecondaryIPv6Addresses": null,
            "EndpointID": "",
            "Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": "",
            "IPPrefixLen": 0,
            "IPv6Gateway": "",
            "MacAddress": "",
            "Networks": {},
        },
    })
}

/// HostConfig keys skiff has no flag for (docker's zero values), and
/// PortBindings and GroupAdd from the container's own settings.
fn host_config(c: &ContainerConfig) -> Value {
    let mut ports = Map::new();
    for p in &c.ports {
        let key = format!("{}/{}", p.container_port, p.proto.as_str());
        let binding = json!({
            "HostIp": p.host_ip.map(|ip| ip.to_string()).unwrap_or_default(),
            "HostPort": p.host_port.to_string(),
        });
        match ports.get_mut(&key) {
            Some(Value::Array(list)) => list.push(binding),
            _ => {
                ports.insert(key, json!([binding]));
            }
        }
    }
    let mut hc = json!({
        "ContainerIDFile": "",
        "PortBindings": ports,
        "VolumeDriver": "",
        "VolumesFrom": null,
        "ConsoleSize": [0, 0],
        "CgroupnsMode": "private",
        "GroupAdd": if c.group_add.is_empty() { Value::Null } else { json!(c.group_add) },
        "Cgroup": "",
        "Links": null,
        "PublishAllPorts": false,
        "UsernsMode": "",
        "Isolation": "",
        "BlkioWeight": 0,
        "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [],
        "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteIOps": [],
        "CpuPeriod": 0,
        "CpuQuota": 0,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpusetCpus": "",
        "CpusetMems": "",
    });
    // A second object: one json! of every key passes the macro's
    // recursion limit.
    merge(
        &mut hc,
        json!({
            "Devices": [],
            "DeviceCgroupRules": null,
            "DeviceRequests": null,
            "MemorySwappiness": null,
            "OomKillDisable": null,
            "CpuCount": 0,
            "CpuPercent": 0,
            "IOMaximumIOps": 0,
            "IOMaximumBandwidth": 0,
            // docker lists them unless --privileged lifted them.
            "MaskedPaths": paths(c, MASKED_PATHS),
            "ReadonlyPaths": paths(c, READONLY_PATHS),
        }),
    );
    hc
}

fn paths(c: &ContainerConfig, list: &[&str]) -> Value {
    if c.security.privileged {
        Value::Null
    } else {
        json!(list)
    }
}
