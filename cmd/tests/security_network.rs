//! What skiff's networking must not let through (issue 13, items 4 and
//! 7a): the host's loopback from a container or a LAN neighbour
//! (CVE-2020-8558), and one network from another.

mod common;

use std::net::TcpListener;
use std::sync::atomic::Ordering;

use common::net::*;
use common::netns::TestNs;
use common::serve_http;

/// Published ports at 127.0.0.1 need route_localnet on the bridge; without
/// the loopback guard a packet addressed to 127.0.0.1 that comes in from
/// the bridge reaches any service the host bound to 127.0.0.1, and one
/// from the LAN reaches a port published only on 127.0.0.1.
#[test]
#[ignore = "needs the test ground: scripts/test"]
fn host_loopback_is_unreachable_from_containers_and_the_lan() {
    let n = Net::new(21);
    // The bridge exists while a container uses it; this one also
    // publishes a port on the host's loopback only.
    let web = n.httpd(&["-p", "127.0.0.1:18721:8080"]);
    wait_http("127.0.0.1:18721".parse().unwrap(), "/index.html");

    // A service of the host's on 127.0.0.1, counting connections.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let secret = l.local_addr().unwrap().port();
    let hits = serve_http(l, "host-loopback\n");

    // A "container" crafting its packets: a namespace on the bridge that
    // routes 127.0.0.1 via the bridge gateway.
    let ctr = TestNs::on_bridge("sktc21b", &n.bridge, "10.205.21.250/24");
    // Control: the plumbing works, a host service on the gateway answers.
    let gw_listener = TcpListener::bind((n.gateway.as_str(), 0)).unwrap();
    let gw_port = gw_listener.local_addr().unwrap().port();
    serve_http(gw_listener, "gateway\n");
    let got = ctr.http_get(&n.gateway, gw_port);
    assert!(got.contains("gateway"), "gateway unreachable: {got:?}");
    ctr.route_loopback_via(&n.gateway);
    let got = ctr.http_get("127.0.0.1", secret);
    assert!(
        !got.contains("host-loopback"),
        "a container reached the host's 127.0.0.1: {got:?}"
    );
    let got = ctr.http_get("127.0.0.1", 18721);
    assert!(
        !got.contains("HTTP/1."),
        "a container reached a port published on 127.0.0.1: {got:?}"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the host's 127.0.0.1 service got a connection"
    );

    // A LAN neighbour, linked to the host by a veth, sends to 127.0.0.1 at
    // the host: the port published on 127.0.0.1 must not answer it.
    let lan = TestNs::linked("sktc21l", "10.202.21.1/30", "10.202.21.2/30");
    let host_side = TcpListener::bind("10.202.21.1:0").unwrap();
    let host_port = host_side.local_addr().unwrap().port();
    serve_http(host_side, "host\n");
    assert!(lan.http_get("10.202.21.1", host_port).contains("host"));
    lan.route_loopback_via("10.202.21.1");
    let got = lan.http_get("127.0.0.1", 18721);
    assert!(
        !got.contains("HTTP/1."),
        "the LAN reached a port published on 127.0.0.1: {got:?}"
    );

    // The host itself still reaches what it published on 127.0.0.1.
    wait_http("127.0.0.1:18721".parse().unwrap(), "/index.html");
    drop((ctr, lan));
    n.ok(&["rm", "-f", &web]);
    n.assert_clean();
}

/// docker's DOCKER-ISOLATION chains: two networks never reach each other
/// (nor the default bridge), members of one network do, and a port one
/// publishes stays reachable from another through a host address.
#[test]
#[ignore = "needs the test ground: scripts/test"]
fn networks_do_not_reach_each_other() {
    let n = Net::new(22);
    n.ok(&[
        "network",
        "create",
        "--subnet",
        "10.205.122.0/24",
        "sktisoa",
    ]);
    n.ok(&[
        "network",
        "create",
        "--subnet",
        "10.205.123.0/24",
        "sktisob",
    ]);
    let a = n.httpd(&["--name", "weba", "--network", "sktisoa", "-p", "18722:8080"]);
    let a_ip = container_ip(&n, &a);
    let d = n.httpd(&["--name", "webd"]);
    let d_ip = container_ip(&n, &d);
    wait_http(format!("{a_ip}:8080").parse().unwrap(), "/index.html");
    wait_http(format!("{d_ip}:8080").parse().unwrap(), "/index.html");

    // Each probe prints its word when it gets an HTTP reply within 4 s
    // (busybox nc: this host's static busybox wget may crash).
    let probe = |word: &str, host: &str, port: u16| {
        format!(
            "(printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | timeout 4 nc -w 2 {host} {port} \\
             | grep -q HTTP && echo {word}) & "
        )
    };
    let from = |net: &str, script: String| {
        n.ok(&[
            "run",
            "--rm",
            "--network",
            net,
            "busybox",
            "sh",
            "-c",
            &format!("{script}wait"),
        ])
    };
    let mut got: Vec<String> = from(
        "sktisob",
        format!(
            "{}{}{}",
            probe("B_REACHED_A", &a_ip, 8080),
            probe("B_REACHED_DEFAULT", &d_ip, 8080),
            // A's published port, through B's gateway (a host address).
            probe("B_PUBLISHED_OK", "10.205.123.1", 18722),
        ),
    )
    .lines()
    .map(String::from)
    .collect();
    got.sort();
    assert_eq!(got, ["B_PUBLISHED_OK"]);
    let got = from("bridge", probe("DEFAULT_REACHED_A", &a_ip, 8080));
    assert_eq!(got, "");
    // The same network: by name and by address.
    let got = from(
        "sktisoa",
        format!(
            "{}{}",
            probe("A_BY_NAME", "weba", 8080),
            probe("A_BY_IP", &a_ip, 8080),
        ),
    );
    let mut got: Vec<&str> = got.lines().collect();
    got.sort();
    assert_eq!(got, ["A_BY_IP", "A_BY_NAME"]);

    n.ok(&["rm", "-f", &a, &d]);
    n.ok(&["network", "rm", "sktisoa", "sktisob"]);
    n.assert_clean();
}
