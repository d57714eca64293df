//! The rtnetlink requests skiff needs: bridges, veth pairs, addresses,
//! routes, link state. Each opens its own socket in the caller's current
//! network namespace (see [`crate::netns::enter`]).

use std::ffi::CString;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::RawFd;

use crate::error::{nl, Result};
use crate::netlink::{Msg, Socket};
use libc::{
    IFA_ADDRESS, IFA_BROADCAST, IFA_LOCAL, NETLINK_ROUTE, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REQUEST, RTA_GATEWAY, RTA_OIF, RTM_DELLINK, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE,
};

// linux/if_link.h and linux/veth.h: libc has these for Android only.
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;

fn ifinfo(index: i32, flags: u32, change: u32) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[0] = libc::AF_UNSPEC as u8;
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

fn sock() -> Result<Socket> {
    Socket::open(NETLINK_ROUTE).map_err(|e| nl("cannot open rtnetlink socket", e))
}

/// The index of a link in the current namespace, if it exists.
pub fn index(name: &str) -> Option<i32> {
    let c = CString::new(name).ok()?;
    // SAFETY: c is a valid NUL-terminated string.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i as i32)
}

/// The index of a link that must exist (ENODEV naming it otherwise).
fn existing_index(name: &str) -> Result<i32> {
    index(name).ok_or_else(|| {
        nl(
            format!("no link {name}"),
            io::Error::from_raw_os_error(libc::ENODEV),
        )
    })
}

fn exists_ok(r: io::Result<()>) -> io::Result<()> {
    match r {
        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
        r => r,
    }
}

/// An RTM_NEWLINK request creating link `name` with `mtu` (the caller adds
/// its kind).
fn new_link(name: &str, mtu: u32) -> Msg {
    let mut m = Msg::new(
        RTM_NEWLINK,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    );
    m.header(&ifinfo(0, 0, 0))
        .str(IFLA_IFNAME, name)
        .u32(IFLA_MTU, mtu);
    m
}

/// Create a bridge (no error if it exists).
pub fn create_bridge(name: &str, mtu: u32) -> Result<()> {
    let mut m = new_link(name, mtu);
    m.begin(IFLA_LINKINFO).str(IFLA_INFO_KIND, "bridge").end();
    exists_ok(sock()?.request(m)).map_err(|e| nl(format!("cannot create bridge {name}"), e))
}

/// Create a veth pair: `host` here, `peer` moved at once into the namespace
/// open at `netns_fd`, both with `mtu`.
pub fn create_veth(host: &str, peer: &str, netns_fd: RawFd, mtu: u32) -> Result<()> {
    let mut m = new_link(host, mtu);
    m.begin(IFLA_LINKINFO).str(IFLA_INFO_KIND, "veth");
    m.begin(IFLA_INFO_DATA).begin(VETH_INFO_PEER);
    m.header(&ifinfo(0, 0, 0))
        .str(IFLA_IFNAME, peer)
        .u32(IFLA_MTU, mtu)
        .u32(IFLA_NET_NS_FD, netns_fd as u32);
    m.end().end().end();
    sock()?
        .request(m)
        .map_err(|e| nl(format!("cannot create veth {host}"), e))
}

/// Bring a link up, optionally enslaving it to `master`.
pub fn set_up(name: &str, master: Option<i32>) -> Result<()> {
    let idx = existing_index(name)?;
    let mut m = Msg::new(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
    let up = libc::IFF_UP as u32;
    m.header(&ifinfo(idx, up, up));
    if let Some(master) = master {
        m.u32(IFLA_MASTER, master as u32);
    }
    sock()?
        .request(m)
        .map_err(|e| nl(format!("cannot bring up {name}"), e))
}

/// Delete a link by name; a missing link is not an error.
pub fn delete(name: &str) -> Result<()> {
    let Some(idx) = index(name) else {
        return Ok(());
    };
    let mut m = Msg::new(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
    m.header(&ifinfo(idx, 0, 0));
    match sock()?.request(m) {
        Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(()),
        r => r.map_err(|e| nl(format!("cannot delete link {name}"), e)),
    }
}

/// Add an IPv4 address (no error if present).
pub fn add_addr(name: &str, addr: Ipv4Addr, prefix: u8) -> Result<()> {
    let idx = existing_index(name)?;
    let mut h = [0u8; 8];
    h[0] = libc::AF_INET as u8;
    h[1] = prefix;
    h[4..8].copy_from_slice(&(idx as u32).to_ne_bytes());
    let bits = u32::from(addr);
    let bcast = if prefix >= 31 {
        bits
    } else {
        bits | (u32::MAX >> prefix)
    };
    let mut m = Msg::new(
        RTM_NEWADDR,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    );
    m.header(&h)
        .attr(IFA_LOCAL, &addr.octets())
        .attr(IFA_ADDRESS, &addr.octets())
        .attr(IFA_BROADCAST, &Ipv4Addr::from(bcast).octets());
    exists_ok(sock()?.request(m))
        .map_err(|e| nl(format!("cannot add {addr}/{prefix} to {name}"), e))
}

/// Default route via `gateway` out of `dev`.
pub fn add_default_route(dev: &str, gateway: Ipv4Addr) -> Result<()> {
    let idx = existing_index(dev)?;
    // rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags
    let mut h = [0u8; 12];
    h[0] = libc::AF_INET as u8;
    h[4] = libc::RT_TABLE_MAIN;
    h[5] = libc::RTPROT_BOOT;
    h[6] = libc::RT_SCOPE_UNIVERSE;
    h[7] = libc::RTN_UNICAST;
    let mut m = Msg::new(
        RTM_NEWROUTE,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL,
    );
    m.header(&h)
        .attr(RTA_GATEWAY, &gateway.octets())
        .u32(RTA_OIF, idx as u32);
    exists_ok(sock()?.request(m))
        .map_err(|e| nl(format!("cannot add default route via {gateway}"), e))
}

/// The MTU of the host's uplink (the default route's device), 1500 when
/// there is none: containers must not send frames the uplink would drop.
pub fn uplink_mtu() -> u32 {
    let dev = std::fs::read_to_string("/proc/net/route")
        .ok()
        .and_then(|t| {
            t.lines().skip(1).find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() > 2 && f[1] == "00000000").then(|| f[0].to_string())
            })
        });
    dev.and_then(|d| std::fs::read_to_string(format!("/sys/class/net/{d}/mtu")).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|m| *m >= 576)
        .unwrap_or(1500)
}

/// IPv4 routes of the host as (network, prefix), to pick free subnets.
pub fn host_routes() -> Vec<(Ipv4Addr, u8)> {
    host_routes_by_dev()
        .into_iter()
        .map(|(a, p, _)| (a, p))
        .collect()
}

/// IPv4 routes of the host as (network, prefix, device); default routes
/// are left out.
pub fn host_routes_by_dev() -> Vec<(Ipv4Addr, u8, String)> {
    let Ok(t) = std::fs::read_to_string("/proc/net/route") else {
        return Vec::new();
    };
    t.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let dst = u32::from_str_radix(f[1], 16).ok()?;
            let mask = u32::from_str_radix(f[7], 16).ok()?;
            let prefix = u32::from_be(mask).leading_ones() as u8;
            (prefix > 0).then(|| (Ipv4Addr::from(u32::from_be(dst)), prefix, f[0].to_string()))
        })
        .collect()
}
