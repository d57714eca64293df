//! Resource limits of `skiff run`: memory (OOM kill, exit 137), pids
//! (a fork bomb stays inside) and CPU quota.

mod common;

use std::time::{Duration, Instant};

use common::container::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn memory_limit_oom_and_pids_limit() {
    let (s, img) = store_with_busybox();
    let dd = ["dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1"];
    let o = s.run(&[&["run", "--name", "hog", "--memory", "32m", img][..], &dd].concat());
    assert_eq!(o.status.code(), Some(137), "{}", stderr(&o));
    assert_eq!(
        s.inspect("hog", "{{.State.OOMKilled}} {{.State.ExitCode}}"),
        "true 137"
    );
    let id = s.inspect("hog", "{{.Id}}");
    s.ok(&["rm", "hog"]);
    assert_no_leftovers(&s, &id);
    // A fork bomb hits the pids limit instead of the host.
    let start = Instant::now();
    let o = run(
        &s,
        &["--pids-limit", "20"],
        &["sh", "-c", "for i in $(seq 40); do sleep 2 & done; wait"],
    );
    assert_stderr_says(&o, "fork");
    assert!(start.elapsed() < Duration::from_secs(20));
    let o = run(
        &s,
        &["--cpus", "0.5", "--cpu-shares", "512", "--memory", "64m"],
        &["cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us"],
    );
    assert_eq!(stdout(&o).trim(), "50000");
}
