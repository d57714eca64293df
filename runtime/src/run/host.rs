//! docker's HostConfig flags that are neither resources nor mounts:
//! `--restart`, `--log-driver`/`--log-opt`, `--dns*`, `--sysctl`,
//! `--shm-size`, `--oom-score-adj`, `--pid`/`--ipc`/`--uts`, checked with
//! docker's rules and messages.

use super::options::HostOptions;
use crate::config::{HostConfig, LogConfig, Network};
use crate::error::{Error, Result};
use crate::flags;
use crate::restart_policy::RestartPolicy;

/// The IPC sysctls docker lets a container set (they are namespaced).
const IPC_SYSCTLS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

pub(super) fn resolve(
    o: &HostOptions,
    auto_remove: bool,
    network: Network,
    hostname_set: bool,
) -> Result<HostConfig> {
    let restart = match &o.restart {
        Some(r) => RestartPolicy::parse(r)?,
        None => RestartPolicy::default(),
    };
    if auto_remove && !restart.is_none() {
        return Err(Error::Invalid(
            "Conflicting options: --restart and --rm".into(),
        ));
    }
    for ip in &o.dns.servers {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(Error::Invalid(format!(
                "invalid argument \"{ip}\" for \"--dns\" flag: {ip} is not an ip address"
            )));
        }
    }
    let pid_host = namespace_mode("--pid", o.pid.as_deref())?;
    let ipc_host = namespace_mode("--ipc", o.ipc.as_deref())?;
    let uts_host = namespace_mode("--uts", o.uts.as_deref())?;
    if uts_host && hostname_set {
        return Err(Error::Invalid(
            "Conflicting options: hostname and the UTS mode".into(),
        ));
    }
    let sysctls = o
        .sysctls
        .iter()
        .map(|s| sysctl(s, network, ipc_host))
        .collect::<Result<Vec<_>>>()?;
    let shm_size = match &o.shm_size {
        Some(s) => {
            let n = flags::parse_size("--shm-size", s)?;
            if n <= 0 {
                return Err(Error::Invalid("SHM size can not be less than 0".into()));
            }
            n
        }
        None => 0,
    };
    let oom_score_adj = o.oom_score_adj.unwrap_or(0);
    if !(-1000..=1000).contains(&oom_score_adj) {
        return Err(Error::Invalid(format!(
            "Invalid value {oom_score_adj}, range for oom score adj is [-1000, 1000]"
        )));
    }
    Ok(HostConfig {
        restart,
        log: log_config(o.log_driver.as_deref(), &o.log_opts)?,
        dns: o.dns.clone(),
        sysctls,
        shm_size,
        oom_score_adj,
        pid_host,
        ipc_host,
        uts_host,
    })
}

/// `host` shares the host's namespace; the default and docker's names for
/// a private one keep the container's own. Joining another container's is
/// not something skiff does.
fn namespace_mode(flag: &str, mode: Option<&str>) -> Result<bool> {
    match mode.unwrap_or("") {
        "" | "private" | "shareable" => Ok(false),
        "host" => Ok(true),
        m => Err(Error::Invalid(format!(
            "invalid {flag} mode '{m}': skiff supports 'host' or the default private namespace"
        ))),
    }
}

/// docker's ValidateSysctl plus the daemon's network and IPC checks.
fn sysctl(s: &str, network: Network, ipc_host: bool) -> Result<(String, String)> {
    let bad = |why: &str| {
        Error::Invalid(format!(
            "invalid argument \"{s}\" for \"--sysctl\" flag: sysctl '{s}' {why}"
        ))
    };
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| bad("is not of the form key=value"))?;
    let ipc = IPC_SYSCTLS.contains(&k) || k.starts_with("fs.mqueue.");
    let net = k.starts_with("net.");
    if !ipc && !net {
        return Err(bad("is not allowed"));
    }
    if net && network == Network::Host {
        return Err(Error::Invalid(format!(
            "sysctl '{k}' is not allowed in host network mode"
        )));
    }
    if ipc && ipc_host {
        return Err(Error::Invalid(format!(
            "sysctl '{k}' is not allowed in host IPC mode"
        )));
    }
    Ok((k.to_string(), v.to_string()))
}

/// `--log-driver` and `--log-opt`: json-file (docker's default), local
/// (kept as json-file lines, with local's rotation defaults: 20 MB x 5),
/// none. Options other drivers would need are refused, never ignored.
fn log_config(driver: Option<&str>, opts: &[String]) -> Result<LogConfig> {
    let driver = driver.unwrap_or("json-file");
    let mut cfg = match driver {
        "json-file" => LogConfig::default(),
        "local" => LogConfig {
            driver: "local".into(),
            max_size: 20 << 20,
            max_file: 5,
        },
        "none" => LogConfig {
            driver: "none".into(),
            ..LogConfig::default()
        },
        d => {
            return Err(Error::Invalid(format!(
                "unknown log driver '{d}': skiff supports json-file, local and none"
            )))
        }
    };
    let mut max_file_set = false;
    for o in opts {
        let (k, v) = o
            .split_once('=')
            .ok_or_else(|| Error::Invalid(format!("invalid log opt '{o}': expected key=value")))?;
        match (driver, k) {
            ("json-file" | "local", "max-size") => {
                cfg.max_size = flags::parse_size("--log-opt max-size", v)?.max(0) as u64;
            }
            ("json-file" | "local", "max-file") => {
                cfg.max_file = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| Error::Invalid("max-file cannot be less than 1".into()))?;
                max_file_set = true;
            }
            ("json-file" | "local", "compress") if v == "false" => {}
            _ => {
                return Err(Error::Invalid(format!(
                    "unknown log opt '{k}' for {driver} log driver"
                )))
            }
        }
    }
    if driver == "json-file" && max_file_set && cfg.max_file > 1 && cfg.max_size == 0 {
        return Err(Error::Invalid(
            "max-file can only be used with max-size".into(),
        ));
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> HostOptions {
        HostOptions::default()
    }

    #[test]
    fn restart_and_rm_conflict() {
        let o = HostOptions {
            restart: Some("always".into()),
            ..opts()
        };
        let e = resolve(&o, true, Network::Bridge, false).unwrap_err();
        assert_eq!(e.to_string(), "Conflicting options: --restart and --rm");
        assert!(resolve(&o, false, Network::Bridge, false).is_ok());
    }

    #[test]
    fn only_namespaced_sysctls() {
        let net = |s: &str, n| sysctl(s, n, false);
        assert!(net("net.ipv4.ip_forward=1", Network::Bridge).is_ok());
        assert!(net("kernel.shmmax=1000", Network::Bridge).is_ok());
        assert!(net("fs.mqueue.msg_max=20", Network::Bridge).is_ok());
        assert!(net("kernel.hostname=x", Network::Bridge).is_err());
        assert!(net("vm.swappiness=1", Network::Bridge).is_err());
        assert!(net("net.ipv4.ip_forward=1", Network::Host).is_err());
        assert!(sysctl("kernel.sem=1 2 3 4", Network::Bridge, true).is_err());
    }

    #[test]
    fn log_drivers_and_opts() {
        let o = |d: &str, opts: &[&str]| {
            log_config(
                Some(d),
                &opts.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        let c = o("json-file", &["max-size=10k", "max-file=3"]).unwrap();
        assert_eq!((c.max_size, c.max_file), (10 << 10, 3));
        assert_eq!(o("local", &[]).unwrap().max_file, 5);
        assert!(o("syslog", &[]).is_err());
        assert!(o("json-file", &["max-file=3"]).is_err());
        assert!(o("json-file", &["tag=x"]).is_err());
        assert!(o("json-file", &["compress=true"]).is_err());
        assert!(o("none", &["max-size=1m"]).is_err());
    }
}
