//! `ADD <git ref>` as BuildKit does it, against `git daemon` and a
//! dumb-HTTP server the test starts on 127.0.0.1: branches, tags, commits,
//! `#ref:subdir`, `--keep-git-dir`, `--checksum`; files root's with git's
//! modes (0644/0755, directories 0755), symlinks kept, no `.git` unless
//! asked; the cache follows the commit; a missing ref and a missing git
//! fail clearly.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::add_sources::*;
use common::build::{build_fails, dockerfile_context, steps};
use common::*;

struct Repos {
    _dir: tempfile::TempDir,
    /// The working clone (to add commits); `base/repo.git` is the bare one.
    work: std::path::PathBuf,
    bare: std::path::PathBuf,
    main_commit: String,
}

fn repos() -> Repos {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let base = dir.path().join("base");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::create_dir_all(&base).unwrap();
    git(&work, &["init", "-q"]);
    write(&work, "a.txt", "one\n");
    write(&work, "bin/run.sh", "#!/bin/sh\necho hi\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        work.join("bin/run.sh"),
        std::fs::Permissions::from_mode(0o775),
    )
    .unwrap();
    write(&work, "sub/dir/f.txt", "deep\n");
    std::os::unix::fs::symlink("a.txt", work.join("link")).unwrap();
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "one"]);
    git(&work, &["tag", "-a", "v1", "-m", "v1"]);
    let main_commit = git(&work, &["rev-parse", "HEAD"]).trim().to_string();
    git(&work, &["checkout", "-q", "-b", "dev"]);
    write(&work, "a.txt", "two\n");
    git(&work, &["commit", "-q", "-am", "two"]);
    git(&work, &["checkout", "-q", "main"]);
    let bare = base.join("repo.git");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    git(&bare, &["update-server-info"]);
    Repos {
        _dir: dir,
        work,
        bare,
        main_commit,
    }
}

fn daemon(base: &Path) -> (Child, u16) {
    let port = free_port();
    let c = std::process::Command::new("git")
        .args([
            "daemon",
            "--export-all",
            "--reuseaddr",
            "--listen=127.0.0.1",
        ])
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let c = Child(c);
    wait_port(port);
    (c, port)
}

#[test]
fn add_git_refs_subdirs_modes_and_git_dir() {
    let r = repos();
    let (_d, port) = daemon(r.bare.parent().unwrap());
    let u = format!("git://127.0.0.1:{port}/repo.git");
    let short = &r.main_commit[..10];
    let ctx = dockerfile_context(&format!(
        "FROM scratch\n\
         ADD {u} /main\n\
         ADD {u}#v1 /tag\n\
         ADD {u}#dev:sub /devsub\n\
         ADD {u}#{c} /commit\n\
         ADD --keep-git-dir {u}#dev /kept\n\
         ADD --checksum={short} {u}?tag=v1&subdir=bin /pinned\n\
         ADD --chown=7:8 {u}#main:bin /owned/\n",
        c = r.main_commit
    ));
    let store = Store::new();
    let fs = build_fs(&store, ctx.path(), &[]);
    assert_eq!(fs["main/a.txt"].data, b"one\n");
    assert_eq!(fs["tag/a.txt"].data, b"one\n");
    assert_eq!(fs["commit/a.txt"].data, b"one\n");
    assert_eq!(fs["kept/a.txt"].data, b"two\n");
    // The subdir's contents, not the subdir.
    assert_eq!(fs["devsub/dir/f.txt"].data, b"deep\n");
    assert!(!fs.contains_key("devsub/a.txt"));
    assert!(!fs.contains_key("devsub/sub"));
    // git's modes, root's files, symlinks as symlinks.
    let m = |p: &str| (fs[p].mode, fs[p].uid, fs[p].gid);
    assert_eq!(m("main/a.txt"), (0o644, 0, 0));
    assert_eq!(m("main/bin/run.sh"), (0o755, 0, 0));
    assert_eq!(m("main/sub/dir"), (0o755, 0, 0));
    assert_eq!(fs["main/link"].kind, 'l');
    assert_eq!(fs["main/link"].link, "a.txt");
    // .git only when asked.
    assert!(
        !fs.keys().any(|k| k.starts_with("main/.git")),
        "{:?}",
        fs.keys()
    );
    assert_eq!(fs["kept/.git"].kind, 'd');
    assert!(fs.contains_key("kept/.git/HEAD"));
    assert_eq!(fs["pinned/run.sh"].mode, 0o755);
    assert_eq!(m("owned/run.sh"), (0o755, 7, 8));
}

#[test]
fn add_git_over_dumb_http() {
    let r = repos();
    let http = serve(
        BTreeMap::new(),
        Some(r.bare.parent().unwrap().to_path_buf()),
    );
    let ctx = dockerfile_context(&format!(
        "FROM scratch\nADD {}#dev /d\n",
        http.url("/repo.git")
    ));
    let store = Store::new();
    let fs = build_fs(&store, ctx.path(), &[]);
    assert_eq!(fs["d/a.txt"].data, b"two\n");
    assert_eq!(fs["d/bin/run.sh"].mode, 0o755);
}

#[test]
fn add_git_cache_follows_the_commit() {
    let r = repos();
    let (_d, port) = daemon(r.bare.parent().unwrap());
    let ctx = dockerfile_context(&format!(
        "FROM scratch\nADD git://127.0.0.1:{port}/repo.git#dev /d\n"
    ));
    let c = ctx.path().to_str().unwrap();
    let store = Store::new();
    common::build::build(&store, &["-t", "g:1", c]);
    let (p, _) = common::build::build(&store, &["-t", "g:1", c]);
    assert!(steps(&p).iter().all(|s| s.1), "{p}");
    // A new commit on the branch: the step runs again.
    git(&r.work, &["checkout", "-q", "dev"]);
    write(&r.work, "a.txt", "three\n");
    git(&r.work, &["commit", "-q", "-am", "three"]);
    git(&r.work, &["push", "-q", r.bare.to_str().unwrap(), "dev"]);
    let (p, _) = common::build::build(&store, &["-t", "g:1", c]);
    assert!(steps(&p).iter().all(|s| !s.1), "{p}");
}

#[test]
fn add_git_missing_ref_and_bad_checksum_fail() {
    let r = repos();
    let (_d, port) = daemon(r.bare.parent().unwrap());
    let store = Store::new();
    let fail = |df: &str, says: &str| {
        build_fails(&store, dockerfile_context(df).path(), &[], &[says]);
    };
    fail(
        &format!("FROM scratch\nADD git://127.0.0.1:{port}/repo.git#nope /d\n"),
        "does not contain ref nope",
    );
    fail(
        &format!("FROM scratch\nADD --checksum=abcdef git://127.0.0.1:{port}/repo.git#v1 /d\n"),
        "expected checksum to match abcdef",
    );
}

#[test]
fn add_git_without_git_says_git_is_needed() {
    let ctx = dockerfile_context("FROM scratch\nADD git://127.0.0.1:9/repo.git#main /d\n");
    let store = Store::new();
    let no_git = [("PATH", "/nonexistent")];
    build_fails(&store, ctx.path(), &no_git, &["need the git command"]);
}
