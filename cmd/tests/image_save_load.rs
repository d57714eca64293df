//! `skiff save` / `load`: docker-archive and OCI archives, interop with
//! podman and skopeo (same image IDs and digests), and refused blobs.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::tar::*;
use common::*;

/// podman with its storage under `dir`, on the vfs driver.
fn vfs_podman(dir: &Path) -> Command {
    let mut c = common::podman::podman(dir);
    c.arg("--storage-driver").arg("vfs");
    c
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn save_is_loadable_by_podman_and_podman_save_by_skiff() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Store::new();
    let id = s.import_busybox(&["-c", "CMD [\"sh\"]"], "bbsave:1");
    let x = tmp.path().join("x.tar");
    s.ok(&["save", "-o", x.to_str().unwrap(), "bbsave:1"]);

    let out = run_ok(vfs_podman(tmp.path()).args(["load", "-i", x.to_str().unwrap()]));
    assert!(out.contains("bbsave:1"), "{out}");
    let pid =
        run_ok(vfs_podman(tmp.path()).args(["image", "inspect", "-f", "{{.Id}}", "bbsave:1"]));
    assert_eq!(format!("sha256:{}", pid.trim()), id);

    // podman save (docker-archive) -> skiff load: same image ID and layers.
    let p = tmp.path().join("p.tar");
    run_ok(vfs_podman(tmp.path()).args(["save", "-o", p.to_str().unwrap(), "localhost/bbsave:1"]));
    let s2 = Store::new();
    let out = s2.ok(&["load", "-i", p.to_str().unwrap()]);
    assert_eq!(out.trim(), "Loaded image: localhost/bbsave:1");
    let a = inspect_json(&s, "bbsave:1");
    let b = inspect_json(&s2, "localhost/bbsave:1");
    assert_eq!(a["Id"], b["Id"]);
    assert_eq!(a["RootFS"], b["RootFS"]);
    assert_eq!(a["Size"], b["Size"]);

    // stdin works too, and loading twice is idempotent.
    let f = fs::File::open(&p).unwrap();
    let out = s2.skiff().arg("load").stdin(f).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s2.ok(&["images", "-q"]).lines().count(), 1);
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn oci_archives_round_trip_through_skopeo_with_the_same_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Store::new();
    s.import_busybox(&[], "bboci:1");
    let d = tmp.path().join("d.tar");
    s.ok(&["save", "-o", d.to_str().unwrap(), "bboci:1"]);
    // skopeo turns skiff's docker-archive into an OCI archive...
    let o = tmp.path().join("o.tar");
    run_ok(Command::new("skopeo").args([
        "copy",
        &format!("docker-archive:{}", d.display()),
        &format!("oci-archive:{}:bboci:2", o.display()),
    ]));
    let raw = run_ok(Command::new("skopeo").args([
        "inspect",
        "--raw",
        &format!("oci-archive:{}", o.display()),
    ]));
    let sk: serde_json::Value = serde_json::from_str(&run_ok(
        Command::new("skopeo").args(["inspect", &format!("oci-archive:{}", o.display())]),
    ))
    .unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&raw).unwrap();

    // ...which skiff loads keeping every digest.
    let s2 = Store::new();
    assert_eq!(
        s2.ok(&["load", "-i", o.to_str().unwrap()]).trim(),
        "Loaded image: bboci:2"
    );
    let ins = inspect_json(&s2, "bboci:2");
    assert_eq!(ins["Descriptor"]["digest"], sk["Digest"]);
    assert_eq!(ins["Id"], manifest["config"]["digest"]);
    let config: serde_json::Value = serde_json::from_str(&run_ok(Command::new("skopeo").args([
        "inspect",
        "--config",
        &format!("oci-archive:{}", o.display()),
    ])))
    .unwrap();
    assert_eq!(ins["RootFS"]["Layers"], config["rootfs"]["diff_ids"]);
    assert_eq!(ins["RootFS"]["Layers"].as_array().unwrap().len(), 1);

    // skiff's own OCI archive: skopeo reads it, same manifest digest.
    let so = tmp.path().join("so.tar");
    s2.ok(&[
        "save",
        "--format",
        "oci",
        "-o",
        so.to_str().unwrap(),
        "bboci:2",
    ]);
    let sk2: serde_json::Value = serde_json::from_str(&run_ok(
        Command::new("skopeo").args(["inspect", &format!("oci-archive:{}", so.display())]),
    ))
    .unwrap();
    assert_eq!(sk2["Digest"], sk["Digest"]);
    // And a skiff load of it into a fresh store is the same image again.
    let s3 = Store::new();
    s3.ok(&["load", "-i", so.to_str().unwrap()]);
    assert_eq!(
        inspect_json(&s3, "bboci:2")["Descriptor"],
        ins["Descriptor"]
    );
}

#[test]
fn load_rejects_a_blob_that_does_not_match_its_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; // sha256("")
    let name = format!("blobs/sha256/{hex}");
    let bytes = Tar::default()
        .file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)
        .file(&name, b"not empty")
        .file("index.json", br#"{"schemaVersion":2,"manifests":[]}"#)
        .finish();
    let p = write_tar(tmp.path(), "bad.tar", &bytes);
    let s = Store::new();
    let out = s.run(&["load", "-i", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(hex), "{}", stderr(&out));
    assert_eq!(count_files(&s.root().join("blobs/sha256")), 0);
    assert_eq!(count_files(&s.root().join("tmp")), 0);
}
