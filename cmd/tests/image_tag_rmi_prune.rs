//! `skiff tag`, `rmi` and `image prune`: docker's messages and exit codes,
//! and the content going with the last reference.

mod common;

use common::*;

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn tag_and_rmi_behave_like_docker() {
    let s = Store::new();
    let id = s.import_busybox(&[], "busybox:1");
    s.ok(&["tag", "busybox:1", "127.0.0.1:5000/bb:x"]);
    s.ok(&["tag", &id[7..19], "other"]);
    let repos = s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    let mut repos: Vec<&str> = repos.lines().collect();
    repos.sort();
    assert_eq!(repos, ["127.0.0.1:5000/bb:x", "busybox:1", "other:latest"]);

    // By ID with several tags: refused without -f.
    let out = s.run(&["rmi", &id[7..19]]);
    assert_fails(&out, 1, &["must be forced"]);

    assert_eq!(s.ok(&["rmi", "other"]).trim(), "Untagged: other:latest");
    assert_eq!(
        s.ok(&["rmi", "127.0.0.1:5000/bb:x"]).trim(),
        "Untagged: 127.0.0.1:5000/bb:x"
    );
    let out = s.ok(&["rmi", "busybox:1"]);
    assert_eq!(out, format!("Untagged: busybox:1\nDeleted: {id}\n"));
    assert_eq!(s.ok(&["images", "-q"]), "");
    // Its content went with it.
    assert_eq!(count_files(&s.root().join("blobs/sha256")), 0);
    assert_eq!(count_files(&s.root().join("snapshots")), 0);

    // docker's daemon names a missing image with its tag made explicit.
    let no_such = "Error response from daemon: No such image: nope:latest\n";
    assert_fails_starting(&s.run(&["rmi", "nope"]), 1, no_such);
    assert_fails_starting(&s.run(&["tag", "nope", "x"]), 1, no_such);
    let out = s.run(&["tag", "busybox", "Bad:Name"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn image_prune_removes_dangling_then_all() {
    let s = Store::new();
    let id1 = s.import_busybox(&[], "keep");
    let id2 = s.import_busybox(&["-m", "second"], "keep");
    assert_ne!(id1, id2);
    // id1 lost its tag: dangling.
    let out = s.ok(&["image", "prune", "-f"]);
    assert!(out.contains(&format!("deleted: {id1}")), "{out}");
    assert!(!out.contains(&id2));
    assert_eq!(s.ok(&["images", "-q", "--no-trunc"]).trim(), id2);
    let out = s.ok(&["image", "prune", "-a", "-f"]);
    assert!(
        out.contains("untagged: keep:latest") && out.contains(&format!("deleted: {id2}")),
        "{out}"
    );
    assert!(out.contains("Total reclaimed space: "), "{out}");
    assert_eq!(count_files(&s.root().join("blobs/sha256")), 0);
    assert_eq!(count_files(&s.root().join("snapshots")), 0);
    let df = s.ok(&["system", "df"]);
    assert!(df.starts_with("TYPE") && df.contains("Images"), "{df}");
}
