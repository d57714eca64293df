//! What a container was asked to be: the image, the process and every run
//! flag, resolved into plain values. Written once to `container.json` when
//! the container is created; the runtime processes rebuild the OCI spec from
//! it on every start.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ContainerConfig {
    pub id: String,
    pub name: String,
    /// RFC 3339 creation time.
    pub created: String,
    /// The image reference as the user typed it, and its resolved id.
    pub image: String,
    pub image_id: String,
    /// Unpacked layer directories, base first (overlayfs lower dirs).
    pub layers: Vec<PathBuf>,
    /// The process: argv (entrypoint + cmd after docker's override rules).
    pub args: Vec<String>,
    /// What the image/flags said, kept for `inspect` (Config.Entrypoint/Cmd).
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    /// `-u` as given (or the image's User); resolved at start against the
    /// image's /etc/passwd and /etc/group.
    pub user: String,
    #[serde(default)]
    pub group_add: Vec<String>,
    pub hostname: String,
    #[serde(default)]
    pub domainname: String,
    pub tty: bool,
    pub open_stdin: bool,
    pub detach: bool,
    pub auto_remove: bool,
    pub mounts: Vec<MountSpec>,
    pub read_only: bool,
    pub resources: Resources,
    pub ulimits: Vec<Ulimit>,
    pub security: Security,
    pub init: bool,
    pub add_hosts: Vec<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub stop_signal: String,
    pub stop_timeout: Option<i64>,
    pub network: Network,
    /// The bridge network joined (`--network NAME`; empty: `bridge`).
    #[serde(default)]
    pub network_name: String,
    /// `--network-alias`
    #[serde(default)]
    pub network_aliases: Vec<String>,
    /// `-p`/`-P`, host port 0 for a random one.
    #[serde(default)]
    pub ports: Vec<skiff_network::PortMapping>,
    /// Restart policy, logging, DNS, sysctls, /dev/shm, shared namespaces.
    #[serde(default)]
    pub host: HostConfig,
    /// The health check: the image's HEALTHCHECK under `--health-*`.
    #[serde(default)]
    pub healthcheck: Option<crate::health::Healthcheck>,
}

impl ContainerConfig {
    /// docker's `label=KEY` / `label=KEY=VALUE` filter (`ps`, `container
    /// prune`): the label is set, with that value when one is given.
    pub fn has_label(&self, key: &str, value: Option<&str>) -> bool {
        self.labels
            .iter()
            .any(|(k, v)| k == key && value.is_none_or(|want| v == want))
    }
}

/// docker's HostConfig settings that are neither resources nor mounts:
/// what the monitor does when the container exits, where its output
/// goes, and the kernel knobs of its namespaces.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct HostConfig {
    pub restart: crate::restart_policy::RestartPolicy,
    pub log: LogConfig,
    #[serde(flatten)]
    pub dns: Dns,
    /// `--sysctl` (namespaced ones only, as docker checks).
    pub sysctls: Vec<(String, String)>,
    /// `--shm-size` in bytes; 0 = docker's 64 MiB.
    pub shm_size: i64,
    pub oom_score_adj: i32,
    /// `--pid host`, `--ipc host`, `--uts host`: share the host's.
    pub pid_host: bool,
    pub ipc_host: bool,
    pub uts_host: bool,
}

/// `--dns`, `--dns-search`, `--dns-option`: the resolv.conf lines that
/// replace the host's. The container keeps them as given (the servers
/// checked to be IP addresses), so the run flags and the config are one
/// type (with the `clap` feature, the flags themselves); `container.json`
/// keeps docker's three keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct Dns {
    /// Set custom DNS servers
    #[serde(rename = "dns")]
    #[cfg_attr(feature = "clap", arg(long = "dns", value_name = "DNS"))]
    pub servers: Vec<String>,
    /// Set custom DNS search domains
    #[serde(rename = "dns_search")]
    #[cfg_attr(feature = "clap", arg(long = "dns-search", value_name = "DNS_SEARCH"))]
    pub search: Vec<String>,
    /// Set DNS options
    #[serde(rename = "dns_options")]
    #[cfg_attr(
        feature = "clap",
        arg(long = "dns-option", alias = "dns-opt", value_name = "DNS_OPTION")
    )]
    pub options: Vec<String>,
}

impl Dns {
    /// No flag given: the network mode's resolv.conf stays as it is.
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty() && self.search.is_empty() && self.options.is_empty()
    }
}

/// `--log-driver` and its `--log-opt`s.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct LogConfig {
    /// `json-file` (docker's default), `local` (json-file lines with
    /// local's rotation defaults) or `none`.
    pub driver: String,
    /// Rotate when the current file reaches this many bytes; 0 = never.
    pub max_size: u64,
    /// Files kept, the current one included (docker's max-file).
    pub max_file: u32,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            driver: "json-file".into(),
            max_size: 0,
            max_file: 1,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// The host's network namespace (skiff's default until bridge
    /// networking lands) with a private UTS namespace so the hostname is
    /// the container's, as with docker's default bridge.
    #[default]
    Default,
    /// `--network host`: host network and host hostname.
    Host,
    /// `--network none`: a private network namespace with only loopback.
    None,
    /// A network namespace of its own on a bridge network (docker's
    /// default for `run`): see [`crate::net`].
    Bridge,
}

impl Network {
    pub fn docker_name(&self) -> &'static str {
        match self {
            Network::Default => "default",
            Network::Host => "host",
            Network::None => "none",
            Network::Bridge => "bridge",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Bind,
    Volume,
    Tmpfs,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MountSpec {
    pub kind: MountKind,
    /// Host path for binds, volume name for volumes, empty for tmpfs.
    pub source: String,
    pub destination: String,
    pub readonly: bool,
    /// Extra mount options (tmpfs size/mode, bind propagation).
    #[serde(default)]
    pub options: Vec<String>,
    /// An anonymous volume (removed by `rm -v`).
    #[serde(default)]
    pub anonymous: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Resources {
    /// Bytes; 0 = unlimited.
    pub memory: i64,
    pub memory_reservation: i64,
    /// memory+swap in bytes as docker means it; -1 unlimited; 0 = default
    /// (twice the memory limit when a memory limit is set).
    pub memory_swap: i64,
    /// CPUs in billionths (docker's NanoCPUs).
    pub nano_cpus: i64,
    pub cpu_shares: u64,
    /// 0 = unlimited.
    pub pids_limit: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ulimit {
    pub name: String,
    pub soft: u64,
    pub hard: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Security {
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub seccomp: Seccomp,
    pub no_new_privileges: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Seccomp {
    /// docker's default profile.
    #[default]
    Default,
    Unconfined,
    /// A profile JSON given with `--security-opt seccomp=<file>` (its
    /// contents, so the container keeps working if the file goes away).
    Profile(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_filter_with_and_without_a_value() {
        let c = ContainerConfig {
            labels: vec![
                ("app".into(), "web".into()),
                ("empty".into(), String::new()),
            ],
            ..Default::default()
        };
        assert!(c.has_label("app", None));
        assert!(c.has_label("app", Some("web")));
        assert!(!c.has_label("app", Some("db")));
        assert!(c.has_label("empty", Some("")));
        assert!(!c.has_label("web", None));
    }

    #[test]
    fn dns_keeps_its_three_container_json_keys() {
        let mut h = HostConfig::default();
        h.dns.servers = vec!["10.0.0.2".into()];
        h.dns.search = vec!["example.com".into()];
        h.dns.options = vec!["ndots:2".into()];
        let v = serde_json::to_value(&h).unwrap();
        assert_eq!(v["dns"], serde_json::json!(["10.0.0.2"]));
        assert_eq!(v["dns_search"], serde_json::json!(["example.com"]));
        assert_eq!(v["dns_options"], serde_json::json!(["ndots:2"]));
        let back: HostConfig = serde_json::from_value(v).unwrap();
        assert_eq!(back.dns, h.dns);
    }
}
