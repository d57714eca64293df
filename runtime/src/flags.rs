//! docker's syntax for run-flag values, parsed into [`crate::config`]
//! types: sizes (`32m`), `-v`, `--mount`, `--tmpfs`, `--ulimit`,
//! `--security-opt`, `--env-file`, `--add-host`. Every error names the flag
//! and the offending value.

use std::path::Path;

use crate::config::{MountKind, MountSpec, Seccomp, Ulimit};
use crate::error::{Error, Result};

fn bad(flag: &str, value: &str, why: &str) -> Error {
    Error::Invalid(format!(
        "invalid argument \"{value}\" for \"{flag}\" flag: {why}"
    ))
}

/// docker's RAMInBytes: `1024`, `512k`, `32m`, `1.5g`, `2gb`, case-insensitive.
pub fn parse_size(flag: &str, s: &str) -> Result<i64> {
    let t = s.trim().to_ascii_lowercase();
    let t = t.strip_suffix('b').unwrap_or(&t);
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1i64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        Some('t') => (&t[..t.len() - 1], 1 << 40),
        Some('p') => (&t[..t.len() - 1], 1 << 50),
        _ => (t, 1),
    };
    let n: f64 = num.parse().map_err(|_| {
        bad(
            flag,
            s,
            "invalid size: expected a number with an optional unit (b, k, m, g)",
        )
    })?;
    if n < 0.0 {
        return Err(bad(flag, s, "size must be positive"));
    }
    Ok((n * mult as f64) as i64)
}

/// `--memory-swap`: a size, or -1 for unlimited.
pub fn parse_swap(s: &str) -> Result<i64> {
    if s.trim() == "-1" {
        return Ok(-1);
    }
    parse_size("--memory-swap", s)
}

/// `--cpus 1.5` → NanoCPUs.
pub fn parse_cpus(s: &str) -> Result<i64> {
    let n: f64 = s
        .trim()
        .parse()
        .map_err(|_| bad("--cpus", s, "expected a decimal number of CPUs"))?;
    if n.is_nan() || n <= 0.0 {
        return Err(bad("--cpus", s, "must be greater than 0"));
    }
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1) as f64;
    if n > cpus {
        return Err(Error::Invalid(format!(
            "range of CPUs is from 0.01 to {cpus:.2}, as there are only {cpus} CPUs available"
        )));
    }
    Ok((n * 1e9) as i64)
}

const ULIMITS: &[&str] = &[
    "as",
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// `--ulimit nofile=1024:2048` (`soft[:hard]`; -1 or `unlimited` for none).
pub fn parse_ulimit(s: &str) -> Result<Ulimit> {
    let (name, vals) = s
        .split_once('=')
        .ok_or_else(|| bad("--ulimit", s, "expected <type>=<soft limit>[:<hard limit>]"))?;
    if !ULIMITS.contains(&name) {
        return Err(bad("--ulimit", s, &format!("invalid ulimit type: {name}")));
    }
    let num = |v: &str| -> Result<u64> {
        match v {
            "-1" | "unlimited" => Ok(u64::MAX),
            v => v
                .parse::<u64>()
                .map_err(|_| bad("--ulimit", s, &format!("invalid ulimit value: {v}"))),
        }
    };
    let (soft, hard) = match vals.split_once(':') {
        Some((a, b)) => (num(a)?, num(b)?),
        None => {
            let v = num(vals)?;
            (v, v)
        }
    };
    if soft > hard {
        return Err(bad(
            "--ulimit",
            s,
            "soft limit must be less than or equal to hard limit",
        ));
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

fn absolute_dest(flag: &str, value: &str, dest: &str) -> Result<String> {
    if !dest.starts_with('/') {
        return Err(bad(
            flag,
            value,
            &format!("invalid mount path: '{dest}' mount path must be absolute"),
        ));
    }
    if dest == "/" {
        return Err(bad(
            flag,
            value,
            "invalid specification: destination can't be '/'",
        ));
    }
    Ok(dest.to_string())
}

/// `-v SRC:DST[:OPTS]` or `-v DST` (anonymous volume). A SRC starting with
/// `/` (or `.`, made absolute) is a bind mount, anything else a named volume.
pub fn parse_volume(s: &str) -> Result<MountSpec> {
    let parts: Vec<&str> = s.split(':').collect();
    let (src, dst, opts) = match parts.as_slice() {
        [d] => ("", *d, ""),
        [a, b] => (*a, *b, ""),
        [a, b, c] => (*a, *b, *c),
        _ => return Err(bad("--volume", s, "invalid volume specification")),
    };
    let dst = absolute_dest("--volume", s, dst)?;
    let mut readonly = false;
    let mut options = Vec::new();
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => readonly = true,
            "rw" => readonly = false,
            "z" | "Z" | "nocopy" | "consistent" | "cached" | "delegated" => {}
            "shared" | "rshared" | "slave" | "rslave" | "private" | "rprivate" => {
                options.push(o.to_string())
            }
            _ => return Err(bad("--volume", s, &format!("invalid mode: {o}"))),
        }
    }
    if src.is_empty() {
        return Ok(MountSpec {
            kind: MountKind::Volume,
            source: crate::ids::new_id(),
            destination: dst,
            readonly,
            options,
            anonymous: true,
        });
    }
    if src.starts_with('/') || src.starts_with('.') {
        let abs = std::path::absolute(src).map_err(|e| bad("--volume", s, &e.to_string()))?;
        return Ok(MountSpec {
            kind: MountKind::Bind,
            source: abs.to_string_lossy().into_owned(),
            destination: dst,
            readonly,
            options,
            anonymous: false,
        });
    }
    if !crate::volumes::valid_name(src) {
        return Err(bad(
            "--volume",
            s,
            &format!("\"{src}\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed; if you intended to pass a host directory, use absolute path"),
        ));
    }
    Ok(MountSpec {
        kind: MountKind::Volume,
        source: src.to_string(),
        destination: dst,
        readonly,
        options,
        anonymous: false,
    })
}

/// `--mount type=bind,source=/a,target=/b,readonly` and friends.
pub fn parse_mount(s: &str) -> Result<MountSpec> {
    let mut kind = MountKind::Volume;
    let mut source = String::new();
    let mut target = String::new();
    let mut readonly = false;
    let mut options = Vec::new();
    for field in s.split(',').filter(|f| !f.is_empty()) {
        let (k, v) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim()),
            None => (field.trim().to_ascii_lowercase(), ""),
        };
        let truthy = |v: &str| -> Result<bool> {
            match v {
                "" | "1" | "true" => Ok(true),
                "0" | "false" => Ok(false),
                _ => Err(bad("--mount", s, &format!("invalid value for {k}: {v}"))),
            }
        };
        match k.as_str() {
            "type" => {
                kind = match v {
                    "bind" => MountKind::Bind,
                    "volume" => MountKind::Volume,
                    "tmpfs" => MountKind::Tmpfs,
                    _ => return Err(bad("--mount", s, &format!("invalid mount type: {v}"))),
                }
            }
            "source" | "src" => source = v.to_string(),
            "target" | "destination" | "dst" => target = v.to_string(),
            "readonly" | "ro" => readonly = truthy(v)?,
            "bind-propagation" => options.push(v.to_string()),
            "tmpfs-size" => options.push(format!("size={}", parse_size("--mount", v)?)),
            "tmpfs-mode" => options.push(format!("mode={v}")),
            "volume-nocopy" | "consistency" | "bind-nonrecursive" | "volume-driver" => {}
            _ => return Err(bad("--mount", s, &format!("unexpected key '{k}'"))),
        }
    }
    if target.is_empty() {
        return Err(bad("--mount", s, "target is required"));
    }
    let target = absolute_dest("--mount", s, &target)?;
    let mut anonymous = false;
    match kind {
        MountKind::Bind => {
            if source.is_empty() {
                return Err(bad(
                    "--mount",
                    s,
                    "source is required when specifying bind mount",
                ));
            }
            if !Path::new(&source).exists() {
                return Err(Error::Invalid(format!(
                    "invalid mount config for type \"bind\": bind source path does not exist: {source}"
                )));
            }
            source = std::path::absolute(&source)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or(source);
        }
        MountKind::Volume => {
            if source.is_empty() {
                source = crate::ids::new_id();
                anonymous = true;
            }
        }
        MountKind::Tmpfs => {
            if !source.is_empty() {
                return Err(bad(
                    "--mount",
                    s,
                    "source is not supported for tmpfs mounts",
                ));
            }
        }
    }
    Ok(MountSpec {
        kind,
        source,
        destination: target,
        readonly,
        options,
        anonymous,
    })
}

/// `--tmpfs /run[:opts]` (docker's default options: noexec, nosuid, nodev).
pub fn parse_tmpfs(s: &str) -> Result<MountSpec> {
    let (dst, opts) = s.split_once(':').unwrap_or((s, ""));
    let dst = absolute_dest("--tmpfs", s, dst)?;
    let mut options: Vec<String> = vec!["noexec".into()];
    let mut readonly = false;
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => readonly = true,
            "rw" => readonly = false,
            "exec" => options.retain(|x| x != "noexec"),
            o => options.push(o.to_string()),
        }
    }
    Ok(MountSpec {
        kind: MountKind::Tmpfs,
        source: String::new(),
        destination: dst,
        readonly,
        options,
        anonymous: false,
    })
}

/// What `--security-opt` values set.
#[derive(Debug, Default)]
pub struct SecurityOpts {
    pub seccomp: Option<Seccomp>,
    pub no_new_privileges: bool,
}

pub fn parse_security_opts(opts: &[String]) -> Result<SecurityOpts> {
    let mut out = SecurityOpts::default();
    for o in opts {
        let (k, v) = o
            .split_once('=')
            .or_else(|| o.split_once(':'))
            .unwrap_or((o.as_str(), ""));
        match k {
            "seccomp" => {
                out.seccomp = Some(match v {
                    "unconfined" => Seccomp::Unconfined,
                    "" => {
                        return Err(bad(
                            "--security-opt",
                            o,
                            "seccomp needs a profile file or 'unconfined'",
                        ))
                    }
                    path => {
                        let json = std::fs::read_to_string(path).map_err(|e| {
                            Error::Invalid(format!("opening seccomp profile ({path}) failed: {e}"))
                        })?;
                        skiff_seccomp::Profile::from_json(json.as_bytes()).map_err(|e| {
                            Error::Invalid(format!("decoding seccomp profile ({path}) failed: {e}"))
                        })?;
                        Seccomp::Profile(json)
                    }
                })
            }
            "no-new-privileges" => {
                out.no_new_privileges = match v {
                    "" | "true" => true,
                    "false" => false,
                    _ => {
                        return Err(bad(
                            "--security-opt",
                            o,
                            "no-new-privileges takes true or false",
                        ))
                    }
                }
            }
            // No AppArmor or SELinux support: accepted and ignored like a
            // docker host without those LSMs ("unconfined" is a no-op).
            "apparmor" | "label" => {}
            _ => return Err(bad("--security-opt", o, "unknown option")),
        }
    }
    Ok(out)
}

/// `--env-file`: KEY=VALUE lines; a bare KEY takes the value from skiff's
/// environment (dropped if unset); `#` comments and blank lines skipped.
pub fn read_env_file(path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Invalid(format!("open {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim_start();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (k, _) = l.split_once('=').unwrap_or((l, ""));
        if k.is_empty() || k.contains(char::is_whitespace) {
            return Err(Error::Invalid(format!(
                "{}:{}: variable '{k}' contains whitespaces",
                path.display(),
                i + 1
            )));
        }
        if l.contains('=') {
            out.push(l.to_string());
        } else if let Ok(v) = std::env::var(l) {
            out.push(format!("{l}={v}"));
        }
    }
    Ok(out)
}

/// `-e KEY=VALUE` or `-e KEY` (from skiff's environment, dropped if unset).
pub fn env_value(s: &str) -> Option<String> {
    if s.contains('=') {
        Some(s.to_string())
    } else {
        std::env::var(s).ok().map(|v| format!("{s}={v}"))
    }
}

/// Merge `overrides` into `base` (same key replaced in place, new keys appended).
pub fn merge_env(base: &mut Vec<String>, overrides: &[String]) {
    for o in overrides {
        let key = o.split_once('=').map(|(k, _)| k).unwrap_or(o);
        match base
            .iter_mut()
            .find(|e| e.split_once('=').map(|(k, _)| k).unwrap_or(e) == key)
        {
            Some(e) => *e = o.clone(),
            None => base.push(o.clone()),
        }
    }
}

/// `--add-host name:ip` (or `name=ip`).
pub fn parse_add_host(s: &str) -> Result<(String, String)> {
    let (h, ip) = s
        .split_once('=')
        .or_else(|| s.split_once(':'))
        .ok_or_else(|| bad("--add-host", s, "expected host:ip"))?;
    if h.is_empty() || ip.is_empty() {
        return Err(bad("--add-host", s, "expected host:ip"));
    }
    let ip = if ip == "host-gateway" {
        "127.0.0.1"
    } else {
        ip
    };
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if ip.parse::<std::net::IpAddr>().is_err() {
        return Err(bad("--add-host", s, &format!("invalid IP address: {ip}")));
    }
    Ok((h.to_string(), ip.to_string()))
}

/// `--label k=v` (a bare `k` is an empty label).
pub fn parse_label(s: &str) -> (String, String) {
    match s.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => (s.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("-m", "32m").unwrap(), 32 << 20);
        assert_eq!(parse_size("-m", "1G").unwrap(), 1 << 30);
        assert_eq!(parse_size("-m", "512kb").unwrap(), 512 << 10);
        assert_eq!(parse_size("-m", "100").unwrap(), 100);
        assert!(parse_size("-m", "lots").is_err());
        assert_eq!(parse_swap("-1").unwrap(), -1);
    }

    #[test]
    fn volumes_and_mounts() {
        let v = parse_volume("/tmp:/data:ro").unwrap();
        assert_eq!(
            (v.kind, v.readonly, v.destination.as_str()),
            (MountKind::Bind, true, "/data")
        );
        let n = parse_volume("cache:/var/cache").unwrap();
        assert_eq!((n.kind, n.source.as_str()), (MountKind::Volume, "cache"));
        let a = parse_volume("/anon").unwrap();
        assert!(a.anonymous);
        assert!(parse_volume("x:rel").is_err());
        let m = parse_mount("type=tmpfs,target=/t,tmpfs-size=1m").unwrap();
        assert_eq!(m.options, vec![format!("size={}", 1 << 20)]);
        let b = parse_mount("type=bind,src=/tmp,dst=/x,readonly").unwrap();
        assert!(b.readonly);
        assert!(parse_mount("type=bind,src=/nonexistent-skiff,dst=/x").is_err());
        let t = parse_tmpfs("/run:rw,size=64k").unwrap();
        assert!(t.options.contains(&"size=64k".to_string()));
    }

    #[test]
    fn ulimits_env_hosts() {
        let u = parse_ulimit("nofile=1024:2048").unwrap();
        assert_eq!((u.soft, u.hard), (1024, 2048));
        assert!(parse_ulimit("bogus=1").is_err());
        assert!(parse_ulimit("nofile=5:1").is_err());
        let mut env = vec!["PATH=/bin".to_string(), "A=1".to_string()];
        merge_env(&mut env, &["A=2".into(), "B=3".into()]);
        assert_eq!(env, vec!["PATH=/bin", "A=2", "B=3"]);
        assert_eq!(parse_add_host("db:10.0.0.1").unwrap().1, "10.0.0.1");
        assert!(parse_add_host("db:nope").is_err());
        let s = parse_security_opts(&["seccomp=unconfined".into(), "no-new-privileges".into()])
            .unwrap();
        assert!(s.no_new_privileges);
        assert!(matches!(s.seccomp, Some(Seccomp::Unconfined)));
    }
}
