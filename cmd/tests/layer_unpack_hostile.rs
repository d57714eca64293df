//! Unpacking hostile layers: `..` names, absolute paths, symlinks and
//! hardlinks out of the snapshot are refused or kept inside it.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use common::tar::*;
use common::*;

/// A fresh dir outside every store, for "did anything land here" checks,
/// and its path without the leading `/` (to aim layer entries at it).
fn outside() -> (tempfile::TempDir, String) {
    let d = tempfile::Builder::new()
        .prefix("skiff-outside-")
        .tempdir_in("/tmp")
        .unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let rel = d.path().strip_prefix("/").unwrap().display().to_string();
    (d, rel)
}

#[test]
fn dotdot_entries_are_refused_by_name() {
    let (out_dir, rel) = outside();
    let name = format!("{}{rel}/escape", "../".repeat(12));
    let tmp = tempfile::tempdir().unwrap();
    let p = write_tar(
        tmp.path(),
        "l.tar",
        &Tar::default()
            .file("ok", b"x")
            .file(&name, b"pwned")
            .finish(),
    );
    let s = Store::new();
    let out = s.run(&["import", p.to_str().unwrap(), "hostile"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&name) && err.contains("refused"), "{err}");
    assert!(!out_dir.path().join("escape").exists());
    assert_eq!(count_files(out_dir.path()), 0);
    assert_eq!(count_files(&s.root().join("snapshots")), 0);
    assert_eq!(count_files(&s.root().join("tmp")), 0);
    assert_eq!(s.ok(&["images", "-q"]), "");
}

#[test]
fn absolute_paths_and_symlinks_out_stay_inside_the_snapshot() {
    let (out_dir, rel) = outside();
    let abs = format!("/{rel}/abs");
    let through_root = format!("evil/{rel}/through");
    let through_dots = format!("up/{rel}/through2");
    let tmp = tempfile::tempdir().unwrap();
    let bytes = Tar::default()
        .file(&abs, b"abs")
        .symlink("evil", "/")
        .file(&through_root, b"through /")
        .symlink("up", "../../../../../../../..")
        .file(&through_dots, b"through ..")
        // A directory later replaced by a symlink out: its deferred
        // metadata must not be applied through the link.
        .add(Entry {
            name: "victim",
            kind: b'5',
            mode: 0o700,
            mtime: 1000,
            ..Default::default()
        })
        .symlink("victim", out_dir.path().to_str().unwrap())
        // A valid image shape: var/run -> /run with files under it.
        .dir("run")
        .symlink("var/run", "/run")
        .file("var/run/app.pid", b"1")
        .finish();
    let p = write_tar(tmp.path(), "l.tar", &bytes);
    let s = Store::new();
    s.ok(&["import", p.to_str().unwrap(), "contained"]);
    assert_eq!(
        count_files(out_dir.path()),
        0,
        "something was written outside the snapshot"
    );
    let m = fs::metadata(out_dir.path()).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o755, "chmod went through a symlink");
    assert_ne!(m.mtime(), 1000, "utimes went through a symlink");
    let snap = &lower_dirs(&s, "contained")[0];
    assert_eq!(fs::read(snap.join(&rel).join("abs")).unwrap(), b"abs");
    assert_eq!(
        fs::read(snap.join(&rel).join("through")).unwrap(),
        b"through /"
    );
    assert_eq!(
        fs::read(snap.join(&rel).join("through2")).unwrap(),
        b"through .."
    );
    assert_eq!(fs::read(snap.join("run/app.pid")).unwrap(), b"1");
    assert_eq!(
        fs::read_link(snap.join("var/run")).unwrap(),
        Path::new("/run")
    );
}

#[test]
fn hardlinks_to_host_files_are_refused_by_name() {
    let (out_dir, _) = outside();
    let host_file = out_dir.path().join("hostfile");
    fs::write(&host_file, b"host").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for (i, (entries, bad)) in [
        (
            Tar::default()
                .hardlink("hl", host_file.to_str().unwrap())
                .finish(),
            "hl",
        ),
        (
            Tar::default()
                .symlink("evil", "/")
                .hardlink("hl2", &format!("evil{}", host_file.display()))
                .finish(),
            "hl2",
        ),
        (
            Tar::default()
                .hardlink("hl3", "../../../../../../../etc/passwd")
                .finish(),
            "hl3",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let p = write_tar(tmp.path(), &format!("l{i}.tar"), &entries);
        let s = Store::new();
        let out = s.run(&["import", p.to_str().unwrap(), "hl"]);
        assert_eq!(out.status.code(), Some(1), "case {i}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("refused entry \"{bad}\"")),
            "case {i}: {err}"
        );
        assert_eq!(
            fs::metadata(&host_file).unwrap().nlink(),
            1,
            "case {i}: the host file got a link"
        );
        assert_eq!(count_files(&s.root().join("snapshots")), 0);
    }
    // A hardlink to a file of the layer itself is fine.
    let p = write_tar(
        tmp.path(),
        "ok.tar",
        &Tar::default()
            .file("a", b"data")
            .hardlink("b", "a")
            .finish(),
    );
    let s = Store::new();
    s.ok(&["import", p.to_str().unwrap(), "hlok"]);
    let snap = &lower_dirs(&s, "hlok")[0];
    assert_eq!(
        fs::metadata(snap.join("a")).unwrap().ino(),
        fs::metadata(snap.join("b")).unwrap().ino()
    );
}
