//! Holding the default network's bridge (and the store's nftables table)
//! across a series of short-lived containers, a build's RUN steps: without
//! a hold each RUN would tear the bridge down with its container (~50 ms in
//! the kernel, plus ~10 ms for the table) only for the next RUN to build
//! it again. A hold is a file `<root>/networks/holds/<pid>` naming its
//! process; a holder that died without releasing (SIGKILL) no longer
//! counts, and the next change drops what it kept.

use std::path::{Path, PathBuf};

use crate::error::{io_at, Result};
use crate::store::Store;
use crate::NetContext;

/// A held default bridge; released (and the bridge dropped if idle) on
/// drop.
pub struct BridgeHold {
    ctx: NetContext,
    path: PathBuf,
}

/// This process's start time (field 22 of /proc/PID/stat), to tell a live
/// holder from a recycled pid.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces: count after its ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19).map(str::to_string)
}

fn holds_dir(st: &Store) -> PathBuf {
    st.dir.join("holds")
}

/// Is any live process holding the default bridge?
pub(crate) fn held(st: &Store) -> bool {
    let Ok(rd) = std::fs::read_dir(holds_dir(st)) else {
        return false;
    };
    let mut any = false;
    for e in rd.flatten() {
        let live = e
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|pid| {
                let want = std::fs::read_to_string(e.path()).unwrap_or_default();
                start_time(pid).is_some_and(|t| t == want.trim())
            });
        if live {
            any = true;
        } else {
            let _ = std::fs::remove_file(e.path());
        }
    }
    any
}

/// Hold the default bridge until the returned value is dropped.
pub fn hold_default_bridge(ctx: &NetContext) -> Result<BridgeHold> {
    let st = Store::new(&ctx.root);
    let _lock = st.lock()?;
    let dir = holds_dir(&st);
    std::fs::create_dir_all(&dir).map_err(|e| io_at("cannot create", &dir, e))?;
    let pid = std::process::id();
    let path = dir.join(pid.to_string());
    let t = start_time(pid).unwrap_or_default();
    std::fs::write(&path, t).map_err(|e| io_at("cannot write", &path, e))?;
    Ok(BridgeHold {
        ctx: ctx.clone(),
        path,
    })
}

fn release(ctx: &NetContext, path: &Path) -> Result<()> {
    let st = Store::new(&ctx.root);
    let _lock = st.lock()?;
    let _ = std::fs::remove_file(path);
    crate::sync::sync_rules(ctx, &st)
}

impl Drop for BridgeHold {
    fn drop(&mut self) {
        let _ = release(&self.ctx, &self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_holders_count_dead_ones_are_swept() {
        let d = tempfile::tempdir().unwrap();
        let st = Store::new(d.path());
        let dir = holds_dir(&st);
        std::fs::create_dir_all(&dir).unwrap();
        assert!(!held(&st));
        // A pid that cannot exist, and this process with a wrong start time
        // (a recycled pid): neither holds, both files go.
        std::fs::write(dir.join("4294967295"), "1").unwrap();
        let me = std::process::id();
        std::fs::write(dir.join(me.to_string()), "not-my-start-time").unwrap();
        assert!(!held(&st));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        // This process, as hold_default_bridge records it.
        std::fs::write(dir.join(me.to_string()), start_time(me).unwrap()).unwrap();
        assert!(held(&st));
    }
}
