//! skiff's own registry settings: which registries may be spoken to over
//! plain HTTP (or HTTPS without verification).
//!
//! The file is `/etc/skiff/config.json` (`SKIFF_CONFIG` moves it), with the
//! same key docker's daemon.json uses:
//! `{"insecure-registries": ["registry.lan:5000", "10.0.0.7"]}`.
//! An entry with a port matches that `host:port` only; one without a port
//! matches the host on any port. Loopback registries need no entry.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Error;

pub const DEFAULT_CONFIG: &str = "/etc/skiff/config.json";

#[derive(Debug, Default, Clone, Deserialize)]
pub struct Settings {
    #[serde(default, rename = "insecure-registries")]
    pub insecure_registries: Vec<String>,
}

impl Settings {
    /// The config file in use.
    pub fn path() -> PathBuf {
        std::env::var_os("SKIFF_CONFIG")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }

    /// Read the config file; a missing file means defaults, a malformed one
    /// is an error naming the file and line.
    pub fn load() -> Result<Settings, Error> {
        Self::load_from(&Self::path())
    }

    pub fn load_from(path: &Path) -> Result<Settings, Error> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
            Err(e) => return Err(Error::Io(format!("reading {}", path.display()), e)),
        };
        serde_json::from_str(&text).map_err(|e| Error::Config {
            file: path.display().to_string(),
            line: e.line(),
            message: e.to_string(),
        })
    }
}

/// Whether `registry` (`host[:port]`) is named by one of `entries`.
pub fn is_listed(entries: &[String], registry: &str) -> bool {
    let host = host_of(registry);
    entries.iter().any(|e| {
        let e = e
            .trim()
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .trim_end_matches('/');
        e == registry || (!has_port(e) && e == host)
    })
}

/// `host` of `host[:port]`, understanding `[::1]:5000`.
pub fn host_of(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match registry.rsplit_once(':') {
        Some((h, p)) if p.chars().all(|c| c.is_ascii_digit()) && !h.contains(':') => h,
        _ => registry,
    }
}

/// The explicit port of `host[:port]`, if any.
pub fn port_of(registry: &str) -> Option<u16> {
    let tail = match registry.strip_prefix('[') {
        Some(rest) => rest.split_once("]:")?.1,
        None => {
            let (h, p) = registry.rsplit_once(':')?;
            if h.contains(':') {
                return None;
            }
            p
        }
    };
    tail.parse().ok()
}

fn has_port(registry: &str) -> bool {
    port_of(registry).is_some()
}

/// docker's rule: `localhost`, 127.0.0.0/8 and ::1 may be plain HTTP.
pub fn is_loopback(registry: &str) -> bool {
    let host = host_of(registry);
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_ports() {
        assert_eq!(host_of("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(port_of("127.0.0.1:5000"), Some(5000));
        assert_eq!(host_of("[::1]:5000"), "::1");
        assert_eq!(port_of("[::1]:5000"), Some(5000));
        assert_eq!(host_of("registry.lan"), "registry.lan");
        assert_eq!(port_of("registry.lan"), None);
    }

    #[test]
    fn loopback_rule() {
        assert!(is_loopback("localhost:5000"));
        assert!(is_loopback("127.4.5.6:80"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("10.0.0.1:5000"));
        assert!(!is_loopback("registry.lan"));
    }

    #[test]
    fn insecure_entries() {
        let e = vec!["registry.lan:5000".to_string(), "10.0.0.7".to_string()];
        assert!(is_listed(&e, "registry.lan:5000"));
        assert!(!is_listed(&e, "registry.lan:5001"));
        assert!(is_listed(&e, "10.0.0.7:443"));
        assert!(is_listed(&e, "10.0.0.7"));
        assert!(!is_listed(&e, "10.0.0.8"));
    }

    #[test]
    fn config_file_errors_name_the_line() {
        let (_dir, f) = skiff_core::testing::temp_path("config.json");
        assert!(Settings::load_from(&f)
            .unwrap()
            .insecure_registries
            .is_empty());
        std::fs::write(&f, "{\"insecure-registries\": [\"a:1\"]}").unwrap();
        assert_eq!(
            Settings::load_from(&f).unwrap().insecure_registries,
            ["a:1"]
        );
        std::fs::write(&f, "{\n\"insecure-registries\": [\"a:1\",]}").unwrap();
        let err = Settings::load_from(&f).unwrap_err().to_string();
        assert!(
            err.contains("config.json") && err.contains("line 2"),
            "{err}"
        );
    }
}
