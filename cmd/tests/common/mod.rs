//! Helpers shared by the integration tests. They drive the real `skiff`
//! binary against a throw-away store; anything that needs the test ground
//! (registries, the busybox rootfs) reads what `scripts/test` exported.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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
