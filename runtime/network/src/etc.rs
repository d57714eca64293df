//! Name resolution without a daemon: every container on a network gets its
//! peers' names in its own `/etc/hosts`, rewritten for all members under the
//! network lock whenever one joins or leaves. The file is bind-mounted into
//! the container, so it is rewritten in place (same inode), never renamed.
//! Chosen over an embedded DNS server because that would need a resident
//! process per network (skiff has no daemon) and a stub resolver on
//! 127.0.0.11 inside each namespace; /etc/hosts works with every libc and
//! busybox, and peers see a new member the moment it is attached.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::Path;

use crate::store::Endpoint;

const MARK: &str = "# skiff networks: managed, rewritten on attach/detach\n";

/// Rewrite the managed section of `<etc_dir>/hosts` for `me` with `peers`
/// (ip, names) lines.
pub fn write_hosts(etc_dir: &Path, own: &[(Ipv4Addr, Vec<String>)]) {
    let p = etc_dir.join("hosts");
    let Ok(old) = std::fs::read_to_string(&p) else {
        return;
    };
    let base = match old.find(MARK) {
        Some(i) => &old[..i],
        None => &old[..],
    };
    let mut text = base.to_string();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(MARK);
    for (ip, names) in own {
        text.push_str(&format!("{ip}\t{}\n", names.join(" ")));
    }
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&p)
    {
        let _ = f.write_all(text.as_bytes());
    }
}

/// The names an endpoint answers to on a network: its name, hostname,
/// aliases and short id, as docker's DNS answers them.
pub fn names(ep: &Endpoint, aliases: &[String]) -> Vec<String> {
    let mut v = Vec::new();
    for n in [ep.name.as_str(), ep.hostname.as_str()]
        .into_iter()
        .chain(aliases.iter().map(String::as_str))
        .chain(std::iter::once(&ep.id[..ep.id.len().min(12)]))
    {
        if !n.is_empty() && !v.iter().any(|x: &String| x == n) {
            v.push(n.to_string());
        }
    }
    v
}

/// The container's resolv.conf from the host's, as docker derives it:
/// loopback nameservers (systemd-resolved's 127.0.0.53, dnsmasq...) are
/// unreachable from the container's namespace and are dropped; with none
/// left, docker's defaults (Google's public resolvers) are used.
pub fn resolv_conf(host: &str) -> String {
    let mut out = String::new();
    let mut servers = 0;
    for line in host.lines() {
        let mut w = line.split_whitespace();
        if w.next() == Some("nameserver") {
            let addr = w.next().unwrap_or("");
            let loopback = addr
                .parse::<std::net::IpAddr>()
                .map(|a| a.is_loopback())
                .unwrap_or(false);
            if loopback {
                continue;
            }
            servers += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    if servers == 0 {
        out.push_str("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_nameservers_replaced() {
        let r = resolv_conf("nameserver 127.0.0.53\noptions edns0\nsearch lan\n");
        assert_eq!(
            r,
            "options edns0\nsearch lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
        let r = resolv_conf("nameserver ::1\nnameserver 192.0.2.53\n");
        assert_eq!(r, "nameserver 192.0.2.53\n");
    }

    #[test]
    fn hosts_section_rewritten_in_place() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("hosts"), "127.0.0.1\tlocalhost\n").unwrap();
        write_hosts(d.path(), &[(Ipv4Addr::new(10, 1, 0, 2), vec!["a".into()])]);
        write_hosts(d.path(), &[(Ipv4Addr::new(10, 1, 0, 3), vec!["b".into()])]);
        let t = std::fs::read_to_string(d.path().join("hosts")).unwrap();
        assert_eq!(t, format!("127.0.0.1\tlocalhost\n{MARK}10.1.0.3\tb\n"));
    }
}
