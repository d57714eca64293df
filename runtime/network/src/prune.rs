//! `network prune`: remove every user network no container is attached to.

use crate::{list_networks, remove_network, NetContext, Result, DEFAULT_NETWORK};

/// Remove the unused user networks; returns their names. A network in use
/// (or that cannot be removed right now) stays, as docker leaves it.
pub fn prune_networks(ctx: &NetContext) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    for n in list_networks(ctx)? {
        if n.name != DEFAULT_NETWORK && remove_network(ctx, &n.name).is_ok() {
            removed.push(n.name);
        }
    }
    Ok(removed)
}
