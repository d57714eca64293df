//! What is derived from the state files on every change: the nftables
//! table (NAT, published ports, isolation) and each container's
//! /etc/hosts listing its peers.

use std::net::Ipv4Addr;

use crate::bridge::drop_idle_bridges;
use crate::error::Result;
use crate::store::Store;
use crate::{etc, hold, nft, NetContext};

/// What a change does with the bridges and the table nothing uses any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Delete them now.
    Drop,
    /// Leave them for a later [`crate::settle`]: deleting a bridge is
    /// ~50 ms in the kernel (RCU grace periods), which a `run --rm` should
    /// not wait for before it exits, and which the next run would only
    /// undo by making the bridge again.
    Keep,
}

/// Rebuild the nftables table from every network and endpoint (and drop
/// bridges nobody uses any more).
pub(crate) fn sync_rules(ctx: &NetContext, st: &Store) -> Result<()> {
    sync_rules_with(ctx, st, Idle::Drop)
}

/// [`sync_rules`], with `idle` saying what happens to unused bridges and
/// an empty table.
pub(crate) fn sync_rules_with(ctx: &NetContext, st: &Store, idle: Idle) -> Result<()> {
    let nets = st.networks()?;
    // Kept for later counts as held: the table stays even when empty.
    let held = idle == Idle::Keep || hold::held(st);
    if idle == Idle::Drop {
        drop_idle_bridges(&nets, held);
    }
    let eps = st.endpoints()?;
    let mut rs = nft::Ruleset::default();
    for n in &nets {
        if n.internal {
            rs.internal.push(n.bridge.clone());
        } else {
            rs.masquerade.push(n.subnet);
        }
        rs.bridged.push(n.subnet);
        rs.bridges.push(n.bridge.clone());
    }
    rs.bridges.sort();
    rs.bridges.dedup();
    for e in &eps {
        let Some(a) = e.attachments.first() else {
            continue;
        };
        for p in &e.ports {
            if p.host_port == 0 {
                continue;
            }
            rs.dnat.push(nft::Dnat {
                host_ip: p.host_ip,
                host_port: p.host_port,
                proto: p.proto.number(),
                to: a.ip,
                to_port: p.container_port,
            });
        }
    }
    // No container, no rules: the table goes with the last endpoint so a
    // store root that is deleted leaves nothing in the kernel but its idle
    // bridge. Unless held (a build between two RUNs).
    let record = st.dir.join("rules-applied");
    if eps.is_empty() && !held {
        let _ = std::fs::remove_file(&record);
        return nft::delete(&ctx.table);
    }
    nft::apply_if_changed(&ctx.table, &rs, &record)
}

/// Rewrite /etc/hosts of every endpoint that has one.
pub(crate) fn sync_hosts(st: &Store) -> Result<()> {
    let eps = st.endpoints()?;
    for me in &eps {
        let Some(dir) = &me.etc_dir else {
            continue;
        };
        let mut lines: Vec<(Ipv4Addr, Vec<String>)> = Vec::new();
        for a in &me.attachments {
            lines.push((a.ip, etc::names(me, &a.aliases)));
        }
        for peer in eps.iter().filter(|p| p.id != me.id) {
            for pa in &peer.attachments {
                if me.attachments.iter().any(|a| a.network == pa.network) {
                    lines.push((pa.ip, etc::names(peer, &pa.aliases)));
                }
            }
        }
        etc::write_hosts(dir, &lines);
    }
    Ok(())
}
