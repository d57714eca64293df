//! `-p` specifications as docker spells them, and host port allocation.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub fn as_str(&self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }
    pub fn number(&self) -> u8 {
        match self {
            Proto::Tcp => libc::IPPROTO_TCP as u8,
            Proto::Udp => libc::IPPROTO_UDP as u8,
        }
    }
}

/// One published port. `host_port` 0 asks for a random port; after
/// [`crate::attach`] it holds the port chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
    pub container_port: u16,
    pub proto: Proto,
}

impl PortMapping {
    /// `0.0.0.0:18080` as docker prints it.
    pub fn host_display(&self) -> String {
        format!(
            "{}:{}",
            self.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
            self.host_port
        )
    }
    fn clashes(&self, o: &PortMapping) -> bool {
        self.proto == o.proto
            && self.host_port == o.host_port
            && match (self.host_ip, o.host_ip) {
                (Some(a), Some(b)) => a == b || a.is_unspecified() || b.is_unspecified(),
                _ => true,
            }
    }
}

fn range(s: &str, flag: &str) -> Result<(u16, u16)> {
    let bad = || Error::Invalid(format!("invalid port specification: {flag:?}"));
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a, b),
        None => (s, s),
    };
    let a: u16 = a.parse().map_err(|_| bad())?;
    let b: u16 = b.parse().map_err(|_| bad())?;
    if a == 0 || b < a {
        return Err(bad());
    }
    Ok((a, b))
}

/// Parse one `-p` value: `[ip:][hostPort[-end]:]containerPort[-end][/proto]`.
pub fn parse(spec: &str) -> Result<Vec<PortMapping>> {
    let (body, proto) = match spec.rsplit_once('/') {
        Some((b, "tcp")) => (b, Proto::Tcp),
        Some((b, "udp")) => (b, Proto::Udp),
        Some((_, p)) => {
            return Err(Error::Invalid(format!(
                "invalid proto: {p} in port specification {spec:?} (want tcp or udp)"
            )))
        }
        None => (spec, Proto::Tcp),
    };
    let parts: Vec<&str> = body.split(':').collect();
    let (ip, host, ctr) = match parts.as_slice() {
        [c] => (None, "", *c),
        [h, c] => (None, *h, *c),
        [ip, h, c] => (Some(*ip), *h, *c),
        _ => {
            return Err(Error::Invalid(format!(
                "invalid port specification: {spec:?}"
            )))
        }
    };
    let host_ip = match ip {
        None | Some("") => None,
        Some(ip) => Some(ip.parse::<Ipv4Addr>().map_err(|_| {
            Error::Invalid(format!(
                "invalid IP address {ip:?} in port specification {spec:?}"
            ))
        })?),
    };
    let (c0, c1) = range(ctr, spec)?;
    let hosts: Option<(u16, u16)> = if host.is_empty() {
        None
    } else {
        Some(range(host, spec)?)
    };
    if let Some((h0, h1)) = hosts {
        if h1 - h0 != c1 - c0 && c0 != c1 {
            return Err(Error::Invalid(format!(
                "invalid ranges specified for container and host Ports: {spec:?}"
            )));
        }
        if c0 == c1 && h0 != h1 {
            // docker: one container port, a host range to pick from; we
            // take the first free one at allocation time by trying each.
            return Ok((h0..=h1)
                .take(1)
                .map(|h| PortMapping {
                    host_ip,
                    host_port: h,
                    container_port: c0,
                    proto,
                })
                .collect());
        }
    }
    Ok((c0..=c1)
        .enumerate()
        .map(|(i, c)| PortMapping {
            host_ip,
            host_port: hosts.map(|(h0, _)| h0 + i as u16).unwrap_or(0),
            container_port: c,
            proto,
        })
        .collect())
}

/// Can the host's own sockets use this port? Binding is the only honest
/// test; the socket is closed again at once.
fn host_free(m: &PortMapping) -> bool {
    let ip = m.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
    match m.proto {
        Proto::Tcp => std::net::TcpListener::bind((ip, m.host_port)).is_ok(),
        Proto::Udp => std::net::UdpSocket::bind((ip, m.host_port)).is_ok(),
    }
}

fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| {
            let mut it = t.split_whitespace().filter_map(|x| x.parse().ok());
            Some((it.next()?, it.next()?))
        })
        .unwrap_or((32768, 60999))
}

/// Give every mapping a host port, refusing ones already published
/// (`taken`, from the store) with docker's message.
pub fn allocate(want: &mut [PortMapping], taken: &[PortMapping]) -> Result<()> {
    let mut used: Vec<PortMapping> = taken.to_vec();
    let (lo, hi) = ephemeral_range();
    let span = (hi - lo) as u32 + 1;
    let start = (std::process::id() ^ chrono::Utc::now().timestamp_subsec_nanos()) % span;
    for m in want.iter_mut() {
        if m.host_port == 0 {
            let mut found = false;
            for i in 0..span {
                m.host_port = lo + ((start + i) % span) as u16;
                if !used.iter().any(|u| u.clashes(m)) && host_free(m) {
                    found = true;
                    break;
                }
            }
            if !found {
                return Err(Error::Conflict("no free host port to publish".into()));
            }
        } else if used.iter().any(|u| u.clashes(m)) {
            return Err(Error::PortAllocated(m.host_display()));
        } else if !host_free(m) {
            return Err(Error::Conflict(format!(
                "Error starting userland proxy: listen {}4 {}: bind: address already in use",
                m.proto.as_str(),
                m.host_display()
            )));
        }
        used.push(m.clone());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_forms() {
        let p = parse("18080:8080").unwrap();
        assert_eq!(
            (p[0].host_port, p[0].container_port, p[0].proto),
            (18080, 8080, Proto::Tcp)
        );
        let p = parse("127.0.0.1:53:53/udp").unwrap();
        assert_eq!(p[0].host_ip, Some(Ipv4Addr::LOCALHOST));
        assert_eq!(p[0].proto, Proto::Udp);
        let p = parse("8080").unwrap();
        assert_eq!(p[0].host_port, 0);
        let p = parse("9000-9002:8000-8002").unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!((p[2].host_port, p[2].container_port), (9002, 8002));
        assert!(parse("9000-9001:8000-8002").is_err());
        assert!(parse("x:80").is_err());
        assert!(parse("80/sctp").is_err());
        let p = parse("127.0.0.1::80").unwrap();
        assert_eq!(p[0].host_port, 0);
    }

    #[test]
    fn conflict_message_is_dockers() {
        let taken = parse("18080:80").unwrap();
        let mut want = parse("18080:8080").unwrap();
        let e = allocate(&mut want, &taken).unwrap_err().to_string();
        assert_eq!(
            e,
            "Bind for 0.0.0.0:18080 failed: port is already allocated"
        );
    }
}
