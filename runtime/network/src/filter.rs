//! The filter rules of skiff's nftables table: what containers, and hosts
//! on the LAN, must not reach through skiff's networking. [`crate::nft`]
//! encodes and applies them with the NAT rules, in the same batch.
//!
//! - **Loopback guard** (always, while the table exists). Published ports
//!   at 127.0.0.1 need `route_localnet=1` on each bridge (the DNATed
//!   connection's replies come back addressed to 127.0.0.1), and the DNAT
//!   happens in prerouting, before the kernel's martian check. Without a
//!   guard that lets a container send to the host's 127.0.0.1 through its
//!   gateway and reach any service bound there, and lets a LAN neighbour
//!   reach ports published only on 127.0.0.1 (CVE-2020-8558, the same
//!   flaw in kube-proxy). docker drops, in raw PREROUTING, `iifname != lo
//!   ip daddr <loopback host ip> dport <port>` for each port published on
//!   loopback (its `filterPortMappedOnLoopback`); skiff sets
//!   `route_localnet` on every bridge rather than only when asked, so it
//!   drops every packet whose source or destination is in 127.0.0.0/8 and
//!   that did not arrive on `lo`, at the same hook and priority (before
//!   conntrack and NAT). The host's own connections to 127.0.0.1:port are
//!   untouched: they enter through `lo`, and the container's replies are
//!   addressed to the bridge gateway (masquerade) until conntrack undoes it.
//! - **Network isolation** (two or more networks). docker's
//!   DOCKER-ISOLATION-STAGE-1/2: whatever leaves one network's bridge for
//!   another interface jumps to `isolation`, which drops it if that
//!   interface is another network's bridge. Connections to a published
//!   port (DNATed) are exempt, as docker 28 accepts them per port: a
//!   container may still reach another network's published service
//!   through a host address.
//! - **Internal networks**: nothing forwarded in or out of the bridge but
//!   between its own ports, and no new connection to the host.

use std::net::Ipv4Addr;

use crate::ipam::Subnet;
use crate::netlink::Msg;
use crate::nft::{
    ifname, rule, subnet_match, Expr, Ruleset, CMP_EQ, CMP_NEQ, CT_ESTABLISHED_RELATED, CT_STATE,
    CT_STATUS, CT_STATUS_DNAT, META_IIFNAME, META_OIFNAME, NF_INET_FORWARD, NF_INET_LOCAL_IN,
};

/// The loopback guard's chain and its priority (NF_IP_PRI_RAW: before
/// conntrack and every NAT chain).
pub(crate) const RAW_PREROUTING: &str = "raw_prerouting";
pub(crate) const PRIORITY_RAW: i32 = -300;
const FORWARD: &str = "forward";
const ISOLATION: &str = "isolation";
const INPUT: &str = "input";

/// Whether a filter chain should exist, and how it is attached.
pub(crate) enum Want {
    /// A base chain on this hook.
    Base(u32),
    /// A regular chain, entered by jumps.
    Regular,
    /// Not needed: deleted if present.
    Absent,
}

fn isolating(rs: &Ruleset) -> bool {
    rs.bridges.len() >= 2
}

/// The optional filter chains and whether `rs` needs each.
pub(crate) fn wanted_chains(rs: &Ruleset) -> [(&'static str, Want); 3] {
    let want = |yes: bool, w: Want| if yes { w } else { Want::Absent };
    let internal = !rs.internal.is_empty();
    [
        (
            FORWARD,
            want(internal || isolating(rs), Want::Base(NF_INET_FORWARD)),
        ),
        (ISOLATION, want(isolating(rs), Want::Regular)),
        (INPUT, want(internal, Want::Base(NF_INET_LOCAL_IN))),
    ]
}

/// `iifname != "lo" ip daddr 127.0.0.0/8 drop` and the same for `saddr`.
pub(crate) fn loopback_guard(table: &str) -> [Msg; 2] {
    let lo = Subnet::new(Ipv4Addr::new(127, 0, 0, 0), 8);
    let not_from_lo = |offset: u32| {
        let mut e = vec![Expr::Meta(META_IIFNAME), Expr::Cmp(CMP_NEQ, ifname("lo"))];
        e.extend(subnet_match(offset, &lo, CMP_EQ));
        e.push(Expr::Drop);
        rule(table, RAW_PREROUTING, &e)
    };
    [not_from_lo(16), not_from_lo(12)]
}

/// The rules that keep every network's bridge from forwarding to another's.
pub(crate) fn network_isolation(table: &str, bridges: &[String]) -> Vec<Msg> {
    if bridges.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for br in bridges {
        let name = ifname(br);
        // Leaving `br` for another interface, and not a published port.
        out.push(rule(
            table,
            FORWARD,
            &[
                Expr::Meta(META_IIFNAME),
                Expr::Cmp(CMP_EQ, name.clone()),
                Expr::Meta(META_OIFNAME),
                Expr::Cmp(CMP_NEQ, name.clone()),
                Expr::Ct(CT_STATUS),
                Expr::Mask(CT_STATUS_DNAT.to_ne_bytes().to_vec()),
                Expr::Cmp(CMP_EQ, vec![0; 4]),
                Expr::Jump(ISOLATION.into()),
            ],
        ));
        // ... towards `br` from another network: dropped.
        out.push(rule(
            table,
            ISOLATION,
            &[
                Expr::Meta(META_OIFNAME),
                Expr::Cmp(CMP_EQ, name),
                Expr::Drop,
            ],
        ));
    }
    out
}

/// The rules that wall an internal network's bridge off.
pub(crate) fn internal_walls(table: &str, bridge: &str) -> [Msg; 3] {
    let name = ifname(bridge);
    // Forwarded with the bridge on one side (`this`) and another interface
    // on the other: dropped, whichever way it goes.
    let crossing = |this: u32, other: u32| {
        [
            Expr::Meta(this),
            Expr::Cmp(CMP_EQ, name.clone()),
            Expr::Meta(other),
            Expr::Cmp(CMP_NEQ, name.clone()),
            Expr::Drop,
        ]
    };
    let leaving = crossing(META_IIFNAME, META_OIFNAME);
    let entering = crossing(META_OIFNAME, META_IIFNAME);
    // To the host itself only replies: what the host opened may answer.
    let to_host = [
        Expr::Meta(META_IIFNAME),
        Expr::Cmp(CMP_EQ, name),
        Expr::Ct(CT_STATE),
        Expr::Mask(CT_ESTABLISHED_RELATED.to_ne_bytes().to_vec()),
        Expr::Cmp(CMP_EQ, vec![0; 4]),
        Expr::Drop,
    ];
    [
        rule(table, FORWARD, &leaving),
        rule(table, FORWARD, &entering),
        rule(table, INPUT, &to_host),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(rs: &Ruleset) -> Vec<(&'static str, &'static str)> {
        wanted_chains(rs)
            .into_iter()
            .map(|(c, w)| {
                let w = match w {
                    Want::Base(_) => "base",
                    Want::Regular => "regular",
                    Want::Absent => "absent",
                };
                (c, w)
            })
            .collect()
    }

    #[test]
    fn filter_chains_exist_only_while_needed() {
        let mut rs = Ruleset {
            bridges: vec!["skiff0".into()],
            ..Default::default()
        };
        // One network: nothing to isolate it from; no hook on forward.
        assert!(wanted(&rs).iter().all(|(_, w)| *w == "absent"));
        assert!(network_isolation("t", &rs.bridges).is_empty());
        rs.bridges.push("br-1".into());
        assert_eq!(
            wanted(&rs),
            [
                ("forward", "base"),
                ("isolation", "regular"),
                ("input", "absent")
            ]
        );
        assert_eq!(network_isolation("t", &rs.bridges).len(), 4);
        rs.bridges.truncate(1);
        rs.internal.push("skiff0".into());
        assert_eq!(
            wanted(&rs),
            [
                ("forward", "base"),
                ("isolation", "absent"),
                ("input", "base")
            ]
        );
    }
}
