//! Network cleanup: 200 run/rm cycles with published ports leak nothing,
//! and a container whose monitor was killed is released by rm.

mod common;

use std::time::{Duration, Instant};

use common::net::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn two_hundred_cycles_leak_nothing() {
    let n = Net::new(4);
    let t = Instant::now();
    // Four concurrent workers, 50 run/rm cycles each, each publishing its
    // own port: exercises the network lock as well as the cleanup.
    std::thread::scope(|s| {
        for w in 0..4u16 {
            let n = &n;
            s.spawn(move || {
                let port = format!("{}:80", 18480 + w);
                for i in 0..50 {
                    let o = n.run(&["run", "--rm", "-p", &port, "busybox", "true"]);
                    assert_success(&o, &["run", "--rm", "-p", &port, "cycle", &i.to_string()]);
                }
            });
        }
    });
    eprintln!("200 run --rm -p cycles in {:?}", t.elapsed());
    n.assert_clean();
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn killed_monitor_is_recovered_by_rm() {
    let n = Net::new(5);
    let id = n.sleeper(&["-p", "18580:80"]);
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            n.store
                .root()
                .join("containers")
                .join(&id)
                .join("state.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for key in ["monitor_pid", "pid"] {
        let pid = state[key].as_i64().unwrap() as i32;
        assert!(pid > 0, "{key} in {state}");
        // SAFETY: SIGKILL to pids the test's own container recorded.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(n.netdir("endpoints").len(), 1, "nothing released it yet");
    n.ok(&["rm", "-f", &id]);
    n.assert_clean();
    // The port is free again.
    let id = n.sleeper(&["-p", "18580:80"]);
    n.ok(&["rm", "-f", &id]);
    n.assert_clean();
}
