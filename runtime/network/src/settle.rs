//! Dropping, a moment later, the bridges and the nftables table a
//! `detach_with(.., Idle::Keep)` left idle (and deleting any veth of the
//! container that outlived its namespace): a foreground `run --rm` hands
//! this to the background process that already deletes its directory, so
//! it exits without waiting ~50 ms for the kernel to delete a bridge, and
//! a script running containers one after another keeps one bridge instead
//! of deleting and making it again for each.

use std::time::{Duration, SystemTime};

use crate::bridge::drop_idle_bridges;
use crate::endpoints::veth_name;
use crate::error::Result;
use crate::store::{host_lock, NetworkInfo};
use crate::sync::sync_rules;
use crate::{link, nft, NetContext};

/// What a later [`Deferred::settle`] needs, read now: the store root may
/// be deleted in between (a test's temporary store).
pub struct Deferred {
    ctx: NetContext,
    id: String,
    nets: Vec<NetworkInfo>,
}

impl Deferred {
    /// For container `id`, detached with `Idle::Keep`.
    pub fn new(ctx: &NetContext, id: &str) -> Deferred {
        Deferred {
            ctx: ctx.clone(),
            id: id.to_string(),
            nets: ctx.store().networks().unwrap_or_default(),
        }
    }

    /// Delete the container's veths the kernel has not deleted with its
    /// namespace (something still held the namespace). Normally none.
    fn delete_surviving_veths(&self) {
        if self.id.len() < 12 {
            return;
        }
        for n in 0..10 {
            let name = veth_name(&self.id, n);
            if link::index(&name).is_some() {
                let _ = link::delete(&name);
            }
        }
    }

    /// Drop the bridges and the table nothing uses, as a detach with
    /// `Idle::Drop` would have, unless the network state changed within
    /// the last `quiet` (another container came or went since: its own
    /// detach, or the settle it defers, decides then).
    pub fn settle(&self, quiet: Duration) -> Result<()> {
        self.delete_surviving_veths();
        let st = self.ctx.store();
        if st.dir.is_dir() {
            let _lock = st.lock()?;
            let changed = std::fs::metadata(st.dir.join("endpoints"))
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age < quiet);
            if changed {
                return Ok(());
            }
            return sync_rules(&self.ctx, &st);
        }
        // The root is gone, and its lock with it: nothing can attach to
        // its networks any more. Its table goes; its bridges if idle, under
        // the host-wide lock (another root may use the same bridge name).
        let _host = host_lock()?;
        drop_idle_bridges(&self.nets, false);
        nft::delete(&self.ctx.table)
    }
}
