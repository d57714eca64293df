//! User networks: `network create/ls/inspect/rm`, name and alias
//! resolution, resolv.conf, and IPv6 refused by name.

mod common;

use std::time::{Duration, Instant};

use common::net::*;
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn user_network_resolves_names() {
    let n = Net::new(2);
    n.ok(&[
        "network",
        "create",
        "--subnet",
        "10.205.102.0/24",
        "sktnet2",
    ]);
    assert!(n.ok(&["network", "ls"]).contains("sktnet2"));
    let web = n.httpd(&[
        "--name",
        "web",
        "--network",
        "sktnet2",
        "--network-alias",
        "www",
    ]);
    let inspect = n.ok(&["network", "inspect", "sktnet2"]);
    assert!(
        inspect.contains(&web) && inspect.contains("10.205.102.2/24"),
        "{inspect}"
    );
    let want = index_html();
    for host in ["web", "www"] {
        let t = Instant::now();
        let out = loop {
            let o = n.run(&[
                "run",
                "--rm",
                "--network",
                "sktnet2",
                "busybox",
                "wget",
                "-qO-",
                &format!("http://{host}:8080/index.html"),
            ]);
            if o.status.success() || t.elapsed() > Duration::from_secs(10) {
                break o;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_success(&out, &["wget", host]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    }
    // resolv.conf: the host's, minus loopback resolvers.
    let resolv = n.ok(&[
        "run",
        "--rm",
        "--network",
        "sktnet2",
        "busybox",
        "cat",
        "/etc/resolv.conf",
    ]);
    assert!(resolv.contains("nameserver"), "{resolv}");
    assert!(!resolv.contains("nameserver 127."), "{resolv}");

    let o = n.run(&["network", "rm", "sktnet2"]);
    assert!(!o.status.success(), "network rm with a member must fail");
    n.ok(&["rm", "-f", &web]);
    n.ok(&["network", "rm", "sktnet2"]);
    assert!(!n.ok(&["network", "ls"]).contains("sktnet2"));
    n.assert_clean();
}

#[test]
fn ipv6_networks_are_refused_by_name() {
    let store = Store::new();
    for flag in ["--ipv6", "--ipv6=true"] {
        let o = store.run(&["network", "create", flag, "sktv6"]);
        assert_fails(&o, 125, &["--ipv6", "IPv6"]);
    }
    assert!(!store.ok(&["network", "ls"]).contains("sktv6"));
    // --ipv6=false asks for what skiff does anyway.
    store.ok(&["network", "create", "--ipv6=false", "sktv6"]);
    store.ok(&["network", "rm", "sktv6"]);
}
