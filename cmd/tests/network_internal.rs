//! `network create --internal`: members reach each other but never the
//! host, another network, or a published port through NAT; its filter
//! chains live only as long as the network.

mod common;

use std::net::TcpListener;
use std::process::Command;

use common::net::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn internal_network_reaches_members_only() {
    let n = Net::new(6);
    n.ok(&[
        "network",
        "create",
        "--internal",
        "--subnet",
        "10.205.106.0/24",
        "sktint6",
    ]);
    // A member, publishing a port that an internal network must not
    // publish (docker maps none there).
    let web = n.httpd(&["--name", "web", "--network", "sktint6", "-p", "18680:8080"]);
    assert_eq!(n.ok(&["port", &web]), "");
    // Something on another network (the default bridge), published too.
    let other = n.httpd(&["-p", "18681:8080"]);
    let other_ip = container_ip(&n, &other);
    wait_http("127.0.0.1:18681".parse().unwrap(), "/index.html");
    assert!(http_get("127.0.0.1:18680".parse().unwrap(), "/").is_err());
    // The host may still open connections to members.
    let web_ip = container_ip(&n, &web);
    assert!(web_ip.starts_with("10.205.106."), "{web_ip}");
    wait_http(format!("{web_ip}:8080").parse().unwrap(), "/index.html");

    // A server of the host's on the internal bridge's gateway address; it
    // answers, so a probe that reaches it finishes, and counts connections.
    let gw = "10.205.106.1";
    let l = TcpListener::bind((gw, 0)).unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = common::serve_http(l, "from-gw\n");
    // The probe may route through the gateway (NET_ADMIN): the rules, not
    // only the missing default route, must stop it reaching the host, the
    // other network, or the other network's published port through NAT.
    // A probe "reaches" when it gets an HTTP reply within 4 s.
    let probe = |what: &str, host: &str, port: u16| {
        format!(
            "(printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | timeout 4 nc -w 2 {host} {port} \
             | grep -q HTTP && echo {what}) & "
        )
    };
    let script = format!(
        "ip route | grep -q default && echo HAS_DEFAULT_ROUTE; \
         wget -qO- http://web:8080/index.html >/dev/null && echo PEER_OK; \
         ip route add default via {gw} || echo NO_ROUTE_ADDED; {}{}{}wait",
        probe("GATEWAY_REACHED", gw, port),
        probe("OTHER_NETWORK_REACHED", &other_ip, 8080),
        probe("NAT_REACHED", gw, 18681),
    );
    let out = n.ok(&[
        "run",
        "--rm",
        "--network",
        "sktint6",
        "--cap-add",
        "NET_ADMIN",
        "busybox",
        "sh",
        "-c",
        &script,
    ]);
    assert_eq!(out, "PEER_OK\n");
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the gateway server got a connection"
    );

    // The filter chains live as long as an internal network: the host's
    // input path carries no hook of skiff's otherwise.
    let table = skiff_table(n.store.root());
    let input_chain = || {
        Command::new("nft")
            .args(["list", "chain", "ip", &table, "input"])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(input_chain(), "no input chain with an internal network");
    n.ok(&["rm", "-f", &web]);
    n.ok(&["network", "rm", "sktint6"]);
    assert!(
        !input_chain(),
        "input chain left after the internal network"
    );
    wait_http("127.0.0.1:18681".parse().unwrap(), "/index.html");
    n.ok(&["rm", "-f", &other]);
    n.assert_clean();
}
