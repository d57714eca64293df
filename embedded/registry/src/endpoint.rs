//! How to reach a registry: HTTPS (verified), HTTPS without verification,
//! or plain HTTP.
//!
//! docker's rule, kept here: everything is verified HTTPS except loopback
//! registries and those the user named insecure. For those, skiff first
//! looks at what the server speaks: a TLS server is used over TLS (verified
//! normally on loopback, so a loopback registry with an unknown CA fails with
//! a TLS error instead of silently downgrading), and only a server that does
//! not answer a TLS ClientHello with TLS is spoken to in plain HTTP.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use crate::settings::{host_of, is_listed, is_loopback, port_of};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// HTTPS with certificate verification.
    Https,
    /// HTTPS, certificate not verified (an insecure registry serving TLS).
    HttpsUnverified,
    /// Plain HTTP.
    Http,
}

const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Decide the scheme for `registry` (`host[:port]`), probing the server when
/// plain HTTP is allowed.
pub fn choose(registry: &str, insecure: &[String]) -> Scheme {
    let listed = is_listed(insecure, registry);
    if !listed && !is_loopback(registry) {
        return Scheme::Https;
    }
    let port = port_of(registry).unwrap_or(443);
    match speaks_tls(host_of(registry), port) {
        Some(true) if listed => Scheme::HttpsUnverified,
        Some(true) => Scheme::Https,
        // Not TLS, or nothing listening on 443: a port-less registry then
        // means port 80, as docker falls back to.
        Some(false) | None => Scheme::Http,
    }
}

/// Send a TLS ClientHello and look at the first bytes of the answer: a TLS
/// record (handshake 0x16 or alert 0x15, version major 3) means TLS. `None`
/// when the server cannot be reached at all.
pub fn speaks_tls(host: &str, port: u16) -> Option<bool> {
    let addr = (host, port).to_socket_addrs().ok()?.next()?;
    let mut sock = TcpStream::connect_timeout(&addr, PROBE_TIMEOUT).ok()?;
    sock.set_read_timeout(Some(PROBE_TIMEOUT)).ok()?;
    sock.set_write_timeout(Some(PROBE_TIMEOUT)).ok()?;
    let hello = client_hello(host)?;
    if sock.write_all(&hello).is_err() {
        return Some(false);
    }
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match sock.read(&mut head[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    Some(got == 2 && (head[0] == 0x16 || head[0] == 0x15) && head[1] == 0x03)
}

/// The bytes of a ClientHello for `host`, produced by rustls itself so the
/// probe looks like what the real connection will send.
fn client_hello(host: &str) -> Option<Vec<u8>> {
    crate::tls::init();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from(host.to_string())
        .unwrap_or_else(|_| rustls_pki_types::ServerName::try_from("localhost").unwrap());
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A server on a free local port that answers one connection with
    /// `reply` after reading what the client sent.
    fn answer_once(reply: &'static [u8]) -> (u16, std::thread::JoinHandle<()>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply);
        });
        (port, t)
    }

    #[test]
    fn plain_http_server_is_not_tls() {
        let (port, t) = answer_once(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        assert_eq!(speaks_tls("127.0.0.1", port), Some(false));
        t.join().unwrap();
        assert_eq!(
            choose(&format!("127.0.0.1:{port}"), &[]),
            Scheme::Http,
            "nothing listens any more: plain HTTP, and the real request reports it"
        );
    }

    #[test]
    fn tls_alert_counts_as_tls() {
        // A handshake_failure alert, as a TLS server might send.
        let (port, t) = answer_once(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
        assert_eq!(speaks_tls("127.0.0.1", port), Some(true));
        t.join().unwrap();
    }

    #[test]
    fn remote_registries_are_https_without_probing() {
        assert_eq!(choose("registry.example.invalid:5000", &[]), Scheme::Https);
    }
}
