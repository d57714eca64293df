//! Kernel-level tests (root): namespaces, veths, bridges, nftables, IPAM.
//! Every test owns its bridge name, subnet and store root; traffic goes
//! only to namespaces the test made, the test bridge's gateway or
//! 127.0.0.1.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use skiff_network::{
    attach, detach, netns, ports, prune, Endpoint, NetContext, NetworkRequest, Subnet,
};

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

macro_rules! need_root {
    () => {
        if !is_root() {
            eprintln!("skipped: needs root");
            return;
        }
    };
}

struct Ctx {
    ctx: NetContext,
    _dir: tempfile::TempDir,
}

/// A context with its own root, bridge `skt<n>` and subnet 10.201.<n>.0/24.
fn ctx(n: u8) -> Ctx {
    let dir = tempfile::tempdir().unwrap();
    let mut ctx = NetContext::new(dir.path()).unwrap();
    ctx.bridge = format!("skt{n}");
    ctx.subnet = Subnet::new(Ipv4Addr::new(10, 201, n, 0), 24);
    ctx.subnet_explicit = true;
    Ctx { ctx, _dir: dir }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        let _ = prune(&self.ctx, &|_| false);
        let _ = skiff_network::link::delete(&self.ctx.bridge);
        let _ = skiff_network::nft::delete(&self.ctx.table);
    }
}

impl Ctx {
    /// Container ids unique to this test (veth names are host-global).
    fn id(&self, n: u32) -> String {
        let t = self.ctx.subnet.network().octets()[2];
        format!("{t:02x}{n:06x}{}", "ab".repeat(28))
    }
}

fn req(ports: &[&str]) -> NetworkRequest {
    NetworkRequest {
        ports: ports
            .iter()
            .flat_map(|p| ports::parse(p).unwrap())
            .collect(),
        ..Default::default()
    }
}

/// A one-shot HTTP-ish server inside a namespace: answers `body` to each
/// connection, forever (thread leaks with the test process).
fn serve_in(ns: &Path, port: u16, body: &'static str) -> u16 {
    let l = netns::enter(ns, || {
        Ok(TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).unwrap())
    })
    .unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in l.incoming().flatten() {
            let mut c = c;
            let _ = c.write_all(body.as_bytes());
        }
    });
    port
}

fn fetch(addr: SocketAddr) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(3))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

fn fetch_from(ns: &Path, addr: SocketAddr) -> std::io::Result<String> {
    let s = netns::enter(ns, || {
        Ok(TcpStream::connect_timeout(&addr, Duration::from_secs(3)))
    })
    .unwrap();
    let mut s = s?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

fn ip0(e: &Endpoint) -> Ipv4Addr {
    e.attachments[0].ip
}

/// A test-made namespace `ns` linked to the host by veth `<pfx>h` (host
/// side, `10.202.<n>.1/30`) and `<pfx><peer>` (inside, `10.202.<n>.2/30`),
/// both up; whatever an earlier run left under those names is removed first.
fn linked_netns(ns: &str, pfx: &str, peer: &str, n: u8) {
    let host = format!("{pfx}h");
    let inside = format!("{pfx}{peer}");
    let (host_ip, peer_ip) = (format!("10.202.{n}.1/30"), format!("10.202.{n}.2/30"));
    let _ = Command::new("ip").args(["netns", "del", ns]).status();
    let _ = Command::new("ip").args(["link", "del", &host]).status();
    for args in [
        vec!["netns", "add", ns],
        vec![
            "link", "add", &host, "type", "veth", "peer", "name", &inside, "netns", ns,
        ],
        vec!["addr", "add", &host_ip, "dev", &host],
        vec!["link", "set", &host, "up"],
        vec!["-n", ns, "addr", "add", &peer_ip, "dev", &inside],
        vec!["-n", ns, "link", "set", &inside, "up"],
        vec!["-n", ns, "link", "set", "lo", "up"],
    ] {
        assert!(
            Command::new("ip").args(&args).status().unwrap().success(),
            "ip {args:?}"
        );
    }
}

#[test]
fn two_containers_talk_and_reach_the_gateway() {
    need_root!();
    let c = ctx(1);
    let a = attach(&c.ctx, &c.id(1), &req(&[])).unwrap();
    let b = attach(&c.ctx, &c.id(2), &req(&[])).unwrap();
    assert_ne!(ip0(&a), ip0(&b));
    assert!(c.ctx.subnet.contains(ip0(&a)));
    let port = serve_in(&a.netns, 0, "from-a");
    assert_eq!(
        fetch_from(&b.netns, SocketAddr::from((ip0(&a), port))).unwrap(),
        "from-a"
    );
    // A server on the bridge gateway (the host side) is reachable.
    let gw = c.ctx.subnet.gateway();
    let l = TcpListener::bind((gw, 0)).unwrap();
    let gport = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let _ = s.write_all(b"from-host");
        }
    });
    assert_eq!(
        fetch_from(&a.netns, SocketAddr::from((gw, gport))).unwrap(),
        "from-host"
    );
    // The MTU is the uplink's.
    let mtu = std::fs::read_to_string(format!("/sys/class/net/{}/mtu", c.ctx.bridge)).unwrap();
    assert_eq!(
        mtu.trim().parse::<u32>().unwrap(),
        skiff_network::link::uplink_mtu()
    );
    detach(&c.ctx, &c.id(1)).unwrap();
    assert!(fetch_from(&b.netns, SocketAddr::from((ip0(&a), port))).is_err());
    detach(&c.ctx, &c.id(2)).unwrap();
}

#[test]
fn published_port_reachable_on_loopback_and_other_host_addresses() {
    need_root!();
    let c = ctx(2);
    let a = attach(&c.ctx, &c.id(1), &req(&["18302:8080", "8081"])).unwrap();
    let rules = nft_rules(&c.ctx.table);
    assert!(rules.contains("dnat to"), "{rules}");
    assert!(rules.contains("masquerade"), "{rules}");
    serve_in(&a.netns, 8080, "published");
    serve_in(&a.netns, 8081, "random");
    assert_eq!(
        fetch("127.0.0.1:18302".parse().unwrap()).unwrap(),
        "published"
    );
    let random = a.ports[1].host_port;
    assert_ne!(random, 0);
    assert_eq!(
        fetch(SocketAddr::from(([127, 0, 0, 1], random))).unwrap(),
        "random"
    );

    // A test-made namespace linked to the host by a veth reaches the port
    // at the host's address on that link (prerouting DNAT path).
    let ns = "skt2client";
    linked_netns(ns, "skt2", "c", 2);
    let nsp = Path::new("/run/netns").join(ns);
    let got = fetch_from(&nsp, "10.202.2.1:18302".parse().unwrap());
    let _ = Command::new("ip").args(["link", "del", "skt2h"]).status();
    let _ = Command::new("ip").args(["netns", "del", ns]).status();
    assert_eq!(got.unwrap(), "published");

    // Taken: docker's message, and no state for the loser.
    let e = attach(&c.ctx, &c.id(2), &req(&["18302:80"])).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Bind for 0.0.0.0:18302 failed: port is already allocated"
    );
    assert!(skiff_network::endpoint(&c.ctx, &c.id(2)).unwrap().is_none());
    assert!(!c.ctx.netns_path(&c.id(2)).exists());

    detach(&c.ctx, &c.id(1)).unwrap();
    assert!(fetch("127.0.0.1:18302".parse().unwrap()).is_err());
}

#[test]
fn ipam_is_safe_under_concurrency() {
    need_root!();
    let c = ctx(3);
    let ips: Vec<Ipv4Addr> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..12)
            .map(|n| {
                let cx = c.ctx.clone();
                let i = c.id(n);
                s.spawn(move || ip0(&attach(&cx, &i, &req(&[])).unwrap()))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut u = ips.clone();
    u.sort();
    u.dedup();
    assert_eq!(u.len(), 12, "{ips:?}");
    for n in 0..12 {
        detach(&c.ctx, &c.id(n)).unwrap();
    }
    // Freed addresses are reused from the bottom.
    let e = attach(&c.ctx, &c.id(99), &req(&[])).unwrap();
    assert_eq!(ip0(&e), c.ctx.subnet.nth(2).unwrap());
    detach(&c.ctx, &c.id(99)).unwrap();
}

fn our_links(prefix: &str) -> Vec<String> {
    std::fs::read_dir("/sys/class/net")
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect()
}

fn mounts_under(p: &Path) -> usize {
    let m = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let p = p.to_string_lossy().into_owned();
    m.lines().filter(|l| l.contains(&p)).count()
}

fn nft_rules(table: &str) -> String {
    let o = Command::new("nft")
        .args(["list", "table", "ip", table])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn many_cycles_leave_nothing_behind() {
    need_root!();
    let c = ctx(4);
    for n in 0..100 {
        let e = attach(&c.ctx, &c.id(n), &req(&["18404:80"])).unwrap();
        assert_eq!(e.ports[0].host_port, 18404);
        detach(&c.ctx, &c.id(n)).unwrap();
    }
    assert!(our_links(&format!("vs{}", &c.id(0)[..2])).is_empty());
    assert_eq!(mounts_under(&c.ctx.root), 0);
    let left: Vec<_> = std::fs::read_dir(c.ctx.root.join("networks/netns"))
        .unwrap()
        .collect();
    assert!(left.is_empty());
    // The last detach took the table with it.
    assert_eq!(nft_rules(&c.ctx.table), "");
}

#[test]
fn killed_mid_setup_is_recovered() {
    need_root!();
    let c = ctx(5);
    let etc = c.ctx.root.join("ctr");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(etc.join("hosts"), "127.0.0.1\tlocalhost\n").unwrap();
    let r = NetworkRequest {
        etc_dir: Some(etc.clone()),
        name: "web".into(),
        ..req(&["18505:80"])
    };
    let e = attach(&c.ctx, &c.id(1), &r).unwrap();
    let hosts = std::fs::read_to_string(etc.join("hosts")).unwrap();
    assert!(hosts.contains(&format!("{}\tweb", ip0(&e))), "{hosts}");
    // The container vanished without a detach (its dir is gone, as when a
    // skiff was SIGKILLed): the next attach reclaims port, address, veth.
    std::fs::remove_dir_all(&etc).unwrap();
    let e2 = attach(&c.ctx, &c.id(2), &req(&["18505:80"])).unwrap();
    assert_eq!(ip0(&e2), ip0(&e));
    assert!(skiff_network::link::index(&e.attachments[0].host_veth).is_none());
    // A namespace pinned by a run that died before writing its endpoint.
    let stray = c.ctx.netns_path(&c.id(3));
    netns::create(&stray).unwrap();
    let released = prune(&c.ctx, &|i| i == c.id(2)).unwrap();
    assert!(released.contains(&c.id(3)));
    assert!(!stray.exists());
    assert!(skiff_network::endpoint(&c.ctx, &c.id(2)).unwrap().is_some());
    detach(&c.ctx, &c.id(2)).unwrap();
}

/// Outbound traffic leaves through masquerade: a server in a test-made
/// "outside" namespace, routed from the host by a veth, sees the host's
/// address as the client, never the container's.
#[test]
fn outbound_is_masqueraded() {
    need_root!();
    let c = ctx(6);
    let a = attach(&c.ctx, &c.id(1), &req(&[])).unwrap();
    let ns = "skt6outside";
    linked_netns(ns, "skt6", "o", 6);
    let nsp = Path::new("/run/netns").join(ns);
    let l = netns::enter(&nsp, || Ok(TcpListener::bind("10.202.6.2:0").unwrap())).unwrap();
    let port = l.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let (mut s, from) = l.accept().unwrap();
        let _ = s.write_all(b"hi");
        from.ip()
    });
    let got = fetch_from(&a.netns, SocketAddr::from(([10, 202, 6, 2], port)));
    let from = peer.join();
    let _ = Command::new("ip").args(["link", "del", "skt6h"]).status();
    let _ = Command::new("ip").args(["netns", "del", ns]).status();
    assert_eq!(got.unwrap(), "hi");
    assert_eq!(from.unwrap(), std::net::IpAddr::from([10, 202, 6, 1]));
    detach(&c.ctx, &c.id(1)).unwrap();
}

#[test]
fn check_ports_refuses_before_anything_exists() {
    need_root!();
    let c = ctx(7);
    let p = ports::parse("18707:80").unwrap();
    skiff_network::check_ports(&c.ctx, &p).unwrap();
    attach(&c.ctx, &c.id(1), &req(&["18707:80"])).unwrap();
    let e = skiff_network::check_ports(&c.ctx, &p).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Bind for 0.0.0.0:18707 failed: port is already allocated"
    );
    // A 0.0.0.0 mapping covers every host address.
    skiff_network::check_ports(&c.ctx, &ports::parse("127.0.0.2:18707:80").unwrap()).unwrap_err();
    detach(&c.ctx, &c.id(1)).unwrap();
    skiff_network::check_ports(&c.ctx, &p).unwrap();
}

#[test]
fn bridge_goes_with_its_last_container() {
    need_root!();
    let c = ctx(8);
    attach(&c.ctx, &c.id(1), &req(&[])).unwrap();
    attach(&c.ctx, &c.id(2), &req(&[])).unwrap();
    detach(&c.ctx, &c.id(1)).unwrap();
    assert!(skiff_network::link::index(&c.ctx.bridge).is_some());
    detach(&c.ctx, &c.id(2)).unwrap();
    assert!(skiff_network::link::index(&c.ctx.bridge).is_none());
}
