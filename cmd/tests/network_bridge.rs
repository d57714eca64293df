//! The default bridge: a server of the host's on the gateway is reached,
//! not with `--network none`; the idle bridge goes with its last user,
//! a moment later when that was a foreground `run --rm`.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use common::net::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn gateway_server_reachable_except_with_network_none() {
    let n = Net::new(3);
    // A running container keeps the bridge (and its gateway address) up:
    // bridges go with their last container.
    let keeper = n.sleeper(&[]);
    let l = TcpListener::bind((n.gateway.as_str(), 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    common::serve_http(l, "from-gw\n");
    let url = format!("http://{}:{port}/", n.gateway);
    // (busybox's wget crashes with -T: no timeout flag; `none` fails fast
    // with "network unreachable" anyway.)
    let got = n.ok(&["run", "--rm", "busybox", "wget", "-qO-", &url]);
    assert_eq!(got, "from-gw\n");
    let o = n.run(&[
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "wget",
        "-qO-",
        &url,
    ]);
    assert!(!o.status.success(), "--network none reached the gateway");
    n.ok(&["rm", "-f", &keeper]);
    n.assert_clean();
    assert!(
        !Path::new("/sys/class/net").join(&n.bridge).exists(),
        "idle bridge kept"
    );
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn idle_bridge_and_table_go_after_the_last_foreground_rm_run() {
    let n = Net::new(7);
    // The runner leaves the veth to die with the namespace and the idle
    // bridge and table to its background child (a second later): both
    // must still go, with nothing else happening afterwards.
    for _ in 0..2 {
        n.ok(&["run", "--rm", "busybox", "true"]);
    }
    n.assert_clean();
    let bridge = Path::new("/sys/class/net").join(&n.bridge);
    let deadline = Instant::now() + Duration::from_secs(10);
    while bridge.exists() {
        assert!(Instant::now() < deadline, "idle bridge {} kept", n.bridge);
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn idle_bridge_goes_even_when_the_store_root_is_deleted_right_after_run() {
    // A script (or a test) deletes its store the moment `run --rm` returns;
    // the background child must already know which bridge to drop.
    let n = Net::new(8);
    n.ok(&["run", "--rm", "busybox", "true"]);
    std::fs::remove_dir_all(n.store.root()).unwrap();
    let bridge = Path::new("/sys/class/net").join(&n.bridge);
    let deadline = Instant::now() + Duration::from_secs(10);
    while bridge.exists() {
        assert!(Instant::now() < deadline, "idle bridge {} kept", n.bridge);
        std::thread::sleep(Duration::from_millis(100));
    }
}
