//! ADD auto-extracts local tar archives in every compression BuildKit
//! detects by magic bytes (none, gzip, bzip2, xz, zstd), through the same
//! hostile-safe unpacker as image layers; files that only look like
//! archives are copied; `--unpack=false` keeps the archive; COPY never
//! unpacks.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::add_sources::*;
use common::build::{build_fails, dockerfile_context};
use common::tar::{Entry, Tar};
use common::*;

fn layer() -> Vec<u8> {
    let mut t = Tar::default();
    t.dir("pkg/");
    t.add(Entry {
        name: "pkg/tool",
        mode: 0o750,
        uid: 5,
        gid: 6,
        mtime: 1_500_000_000,
        data: b"tool",
        ..Default::default()
    });
    t.symlink("pkg/alias", "tool");
    t.finish()
}

fn compress(tool: &str, data: &[u8]) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut c = Command::new(tool)
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = c.stdin.take().unwrap();
    let data = data.to_vec();
    let w = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let mut out = Vec::new();
    c.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    w.join().unwrap();
    assert!(c.wait().unwrap().success());
    out
}

fn put(dir: &Path, name: &str, data: &[u8]) {
    std::fs::write(dir.join(name), data).unwrap();
}

#[test]
fn add_extracts_every_compression_buildkit_detects() {
    let ctx = dockerfile_context(
        "FROM scratch\n\
         ADD plain.tar /plain\n\
         ADD a.tgz /gz\n\
         ADD a.tbz /bz\n\
         ADD a.txz /xz\n\
         ADD a.tzst /zst\n\
         ADD --unpack=false a.txz /kept/\n\
         ADD --chown=1:2 a.txz /owned\n\
         ADD fake.tar.gz notes.txt /files/\n\
         COPY a.tgz /copied/\n",
    );
    let c = ctx.path();
    let tar = layer();
    put(c, "plain.tar", &tar);
    put(c, "a.tgz", &compress("gzip", &tar));
    put(c, "a.tbz", &compress("bzip2", &tar));
    put(c, "a.txz", &compress("xz", &tar));
    put(c, "a.tzst", &compress("zstd", &tar));
    // gzip of something that is not a tar: copied as it is.
    put(c, "fake.tar.gz", &compress("gzip", b"just text, not a tar"));
    put(c, "notes.txt", b"ustar? no");
    let store = Store::new();
    let fs = build_fs(&store, c, &[]);
    for d in ["plain", "gz", "bz", "xz", "zst"] {
        let t = &fs[&format!("{d}/pkg/tool")];
        assert_eq!(t.data, b"tool", "{d}");
        assert_eq!(
            (t.mode, t.uid, t.gid, t.mtime),
            (0o750, 5, 6, 1_500_000_000),
            "{d}"
        );
        assert_eq!(fs[&format!("{d}/pkg/alias")].link, "tool", "{d}");
    }
    let o = &fs["owned/pkg/tool"];
    assert_eq!((o.uid, o.gid, o.mode), (1, 2, 0o750));
    assert_eq!(fs["kept/a.txz"].data, compress("xz", &tar));
    assert_eq!(
        fs["files/fake.tar.gz"].data,
        compress("gzip", b"just text, not a tar")
    );
    assert_eq!(fs["files/notes.txt"].data, b"ustar? no");
    assert_eq!(fs["copied/a.tgz"].data, compress("gzip", &tar));
    assert!(!fs.contains_key("copied/pkg/tool"));
}

#[test]
fn add_archive_cannot_escape_its_destination() {
    let mut t = Tar::default();
    t.symlink("esc", "/");
    t.file("esc/tmp/pwned", b"x");
    t.file("../../up", b"x");
    let ctx = dockerfile_context("FROM scratch\nADD evil.txz /x/\n");
    put(ctx.path(), "evil.txz", &compress("xz", &t.finish()));
    let store = Store::new();
    let o = store.run(&["build", "--progress", "plain", ctx.path().to_str().unwrap()]);
    // The unpacker refuses the entry that climbs out (as it does in layers);
    // nothing is written outside either way.
    assert!(!Path::new("/tmp/pwned").exists());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn add_archive_over_the_layer_limit_fails() {
    let mut t = Tar::default();
    t.file("big", &[0u8; 8192]);
    let ctx = dockerfile_context("FROM scratch\nADD big.tar.bz2 /x/\n");
    put(ctx.path(), "big.tar.bz2", &compress("bzip2", &t.finish()));
    let store = Store::new();
    build_fails(
        &store,
        ctx.path(),
        &[("SKIFF_MAX_LAYER_SIZE", "4K")],
        &["big"],
    );
}
