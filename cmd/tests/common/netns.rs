//! Network namespaces a test makes itself, standing in for a container
//! that crafts its own packets or for a host on the LAN: one veth, its
//! host end a port of a bridge or an addressed link of the host's. Only
//! the test's own addresses, the bridge's and 127.0.0.0/8 are ever used.

use std::process::Command;

use super::net::ip;

pub struct TestNs {
    pub name: String,
    host_if: String,
    inside_if: String,
}

fn remove(name: &str, host_if: &str) {
    let _ = Command::new("ip").args(["netns", "del", name]).status();
    let _ = Command::new("ip").args(["link", "del", host_if]).status();
}

impl TestNs {
    /// Namespace `name` (at most 14 characters) with veth `<name>h` on the
    /// host and `<name>i` inside, up; whatever an earlier run left under
    /// those names is removed first.
    fn new(name: &str) -> TestNs {
        let ns = TestNs {
            name: name.into(),
            host_if: format!("{name}h"),
            inside_if: format!("{name}i"),
        };
        remove(&ns.name, &ns.host_if);
        ip(&["netns", "add", name]);
        ip(&[
            "link",
            "add",
            &ns.host_if,
            "type",
            "veth",
            "peer",
            "name",
            &ns.inside_if,
            "netns",
            name,
        ]);
        ip(&["-n", name, "link", "set", &ns.inside_if, "up"]);
        ns
    }

    /// A namespace plugged into `bridge` like a container, at `cidr`.
    pub fn on_bridge(name: &str, bridge: &str, cidr: &str) -> TestNs {
        let ns = TestNs::new(name);
        ip(&["link", "set", &ns.host_if, "master", bridge, "up"]);
        ip(&["-n", name, "addr", "add", cidr, "dev", &ns.inside_if]);
        ns
    }

    /// A LAN neighbour: the host end addressed `host_cidr`, the inside
    /// `inside_cidr`.
    pub fn linked(name: &str, host_cidr: &str, inside_cidr: &str) -> TestNs {
        let ns = TestNs::new(name);
        ip(&["addr", "add", host_cidr, "dev", &ns.host_if]);
        ip(&["link", "set", &ns.host_if, "up"]);
        ip(&["-n", name, "addr", "add", inside_cidr, "dev", &ns.inside_if]);
        ns
    }

    /// Send what is addressed to 127.0.0.1 out of the veth to `gateway`,
    /// as an attacker crafting packets would (CVE-2020-8558): loopback
    /// stays down so no local route shadows this one, and route_localnet
    /// lets the kernel send and accept 127.0.0.0/8 on the veth.
    pub fn route_loopback_via(&self, gateway: &str) {
        let sysctl = format!(
            "echo 1 > /proc/sys/net/ipv4/conf/{}/route_localnet",
            self.inside_if
        );
        let ok = Command::new("ip")
            .args(["netns", "exec", &self.name, "sh", "-c", &sysctl])
            .status()
            .unwrap()
            .success();
        assert!(ok, "{sysctl}");
        ip(&[
            "-n",
            &self.name,
            "route",
            "add",
            "127.0.0.1/32",
            "via",
            gateway,
            "dev",
            &self.inside_if,
        ]);
    }

    /// An HTTP GET from inside the namespace (busybox nc, 3 s timeout):
    /// whatever came back, empty when nothing did.
    pub fn http_get(&self, host: &str, port: u16) -> String {
        let script = format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 {host} {port}");
        let o = Command::new("ip")
            .args(["netns", "exec", &self.name, "sh", "-c", &script])
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    }
}

impl Drop for TestNs {
    fn drop(&mut self) {
        remove(&self.name, &self.host_if);
    }
}
