//! What the networking tests share: a store with its own bridge and
//! subnet, plain HTTP probes, and checks that nothing of a network is left.
//! Each test owns its bridge (`SKIFF_BRIDGE`) and subnet
//! (`SKIFF_BRIDGE_SUBNET`); traffic goes only to 127.0.0.1, to the test's
//! bridge gateway and to namespaces the test made.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use super::{assert_success, busybox_store, ground, sha256_hex, Store};

pub struct Net {
    pub store: Store,
    pub bridge: String,
    pub subnet: String,
    pub gateway: String,
}

impl Net {
    /// A store with bridge `sktc<n>` on 10.205.<n>.0/24, busybox imported.
    pub fn new(n: u8) -> Net {
        Net {
            store: busybox_store(),
            bridge: format!("sktc{n}"),
            subnet: format!("10.205.{n}.0/24"),
            gateway: format!("10.205.{n}.1"),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = self.store.skiff();
        c.env("SKIFF_BRIDGE", &self.bridge)
            .env("SKIFF_BRIDGE_SUBNET", &self.subnet)
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(&out, args);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `run -d [opts] busybox httpd` serving /www on port 8080; the id.
    pub fn httpd(&self, opts: &[&str]) -> String {
        let mut args = vec!["run", "-d"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]);
        self.ok(&args).trim().to_string()
    }

    /// `run -d [opts] busybox sleep 300`; the id.
    pub fn sleeper(&self, opts: &[&str]) -> String {
        let mut args = vec!["run", "-d"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["busybox", "sleep", "300"]);
        self.ok(&args).trim().to_string()
    }

    pub fn netdir(&self, sub: &str) -> Vec<String> {
        std::fs::read_dir(self.store.root().join("networks").join(sub))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// No endpoint, namespace, bridge port, nft table or mount is left.
    pub fn assert_clean(&self) {
        for sub in ["endpoints", "netns"] {
            let left = self.netdir(sub);
            assert!(left.is_empty(), "{sub} left: {left:?}");
        }
        // A foreground `run --rm` leaves its veth to die with its namespace
        // (the kernel deletes it in the background) and the idle table and
        // bridge to its background child, which drops them a second later.
        let ctx = skiff_table(self.store.root());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ports: Vec<_> = std::fs::read_dir(format!("/sys/class/net/{}/brif", self.bridge))
                .map(|d| d.flatten().map(|e| e.file_name()).collect())
                .unwrap_or_default();
            let tables = Command::new("nft")
                .args(["list", "tables"])
                .output()
                .unwrap();
            let table_left = String::from_utf8_lossy(&tables.stdout).contains(&ctx);
            if ports.is_empty() && !table_left {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "left after 10 s: veths in {}: {ports:?}; nft table {ctx}: {table_left}",
                self.bridge
            );
            std::thread::sleep(Duration::from_millis(100));
        }
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
pub fn skiff_table(root: &Path) -> String {
    let abs = std::fs::canonicalize(root).unwrap();
    let hash = sha256_hex(abs.as_os_str().as_encoded_bytes());
    format!("skiff_{}", &hash[..10])
}

pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(3)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: x\r\n\r\n")?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

pub fn wait_http(addr: SocketAddr, path: &str) -> String {
    let t = Instant::now();
    loop {
        match http_get(addr, path) {
            Ok(r) if r.starts_with("HTTP/1.") => return r,
            r if t.elapsed() > Duration::from_secs(10) => panic!("{addr}{path}: {r:?}"),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

pub fn index_html() -> String {
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

pub fn ip_nft(args: &[&str]) {
    assert!(
        Command::new("nft").args(args).status().unwrap().success(),
        "nft {args:?}"
    );
}

pub fn ip(args: &[&str]) {
    assert!(
        Command::new("ip").args(args).status().unwrap().success(),
        "ip {args:?}"
    );
}

/// The first address of a container, from `inspect`.
pub fn container_ip(n: &Net, id: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(&n.ok(&["inspect", id])).unwrap();
    let ip = v[0]["NetworkSettings"]["IPAddress"].as_str().unwrap();
    assert!(!ip.is_empty(), "{id} has no address");
    ip.to_string()
}
