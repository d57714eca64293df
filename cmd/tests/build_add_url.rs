//! `ADD <http(s) url>` as BuildKit does it, against a server the test
//! starts on 127.0.0.1: the file is named from the URL path, 0600 and
//! root's, its mtime Last-Modified (the epoch without one), never
//! unpacked; `--checksum` is verified and pinned downloads are cached by
//! it; size, redirect and https-to-http rules hold; auth comes from the
//! `HTTP_AUTH_TOKEN_<host>` build secret. An unpinned URL's ETag is
//! remembered per URL and auth: the next build asks with If-None-Match
//! and a 304 reuses the kept content, as BuildKit's http source does.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

use common::add_sources::*;
use common::build::{build_fails, dockerfile_context, steps};
use common::*;

const LAST_MODIFIED: &str = "Sun, 06 Nov 1994 08:49:37 GMT";
const LAST_MODIFIED_UNIX: u64 = 784111777;

fn gz_tar() -> Vec<u8> {
    let mut t = common::tar::Tar::default();
    t.file("inside.txt", b"in");
    let mut gz = Vec::new();
    {
        let mut c = std::process::Command::new("gzip")
            .arg("-c")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::{Read, Write};
        c.stdin.take().unwrap().write_all(&t.finish()).unwrap();
        c.stdout.take().unwrap().read_to_end(&mut gz).unwrap();
        c.wait().unwrap();
    }
    gz
}

fn routes() -> BTreeMap<String, Reply> {
    let mut r = BTreeMap::new();
    r.insert(
        "/files/data.txt".into(),
        Reply::ok(b"hello\n").header("Last-Modified", LAST_MODIFIED),
    );
    r.insert("/plain".into(), Reply::ok(b"no date"));
    r.insert("/a.tar.gz".into(), Reply::ok(&gz_tar()));
    r.insert("/big".into(), Reply::ok(&[b'x'; 4096]));
    r.insert("/moved".into(), Reply::redirect("/files/data.txt"));
    r.insert("/".into(), Reply::ok(b"index"));
    r
}

#[test]
fn add_url_names_modes_mtimes_and_no_unpacking() {
    let http = serve(routes(), None);
    let sum = format!("sha256:{}", sha256_hex(b"hello\n"));
    let df = format!(
        "FROM scratch\n\
         ADD {data} /dl/\n\
         ADD {plain} /plain.txt\n\
         ADD --checksum={sum} {moved} /pinned\n\
         ADD --chown=1000:1001 --chmod=0644 {data} /owned\n\
         ADD {tgz} /arch/\n\
         ADD {root} /idx/\n",
        data = http.url("/files/data.txt"),
        plain = http.url("/plain"),
        moved = http.url("/moved"),
        tgz = http.url("/a.tar.gz"),
        root = http.url("/"),
    );
    let ctx = dockerfile_context(&df);
    let store = Store::new();
    let fs = build_fs(&store, ctx.path(), &[]);
    let f = &fs["dl/data.txt"];
    assert_eq!(f.data, b"hello\n");
    assert_eq!((f.mode, f.uid, f.gid), (0o600, 0, 0), "{f:?}");
    assert_eq!(f.mtime, LAST_MODIFIED_UNIX);
    // No Last-Modified: BuildKit uses the epoch.
    assert_eq!(fs["plain.txt"].mtime, 0);
    assert_eq!(fs["plain.txt"].mode, 0o600);
    // A redirect is followed; the name comes from the URL as written.
    assert_eq!(fs["pinned"].data, b"hello\n");
    let o = &fs["owned"];
    assert_eq!((o.mode, o.uid, o.gid), (0o644, 1000, 1001), "{o:?}");
    // Remote archives stay files.
    assert_eq!(fs["arch/a.tar.gz"].data, gz_tar());
    assert!(!fs.contains_key("arch/inside.txt"));
    assert_eq!(fs["idx/__unnamed__"].data, b"index");
}

#[test]
fn add_url_cache_follows_content_and_checksum() {
    let http = serve(routes(), None);
    let sum = format!("sha256:{}", sha256_hex(b"hello\n"));
    let ctx = dockerfile_context(&format!(
        "FROM scratch\nADD --checksum={sum} {} /pinned\nADD {} /p\n",
        http.url("/files/data.txt"),
        http.url("/plain")
    ));
    let store = Store::new();
    let c = ctx.path().to_str().unwrap();
    common::build::build(&store, &["-t", "u:1", c]);
    let before = http.hits.load(Ordering::SeqCst);
    let (progress, _) = common::build::build(&store, &["-t", "u:1", c]);
    assert!(steps(&progress).iter().all(|s| s.1), "{progress}");
    // Only the unpinned URL is asked again: the pinned one is keyed by its
    // checksum, as in BuildKit.
    assert_eq!(http.hits.load(Ordering::SeqCst) - before, 1);
}

#[test]
fn add_url_checksum_mismatch_names_the_url() {
    let http = serve(routes(), None);
    let url = http.url("/files/data.txt");
    let wrong = format!("sha256:{}", "0".repeat(64));
    let ctx = dockerfile_context(&format!("FROM scratch\nADD --checksum={wrong} {url} /x\n"));
    let store = Store::new();
    let mismatch = format!("digest mismatch for {url}");
    build_fails(&store, ctx.path(), &[], &[&mismatch, "Dockerfile:2"]);
}

#[test]
fn add_url_larger_than_the_layer_limit_fails() {
    let http = serve(routes(), None);
    let ctx = dockerfile_context(&format!("FROM scratch\nADD {} /big\n", http.url("/big")));
    let store = Store::new();
    let limit = [("SKIFF_MAX_LAYER_SIZE", "1K")];
    build_fails(&store, ctx.path(), &limit, &["more than the 1 KiB limit"]);
}

#[test]
fn add_url_missing_file_fails_clearly() {
    let http = serve(routes(), None);
    let url = http.url("/nope");
    let ctx = dockerfile_context(&format!("FROM scratch\nADD {url} /x\n"));
    let store = Store::new();
    build_fails(&store, ctx.path(), &[], &[&url, "404"]);
}

#[test]
fn add_url_sends_the_token_secret_of_its_host() {
    let http = serve(routes(), None);
    let d = dockerfile_context(&format!("FROM scratch\nADD {} /x\n", http.url("/plain")));
    let tok = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tok.path(), "s3cr3t\n").unwrap();
    let secret = format!("id=HTTP_AUTH_TOKEN_127.0.0.1,src={}", tok.path().display());
    let store = Store::new();
    build_fs(&store, d.path(), &["--secret", &secret]);
    let got = http.last_auth.lock().unwrap().clone();
    assert_eq!(got.as_deref(), Some("Bearer s3cr3t"));
}

/// An https server (openssl s_server, trusted through SKIFF_CERTS_D) whose
/// reply redirects to plain http: refused, and the http side never asked.
#[test]
fn add_url_refuses_https_to_http_redirect() {
    let http = serve(routes(), None);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (_server, port) = openssl_https_files(d);
    let redirect = format!(
        "HTTP/1.0 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\n\r\n",
        http.url("/files/data.txt")
    );
    write(d, "r.txt", &redirect);
    write(
        d,
        "ok.txt",
        "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nTLS",
    );
    let certs = tempfile::tempdir().unwrap();
    let host_dir = certs.path().join(format!("127.0.0.1:{port}"));
    std::fs::create_dir_all(&host_dir).unwrap();
    std::fs::copy(d.join("cert.pem"), host_dir.join("ca.crt")).unwrap();
    let store = Store::new();
    let run = |path: &str| {
        let ctx = dockerfile_context(&format!(
            "FROM scratch\nADD https://127.0.0.1:{port}/{path} /x\n"
        ));
        let out = tempfile::tempdir().unwrap();
        let o = store
            .skiff()
            .args(["build", "--progress", "plain", "-o"])
            .arg(format!(
                "type=tar,dest={}",
                out.path().join("fs.tar").display()
            ))
            .arg(ctx.path())
            .env("SKIFF_CERTS_D", certs.path())
            .output()
            .unwrap();
        (o, out)
    };
    // The TLS set-up itself works: a plain https download succeeds.
    let (o, out) = run("ok.txt");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(read_tar(&out.path().join("fs.tar"))["x"].data, b"TLS");
    let before = http.hits.load(Ordering::SeqCst);
    let (o, _) = run("r.txt");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("refusing a redirect from https to http"), "{t}");
    assert_eq!(http.hits.load(Ordering::SeqCst), before);
}

const TAGGED: &str = "/tagged.bin";

/// A server whose `TAGGED` route may send an ETag (and a Last-Modified),
/// a context that ADDs it at /t, and a fresh store.
struct Tagged {
    http: Http,
    ctx: tempfile::TempDir,
    store: Store,
}

impl Tagged {
    fn new(body: &[u8], etag: &str) -> Tagged {
        let http = serve(routes(), None);
        let ctx = add_to(&http.url(TAGGED), "/t");
        let t = Tagged {
            http,
            ctx,
            store: Store::new(),
        };
        t.reply(body, Some(etag));
        t
    }

    /// From now on `TAGGED` replies `body`, with `etag` when given.
    fn reply(&self, body: &[u8], etag: Option<&str>) {
        let r = Reply::ok(body).header("Last-Modified", LAST_MODIFIED);
        self.http
            .set(TAGGED, etag.map_or(r.clone(), |e| r.header("ETag", e)));
    }

    /// Build to a tar (with `extra` flags): the files.
    fn build(&self, extra: &[&str]) -> BTreeMap<String, Entry> {
        build_fs(&self.store, self.ctx.path(), extra)
    }

    /// Build to an image: the progress.
    fn build_image(&self) -> String {
        let c = self.ctx.path().to_str().unwrap();
        common::build::build(&self.store, &["-t", "u:1", c]).0
    }

    fn seen(&self) -> Vec<Seen> {
        self.http.seen(TAGGED)
    }
}

fn add_to(url: &str, dest: &str) -> tempfile::TempDir {
    dockerfile_context(&format!("FROM scratch\nADD {url} {dest}\n"))
}

#[test]
fn add_url_etag_unchanged_is_not_downloaded_again() {
    let t = Tagged::new(b"version one\n", "W/\"v1\"");
    t.build_image();
    let progress = t.build_image();
    assert!(steps(&progress).iter().all(|s| s.1), "{progress}");
    let seen = t.seen();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert_eq!(seen[0].if_none_match, None);
    // The weak marker is dropped, as BuildKit does; the server compares
    // weakly anyway.
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!((seen[1].status, seen[1].body), ("304 Not Modified", 0));
    // A step that is not cached (another destination) gets the kept
    // content from the 304 exactly as a download would place it.
    let other = add_to(&t.http.url(TAGGED), "/other");
    let f = &build_fs(&t.store, other.path(), &[])["other"];
    assert_eq!(f.data, b"version one\n");
    let meta = (f.mode, f.uid, f.mtime);
    assert_eq!(meta, (0o600, 0, LAST_MODIFIED_UNIX), "{f:?}");
    assert_eq!(t.seen()[2].body, 0);
}

#[test]
fn add_url_etag_changed_downloads_the_new_content() {
    let t = Tagged::new(b"version one\n", "\"v1\"");
    assert_eq!(t.build(&[])["t"].data, b"version one\n");
    t.reply(b"version two\n", Some("\"v2\""));
    assert_eq!(t.build(&[])["t"].data, b"version two\n");
    let seen = t.seen();
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    assert_eq!(seen[1].status, "200 OK");
    // The record now names v2.
    t.build(&[]);
    let seen = t.seen();
    assert_eq!(seen[2].if_none_match.as_deref(), Some("\"v2\""));
    assert_eq!(seen[2].body, 0);
}

#[test]
fn add_url_without_etag_downloads_every_time() {
    let t = Tagged::new(b"same\n", "\"v1\"");
    t.build_image();
    // The server stops sending ETags: the record goes with the next
    // download, and later builds ask unconditionally.
    t.reply(b"same\n", None);
    t.build_image();
    let progress = t.build_image();
    let seen = t.seen();
    assert_eq!(seen[1].if_none_match.as_deref(), Some("\"v1\""));
    for s in &seen[1..] {
        assert_eq!((s.status, s.body), ("200 OK", 5), "{seen:?}");
    }
    assert_eq!(seen[2].if_none_match, None, "{seen:?}");
    // The content did not change, so the step key did not either.
    assert!(steps(&progress).iter().all(|s| s.1), "{progress}");
}

#[test]
fn add_url_etag_is_not_shared_between_auth_tokens() {
    let t = Tagged::new(b"private\n", "\"v1\"");
    let dir = tempfile::tempdir().unwrap();
    let secret = |tok: &str| {
        let p = dir.path().join(tok);
        std::fs::write(&p, tok).unwrap();
        format!("id=HTTP_AUTH_TOKEN_127.0.0.1,src={}", p.display())
    };
    let (a, b) = (secret("alice"), secret("bob"));
    for s in [&a, &b, &a] {
        t.build(&["--secret", s]);
    }
    let seen = t.seen();
    // bob never reuses alice's download; alice still has hers.
    assert_eq!(seen[1].if_none_match, None, "{seen:?}");
    assert_eq!(seen[1].status, "200 OK");
    assert_eq!(seen[2].if_none_match.as_deref(), Some("\"v1\""));
}

#[test]
fn add_url_etag_is_forgotten_by_builder_prune_and_unused_with_no_cache() {
    let t = Tagged::new(b"kept\n", "\"v1\"");
    t.build(&[]);
    t.build(&["--no-cache"]);
    let o = t.store.run(&["builder", "prune", "-f"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(t.build(&[])["t"].data, b"kept\n");
    let seen = t.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    for s in &seen {
        assert_eq!((s.if_none_match.as_deref(), s.status), (None, "200 OK"));
    }
    // The record came back with the download after the prune.
    t.build(&[]);
    assert_eq!(t.seen()[3].status, "304 Not Modified");
}
