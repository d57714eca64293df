//! Hostile registries: a small HTTP server on 127.0.0.1, started by each
//! test, that misbehaves in one way (endless manifest or token, a blob
//! longer or shorter than its descriptor, silence after the headers, a
//! redirect loop). `skiff pull` must end with a clear error, in bounded
//! time and memory, and leave nothing in the store.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

const REPO: &str = "hostile/img";
const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const CONFIG: &[u8] =
    br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;

/// What a test's server does with one request (`path` with its query, its
/// Authorization header if any, the server's port).
type Route = dyn Fn(&str, Option<&str>, u16, &mut TcpStream) + Send + Sync;

/// Serve `route` on a fresh loopback port; returns the port and the count
/// of requests seen.
fn serve(route: Box<Route>) -> (u16, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h = hits.clone();
    let route: Arc<Route> = Arc::from(route);
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let route = route.clone();
            let h = h.clone();
            std::thread::spawn(move || handle(s, port, &*route, &h));
        }
    });
    (port, hits)
}

fn handle(mut s: TcpStream, port: u16, route: &Route, hits: &AtomicUsize) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        // skiff's TLS probe (a ClientHello): answer in plain HTTP.
        if head[0] == 0x16 {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
            return;
        }
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
    let authorization = text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_string());
    hits.fetch_add(1, Ordering::SeqCst);
    route(&path, authorization.as_deref(), port, &mut s);
}

/// `serve` for a registry open to all: the API version check (`GET /v2/`)
/// is answered 200, everything else by `route`.
fn serve_open(
    route: impl Fn(&str, Option<&str>, u16, &mut TcpStream) + Send + Sync + 'static,
) -> (u16, Arc<AtomicUsize>) {
    serve(Box::new(move |path, authorized, port, s| {
        if path == "/v2/" {
            reply(s, "200 OK", "application/json", b"{}");
        } else {
            route(path, authorized, port, s);
        }
    }))
}

fn reply(s: &mut TcpStream, status: &str, ctype: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
}

/// Headers without a length: the body is whatever follows, to the close.
fn open_body(s: &mut TcpStream, ctype: &str) {
    let head = format!("HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nConnection: close\r\n\r\n");
    let _ = s.write_all(head.as_bytes());
}

/// Write `fill` until the client goes away.
fn endless(s: &mut TcpStream, fill: u8) {
    let chunk = vec![fill; 64 << 10];
    while s.write_all(&chunk).is_ok() {}
}

fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

/// A manifest with no layers whose config is `CONFIG`.
fn manifest() -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{MANIFEST_TYPE}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[]}}"#,
        digest(CONFIG),
        CONFIG.len()
    )
    .into_bytes()
}

struct Pulled {
    text: String,
    ok: bool,
    elapsed: Duration,
    /// The largest VmHWM (peak RSS) seen, in KiB.
    peak_kib: u64,
    timed_out: bool,
}

/// `skiff pull FLAGS` of the test image from `port`, killed after `limit`,
/// with its peak RSS sampled from /proc.
fn pull(store: &Store, port: u16, flags: &[&str], env: &[(&str, &str)], limit: Duration) -> Pulled {
    let reference = format!("127.0.0.1:{port}/{REPO}:latest");
    let mut cmd = store.skiff();
    cmd.arg("pull")
        .args(flags)
        .arg(&reference)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let mut timed_out = false;
    loop {
        if let Ok(s) = std::fs::read_to_string(&status) {
            if let Some(kib) = s
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        // Over the limit in time or memory: stop it (the test then fails).
        if start.elapsed() > limit || peak_kib > 400 << 10 {
            timed_out = start.elapsed() > limit;
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    eprintln!(
        "skiff pull (peak RSS {peak_kib} KiB): {}",
        text(&out).trim()
    );
    Pulled {
        text: text(&out),
        ok: out.status.success(),
        elapsed: start.elapsed(),
        peak_kib,
        timed_out,
    }
}

/// A pull that must fail within a minute with all of `needles` in its
/// output, leaving the store empty.
fn pull_fails(port: u16, env: &[(&str, &str)], needles: &[&str]) -> Pulled {
    let store = Store::new();
    let p = pull(&store, port, &[], env, Duration::from_secs(60));
    assert!(!p.timed_out && !p.ok, "{}", p.text);
    assert!(p.peak_kib < 100 << 10, "peak RSS {} KiB", p.peak_kib);
    for n in needles {
        assert!(p.text.contains(n), "no {n:?} in: {}", p.text);
    }
    assert_store_empty(&store);
    p
}

/// Nothing of a failed pull stays: no blob, no temp file, no image.
fn assert_store_empty(store: &Store) {
    for sub in ["blobs/sha256", "tmp"] {
        let dir = store.root().join(sub);
        let left = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "{} holds files after a failed pull", dir.display());
    }
    let images = store.ok(&["images", "-q"]);
    assert!(images.trim().is_empty(), "{images}");
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn endless_manifest_fails_at_the_limit_in_bounded_memory() {
    let (port, _) = serve_open(|_, _, _, s| {
        open_body(s, MANIFEST_TYPE);
        let _ = s.write_all(b"{\"schemaVersion\":2,\"x\":\"");
        endless(s, b'a');
    });
    let reference = format!("127.0.0.1:{port}/{REPO}:latest");
    pull_fails(port, &[], &["4 MiB", &reference]);
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn endless_token_reply_fails_at_the_limit() {
    let (port, _) = serve(Box::new(|path, authorized: Option<&str>, port, s| {
        if path.starts_with("/token") {
            open_body(s, "application/json");
            let _ = s.write_all(b"{\"token\":\"");
            endless(s, b'a');
        } else if authorized.is_none() {
            challenge(s, port);
        } else {
            reply(s, "500 Internal Server Error", "text/plain", b"unexpected");
        }
    }));
    pull_fails(port, &[], &["1 MiB", "the token from"]);
}

/// Docker's answer to a request without a token: where to get one.
fn challenge(s: &mut TcpStream, port: u16) {
    let head = format!(
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"hostile\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let _ = s.write_all(head.as_bytes());
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn bearer_token_registry_is_pulled_from() {
    // The bounded client does docker's token dance itself: pin that an
    // honest token registry (as Docker Hub is) still works.
    let (port, _) = serve(Box::new(|path, auth, port, s| {
        let scope = format!("scope=repository%3A{}%3Apull", REPO.replace('/', "%2F"));
        if path.starts_with("/token") {
            assert!(path.contains("service=hostile"), "{path}");
            assert!(path.contains(&scope), "{path}");
            reply(s, "200 OK", "application/json", br#"{"token":"good"}"#);
        } else if auth != Some("Bearer good") {
            challenge(s, port);
        } else if path.contains("/manifests/") {
            reply(s, "200 OK", MANIFEST_TYPE, &manifest());
        } else if path.contains("/blobs/") {
            reply(s, "200 OK", "application/octet-stream", CONFIG);
        } else {
            reply(s, "200 OK", "application/json", b"{}");
        }
    }));
    let store = Store::new();
    let p = pull(&store, port, &[], &[], Duration::from_secs(60));
    assert!(p.ok, "{}", p.text);
}

/// A registry whose config blob is served with `body` after the headers.
fn blob_server(body: fn(&mut TcpStream)) -> u16 {
    let (port, _) = serve_open(move |path, _, _, s| {
        if path.contains("/manifests/") {
            reply(s, "200 OK", MANIFEST_TYPE, &manifest());
        } else if path.contains("/blobs/") {
            open_body(s, "application/octet-stream");
            body(s);
        } else {
            reply(s, "404 Not Found", "text/plain", b"");
        }
    });
    port
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn blob_longer_than_its_descriptor_fails_naming_the_digest() {
    // The right bytes, then more without end: reading to the end of the
    // reply would never finish.
    let port = blob_server(|s| {
        let _ = s.write_all(CONFIG);
        endless(s, b' ');
    });
    pull_fails(port, &[], &[&digest(CONFIG), "longer than"]);
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn blob_shorter_than_its_descriptor_fails_naming_the_digest() {
    let port = blob_server(|s| {
        let _ = s.write_all(&CONFIG[..CONFIG.len() / 2]);
    });
    pull_fails(port, &[], &[&digest(CONFIG), "ended after"]);
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn registry_silent_after_the_headers_fails_after_the_idle_timeout() {
    let (port, _) = serve_open(|_, _, _, s| {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {MANIFEST_TYPE}\r\nContent-Length: 500\r\n\r\n{{"
        );
        let _ = s.write_all(head.as_bytes());
        std::thread::sleep(Duration::from_secs(120));
    });
    let env = [("SKIFF_REGISTRY_IDLE_TIMEOUT", "2")];
    let p = pull_fails(port, &env, &["sent nothing for 2 s"]);
    assert!(p.elapsed < Duration::from_secs(15), "took {:?}", p.elapsed);
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn slow_but_progressing_registry_is_not_cut_by_the_idle_timeout() {
    // Each piece comes within the idle timeout, the whole takes longer.
    let (port, _) = serve_open(|path, _, _, s| {
        let body = if path.contains("/manifests/") {
            manifest()
        } else {
            CONFIG.to_vec()
        };
        let ctype = if path.contains("/manifests/") {
            MANIFEST_TYPE
        } else {
            "application/octet-stream"
        };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(head.as_bytes());
        for piece in body.chunks(body.len().div_ceil(4)) {
            std::thread::sleep(Duration::from_millis(1200));
            let _ = s.write_all(piece);
        }
    });
    let store = Store::new();
    let env = [("SKIFF_REGISTRY_IDLE_TIMEOUT", "2")];
    let p = pull(&store, port, &[], &env, Duration::from_secs(60));
    assert!(p.ok, "{}", p.text);
    assert!(p.elapsed > Duration::from_secs(4), "{:?}", p.elapsed);
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn redirect_loop_stops_after_ten_hops() {
    let (port, hits) = serve_open(|path, _, _, s| {
        // A new URL each time, so only a hop limit ends it.
        let hop: usize = path
            .rsplit_once("hop=")
            .and_then(|(_, n)| n.parse().ok())
            .unwrap_or(0);
        let base = path.split('?').next().unwrap_or(path);
        let head = format!(
            "HTTP/1.1 302 Found\r\nLocation: {base}?hop={}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            hop + 1
        );
        let _ = s.write_all(head.as_bytes());
    });
    pull_fails(port, &[], &["stopped after 10 redirects"]);
    // The manifest request and 10 hops (plus the /v2/ probes, if any).
    assert!(
        hits.load(Ordering::SeqCst) <= 14,
        "{} requests",
        hits.load(Ordering::SeqCst)
    );
}

#[test]
#[ignore = "needs the test ground's openssl: scripts/test"]
fn https_registry_cannot_redirect_to_plain_http() {
    // The plain-HTTP side, which must never be asked anything.
    let (http_port, http_hits) = serve_open(|_, _, _, s| {
        reply(s, "404 Not Found", "text/plain", b"");
    });
    // A TLS registry (openssl's -HTTP mode serves files as whole replies)
    // whose manifest is a redirect to the plain-HTTP side.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = format!("v2/{REPO}/manifests/latest");
    let redirect = format!(
        "HTTP/1.0 302 Found\r\nLocation: http://127.0.0.1:{http_port}/{path}\r\nContent-Length: 0\r\n\r\n"
    );
    write(d, &path, &redirect);
    let (_server, port) = common::add_sources::openssl_https_files(d);
    let accept = format!("127.0.0.1:{port}");
    let store = Store::new();
    // Listed insecure: TLS without verification, so the self-signed
    // certificate is accepted; the downgrade must still be refused.
    let flags = ["--insecure-registry", &accept];
    let p = pull(&store, port, &flags, &[], Duration::from_secs(60));
    assert!(!p.timed_out && !p.ok, "{}", p.text);
    assert!(
        p.text.contains("refusing a redirect from https to http"),
        "{}",
        p.text
    );
    let asked = http_hits.load(Ordering::SeqCst);
    assert_eq!(asked, 0, "the plain-HTTP side was asked {asked} times");
    assert_store_empty(&store);
}

#[test]
#[ignore = "needs the skiff binary: scripts/test"]
fn manifest_longer_than_its_index_entry_is_refused() {
    // The index says the platform's manifest has 10 bytes fewer than the
    // registry then sends for it.
    let (port, _) = serve_open(|path, _, _, s| {
        let m = manifest();
        if path.ends_with("/manifests/latest") {
            let index = format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"{MANIFEST_TYPE}","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}}]}}"#,
                digest(&m),
                m.len() - 10
            );
            reply(
                s,
                "200 OK",
                "application/vnd.oci.image.index.v1+json",
                index.as_bytes(),
            );
        } else if path.contains("/manifests/") {
            reply(s, "200 OK", MANIFEST_TYPE, &m);
        } else {
            reply(s, "200 OK", "application/octet-stream", CONFIG);
        }
    });
    let store = Store::new();
    let flags = ["--platform", "linux/amd64"];
    let p = pull(&store, port, &flags, &[], Duration::from_secs(60));
    assert!(!p.timed_out && !p.ok, "{}", p.text);
    let limit = format!("{} bytes limit", manifest().len() - 10);
    assert!(p.text.contains(&limit), "{}", p.text);
    assert!(p.text.contains(&digest(&manifest())), "{}", p.text);
    assert_store_empty(&store);
}
