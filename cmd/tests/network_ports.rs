//! Published ports (`-p`): reached from 127.0.0.1 and from another
//! namespace, reprogrammed after a firewall flush, conflicts refused with
//! docker's message, nothing left after rm.

mod common;

use std::process::Command;

use common::assert_fails;
use common::net::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn published_port_conflict_and_cleanup() {
    let n = Net::new(1);
    let id = n.httpd(&["-p", "18080:8080"]);
    let want = index_html();
    let r = wait_http("127.0.0.1:18080".parse().unwrap(), "/index.html");
    assert!(
        r.starts_with("HTTP/1.0 200") || r.starts_with("HTTP/1.1 200"),
        "{r}"
    );
    assert!(r.ends_with(&want), "{r}");
    assert_eq!(n.ok(&["port", &id]), "8080/tcp -> 0.0.0.0:18080\n");
    assert_eq!(n.ok(&["port", &id, "8080"]), "0.0.0.0:18080\n");

    // From a test-made namespace linked to the host by a veth, the host's
    // address on that link.
    let ns = "sktc1peer";
    let _ = Command::new("ip").args(["netns", "del", ns]).status();
    let _ = Command::new("ip").args(["link", "del", "sktc1h"]).status();
    ip(&["netns", "add", ns]);
    ip(&[
        "link", "add", "sktc1h", "type", "veth", "peer", "name", "sktc1p", "netns", ns,
    ]);
    ip(&["addr", "add", "10.206.1.1/30", "dev", "sktc1h"]);
    ip(&["link", "set", "sktc1h", "up"]);
    ip(&["-n", ns, "addr", "add", "10.206.1.2/30", "dev", "sktc1p"]);
    ip(&["-n", ns, "link", "set", "sktc1p", "up"]);
    let o = Command::new("ip")
        .args([
            "netns",
            "exec",
            ns,
            "curl",
            "-s",
            "-m",
            "5",
            "http://10.206.1.1:18080/index.html",
        ])
        .output()
        .unwrap();
    let _ = Command::new("ip").args(["link", "del", "sktc1h"]).status();
    let _ = Command::new("ip").args(["netns", "del", ns]).status();
    assert_eq!(String::from_utf8_lossy(&o.stdout), want);

    // A firewall reload that flushed skiff's table: the next change
    // programs it again (skipping unchanged rulesets must notice).
    let table = skiff_table(n.store.root());
    ip_nft(&["delete", "table", "ip", &table]);
    assert!(http_get("127.0.0.1:18080".parse().unwrap(), "/index.html").is_err());
    n.ok(&["run", "--rm", "busybox", "true"]);
    let r = wait_http("127.0.0.1:18080".parse().unwrap(), "/index.html");
    assert!(r.ends_with(&want), "{r}");

    // A second container wanting the same host port: docker's message,
    // exit 125, nothing left of it.
    let o = n.run(&["run", "-d", "-p", "18080:80", "busybox", "sleep", "30"]);
    assert_fails(
        &o,
        125,
        &["Bind for 0.0.0.0:18080 failed: port is already allocated"],
    );
    assert_eq!(n.ok(&["ps", "-aq", "--no-trunc"]).trim(), id);
    assert_eq!(n.netdir("endpoints").len(), 1);
    assert_eq!(n.netdir("netns").len(), 1);

    n.ok(&["rm", "-f", &id]);
    assert!(http_get("127.0.0.1:18080".parse().unwrap(), "/").is_err());
    n.assert_clean();
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn ps_shows_the_host_port_chosen_for_an_ephemeral_publish() {
    // `-p 8080` leaves the host port to the network setup; ps must show the
    // port it chose (as `port` does), never the config's placeholder 0.
    let n = Net::new(23);
    let id = n.httpd(&["-p", "8080"]);
    let port = n.ok(&["port", &id, "8080"]);
    let host = port.trim().rsplit(':').next().unwrap().to_string();
    assert!(host.parse::<u16>().is_ok_and(|p| p != 0), "{port}");
    let shown = n.ok(&[
        "ps",
        "--filter",
        &format!("id={id}"),
        "--format",
        "{{.Ports}}",
    ]);
    assert_eq!(shown.trim(), format!("0.0.0.0:{host}->8080/tcp"));
    n.ok(&["rm", "-f", &id]);
}
