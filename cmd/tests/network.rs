//! Container networking end to end (root, the test ground's busybox):
//! published ports, user networks and names, the NAT path, `--network
//! none`, port conflicts, and a leak check over 200 run/rm cycles.
//! Each test owns its bridge (`SKIFF_BRIDGE`) and subnet
//! (`SKIFF_BRIDGE_SUBNET`); traffic goes only to 127.0.0.1, to the test's
//! bridge gateway and to namespaces the test made.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

struct Net {
    store: Store,
    bridge: String,
    subnet: String,
    gateway: String,
}

impl Net {
    /// A store with bridge `sktc<n>` on 10.205.<n>.0/24, busybox imported.
    fn new(n: u8) -> Net {
        let store = Store::new();
        let net = Net {
            store,
            bridge: format!("sktc{n}"),
            subnet: format!("10.205.{n}.0/24"),
            gateway: format!("10.205.{n}.1"),
        };
        let tar = ground("SKIFF_TEST_BUSYBOX_TAR");
        net.ok(&["import", &tar, "busybox"]);
        net
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.store.skiff();
        c.env("SKIFF_BRIDGE", &self.bridge)
            .env("SKIFF_BRIDGE_SUBNET", &self.subnet)
            .args(args);
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(&out, args);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `run -d [opts] busybox httpd` serving /www on port 8080; the id.
    fn httpd(&self, opts: &[&str]) -> String {
        let mut args = vec!["run", "-d"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]);
        self.ok(&args).trim().to_string()
    }

    fn netdir(&self, sub: &str) -> Vec<String> {
        std::fs::read_dir(self.store.root().join("networks").join(sub))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// No endpoint, namespace, bridge port, nft table or mount is left.
    fn assert_clean(&self) {
        assert!(
            self.netdir("endpoints").is_empty(),
            "{:?}",
            self.netdir("endpoints")
        );
        assert!(
            self.netdir("netns").is_empty(),
            "{:?}",
            self.netdir("netns")
        );
        let ports: Vec<_> = std::fs::read_dir(format!("/sys/class/net/{}/brif", self.bridge))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(ports.is_empty(), "veths left in {}: {ports:?}", self.bridge);
        let tables = Command::new("nft")
            .args(["list", "tables"])
            .output()
            .unwrap();
        let ctx = skiff_table(self.store.root());
        assert!(
            !String::from_utf8_lossy(&tables.stdout).contains(&ctx),
            "nft table {ctx} left"
        );
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let root = self.store.root().to_string_lossy().into_owned();
        assert!(!mounts.contains(&root), "mounts left under {root}");
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        let ids = self.ok(&["ps", "-aq"]);
        for id in ids.split_whitespace() {
            let _ = self.run(&["rm", "-f", id]);
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge])
            .status();
    }
}

/// The nftables table name skiff-network derives from a store root.
fn skiff_table(root: &Path) -> String {
    use std::fmt::Write as _;
    let abs = std::fs::canonicalize(root).unwrap();
    let out = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(abs.as_os_str().as_encoded_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    let mut s = String::new();
    let _ = write!(s, "skiff_{}", &String::from_utf8_lossy(&out.stdout)[..10]);
    s
}

fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

fn wait_http(addr: SocketAddr, path: &str) -> String {
    let t = Instant::now();
    loop {
        match http_get(addr, path) {
            Ok(r) if r.starts_with("HTTP/1.") => return r,
            r if t.elapsed() > Duration::from_secs(10) => panic!("{addr}{path}: {r:?}"),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn index_html() -> String {
    let tar = ground("SKIFF_TEST_BUSYBOX_TAR");
    let o = Command::new("tar")
        .args(["-xOf", &tar, "./www/index.html"])
        .output()
        .unwrap();
    let o = if o.status.success() {
        o
    } else {
        Command::new("tar")
            .args(["-xOf", &tar, "www/index.html"])
            .output()
            .unwrap()
    };
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

fn ip_nft(args: &[&str]) {
    assert!(
        Command::new("nft").args(args).status().unwrap().success(),
        "nft {args:?}"
    );
}

fn ip(args: &[&str]) {
    assert!(
        Command::new("ip").args(args).status().unwrap().success(),
        "ip {args:?}"
    );
}

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
    assert_eq!(o.status.code(), Some(125));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("Bind for 0.0.0.0:18080 failed: port is already allocated"),
        "{err}"
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
#[ignore = "needs the test ground: scripts/test"]
fn gateway_server_reachable_except_with_network_none() {
    let n = Net::new(3);
    // A running container keeps the bridge (and its gateway address) up:
    // bridges go with their last container.
    let keeper = n
        .ok(&["run", "-d", "busybox", "sleep", "300"])
        .trim()
        .to_string();
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
    let id = n
        .ok(&["run", "-d", "-p", "18580:80", "busybox", "sleep", "300"])
        .trim()
        .to_string();
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
    let id = n.ok(&["run", "-d", "-p", "18580:80", "busybox", "sleep", "300"]);
    n.ok(&["rm", "-f", id.trim()]);
    n.assert_clean();
}

/// The first address of a container, from `inspect`.
fn container_ip(n: &Net, id: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&n.ok(&["inspect", id])).unwrap();
    let ip = v[0]["NetworkSettings"]["IPAddress"].as_str().unwrap();
    assert!(!ip.is_empty(), "{id} has no address");
    ip.to_string()
}

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

#[test]
fn ipv6_networks_are_refused_by_name() {
    let store = Store::new();
    for flag in ["--ipv6", "--ipv6=true"] {
        let o = store.run(&["network", "create", flag, "sktv6"]);
        assert_eq!(o.status.code(), Some(125), "{flag}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--ipv6") && err.contains("IPv6"), "{err}");
    }
    assert!(!store.ok(&["network", "ls"]).contains("sktv6"));
    // --ipv6=false asks for what skiff does anyway.
    store.ok(&["network", "create", "--ipv6=false", "sktv6"]);
    store.ok(&["network", "rm", "sktv6"]);
}
