//! What the `ADD <url>` / `ADD <git>` / archive tests share: a tiny HTTP
//! server on 127.0.0.1 with fixed routes (it also serves dumb-HTTP git
//! repositories as plain files), a build to a tar whose entries the tests
//! read, and git helpers.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{run_ok, text, Store};

/// One reply: status line, extra headers, body.
#[derive(Clone)]
pub struct Reply {
    pub status: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn ok(body: &[u8]) -> Reply {
        Reply {
            status: "200 OK",
            headers: Vec::new(),
            body: body.to_vec(),
        }
    }
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn redirect(to: &str) -> Reply {
        Reply {
            status: "302 Found",
            headers: vec![("Location".into(), to.into())],
            body: Vec::new(),
        }
    }
}

/// One request as the server saw it, and what it sent back.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
    pub status: &'static str,
    /// Bytes of body sent.
    pub body: usize,
}

/// A server thread: exact paths from `routes` (replaceable while it runs,
/// with [`Http::set`]), else files under `files` (when set), else 404. A
/// route whose reply has an ETag answers an If-None-Match naming it with
/// `304` and no body, as a real server does. Counts requests, logs them,
/// and records the Authorization header of the last one.
pub struct Http {
    pub port: u16,
    pub hits: Arc<AtomicUsize>,
    pub last_auth: Arc<Mutex<Option<String>>>,
    routes: Arc<Mutex<BTreeMap<String, Reply>>>,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Http {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Reply to `path` with `reply` from now on.
    pub fn set(&self, path: &str, reply: Reply) {
        self.routes.lock().unwrap().insert(path.into(), reply);
    }

    /// The requests for `path` so far, oldest first.
    pub fn seen(&self, path: &str) -> Vec<Seen> {
        let log = self.log.lock().unwrap();
        log.iter().filter(|s| s.path == path).cloned().collect()
    }
}

/// Whether an If-None-Match list names `etag` (weak comparison, RFC 9110).
fn names_etag(list: &str, etag: &str) -> bool {
    let strong = |t: &str| t.trim().trim_start_matches("W/").to_string();
    list.split(',')
        .any(|t| strong(t) == strong(etag) || t.trim() == "*")
}

pub fn serve(routes: BTreeMap<String, Reply>, files: Option<PathBuf>) -> Http {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let last_auth = Arc::new(Mutex::new(None));
    let routes = Arc::new(Mutex::new(routes));
    let log = Arc::new(Mutex::new(Vec::new()));
    let (h, a, rs, lg) = (hits.clone(), last_auth.clone(), routes.clone(), log.clone());
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            h.fetch_add(1, Ordering::SeqCst);
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let mut r = BufReader::new(s);
            let mut line = String::new();
            if r.read_line(&mut line).is_err() {
                continue;
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut if_none_match = None;
            loop {
                let mut hl = String::new();
                if r.read_line(&mut hl).unwrap_or(0) == 0 || hl.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = hl.split_once(':') {
                    if k.eq_ignore_ascii_case("authorization") {
                        *a.lock().unwrap() = Some(v.trim().to_string());
                    }
                    if k.eq_ignore_ascii_case("if-none-match") {
                        if_none_match = Some(v.trim().to_string());
                    }
                }
            }
            let route = rs.lock().unwrap().get(&path).cloned();
            let reply = route.or_else(|| {
                let root = files.as_ref()?;
                let rel = path.split('?').next()?.trim_start_matches('/');
                if rel.split('/').any(|c| c == "..") {
                    return None;
                }
                std::fs::read(root.join(rel)).ok().map(|b| Reply::ok(&b))
            });
            let mut reply = reply.unwrap_or(Reply {
                status: "404 Not Found",
                headers: Vec::new(),
                body: b"not found".to_vec(),
            });
            let etag = reply
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("etag"))
                .map(|(_, v)| v.clone());
            if let (Some(list), Some(etag)) = (&if_none_match, &etag) {
                if names_etag(list, etag) {
                    reply.status = "304 Not Modified";
                    reply.body.clear();
                }
            }
            lg.lock().unwrap().push(Seen {
                path: path.clone(),
                if_none_match,
                status: reply.status,
                body: reply.body.len(),
            });
            let mut s = r.into_inner();
            let mut head = format!("HTTP/1.1 {}\r\n", reply.status);
            if !reply.status.starts_with("304") {
                head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
            }
            head.push_str("Connection: close\r\n");
            for (k, v) in &reply.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&reply.body);
        }
    });
    Http {
        port,
        hits,
        last_auth,
        routes,
        log,
    }
}

/// One entry of a built filesystem.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: char,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub mtime: u64,
    pub data: Vec<u8>,
    pub link: String,
}

/// Build `ctx` with skiff to a tar and read its entries by path (no
/// leading `./` or trailing `/`).
pub fn build_fs(store: &Store, ctx: &Path, extra: &[&str]) -> BTreeMap<String, Entry> {
    let out = tempfile::tempdir().unwrap();
    let tarf = out.path().join("fs.tar");
    let dest = format!("type=tar,dest={}", tarf.display());
    let mut args = vec!["build", "--progress", "plain", "-o", &dest];
    args.extend_from_slice(extra);
    let c = ctx.to_str().unwrap();
    args.push(c);
    let o = store.run(&args);
    assert!(o.status.success(), "skiff {args:?}: {}", text(&o));
    read_tar(&tarf)
}

pub fn read_tar(path: &Path) -> BTreeMap<String, Entry> {
    let mut ar = tar::Archive::new(std::fs::File::open(path).unwrap());
    let mut out = BTreeMap::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let name = name
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let h = e.header().clone();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        let kind = match h.entry_type() {
            tar::EntryType::Directory => 'd',
            tar::EntryType::Symlink => 'l',
            tar::EntryType::Link => 'h',
            _ => 'f',
        };
        let link = e
            .link_name()
            .ok()
            .flatten()
            .map(|l| l.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.insert(
            name,
            Entry {
                kind,
                mode: h.mode().unwrap() & 0o7777,
                uid: h.uid().unwrap(),
                gid: h.gid().unwrap(),
                mtime: h.mtime().unwrap(),
                data,
                link,
            },
        );
    }
    out
}

/// `git ARGS` in `dir` with a fixed identity and dates, which must succeed.
pub fn git(dir: &Path, args: &[&str]) -> String {
    run_ok(
        Command::new("git")
            .current_dir(dir)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args([
                "-c",
                "init.defaultBranch=main",
                "-c",
                "protocol.file.allow=always",
            ])
            .args(args)
            .env("GIT_COMMITTER_DATE", "2020-01-02T03:04:05Z")
            .env("GIT_AUTHOR_DATE", "2020-01-02T03:04:05Z"),
    )
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed when dropped.
pub struct Child(pub std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Wait until something listens on 127.0.0.1:`port`.
pub fn wait_port(port: u16) {
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "nothing listens on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// An https server on 127.0.0.1 (`openssl s_server -HTTP`: each file under
/// `dir` is sent as the whole reply, headers included) with a fresh
/// self-signed certificate for 127.0.0.1 in `dir/cert.pem`, usable as its
/// own CA. Returns the server and its port, once it listens.
pub fn openssl_https_files(dir: &Path) -> (Child, u16) {
    run_ok(Command::new("openssl").current_dir(dir).args([
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
    ]));
    let port = free_port();
    let server = Child(
        Command::new("openssl")
            .current_dir(dir)
            .args([
                "s_server", "-quiet", "-HTTP", "-cert", "cert.pem", "-key", "key.pem",
            ])
            .args(["-accept", &format!("127.0.0.1:{port}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(port);
    (server, port)
}
