//! The cgroup filesystem inside a container is read-only (issue 13, item
//! 6): a container cannot raise its own memory or pids limit, nor make
//! cgroups of its own, as with docker (writable only with --privileged).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::container::{assert_no_leftovers, run_detached};
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn container_cannot_raise_its_own_limits() {
    let store = Store::new();
    // v1 (or hybrid) controllers, else the unified hierarchy.
    let v1 = Path::new("/sys/fs/cgroup/memory/memory.limit_in_bytes").exists();
    let (memory, pids) = if v1 {
        ("memory/memory.limit_in_bytes", "pids/pids.max")
    } else {
        ("memory.max", "pids.max")
    };
    let script = format!(
        "cd /sys/fs/cgroup; cat {memory}; \
         for v in 100663296 999999999; do echo $v > {memory} && echo WROTE_MEMORY_$v; done; \
         echo 1000 > {pids} && echo WROTE_PIDS; \
         mkdir escape && echo MADE_CGROUP; \
         echo READY; exec sleep 300"
    );
    let id = run_detached(
        &store,
        &["--network", "none", "--memory", "64m", "--pids-limit", "50"],
        &["sh", "-c", &script],
    );
    let _removed = Removed(&store, id.clone());
    let t = Instant::now();
    let logs = loop {
        let l = store.ok(&["logs", &id]);
        if l.contains("READY") || t.elapsed() > Duration::from_secs(20) {
            break l;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    // The limits are readable inside, and no write went through.
    assert_eq!(logs, "67108864\nREADY\n");
    let host = |file: &str| {
        let (controller, name) = file.split_once('/').unwrap_or(("", file));
        let p = Path::new("/sys/fs/cgroup")
            .join(controller)
            .join("skiff")
            .join(&id)
            .join(name);
        std::fs::read_to_string(&p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .trim()
            .to_string()
    };
    assert_eq!(host(memory), "67108864");
    assert_eq!(host(pids), "50");
    store.ok(&["rm", "-f", &id]);
    assert_no_leftovers(&store, &id);
}

/// Removes the container even when an assertion fails first.
struct Removed<'a>(&'a Store, String);

impl Drop for Removed<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["rm", "-f", &self.1]);
    }
}
