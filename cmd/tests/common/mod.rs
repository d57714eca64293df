//! Helpers shared by the integration tests. They drive the real `skiff`
//! binary against a throw-away store; anything that needs the test ground
//! (registries, the busybox rootfs) reads what `scripts/test` exported.
//! The submodules hold what the tests of one area share: `tar` (a writer
//! for hand-made layers), `build`, `container` (`skiff run`), `faas` (the
//! `docker` link faas-cli calls), `net`, `podman`, `registry` and
//! `add_sources` (servers and readers for ADD).
#![allow(dead_code)]

pub mod add_sources;
pub mod build;
pub mod container;
pub mod docker_keys;
pub mod faas;
pub mod net;
pub mod netns;
pub mod parity;
pub mod podman;
pub mod registry;
pub mod tar;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A fresh, empty skiff store that is removed when dropped.
pub struct Store {
    pub dir: tempfile::TempDir,
}

impl Store {
    pub fn new() -> Store {
        let base = std::env::var_os("SKIFF_TEST_TMP")
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&base).unwrap();
        Store {
            dir: tempfile::Builder::new()
                .prefix("skiff-test-")
                .tempdir_in(base)
                .unwrap(),
        }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `skiff --root <this store> ARGS...`
    pub fn skiff(&self) -> Command {
        let mut c = Command::new(skiff_bin());
        c.arg("--root").arg(self.root());
        c
    }

    /// Run skiff with ARGS and require success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.skiff().args(args).output().unwrap();
        assert_success(&out, args);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Run skiff with ARGS and return the whole output, success or not.
    pub fn run(&self, args: &[&str]) -> Output {
        self.skiff().args(args).output().unwrap()
    }

    /// [`Store::run`] with `input` on skiff's stdin.
    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        output_with_stdin(self.skiff().args(args), input)
    }

    /// `skiff import FLAGS <the test ground's busybox tar> NAME`; returns
    /// the image ID.
    /// `skiff inspect -f format target`, trimmed.
    pub fn inspect(&self, target: &str, format: &str) -> String {
        self.ok(&["inspect", "-f", format, target])
            .trim()
            .to_string()
    }

    pub fn import_busybox(&self, flags: &[&str], name: &str) -> String {
        let tar = ground("SKIFF_TEST_BUSYBOX_TAR");
        let args = [&["import"][..], flags, &[tar.as_str(), name]].concat();
        self.ok(&args).trim().to_string()
    }

    /// Start skiff with ARGS, no stdin, stdout to `out` and stderr piped.
    pub fn spawn(&self, args: impl IntoIterator<Item = impl AsRef<OsStr>>, out: Stdio) -> Child {
        self.skiff()
            .args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Run skiff, killing it after `limit` (a hang is a failure, not a
    /// stuck test run); returns the output and how long it took.
    pub fn run_within(&self, args: &[&str], limit: Duration) -> (Output, Duration) {
        let t = Instant::now();
        let mut child = self.spawn(args, Stdio::piped());
        while child.try_wait().unwrap().is_none() {
            if t.elapsed() > limit {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "skiff {args:?} still running after {limit:?}; stderr:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let elapsed = t.elapsed();
        (child.wait_with_output().unwrap(), elapsed)
    }

    /// Start skiff with ARGS (stdout piped, stderr to `err`) and read the
    /// first line it prints; our end of stdout is closed after it, as
    /// `| head -1` leaves it. The child, maybe still running, and the line.
    pub fn first_line(&self, args: &[&str], err: Stdio) -> (Child, String) {
        let mut child = self
            .skiff()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(err)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        (child, line)
    }

    /// Start `n` skiff processes at once, the i-th with `args(i)`, and
    /// require every one to succeed; returns their stdouts.
    pub fn all_at_once(&self, n: usize, args: impl Fn(usize) -> Vec<String>) -> Vec<String> {
        let children: Vec<_> = (0..n)
            .map(|i| {
                self.skiff()
                    .args(args(i))
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        children
            .into_iter()
            .map(|c| {
                let out = c.wait_with_output().unwrap();
                assert!(out.status.success(), "{}", text(&out));
                stdout(&out)
            })
            .collect()
    }
}

pub fn skiff_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_skiff"))
}

pub fn assert_success(out: &Output, args: &[&str]) {
    assert!(
        out.status.success(),
        "skiff {:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        args,
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `out` failed with exit `code` and its stderr says each of `says`.
pub fn assert_fails(out: &Output, code: i32, says: &[&str]) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    for s in says {
        assert_stderr_says(out, s);
    }
}

/// `out` failed with exit `code` and its stderr begins with `start`
/// (docker's first line or lines, word for word).
pub fn assert_fails_starting(out: &Output, code: i32, start: &str) {
    assert_eq!(out.status.code(), Some(code), "{}", text(out));
    let holds = stderr(out).starts_with(start);
    assert_output(out, holds, format_args!("stderr to start with {start:?}"));
}

/// `out`'s stderr says `says`, whatever its exit.
pub fn assert_stderr_says(out: &Output, says: &str) {
    let holds = stderr(out).contains(says);
    assert_output(out, holds, format_args!("stderr to say {says:?}"));
}

/// `out`'s stderr never says `never`.
pub fn assert_stderr_lacks(out: &Output, never: &str) {
    let holds = !stderr(out).contains(never);
    assert_output(out, holds, format_args!("stderr not to say {never:?}"));
}

/// `out`'s stdout says `says`.
pub fn assert_stdout_says(out: &Output, says: &str) {
    let holds = stdout(out).contains(says);
    assert_output(out, holds, format_args!("stdout to say {says:?}"));
}

/// The failure of the assertions above: what was wanted and the whole
/// output, both streams, so a failing test shows what skiff did say.
fn assert_output(out: &Output, holds: bool, wanted: std::fmt::Arguments) {
    assert!(holds, "wanted {wanted}: {}", text(out));
}

/// An empty store and the test ground's busybox reference, which the store
/// has yet to pull: the opening of the pull tests.
pub fn unpulled_busybox() -> (Store, String) {
    (Store::new(), ground("SKIFF_TEST_BUSYBOX_IMAGE"))
}

/// A value exported by scripts/testground/up. Tests that need the test
/// ground are `#[ignore]`d so a bare `cargo test` stays quick; scripts/test
/// runs them with `--include-ignored` after starting the ground, so a missing
/// value there is a real failure, never a silent skip.
pub fn ground(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the integration tests through scripts/test")
    })
}

/// Serve `body` as an HTTP/1.0 200 reply to every connection on `l`, from a
/// background thread, for tests that need a server of the host's (on a
/// bridge gateway, say). Returns the number of connections accepted, so a
/// test can also check that nothing got through.
pub fn serve_http(
    l: std::net::TcpListener,
    body: &'static str,
) -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    use std::io::{Read, Write};
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            // Read the request (or give up on a silent client) so the
            // reply does not race it into a reset.
            let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let reply = format!(
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(reply.as_bytes());
        }
    });
    hits
}

/// A store with the test ground's busybox rootfs imported as `busybox`
/// (by [`container::busybox`], so later uses do not import it again).
pub fn busybox_store() -> Store {
    let store = Store::new();
    container::busybox(&store);
    store
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit status and both streams of a command, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Write `content` to `dir/rel`, creating the parent directories.
pub fn write(dir: &Path, rel: &str, content: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

/// `skiff image inspect IMAGE`, the one object of its array.
pub fn inspect_json(s: &Store, image: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&s.ok(&["image", "inspect", image])).unwrap();
    v[0].clone()
}

/// Sum of regular file sizes in a tar, from GNU tar's listing (what docker
/// reports as an image's size).
pub fn tar_content_size(tar: &Path) -> u64 {
    let out = Command::new("tar").arg("-tvf").arg(tar).output().unwrap();
    assert!(out.status.success(), "tar -tvf: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with('-'))
        .map(|l| l.split_whitespace().nth(2).unwrap().parse::<u64>().unwrap())
        .sum()
}

/// Run `c` with `input` on its stdin (closed after it); the whole output.
pub fn output_with_stdin(c: &mut Command, input: &[u8]) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// The lowercase hex SHA-256 of `bytes`, by sha256sum (independent of
/// skiff's own hashing).
pub fn sha256_hex(bytes: &[u8]) -> String {
    let out = output_with_stdin(&mut Command::new("sha256sum"), bytes);
    assert!(out.status.success(), "sha256sum: {}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// `skopeo inspect ARGS...` (the peer's view of an image), which must
/// succeed: its output and that output parsed as JSON.
pub fn skopeo_inspect(args: &[&str]) -> (String, serde_json::Value) {
    let raw = run_ok(Command::new("skopeo").arg("inspect").args(args));
    let v = serde_json::from_str(&raw)
        .unwrap_or_else(|e| panic!("skopeo inspect {args:?}: {e}: {raw}"));
    (raw, v)
}

/// An image index entry's platform, `os/arch[/variant]`.
pub fn manifest_platform(m: &serde_json::Value) -> String {
    let p = &m["platform"];
    let mut s = format!(
        "{}/{}",
        p["os"].as_str().unwrap(),
        p["architecture"].as_str().unwrap()
    );
    if let Some(v) = p["variant"].as_str() {
        s.push('/');
        s.push_str(v);
    }
    s
}

/// The platforms of an image index's manifests, in its order.
pub fn index_platforms(index: &serde_json::Value) -> Vec<String> {
    let entries = index["manifests"].as_array().unwrap();
    entries.iter().map(manifest_platform).collect()
}

/// Run a peer tool (podman, skopeo...) that must succeed; returns stdout.
pub fn run_ok(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{c:?} failed\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Entries in `dir` (0 when it does not exist).
pub fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|r| r.count()).unwrap_or(0)
}

/// The image's snapshot dirs (top first), from `image inspect`.
pub fn lower_dirs(s: &Store, image: &str) -> Vec<PathBuf> {
    let out = s.ok(&[
        "image",
        "inspect",
        "-f",
        "{{.GraphDriver.Data.LowerDir}}",
        image,
    ]);
    out.trim().split(':').map(PathBuf::from).collect()
}
