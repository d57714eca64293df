//! Multi-platform images end to end, against the ground's conformance
//! registry (127.0.0.1:5000/busybox-multi: an OCI index of linux/amd64,
//! arm64/v8 and arm/v7 busybox-static) and its qemu binfmt handlers: one
//! tag holding several platforms, each run under its platform, the tree
//! listing, errors naming the platforms, push of the index to a registry
//! that skopeo and podman read back.

mod common;

use std::path::Path;
use std::process::Command;

use common::podman::podman_run;
use common::*;

const MULTI: &str = "127.0.0.1:5000/busybox-multi:latest";

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

/// `run --rm --pull never --platform PLATFORM IMAGE CMD...` arguments.
fn never<'a>(rest: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["run", "--rm", "--pull", "never", "--platform"];
    v.extend_from_slice(rest);
    v
}

fn uname(s: &Store, platform: &str) -> String {
    let out = s.run(&never(&[platform, MULTI, "uname", "-m"]));
    assert_success(&out, &["run", "--platform", platform]);
    stdout(&out).trim().to_string()
}

#[test]
#[ignore = "needs the test ground: the conformance registry on 127.0.0.1:5000 and qemu binfmt handlers"]
fn pulling_a_second_platform_keeps_the_first_and_each_runs_its_arch() {
    let s = Store::new();
    s.ok(&["pull", "-q", "--platform", "linux/arm64", MULTI]);
    s.ok(&["pull", "-q", "--platform", "linux/arm/v7", MULTI]);
    // Both are still there, under one tag: each runs as its architecture.
    assert_eq!(uname(&s, "linux/arm64"), "aarch64");
    assert_eq!(uname(&s, "linux/arm/v7"), "armv7l");
    // arm64/v8 and arm spelled without the variant are the same platforms.
    assert_eq!(uname(&s, "linux/arm64/v8"), "aarch64");
    assert_eq!(uname(&s, "linux/arm"), "armv7l");
    // A platform of the index not pulled yet is pulled by run (docker's
    // --pull missing), the others stay.
    let out = s.run(&[
        "run",
        "--rm",
        "--platform",
        "linux/amd64",
        MULTI,
        "uname",
        "-m",
    ]);
    assert_success(&out, &["run", "--platform", "linux/amd64"]);
    assert_eq!(stdout(&out).trim(), "x86_64");
    assert_eq!(uname(&s, "linux/arm/v7"), "armv7l");

    // One row per tag, as docker's containerd store shows it.
    let rows = s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert_eq!(rows.trim(), "127.0.0.1:5000/busybox-multi:latest", "{rows}");
    // The tree lists the three platforms under it.
    let tree = s.ok(&["images", "--tree"]);
    let lines: Vec<&str> = tree.lines().collect();
    assert!(
        lines[1].starts_with("127.0.0.1:5000/busybox-multi:latest "),
        "{tree}"
    );
    for (i, p) in ["├─ linux/amd64 ", "├─ linux/arm64/v8 ", "└─ linux/arm/v7 "]
        .iter()
        .enumerate()
    {
        assert!(lines[2 + i].starts_with(p), "{tree}");
    }

    // inspect shows the chosen platform.
    let arch = s.ok(&[
        "image",
        "inspect",
        "--platform",
        "linux/arm/v7",
        "-f",
        "{{.Os}}/{{.Architecture}}/{{.Variant}}",
        MULTI,
    ]);
    assert_eq!(arch.trim(), "linux/arm/v7");
}

#[test]
#[ignore = "needs the test ground: the conformance registry on 127.0.0.1:5000"]
fn a_platform_the_image_lacks_is_an_error_naming_its_platforms() {
    let s = Store::new();
    s.ok(&["pull", "-q", "--platform", "linux/arm64", MULTI]);
    // Not in the index: run tries a pull (as docker does), which fails;
    // the error names the image and the platforms it has.
    let out = s.run(&["run", "--rm", "--platform", "linux/s390x", MULTI, "true"]);
    assert_fails(
        &out,
        125,
        &["linux/s390x", "linux/amd64, linux/arm64/v8, linux/arm/v7"],
    );
    // pull says it in docker's words.
    let out = s.run(&["pull", "--platform", "linux/s390x", MULTI]);
    assert_fails(&out, 1, &[
        "no matching manifest for linux/s390x in the manifest list entries of 127.0.0.1:5000/busybox-multi:latest (it offers: linux/amd64, linux/arm64/v8, linux/arm/v7)",
    ]);
    // Without pulling: the store's own words, never another architecture.
    let out = s.run(&never(&["linux/s390x", MULTI, "true"]));
    assert_fails(&out, 125, &[
        "image 127.0.0.1:5000/busybox-multi:latest has no manifest for platform linux/s390x (it has: linux/amd64, linux/arm64/v8, linux/arm/v7)",
    ]);
    // In the index but not pulled, with --pull never: not a fallback to arm64.
    let out = s.run(&never(&["linux/arm/v7", MULTI, "true"]));
    assert_fails(
        &out,
        125,
        &["platform linux/arm/v7 is not in the store (present: linux/arm64/v8)"],
    );
    let out = s.run(&["pull", "--platform", "linux/s390x", MULTI]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = s.run(&[
        "save",
        "--platform",
        "linux/s390x",
        "-o",
        "/dev/null",
        MULTI,
    ]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stderr(&out).contains("(it has: linux/amd64, linux/arm64/v8, linux/arm/v7)"));
}

#[test]
#[ignore = "needs the test ground: scripts/test"]
fn a_foreign_single_platform_image_is_refused_or_needs_emulation() {
    let bb = ground("SKIFF_TEST_BUSYBOX_TAR");
    let s = Store::new();
    // The ground's busybox rootfs is the host's; imported as s390x it
    // claims a platform no handler serves.
    s.ok(&["import", "--platform", "linux/s390x", &bb, "bb390:1"]);
    s.ok(&["import", &bb, "bbhost:1"]);
    let out = s.run(&never(&["linux/s390x", "bb390:1", "true"]));
    assert_fails(
        &out,
        125,
        &[
            "cannot run linux/s390x binaries on this linux/",
            "no binfmt_misc handler is registered for it",
            "qemu-user-static",
        ],
    );
    // A single-platform image asked for as another platform: docker's words.
    let out = s.run(&never(&["linux/s390x", "bbhost:1", "true"]));
    assert_fails(&out, 125, &[
        "image with reference bbhost:1 was found but does not match the specified platform: wanted linux/s390x, actual: linux/",
    ]);
}

/// The architecture `file` names for the busybox binary of each manifest
/// of `oci_dir` (an OCI layout skopeo wrote), by platform.
fn busybox_arches(oci_dir: &Path) -> Vec<(String, String)> {
    let read = |d: &str| {
        let hex = d.strip_prefix("sha256:").unwrap();
        std::fs::read(oci_dir.join("blobs/sha256").join(hex)).unwrap()
    };
    let top: serde_json::Value =
        serde_json::from_slice(&std::fs::read(oci_dir.join("index.json")).unwrap()).unwrap();
    let index: serde_json::Value =
        serde_json::from_slice(&read(top["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    let mut out = Vec::new();
    for m in index["manifests"].as_array().unwrap() {
        let platform = manifest_platform(m);
        let manifest: serde_json::Value =
            serde_json::from_slice(&read(m["digest"].as_str().unwrap())).unwrap();
        let x = tempfile::tempdir().unwrap();
        for l in manifest["layers"].as_array().unwrap() {
            let hex = l["digest"]
                .as_str()
                .unwrap()
                .strip_prefix("sha256:")
                .unwrap();
            let blob = oci_dir.join("blobs/sha256").join(hex);
            // Extract everything; only bin/busybox is looked at.
            run_ok(
                Command::new("tar")
                    .arg("-xzf")
                    .arg(&blob)
                    .arg("-C")
                    .arg(x.path()),
            );
        }
        let f = run_ok(
            Command::new("file")
                .arg("-b")
                .arg(x.path().join("bin/busybox")),
        );
        out.push((platform, f));
    }
    out
}

#[test]
#[ignore = "needs the test ground: the conformance registry on 127.0.0.1:5000, the test registry, skopeo, podman and qemu binfmt handlers"]
fn push_of_a_multi_platform_tag_sends_the_index_and_peers_read_it() {
    let reg = ground("SKIFF_TEST_REGISTRY");
    let s = Store::new();
    for p in ["linux/amd64", "linux/arm64", "linux/arm/v7"] {
        s.ok(&["pull", "-q", "--platform", p, MULTI]);
    }
    let target = format!("{reg}/{}:1", unique("mp"));
    s.ok(&["tag", MULTI, &target]);
    let pushed = s.ok(&["push", &target]);
    let digest = s.ok(&["image", "inspect", "-f", "{{.Descriptor.digest}}", MULTI]);
    assert!(
        pushed.contains(&format!("digest: {}", digest.trim())),
        "{pushed}"
    );

    // The registry holds the same index with the three platforms.
    let (raw, ix) = skopeo_inspect(&["--raw", "--tls-verify=false", &format!("docker://{target}")]);
    assert_eq!(
        index_platforms(&ix),
        ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"],
        "{raw}"
    );

    // Each manifest's binary is of its architecture.
    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("oci");
    run_ok(Command::new("skopeo").args([
        "copy",
        "--all",
        "--src-tls-verify=false",
        &format!("docker://{target}"),
        &format!("oci:{}:x", layout.display()),
    ]));
    let arches = busybox_arches(&layout);
    let want = [
        ("linux/amd64", "x86-64"),
        ("linux/arm64/v8", "ARM aarch64"),
        ("linux/arm/v7", "ARM, EABI5"),
    ];
    assert_eq!(arches.len(), 3, "{arches:?}");
    for ((p, f), (wp, wf)) in arches.iter().zip(want) {
        assert_eq!(p, wp);
        assert!(f.contains(wf), "{p}: {f}");
    }

    // podman runs the arm64 image skiff pushed, under emulation.
    let pd = tmp.path().join("podman");
    std::fs::create_dir_all(&pd).unwrap();
    let ran = podman_run(
        &pd,
        &[
            "run",
            "--rm",
            "--tls-verify=false",
            "--platform",
            "linux/arm64",
            &target,
            "uname",
            "-m",
        ],
    );
    let _ = podman_run(&pd, &["rmi", "-a", "-f"]);
    assert!(ran.status.success(), "{}", text(&ran));
    assert_eq!(stdout(&ran).trim(), "aarch64");
}

#[test]
#[ignore = "needs the test ground: the conformance registry on 127.0.0.1:5000, the test registry and skopeo"]
fn push_of_a_partly_pulled_index_is_refused_unless_one_platform_is_chosen() {
    let reg = ground("SKIFF_TEST_REGISTRY");
    let s = Store::new();
    s.ok(&["pull", "-q", "--platform", "linux/arm64", MULTI]);
    let target = format!("{reg}/{}:1", unique("mp-part"));
    s.ok(&["tag", MULTI, &target]);
    let out = s.run(&["push", &target]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        stderr(&out).contains("missing content") && stderr(&out).contains("--platform flag"),
        "{}",
        text(&out)
    );
    // The one platform present goes as a single-platform image.
    s.ok(&["push", "--platform", "linux/arm64", &target]);
    let (raw, m) = skopeo_inspect(&["--raw", "--tls-verify=false", &format!("docker://{target}")]);
    assert!(
        m.get("manifests").is_none() && m.get("layers").is_some(),
        "{raw}"
    );
    let (_, cfg) = skopeo_inspect(&[
        "--config",
        "--tls-verify=false",
        &format!("docker://{target}"),
    ]);
    assert_eq!(cfg["architecture"], "arm64", "{cfg}");

    // save --platform picks one: its archive runs as that platform.
    let tmp = tempfile::tempdir().unwrap();
    let tar = tmp.path().join("a.tar");
    s.ok(&[
        "save",
        "--platform",
        "linux/arm64",
        "-o",
        tar.to_str().unwrap(),
        MULTI,
    ]);
    let s2 = Store::new();
    s2.ok(&["load", "-i", tar.to_str().unwrap()]);
    let arch = s2.ok(&["image", "inspect", "-f", "{{.Architecture}}", MULTI]);
    assert_eq!(arch.trim(), "arm64");
}
