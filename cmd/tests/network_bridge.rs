//! The default bridge: a server of the host's on the gateway is reached,
//! not with `--network none`; the idle bridge goes with its last user.

mod common;

use std::net::TcpListener;
use std::path::Path;

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
