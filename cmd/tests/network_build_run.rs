//! Networking of a build's RUN containers: the default bridge (outbound to
//! the gateway), `--network=none` and `host` per RUN and build-wide, what
//! stays out of the image and the cache key, and nothing left afterwards.
//! Uses its own bridge `sktb1`; run with the other network_* tests.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use common::build::*;
use common::*;

/// A TCP listener on `ip:0` that may be bound before `ip` exists on the
/// host (IP_FREEBIND): a build's bridge, and with it the gateway address,
/// appear only while a RUN container uses it.
fn freebind_listener(ip: std::net::Ipv4Addr) -> std::net::TcpListener {
    use std::os::fd::FromRawFd;
    // SAFETY: plain socket calls on a fresh fd that we own; a zeroed
    // sockaddr_in filled with the family, port 0 and the address.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let one: libc::c_int = 1;
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let opt = &one as *const libc::c_int as *const libc::c_void;
        assert_eq!(
            libc::setsockopt(fd, libc::SOL_IP, libc::IP_FREEBIND, opt, len),
            0
        );
        let mut sa: libc::sockaddr_in = std::mem::zeroed();
        sa.sin_family = libc::AF_INET as libc::sa_family_t;
        sa.sin_addr.s_addr = u32::from(ip).to_be();
        let sl = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        let sp = &sa as *const libc::sockaddr_in as *const libc::sockaddr;
        assert_eq!(libc::bind(fd, sp, sl), 0, "bind {ip}");
        assert_eq!(libc::listen(fd, 16), 0);
        std::net::TcpListener::from_raw_fd(fd)
    }
}

/// Interface names in `ip -o link` output ("2: eth0@if7: <...> ...").
fn link_names(ip_o_link: &str) -> Vec<String> {
    let mut v: Vec<String> = ip_o_link
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|n| n.split('@').next().unwrap_or(n).to_string())
        .collect();
    v.sort();
    v
}

/// The host's uplink (the device of its default route) and its MAC.
fn host_uplink() -> (String, String) {
    let routes = fs::read_to_string("/proc/net/route").unwrap();
    let dev = routes
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[1] == "00000000")
        .map(|f| f[0].to_string())
        .expect("the host has a default route");
    let mac = fs::read_to_string(format!("/sys/class/net/{dev}/address")).unwrap();
    (dev, mac.trim().to_string())
}

/// No network state of `store` is left: endpoints, pinned namespaces, the
/// bridge (it goes with its last user), the store's nftables table.
fn assert_no_network_left(store: &Store, bridge: &str) {
    for sub in ["endpoints", "netns"] {
        let left: Vec<_> = fs::read_dir(store.root().join("networks").join(sub))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "networks/{sub} left: {left:?}");
    }
    assert!(
        !Path::new("/sys/class/net").join(bridge).exists(),
        "bridge {bridge} left after the build"
    );
    let table = common::net::skiff_table(store.root());
    let tables = Command::new("nft")
        .args(["list", "tables"])
        .output()
        .unwrap();
    let tables = String::from_utf8_lossy(&tables.stdout);
    assert!(!tables.contains(&table), "nft table {table} left: {tables}");
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap();
    let root = store.root().to_string_lossy().into_owned();
    assert!(!mounts.contains(&root), "mounts left under {root}");
}

/// `skiff build` with the test's own bridge and subnet (so tests running in
/// parallel never share one).
fn net_build(store: &Store, bridge: &str, subnet: &str, args: &[&str]) -> Output {
    let mut all = vec!["build", "--progress", "plain"];
    all.extend_from_slice(args);
    store
        .skiff()
        .env("SKIFF_BRIDGE", bridge)
        .env("SKIFF_BRIDGE_SUBNET", subnet)
        .args(&all)
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn run_networks_default_bridge_none_host() {
    let store = busybox_store();
    let (bridge, subnet) = ("sktb1", "10.207.1.0/24");
    let gw: std::net::Ipv4Addr = "10.207.1.1".parse().unwrap();
    let l = freebind_listener(gw);
    let port = l.local_addr().unwrap().port();
    common::serve_http(l, "from-gw\n");
    // Two stages whose RUNs may overlap on the bridge; a RUN that writes
    // /etc/hosts (the runtime's file, which must not reach the layer).
    let d = dockerfile_context(&format!(
        "FROM busybox AS side\nRUN ip -o -4 addr > /addr-side\n\n\
             FROM busybox\n\
             RUN ip -o -4 addr > /addr-default && ip -o link > /links-default \
             && wget -qO /got http://{gw}:{port}/ && echo '10.9.9.9 extra' >> /etc/hosts \
             && grep -q extra /etc/hosts && test -s /etc/resolv.conf\n\
             RUN --network=none ip -o link > /links-none\n\
             RUN --network=host ip -o link > /links-host\n\
             COPY --from=side /addr-side /\n"
    ));
    let c = d.path().to_str().unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("rootfs");
    let o = net_build(
        &store,
        bridge,
        subnet,
        &[
            "-t",
            "netimg",
            "-o",
            &format!("type=local,dest={}", dest.display()),
            c,
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let read = |f: &str| fs::read_to_string(dest.join(f)).unwrap();

    // default: eth0 with an address in the bridge's subnet, and the
    // gateway server reached (outbound through the bridge).
    for f in ["addr-default", "addr-side"] {
        let a = read(f);
        assert!(
            a.contains("eth0") && a.contains("inet 10.207.1."),
            "{f}: {a}"
        );
    }
    assert_eq!(link_names(&read("links-default")), ["eth0", "lo"]);
    assert_eq!(read("got"), "from-gw\n");
    // none: loopback only.
    assert_eq!(link_names(&read("links-none")), ["lo"]);
    // host: the host's uplink, with its own MAC address.
    let (uplink, mac) = host_uplink();
    let host = read("links-host");
    assert!(
        host.lines()
            .any(|l| l.contains(&format!(": {uplink}:")) && l.contains(&mac)),
        "host uplink {uplink} {mac} not seen:\n{host}"
    );
    assert!(!read("links-default").contains(&mac));
    // Nothing the runtime writes for networking is in the image.
    for f in ["etc/hosts", "etc/resolv.conf", "etc/hostname"] {
        assert!(!dest.join(f).exists(), "{f} leaked into the image");
    }
    assert_no_network_left(&store, bridge);

    // The RUN cache key is the same for default and host (as before the
    // bridge network): a host-network rebuild reuses every step.
    let o = net_build(
        &store,
        bridge,
        subnet,
        &["--network", "host", "-t", "netimg", c],
    );
    assert!(o.status.success(), "{}", text(&o));
    let progress = String::from_utf8_lossy(&o.stderr);
    let s = steps(&progress);
    assert!(
        s.iter().filter(|(t, _)| t.contains("RUN")).count() == 4,
        "{progress}"
    );
    assert!(s.iter().all(|(_, cached)| *cached), "{progress}");

    // A build-wide --network none / host changes what a plain RUN gets.
    let d2 = dockerfile_context("FROM busybox\nRUN ip -o link > /links\n");
    let c2 = d2.path().to_str().unwrap();
    for (mode, want_uplink) in [("none", false), ("host", true)] {
        let dest2 = out.path().join(mode);
        let o = net_build(
            &store,
            bridge,
            subnet,
            &[
                "--network",
                mode,
                "--no-cache",
                "-o",
                &format!("type=local,dest={}", dest2.display()),
                c2,
            ],
        );
        assert!(o.status.success(), "{mode}: {}", text(&o));
        let links = fs::read_to_string(dest2.join("links")).unwrap();
        assert_eq!(links.contains(&mac), want_uplink, "{mode}: {links}");
        if mode == "none" {
            assert_eq!(link_names(&links), ["lo"]);
        }
    }
    assert_no_network_left(&store, bridge);

    // Modes BuildKit does not know: dockerd's message, exit 125.
    let o = net_build(&store, bridge, subnet, &["--network", "bridge0", c2]);
    assert_eq!(o.status.code(), Some(125), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("network mode \"bridge0\" not supported by buildkit"),
        "{}",
        text(&o)
    );
}
