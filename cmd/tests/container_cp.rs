//! `skiff cp` (docker cp), both directions, with docker's archive rules
//! (file into a directory, onto a new name, a directory's contents with
//! `/.`), `-L`, `-a`, and `-` for a tar on stdout or stdin; a running and a
//! stopped container alike. The container is hostile: symlinks it plants
//! (absolute ones to host paths, `..` chains) and a tar on stdin that
//! writes through its own symlink or climbs with `..` must never reach a
//! host file.

mod common;

use common::container::{host_secret, run_detached, store_with_busybox, HOST_ONLY};
use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn cp_follows_docker_archive_rules_both_ways() {
    let (s, img) = store_with_busybox();
    s.ok(&["run", "--name", "src", img, "sh", "-c", "mkdir -p /d/sub && echo f > /d/sub/f && echo top > /d/top && ln -s /d/top /link && chown 1000:1000 /d/top && touch -d '2001-09-09 01:46:40' /d/top"]);
    let host = tempfile::tempdir().unwrap();
    let h = |p: &str| host.path().join(p);
    let hs = |p: &str| h(p).to_str().unwrap().to_string();

    // Container to host, stopped container.
    assert_eq!(s.ok(&["cp", "src:/d/top", &hs("")]), "");
    assert_eq!(std::fs::read_to_string(h("top")).unwrap(), "top\n");
    s.ok(&["cp", "src:/d", &hs("copy")]); // a new name: the dir becomes it
    assert_eq!(std::fs::read_to_string(h("copy/sub/f")).unwrap(), "f\n");
    s.ok(&["cp", "src:/d", &hs("copy")]); // an existing dir: lands inside
    assert!(h("copy/d/sub/f").exists());
    std::fs::create_dir(h("contents")).unwrap();
    s.ok(&["cp", "src:/d/.", &hs("contents")]);
    assert!(h("contents/top").exists() && h("contents/sub/f").exists());
    s.ok(&["cp", "src:/link", &hs("asis")]);
    assert_eq!(
        std::fs::read_link(h("asis")).unwrap().to_str(),
        Some("/d/top")
    );
    s.ok(&["cp", "-L", "src:/link", &hs("followed")]);
    assert_eq!(std::fs::read_to_string(h("followed")).unwrap(), "top\n");
    s.ok(&["cp", "-a", "src:/d/top", &hs("owned")]);
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(h("owned")).unwrap().uid(), 1000);
    // The mtime comes out with the file, as docker's untar sets it.
    assert_eq!(
        std::fs::metadata(h("owned")).unwrap().mtime(),
        1_000_000_000
    );

    // A tar on stdout, named from the source's base name.
    let out = s.run(&["cp", "src:/d", "-"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::fs::write(h("d.tar"), &out.stdout).unwrap();
    let names = common::build::tar_names(&h("d.tar"));
    assert_eq!(names, ["d", "d/sub", "d/sub/f", "d/top"]);

    // Host to a running container, in place at once: root-owned (host
    // `owned` is 1000's), unless -a keeps the owner.
    let id = run_detached(&s, &[], &["sleep", "60"]);
    s.ok(&["cp", &hs("top"), &format!("{id}:/tmp/")]);
    s.ok(&["cp", &hs("copy"), &format!("{id}:/copied")]);
    s.ok(&["cp", &hs("owned"), &format!("{id}:/tmp/root-owned")]);
    s.ok(&["cp", "-a", &hs("owned"), &format!("{id}:/tmp/kept")]);
    let seen = s.ok(&[
        "exec",
        &id,
        "sh",
        "-c",
        "cat /tmp/top /copied/sub/f; stat -c %u /tmp/root-owned /tmp/kept",
    ]);
    assert_eq!(seen, "top\nf\n0\n1000\n");
    // A tar on stdin into a directory (its d/top is 1000's): root-owned.
    let out = s.run_stdin(
        &["cp", "-", &format!("{id}:/tmp")],
        &std::fs::read(h("d.tar")).unwrap(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let seen = s.ok(&[
        "exec",
        &id,
        "sh",
        "-c",
        "cat /tmp/d/sub/f; stat -c %u /tmp/d/top",
    ]);
    assert_eq!(seen, "f\n0\n");
    // ... and into a stopped one, seen when it runs next.
    s.ok(&["cp", &hs("top"), "src:/fromhost"]);
    assert_eq!(
        s.ok(&["diff", "src"])
            .lines()
            .filter(|l| *l == "A /fromhost")
            .count(),
        1
    );
    s.ok(&["rm", "-f", &id]);

    // docker's refusals, exit 1.
    for (args, msg) in [
        (
            vec!["cp", "src:/nope", &hs("x")],
            "Error response from daemon: Could not find the file /nope in container src",
        ),
        (
            vec!["cp", "nosuch:/etc", &hs("x")],
            "Error response from daemon: No such container: nosuch",
        ),
        (
            vec!["cp", "src:/d", "src:/e"],
            "Error: copying between containers is not supported",
        ),
        (
            vec!["cp", &hs("top"), &hs("x")],
            "Error: must specify at least one container source",
        ),
        (
            vec!["cp", "src:/d", &hs("top")],
            "Error: cannot copy a directory to a file",
        ),
    ] {
        assert_fails_starting(&s.run(&args), 1, msg);
    }
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn cp_never_follows_a_hostile_containers_links_out_of_it() {
    let s = busybox_store();
    let (host, secret) = host_secret();
    let hostdir = host.path().join("hostdir");
    std::fs::create_dir(&hostdir).unwrap();
    let (hd, sec) = (hostdir.to_str().unwrap(), secret.to_str().unwrap());
    let plant = format!(
        "ln -s {hd} /evil; ln -s {hd}/planted /evilfile; ln -s {sec} /leak; \
         ln -s ../../../../../.. /up; sleep 60"
    );
    let id = run_detached(&s, &[], &["sh", "-c", &plant]);
    let file = host.path().join("in.txt");
    std::fs::write(&file, "payload\n").unwrap();
    let f = file.to_str().unwrap();
    for _ in 0..100 {
        if s.run(&["exec", &id, "test", "-L", "/up"]).status.success() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Into the container through its links: stays inside it.
    for dst in ["/evil/", "/evilfile", &format!("/up{hd}/")] {
        let _ = s.run(&["cp", f, &format!("{id}:{dst}")]);
    }
    // A tar whose symlink entry points at the host and whose next entry
    // writes through it, and an entry that climbs with `..`.
    let mut t = common::tar::Tar::default();
    t.symlink("l", hd)
        .file("l/pwned", b"pwned")
        .file(&format!("../../../../..{hd}/dotdot"), b"pwned");
    let _ = s.run_stdin(&["cp", "-", &format!("{id}:/tmp")], &t.finish());
    let left: Vec<_> = std::fs::read_dir(&hostdir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "cp wrote into the host: {left:?}");

    // Out of the container: a link to a host file is copied as a link, and
    // followed (-L) it resolves inside the container, where there is none.
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().to_str().unwrap();
    s.ok(&["cp", &format!("{id}:/leak"), o]);
    assert!(std::fs::symlink_metadata(out_dir.path().join("leak"))
        .unwrap()
        .file_type()
        .is_symlink());
    let out = s.run(&["cp", "-L", &format!("{id}:/leak"), &format!("{o}/followed")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = s.run(&["cp", &format!("{id}:/up{sec}"), &format!("{o}/climbed")]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let tar = s.run(&["cp", "-L", &format!("{id}:/leak"), "-"]);
    assert!(!String::from_utf8_lossy(&tar.stdout).contains(HOST_ONLY));
    assert!(!out_dir.path().join("followed").exists() && !out_dir.path().join("climbed").exists());

    // A link to a host directory copied out, then a directory of that
    // name copied onto it: refused (docker's "cannot overwrite
    // non-directory"), never written or chmodded through the link.
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode();
    let hostdir_mode = mode(&hostdir);
    s.ok(&[
        "exec",
        &id,
        "sh",
        "-c",
        &format!("mkdir /d2 && ln -s {hd} /d2/x"),
    ]);
    let twice = out_dir.path().join("twice");
    let t = twice.to_str().unwrap();
    s.ok(&["cp", &format!("{id}:/d2"), t]);
    assert!(twice.join("x").is_symlink());
    let swap = "rm /d2/x && mkdir /d2/x && echo pwned > /d2/x/planted && chmod 777 /d2/x";
    s.ok(&["exec", &id, "sh", "-c", swap]);
    let out = s.run(&["cp", &format!("{id}:/d2/."), t]);
    assert_fails(&out, 1, &["cannot overwrite non-directory"]);
    assert!(
        !hostdir.join("planted").exists(),
        "cp wrote through a link it copied out"
    );
    assert_eq!(mode(&hostdir), hostdir_mode, "cp chmodded through a link");
    s.ok(&["rm", "-f", &id]);
}
