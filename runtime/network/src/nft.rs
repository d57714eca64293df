//! skiff's nftables table, programmed over nfnetlink. The whole table is
//! rebuilt from the store's state in one atomic batch on every change
//! (add table and chains if missing, flush the chains, add the rules): no
//! rule handles to track, and a skiff killed half-way leaves either the old or the new
//! ruleset, never a mix, while the next change re-derives it from the
//! files. Rules (an `ip` family table, one per store root):
//!
//! ```text
//! raw_prerouting (filter, raw): iifname != lo ip daddr 127.0.0.0/8 drop   (loopback guard,
//!                               iifname != lo ip saddr 127.0.0.0/8 drop    see filter.rs)
//! prerouting (nat, dstnat):  fib daddr type local | ip daddr H  l4proto P  dport N  dnat to C:M
//! output     (nat, -100):    the same, for connections from the host itself (127.0.0.1:N)
//! postrouting(nat, srcnat):  ip saddr S ip daddr != S masquerade      (outbound NAT)
//!                            ip saddr 127.0.0.0/8 ip daddr S masquerade (host loopback -> container)
//! forward    (filter, 0):    iifname B oifname != B drop        (per internal network B:
//!                            oifname B iifname != B drop         nothing in or out but its own)
//!                            iifname B oifname != B ct status & dnat == 0 jump isolation
//!                                                                (per bridge B, two or more)
//! isolation  (regular):      oifname B drop                     (per bridge B: no network
//!                                                                reaches another's)
//! input      (filter, 0):    iifname B ct state != established,related drop
//!                                                                (no host service for B; the host
//!                                                                may still open connections to B)
//! ```
//!
//! The loopback guard lives as long as the table. The other filter chains
//! exist only while something needs them: `forward` and `isolation` while
//! there are two networks or an internal one, `input` while an internal
//! network does.

use std::net::Ipv4Addr;

use crate::error::{nl, Result};
use crate::filter;
use crate::ipam::Subnet;
use crate::netlink::{Msg, Socket, NLA_F_NESTED};
use libc::{c_int, NETLINK_NETFILTER, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_REQUEST};

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFNL_MSG_BATCH_BEGIN: u16 = 0x10;
const NFNL_MSG_BATCH_END: u16 = 0x11;
const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_DELTABLE: u16 = 2;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_GETCHAIN: u16 = 4;
const NFT_MSG_DELCHAIN: u16 = 5;
const NFT_MSG_NEWRULE: u16 = 6;
const NFT_MSG_DELRULE: u16 = 8;
const NFPROTO_IPV4: u8 = 2;

const NFTA_TABLE_NAME: u16 = 1;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_CHAIN_TYPE: u16 = 7;
const NFTA_HOOK_HOOKNUM: u16 = 1;
const NFTA_HOOK_PRIORITY: u16 = 2;
const NFTA_RULE_TABLE: u16 = 1;
const NFTA_RULE_CHAIN: u16 = 2;
const NFTA_RULE_EXPRESSIONS: u16 = 4;
const NFTA_LIST_ELEM: u16 = 1;
const NFTA_EXPR_NAME: u16 = 1;
const NFTA_EXPR_DATA: u16 = 2;
const NFTA_DATA_VALUE: u16 = 1;

pub(crate) const NF_INET_PRE_ROUTING: u32 = 0;
pub(crate) const NF_INET_LOCAL_IN: u32 = 1;
pub(crate) const NF_INET_FORWARD: u32 = 2;
const NF_INET_LOCAL_OUT: u32 = 3;
const NF_INET_POST_ROUTING: u32 = 4;
const REG1: u32 = 1;
const REG2: u32 = 2;

/// One published port as a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dnat {
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
    /// IPPROTO_TCP or IPPROTO_UDP.
    pub proto: u8,
    pub to: Ipv4Addr,
    pub to_port: u16,
}

/// Everything the table holds.
#[derive(Debug, Default)]
pub struct Ruleset {
    /// Subnets whose outbound traffic is masqueraded.
    pub masquerade: Vec<Subnet>,
    /// Subnets reachable from the host's loopback through published ports.
    pub bridged: Vec<Subnet>,
    pub dnat: Vec<Dnat>,
    /// Bridges of internal networks: no traffic to or from anything but
    /// their own ports, no connection to the host.
    pub internal: Vec<String>,
    /// Every network's bridge: none forwards to another (docker's
    /// DOCKER-ISOLATION chains).
    pub bridges: Vec<String>,
}

fn nfgen(family: u8) -> [u8; 4] {
    let mut h = [0u8; 4];
    h[0] = family;
    if family == libc::AF_UNSPEC as u8 {
        h[2..4].copy_from_slice(&NFNL_SUBSYS_NFTABLES.to_be_bytes());
    }
    h
}

fn msg(ty: u16, flags: c_int) -> Msg {
    let mut m = Msg::new(
        (NFNL_SUBSYS_NFTABLES << 8) | ty,
        NLM_F_REQUEST | NLM_F_ACK | flags,
    );
    m.header(&nfgen(NFPROTO_IPV4));
    m
}

fn marker(ty: u16) -> Msg {
    let mut m = Msg::new(ty, NLM_F_REQUEST);
    m.header(&nfgen(libc::AF_UNSPEC as u8));
    m
}

fn table_msg(ty: u16, flags: c_int, table: &str) -> Msg {
    let mut m = msg(ty, flags);
    m.str(NFTA_TABLE_NAME, table);
    m
}

/// A base chain: attached to `hook` at `prio`, policy accept.
fn chain(table: &str, name: &str, hook: u32, prio: i32, kind: &str) -> Msg {
    let mut m = msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
    m.str(NFTA_CHAIN_TABLE, table).str(NFTA_CHAIN_NAME, name);
    m.begin(NFTA_CHAIN_HOOK | NLA_F_NESTED)
        .be32(NFTA_HOOK_HOOKNUM, hook)
        .be32(NFTA_HOOK_PRIORITY, prio as u32)
        .end();
    m.be32(NFTA_CHAIN_POLICY, 1) // NF_ACCEPT
        .str(NFTA_CHAIN_TYPE, kind);
    m
}

/// A regular chain: no hook, entered only by a jump.
fn regular_chain(table: &str, name: &str) -> Msg {
    let mut m = msg(NFT_MSG_NEWCHAIN, NLM_F_CREATE);
    m.str(NFTA_CHAIN_TABLE, table).str(NFTA_CHAIN_NAME, name);
    m
}

/// Expressions of one rule, each (name, attributes writer).
pub(crate) enum Expr {
    /// payload load: base, offset, len into REG1
    Payload(u32, u32, u32),
    /// cmp REG1 with op against data
    Cmp(u32, Vec<u8>),
    /// bitwise REG1 = REG1 & mask (len bytes)
    Mask(Vec<u8>),
    /// meta key into REG1
    Meta(u32),
    /// fib daddr type -> REG1
    FibDaddrType,
    /// immediate data into a register
    Imm(u32, Vec<u8>),
    /// dnat to REG1:REG2
    Dnat,
    Masq,
    /// conntrack key (`CT_STATE`, `CT_STATUS`) into REG1
    Ct(u32),
    /// verdict: drop
    Drop,
    /// verdict: jump to a regular chain of the same table
    Jump(String),
}

pub(crate) const CMP_EQ: u32 = 0;
pub(crate) const CMP_NEQ: u32 = 1;
pub(crate) const BASE_NETWORK: u32 = 1;
const BASE_TRANSPORT: u32 = 2;
const META_L4PROTO: u32 = 16;
pub(crate) const META_IIFNAME: u32 = 6;
pub(crate) const META_OIFNAME: u32 = 7;
/// NFT_CT_STATE and NFT_CT_STATUS, the conntrack keys [`Expr::Ct`] loads.
pub(crate) const CT_STATE: u32 = 0;
pub(crate) const CT_STATUS: u32 = 2;
/// NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED).
pub(crate) const CT_ESTABLISHED_RELATED: u32 = 0x2 | 0x4;
/// IPS_DST_NAT: the connection was DNATed (a published port).
pub(crate) const CT_STATUS_DNAT: u32 = 1 << 5;
/// NF_DROP and NFT_JUMP, as NFTA_VERDICT_CODE carries them.
const VERDICT_DROP: u32 = 0;
const VERDICT_JUMP: u32 = -3i32 as u32;

fn data(m: &mut Msg, ty: u16, v: &[u8]) {
    m.begin(ty | NLA_F_NESTED).attr(NFTA_DATA_VALUE, v).end();
}

fn write_expr(m: &mut Msg, e: &Expr) {
    m.begin(NFTA_LIST_ELEM | NLA_F_NESTED);
    let name = match e {
        Expr::Payload(..) => "payload",
        Expr::Cmp(..) => "cmp",
        Expr::Mask(..) => "bitwise",
        Expr::Meta(..) => "meta",
        Expr::FibDaddrType => "fib",
        Expr::Imm(..) => "immediate",
        Expr::Dnat => "nat",
        Expr::Masq => "masq",
        Expr::Ct(..) => "ct",
        Expr::Drop | Expr::Jump(..) => "immediate",
    };
    m.str(NFTA_EXPR_NAME, name);
    m.begin(NFTA_EXPR_DATA | NLA_F_NESTED);
    match e {
        Expr::Payload(base, off, len) => {
            m.be32(1, REG1).be32(2, *base).be32(3, *off).be32(4, *len);
        }
        Expr::Cmp(op, v) => {
            m.be32(1, REG1).be32(2, *op);
            data(m, 3, v);
        }
        Expr::Mask(mask) => {
            m.be32(1, REG1).be32(2, REG1).be32(3, mask.len() as u32);
            data(m, 4, mask);
            data(m, 5, &vec![0u8; mask.len()]);
        }
        Expr::Meta(key) => {
            m.be32(1, REG1).be32(2, *key);
        }
        Expr::FibDaddrType => {
            // NFTA_FIB_DREG, NFTA_FIB_RESULT = ADDRTYPE, NFTA_FIB_FLAGS = DADDR
            m.be32(1, REG1).be32(2, 3).be32(3, 2);
        }
        Expr::Imm(reg, v) => {
            m.be32(1, *reg);
            data(m, 2, v);
        }
        Expr::Dnat => {
            // type DNAT, family ipv4, addr min reg1, proto min reg2
            m.be32(1, 1)
                .be32(2, NFPROTO_IPV4 as u32)
                .be32(3, REG1)
                .be32(5, REG2);
        }
        Expr::Masq => {}
        Expr::Ct(key) => {
            // NFTA_CT_DREG, NFTA_CT_KEY
            m.be32(1, REG1).be32(2, *key);
        }
        Expr::Drop | Expr::Jump(..) => {
            // NFTA_IMMEDIATE_DREG = the verdict register, NFTA_IMMEDIATE_DATA
            // { NFTA_DATA_VERDICT { NFTA_VERDICT_CODE [, NFTA_VERDICT_CHAIN] } }
            m.be32(1, 0);
            m.begin(2 | NLA_F_NESTED).begin(2 | NLA_F_NESTED);
            match e {
                Expr::Jump(to) => m.be32(1, VERDICT_JUMP).str(2, to),
                _ => m.be32(1, VERDICT_DROP),
            };
            m.end().end();
        }
    }
    m.end().end();
}

pub(crate) fn rule(table: &str, chain: &str, exprs: &[Expr]) -> Msg {
    let mut m = msg(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
    m.str(NFTA_RULE_TABLE, table).str(NFTA_RULE_CHAIN, chain);
    m.begin(NFTA_RULE_EXPRESSIONS | NLA_F_NESTED);
    for e in exprs {
        write_expr(&mut m, e);
    }
    m.end();
    m
}

/// `ip saddr` (offset 12) or `ip daddr` (16) in or not in `s`.
pub(crate) fn subnet_match(offset: u32, s: &Subnet, op: u32) -> [Expr; 3] {
    [
        Expr::Payload(BASE_NETWORK, offset, 4),
        Expr::Mask(s.mask().octets().to_vec()),
        Expr::Cmp(op, s.network().octets().to_vec()),
    ]
}

fn dnat_rule(table: &str, chain: &str, d: &Dnat) -> Msg {
    let mut e = Vec::new();
    match d.host_ip {
        Some(ip) if !ip.is_unspecified() => {
            e.push(Expr::Payload(BASE_NETWORK, 16, 4));
            e.push(Expr::Cmp(CMP_EQ, ip.octets().to_vec()));
        }
        _ => {
            e.push(Expr::FibDaddrType);
            e.push(Expr::Cmp(
                CMP_EQ,
                (libc::RTN_LOCAL as u32).to_ne_bytes().to_vec(),
            ));
        }
    }
    e.push(Expr::Meta(META_L4PROTO));
    e.push(Expr::Cmp(CMP_EQ, vec![d.proto]));
    e.push(Expr::Payload(BASE_TRANSPORT, 2, 2));
    e.push(Expr::Cmp(CMP_EQ, d.host_port.to_be_bytes().to_vec()));
    e.push(Expr::Imm(REG1, d.to.octets().to_vec()));
    e.push(Expr::Imm(REG2, d.to_port.to_be_bytes().to_vec()));
    e.push(Expr::Dnat);
    rule(table, chain, &e)
}

/// An interface name as `meta iifname`/`oifname` loads it: IFNAMSIZ bytes,
/// NUL padded, so an equal compare is an exact match.
pub(crate) fn ifname(name: &str) -> Vec<u8> {
    let mut v = vec![0u8; libc::IFNAMSIZ];
    for (d, b) in v.iter_mut().zip(name.bytes().take(libc::IFNAMSIZ - 1)) {
        *d = b;
    }
    v
}

fn socket() -> Result<Socket> {
    Socket::open(NETLINK_NETFILTER).map_err(|e| nl("cannot open nfnetlink socket", e))
}

/// Does `chain` exist in `table`? (A GET answered by the chain or ENOENT.)
fn chain_exists(sock: &mut Socket, table: &str, chain: &str) -> bool {
    let mut m = msg(NFT_MSG_GETCHAIN, 0);
    m.str(NFTA_CHAIN_TABLE, table).str(NFTA_CHAIN_NAME, chain);
    sock.request(m).is_ok()
}

fn flush(table: &str, chain: &str) -> Msg {
    let mut m = msg(NFT_MSG_DELRULE, 0);
    m.str(NFTA_RULE_TABLE, table).str(NFTA_RULE_CHAIN, chain);
    m
}

/// [`apply`], unless `record` says `rs` is what the table already holds
/// (and the table is still there: a firewall reload may have flushed it).
/// Replacing rules costs the kernel an RCU grace period (~10 ms) whenever
/// old rules go, which a container start that changes nothing (a build's
/// RUN, a container without ports) should not pay.
pub fn apply_if_changed(table: &str, rs: &Ruleset, record: &std::path::Path) -> Result<()> {
    let want = format!("{rs:?}");
    let mut sock = socket()?;
    if std::fs::read_to_string(record).is_ok_and(|r| r == want)
        && chain_exists(&mut sock, table, "postrouting")
    {
        return Ok(());
    }
    apply_on(&mut sock, table, rs)?;
    // Best effort: a missing or stale record only means re-applying.
    let _ = std::fs::write(record, want);
    Ok(())
}

/// Replace `table` with `rs` atomically.
pub fn apply(table: &str, rs: &Ruleset) -> Result<()> {
    apply_on(&mut socket()?, table, rs)
}

fn apply_on(sock: &mut Socket, table: &str, rs: &Ruleset) -> Result<()> {
    // Flushing the chains (DELRULE without a handle) rather than deleting
    // the table: same atomic result, but a table delete costs the kernel
    // an RCU grace period (~10 ms) on every container start.
    let mut b = vec![
        marker(NFNL_MSG_BATCH_BEGIN),
        table_msg(NFT_MSG_NEWTABLE, NLM_F_CREATE, table),
        chain(table, "prerouting", NF_INET_PRE_ROUTING, -100, "nat"),
        chain(table, "output", NF_INET_LOCAL_OUT, -100, "nat"),
        chain(table, "postrouting", NF_INET_POST_ROUTING, 100, "nat"),
        chain(
            table,
            filter::RAW_PREROUTING,
            NF_INET_PRE_ROUTING,
            filter::PRIORITY_RAW,
            "filter",
        ),
    ];
    for c in [
        "prerouting",
        "output",
        "postrouting",
        filter::RAW_PREROUTING,
    ] {
        b.push(flush(table, c));
    }
    // The other filter chains exist only while needed: even empty, a base
    // chain on the input hook is walked by every packet the host receives,
    // containers' or not. A chain no longer needed is flushed, then
    // deleted once every chain that may jump to it is flushed too.
    let mut gone = Vec::new();
    for (c, want) in filter::wanted_chains(rs) {
        match want {
            filter::Want::Base(hook) => b.push(chain(table, c, hook, 0, "filter")),
            filter::Want::Regular => b.push(regular_chain(table, c)),
            filter::Want::Absent if chain_exists(sock, table, c) => gone.push(c),
            filter::Want::Absent => continue,
        }
        b.push(flush(table, c));
    }
    for c in gone {
        let mut m = msg(NFT_MSG_DELCHAIN, 0);
        m.str(NFTA_CHAIN_TABLE, table).str(NFTA_CHAIN_NAME, c);
        b.push(m);
    }
    b.extend(filter::loopback_guard(table));
    for d in &rs.dnat {
        b.push(dnat_rule(table, "prerouting", d));
        b.push(dnat_rule(table, "output", d));
    }
    for s in &rs.masquerade {
        let mut e: Vec<Expr> = subnet_match(12, s, CMP_EQ).into();
        e.extend(subnet_match(16, s, CMP_NEQ));
        e.push(Expr::Masq);
        b.push(rule(table, "postrouting", &e));
    }
    let lo = Subnet::new(Ipv4Addr::new(127, 0, 0, 0), 8);
    for s in &rs.bridged {
        let mut e: Vec<Expr> = subnet_match(12, &lo, CMP_EQ).into();
        e.extend(subnet_match(16, s, CMP_EQ));
        e.push(Expr::Masq);
        b.push(rule(table, "postrouting", &e));
    }
    for br in &rs.internal {
        b.extend(filter::internal_walls(table, br));
    }
    b.extend(filter::network_isolation(table, &rs.bridges));
    b.push(marker(NFNL_MSG_BATCH_END));
    sock.batch(b)
        .map_err(|e| nl(format!("cannot program nftables table ip {table}"), e))
}

/// Remove `table` entirely (missing is fine).
pub fn delete(table: &str) -> Result<()> {
    let b = vec![
        marker(NFNL_MSG_BATCH_BEGIN),
        table_msg(NFT_MSG_NEWTABLE, NLM_F_CREATE, table),
        table_msg(NFT_MSG_DELTABLE, 0, table),
        marker(NFNL_MSG_BATCH_END),
    ];
    socket()?
        .batch(b)
        .map_err(|e| nl(format!("cannot delete nftables table ip {table}"), e))
}
